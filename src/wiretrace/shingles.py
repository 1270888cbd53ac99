"""Words, word shingles and their 64-bit hashes, computed in bulk.

A document becomes the set of hashes of its ``k``-word shingles. Each word
is hashed with XXH3-64 (xxhash) and the ``k`` word hashes of a shingle are
combined with a fixed mixing function. Both steps run over a whole batch
of documents in a few numpy calls (see :mod:`wiretrace.xxh3`), so there is
no Python-level work per word or per shingle on the common path.

:func:`tokenize` and :func:`shingle_hash` are the plain-Python reference
definitions; the bulk path (:func:`shingle_sets`) is tested to agree with
them exactly.

A document's *free* set (:func:`free_shingle_sets`) is the part of its set
found outside given spans of its text (its quotes, :mod:`wiretrace.quotes`):
the shingles that occur at least once with no word inside a span. It is
tested against the reference tokeniser and hash word by word.
"""

from __future__ import annotations

import html
import re
import unicodedata

import numpy as np
import xxhash

from wiretrace import compiled
from wiretrace.normalize import _PUNCT_MAP, normalize_text
from wiretrace.xxh3 import xxh3_64_many

__all__ = [
    "tokenize",
    "word_tokens",
    "word_buffers",
    "shingle_hash",
    "shingle_sets",
    "shingle_sets_of_words",
    "word_buffer_with_spans",
    "free_shingle_sets",
    "WORDS_VERSION",
]

#: Version of the word definition and shingle hashing below. An index stores
#: shingle sets made with it; bump it whenever either changes, so that an
#: index built before is refused rather than silently compared with new sets.
WORDS_VERSION = 1

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


def word_buffer_with_spans(text: str, spans: list[tuple[int, int]]) -> tuple[bytes, list[tuple[int, int]]]:
    """The word buffer of ``text`` and where character ``spans`` are in it.

    ``spans`` (sorted, disjoint) must start and end between words (at a
    punctuation mark or a line break), as quotes and caption lines do. For
    ASCII text without ``&`` the buffer is the text byte for byte and the
    spans do not move; otherwise the text is cut at the spans and each piece
    normalised on its own (the cuts are between words, so the words are
    those of the whole text; tested), and the spans become the byte ranges
    of their pieces.

    Returns:
        ``(buffer, byte_spans)``: a buffer with the words of
        :func:`word_buffers`, and one ``(start, end)`` per span.

    Example:
        >>> word_buffer_with_spans('Il dit \u00abnous restons\u00bb.', [(7, 21)])
        (b'il dit   nous restons   ', [(8, 22)])
    """
    if text.isascii() and "&" not in text:
        return _word_bytes(text), spans
    pieces = []
    byte_spans = []
    at = 0
    size = 0
    for start, end in spans:
        before = _word_bytes(text[at:start])
        inside = _word_bytes(text[start:end])
        pieces += [before, inside]
        size += len(before) + 1
        byte_spans.append((size, size + len(inside)))
        size += len(inside) + 1
        at = end
    pieces.append(_word_bytes(text[at:]))
    return b" ".join(pieces), byte_spans


def free_shingle_sets(
    parts: list[bytes], k: int, spans: list[list[tuple[int, int]] | None]
) -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
    """:func:`shingle_sets_of_words`, plus each document's *free* set: the
    shingles it has outside the byte ``spans`` of its word buffer (from
    :func:`word_buffer_with_spans`; None or empty: nothing quoted).

    A shingle is free when it occurs at least once with none of its words
    starting inside a span. A document with nothing quoted has every
    shingle free, and its free set *is* its set (the same array object).
    The span-to-word work is done for the whole batch at once.

    Example:
        >>> buffer, quoted = word_buffer_with_spans('He said "a b c d e f g" and left the room today', [(8, 23)])
        >>> sets, free, counts = free_shingle_sets([buffer], 3, [quoted])
        >>> len(sets[0]), len(free[0]), counts
        (12, 3, [14])
    """
    starts, hashes, counts, combined, doc_offsets = _words_and_windows(parts, k)
    sets = _sets(hashes, counts, combined, k)
    free = list(sets)
    docs = [i for i, found in enumerate(spans) if found]
    if not docs:
        return sets, free, counts.tolist()
    first_word = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(counts, out=first_word[1:])
    bounds = np.concatenate([np.asarray(spans[i], dtype=np.int64) + doc_offsets[i] for i in docs])
    bounds = np.searchsorted(starts, bounds)  # (first, end) word of each span, in the batch
    inside = np.zeros(len(hashes) + 1, dtype=np.int64)
    np.add.at(inside, bounds[:, 0], 1)
    np.add.at(inside, bounds[:, 1], -1)
    seen = np.zeros(len(hashes) + 1, dtype=np.int64)
    np.cumsum(np.cumsum(inside[:-1]) > 0, out=seen[1:])  # quoted words before each word
    for i in docs:
        n, first = int(counts[i]), int(first_word[i])
        if n >= k:
            window = combined[first : first + n - k + 1]
            touched = seen[first + k : first + n + 1] - seen[first : first + n - k + 1] > 0
            free[i] = _distinct(window[~touched])
        elif n > 0 and seen[first + n] - seen[first] > 0:
            free[i] = np.empty(0, dtype=np.uint64)
    return sets, free, counts.tolist()


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
    _, hashes, counts, combined, _ = _words_and_windows(parts, k)
    return _sets(hashes, counts, combined, k), counts.tolist()


def _words_and_windows(parts: list[bytes], k: int):
    """Word starts (in the joined buffer), word hashes, word counts and
    ``k``-word window hashes of a batch, and each document's byte offset."""
    doc_offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) + 1 for p in parts], out=doc_offsets[1:])
    buffer = b" ".join(parts) + b" " * 9
    if compiled.use(len(buffer) * compiled.MIN_ELEMENTS // compiled.MIN_BYTES):  # the same words and hashes, compiled
        starts, _, hashes = compiled.word_hashes(buffer, _SPACE)
    else:
        starts, hashes = _word_hashes_numpy(buffer)
    counts = np.bincount(np.searchsorted(doc_offsets, starts, side="right") - 1, minlength=len(parts))
    combined = _combine(hashes, k) if len(hashes) >= k else hashes[:0]
    return starts, hashes, counts, combined, doc_offsets


def _word_hashes_numpy(buffer: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Where each word of a padded word buffer starts, and its XXH3-64 (the
    reference :func:`wiretrace.compiled.word_hashes` is pinned to)."""
    is_word = np.frombuffer(buffer, dtype=np.uint8) != _SPACE
    edges = np.flatnonzero(np.diff(is_word.view(np.int8), prepend=np.int8(0)))
    starts, ends = edges[0::2], edges[1::2]
    return starts, xxh3_64_many(buffer, starts, ends - starts)


def _sets(hashes: np.ndarray, counts: np.ndarray, combined: np.ndarray, k: int) -> list[np.ndarray]:
    """Each document's sorted distinct shingle hashes."""
    sets = []
    start = 0
    for n in counts.tolist():
        if n >= k:
            sets.append(_distinct(combined[start : start + n - k + 1]))
        elif n > 0:
            sets.append(_combine(hashes[start : start + n], n))
        else:
            sets.append(np.empty(0, dtype=np.uint64))
        start += n
    return sets
