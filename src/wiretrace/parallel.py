"""Stop every worker when the run is interrupted (and ``fork_map``, the
executor's map under the name the stages call it by).

Workers are started by :mod:`wiretrace.executor`, the one policy for
running a stage's tasks on this machine.

Rule for interruptions: no worker outlives the process that started it.
:func:`stop_on_signals` makes SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the
workers and then raise in the main process (``KeyboardInterrupt``, or
:class:`Terminated`); a worker itself ignores Ctrl-C (the terminal sends it
to the whole process group: the main process decides) and exits quietly,
without a traceback, when the main process stops it. A map that fails or is
interrupted cancels its queued work instead of waiting for it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from wiretrace.executor import LocalExecutor

__all__ = ["fork_map", "stop_workers", "stop_on_signals", "stop_requested", "check_stop", "announce_stop", "Terminated",
           "SIGNAL_EXIT"]

T = TypeVar("T")
R = TypeVar("R")

# Seconds a stopped worker gets to exit before it is killed.
_STOP_GRACE = 2.0
# Exit codes of a run stopped by a signal: 128 + the signal's number, as shells report it.
SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


class Terminated(BaseException):
    """SIGTERM or SIGHUP reached the main process (a BaseException, like
    KeyboardInterrupt, so that no ``except Exception`` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by {signal.Signals(signum).name}")
        self.signum = signum


def _children_pids() -> set[int]:
    me = os.getpid()
    pids: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{me}/task"):
            with open(f"/proc/{me}/task/{task}/children") as handle:
                pids.update(int(p) for p in handle.read().split())
    except OSError:
        return set()
    return pids


def _forked_children() -> list[int]:
    """Pids of the workers this run forked, as the kernel sees them (Linux):
    that includes a worker forked a moment ago that multiprocessing has not
    registered yet (a signal can arrive between the fork and the
    registration). Only forks of this very program (same command line, no
    exec) that were not there when the run started: a program using
    wiretrace may have children of its own, which are never touched."""
    try:
        with open("/proc/self/cmdline", "rb") as handle:
            mine = handle.read()
    except OSError:
        return []
    out = []
    for pid in sorted(_children_pids() - _PREEXISTING):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if handle.read() == mine:
                    out.append(pid)
        except OSError:
            continue
    return out


_PREEXISTING: set[int] = set()  # children the process had before the run: not ours to stop


def stop_workers(grace: float = _STOP_GRACE) -> int:
    """Terminate every worker process this process started; returns how many.

    Each gets SIGTERM, then SIGKILL if it is still there after ``grace`` seconds.
    """
    from multiprocessing.connection import wait

    known = [child for child in multiprocessing.active_children() if child.pid not in _PREEXISTING]
    registered = {child.pid for child in known}
    for pid in _forked_children():
        if pid not in registered:  # forked, not registered yet: stopped directly
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (OSError, ChildProcessError):
                pass
    children = known
    for child in children:
        try:
            child.terminate()
        except Exception:  # already gone
            pass
    sentinels = []
    for child in children:
        try:
            sentinels.append(child.sentinel)
        except Exception:
            pass
    if sentinels:
        wait(sentinels, timeout=grace)
    for child in children:
        try:
            if child.is_alive():
                child.kill()
            child.join(0.5)
        except Exception:
            pass
    return len(children)


# Seconds the main process may take to unwind once its workers are stopped.
# A worker killed while it sent a result leaves half a message in the result
# pipe: concurrent.futures' manager thread then waits for the rest forever,
# and shutting that pool down (or the interpreter's exit) waits for the
# thread. Past this grace the process exits at once, with the same code.
_EXIT_GRACE = 3.0
_ANNOUNCED = threading.Event()
_MESSAGE: list[str] = []


def _describe(signum: int) -> str:
    if signum == signal.SIGINT:
        return "wiretrace: interrupted; worker processes stopped, no output changed"
    return f"wiretrace: terminated by {signal.Signals(signum).name}; worker processes stopped, no output changed"


def announce_stop(message: str | None = None) -> None:
    """Print why the run stopped, once (the main path and the exit watchdog both may)."""
    if _ANNOUNCED.is_set():
        return
    _ANNOUNCED.set()
    text = message or (_MESSAGE[0] if _MESSAGE else "wiretrace: stopped")
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


_STOP: list[int] = []  # the exit code of a stop signal the main process received


def stop_requested() -> int | None:
    """The exit code a stop signal asked for during this run, else None.

    The exception a signal raises can be swallowed where Python ignores
    exceptions (a fork callback, a ``__del__``): the run checks this too.
    """
    return _STOP[0] if _STOP else None


def check_stop() -> None:
    """Raise the stop signal's exception now if one was received (and swallowed)."""
    code = stop_requested()
    if code == SIGNAL_EXIT[signal.SIGINT]:
        raise KeyboardInterrupt
    if code is not None:
        raise Terminated(next(s for s, c in SIGNAL_EXIT.items() if c == code))


def _exit_after_grace(code: int, message: str) -> None:
    _MESSAGE[:] = [message]
    _STOP[:] = [code]

    def watchdog() -> None:
        time.sleep(_EXIT_GRACE)
        announce_stop()
        os._exit(code)

    threading.Thread(target=watchdog, name="wiretrace-exit-watchdog", daemon=True).start()


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While active, SIGINT/SIGTERM/SIGHUP stop the workers, then raise in
    the main process; the previous handlers come back afterwards. Only
    installs handlers from the main thread (elsewhere it does nothing).

    Meant for a program's main (the command line): once a stop signal has
    arrived, the process exits within ``_EXIT_GRACE`` seconds whatever it is
    waiting for, with the signal's code (:data:`SIGNAL_EXIT`).
    """
    global _PREEXISTING
    main_pid = os.getpid()
    _ANNOUNCED.clear()
    _STOP.clear()
    _PREEXISTING = _children_pids() | {child.pid for child in multiprocessing.active_children()}

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != main_pid:  # a forked worker
            if signum == signal.SIGINT:
                return  # Ctrl-C reached the whole process group; the main process stops us
            os._exit(SIGNAL_EXIT.get(signum, 1))
        stop_workers()
        _exit_after_grace(SIGNAL_EXIT.get(signum, 1), _describe(signum))
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)

    default_hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        # our own stop raised where Python cannot propagate it: no traceback, the run checks stop_requested()
        if not (_STOP and isinstance(info.exc_value, (KeyboardInterrupt, Terminated))):
            default_hook(info)

    previous = {}
    try:
        for signum in SIGNAL_EXIT:
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread
        pass
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        sys.unraisablehook = default_hook
        for signum, old in previous.items():
            signal.signal(signum, old)


def fork_map(func: Callable[[T], R], items: Sequence[T], workers: int, min_items: int = 2000) -> list[R]:
    """``[func(x) for x in items]``, on ``workers`` processes when it pays
    off: :meth:`wiretrace.executor.LocalExecutor.map`.

    Example:
        >>> fork_map(len, ["a", "bb", "ccc"], workers=2)
        [1, 2, 3]
    """
    return LocalExecutor(workers).map(func, items, min_items=min_items)
