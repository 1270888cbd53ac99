"""Compiled kernels (numba) for the fingerprint stage's inner loops, each
pinned to its numpy reference.

Rule: a kernel here computes exactly what the numpy code it replaces
computes, bit for bit -- the property tests in ``tests/test_compiled.py``
compare them on random inputs -- and callers fall back to that numpy code
when numba cannot be imported or ``WIRETRACE_NO_NUMBA`` is set (to 1, yes or
true), so a result never depends on which path ran.

Four kernels: the words of a batch's word buffer with their XXH3-64 hashes
(:func:`word_hashes`, pinned to :mod:`wiretrace.xxh3` and the ``xxhash``
library), MinHash signatures (:func:`minhash_signatures`, pinned to
:meth:`wiretrace.minhash.MinHasher.signatures_numpy` and so to datasketch),
the sizes of many pairs' intersections (:func:`intersection_sizes`,
pinned to :func:`wiretrace.verify.intersection_size`), and a chunk's anchors
as packed postings (:func:`packed_anchors`, pinned to the numpy selection in
:mod:`wiretrace.candidates`).

Why compiled: numpy finds words through boolean masks and edge arrays over
the whole buffer, and evaluates every XXH3 closed form for every word; the
kernel walks the buffer once. numpy's MinHash builds a ``num_perm x
elements`` matrix of permuted hashes and then takes minima over it, so each
value is written to memory and read back; the kernel keeps a document's
signature in registers while its elements stream past. Together they took
the fingerprint stage at 100,000 documents from 4.00 to 2.49 s
(``benchmarks/results/interleaved_numba.json``). A process loads them
only when it fingerprints enough documents to win the load back
(:data:`WARM_DOCUMENTS`): a short run does not pay for loading numba. They are compiled on first use and cached on disk
where numba finds a writable folder (beside this module, else the user's
cache; without one, compiled in each process), so a new process pays for
compiling once per machine.

Why intersections: the verify stage asked numpy for one pair at a time (a
binary search of one set's values in the other's), about 15 us a pair of
600-word documents, nearly all of it the call; the kernel merges the two
sorted sets, a few nanoseconds a value, and takes a batch of pairs in one
call. It is used where numba is loaded already or the batch is large
(:func:`use_for_pairs`).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["available", "expect", "loaded", "use", "use_for_pairs", "use_for_elements", "minhash_signatures",
           "word_hashes", "intersection_sizes", "packed_anchors", "MIN_ELEMENTS", "WARM_DOCUMENTS", "WARM_ELEMENTS",
           "WARM_PAIRS"]

#: Fewer elements than this in one call go to numpy: loading numba and the
#: cached kernels costs a few tenths of a second once per process, while numpy
#: takes well under a millisecond for a few thousand elements (one article
#: checked against an index). A scan's batch of 128 documents has ~57,000.
MIN_ELEMENTS = 8192
#: The same for word buffers, in bytes (about 6 bytes a word).
MIN_BYTES = 6 * MIN_ELEMENTS
#: Documents a process must fingerprint for loading the kernels to pay:
#: loading numba and the two cached kernels took 0.38 s in a fresh process,
#: and the kernels saved 36 us per 600-word document (68.3 against 32.2 us),
#: so the load is won back after about 10,600 documents (medians of 5)
#: (``benchmarks/bench_numba_load.py``, ``benchmarks/results/numba_load.json``).
#: A stage that knows it fingerprints this many says so (:func:`expect`) and
#: gets the kernels from its first batch; a day's add of 1,000 pages, with the
#: report of the pages it touches, stays on numpy.
WARM_DOCUMENTS = 10_000
#: The same as elements hashed (shingles and words: ~1,200 for a 600-word
#: document), for a process that does not know how much it will fingerprint
#: (an index built batch by batch): it loads the kernels once it has hashed
#: this many on numpy -- at most about twice the cost of knowing.
WARM_ELEMENTS = WARM_DOCUMENTS * 1_200

#: Pairs a call must intersect to load numba for it (when no stage of the
#: process has loaded it already): importing numba and loading the cached
#: kernel took 0.65 s in a scan's main process, and the kernel saved about
#: 13 us a pair against numpy pair by pair (ad hoc, the verify stage of
#: 100,000 documents: 84,631 pairs), so it pays past ~50,000 pairs; a report
#: of one day's add stays on numpy unless its fingerprints loaded it.
WARM_PAIRS = 50_000

_numpy_elements = 0  # hashed by numpy in this process so far
_expected = False  # a stage of at least WARM_DOCUMENTS documents is running (forked workers inherit it)


def expect(documents: int) -> None:
    """A stage of this process (and the workers it forks) is about to
    fingerprint ``documents`` documents: at :data:`WARM_DOCUMENTS` or more,
    the kernels are used from its first batch on."""
    global _expected
    if documents >= WARM_DOCUMENTS:
        _expected = True


def _wanted() -> bool:
    return os.environ.get("WIRETRACE_NO_NUMBA", "").strip().lower() not in ("1", "yes", "true")


_KERNELS: dict[str, Any] = {}  # compiled on first use (importing numba takes a few tenths of a second)


def use(elements: int) -> bool:
    """Whether a call hashing this many elements takes the compiled path:
    numba wanted and loadable, a call of at least :data:`MIN_ELEMENTS`, and
    a large stage expected (:func:`expect`), numba loaded already, or this
    process past :data:`WARM_ELEMENTS` on numpy (the calls that stay on
    numpy are counted here). Either path gives the same values."""
    global _numpy_elements
    if elements < MIN_ELEMENTS or not _wanted():
        return False
    if _expected or _numpy_elements >= WARM_ELEMENTS or ("words" in _KERNELS and _kernels() is not None):
        return available()
    _numpy_elements += elements
    return False


def use_for_pairs(pairs: int, warm: int | None = None) -> bool:
    """Whether intersecting ``pairs`` pairs at once takes the compiled path:
    numba wanted and loaded already in this process (a large fingerprint
    stage loaded it), or at least ``warm`` pairs (:data:`WARM_PAIRS` by
    default; ``0``: only if loaded already). Either path gives the same sizes."""
    if not pairs or not _wanted():
        return False
    if loaded():
        return True
    warm = WARM_PAIRS if warm is None else warm
    return bool(warm) and pairs >= warm and available()


def loaded() -> bool:
    """Whether this process has loaded the kernels already (no cost to use them)."""
    return _wanted() and bool(_KERNELS) and "missing" not in _KERNELS


def available() -> bool:
    """Whether the compiled kernels run (numba importable, not switched off)."""
    return _wanted() and _kernels() is not None


def _kernels() -> dict[str, Any] | None:
    if not _KERNELS:
        _KERNELS.update(_load())
    return None if "missing" in _KERNELS else _KERNELS


def _load() -> dict[str, Any]:
    """The kernels, wrapped for compiling; ``{"missing": True}`` when numba
    cannot be loaded. numba looks for a writable cache folder when a
    function is wrapped (``NUMBA_CACHE_DIR``, beside this module, the user's
    cache) and raises when there is none -- a read-only install run by a
    user without a home: the kernels are then compiled in each process
    instead."""
    try:  # numba is a dependency; an install without it (or without a working LLVM) uses numpy
        import numba
    except Exception:  # noqa: BLE001 - any failure to load numba means: use the numpy path
        return {"missing": True}
    for cache in (True, False):
        try:
            compile_ = numba.njit(cache=cache, nogil=True, boundscheck=False)
            return {"signatures": compile_(_signatures_kernel), "words": compile_(_words_kernel),
                    "intersections": compile_(_intersections_kernel), "anchors": compile_(_anchors_kernel)}
        except RuntimeError:  # "cannot cache function ...: no locator available"
            continue
    return {"missing": True}


def _signatures_kernel(flat, starts, a, b, out):  # pragma: no cover - compiled; tested through the wrapper
    mask = np.uint64(0xFFFFFFFF)
    num_perm = a.shape[0]
    row = np.empty(num_perm, dtype=np.uint64)
    a64 = a.astype(np.uint64)
    b64 = b.astype(np.uint64)
    for d in range(out.shape[0]):
        row[:] = mask
        for e in range(starts[d], starts[d + 1]):
            # datasketch's affine32: MurmurHash3's 32-bit finaliser of the element's
            # low 32 bits, then a * x + b mod 2**32 per permutation
            x = flat[e] & mask
            x ^= x >> np.uint64(16)
            x = (x * np.uint64(0x85EBCA6B)) & mask
            x ^= x >> np.uint64(13)
            x = (x * np.uint64(0xC2B2AE35)) & mask
            x ^= x >> np.uint64(16)
            for p in range(num_perm):
                # both factors masked to 32 bits: LLVM then multiplies 32 x 32 -> 64 in
                # SIMD lanes (3x the loop without the masks, measured)
                v = ((a64[p] & mask) * x + (b64[p] & mask)) & mask
                row[p] = min(row[p], v)
        for p in range(num_perm):
            out[d, p] = np.uint32(row[p])


def minhash_signatures(flat: np.ndarray, starts: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signatures (affine32) of documents whose uint64 elements are
    ``flat[starts[d]:starts[d + 1]]``: one uint32 row of ``len(a)`` per
    document, what :meth:`wiretrace.minhash.MinHasher.signatures` computes
    with numpy. Call only when :func:`available`."""
    out = np.empty((len(starts) - 1, len(a)), dtype=np.uint32)
    _KERNELS["signatures"](np.ascontiguousarray(flat, dtype=np.uint64), np.ascontiguousarray(starts, dtype=np.int64),
                       np.ascontiguousarray(a, dtype=np.uint32), np.ascontiguousarray(b, dtype=np.uint32), out)
    return out


def _intersections_kernel(flat, starts, left, right, out):  # pragma: no cover - compiled; tested through the wrapper
    for p in range(left.shape[0]):
        i, i_end = starts[left[p]], starts[left[p] + 1]
        j, j_end = starts[right[p]], starts[right[p] + 1]
        n = 0
        while i < i_end and j < j_end:
            # a merge without branches on the values: each step moves past the
            # smaller value, or both when they are equal
            x, y = flat[i], flat[j]
            n += x == y
            i += x <= y
            j += y <= x
        out[p] = n


def intersection_sizes(flat: np.ndarray, starts: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """For sorted sets of distinct uint64 values, set ``d`` being
    ``flat[starts[d]:starts[d + 1]]``: the size of the intersection of sets
    ``left[p]`` and ``right[p]`` for each ``p`` (int64), what
    :func:`wiretrace.verify.intersection_size` gives pair by pair. Call
    only when :func:`available`."""
    out = np.empty(len(left), dtype=np.int64)
    _KERNELS["intersections"](np.ascontiguousarray(flat, dtype=np.uint64), np.ascontiguousarray(starts, dtype=np.int64),
                              np.ascontiguousarray(left, dtype=np.int64), np.ascontiguousarray(right, dtype=np.int64),
                              out)
    return out


def _anchors_kernel(flat, sizes, first, rate, part, parts, low, out):  # pragma: no cover - compiled; tested via wrapper
    notlow = ~low
    mask = np.uint64(rate - 1)
    power_of_two = rate & (rate - 1) == 0
    k = 0
    e = 0
    for d in range(sizes.shape[0]):
        owner = np.uint64(first + d)
        for _ in range(sizes[d]):
            x = flat[e]
            e += 1
            high = x >> np.uint64(32)
            if power_of_two:
                if high & mask:
                    continue
            elif high % np.uint64(rate):
                continue
            if parts > 1 and (x >> np.uint64(48)) % np.uint64(parts) != np.uint64(part):
                continue
            out[k] = (x & notlow) | owner
            k += 1
    return k


def packed_anchors(flat: np.ndarray, sizes: np.ndarray, first: int, rate: int, part: int, parts: int,
                   low: np.uint64) -> np.ndarray:
    """The anchors of a chunk of documents numbered from ``first`` (their
    shingles end to end in ``flat``, ``sizes[d]`` of document ``first + d``)
    as packed postings: each anchor value with its low bits (``low``)
    replaced by its owner's number, in the chunk's order, those of partition
    ``part`` of ``parts`` only -- what
    :func:`wiretrace.candidates._chunk_anchors` selects and
    :func:`~wiretrace.candidates._anchor_pairs` packs with numpy, in one pass
    without the temporaries (five arrays the size of the chunk). Call only
    when :func:`available`."""
    out = np.empty(len(flat), dtype=np.uint64)
    found = _kernels()["anchors"](np.ascontiguousarray(flat, dtype=np.uint64),  # type: ignore[index]
                                np.ascontiguousarray(sizes, dtype=np.int64), int(first), int(rate), int(part),
                                int(parts), np.uint64(low), out)
    return out[:found].copy()


def use_for_elements(elements: int, warm: int) -> bool:
    """Whether a step over ``elements`` shingles takes a compiled kernel:
    numba wanted and loaded already in this process (or in the one it was
    forked from), or at least ``warm`` of them (what pays for loading it).
    Either path gives the same values."""
    if elements < MIN_ELEMENTS or not _wanted():
        return False
    return (loaded() or elements >= warm) and available()


# XXH3-64 (seed 0, default secret) of inputs of 1-16 bytes: the closed forms
# wiretrace.xxh3 evaluates with numpy, with its constants.


def _words_kernel(buf, space, flip_1to3, flip_4to8, flip_lo, flip_hi, starts, lengths, hashes):  # pragma: no cover
    """Words of ``buf`` (runs of bytes other than ``space``): their starts,
    lengths and XXH3-64 hashes (0 for words over 16 bytes, hashed by the
    caller). Returns how many words there are; the output arrays must hold
    them (a word needs at least two bytes of ``buf``, so ``len(buf) // 2 + 1``)."""
    p2 = np.uint64(0xC2B2AE3D27D4EB4F)
    p3 = np.uint64(0x165667B19E3779F9)
    mx1 = np.uint64(0x165667919E3779F9)
    rrmxmx = np.uint64(0x9FB21C651E98DF25)
    low = np.uint64(0xFFFFFFFF)
    n = buf.shape[0]
    count = 0
    i = 0
    while i < n:
        if buf[i] == space:
            i += 1
            continue
        start = i
        while i < n and buf[i] != space:
            i += 1
        length = i - start
        size = np.uint64(length)
        if length <= 3:
            c1 = np.uint64(buf[start])
            c2 = np.uint64(buf[start + (length >> 1)])
            c3 = np.uint64(buf[start + length - 1])
            h = ((c1 << np.uint64(16)) | (c2 << np.uint64(24)) | c3 | (size << np.uint64(8))) ^ flip_1to3
            h ^= h >> np.uint64(33)
            h *= p2
            h ^= h >> np.uint64(29)
            h *= p3
            h ^= h >> np.uint64(32)
        elif length <= 8:
            first = np.uint64(0)
            last = np.uint64(0)
            for k in range(4):
                first |= np.uint64(buf[start + k]) << np.uint64(8 * k)
                last |= np.uint64(buf[start + length - 4 + k]) << np.uint64(8 * k)
            h = (last + (first << np.uint64(32))) ^ flip_4to8
            h ^= ((h << np.uint64(49)) | (h >> np.uint64(15))) ^ ((h << np.uint64(24)) | (h >> np.uint64(40)))
            h *= rrmxmx
            h ^= (h >> np.uint64(35)) + size
            h *= rrmxmx
            h ^= h >> np.uint64(28)
        elif length <= 16:
            lo = np.uint64(0)
            hi = np.uint64(0)
            for k in range(8):
                lo |= np.uint64(buf[start + k]) << np.uint64(8 * k)
                hi |= np.uint64(buf[start + length - 8 + k]) << np.uint64(8 * k)
            lo ^= flip_lo
            hi ^= flip_hi
            swapped = np.uint64(0)
            for k in range(8):
                swapped |= ((lo >> np.uint64(8 * k)) & np.uint64(0xFF)) << np.uint64(56 - 8 * k)
            # the 128-bit product lo * hi, its halves folded (XXH3_mul128_fold64)
            a_lo, a_hi = lo & low, lo >> np.uint64(32)
            b_lo, b_hi = hi & low, hi >> np.uint64(32)
            lo_lo = a_lo * b_lo
            hi_lo = a_hi * b_lo
            lo_hi = a_lo * b_hi
            hi_hi = a_hi * b_hi
            cross = (lo_lo >> np.uint64(32)) + (hi_lo & low) + lo_hi
            upper = (hi_lo >> np.uint64(32)) + (cross >> np.uint64(32)) + hi_hi
            lower = (cross << np.uint64(32)) | (lo_lo & low)
            h = size + swapped + hi + (lower ^ upper)
            h ^= h >> np.uint64(37)
            h *= mx1
            h ^= h >> np.uint64(32)
        else:
            h = np.uint64(0)
        starts[count] = start
        lengths[count] = length
        hashes[count] = h
        count += 1
    return count


def word_hashes(buffer: bytes, space: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The words of ``buffer`` (runs of bytes other than ``space``): their
    starts, lengths and XXH3-64 hashes, what
    :func:`wiretrace.xxh3.xxh3_64_many` gives for the same words (words over
    16 bytes are hashed here by the ``xxhash`` library, as there). Call only
    when :func:`available`."""
    from wiretrace import xxh3

    raw = np.frombuffer(buffer, dtype=np.uint8)
    room = len(raw) // 2 + 1
    starts = np.empty(room, dtype=np.int64)
    lengths = np.empty(room, dtype=np.int64)
    hashes = np.empty(room, dtype=np.uint64)
    count = _KERNELS["words"](raw, np.uint8(space), xxh3._FLIP_1TO3, xxh3._FLIP_4TO8, xxh3._FLIP_9TO16_LO,
                              xxh3._FLIP_9TO16_HI, starts, lengths, hashes)
    starts, lengths = starts[:count], lengths[:count]
    return starts, lengths, xxh3.hash_long_words(buffer, starts, lengths, hashes[:count])
