"""Map a function over many items on forked worker processes, and stop
every worker when the run is interrupted.

The function and the items are inherited by the forked workers, not
pickled: only chunk bounds go to the workers and only results come back.
Where ``fork`` is not available, or the work is small, it runs in-process.

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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["fork_map", "stop_workers", "stop_on_signals", "Terminated", "SIGNAL_EXIT"]

T = TypeVar("T")
R = TypeVar("R")

_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None
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


def _run(bounds: tuple[int, int]) -> list[Any]:
    assert _JOB is not None
    func, items = _JOB
    return [func(items[i]) for i in range(*bounds)]


def stop_workers(grace: float = _STOP_GRACE) -> int:
    """Terminate every worker process this process started; returns how many.

    Each gets SIGTERM, then SIGKILL if it is still there after ``grace`` seconds.
    """
    from multiprocessing.connection import wait

    children = multiprocessing.active_children()
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


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While active, SIGINT/SIGTERM/SIGHUP stop the workers, then raise in
    the main process; the previous handlers come back afterwards. Only
    installs handlers from the main thread (elsewhere it does nothing)."""
    main_pid = os.getpid()

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != main_pid:  # a forked worker
            if signum == signal.SIGINT:
                return  # Ctrl-C reached the whole process group; the main process stops us
            os._exit(SIGNAL_EXIT.get(signum, 1))
        stop_workers()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)

    previous = {}
    try:
        for signum in SIGNAL_EXIT:
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def fork_map(func: Callable[[T], R], items: Sequence[T], workers: int, min_items: int = 2000) -> list[R]:
    """``[func(x) for x in items]``, on ``workers`` processes when it pays off.

    Example:
        >>> fork_map(len, ["a", "bb", "ccc"], workers=2)
        [1, 2, 3]
    """
    global _JOB
    if workers <= 1 or len(items) < min_items or "fork" not in multiprocessing.get_all_start_methods():
        return [func(x) for x in items]
    chunk = max(len(items) // (workers * 8), 1)
    bounds = [(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]
    _JOB = (func, items)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    try:
        results = [result for part in pool.map(_run, bounds) for result in part]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # do not wait for queued work on an error
        raise
    else:
        pool.shutdown()
        return results
    finally:
        _JOB = None
