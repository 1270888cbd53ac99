"""Aligned passages: the runs of words a copy shares with its source.

Given a source ("with") text and a copy, :func:`align` finds the maximal
runs of the same words in both, as character offsets into both *original*
texts, and how much of each they cover: ``cut`` is the share of the
source's word characters found in the copy (how much of the source was
pasted), ``paste`` the share of the copy's word characters that come from
the source (how much of the copy is pasted). This is what churnalism tools
show side by side. :func:`align_pairs` aligns many pairs at once, much
faster per pair.

Words are runs of word characters (what ``\\w`` matches, plus combining
marks) with single apostrophes inside (``don't``, ``O’Neill``); each CJK
ideograph or kana is a word of its own, as in fingerprinting. Invisible
characters (soft hyphen, zero-width spaces) inside a word are skipped.
Words compare in a normal form (:func:`normal_form`): case-folded, with
curly and straight apostrophes, full-width and compatibility forms (NFKC)
the same. HTML entities left in scraped text (``don&#8217;t``, double-escaped
``&amp;#8217;``) read as their characters, with offsets still into the
original text. Punctuation and spacing between words (quotes, dashes,
no-break spaces, line breaks) never matter.

How: every word is hashed and word hashes are combined into ``k``-word
shingle hashes, vectorised over all the texts of a batch; each shingle of
a copy is looked up in a hash table of its source's shingles (numpy
arrays, built and probed in vectorised rounds). Matches on one diagonal
(source position minus copy position) at consecutive copy positions chain
into runs; when a shingle occurs several times in the source, the current
diagonal is continued if it can be. A run of shingles is a passage of
``run + k - 1`` words. Passages under :data:`MIN_PASSAGE_WORDS` words are
dropped, overlaps in the copy are resolved longest first, and passages come
sorted by their start in the copy. Results do not depend on Python's hash
seed, on batching or on the order of the pairs.

:func:`word_spans` and :func:`normal_form` are the plain-Python reference
definitions of words; the vectorised path is tested to agree with them.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import xxhash

from wiretrace.normalize import _PUNCT_MAP
from wiretrace.shingles import fmix64

__all__ = ["Alignment", "align", "align_pairs", "word_spans", "normal_form", "MIN_PASSAGE_WORDS"]

# Passages shorter than this are dropped. One 5-word shingle in common can
# be a stock phrase ("said in a statement on") or a fragment of a quote both
# texts carry; 8 words need four consecutive shingles to agree, which chance
# phrasing rarely gives, while a copied news sentence (about 20 words)
# easily passes. Never less than the shingle size itself.
MIN_PASSAGE_WORDS = 8

# Apostrophes, as the fingerprint's normalisation maps them; between two
# letters they belong to the word and compare as "'".
_APOSTROPHES = "".join(sorted({c for c, r in _PUNCT_MAP.items() if r == "'"} | {"'"}))
# Invisible characters scrapers leave inside words: skipped.
_IGNORABLE = "".join(sorted(c for c, r in _PUNCT_MAP.items() if r == ""))
_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_CJK_CLASS = "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in _CJK_RANGES)
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"

# Reference definition of a word: a CJK character alone, or word characters
# (not CJK) with invisible characters and single apostrophes inside.
_W = rf"(?:[^\W{_CJK_CLASS}]|[{_COMBINING}])"
_WORD = re.compile(
    rf"[{_CJK_CLASS}]|{_W}(?:[{_IGNORABLE}]*(?:[{re.escape(_APOSTROPHES)}][{_IGNORABLE}]*)?{_W})*"
)
_W_CHAR = re.compile(_W)

# HTML entities left in scraped text ("don&#8217;t", "AT&amp;T", double-escaped
# "&amp;#8217;"), as the fingerprint's normalisation decodes them.
_ENTITY = re.compile(r"&(?:amp;)?(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_PADDING = "\u00ad"  # a soft hyphen: invisible, skipped inside words


def _decode_entities(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each HTML entity decoded in place, and where they were.

    An entity becomes soft hyphens followed by its character, so the text
    keeps its length and every offset still points at the same place in
    the original; words are then found in the decoded text, and a word
    that starts inside an entity is moved to the entity's start.
    """
    if "&" not in text:
        return text, []
    regions: list[tuple[int, int]] = []

    def decode(match: re.Match[str]) -> str:
        entity = match.group(0)
        char = html.unescape(f"&{match.group(1)};")
        if char.startswith("&") and len(char) > 1 or len(char) > len(entity):  # not an entity we know
            return entity
        regions.append(match.span())
        return _PADDING * (len(entity) - len(char)) + char

    return _ENTITY.sub(decode, text), regions


def _widen(starts: np.ndarray, ends: np.ndarray, region_starts: np.ndarray, region_ends: np.ndarray) -> None:
    """Move word starts and ends that fall inside an entity to its edges (in place)."""
    i = np.searchsorted(region_starts, starts, side="right") - 1
    inside = (i >= 0) & (starts < region_ends.take(np.maximum(i, 0)))
    starts[inside] = region_starts.take(i[inside])
    i = np.searchsorted(region_starts, ends - 1, side="right") - 1
    inside = (i >= 0) & (ends - 1 < region_ends.take(np.maximum(i, 0)))
    ends[inside] = region_ends.take(i[inside])


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every word of ``text`` (reference definition).

    Example:
        >>> text = "\u201cDon\u2019t,\u201d she said \u2014 twice."
        >>> [text[s:e] for s, e in word_spans(text)]
        ['Don\u2019t', 'she', 'said', 'twice']
    """
    decoded, regions = _decode_entities(text)
    spans = [m.span() for m in _WORD.finditer(decoded)]
    if regions and spans:
        starts, ends = (np.array(column, dtype=np.int64) for column in zip(*spans))
        bounds = np.array(regions, dtype=np.int64)
        _widen(starts, ends, bounds[:, 0], bounds[:, 1])
        spans = list(zip(starts.tolist(), ends.tolist()))
    return spans


def normal_form(word: str) -> str:
    """The form words are compared in (reference definition).

    HTML entities are decoded; then, per character: apostrophes become
    ``'``, invisible characters are dropped, and every other character becomes its NFKC case-folded form
    when that is one character (else its lower case when that is one
    character, else itself).

    Example:
        >>> normal_form("O\u2019NEILL"), normal_form("\uff26\uff55\uff4c\uff4c")
        ("o'neill", 'full')
    """
    return "".join(_fold(ch) for ch in _decode_entities(word)[0])


@lru_cache(maxsize=4096)
def _fold(ch: str) -> str:
    if ch in _APOSTROPHES:
        return "'"
    if ch in _IGNORABLE:
        return ""
    folded = unicodedata.normalize("NFKC", ch).casefold()
    if len(folded) == 1:
        return folded
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


# --------------------------------------------------------------------------- character tables

_WORD_BIT, _APOSTROPHE_BIT, _CJK_BIT, _IGNORABLE_BIT = 1, 2, 4, 8


def _char_props(code: int) -> tuple[int, int]:
    """(class bits, folded code point) of one code point, from the reference definitions."""
    if 0xD800 <= code <= 0xDFFF:  # lone surrogates (invalid text): separators
        return 0, 32
    ch = chr(code)
    bits = 0
    if any(a <= code <= b for a, b in _CJK_RANGES):
        bits |= _CJK_BIT | _WORD_BIT
    elif _W_CHAR.match(ch):
        bits |= _WORD_BIT
    if ch in _APOSTROPHES:
        bits |= _APOSTROPHE_BIT
    if ch in _IGNORABLE:
        bits |= _IGNORABLE_BIT
    folded = _fold(ch)
    return bits, ord(folded) if folded else 32


def _tables(codes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    props = [_char_props(c) for c in codes]
    return np.array([p[0] for p in props], dtype=np.uint8), np.array([p[1] for p in props], dtype=np.uint32)


class _BMP:
    """Class bits and folded code of the BMP's characters, each 256-character
    page computed the first time a text uses it (a text uses a few pages)."""

    def __init__(self) -> None:
        self.bits = np.zeros(0x10000, dtype=np.uint8)
        self.fold = np.full(0x10000, 32, dtype=np.uint32)
        self.built = np.zeros(0x100, dtype=bool)

    def tables(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The tables, with every page ``codes`` (all in the BMP) uses built."""
        used = np.bincount(codes >> 8, minlength=0x100) > 0
        for page in np.flatnonzero(used & ~self.built).tolist():
            start = page << 8
            self.bits[start : start + 0x100], self.fold[start : start + 0x100] = _tables(range(start, start + 0x100))
            self.built[page] = True
        return self.bits, self.fold


_BMP_TABLES = _BMP()


def _ascii_table() -> bytes:
    """bytes.translate table: word characters folded, apostrophes to ', the rest to a space."""
    out = bytearray()
    for code in range(256):
        bits, folded = _char_props(code) if code < 128 else (0, 32)
        out.append(folded if bits & _WORD_BIT else 39 if bits & _APOSTROPHE_BIT else 32)
    return bytes(out)


_ASCII_TABLE = _ascii_table()
# Typographic characters that act exactly like an ASCII one (an apostrophe,
# or a separator): a text whose only non-ASCII characters are these takes
# the fast ASCII path, with the same offsets (one character for one).
_TYPOGRAPHIC = tuple(
    (ch, "'" if bits & _APOSTROPHE_BIT else " ")
    for ch in sorted(
        {c for c, r in _PUNCT_MAP.items() if r}
        | set("\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\u2028\u2029")
        | set("\u2026\u2022\u00b7\u00a9\u00ae\u2122\u00a7\u00b0\u20ac\u00a3\u2020\u2021")
    )
    for bits in [_char_props(ord(ch))[0]]
    if not bits & (_WORD_BIT | _IGNORABLE_BIT | _CJK_BIT)
)

_C1, _C2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
_SHIFT = np.uint64(33)
_M1, _M2 = 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53  # MurmurHash3's finaliser, as shingles.fmix64
_COMBINE = np.uint64(0x100000001B3)  # odd multiplier combining word hashes into shingle hashes
_LOW_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_PAD = b" " * 9  # 8-byte reads from a word's start stay inside the buffer
_NONE = -(1 << 40)  # "no match": far below every position
_EDGE = 1 << 42  # separates the diagonals of different pairs
_MASK64 = (1 << 64) - 1


# --------------------------------------------------------------------------- words and their hashes


def _fmix_int(h: int) -> int:
    h ^= h >> 33
    h = (h * _M1) & _MASK64
    h ^= h >> 33
    h = (h * _M2) & _MASK64
    return h ^ (h >> 33)


def _hash_words(buffer: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Hash of each word ``buffer[start:end]`` (the UTF-8 of its normal form).

    Words of up to 8 bytes are their bytes read as a little-endian integer
    (exact); 9 to 16 bytes add their first 8 bytes, their last 8 bytes
    mixed, and the length; longer ones (rare) use XXH3. All are then
    avalanched (MurmurHash3's finaliser). The work is per word, not per
    character: one 8-byte read at each word's start.
    """
    if len(starts) == 0:
        return np.empty(0, dtype=np.uint64)
    read64 = np.ndarray((len(buffer) - 7,), dtype="<u8", buffer=buffer, strides=(1,))
    lengths = ends - starts
    hashes = read64.take(starts) & _LOW_BYTES.take(lengths, mode="clip")
    longer = np.flatnonzero(lengths > 8)
    if len(longer):
        n = lengths.take(longer)
        last = read64.take(starts.take(longer) + n - 8) * _C2
        last ^= last >> _SHIFT
        hashes[longer] = hashes.take(longer) + last + n.astype(np.uint64)
        for w in longer[n > 16].tolist():  # rare
            hashes[w] = xxhash.xxh3_64_intdigest(buffer[starts[w] : ends[w]])
    return fmix64(hashes)


def _word_hash(word: str) -> int:
    """Reference (plain Python) of the vectorised word hash."""
    data = normal_form(word).encode("utf-8", "surrogatepass")
    n = len(data)
    if n <= 8:
        h = int.from_bytes(data, "little")
    elif n <= 16:
        first, last = int.from_bytes(data[:8], "little"), (int.from_bytes(data[-8:], "little") * int(_C2)) & _MASK64
        h = (first + (last ^ (last >> 33)) + n) & _MASK64
    else:
        h = xxhash.xxh3_64_intdigest(data)
    return _fmix_int(h)


def _words_ascii(padded: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, hashes) of the words of an ASCII text that starts with a
    space and ends with 9 spaces (offsets in ``padded``): one bytes.translate
    folds the words and blanks everything else."""
    buffer = padded.encode("ascii").translate(_ASCII_TABLE)
    codes = np.frombuffer(buffer, dtype=np.uint8)
    word = codes > 39  # word characters; 39 is the apostrophe, 32 a separator
    if "'" in padded or "`" in padded:
        word[1:-1] |= (codes[1:-1] == 39) & word[:-2] & word[2:]
    edges = np.flatnonzero(word[1:] != word[:-1])  # starts and ends alternate (the padding closes the last word)
    edges += 1
    starts, ends = edges[0::2], edges[1::2]
    return starts, ends, _hash_words(buffer, starts, ends)


def _words_unicode(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, hashes) of the words of any text, from per-character tables."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    astral = codes > 0xFFFF
    bits_table, fold_table = _BMP_TABLES.tables(codes[~astral] if astral.any() else codes)
    if astral.any():  # emoji, historic scripts: a small table of the distinct ones
        distinct = np.unique(codes[astral])
        extra_bits, extra_fold = _tables(distinct.tolist())
        bits_table = np.concatenate([bits_table, extra_bits])
        fold_table = np.concatenate([fold_table, extra_fold])
        codes = codes.astype(np.int64)
        codes[astral] = 0x10000 + np.searchsorted(distinct, codes[astral])
    bits = bits_table[codes]
    positions = None  # original offset of each kept character, when invisible ones are skipped
    if np.any(bits & _IGNORABLE_BIT):
        positions = np.flatnonzero((bits & _IGNORABLE_BIT) == 0)
        codes, bits = codes[positions], bits[positions]
    n = len(codes)
    word = np.zeros(n + 2, dtype=bool)  # padded with a separator at both ends
    word[1:-1] = (bits & _WORD_BIT) != 0
    cjk = np.zeros(n + 2, dtype=bool)
    cjk[1:-1] = (bits & _CJK_BIT) != 0
    letter = word & ~cjk
    if n and np.any(bits & _APOSTROPHE_BIT):
        word[1:-1] |= ((bits & _APOSTROPHE_BIT) != 0) & letter[:-2] & letter[2:]
    # A word starts after a separator and ends before one; a CJK character is a word alone.
    alone = cjk[1:] | cjk[:-1]
    starts = np.flatnonzero(word[1:] & (~word[:-1] | alone))
    ends = np.flatnonzero(word[:-1] & (~word[1:] | alone))
    # The words' normal forms in UTF-8, and where each character starts there.
    folded = np.where(word[1:-1], fold_table[codes], np.uint32(32)).astype("<u4")
    utf8 = folded.tobytes().decode("utf-32-le").encode("utf-8", "surrogatepass") + _PAD
    width = 1 + (folded >= 0x80).astype(np.int64) + (folded >= 0x800) + (folded >= 0x10000)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(width, out=offsets[1:])
    hashes = _hash_words(utf8, offsets[starts], offsets[ends])
    if positions is not None and len(starts):
        starts, ends = positions[starts], positions[ends - 1] + 1
    return starts.astype(np.int64), ends.astype(np.int64), hashes


@dataclass
class _Words:
    """The words of several texts, in flat arrays: text ``t`` has words
    ``first[t]`` to ``first[t] + count[t] - 1``, whose offsets in the text
    are ``starts - base[t]`` and ``ends - base[t]``."""

    starts: np.ndarray
    ends: np.ndarray
    hashes: np.ndarray
    first: list[int]
    count: list[int]
    base: list[int]


def _words(texts: Sequence[str]) -> _Words:
    """Words of many texts at once: texts joined by a space, tokenised in one pass."""
    entities: dict[int, list[tuple[int, int]]] = {}
    if any("&" in text for text in texts):
        texts = list(texts)
        for t, text in enumerate(texts):
            texts[t], regions = _decode_entities(text)
            if regions:
                entities[t] = regions
    words = _tokenise(texts)
    if entities:
        regions = np.array([(words.base[t] + s, words.base[t] + e) for t in sorted(entities, key=words.base.__getitem__)
                            for s, e in entities[t]], dtype=np.int64)  # in the joined text, in order
        _widen(words.starts, words.ends, regions[:, 0], regions[:, 1])
    return words


def _tokenise(texts: Sequence[str]) -> _Words:
    n = len(texts)
    joined = " ".join(texts)
    if joined.isascii():  # the usual case: one pass over everything
        groups = [(list(range(n)), texts, True)]
    else:
        prepared = list(texts)
        for t, text in enumerate(prepared):
            if not text.isascii():
                for char, replacement in _TYPOGRAPHIC:
                    if char in text:
                        text = text.replace(char, replacement)
                prepared[t] = text
        ascii_group = [t for t in range(n) if prepared[t].isascii()]
        unicode_group = [t for t in range(n) if not prepared[t].isascii()]
        groups = [(group, [prepared[t] for t in group], ascii) for group, ascii in
                  ((ascii_group, True), (unicode_group, False)) if group]
    parts = []
    first, count, base = [0] * n, [0] * n, [0] * n
    done = shift = 0
    for group, group_texts, ascii in groups:
        lengths = np.fromiter(map(len, group_texts), dtype=np.int64, count=len(group_texts)) + 1
        bases = np.cumsum(lengths) - lengths  # where each text starts in the joined text
        if ascii:
            starts, ends, hashes = _words_ascii(" ".join(["", *group_texts, _PAD.decode()]))
            bases += 1
        else:
            starts, ends, hashes = _words_unicode(" ".join(group_texts))
        if shift:  # a second group: its offsets follow the first's
            starts, ends, bases = starts + shift, ends + shift, bases + shift
        bounds = np.append(np.searchsorted(starts, bases), len(starts))  # each text's first word
        counts = np.diff(bounds)
        parts.append((starts, ends, hashes))
        for t, c, b in zip(group, counts.tolist(), bases.tolist()):
            first[t], count[t], base[t] = done, c, b
            done += c
        shift = int(bases[-1] + lengths[-1]) + 16
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return _Words(empty, empty, np.empty(0, dtype=np.uint64), first, count, base)
    if len(parts) == 1:
        return _Words(*parts[0], first, count, base)
    starts, ends, hashes = (np.concatenate(column) for column in zip(*parts))
    return _Words(starts, ends, hashes, first, count, base)


def _shingles(hashes: np.ndarray, k: int) -> np.ndarray:
    """Hash of the ``k``-word window starting at every word (windows running
    past a text's end are computed but never used)."""
    n = len(hashes)
    out = hashes.copy()
    for t in range(1, min(k, n)):
        out[: n - t] *= _COMBINE
        out[: n - t] += hashes[t:]
    return out


# --------------------------------------------------------------------------- alignment


@dataclass(slots=True)
class Alignment:
    """The passages a copy shares with its source, and how much of each they cover.

    Attributes:
        passages: ``[with_start, with_end, copy_start, copy_end]`` per
            passage: character offsets (Python str indices, i.e. Unicode
            code points) into the two original texts, sorted by
            ``copy_start``; copy passages never overlap. ``text[start:end]``
            starts at a word's first character and ends at a word's last.
        cut: Share of the source's word characters inside passages (how
            much of the source was pasted), rounded to 4 decimals.
        paste: Share of the copy's word characters inside passages (how
            much of the copy is pasted), rounded to 4 decimals.
    """

    passages: list[list[int]]
    cut: float
    paste: float

    def to_dict(self) -> dict:
        return {"passages": self.passages, "cut": self.cut, "paste": self.paste}


def align(with_text: str, copy_text: str, shingle_size: int = 5, min_words: int = MIN_PASSAGE_WORDS) -> Alignment:
    """The passages ``copy_text`` shares with ``with_text`` (its source).

    Args:
        with_text: The source text.
        copy_text: The copy.
        shingle_size: Words per shingle (the scan's ``shingle.size``).
        min_words: Shortest passage kept, in words (at least ``shingle_size``).

    Returns:
        The :class:`Alignment`.

    Example:
        >>> source = "The council approved the new flood barrier on Tuesday after a long debate. It opens in May."
        >>> copy = "BREAKING: the Council approved the new flood barrier on Tuesday after a long debate, officials said."
        >>> result = align(source, copy)
        >>> for ws, we, cs, ce in result.passages:
        ...     print(source[ws:we]); print(copy[cs:ce])
        The council approved the new flood barrier on Tuesday after a long debate
        the Council approved the new flood barrier on Tuesday after a long debate
        >>> result.cut, result.paste
        (0.8356, 0.7439)
    """
    return align_pairs([with_text, copy_text], [(0, 1)], shingle_size, min_words)[0]


def align_pairs(
    texts: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    shingle_size: int = 5,
    min_words: int = MIN_PASSAGE_WORDS,
) -> list[Alignment]:
    """:func:`align` for many pairs of texts at once (the same results, faster).

    Pairs are taken in batches; in a batch each text is tokenised once,
    however many pairs it is in, and all the work is done in flat
    vectorised passes over every pair of the batch.

    Args:
        texts: The texts.
        pairs: ``(with_index, copy_index)`` into ``texts`` per pair.
        shingle_size: Words per shingle.
        min_words: Shortest passage kept, in words (at least ``shingle_size``).

    Returns:
        One :class:`Alignment` per pair, in order.

    Example:
        >>> story = "Flood barriers on the river will close tonight as the tide peaks, the agency said."
        >>> texts = [story, "UPDATE " + story, "An unrelated note about a school fair."]
        >>> [len(a.passages) for a in align_pairs(texts, [(0, 1), (0, 2), (1, 0)])]
        [1, 0, 1]
    """
    k = shingle_size
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"shingle_size must be a positive integer, got {k!r}")
    results: list[Alignment] = []
    batch: list[tuple[int, int]] = []
    chars = 0
    seen: set[int] = set()
    for pair in pairs:
        batch.append(pair)
        for t in pair:
            if t not in seen:
                seen.add(t)
                chars += len(texts[t])
        if chars >= _BATCH_CHARS:
            results += _align_batch(texts, batch, k, max(min_words, k))
            batch, chars, seen = [], 0, set()
    if batch:
        results += _align_batch(texts, batch, k, max(min_words, k))
    return results


_BATCH_CHARS = 1 << 20  # characters of text per batch: its arrays stay in the CPU's caches
_TAG = np.uint64(0x9E3779B97F4A7C15)  # keys of different source texts differ by a multiple of it


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + length)`` of every range (vectorised)."""
    ends = np.cumsum(lengths)
    return np.arange(ends[-1] if len(ends) else 0, dtype=np.int64) - np.repeat(ends - lengths - starts, lengths)


def _hash_table(keys: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """An open-addressing (linear probing) table of ``keys``, built in
    vectorised rounds: each round places every pending key whose slot is
    free (the lowest index wins a contested slot) and moves the others one
    slot on. A key equal to one already placed is not placed again: its
    first occurrence is marked repeated.

    Returns:
        ``(table, bits, repeated)``: the table of key indices (``len(keys)``
        for an empty slot), its size in bits, and per key whether it occurs
        more than once (one more entry, False, for the empty index).
    """
    n = len(keys)
    bits = max(14, (8 * n - 1).bit_length())  # load factor at most 1/8: few keys need a second probe
    mask = (1 << bits) - 1
    table = np.full(1 << bits, n, dtype=np.int32)
    home = (keys >> np.uint64(64 - bits)).view(np.int64)
    repeated = np.zeros(n + 1, dtype=bool)
    index = np.arange(n, dtype=np.int32)
    # First round, over every key: any of the keys sharing a slot may land
    # in it; then the lowest index of them is put there (deterministic).
    table[home] = index
    contested = np.flatnonzero(table.take(home) != index)
    np.minimum.at(table, home.take(contested), contested.astype(np.int32))
    owner = table.take(home)
    same = keys.take(owner) == keys  # placed (the owner is the key itself) or a repeat of the owner
    repeated[owner.take(np.flatnonzero(same & (owner != index)))] = True
    pending = np.flatnonzero(~same).astype(np.int32)  # displaced by another key: a few percent
    step = 1
    while len(pending):
        slot = (home.take(pending) + step) & mask
        free = np.flatnonzero(table.take(slot) == n)
        np.minimum.at(table, slot.take(free), pending.take(free))
        owner = table.take(slot)
        same = keys.take(owner) == keys.take(pending)
        repeated[owner.take(np.flatnonzero(same & (owner != pending)))] = True
        pending = pending.take(np.flatnonzero(~same))
        step += 1
    return table, bits, repeated


def _lookup(table: np.ndarray, bits: int, keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Index in ``keys`` of each wanted key, ``len(keys)`` where absent (probing as built)."""
    n, mask = len(keys), (1 << bits) - 1
    if n == 0:
        return np.zeros(len(wanted), dtype=np.int64)
    # The empty index reads a key of the table: a wanted key that is in the
    # table meets it before any empty slot, so an empty slot never matches.
    with_empty = np.append(keys, keys[0])
    home = (wanted >> np.uint64(64 - bits)).view(np.int64)
    owner = table.take(home)  # first probe, over every wanted key
    hit = with_empty.take(owner) == wanted
    found = np.where(hit, owner, n)
    pending = np.flatnonzero(~hit & (owner != n))  # its slot holds another key: probe on (a few percent)
    step = 1
    while len(pending):
        owner = table.take((home.take(pending) + step) & mask)
        hit = with_empty.take(owner) == wanted.take(pending)
        found[pending.take(np.flatnonzero(hit))] = owner.take(np.flatnonzero(hit))
        pending = pending.take(np.flatnonzero(~hit & (owner != n)))
        step += 1
    return found


def _align_batch(texts: Sequence[str], pairs: list[tuple[int, int]], k: int, need: int) -> list[Alignment]:
    """Alignments of a batch of pairs (passages of at least ``need`` words)."""
    used = sorted({i for pair in pairs for i in pair})
    slot = {t: n for n, t in enumerate(used)}
    words = _words([texts[t] for t in used])
    shingles = _shingles(words.hashes, k)
    first = np.array(words.first, dtype=np.int64)
    windows = np.maximum(np.array(words.count, dtype=np.int64) - k + 1, 0)  # shingles per text
    chars = np.zeros(len(words.starts) + 1, dtype=np.int64)  # cumulative word characters
    np.cumsum(words.ends - words.starts, out=chars[1:])
    results: list[Alignment | None] = [None] * len(pairs)

    with_slot = np.array([slot[w] for w, _ in pairs], dtype=np.int64)
    copy_slot = np.array([slot[c] for _, c in pairs], dtype=np.int64)
    live = np.flatnonzero((windows[with_slot] > 0) & (windows[copy_slot] > 0))
    if len(live) == 0:
        return [Alignment([], 0.0, 0.0) for _ in pairs]
    with_slot, copy_slot = with_slot[live], copy_slot[live]

    # Every source's shingles in one hash table, keyed by (source, shingle).
    sources = np.array(sorted(set(with_slot.tolist())), dtype=np.int64)
    entries = _ranges(first[sources], windows[sources])
    entry_source = np.repeat(sources, windows[sources])
    entry_position = np.append(entries - first.take(entry_source), _NONE)  # shingle position in its text
    keys = shingles.take(entries) ^ (entry_source.astype(np.uint64) * _TAG)
    table, bits, repeated = _hash_table(keys)

    # Look every copy shingle up under its pair's source.
    sizes = windows.take(copy_slot)
    pair_start = np.cumsum(sizes) - sizes  # each pair's first query
    query_pair = np.repeat(np.arange(len(live), dtype=np.int64), sizes)
    position = np.arange(int(pair_start[-1] + sizes[-1]), dtype=np.int64)
    queries = position + (first.take(copy_slot) - pair_start).take(query_pair)  # the copy shingles, flat
    wanted = shingles.take(queries) ^ (with_slot.astype(np.uint64) * _TAG).take(query_pair)
    found = _lookup(table, bits, keys, wanted)
    assign = entry_position.take(found)  # the source shingle each copy shingle is aligned with, or _NONE
    several = repeated.take(found)
    if several.any():
        for q in sorted(set(query_pair.take(np.flatnonzero(several)).tolist())):
            lo, hi = int(pair_start[q]), int(pair_start[q] + sizes[q])
            w = int(with_slot[q])
            source = shingles[first[w] : first[w] + windows[w]]
            _choose_repeated(assign[lo:hi], several[lo:hi], source, shingles.take(queries[lo:hi]))

    # Runs: consecutive copy shingles on one diagonal, within one pair.
    diagonal = assign - position
    diagonal += (pair_start + np.arange(len(live), dtype=np.int64) * _EDGE).take(query_pair)
    change = np.empty(len(position) + 1, dtype=bool)
    change[0] = change[-1] = True
    np.not_equal(diagonal[1:], diagonal[:-1], out=change[1:-1])
    bounds = np.flatnonzero(change)
    starts, lengths = bounds[:-1], np.diff(bounds)
    keep = np.flatnonzero((lengths >= need - k + 1) & (assign.take(starts) >= 0))
    starts, lengths = starts.take(keep), lengths.take(keep)
    run_pair = query_pair.take(starts)
    copy_first = starts - pair_start.take(run_pair)  # copy word ranges
    copy_last = copy_first + lengths + (k - 2)
    shift = assign.take(starts) - copy_first  # source word = copy word + shift

    # Offsets and characters of every run, in flat arrays.
    copy_base, with_base = first.take(copy_slot).take(run_pair), first.take(with_slot).take(run_pair)
    c0, c1 = copy_base + copy_first, copy_base + copy_last
    w0, w1 = with_base + copy_first + shift, with_base + copy_last + shift
    with_text_base = np.array(words.base, dtype=np.int64).take(with_slot).take(run_pair)
    copy_text_base = np.array(words.base, dtype=np.int64).take(copy_slot).take(run_pair)
    passages = np.stack([words.starts.take(w0) - with_text_base, words.ends.take(w1) - with_text_base,
                         words.starts.take(c0) - copy_text_base, words.ends.take(c1) - copy_text_base], 1)
    pasted = chars.take(c1 + 1) - chars.take(c0)
    cut = chars.take(w1 + 1) - chars.take(w0)
    # Pairs whose runs overlap in the copy (to resolve) or in the source (text
    # the copy repeats: count it once) take the slow path; runs are in copy order.
    same = run_pair[1:] == run_pair[:-1]
    slow = set(run_pair[1:][same & (copy_first[1:] <= copy_last[:-1])].tolist())
    source_first = run_pair * _EDGE + copy_first + shift  # source word ranges, ordered by pair
    source_last = source_first + (copy_last - copy_first)
    by_source = np.argsort(source_first, kind="stable")
    reach = np.maximum.accumulate(source_last.take(by_source))
    slow.update(run_pair.take(by_source)[1:][same & (source_first.take(by_source)[1:] <= reach[:-1])].tolist())
    live_count = len(live)
    runs_per_pair = np.bincount(run_pair, minlength=live_count)
    pasted_per_pair = np.bincount(run_pair, weights=pasted, minlength=live_count)
    cut_per_pair = np.bincount(run_pair, weights=cut, minlength=live_count)
    totals = chars.take(first + np.array(words.count)) - chars.take(first)  # word characters per text
    with_total, copy_total = np.maximum(totals.take(with_slot), 1), np.maximum(totals.take(copy_slot), 1)
    cut_share = (cut_per_pair / with_total).tolist()
    paste_share = (pasted_per_pair / copy_total).tolist()
    rows = passages.tolist()
    start = 0
    for pair, n, cut_q, paste_q in zip(live.tolist(), runs_per_pair.tolist(), cut_share, paste_share):
        if n:
            results[pair] = Alignment(rows[start : start + n], round(cut_q, 4), round(paste_q, 4))
            start += n
    for q in slow:  # rare: recompute from the runs
        lo = int(np.searchsorted(run_pair, q))
        hi = lo + int(runs_per_pair[q])
        sw, sc = int(with_slot[q]), int(copy_slot[q])
        runs = list(zip(copy_first[lo:hi].tolist(), copy_last[lo:hi].tolist(), shift[lo:hi].tolist()))
        if any(b[0] <= a[1] for a, b in zip(runs, runs[1:])):
            runs = _resolve_overlaps(runs, need, words.count[sc])
        results[int(live[q])] = _alignment(words, chars, sw, sc, runs, int(with_total[q]), int(copy_total[q]))
    return [Alignment([], 0.0, 0.0) if r is None else r for r in results]


def _alignment(words: _Words, chars: np.ndarray, with_slot: int, copy_slot: int, runs: list[tuple[int, int, int]],
               with_total: int, copy_total: int) -> Alignment:
    """The alignment of one pair from its runs (copy word ranges and shifts), one value at a time."""
    passages, pasted, spans = [], 0, []
    with_base, copy_base = words.first[with_slot], words.first[copy_slot]
    with_offset, copy_offset = words.base[with_slot], words.base[copy_slot]
    for copy_first, copy_last, shift in runs:
        c0, c1 = copy_base + copy_first, copy_base + copy_last
        w0, w1 = with_base + copy_first + shift, with_base + copy_last + shift
        passages.append([int(words.starts[w0]) - with_offset, int(words.ends[w1]) - with_offset,
                         int(words.starts[c0]) - copy_offset, int(words.ends[c1]) - copy_offset])
        pasted += int(chars[c1 + 1] - chars[c0])
        spans.append((w0, w1))
    cut = _covered(chars, sorted(spans))
    return Alignment(passages, round(cut / with_total, 4), round(pasted / copy_total, 4))


def _choose_repeated(assign: np.ndarray, repeated: np.ndarray, source: np.ndarray, wanted: np.ndarray) -> None:
    """Pick one source position for the copy shingles of one pair found
    several times in the source (``assign`` holds the first occurrence).

    In copy order: continue the diagonal of the previous copy shingle when
    it goes on; else take the diagonal of the next unambiguous copy
    shingle, when it holds this shingle (so a run entering or leaving
    repeated text keeps its diagonal); else the first occurrence.
    """
    assigned = assign.tolist()
    source_list, wanted_list = source.tolist(), wanted.tolist()
    ambiguous = repeated.tolist()
    n, limit = len(assigned), len(source_list)
    for j in np.flatnonzero(repeated).tolist():
        value = wanted_list[j]
        previous = assigned[j - 1] + 1 if j > 0 else -1
        if 0 <= previous < limit and source_list[previous] == value:
            assigned[j] = previous
            continue
        ahead = j + 1
        while ahead < n and ambiguous[ahead]:
            ahead += 1
        if ahead < n and assigned[ahead] >= 0:
            candidate = assigned[ahead] - (ahead - j)
            if 0 <= candidate < limit and source_list[candidate] == value:
                assigned[j] = candidate
    assign[:] = assigned


def _resolve_overlaps(runs: list[tuple[int, int, int]], min_words: int, words: int) -> list[tuple[int, int, int]]:
    """Make copy word ranges ``(first, last, shift)`` disjoint: longest first;
    later ones keep the pieces still free (pieces under ``min_words`` dropped)."""
    taken = np.zeros(words, dtype=bool)
    out = []
    for first, last, shift in sorted(runs, key=lambda r: (r[0] - r[1], r[0])):
        free = np.concatenate([[False], ~taken[first : last + 1], [False]])
        edges = np.flatnonzero(free[1:] != free[:-1])
        for a, b in zip(edges[0::2].tolist(), edges[1::2].tolist()):
            if b - a >= min_words:
                taken[first + a : first + b] = True
                out.append((first + a, first + b - 1, shift))
    return sorted(out)


def _covered(chars: np.ndarray, ranges: list[tuple[int, int]]) -> int:
    """Word characters inside the union of sorted (overlapping) word ranges ``[first, last]``."""
    total, reach = 0, -1
    for first, last in ranges:
        if first > reach:
            total += int(chars[last + 1] - chars[first])
        elif last > reach:  # the copy repeats source text: count each word once
            total += int(chars[last + 1] - chars[reach + 1])
        reach = max(reach, last)
    return total
