"""Words, word shingles and their 64-bit hashes, computed in bulk.

A document becomes the set of hashes of its ``k``-word shingles. Each word
is hashed with XXH3-64 (xxhash) and the ``k`` word hashes of a shingle are
combined with a fixed mixing function. Both steps run over a whole batch
of documents in a few numpy calls (see :mod:`wiretrace.xxh3`), so there is
no Python-level work per word or per shingle on the common path.

:func:`tokenize` and :func:`shingle_hash` are the plain-Python reference
definitions; the bulk path (:func:`shingle_sets`) is tested to agree with
them exactly.
"""

from __future__ import annotations

import html
import re
import unicodedata

import numpy as np
import xxhash

from wiretrace.normalize import _PUNCT_MAP, normalize_text
from wiretrace.xxh3 import xxh3_64_many

__all__ = [
    "tokenize",
    "word_tokens",
    "word_buffers",
    "shingle_hash",
    "shingle_sets",
    "shingle_sets_of_words",
    "span_word_ranges",
    "free_shingle_sets",
]

_MASK64 = (1 << 64) - 1
# A word is a run of letters/digits; CJK ideographs and kana are words on
# their own because those scripts do not separate words with spaces.
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")

# Combining step: XXH64's prime, and the MurmurHash3 64-bit finaliser so the
# combined hash avalanches like a real hash.
_PRIME = 0x9E3779B185EBCA87
_ROT = 27
_FMIX = (33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33)

# bytes.translate table of the fast tokeniser: ASCII letters are lowered,
# ASCII digits kept, every other ASCII byte becomes a space; bytes of
# multi-byte UTF-8 sequences are kept for a second, exact pass.
_ASCII_TABLE = bytes(
    c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else 32
    for c in range(256)
)
_PUNCT_ITEMS = tuple(_PUNCT_MAP.items())
_SPACE = 32


def tokenize(text: str) -> list[str]:
    """Split text into normalised words (reference definition).

    Example:
        >>> tokenize("LONDON (Reuters) \u2014 Shares ROSE 3.5%")
        ['london', 'reuters', 'shares', 'rose', '3', '5']
    """
    return _TOKEN.findall(normalize_text(text))


def _word_bytes(text: str) -> bytes:
    """The words of ``text`` as one bytes string, separated by spaces.

    Most news text is ASCII once quotes and dashes are mapped; it is split
    by ``bytes.translate`` at C speed. Only words still holding non-ASCII
    letters go through the Unicode regex. Equal to the words of
    :func:`tokenize`, UTF-8 encoded and space-separated (plus extra spaces).
    """
    if "&" in text:
        text = html.unescape(html.unescape(text))
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        for char, replacement in _PUNCT_ITEMS:
            if char in text:
                text = text.replace(char, replacement)
        if not text.isascii():
            words = []
            for word in text.casefold().encode("utf-8").translate(_ASCII_TABLE).split():
                if word.isascii():
                    words.append(word)
                else:
                    words.extend(w.encode("utf-8") for w in _TOKEN.findall(word.decode("utf-8")))
            return b" ".join(words)
    return text.encode("ascii").translate(_ASCII_TABLE)


def word_tokens(text: str) -> list[bytes]:
    """The words of :func:`tokenize`, as UTF-8 bytes, by the fast path."""
    return _word_bytes(text).split()


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _MASK64


def shingle_hash(shingle: str | list[str]) -> int:
    """Reference 64-bit hash of one shingle (plain Python, slow).

    Args:
        shingle: The shingle's words, as a list or as one space-separated
            string of already normalised words (as :func:`tokenize` gives).

    Returns:
        An unsigned 64-bit integer, equal to what the bulk path computes.

    Example:
        >>> words = tokenize("Shares rose sharply on Monday")
        >>> shingle_hash(words) == shingle_hash(" ".join(words))
        True
    """
    words = shingle.split(" ") if isinstance(shingle, str) else shingle
    acc = xxhash.xxh3_64_intdigest(words[0].encode("utf-8"))
    for word in words[1:]:
        acc = ((_rotl(acc, _ROT) ^ xxhash.xxh3_64_intdigest(word.encode("utf-8"))) * _PRIME) & _MASK64
    s1, m1, s2, m2, s3 = _FMIX
    acc ^= acc >> s1
    acc = (acc * m1) & _MASK64
    acc ^= acc >> s2
    acc = (acc * m2) & _MASK64
    return acc ^ (acc >> s3)


def _combine(word_hashes: np.ndarray, k: int) -> np.ndarray:
    """Hashes of all ``k``-word windows of a word-hash sequence."""
    n = len(word_hashes) - k + 1
    acc = word_hashes[:n].copy()
    rot, back, prime = np.uint64(_ROT), np.uint64(64 - _ROT), np.uint64(_PRIME)
    for j in range(1, k):
        acc = ((acc << rot) | (acc >> back)) ^ word_hashes[j : j + n]
        acc *= prime
    return fmix64(acc)


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, in place on a uint64 array (returned)."""
    s1, m1, s2, m2, s3 = (np.uint64(c) for c in _FMIX)
    h ^= h >> s1
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s3
    return h


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique without its overhead)."""
    values = np.sort(values)
    if len(values) > 1:
        keep = np.empty(len(values), dtype=bool)
        keep[0] = True
        np.not_equal(values[1:], values[:-1], out=keep[1:])
        values = values[keep]
    return values


def word_buffers(texts: list[str]) -> list[bytes]:
    """The normalise stage: each text's words as one space-separated buffer.

    Example:
        >>> word_buffers(["“Shares ROSE,” she said"])
        [b' shares rose   she said']
    """
    return [_word_bytes(t) for t in texts]


def shingle_sets(texts: list[str], k: int) -> tuple[list[np.ndarray], list[int]]:
    """Shingle sets of many raw texts (normalise + :func:`shingle_sets_of_words`).

    Example:
        >>> sets, counts = shingle_sets(["A short story about wire copy.", ""], k=5)
        >>> [len(s) for s in sets], counts
        ([2, 0], [6, 0])
    """
    return shingle_sets_of_words(word_buffers(texts), k)


def span_word_ranges(text: str, spans: list[tuple[int, int]]) -> tuple[int, list[tuple[int, int]]]:
    """Which words of ``text`` lie inside character ``spans``.

    ``spans`` (sorted, disjoint) must start and end between words (at a
    punctuation mark or a line break), as quotes and caption lines do; the
    text is cut there and the words of each piece counted, which gives the
    words of the whole text (the total is returned so a caller can check).

    Returns:
        ``(words, ranges)``: the text's word count and, for each span that
        holds words, the ``[first, end)`` range of its word indices.

    Example:
        >>> span_word_ranges('He said "we will stay here" today.', [(8, 27)])
        (7, [(2, 6)])
    """
    ranges = []
    words = 0
    at = 0
    for start, end in spans:
        words += len(_word_bytes(text[at:start]).split())
        inside = len(_word_bytes(text[start:end]).split())
        if inside:
            ranges.append((words, words + inside))
        words += inside
        at = end
    words += len(_word_bytes(text[at:]).split())
    return words, ranges


def _free(windows: np.ndarray, n_words: int, k: int, ranges: list[tuple[int, int]]) -> np.ndarray:
    """Sorted distinct hashes of the windows that hold no word of ``ranges``."""
    inside = np.zeros(n_words + 1, dtype=np.int64)
    for first, end in ranges:
        inside[first] += 1
        inside[end] -= 1
    quoted = np.cumsum(inside[:-1]) > 0
    width = min(k, n_words)
    seen = np.concatenate(([0], np.cumsum(quoted)))
    touched = seen[width:] - seen[: len(seen) - width] > 0
    return _distinct(windows[~touched])


def free_shingle_sets(
    parts: list[bytes], k: int, quoted: list[tuple[int, list[tuple[int, int]]] | None]
) -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
    """:func:`shingle_sets_of_words`, plus each document's *free* set: the
    shingles it has outside the word ranges of ``quoted``.

    A shingle is free when it occurs at least once with none of its words
    in a range. A document whose ``quoted`` entry is None, has no ranges,
    or counts other words than its buffer (spans that were not between
    words) has every shingle free, and its free set *is* its set (the same
    array object).

    Example:
        >>> words = word_buffers(['He said "a b c d e f g" and left the room today'])
        >>> sets, free, counts = free_shingle_sets(words, 3, [(14, [(2, 9)])])
        >>> len(sets[0]), len(free[0]), counts
        (12, 3, [14])
    """
    sets, counts, windows = _shingle_sets(parts, k, keep_windows=[bool(q and q[1]) for q in quoted])
    free = []
    for i, (entry, n) in enumerate(zip(quoted, counts)):
        if i in windows and entry[0] == n:
            free.append(_free(windows[i], n, k, entry[1]))
        else:
            free.append(sets[i])
    return sets, free, counts


def shingle_sets_of_words(parts: list[bytes], k: int) -> tuple[list[np.ndarray], list[int]]:
    """Shingle sets of many normalised word buffers at once, and word counts.

    All buffers go into one; words are found and hashed with vectorised
    numpy, and shingle windows are combined over the whole batch in one
    pass (windows straddling two documents are not used).

    Args:
        parts: Word buffers from :func:`word_buffers`.
        k: Shingle size in words. A text with fewer than ``k`` words (but at
            least one) has a single shingle made of all its words.

    Returns:
        ``(sets, word_counts)``: one sorted, distinct uint64 array per text
        (empty for a text without words), and the number of words of each.
    """
    sets, counts, _ = _shingle_sets(parts, k)
    return sets, counts


def _shingle_sets(
    parts: list[bytes], k: int, keep_windows: list[bool] | None = None
) -> tuple[list[np.ndarray], list[int], dict[int, np.ndarray]]:
    """:func:`shingle_sets_of_words`, and the shingle hashes in text order
    (before sorting) of the documents ``keep_windows`` marks."""
    doc_offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) + 1 for p in parts], out=doc_offsets[1:])
    buffer = b" ".join(parts) + b" " * 9
    is_word = np.frombuffer(buffer, dtype=np.uint8) != _SPACE
    edges = np.flatnonzero(np.diff(is_word.view(np.int8), prepend=np.int8(0)))
    starts, ends = edges[0::2], edges[1::2]
    hashes = xxh3_64_many(buffer, starts, ends - starts)
    counts = np.bincount(np.searchsorted(doc_offsets, starts, side="right") - 1, minlength=len(parts))
    combined = _combine(hashes, k) if len(hashes) >= k else hashes[:0]
    sets = []
    windows: dict[int, np.ndarray] = {}
    start = 0
    for i, n in enumerate(counts.tolist()):
        if n >= k:
            window = combined[start : start + n - k + 1]
            sets.append(_distinct(window))
        elif n > 0:
            window = _combine(hashes[start : start + n], n)
            sets.append(window)
        else:
            window = np.empty(0, dtype=np.uint64)
            sets.append(window)
        if keep_windows is not None and keep_windows[i]:
            windows[i] = window
        start += n
    return sets, counts.tolist(), windows
