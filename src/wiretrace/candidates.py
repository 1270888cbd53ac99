"""The candidates stage: pairs of documents worth verifying.

Two complementary sources, both cheap and neither trusted:

* **MinHash LSH banding** finds pairs whose Jaccard similarity is likely
  above the LSH threshold (whole copies, light edits).
* **Anchor shingles** find containment: a repost that keeps a third of a
  story inside its own site chrome has a low Jaccard with the original but
  shares many exact shingles. A fixed 1-in-``rate`` sample of shingle
  hashes (the same shingles in every document, chosen by value) is indexed;
  documents sharing at least ``min_shared`` anchors are candidates.
  Anchors found in more than ``max_df`` documents are boilerplate
  ("click here to subscribe") and carry no evidence.

Every candidate is verified exactly afterwards (:mod:`wiretrace.verify`).
"""

from __future__ import annotations

import numpy as np

from wiretrace.pairs import group_pairs, pair_keys

__all__ = ["lsh_candidates", "anchor_candidates"]

# LSH buckets above this size contribute linear (star + chain) pairs, not
# all pairs: a bucket of 1,000 exact duplicates would otherwise add 500k.
MAX_BUCKET = 64


def _groups(sorted_keys: np.ndarray, min_size: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Starts and sizes of runs of equal values in a sorted array."""
    if len(sorted_keys) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    boundaries = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    starts = np.concatenate([[0], boundaries]).astype(np.int64)
    sizes = np.diff(np.concatenate([starts, [len(sorted_keys)]]))
    keep = sizes >= min_size
    return starts[keep], sizes[keep]


def _band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64 hash of each band of each signature."""
    n = signatures.shape[0]
    view = signatures[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    key = np.zeros((n, bands), dtype=np.uint64)
    for r in range(rows):
        key = (key ^ view[:, :, r]) * np.uint64(0x9E3779B185EBCA87)
        key ^= key >> np.uint64(29)
    return key


def lsh_candidates(signatures: np.ndarray, bands: int, rows: int, eligible: np.ndarray | None = None) -> np.ndarray:
    """Sorted distinct pair keys of documents sharing at least one LSH band.

    Args:
        signatures: ``(n, num_perm)`` MinHash signatures.
        bands, rows: Banding; ``bands * rows <= num_perm``.
        eligible: Optional boolean mask of documents to index.

    Returns:
        int64 keys ``a * n + b`` (see :func:`wiretrace.pairs.pair_keys`).
    """
    n = signatures.shape[0]
    index = np.flatnonzero(eligible) if eligible is not None else np.arange(n)
    if len(index) < 2:
        return np.empty(0, dtype=np.int64)
    keys = _band_keys(signatures[index], bands, rows)
    found = []
    for band in range(bands):
        order = np.argsort(keys[:, band], kind="stable")
        starts, sizes = _groups(keys[order, band])
        if len(starts):
            pairs = group_pairs(index[order], starts, sizes, MAX_BUCKET)
            pairs.sort(axis=1)
            found.append(pair_keys(pairs, n))
    return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


def anchor_candidates(
    sets: list[np.ndarray], rate: int, min_shared: int, max_df: int, eligible: np.ndarray | None = None
) -> np.ndarray:
    """Sorted distinct pair keys of documents sharing ``min_shared`` anchors.

    Args:
        sets: Sorted distinct shingle hashes per document.
        rate: One shingle in ``rate`` (by hash value) is an anchor.
        min_shared: Anchors two documents must share to be a candidate.
        max_df: Anchors in more documents than this are ignored.
        eligible: Optional boolean mask of documents to index.
    """
    n = len(sets)
    index = np.flatnonzero(eligible) if eligible is not None else np.arange(n)
    if len(index) < 2:
        return np.empty(0, dtype=np.int64)
    # The anchor test uses high bits; the low 32 bits feed MinHash.
    modulus = np.uint64(rate)
    anchors = [sets[i][(sets[i] >> np.uint64(32)) % modulus == 0] for i in index]
    lengths = np.fromiter((len(a) for a in anchors), dtype=np.int64, count=len(anchors))
    values = np.concatenate(anchors) if anchors else np.empty(0, dtype=np.uint64)
    owners = np.repeat(index, lengths)
    order = np.lexsort((owners, values))
    values, owners = values[order], owners[order]
    starts, sizes = _groups(values)
    keep = sizes <= max_df
    starts, sizes = starts[keep], sizes[keep]
    if len(starts) == 0:
        return np.empty(0, dtype=np.int64)
    # max_group=max_df: every kept anchor contributes all its pairs.
    pairs = group_pairs(owners, starts, sizes, max_df)
    keys, counts = np.unique(pair_keys(pairs, n), return_counts=True)
    return keys[counts >= min_shared]
