"""Logging for the command line, through the standard :mod:`logging` module.

The library logs to the ``wiretrace`` logger and configures nothing (a
program using it decides where records go). The command line sends records
at ``--log-level`` (default ``warning``; ``-v`` is ``info``, ``-vv``
``debug``) to stderr, and all of them to ``--log-file`` when given. Input
text reaches log messages (paths, ids), so every line printed to the
terminal goes through :func:`wiretrace.printable.safe_text`'s rule: control
and format characters are shown as U+FFFD, never sent to the terminal.

An internal error (a bug) is written with its traceback to a log file: the
``--log-file`` when given, else a new private file in the temporary folder,
and the command line prints one line saying where.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import traceback
import unicodedata
from pathlib import Path

__all__ = ["LEVELS", "setup_logging", "write_crash_log"]

LEVELS = ("debug", "info", "warning", "error")


def _inert(text: str) -> str:
    """One terminal-safe line per record line: control and format characters
    other than the newline become U+FFFD."""
    return "".join(
        ch if ch == "\n" else ("\ufffd" if unicodedata.category(ch) in ("Cc", "Cf", "Cs") else ch) for ch in text
    )


class _InertFormatter(logging.Formatter):
    """``wiretrace: LEVEL: message``, inert (the record itself is left as it is:
    the log file's handler formats it too)."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"wiretrace: {record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return _inert(text)


class _Stderr(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time (a progress display
    redirects it while it runs, so records appear above the bar)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # pragma: no cover - logging must never break a run
            self.handleError(record)


_HANDLERS: list[logging.Handler] = []


def setup_logging(level: str = "warning", log_file: str | None = None) -> None:
    """Route the ``wiretrace`` logger (and Python warnings) for the command line.

    Called again, it replaces what it set up before (tests call ``main`` many times).
    """
    logger = logging.getLogger("wiretrace")
    warned = logging.getLogger("py.warnings")
    for handler in _HANDLERS:
        logger.removeHandler(handler)
        warned.removeHandler(handler)
        handler.close()
    _HANDLERS.clear()
    numeric = getattr(logging, level.upper())
    stderr = _Stderr(numeric)
    stderr.setFormatter(_InertFormatter())
    _HANDLERS.append(stderr)
    if log_file:
        from wiretrace.errors import ConfigError

        try:
            to_file = logging.FileHandler(log_file, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            raise ConfigError(f"cannot open --log-file {log_file}: {exc.strerror or exc}") from None
        to_file.setLevel(logging.DEBUG)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        _HANDLERS.append(to_file)
    logger.setLevel(logging.DEBUG if log_file else numeric)
    logger.propagate = False
    for handler in _HANDLERS:
        logger.addHandler(handler)
    # Third-party warnings (a library's deprecation, a parser's complaint about
    # one page) are details of the run, not messages to the user: logged at
    # the level of their own, shown on the terminal only with -v.
    logging.captureWarnings(True)
    warned.propagate = False
    for handler in _HANDLERS:
        if handler is not stderr or numeric <= logging.INFO:
            warned.addHandler(handler)


def write_crash_log(exc: BaseException, argv: list[str], log_file: str | None = None) -> str | None:
    """Write ``exc``'s traceback where the user can find it; return that path
    (None when even that failed)."""
    from wiretrace._version import __version__

    text = (
        f"wiretrace {__version__} internal error at {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n"
        f"python {sys.version.split()[0]} on {sys.platform}\n"
        f"arguments: {argv!r}\n\n" + "".join(traceback.format_exception(exc))
    )
    if log_file:
        try:
            with open(log_file, "a", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(text)
            return log_file
        except OSError:
            pass
    # A new file nobody else can have created or linked: O_EXCL does not
    # follow a link planted at the name, and the file is private (0600).
    folder = Path(tempfile.gettempdir())
    for attempt in range(10):
        path = folder / f"wiretrace-error-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{attempt}.log"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            continue
        except OSError:
            return None
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
        return str(path)
    return None
