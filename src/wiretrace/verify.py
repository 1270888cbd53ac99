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

A batch of pairs is intersected at once (:func:`intersection_sizes`: numba's
merge kernel where :func:`wiretrace.compiled.use_for_pairs` says so, numpy's
binary search pair by pair otherwise) and the tests are array operations;
only the pairs that pass become objects. ``tests/test_verify.py`` pins this
to the plain pair-by-pair rule above.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wiretrace import compiled
from wiretrace.spill import set_sizes

__all__ = ["VerifiedPair", "intersection", "intersection_size", "intersection_sizes", "verify_pairs",
           "FREE_CONTAINMENT", "GATHER_PAIRS"]

# Share of the smaller document's free (unquoted) shingles that must be in
# the other's for a contained copy: half the containment threshold. A
# copier reproduces quotes verbatim but edits the narrative around them, so
# the free containment of a genuine trimmed repost runs well below its
# whole-text containment: on the ECB+ reposts down to 0.40 where the whole
# text gives 0.70 (0.51-0.56 for three more). Two reports sharing only
# quoted statements keep little beyond the quotes (0.22 on ECB+, about 0 in
# the tests), and must also fall short of ``min_shared`` free shingles.
FREE_CONTAINMENT = 0.3
#: Pairs whose sets are gathered into one array for the compiled kernel at a
#: time: at most twice this many sets (~5 KB each for 600 words: ~80 MB at
#: most), read from a spilled column row by row as before.
GATHER_PAIRS = 8192


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


def intersection_sizes(sets: Sequence[np.ndarray], pairs: np.ndarray) -> np.ndarray:
    """:func:`intersection_size` of ``sets[a]`` and ``sets[b]`` for each row
    ``(a, b)`` of ``pairs`` (int64): the compiled kernel over the pairs'
    sets gathered :data:`GATHER_PAIRS` pairs at a time, or numpy pair by pair.

    Example:
        >>> sets = [np.array([1, 3, 5, 7]), np.array([3, 4, 5]), np.array([7])]
        >>> intersection_sizes(sets, np.array([[0, 1], [0, 2], [1, 2]])).tolist()
        [2, 1, 0]
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if not compiled.use_for_pairs(len(pairs)):
        return np.fromiter((intersection_size(sets[a], sets[b]) for a, b in pairs.tolist()), dtype=np.int64,
                           count=len(pairs))
    out = np.empty(len(pairs), dtype=np.int64)
    for start in range(0, len(pairs), GATHER_PAIRS):
        part = pairs[start:start + GATHER_PAIRS]
        rows, local = np.unique(part, return_inverse=True)
        gathered = [np.asarray(sets[r], dtype=np.uint64) for r in rows.tolist()]
        starts = np.zeros(len(gathered) + 1, dtype=np.int64)
        np.cumsum([len(g) for g in gathered], out=starts[1:])
        flat = np.concatenate(gathered) if gathered else np.empty(0, dtype=np.uint64)
        local = local.reshape(-1, 2)
        out[start:start + len(part)] = compiled.intersection_sizes(flat, starts, local[:, 0], local[:, 1])
    return out


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
    candidates = np.asarray(candidates, dtype=np.int64).reshape(-1, 2)
    if not len(candidates):
        return []
    left, right = candidates[:, 0], candidates[:, 1]
    shared = intersection_sizes(sets, candidates)
    sizes = set_sizes(sets)  # a spilled column knows them without reading a row
    size_a, size_b = sizes[left], sizes[right]
    some = shared > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = shared / (size_a + size_b - shared)
        in_b, in_a = shared / size_a, shared / size_b
    duplicate = some & (jac >= jaccard)
    # the contained-copy test on the whole sets, then on the free shingles where they differ
    contained = some & ~duplicate & (np.maximum(in_b, in_a) >= containment) & (shared >= min_shared)
    if free_sets is not None and contained.any():
        at = np.flatnonzero(contained)
        differ = [n for n in at.tolist() if not (_whole(free_sets, sets, int(left[n]))
                                                 and _whole(free_sets, sets, int(right[n])))]
        if differ:
            both = candidates[differ]
            free_shared = intersection_sizes(free_sets, both)
            free_size = np.array([[len(free_sets[a]), len(free_sets[b])] for a, b in both.tolist()],
                                 dtype=np.int64).reshape(-1, 2).min(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                passes = (free_size > 0) & (free_shared >= min_shared) & (free_shared / free_size >= FREE_CONTAINMENT)
            contained[np.array(differ, dtype=np.int64)[~passes]] = False
    passed = duplicate | contained
    if rejected is not None:
        rejected.extend(map(tuple, candidates[some & ~passed & (shared >= rejected_min_shared)].tolist()))
    at = np.flatnonzero(passed)
    return [VerifiedPair(a, b, n, j, x, y, via) for a, b, n, j, x, y, via in zip(
        left[at].tolist(), right[at].tolist(), shared[at].tolist(), jac[at].tolist(), in_b[at].tolist(),
        in_a[at].tolist(), np.asarray(sources)[at].tolist())]


def _whole(free_sets: Sequence[np.ndarray], sets: Sequence[np.ndarray], i: int) -> bool:
    """Whether document ``i``'s free set is its whole set (it has no quotes):
    the same array in lists, the same row in spilled columns (wiretrace.spill)."""
    shares_row = getattr(free_sets, "shares_row", None)
    return shares_row(sets, i) if shares_row is not None else free_sets[i] is sets[i]
