"""How a stage's work runs on a Ray cluster: the executor's two calls, on Ray.

Rule: :class:`RayExecutor` offers what :class:`wiretrace.executor.LocalExecutor`
offers -- :meth:`~RayExecutor.window` and :meth:`~RayExecutor.map` -- with
the same results **in the same order**, so the plan run on Ray writes the
report a local run writes (``tests/test_ray.py`` compares them). Every
parallel step goes through these two calls: reading HTML and WARC pages,
fingerprinting, credits, provenance and alignment.

* The function and the data it reads (``shared``) go to Ray's object store
  once per window (``ray.put``), and every task fetches ``shared``: it must
  be small. Ray's workers inherit nothing from the driver
  (:attr:`RayExecutor.remote`), so a step's tasks carry their own data --
  a chunk of pages, of texts to fingerprint -- and :meth:`RayExecutor.map`
  sends each chunk of items with its task, so the steps whose items carry
  their own data (credits, provenance, alignment: a cluster's documents)
  ship each to one worker, never the whole corpus.
* At most ``2 * workers`` tasks are in flight, results are taken oldest
  first: memory stays flat and the output never depends on which worker
  was faster. A window that fails or is left early cancels what it queued.
* ``workers`` is the cluster's CPU count.
* The user registries active in the driver (``--registry``) go with each
  window and are made active in the worker before its tasks run: a worker
  is a fresh process that may not even see the driver's files.
* **Group-by-key steps run on Ray Data** (:meth:`RayExecutor.group`): the
  clean step's lines per site, and the candidates step's LSH buckets per
  band key and anchors per value, are
  ``map_batches`` (each batch of documents makes its keyed rows) then
  ``groupby(partition).map_groups`` (all rows of a partition of keys meet
  in one call, wherever they were made), so no process needs every row.
  The local executor makes the same partitions from the shared data
  instead (:func:`wiretrace.candidates.anchor_candidates`), and counts a
  scan's lines in one process.
* Map steps stay Ray tasks rather than Ray Data ``map_batches``: their
  results are Python objects (wire markers, leftover text, credit
  readings) that Arrow blocks would only pickle, and a bounded window read
  in submission order already gives what ``map_batches`` would -- results
  streamed, back-pressure, an output order that does not depend on timing.
  The group steps are where Ray Data's shuffle earns its place.

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

import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from wiretrace.errors import ConfigError
from wiretrace.executor import IN_FLIGHT_PER_WORKER, map_in_chunks, opened
from wiretrace.registry import restore, snapshot

__all__ = ["RayExecutor", "RayWindow", "connect"]

#: A column of a group step's batch: a 1-D array (a value per row), a 2-D
#: array (a fixed-width row of values) or ``(flat, sizes)`` (rows of varying
#: length, end to end).
Column = Any

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

    def _close(self, failed: bool, stopped: bool = False) -> None:
        # ``stopped`` (a signal's exception) changes nothing here: no thread of ours is left behind
        if failed:
            for ref in self._pending:
                self._ray.cancel(ref, force=True)
        self._pending.clear()


class RayExecutor:
    """Runs a stage's tasks on a Ray cluster (module doc). Make one with
    :func:`connect`; ``workers`` is the cluster's CPU count."""

    #: Its workers are other processes, maybe on other machines, that inherit
    #: nothing from this one: a step's tasks carry their own data (a chunk of
    #: texts, not the corpus), and group steps move rows between processes by
    #: key (Ray Data's groupby) rather than each worker reading the shared data.
    remote = True

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


    def group(self, batches: Iterable[dict[str, Column]],
              emit: Callable[[dict[str, Column], Any], dict[str, np.ndarray]],
              reduce: Callable[[dict[str, np.ndarray], Any], dict[str, np.ndarray]], *, shared: Any = None,
              parts: int = 1) -> dict[str, np.ndarray]:
        """A group-by-key step on Ray Data.

        Each batch (columns of equal length, see :data:`Column`) goes to the
        object store as it comes; ``emit(batch, shared)`` turns it into keyed
        rows (1-D columns, among them ``part``: the partition of the row's
        key) with ``map_batches``; ``groupby("part").map_groups`` hands all
        rows of one partition to one ``reduce(rows, shared=shared)`` call, in no
        set order. The calls' rows, concatenated in no set order: callers
        combine them by an order-free operation (``np.unique``, sums). An
        empty dict when no row was made. ``emit`` and ``reduce`` must be
        functions the workers can import from a module, or be defined inside
        another function (Ray then ships them by value).
        """
        ray = _ray()
        import ray.data

        refs = [ray.put(_to_arrow(batch)) for batch in batches]
        if not refs:
            return {}
        with _data_settings(ray.data):
            rows = ray.data.from_arrow_refs(refs).map_batches(
                _emit_batch, batch_format="pyarrow", batch_size=None, fn_kwargs={"emit": emit, "shared": shared})
            try:
                grouped = rows.groupby("part", num_partitions=max(1, parts))
            except TypeError:  # a Ray older than the hash shuffle's partition count
                grouped = rows.groupby("part")
            found = grouped.map_groups(reduce, batch_format="numpy", fn_kwargs={"shared": shared})
            out = list(found.iter_batches(batch_format="numpy", batch_size=None))
        out = [batch for batch in out if batch]
        return {name: np.concatenate([batch[name] for batch in out]) for name in out[0]} if out else {}


def _to_arrow(batch: dict[str, Column]) -> Any:
    import pyarrow as pa

    columns = {}
    for name, column in batch.items():
        if isinstance(column, tuple):  # rows of varying length
            flat, sizes = column
            offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
            columns[name] = pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(flat))
        elif column.ndim == 2:  # fixed-width rows
            columns[name] = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(column).ravel()),
                                                              column.shape[1])
        else:
            columns[name] = pa.array(column)
    return pa.table(columns)


def _from_arrow(table: Any) -> dict[str, Column]:
    """A batch's columns as numpy again, in the forms :func:`_to_arrow` took."""
    import pyarrow as pa

    batch: dict[str, Column] = {}
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        if pa.types.is_fixed_size_list(column.type):
            batch[name] = column.flatten().to_numpy(zero_copy_only=False).reshape(len(column), column.type.list_size)
        elif pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            batch[name] = (column.flatten().to_numpy(zero_copy_only=False),
                           column.value_lengths().to_numpy(zero_copy_only=False).astype(np.int64))
        else:
            batch[name] = column.to_numpy(zero_copy_only=False)
    return batch


def _emit_batch(table: Any, emit: Callable[..., dict[str, np.ndarray]], shared: Any) -> Any:
    return _to_arrow(emit(_from_arrow(table), shared))


@contextmanager
def _data_settings(data: Any) -> Iterator[None]:
    """Ray Data as a group step runs it, the caller's settings restored after:

    * without progress bars and start/finish lines on the terminal (a scan
      prints its own progress; Ray's logs stay in its folder);
    * the sort-based shuffle: a step groups by partition (as many as
      workers, or more for memory), a few keys, where Ray Data's default
      shuffle (in Ray 2.60, a hash shuffle with aggregator actors) starts
      its actors for every dataset. On this 2-CPU machine the sort shuffle
      ran 20,000 documents' anchor step several times faster than the
      default (an ad hoc comparison, the reason for the choice, not a
      benchmark).
    """
    context = data.DataContext.get_current()
    logger = logging.getLogger("ray.data")
    saved = context.enable_progress_bars, getattr(context, "shuffle_strategy", None), logger.level
    logger.setLevel(logging.ERROR)
    context.enable_progress_bars = False
    strategy = getattr(getattr(data.context, "ShuffleStrategy", None), "SORT_SHUFFLE_PULL_BASED", None)
    if strategy is not None:
        context.shuffle_strategy = strategy
    try:
        yield
    finally:
        context.enable_progress_bars = saved[0]
        if strategy is not None:
            context.shuffle_strategy = saved[1]
        logger.setLevel(saved[2])


@contextmanager
def connect(address: str | None = None, workers: int = 0) -> Iterator[RayExecutor]:
    """A :class:`RayExecutor` on the Ray at ``address`` (``"auto"``,
    ``"ray://host:10001"``), or on a local Ray started here with ``workers``
    CPUs (0: one per core). A Ray already started in this process (a
    notebook's, a test's) is used as it is. A Ray started here is stopped
    on leaving."""
    ray = _ray()
    try:  # the group steps need Ray Data (and its pyarrow): say so now, not after reading the corpus
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"{INSTALL_HINT} (Ray Data is missing: {exc})") from exc
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
