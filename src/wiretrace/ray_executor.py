"""How a stage's work runs on a Ray cluster: the executor's two calls, on Ray.

Rule: :class:`RayExecutor` offers what :class:`wiretrace.executor.LocalExecutor`
offers -- :meth:`~RayExecutor.window` and :meth:`~RayExecutor.map` -- with
the same results **in the same order**, so the plan run on Ray writes the
report a local run writes (``tests/test_ray.py`` compares them). Every
parallel step goes through these two calls: reading HTML and WARC pages,
fingerprinting, credits, provenance and alignment.

* The function and the data it reads (``shared``) go to Ray's object store
  once per window (``ray.put``); a task carries only its bounds or its
  chunk of pages, as with forked workers. :meth:`RayExecutor.map` sends
  each chunk of items with its task, so the steps whose items carry their
  own data (credits, provenance, alignment: a cluster's documents) ship
  each to one worker, never the whole corpus.
* At most ``2 * workers`` tasks are in flight, results are taken oldest
  first: memory stays flat and the output never depends on which worker
  was faster. A window that fails or is left early cancels what it queued.
* ``workers`` is the cluster's CPU count.
* The user registries active in the driver (``--registry``) go with each
  window and are made active in the worker before its tasks run: a worker
  is a fresh process that may not even see the driver's files.

Ray is an optional extra (``pip install 'wiretrace[ray]'``). :func:`connect`
starts a local Ray (``address=None``, with ``workers`` CPUs) or joins a
running one (``"auto"``, ``"ray://host:10001"``); a Ray wiretrace started
is stopped when the run ends, one it joined is left running (this
process disconnects from it). Nothing is sent anywhere the user did not
name: Ray's usage statistics are switched off (``RAY_USAGE_STATS_ENABLED=0``)
before Ray starts, and its dashboard is not started. A local Ray's
processes listen on every interface of the machine, as Ray's always do
(the Ray it was tested with, 2.60, asks for a token); on a shared network, run it behind a
firewall or join a cluster that is set up for it. Workers of a remote cluster need wiretrace installed (the
same version), as any Ray job needs its code.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from wiretrace.errors import ConfigError
from wiretrace.executor import IN_FLIGHT_PER_WORKER, map_in_chunks, opened
from wiretrace.registry import restore, snapshot

__all__ = ["RayExecutor", "RayWindow", "connect"]

INSTALL_HINT = "the Ray engine needs Ray: pip install 'wiretrace[ray]'"

_TASK: Any = None  # the remote function, made once per process


def _ray() -> Any:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no telemetry, before Ray is imported
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(INSTALL_HINT) from exc
    return ray


def _remote() -> Any:
    global _TASK
    if _TASK is None:
        ray = _ray()

        def run(job: tuple[Callable[[Any, Any], Any], Any], shared: Any, task: Any) -> Any:
            func, registries = job
            restore(registries)  # the user registries of the driver, whose files a worker may not see
            return func(task, shared)

        _TASK = ray.remote(run)
    return _TASK


class RayWindow:
    """Tasks in flight on the cluster (see :meth:`RayExecutor.window`)."""

    def __init__(self, func: Callable[[Any, Any], Any], shared: Any, workers: int) -> None:
        ray = _ray()
        self._ray = ray
        self.workers = workers
        # once, not with every task: the function, the driver's user registries, the data
        self._func, self._shared = ray.put((func, snapshot())), ray.put(shared)
        self._pending: deque = deque()

    def submit(self, task: Any) -> list[Any]:
        """Queue ``task``; returns the results now due, in submission order."""
        self._pending.append(_remote().remote(self._func, self._shared, task))
        done = []
        while len(self._pending) >= IN_FLIGHT_PER_WORKER * self.workers:
            done.append(self._ray.get(self._pending.popleft()))
        return done

    def drain(self) -> Iterator[Any]:
        """The results still due, in submission order."""
        while self._pending:
            yield self._ray.get(self._pending.popleft())

    def _close(self, failed: bool) -> None:
        if failed:
            for ref in self._pending:
                self._ray.cancel(ref, force=True)
        self._pending.clear()


class RayExecutor:
    """Runs a stage's tasks on a Ray cluster (module doc). Make one with
    :func:`connect`; ``workers`` is the cluster's CPU count."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"a Ray cluster with no CPU runs nothing (workers = {workers})")
        self.workers = workers

    @contextmanager
    def window(self, func: Callable[[Any, Any], Any], shared: Any = None) -> Iterator[RayWindow]:
        """A window of tasks run as ``func(task, shared)`` on the cluster."""
        with opened(RayWindow(func, shared, self.workers)) as window:
            yield window

    def map(self, func: Callable[[Any], Any], items: Sequence[Any], *, min_items: int = 2000) -> list[Any]:
        """``[func(x) for x in items]``, on the cluster when ``items`` has at
        least ``min_items`` (below that, in this process: a task's round trip
        costs more than it saves)."""
        if len(items) < min_items:
            return [func(x) for x in items]
        # each task carries its own chunk of items: a worker receives those it
        # works on, not the whole list (a step whose items carry their cluster's
        # data ships each cluster once, to one worker)
        return map_in_chunks(self, func, items, ship=True)


@contextmanager
def connect(address: str | None = None, workers: int = 0) -> Iterator[RayExecutor]:
    """A :class:`RayExecutor` on the Ray at ``address`` (``"auto"``,
    ``"ray://host:10001"``), or on a local Ray started here with ``workers``
    CPUs (0: one per core). A Ray already started in this process (a
    notebook's, a test's) is used as it is. A Ray started here is stopped
    on leaving."""
    ray = _ray()
    started = False
    if not ray.is_initialized():
        try:
            if address:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
            else:
                ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"cannot start or reach Ray{f' at {address}' if address else ''}: {exc}") from exc
        started = True
    try:
        yield RayExecutor(max(1, int(ray.cluster_resources().get("CPU", 1))))
    finally:
        if started:
            ray.shutdown()
