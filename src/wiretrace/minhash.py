"""MinHash signatures in bulk, bit-for-bit compatible with datasketch.

datasketch's default ``affine32`` scheme (datasketch >= 2.0) hashes each
element to 32 bits, pre-mixes it with the MurmurHash3 32-bit finaliser and
applies ``num_perm`` permutations ``a * h + b mod 2**32`` drawn from
``numpy.random.RandomState(seed)``. :class:`MinHasher` draws the same
permutations and applies them to a whole batch of documents in a few numpy
calls, instead of one ``MinHash.update`` per element. The element hash fed
to the permutations is the low 32 bits of the 64-bit shingle hash, so a
datasketch ``MinHash(num_perm, seed, hashfunc=minhash_element_hash)``
updated with the same shingles has identical hash values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wiretrace import compiled
from wiretrace.shingles import shingle_hash

__all__ = ["MinHasher", "minhash_element_hash", "SCHEME"]

SCHEME = "affine32"
_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)
# Elements (shingles) per chunk of the permutation matrix: (num_perm x 8k)
# uint32 is 4 MiB at 128 permutations, which measured fastest here.
_CHUNK_ELEMENTS = 8192


def minhash_element_hash(shingle: str | list[str]) -> int:
    """The 32-bit element hash wiretrace feeds to MinHash for one shingle.

    Pass it as ``hashfunc`` to ``datasketch.MinHash`` to build, from shingle
    strings, signatures identical to wiretrace's.

    Example:
        >>> from datasketch import MinHash
        >>> m = MinHash(num_perm=16, seed=1, hashfunc=minhash_element_hash)
        >>> m.update("the minister said on friday")
        >>> from wiretrace.shingles import shingle_sets
        >>> sets, _ = shingle_sets(["The minister said on Friday"], 5)
        >>> bool((MinHasher(num_perm=16, seed=1).signatures(sets)[0] == m.hashvalues).all())
        True
    """
    return shingle_hash(shingle) & 0xFFFFFFFF


def _fmix32(x: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX32
    x = x ^ (x >> np.uint32(s1))
    x *= np.uint32(m1)
    x ^= x >> np.uint32(s2)
    x *= np.uint32(m2)
    x ^= x >> np.uint32(s3)
    return x


class MinHasher:
    """Computes datasketch-compatible MinHash signatures for many sets at once.

    Args:
        num_perm: Number of permutations (signature length). More
            permutations estimate similarity more precisely and make LSH
            banding finer, at linear cost.
        seed: Seed of the permutations; signatures are comparable only
            between hashers with the same ``num_perm`` and ``seed``.

    Raises:
        ValueError: If ``num_perm`` is not a positive integer.

    Example:
        >>> h = MinHasher(num_perm=64, seed=1)
        >>> sig = h.signatures([np.array([1, 2, 3], dtype=np.uint64)])
        >>> sig.shape, sig.dtype
        ((1, 64), dtype('uint32'))
    """

    def __init__(self, num_perm: int = 128, seed: int = 1):
        if not isinstance(num_perm, int) or isinstance(num_perm, bool) or num_perm < 1:
            raise ValueError(f"num_perm must be a positive integer, got {num_perm!r}; 128 is a good default")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.num_perm = num_perm
        self.seed = seed
        # Same draws, in the same order, as datasketch.MinHash._init_permutations
        # for the affine32 scheme.
        gen = np.random.RandomState(seed)
        self.a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        self.b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)

    def signatures(self, shingle_sets: Sequence[np.ndarray]) -> np.ndarray:
        """Signatures of a batch of shingle sets.

        Args:
            shingle_sets: One uint64 array of shingle hashes per document
                (repeats allowed; each must be non-empty).

        Returns:
            ``(len(shingle_sets), num_perm)`` uint32 array; row ``i`` equals
            ``datasketch.MinHash`` hash values for document ``i``.
        """
        n = len(shingle_sets)
        sizes = [len(s) for s in shingle_sets]
        if 0 in sizes:
            raise ValueError(f"shingle set {sizes.index(0)} is empty; MinHash of an empty set is undefined")
        if compiled.use(sum(sizes)):  # the same values, compiled
            starts = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(sizes, out=starts[1:])
            flat = np.concatenate(shingle_sets)
            if flat.dtype != np.uint64:  # as the numpy path, which cannot mix int64 and uint64 either
                raise TypeError(f"shingle sets must be uint64 arrays, not {flat.dtype}")
            return compiled.minhash_signatures(flat, starts, self.a, self.b)
        return self.signatures_numpy(shingle_sets)

    def signatures_numpy(self, shingle_sets: Sequence[np.ndarray]) -> np.ndarray:
        """:meth:`signatures` in numpy alone: the reference the compiled kernel is pinned to."""
        n = len(shingle_sets)
        out = np.empty((n, self.num_perm), dtype=np.uint32)
        sizes = [len(s) for s in shingle_sets]
        b = self.b[:, None]
        # One buffer reused for every chunk: a fresh multi-MiB array per
        # chunk costs page faults that measured slower than the arithmetic.
        buffer = np.empty((self.num_perm, max(_CHUNK_ELEMENTS, max(sizes, default=0))), dtype=np.uint32)
        start = 0
        while start < n:
            # A chunk of whole documents of about _CHUNK_ELEMENTS elements:
            # one outer product for the chunk, then a row-wise min over each
            # document's columns (contiguous runs, which numpy vectorises).
            stop, total = start + 1, sizes[start]
            while stop < n and total + sizes[stop] <= _CHUNK_ELEMENTS:
                total += sizes[stop]
                stop += 1
            elements = np.concatenate(shingle_sets[start:stop])
            hv = _fmix32((elements & np.uint64(0xFFFFFFFF)).astype(np.uint32))
            permuted = buffer[:, :total]
            np.multiply.outer(self.a, hv, out=permuted)
            permuted += b
            col = 0
            for i in range(start, stop):
                permuted[:, col : col + sizes[i]].min(axis=1, out=out[i])
                col += sizes[i]
            start = stop
        return out
