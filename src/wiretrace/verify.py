"""The verify stage: exact similarity of every candidate pair.

Candidates are hypotheses. A pair becomes a finding only when the exact
overlap of the two shingle sets passes one of two tests:

* **near-duplicate:** Jaccard ``|A & B| / |A | B| >= jaccard``, or
* **contained copy:** the share of the smaller document found in the
  larger, ``|A & B| / min(|A|, |B|) >= containment``, with at least
  ``min_shared`` shingles in common (so two short texts that happen to
  share a sentence are not a copy), **and quotes never make it:** the two
  documents' *free* shingles ``A'`` and ``B'``, the ones they have outside
  quotation marks, captions, embedded tweets and statements
  (:mod:`wiretrace.quotes`), must show the copy too: at least
  ``min_shared`` of them shared, and ``|A' & B'| / min(|A'|, |B'|) >=``
  :data:`FREE_CONTAINMENT`. Independent reports of one event share quotes,
  statements and captions all the time; only what the writers wrote
  themselves is evidence that one copied the other. For documents without
  quotes the free shingles are all the shingles and the first test
  implies the second.

The reported similarities (``shared``, ``jaccard``, the containments) are
those of the whole sets, quotes included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["VerifiedPair", "intersection", "intersection_size", "verify_pairs", "FREE_CONTAINMENT"]

# Share of the smaller document's free (unquoted) shingles that must be in
# the other's for a contained copy: half the containment threshold. A
# copier reproduces quotes verbatim but edits the narrative around them, so
# the free containment of a genuine trimmed repost runs well below its
# whole-text containment: on the ECB+ reposts down to 0.40 where the whole
# text gives 0.70 (0.51-0.56 for three more). Two reports sharing only
# quoted statements keep little beyond the quotes (0.22 on ECB+, about 0 in
# the tests), and must also fall short of ``min_shared`` free shingles.
FREE_CONTAINMENT = 0.3


@dataclass(frozen=True, slots=True)
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
    free_sets: list[np.ndarray] | None = None,
    rejected: list[tuple[int, int]] | None = None,
    rejected_min_shared: int = 1,
) -> list[VerifiedPair]:
    """Exact verification of candidate pairs.

    Args:
        sets: Sorted distinct shingle hashes per document.
        candidates: ``(m, 2)`` document index pairs, ``a < b``.
        sources: Candidate source label per pair.
        jaccard, containment, min_shared: Acceptance thresholds (module doc).
        free_sets: Per document, its shingles outside quotes (sorted,
            distinct; the array of ``sets`` itself when it has no quotes).
        rejected: When given, the pairs that fail both tests but share at
            least ``rejected_min_shared`` shingles are appended to it (the
            candidates for passages, :mod:`wiretrace.passages`).

    Returns:
        The pairs that pass, in the order of ``candidates``.

    Example:
        >>> quote = np.arange(100, 160, dtype=np.uint64)  # a statement both quote
        >>> a, b = np.arange(0, 40, dtype=np.uint64), np.arange(200, 240, dtype=np.uint64)
        >>> sets = [np.concatenate([a, quote]), np.concatenate([quote, b])]
        >>> pairs, via = np.array([[0, 1]]), np.array(["anchors"])
        >>> len(verify_pairs(sets, pairs, via, 0.5, 0.6, 30))
        1
        >>> verify_pairs(sets, pairs, via, 0.5, 0.6, 30, free_sets=[a, b])
        []
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
        if jac >= jaccard or _contained(shared, in_b, in_a, a, b, sets, free_sets, containment, min_shared):
            found.append(VerifiedPair(a, b, shared, jac, in_b, in_a, via))
        elif rejected is not None and shared >= rejected_min_shared:
            rejected.append((a, b))
    return found


def _whole(free_sets: Sequence[np.ndarray], sets: Sequence[np.ndarray], i: int) -> bool:
    """Whether document ``i``'s free set is its whole set (it has no quotes):
    the same array in lists, the same row in spilled columns (wiretrace.spill)."""
    shares_row = getattr(free_sets, "shares_row", None)
    return shares_row(sets, i) if shares_row is not None else free_sets[i] is sets[i]


def _contained(
    shared: int, in_b: float, in_a: float, a: int, b: int, sets: list[np.ndarray],
    free_sets: list[np.ndarray] | None, containment: float, min_shared: int,
) -> bool:
    """The contained-copy test (module doc): on the whole sets, then on the
    free shingles where they differ from the sets."""
    if max(in_b, in_a) < containment or shared < min_shared:
        return False
    if free_sets is None or (_whole(free_sets, sets, a) and _whole(free_sets, sets, b)):
        return True
    free_a, free_b = free_sets[a], free_sets[b]
    smaller = min(len(free_a), len(free_b))
    if smaller == 0:
        return False
    free_shared = intersection_size(free_a, free_b)
    return free_shared >= min_shared and free_shared / smaller >= FREE_CONTAINMENT
