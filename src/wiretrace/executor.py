"""How a stage's work runs on one machine: in-process, or on forked workers.

Rule: every parallel step of wiretrace (reading HTML, fingerprinting,
credits, provenance, alignment, rendering) runs through this one policy,
:class:`LocalExecutor`; :class:`wiretrace.ray_executor.RayExecutor` is
the other implementation of the same two calls, on a Ray cluster.

* :meth:`LocalExecutor.window` -- tasks submitted one by one (a stream: a
  crawl is read as it comes), at most ``2 * workers`` in flight, results
  handed back **in submission order**, so the output never depends on
  which worker was faster. Memory stays flat however many tasks there are.
* :meth:`LocalExecutor.map` -- ``[func(x) for x in items]`` over a list
  already in memory, in chunks, on the workers when there are enough items
  to pay for a pool.
* :func:`fresh_process` -- one piece of work beside this process's own, in a
  process that shares no memory with it (a new interpreter), handed what it
  needs as a file (:class:`PassedFd`): the provenance graph's files are
  written so beside report.json.

The function and the data it reads (``shared``) are inherited by forked
workers, not pickled: a lambda works, and only the task (bounds, or a
chunk of pages) goes to a worker and only its result comes back. Where
``fork`` is not available, or with one worker, everything runs in-process
with the same results. A window that fails or is left early (an error, an
interrupt, a consumer that stops reading) cancels its queued tasks instead
of waiting for them; :mod:`wiretrace.parallel` stops running workers on a
signal.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from wiretrace.stages import return_freed_memory

__all__ = ["Fresh", "FreshError", "LocalExecutor", "PassedFd", "Window", "can_fork", "can_start_fresh", "fresh_process",
           "map_in_chunks", "no_cyclic_gc", "opened"]

#: Tasks in flight per worker: one running, one queued, so a worker never
#: waits for the main process to hand it the next task.
IN_FLIGHT_PER_WORKER = 2

#: Seconds a window stopped by a signal (KeyboardInterrupt, or another
#: exception that is not an ``Exception``: wiretrace.parallel's Terminated,
#: SystemExit) waits for its pool's manager thread to finish. The thread
#: closes its wake-up pipe as it ends; Python 3.11's exit hook writes to
#: that pipe without a lock, so a thread still ending at exit can make the
#: exit print a traceback (EBADF; seen after Ctrl-C, about one run in 25).
#: Joined here, it has ended before the exit hook runs. Bounded because a
#: worker killed mid-message can leave it waiting for ever (a stopped run
#: then exits by its watchdog, :mod:`wiretrace.parallel`); a window closed
#: by any other error does not wait (its running tasks may be long).
SETTLE_SECONDS = 2.0

_JOB: tuple[Callable[[Any, Any], Any], Any] | None = None  # (func, shared): inherited by forked workers
_FORKED_BY = 0  # pid of the process that forks the workers (inherited by them)


def _die_with_parent() -> None:
    """Worker start-up (Linux): be killed when the main process dies, even by
    ``kill -9`` -- a worker must never outlive the run that forked it."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: wiretrace.parallel stops workers on the signals it can catch
    if os.getppid() != _FORKED_BY:  # the parent died before the line above: nobody will signal
        os._exit(1)


def _exit_when_gone(pid: int) -> None:
    """Wait for process ``pid`` to end, then end this one (a fresh worker's watch)."""
    import select
    import time

    try:
        handle = os.pidfd_open(pid)  # Linux 5.3: readable once the process has ended
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # elsewhere: look twice a second
        while True:
            time.sleep(0.5)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:
                pass
    select.select([handle], [], [])
    os._exit(1)


def _fresh_worker(func: Callable[[Any, Any], Any], shared: Any, main: int, registries: Any) -> None:
    """Start-up of a fresh worker (:meth:`LocalExecutor.window`): its job
    arrives pickled, once, with the main process's user registries
    (:func:`wiretrace.registry.snapshot`: a fresh interpreter has only the
    packaged ones); a thread ends it when the main process ends. Its
    parent is the fork server, which stays while any of its children does
    (each holds the server's "alive" pipe), so neither the parent-death
    signal nor the server's own exit would end it after a ``kill -9`` of the
    main process."""
    import threading

    from wiretrace.registry import restore

    global _JOB
    threading.Thread(target=_exit_when_gone, args=(main,), daemon=True, name="wiretrace-watch").start()
    restore(registries)
    _JOB = (func, shared)


@contextmanager
def _without_main() -> Iterator[None]:
    """While fresh workers start: they do not run the main module again.

    A process that multiprocessing starts afresh first imports the main
    script (as ``__mp_main__``), so that functions defined there can be
    unpickled; a script without an ``if __name__ == "__main__":`` guard would
    run again in every worker (its whole scan), and code read from stdin
    cannot be imported at all. A fresh window's function and data are a
    module's, never the main script's (checked by the window), so the
    workers are started without that step: its entries are left out of
    what they are prepared with."""
    from multiprocessing import spawn

    original = spawn.get_preparation_data

    def prepared(name: str) -> dict[str, Any]:
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    spawn.get_preparation_data = prepared
    try:
        yield
    finally:
        spawn.get_preparation_data = original


def _call(task: Any) -> Any:
    assert _JOB is not None, "a worker runs only inside an executor's window"
    func, shared = _JOB
    _TRIM["busy_since"] = time.monotonic()
    try:
        return func(task, shared)
    finally:
        _TRIM["busy_since"] = None
        # what the task freed goes back to the OS: a worker's heap otherwise keeps the
        # high-water mark of its largest task (sets and texts read back from a spill)
        _trim_soon()


#: How often a worker hands its freed heap back between tasks: trimming after
#: every task took ~1.2 s of a 300,000-document scan's worker CPU (py-spy, ad
#: hoc), and the pages it returned were faulted in again by the next task; a
#: task's largest allocation is the same whether trimmed before or not. A trim
#: put off is made by a timer once TRIM_SECONDS have passed since the last one
#: and the worker is idle or its task has run TRIM_SECONDS (a worker idle at a
#: stage's end, or in a long task that allocates little, would otherwise keep
#: its last tasks' heap: ~250 MB each in an independent review's
#: reproduction); not in the middle of a short task, whose pages it would take.
TRIM_SECONDS = 1.0
# this worker's last trim (time.monotonic), a pending timer, and since when it runs a task
_TRIM: dict[str, Any] = {"last": 0.0, "timer": None, "busy_since": None}
_TRIM_LOCK = threading.Lock()


def _trim_soon() -> None:
    """Trim now if :data:`TRIM_SECONDS` have passed since the last trim, else
    once they have (a timer thread: at most one pending)."""
    with _TRIM_LOCK:
        wait = _TRIM["last"] + TRIM_SECONDS - time.monotonic()
        if wait > 0:
            _trim_later(wait)
            return
    _trim_now()


def _trim_later(wait: float) -> None:
    """Start the timer (under the lock), unless one is pending."""
    if _TRIM["timer"] is None:
        timer = threading.Timer(wait, _trim_late)
        timer.daemon = True
        _TRIM["timer"] = timer
        timer.start()


def _trim_late() -> None:
    """The timer's trim: now if the worker is idle or its task has run
    :data:`TRIM_SECONDS`, else when it will have (or when the task ends)."""
    with _TRIM_LOCK:
        _TRIM["timer"] = None
        busy_since = _TRIM["busy_since"]
        if busy_since is not None and (wait := busy_since + TRIM_SECONDS - time.monotonic()) > 0:
            _trim_later(wait)
            return
    _trim_now()


def _after_fork() -> None:
    """A forked child starts with no pending trim and an unheld lock (a timer
    thread of the parent's does not live on in it, and may have held the lock)."""
    global _TRIM_LOCK
    _TRIM_LOCK = threading.Lock()
    _TRIM["timer"] = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _trim_now() -> None:
    with _TRIM_LOCK:
        timer, _TRIM["timer"] = _TRIM["timer"], None
        if timer is not None:
            timer.cancel()  # this trim does its work
        return_freed_memory()
        _TRIM["last"] = time.monotonic()


def _map_chunk(bounds: tuple[int, int], job: tuple[Callable[[Any], Any], Sequence[Any]]) -> list[Any]:
    func, items = job
    return [func(items[i]) for i in range(*bounds)]


def can_fork() -> bool:
    """Whether workers can be forked here (Linux, macOS; not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def can_start_fresh() -> bool:
    """Whether :func:`fresh_process` runs here: a POSIX system, where a
    process can be started afresh and handed file descriptors."""
    return os.name == "posix" and "spawn" in multiprocessing.get_all_start_methods()


class PassedFd:
    """A file descriptor handed to a fresh process (:func:`fresh_process`):
    pickled while the process starts, it arrives there as that process's
    own descriptor of the same open file (``fd``)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __reduce__(self) -> tuple[Any, ...]:
        from multiprocessing import reduction

        return _received_fd, (reduction.DupFd(self.fd),)


def _received_fd(handle: Any) -> PassedFd:
    return PassedFd(handle.detach())


class FreshError(RuntimeError):
    """What a fresh process raised: its class's name (``kind``), its message,
    its traceback (``details``, as ``traceback`` formats it) and whether it
    was an ``OSError`` (a failing disk, not a bug)."""

    def __init__(self, kind: str, message: str, details: str = "", oserror: bool = False) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind, self.message, self.details, self.oserror = kind, message, details, oserror


#: Characters of a fresh process's message and traceback sent back (the
#: pipe holds 64 KB; what is longer is cut, never waited on).
_FRESH_REPORT_CHARS = 8000


class Fresh:
    """A fresh process at work (:func:`fresh_process`)."""

    def __init__(self, process: Any, results: Any) -> None:
        self.process, self._results = process, results

    def wait(self) -> None:
        """Wait for the process and raise what it raised, as a
        :class:`FreshError`; a process killed before it finished (the
        out-of-memory killer, ``kill -9``) is a :class:`ChildProcessError`
        that says so. What it says is read as soon as it says it, before the
        process is joined."""
        from multiprocessing.connection import wait

        outcome = None
        if self._results in wait([self._results, self.process.sentinel]) or self._results.poll():
            try:
                outcome = self._results.recv()
            except EOFError:  # it died before it could say anything
                outcome = None
        self.process.join()
        if outcome is not None:
            raise FreshError(*outcome)
        if self.process.exitcode != 0:
            raise ChildProcessError(f"the process died (exit code {self.process.exitcode})")


def _fresh_main(func: Callable[..., Any], results: Any, main: int, args: tuple[Any, ...]) -> None:
    """A fresh process: ``func(*args)``, then what it raised (kind, message,
    traceback) or None through ``results``; it ends when the main process does."""
    import threading
    import traceback

    threading.Thread(target=_exit_when_gone, args=(main,), daemon=True, name="wiretrace-watch").start()
    outcome = None
    try:
        func(*args)
    except BaseException as exc:  # noqa: BLE001 -- reported to the main process, which raises it
        message = str(exc)[:_FRESH_REPORT_CHARS]
        frames = "".join(traceback.format_tb(exc.__traceback__))[-_FRESH_REPORT_CHARS:]
        details = f"Traceback (most recent call last):\n{frames}{type(exc).__name__}: {message[:500]}"
        outcome = (type(exc).__name__, message, details, isinstance(exc, OSError))
    results.send(outcome)
    results.close()
    if outcome is not None:
        os._exit(1)


@contextmanager
def fresh_process(func: Callable[..., Any], *args: Any) -> Iterator[Fresh]:
    """A fresh process (a new interpreter: it shares no memory with this
    one) running ``func(*args)`` beside this one.

    For work on something this process can hand over quickly -- written to
    a file, passed as a descriptor (:class:`PassedFd`) -- and no longer
    needs. A forked process would share this one's memory instead, and
    every page either process then writes, reading an object included (its
    reference count), is copied: at 1M documents, a forked writer of the
    provenance graph beside report.json's writing took the process tree's
    peak from 2.8 to 5.1 GB (``bench_interleaved.py``, one pair). It is
    started with multiprocessing's ``spawn``, which needs no server and no
    socket; after a ``kill -9`` of this process its watch ends it, and the
    resource tracker ``spawn`` starts once per process ends with this one.

    ``func`` must be a module's function (the process does not run the main
    script) and ``args`` picklable. :meth:`Fresh.wait` waits for it; leaving
    the block with an error kills it. An error starting it is raised here.

    Example:
        >>> with fresh_process(sorted, [3, 1, 2]) as fresh:
        ...     fresh.wait()
    """
    if getattr(func, "__module__", None) == "__main__":
        raise ValueError("a fresh process's function must be importable from a module, not the main script's")
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_fresh_main, args=(func, send, os.getpid(), args), name="wiretrace-fresh",
                              daemon=True)
    try:
        with _without_main():
            process.start()
    except BaseException:
        receive.close()
        raise
    finally:
        send.close()
    try:
        yield Fresh(process, receive)
    except BaseException:
        process.kill()
        raise
    finally:
        process.join()
        receive.close()


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a scan, or while outputs are written.

    A scan allocates millions of small objects (words, lines, records) and
    frees none in cycles; the collector's full passes over them cost about
    10% of a 50,000-document scan (measured), for nothing to collect.
    Reference counting still frees everything as usual. Workers forked
    meanwhile inherit the pause: a collection in a worker writes into every
    object it visits, which copies the parent's pages into the worker
    (measured while writing a 100,000-document report: the process tree's
    peak 1.62 -> 1.46 GB, two runs each).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Window:
    """Tasks in flight on an executor's workers (see :meth:`LocalExecutor.window`)."""

    def __init__(self, func: Callable[[Any, Any], Any], shared: Any, workers: int, fresh: bool = False) -> None:
        self._func, self._shared, self.workers, self._fresh = func, shared, workers, fresh
        self._started: Any = None  # a fresh window's _without_main, entered while its workers may start
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque = deque()
        self._previous: tuple[Callable[[Any, Any], Any], Any] | None = None

    def submit(self, task: Any) -> list[Any]:
        """Queue ``task``; returns the results now due, in submission order
        (in-process: this task's own result at once)."""
        if self.workers <= 1:
            return [self._func(task, self._shared)]
        if self._pool is None and self._fresh:
            from wiretrace.registry import snapshot

            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([self._func.__module__])  # imported once, by the server
            self._started = _without_main()
            self._started.__enter__()  # until the window closes: a worker may be started at any submit
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                             initializer=_fresh_worker,
                                             initargs=(self._func, self._shared, os.getpid(), snapshot()))
        if self._pool is None:
            global _JOB, _FORKED_BY
            self._previous, _JOB = _JOB, (self._func, self._shared)  # set before the pool forks its workers
            _FORKED_BY = os.getpid()
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_die_with_parent)
        self._pending.append(self._pool.submit(_call, task))
        done = []
        while len(self._pending) >= IN_FLIGHT_PER_WORKER * self.workers:
            done.append(self._pending.popleft().result())
        return done

    def drain(self) -> Iterator[Any]:
        """The results still due, in submission order."""
        while self._pending:
            yield self._pending.popleft().result()

    def _close(self, failed: bool, stopped: bool = False) -> None:
        global _JOB
        if self._pool is not None:
            # on an error or an early exit, queued tasks are cancelled, not waited for
            manager = getattr(self._pool, "_executor_manager_thread", None)
            try:
                self._pool.shutdown(wait=not failed, cancel_futures=True)
                if stopped and manager is not None:
                    manager.join(SETTLE_SECONDS)  # SETTLE_SECONDS says why
            finally:
                self._pool = None
                if self._started is not None:
                    self._started.__exit__(None, None, None)
                    self._started = None
            if not self._fresh:
                _JOB = self._previous
        self._pending.clear()


class LocalExecutor:
    """Runs a stage's tasks on this machine (module doc).

    Example:
        >>> LocalExecutor(workers=2).map(len, ["a", "bb", "ccc"], min_items=1)
        [1, 2, 3]
    """

    def __init__(self, workers: int = 1) -> None:
        if workers < 0:
            raise ValueError(f"workers must be >= 0, got {workers}")
        self.workers = max(1, workers) if can_fork() else 1

    @contextmanager
    def window(self, func: Callable[[Any, Any], Any], shared: Any = None, *, fresh: bool = False) -> Iterator[Window]:
        """A window of tasks run as ``func(task, shared)`` (module doc).

        With ``fresh``, the workers share no memory with this process: a
        fork server (a small process of its own, started once) forks them,
        and ``func`` (a module's function) and ``shared`` are pickled to
        each worker once; tasks and results go as always. For a large
        process: after a fork, every page that either process writes is
        copied -- and reading an object is a write (its reference count) --
        so a process that goes on reading its own data beside forked workers
        doubles what it reads.

        Example:
            >>> with LocalExecutor(2).window(lambda task, shared: shared[task], [1, 2, 3]) as window:
            ...     out = [r for t in range(3) for r in window.submit(t)]
            ...     out += list(window.drain())
            >>> out
            [1, 2, 3]
        """
        fresh = fresh and "forkserver" in multiprocessing.get_all_start_methods()
        if fresh and getattr(func, "__module__", None) == "__main__":
            raise ValueError("a fresh window's function must be importable from a module, not the main script's "
                             "(its workers do not run the main script)")
        with opened(Window(func, shared, self.workers, fresh)) as window:
            yield window

    def map(self, func: Callable[[Any], Any], items: Sequence[Any], *, min_items: int = 2000) -> list[Any]:
        """``[func(x) for x in items]``, on the workers when ``items`` has at
        least ``min_items`` (below that a pool costs more than it saves)."""
        if self.workers <= 1 or len(items) < min_items:
            return [func(x) for x in items]
        return map_in_chunks(self, func, items)


@contextmanager
def opened(window: Any) -> Iterator[Any]:
    """A window (of any executor: ``_close(failed, stopped)``) in use: on an
    error or an early exit its queued tasks are cancelled, not waited for."""
    try:
        yield window
    except BaseException as exc:
        # stopped: a signal's exception (not an Exception, not a generator closed early; SETTLE_SECONDS)
        window._close(True, stopped=not isinstance(exc, (Exception, GeneratorExit)))
        raise
    window._close(False)


def map_in_chunks(executor: Any, func: Callable[[Any], Any], items: Sequence[Any], *,
                  ship: bool = False) -> list[Any]:
    """``[func(x) for x in items]`` through ``executor``'s window, in chunks
    of an eighth of a worker's share, in order. A task is a chunk's bounds
    into ``items``, which forked workers inherit; with ``ship`` (workers in
    other processes or machines, as Ray's), a task carries its chunk of
    items, so that a worker receives only those it works on."""
    chunk = max(len(items) // (executor.workers * 8), 1)
    out: list[Any] = []
    job, shared = (_apply_chunk, func) if ship else (_map_chunk, (func, items))
    with executor.window(job, shared) as window:
        for start in range(0, len(items), chunk):
            end = min(start + chunk, len(items))
            for part in window.submit(list(items[start:end]) if ship else (start, end)):
                out.extend(part)
        for part in window.drain():
            out.extend(part)
    return out


def _apply_chunk(chunk: Sequence[Any], func: Callable[[Any], Any]) -> list[Any]:
    return [func(x) for x in chunk]
