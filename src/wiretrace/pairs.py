"""Vectorised helpers for turning groups of documents into candidate pairs."""

from __future__ import annotations

import numpy as np

__all__ = ["group_pairs", "pair_keys", "split_keys"]


def group_pairs(members: np.ndarray, group_starts: np.ndarray, group_sizes: np.ndarray, max_group: int) -> np.ndarray:
    """All pairs within each group, as an ``(m, 2)`` int64 array with ``a < b``.

    ``members[group_starts[g] : group_starts[g] + group_sizes[g]]`` are the
    (sorted, distinct) documents of group ``g``. A group larger than
    ``max_group`` would add a quadratic number of pairs; it contributes a
    star around its first member plus a chain instead, which still connects
    all its members for clustering while staying linear.
    """
    small = group_sizes <= max_group
    starts, sizes = group_starts[small], group_sizes[small]
    # Position p of a group of size s pairs with the s - (p - start) - 1
    # positions after it.
    positions = np.repeat(starts, sizes) + _ranges(sizes)
    following = np.repeat(starts + sizes, sizes) - positions - 1
    left = np.repeat(positions, following)
    right = left + 1 + _ranges(following)
    pairs = [np.stack([members[left], members[right]], axis=1)]
    for start, size in zip(group_starts[~small].tolist(), group_sizes[~small].tolist()):
        group = members[start : start + size]
        star = np.stack([np.full(size - 1, group[0]), group[1:]], axis=1)
        chain = np.stack([group[1:-1], group[2:]], axis=1)
        pairs.extend([star, chain])
    return np.concatenate(pairs).astype(np.int64, copy=False) if pairs else np.empty((0, 2), dtype=np.int64)


def _ranges(sizes: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s)`` for each ``s`` in ``sizes``."""
    total = int(sizes.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.arange(total, dtype=np.int64) - offsets


def pair_keys(pairs: np.ndarray, n: int) -> np.ndarray:
    """Encode ``(a, b)`` pairs (``a < b < n``) as single int64 keys."""
    return pairs[:, 0].astype(np.int64) * n + pairs[:, 1]


def split_keys(keys: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`pair_keys`."""
    return np.stack([keys // n, keys % n], axis=1)
