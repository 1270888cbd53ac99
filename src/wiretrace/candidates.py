"""The candidates stage: pairs of documents worth verifying.

Two complementary sources, both cheap and neither trusted:

* **MinHash LSH banding** finds pairs whose Jaccard similarity is likely
  above the LSH threshold (whole copies, light edits).
* **Anchor shingles** find containment: a repost that keeps a third of a
  story inside its own site chrome has a low Jaccard with the original but
  shares many exact shingles. A fixed 1-in-``rate`` sample of shingle
  hashes (the same shingles in every document, chosen by value) is indexed;
  documents sharing at least ``min_shared`` anchors are candidates.
  An anchor found in more than ``max_df`` documents pairs each of them with
  the first of them only (a star, and a chain through them), not all with
  all: a story syndicated to 5,000 sites must keep its trimmed copies, and
  boilerplate ("click here to subscribe") must not add millions of pairs.
  Linear either way, so no cut-off depends on the corpus's size.

Every candidate is verified exactly afterwards (:mod:`wiretrace.verify`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from wiretrace import compiled
from wiretrace.executor import LocalExecutor
from wiretrace.pairs import group_pairs, pair_keys
from wiretrace.spill import set_sizes

__all__ = ["lsh_candidates", "anchor_candidates", "band_keys", "anchor_keys", "anchors_needed", "anchor_count",
           "is_anchor"]

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


def _band_key(signatures: np.ndarray, band: int, rows: int) -> np.ndarray:
    """uint64 hash of one band (``rows`` slots) of every signature."""
    key = np.zeros(signatures.shape[0], dtype=np.uint64)
    for r in range(band * rows, (band + 1) * rows):
        key ^= signatures[:, r]
        key *= np.uint64(0x9E3779B185EBCA87)
        key ^= key >> np.uint64(29)
    return key


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Every document's LSH bucket in every band, as postings for an index:
    uint64 keys (the band's number in the top byte, the band's hash in the
    rest, so buckets of two bands never meet) and the document of each.

    Example:
        >>> sig = np.arange(8, dtype=np.uint32).reshape(1, 8)
        >>> keys, docs = band_keys(np.vstack([sig, sig]), 2, 4)
        >>> len(keys), bool(keys[0] == keys[1]), bool(keys[0] != keys[2]), docs.tolist()
        (4, True, True, [0, 1, 0, 1])
    """
    n = signatures.shape[0]
    parts = [(_band_key(signatures, b, rows) >> np.uint64(8)) | (np.uint64(b) << np.uint64(56))
             for b in range(bands)]
    keys = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
    return keys, np.tile(np.arange(n, dtype=np.int64), bands)


def anchor_keys(sets: list[np.ndarray], rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Every document's anchor shingles (the sample :func:`anchor_candidates`
    indexes) and the document of each, as postings for an index."""
    return _anchors(sets, rate)


def lsh_candidates(signatures: np.ndarray, bands: int, rows: int, executor: Any = None) -> np.ndarray:
    """Sorted distinct pair keys of documents sharing at least one LSH band.

    Args:
        signatures: ``(n, num_perm)`` MinHash signatures.
        bands, rows: Banding; ``bands * rows <= num_perm``.
        executor: A remote one (Ray's) groups the buckets by a shuffle of
            rows (:meth:`wiretrace.ray_executor.RayExecutor.group`); the
            result is the same.

    Returns:
        int64 keys ``a * n + b`` (see :func:`wiretrace.pairs.pair_keys`).
    """
    n = signatures.shape[0]
    if n < 2:
        return np.empty(0, dtype=np.int64)
    if getattr(executor, "remote", False):
        return _shuffled_lsh(signatures, bands, rows, executor)
    found = []
    for band in range(bands):
        keys = _band_key(signatures, band, rows)
        order = np.argsort(keys, kind="stable")
        starts, sizes = _groups(keys[order])
        if len(starts):
            pairs = group_pairs(order, starts, sizes, MAX_BUCKET)
            pairs.sort(axis=1)
            found.append(pair_keys(pairs, n))
    return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


def _anchors(sets: list[np.ndarray], rate: int, chunk: int = 1024, part: int = 0,
             parts: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Anchor shingles of the indexed documents and the document of each.

    A shingle is an anchor when its high 32 bits are divisible by ``rate``
    (the low 32 bits feed MinHash). Done over chunks of documents, to
    avoid both a per-document numpy call and one huge temporary array.
    With ``parts`` > 1, only the anchors of partition ``part`` (by their
    top bits), kept chunk by chunk: a worker holds its own share only.
    """
    values, owners = [], []
    for start, flat, sizes in set_chunks(sets, chunk):
        found, owned = _chunk_anchors(np.arange(start, start + len(sizes)), flat, sizes, rate, part, parts)
        values.append(found)
        owners.append(owned)
    if not values:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    return np.concatenate(values), np.concatenate(owners)


def set_chunks(sets: Sequence[np.ndarray], chunk: int = 1024) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """``(start, flat, sizes)`` for each run of ``chunk`` documents of
    ``sets``: their shingles end to end, and how many each has."""
    flat_of = getattr(sets, "flat", None)  # a spilled column reads a chunk in one call (wiretrace.spill)
    for start in range(0, len(sets), chunk):
        if flat_of is not None:
            flat, sizes = flat_of(start, min(start + chunk, len(sets)))
        else:
            rows = sets[start : start + chunk]
            sizes = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
            flat = np.concatenate(rows) if rows else np.empty(0, dtype=np.uint64)
        yield start, flat, sizes


def _chunk_anchors(docs: np.ndarray, flat: np.ndarray, sizes: np.ndarray, rate: int, part: int = 0,
                   parts: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The anchors of a chunk of documents (numbered ``docs``; ``flat`` and
    ``sizes`` as :func:`set_chunks` gives them) and the owner of each; with
    ``parts`` > 1, those of partition ``part`` only."""
    keep = is_anchor(flat, rate)
    if parts > 1:
        keep &= _anchor_part(flat, parts) == part
    return flat[keep], np.repeat(docs, sizes)[keep]


def is_anchor(flat: np.ndarray, rate: int) -> np.ndarray:
    """Which shingles are anchors: their high 32 bits divisible by ``rate``."""
    high = flat >> np.uint64(32)
    if rate & (rate - 1) == 0:  # a power of two: % is a (much cheaper) bit mask
        return (high & np.uint64(rate - 1)) == 0
    return high % np.uint64(rate) == 0


def _anchor_part(values: np.ndarray, parts: int) -> np.ndarray:
    """The partition of each anchor value (by its top bits)."""
    return (values >> np.uint64(48)) % np.uint64(parts)


def anchor_candidates(sets: list[np.ndarray], rate: int, min_shared: int, max_df: int,
                      executor: Any = None) -> np.ndarray:
    """Sorted distinct pair keys of documents sharing ``min_shared`` anchors.

    Args:
        sets: Sorted distinct shingle hashes per document.
        rate: One shingle in ``rate`` (by hash value) is an anchor.
        min_shared: Anchors two documents must share to be a candidate
            (half of the anchors of the one with fewer, if that is less).
        max_df: Anchors in more documents than this pair each document
            with the first (a star) and its neighbour (a chain), not with
            every other (module doc).
        executor: With two or more workers, the anchors are grouped by
            value in one partition per worker (a group-by-key step: an
            anchor's postings are all in one partition), and the pairs'
            shared-anchor counts are summed over the partitions; the result
            is the same as in one process. A remote executor (Ray's)
            makes the partitions by a shuffle of rows.
    """
    n = len(sets)
    if n < 2:
        return np.empty(0, dtype=np.int64)
    shingles = int(set_sizes(sets).sum())
    parts = _partitions(shingles, rate, getattr(executor, "workers", 1) if executor is not None else 1)
    if getattr(executor, "remote", False):
        keys, counts, per_doc = _shuffled_anchor_pairs(sets, rate, max_df, parts, executor)
    else:
        fast = _compiled_anchors(shingles)  # decided (and the kernel loaded) here, before workers fork: they inherit it
        if parts <= 1:
            keys, counts, per_doc = _anchor_pairs(sets, rate, max_df, 0, 1, fast)
        else:
            found = (executor or LocalExecutor()).map(
                lambda part: _anchor_pairs(sets, rate, max_df, part, parts, fast), range(parts), min_items=2)
            per_doc = np.sum([f[2] for f in found], axis=0)
            keys, counts = _summed([f[0] for f in found], [f[1] for f in found])
    needed = anchors_needed(per_doc[keys // n], per_doc[keys % n], min_shared)
    return keys[counts >= needed]


#: Shingles from which the anchors are selected by the compiled kernel when
#: numba is not loaded yet: loading it and the cached kernel took ~0.4 s in a
#: fresh process (0.17 + 0.23 s, ad hoc), and the kernel saved ~4.5 ns a shingle
#: a partition (a partition of 50,000 sets of 600: 0.20 against 0.32 s at one
#: anchor in 8, 0.38 against 0.53 s at one in 4, ad hoc): a scan selects every
#: shingle in each of two partitions, for the copy candidates and again for the
#: rewrite step, on two workers, so the load pays past ~45M shingles (75,000
#: news pages).
COMPILED_ANCHOR_ELEMENTS = 48_000_000


def _compiled_anchors(shingles: int) -> bool:
    """Whether the anchors of sets holding ``shingles`` in all are selected
    by the compiled kernel (:func:`wiretrace.compiled.use_for_elements`); if
    so, the kernel is loaded here, so that workers forked after inherit it."""
    if not compiled.use_for_elements(shingles, COMPILED_ANCHOR_ELEMENTS):
        return False
    # compiled, or read from numba's cache, here: for writable sets and for read-only ones (a
    # spill's), which numba compiles apart (each forked worker would load that one itself)
    one, sizes = np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.int64)
    compiled.packed_anchors(one, sizes, 0, 1, 0, 1, np.uint64(1))
    one.flags.writeable = False
    compiled.packed_anchors(one, sizes, 0, 1, 0, 1, np.uint64(1))
    return True


#: Bytes of anchors (value and owner, 16 bytes each) one partition may hold while it is
#: grouped; a larger corpus is cut into more partitions than workers. At 1,000,000
#: synthetic documents the rewrite step's anchors (one shingle in four) are 2.4 GB, and
#: two partitions of them took the process tree from 3.2 to 7.9 GB; each partition
#: reads every set once more, so the cut is no finer than memory needs.
ANCHOR_PARTITION_BYTES = 512 * 2**20


def anchor_partitions(sets: Sequence[np.ndarray], rate: int, workers: int) -> int:
    """How many partitions the anchors of ``sets`` are grouped in: one per
    worker, or more when a partition would pass :data:`ANCHOR_PARTITION_BYTES`."""
    return _partitions(int(set_sizes(sets).sum()), rate, workers)


def _partitions(shingles: int, rate: int, workers: int) -> int:
    """:func:`anchor_partitions` of sets holding ``shingles`` in all."""
    return max(workers, 1, -(-(shingles // rate * 16) // ANCHOR_PARTITION_BYTES))


def _anchor_pairs(sets: list[np.ndarray], rate: int, max_df: int, part: int, parts: int,
                  fast: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Partition ``part`` of ``parts`` (anchors by their top bits) of the
    anchor grouping: the distinct pair keys of documents sharing anchors of
    it, how many each pair shares, and each document's anchors in it.

    Each posting is held as one packed uint64 (:func:`_pairs_of_packed`), sorted in
    place: 8 bytes a posting, where a value and an owner array and their
    sorted copies took 48 at the peak (a worker's partition of the rewrite
    step's anchors is most of a large scan's peak memory). ``fast``: select
    and pack them with the compiled kernel (the same postings)."""
    n = len(sets)
    low = _owner_mask(n)
    chunks = []
    # one compiled pass a chunk (wiretrace.compiled.packed_anchors), where the numpy
    # selection makes five temporaries of the chunk's size: ~7 s of a 300,000-document
    # scan's 144 s of CPU went to it (ad hoc, py-spy of the process tree), for this
    # step and the rewrite step's denser anchors, each partition selecting again
    for start, flat, sizes in set_chunks(sets):
        if fast:
            chunks.append(compiled.packed_anchors(flat, sizes, start, rate, part, parts, low))
            continue
        values, owners = _chunk_anchors(np.arange(start, start + len(sizes), dtype=np.uint64), flat, sizes, rate,
                                        part, parts)
        chunks.append((values & ~low) | owners)
    # joined a chunk at a time, each let go once copied: the partition's postings
    # are held once, not twice as np.concatenate would hold them
    packed = np.empty(sum(len(c) for c in chunks), dtype=np.uint64)
    at = 0
    chunks.reverse()
    while chunks:
        chunk = chunks.pop()
        packed[at: at + len(chunk)] = chunk
        at += len(chunk)
    holder = [packed]
    del packed
    return _pairs_of_packed(holder, n, max_df)


def _owner_mask(n: int) -> np.uint64:
    """The low bits of a packed posting that hold its owner, a document
    number below ``n``: the anchor's own low bits are dropped there
    (equal-looking anchors that differ only in them are rare and at worst
    add a candidate, which verification rejects)."""
    return np.uint64((1 << max(int(n - 1).bit_length(), 1)) - 1)


def _pairs_of_packed(holder: list[np.ndarray], n: int, max_df: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of packed postings (value and owner in one uint64; every
    posting of an anchor among them), how many anchors each pair shares,
    and each document's postings. ``holder`` holds the only reference to the
    array, which is sorted in place and let go once read."""
    packed = holder.pop()
    # sorted by anchor value, owners ascending within a value: one plain sort
    packed.sort()
    low = _owner_mask(n)
    starts, sizes = _equal_runs(packed, int(low).bit_length())
    np.bitwise_and(packed, low, out=packed)  # the owners, in place (below 2**63: an int64 view reads them)
    owners = packed.view(np.int64)
    del packed
    per_doc = np.bincount(owners, minlength=n)
    if len(starts) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), per_doc
    # Pairs are made a slice of anchors at a time, each slice's counted at once
    # (an anchor's pairs, about 80 bytes each while they are made, outweigh its
    # postings), then the slices' counts are summed.
    # max_group=max_df: an anchor in more documents adds a star and a chain.
    made = np.where(sizes <= max_df, sizes * (sizes - 1) // 2, 2 * sizes - 3)
    cuts = np.searchsorted(np.cumsum(made), np.arange(PAIR_SLICE, int(made.sum()), PAIR_SLICE), side="right")
    found = []
    for first, end in zip([0, *cuts.tolist()], [*cuts.tolist(), len(starts)]):
        if first < end:
            pairs = group_pairs(owners, starts[first:end], sizes[first:end], max_df)
            pairs = pairs[pairs[:, 0] != pairs[:, 1]]  # two anchors of one document merged by the packing
            found.append(np.unique(pair_keys(pairs, n), return_counts=True))
    if len(found) == 1:
        return found[0][0], found[0][1], per_doc
    keys, counts = _summed([k for k, _ in found], [c for _, c in found])
    return keys, counts, per_doc


#: Postings read at once by :func:`_equal_runs` (8 bytes each): its temporaries' bound.
RUN_BLOCK = 1 << 23


def _equal_runs(packed: np.ndarray, shift: int, block: int = RUN_BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """Starts and sizes of the runs of two or more equal ``packed >> shift``
    in sorted ``packed``: what ``_groups(packed >> shift)`` gives, in one
    byte a posting beside ``packed`` (the shifted values are made ``block``
    at a time), where ``_groups`` makes several arrays of 8 bytes a value
    -- most anchors are in one document, so nearly every value starts a
    run. Pinned to ``_groups`` by ``tests/test_candidates.py``."""
    n = len(packed)
    if n < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    same = np.empty(n + 1, dtype=np.int8)  # same[i + 1]: value i equals value i + 1
    same[0] = same[n] = 0
    step = np.uint64(shift)
    for lo in range(0, n - 1, block):
        hi = min(lo + block, n - 1)
        values = packed[lo: hi + 1] >> step
        np.equal(values[1:], values[:-1], out=same[lo + 1: hi + 1].view(bool))
    del values
    edges = np.diff(same)  # +1 where a run of equal neighbours starts, -1 past its end
    del same
    starts = np.flatnonzero(edges == 1)
    sizes = np.flatnonzero(edges == -1) - starts + 1
    return starts.astype(np.int64, copy=False), sizes.astype(np.int64, copy=False)


def _summed(keys: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pair keys counted in parts (partitions, slices), each key once with
    its counts summed."""
    distinct, where = np.unique(np.concatenate(keys), return_inverse=True)
    return distinct, np.bincount(where, weights=np.concatenate(counts), minlength=len(distinct)).astype(np.int64)


#: Pairs made at once when anchors are grouped (:func:`_pairs_of_packed`): about
#: 80 bytes each while they are made, so a slice takes ~320 MB at most.
PAIR_SLICE = 4_000_000


def _pairs_of_anchors(values: np.ndarray, owners: np.ndarray, n: int,
                      max_df: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pair keys of documents sharing anchors among these
    postings (every posting of an anchor among them), and how many each
    pair shares."""
    keys, counts, _ = _pairs_of_packed([(values & ~_owner_mask(n)) | owners.astype(np.uint64)], n, max_df)
    return keys, counts


# ---- the group steps on a remote executor, by a shuffle of rows (Ray Data):
# map_batches makes each batch of documents' keyed rows, groupby hands each partition
# of keys to one call, wherever its rows were made. The functions are the local
# ones over other inputs; tests/test_ray.py pins the results to the local path's.

#: Documents per input batch of a shuffled group step.
SHUFFLE_BATCH = 4096


def _shuffled_lsh(signatures: np.ndarray, bands: int, rows: int, executor: Any) -> np.ndarray:
    n = signatures.shape[0]
    parts = max(getattr(executor, "workers", 1), -(-n * bands * 32 // ANCHOR_PARTITION_BYTES))
    batches = ({"doc": np.arange(start, min(start + SHUFFLE_BATCH, n)),
                "signature": signatures[start : start + SHUFFLE_BATCH]} for start in range(0, n, SHUFFLE_BATCH))
    found = executor.group(batches, _band_rows, _bucket_pairs, shared=(bands, rows, parts, n), parts=parts)
    return np.unique(found["key"]) if found else np.empty(0, dtype=np.int64)


def _band_rows(batch: dict[str, Any], shared: tuple[int, int, int, int]) -> dict[str, np.ndarray]:
    """A batch's LSH buckets: one row per document and band."""
    bands, rows, parts, _ = shared
    docs, signatures = batch["doc"], batch["signature"]
    keys = [_band_key(signatures, band, rows) for band in range(bands)]
    key = np.concatenate(keys) if keys else np.empty(0, dtype=np.uint64)
    return {"part": (key % np.uint64(parts)).astype(np.int64), "band": np.repeat(np.arange(bands), len(docs)),
            "key": key, "doc": np.tile(docs, bands)}


def _bucket_pairs(found: dict[str, np.ndarray], shared: tuple[int, int, int, int]) -> dict[str, np.ndarray]:
    """The pairs of the buckets of one partition (all rows of each bucket),
    as :func:`lsh_candidates` makes them: members in document order."""
    n = shared[3]
    order = np.lexsort((found["doc"], found["key"], found["band"]))
    band, key, docs = found["band"][order], found["key"][order], found["doc"][order].astype(np.int64)
    bucket = np.concatenate([[0], np.cumsum((band[1:] != band[:-1]) | (key[1:] != key[:-1]))]) if len(key) else key
    starts, sizes = _groups(bucket)
    if len(starts) == 0:
        return {"key": np.empty(0, dtype=np.int64)}
    pairs = group_pairs(docs, starts, sizes, MAX_BUCKET)
    pairs.sort(axis=1)
    return {"key": np.unique(pair_keys(pairs, n))}


def _shuffled_anchor_pairs(sets: Sequence[np.ndarray], rate: int, max_df: int, parts: int,
                           executor: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(sets)
    per_doc = np.zeros(n, dtype=np.int64)

    def batches() -> Iterator[dict[str, Any]]:
        for start, flat, sizes in set_chunks(sets, SHUFFLE_BATCH):
            docs = np.arange(start, start + len(sizes))
            per_doc[start : start + len(sizes)] = np.bincount(np.repeat(docs - start, sizes)[is_anchor(flat, rate)],
                                                              minlength=len(sizes))
            yield {"doc": docs, "shingles": (flat, sizes)}

    found = executor.group(batches(), _anchor_rows, _anchor_group, shared=(rate, parts, n, max_df), parts=parts)
    if not found:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), per_doc
    keys, counts = _summed([found["key"]], [found["count"]])
    return keys, counts, per_doc


def _anchor_rows(batch: dict[str, Any], shared: tuple[int, int, int, int]) -> dict[str, np.ndarray]:
    """A batch's anchor postings, with the partition of each anchor."""
    rate, parts = shared[0], shared[1]
    flat, sizes = batch["shingles"]
    values, owners = _chunk_anchors(batch["doc"], flat, sizes, rate)
    return {"part": _anchor_part(values, parts).astype(np.int64), "value": values, "owner": owners}


def _anchor_group(found: dict[str, np.ndarray], shared: tuple[int, int, int, int]) -> dict[str, np.ndarray]:
    """The pairs sharing anchors of one partition, and how many each shares."""
    keys, counts = _pairs_of_anchors(found["value"].astype(np.uint64), found["owner"].astype(np.int64), shared[2],
                                     shared[3])
    return {"key": keys, "count": counts}


def anchors_needed(anchors_a: np.ndarray | int, anchors_b: np.ndarray | int, min_shared: int) -> np.ndarray:
    """Anchors two documents with these anchor counts must share to be a
    candidate: ``min_shared``, but a short document has few anchors, so it
    needs half of them shared (at least one) -- a fully copied brief is not
    missed.

    Example:
        >>> anchors_needed(np.array([40, 3, 0]), np.array([30, 50, 9]), 4).tolist()
        [4, 2, 1]
    """
    fewest = np.minimum(anchors_a, anchors_b)
    return np.minimum(min_shared, np.maximum(1, (fewest + 1) // 2))


def anchor_count(shingles: np.ndarray, rate: int) -> int:
    """How many of a document's shingles are anchors (:func:`_anchors`'s rule)."""
    return int(np.count_nonzero(is_anchor(np.asarray(shingles, dtype=np.uint64), rate)))
