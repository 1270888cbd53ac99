"""``python -m wiretrace`` and the ``wiretrace`` command.

Ctrl-C and SIGTERM are handled from the first instant: the imports take a
moment, and a signal then must not print a traceback. Once the command line
runs, it handles them itself (workers stopped, documented exit codes).
"""

import signal
import sys


def _early_exit(signum: int, frame: object) -> None:
    print("wiretrace: interrupted while starting", file=sys.stderr)
    raise SystemExit(128 + signum)


def run() -> None:
    """The ``wiretrace`` command."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _early_exit)
    from wiretrace.cli import main

    sys.exit(main())


if __name__ == "__main__":
    run()
