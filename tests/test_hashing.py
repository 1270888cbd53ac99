"""Hashing is exact: the bulk numpy paths equal the reference definitions
(xxhash's own C implementation, the plain-Python shingle hash, datasketch)."""

from __future__ import annotations

import numpy as np
import pytest
import xxhash
from datasketch import LeanMinHash, MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import MinHasher, minhash_element_hash, shingle_hash, shingle_sets, tokenize
from wiretrace.shingles import word_tokens
from wiretrace.xxh3 import xxh3_64_many

from conftest import story


@settings(max_examples=300)
@given(st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=60))
def test_vectorised_xxh3_equals_xxhash(chunks):
    buffer = b"".join(chunks) + b"\x00" * 8
    lengths = np.array([len(c) for c in chunks])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    got = xxh3_64_many(buffer, starts, lengths)
    assert [int(v) for v in got] == [xxhash.xxh3_64_intdigest(c) for c in chunks]


def test_xxh3_rejects_unpadded_buffer():
    with pytest.raises(ValueError, match="8 bytes"):
        xxh3_64_many(b"abcd", np.array([0]), np.array([4]))


# Pieces of scraped text: ASCII, typographic punctuation, accented and
# CJK letters, invisible characters and HTML entities, in any mix.
_PIECES = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t.,;:'\"-_&()")
    + ["\u2019", "\u201c", "\u201d", "\u2014", "\u00e9", "\u00fc", "\u00df", "\u0130", "\u4e2d", "\u6587",
       "\u00a0", "\u00ad", "\uff21", "\u2026", "&amp;", "&eacute;", "&#8217;", "\u0627", "\u0416", "\U0001f600"]
)
_TEXT = st.one_of(st.lists(_PIECES, max_size=120).map("".join), st.text(max_size=80))


@settings(max_examples=400)
@given(_TEXT)
def test_fast_tokeniser_equals_reference(text):
    assert word_tokens(text) == [w.encode("utf-8") for w in tokenize(text)]


@settings(max_examples=200)
@given(st.lists(_TEXT, min_size=1, max_size=8), st.integers(min_value=1, max_value=7))
def test_bulk_shingle_sets_equal_reference(texts, k):
    sets, counts = shingle_sets(texts, k)
    for text, got, count in zip(texts, sets, counts):
        words = tokenize(text)
        assert count == len(words)
        if not words:
            expected = set()
        elif len(words) < k:
            expected = {shingle_hash(words)}
        else:
            expected = {shingle_hash(words[i : i + k]) for i in range(len(words) - k + 1)}
        assert [int(v) for v in got] == sorted(expected)


def test_normalisation_makes_typographic_variants_equal():
    curly = "\u201cWe\u2019re ready,\u201d she said \u2014 TODAY&amp;tomorrow"
    plain = '"we\'re ready," she said - today&tomorrow'
    assert shingle_sets([curly], 3)[0][0].tolist() == shingle_sets([plain], 3)[0][0].tolist()


def _datasketch_minhash(text: str, k: int, num_perm: int, seed: int) -> MinHash:
    words = tokenize(text)
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=minhash_element_hash)
    for i in range(len(words) - k + 1):
        m.update(" ".join(words[i : i + k]))
    return m


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 7), (256, 42)])
def test_signatures_are_bit_for_bit_datasketch(num_perm, seed):
    texts = [story(s, 300) for s in range(5)] + ["Caf\u00e9 owners in S\u00e3o Paulo said on Friday that prices rose."]
    sets, _ = shingle_sets(texts, 5)
    ours = MinHasher(num_perm, seed).signatures(sets)
    for text, row in zip(texts, ours):
        theirs = LeanMinHash(_datasketch_minhash(text, 5, num_perm, seed))
        assert theirs.scheme == "affine32"
        assert row.dtype == theirs.hashvalues.dtype
        assert np.array_equal(row, theirs.hashvalues)


def test_signatures_work_in_a_datasketch_lsh_index():
    a, b = story(1, 400), story(2, 400)
    texts = [a, a.replace("\n\n", " Breaking. ", 1), b]
    sets, _ = shingle_sets(texts, 5)
    sigs = MinHasher(128, 1).signatures(sets)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for i, row in enumerate(sigs):
        lsh.insert(f"d{i}", LeanMinHash(seed=1, hashvalues=row, scheme="affine32"))
    found = lsh.query(LeanMinHash(seed=1, hashvalues=sigs[0], scheme="affine32"))
    assert sorted(found) == ["d0", "d1"]


def test_minhasher_validates_arguments():
    with pytest.raises(ValueError, match="num_perm must be a positive integer"):
        MinHasher(num_perm=0)
    with pytest.raises(ValueError, match="seed"):
        MinHasher(num_perm=8, seed=-1)
    with pytest.raises(ValueError, match="empty"):
        MinHasher(8).signatures([np.array([], dtype=np.uint64)])


def test_signature_estimates_jaccard():
    base = story(3, 600)
    words = base.split()
    edited = " ".join(words[: len(words) // 2])  # half the story
    sets, _ = shingle_sets([base, edited], 5)
    exact = len(np.intersect1d(sets[0], sets[1])) / len(np.union1d(sets[0], sets[1]))
    sigs = MinHasher(512, 1).signatures(sets)
    estimate = float(np.mean(sigs[0] == sigs[1]))
    assert abs(estimate - exact) < 0.08
