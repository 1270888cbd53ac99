"""The verify stage: exact similarity of every candidate pair.

Candidates are hypotheses. A pair becomes a finding only when the exact
overlap of the two shingle sets passes one of two tests:

* **near-duplicate:** Jaccard ``|A & B| / |A | B| >= jaccard``, or
* **contained copy:** the share of the smaller document found in the
  larger, ``|A & B| / min(|A|, |B|) >= containment``, with at least
  ``min_shared`` shingles in common (so two short texts that happen to
  quote the same sentence are not a copy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["VerifiedPair", "intersection", "intersection_size", "verify_pairs"]


@dataclass(frozen=True)
class VerifiedPair:
    """A verified copy relation between documents ``a`` and ``b`` (indices, a < b)."""

    a: int
    b: int
    shared: int
    jaccard: float
    containment_a_in_b: float
    containment_b_in_a: float
    via: str  # which candidate source(s) proposed it: "lsh", "anchors" or "lsh+anchors"


def _found(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The smaller of two sorted arrays of distinct values, and which of its
    values the larger holds (binary search: cheaper than a merge sort)."""
    if len(x) > len(y):
        x, y = y, x
    if len(x) == 0 or len(y) == 0:
        return x, np.zeros(len(x), dtype=bool)
    pos = np.searchsorted(y, x)
    pos[pos == len(y)] = 0
    return x, y[pos] == x


def intersection_size(x: np.ndarray, y: np.ndarray) -> int:
    """Size of the intersection of two sorted arrays of distinct values.

    Example:
        >>> intersection_size(np.array([1, 3, 5, 7]), np.array([3, 4, 5]))
        2
    """
    return int(np.count_nonzero(_found(x, y)[1]))


def intersection(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Common values of two sorted arrays of distinct values, sorted.

    Example:
        >>> intersection(np.array([1, 3, 5, 7]), np.array([3, 4, 5])).tolist()
        [3, 5]
    """
    smaller, found = _found(x, y)
    return smaller[found]


def verify_pairs(
    sets: list[np.ndarray],
    candidates: np.ndarray,
    sources: np.ndarray,
    jaccard: float,
    containment: float,
    min_shared: int,
) -> list[VerifiedPair]:
    """Exact verification of candidate pairs.

    Args:
        sets: Sorted distinct shingle hashes per document.
        candidates: ``(m, 2)`` document index pairs, ``a < b``.
        sources: Candidate source label per pair.
        jaccard, containment, min_shared: Acceptance thresholds (module doc).

    Returns:
        The pairs that pass, in the order of ``candidates``.
    """
    found = []
    for (a, b), via in zip(candidates.tolist(), sources.tolist()):
        set_a, set_b = sets[a], sets[b]
        shared = intersection_size(set_a, set_b)
        if shared == 0:
            continue
        size_a, size_b = len(set_a), len(set_b)
        jac = shared / (size_a + size_b - shared)
        in_b, in_a = shared / size_a, shared / size_b
        if jac >= jaccard or (max(in_b, in_a) >= containment and shared >= min_shared):
            found.append(VerifiedPair(a, b, shared, jac, in_b, in_a, via))
    return found
