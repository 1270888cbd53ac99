"""XXH3-64 of many short byte strings at once, in numpy.

Words are short: nearly all are at most 16 bytes, where XXH3 is a handful
of multiplies and shifts on one or two little-endian words of the input.
This module evaluates those closed forms over every word of a batch with
vectorised numpy, and falls back to the ``xxhash`` C library for the rare
longer word, so results are identical to ``xxhash.xxh3_64_intdigest`` (seed
0, default secret) for every input; the test suite checks that.
"""

from __future__ import annotations

import numpy as np
import xxhash

__all__ = ["xxh3_64_many", "hash_long_words"]

# The first 72 bytes of XXH3's default secret (kSecret), all that inputs of
# at most 16 bytes read.
_SECRET = bytes.fromhex(
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
    "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
    "3c2852bb91c300cb"
)
_U = np.uint64


def _le32(offset: int) -> int:
    return int.from_bytes(_SECRET[offset : offset + 4], "little")


def _le64(offset: int) -> int:
    return int.from_bytes(_SECRET[offset : offset + 8], "little")


_FLIP_1TO3 = _U(_le32(0) ^ _le32(4))
_FLIP_4TO8 = _U(_le64(8) ^ _le64(16))
_FLIP_9TO16_LO = _U(_le64(24) ^ _le64(32))
_FLIP_9TO16_HI = _U(_le64(40) ^ _le64(48))
_PRIME64_2 = _U(0xC2B2AE3D27D4EB4F)
_PRIME64_3 = _U(0x165667B19E3779F9)
_PRIME_MX1 = _U(0x165667919E3779F9)
_PRIME_RRMXMX = _U(0x9FB21C651E98DF25)
_LOW32 = _U(0xFFFFFFFF)


def _shr(x: np.ndarray, n: int) -> np.ndarray:
    return x >> _U(n)


def _rotl(x: np.ndarray, n: int) -> np.ndarray:
    return (x << _U(n)) | (x >> _U(64 - n))


def _xxh64_avalanche(h: np.ndarray) -> np.ndarray:
    h = h ^ _shr(h, 33)
    h *= _PRIME64_2
    h ^= _shr(h, 29)
    h *= _PRIME64_3
    return h ^ _shr(h, 32)


def _xxh3_avalanche(h: np.ndarray) -> np.ndarray:
    h = h ^ _shr(h, 37)
    h *= _PRIME_MX1
    return h ^ _shr(h, 32)


def _mul128_fold64(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Low 64 bits XOR high 64 bits of the full 128-bit product a*b."""
    a_lo, a_hi = a & _LOW32, _shr(a, 32)
    b_lo, b_hi = b & _LOW32, _shr(b, 32)
    lo_lo = a_lo * b_lo
    hi_lo = a_hi * b_lo
    lo_hi = a_lo * b_hi
    hi_hi = a_hi * b_hi
    # Cannot overflow: the same carry-save sum as XXH_mult64to128.
    cross = _shr(lo_lo, 32) + (hi_lo & _LOW32) + lo_hi
    upper = _shr(hi_lo, 32) + _shr(cross, 32) + hi_hi
    lower = (cross << _U(32)) | (lo_lo & _LOW32)
    return lower ^ upper


def xxh3_64_many(buffer: bytes, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """XXH3-64 (seed 0) of ``buffer[s:s+n]`` for every ``(s, n)`` pair.

    Args:
        buffer: The bytes holding all inputs. It must extend at least 8
            bytes past the end of the last input (pad it), so that 8-byte
            reads near the end stay inside it.
        starts: Start offset of each input (int64).
        lengths: Length of each input in bytes (int64, at least 1).

    Returns:
        uint64 array, equal to ``xxhash.xxh3_64_intdigest`` of each input.

    Example:
        >>> import xxhash
        >>> buf = b"wire copy reposted" + b" " * 8
        >>> h = xxh3_64_many(buf, np.array([0, 5]), np.array([4, 4]))
        >>> [int(v) for v in h] == [xxhash.xxh3_64_intdigest(b"wire"), xxhash.xxh3_64_intdigest(b"copy")]
        True
    """
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(starts) == 0:
        return np.empty(0, dtype=np.uint64)
    if lengths.min() < 1 or int((starts + lengths).max()) + 8 > len(buffer):
        raise ValueError("every input must be non-empty and end at least 8 bytes before the buffer's end")
    raw = np.frombuffer(buffer, dtype=np.uint8)
    # Unaligned little-endian 32/64-bit reads at every byte offset, as
    # strided views over the same memory (no copy).
    read32 = np.ndarray((len(raw) - 3,), dtype="<u4", buffer=buffer, strides=(1,))
    read64 = np.ndarray((len(raw) - 7,), dtype="<u8", buffer=buffer, strides=(1,))
    n64 = lengths.astype(np.uint64)

    # Nearly all words are 1-8 bytes. Both closed forms are evaluated for
    # every word and the right one picked with np.where: branch-free
    # arithmetic measured ~3x faster than selecting words by boolean masks.
    c1 = raw[starts].astype(np.uint64)
    c2 = raw[starts + (lengths >> 1)].astype(np.uint64)
    c3 = raw[starts + lengths - 1].astype(np.uint64)
    combined = (c1 << _U(16)) | (c2 << _U(24)) | c3 | (n64 << _U(8))
    small = _xxh64_avalanche(combined ^ _FLIP_1TO3)

    first = read32[starts].astype(np.uint64)
    last = read32[np.maximum(starts + lengths - 4, 0)].astype(np.uint64)
    h = (last + (first << _U(32))) ^ _FLIP_4TO8
    h ^= _rotl(h, 49) ^ _rotl(h, 24)
    h *= _PRIME_RRMXMX
    h ^= _shr(h, 35) + n64
    h *= _PRIME_RRMXMX
    h ^= _shr(h, 28)
    out = np.where(lengths <= 3, small, h)

    long = np.flatnonzero((lengths >= 9) & (lengths <= 16))
    if len(long):
        s, n = starts[long], lengths[long]
        lo = read64[s].astype(np.uint64) ^ _FLIP_9TO16_LO
        hi = read64[s + n - 8].astype(np.uint64) ^ _FLIP_9TO16_HI
        acc = n64[long] + lo.byteswap() + hi + _mul128_fold64(lo, hi)
        out[long] = _xxh3_avalanche(acc)

    return hash_long_words(buffer, starts, lengths, out)


def hash_long_words(buffer: bytes, starts: np.ndarray, lengths: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` for the inputs over 16 bytes (rare among words) with the
    ``xxhash`` library's XXH3-64; returns ``out``."""
    for i in np.flatnonzero(lengths > 16).tolist():
        start = int(starts[i])
        out[i] = xxhash.xxh3_64_intdigest(buffer[start : start + int(lengths[i])])
    return out
