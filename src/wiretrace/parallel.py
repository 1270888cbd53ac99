"""Map a function over many items on forked worker processes.

The function and the items are inherited by the forked workers, not
pickled: only chunk bounds go to the workers and only results come back.
Where ``fork`` is not available, or the work is small, it runs in-process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["fork_map"]

T = TypeVar("T")
R = TypeVar("R")

_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _run(bounds: tuple[int, int]) -> list[Any]:
    assert _JOB is not None
    func, items = _JOB
    return [func(items[i]) for i in range(*bounds)]


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
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return [result for part in pool.map(_run, bounds) for result in part]
    finally:
        _JOB = None
