"""The compiled kernels equal their numpy references (wiretrace.compiled's rule)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import compiled
from wiretrace.minhash import MinHasher

_REQUIRE = os.environ.get("CI", "") == "true"


def test_numba_is_there_in_ci() -> None:
    # numba is a dependency: a CI without it would test the numpy path twice and
    # call that a pass
    if _REQUIRE:
        assert compiled.available(), "numba should be installed by `make test` (pyproject's dependencies)"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=300), min_size=1, max_size=12),
       st.sampled_from([1, 3, 16, 128, 130]), st.integers(0, 2**31))
def test_compiled_signatures_equal_numpy(sets: list[list[int]], num_perm: int, seed: int) -> None:
    hasher = MinHasher(num_perm, seed)
    arrays = [np.array(s, dtype=np.uint64) for s in sets]  # repeats allowed, any order, high bits set
    reference = hasher.signatures_numpy(arrays)
    if compiled.available():
        starts = np.concatenate(([0], np.cumsum([len(a) for a in arrays])))
        got = compiled.minhash_signatures(np.concatenate(arrays), starts, hasher.a, hasher.b)
        assert got.dtype == np.uint32 and got.shape == reference.shape
        assert (got == reference).all()
    assert (hasher.signatures(arrays) == reference).all()


def _child(code: str, switch: str, **kwargs) -> str:
    env = {k: v for k, v in os.environ.items() if k != "WIRETRACE_NO_NUMBA"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**env, "WIRETRACE_NO_NUMBA": switch}, **kwargs).stdout


_STAGES = ("import json, sys; from wiretrace import compiled; from wiretrace.fingerprint import fingerprint_all; "
           "from wiretrace.evaluation.synthetic import generate_corpus; "
           "texts = list(generate_corpus(1200, seed=3).texts); "
           "stage = lambda part: fingerprint_all(part, 5, 64, 1, batch_size=50); ")


def test_a_short_stage_stays_on_numpy_and_a_large_one_loads_the_kernels() -> None:
    # a day's add of a few pages never pays for loading numba; a stage that knows it
    # fingerprints WARM_DOCUMENTS documents takes the kernels from its first batch
    code = _STAGES + (
        "small = stage(texts[:300]); before = 'numba' in sys.modules; "
        "compiled.WARM_DOCUMENTS = 300; large = stage(texts[:300]); "
        "print(json.dumps([before, 'numba' in sys.modules, compiled.available(), "
        "large.signatures.tolist() == small.signatures.tolist(), "
        "[s.tolist() for s in large.sets] == [s.tolist() for s in small.sets]]))")
    before, after, available, same_signatures, same_sets = json.loads(_child(code, ""))
    assert not before
    assert after == available  # loaded for the large stage (when numba is there at all)
    assert same_signatures and same_sets


def test_a_process_of_unknown_size_loads_the_kernels_after_about_warm_documents() -> None:
    # an index built batch by batch does not know its size: it counts what numpy hashed
    # (words and shingles, ~1,200 per 600-word document) and switches near WARM_DOCUMENTS
    code = _STAGES + (
        "compiled.WARM_ELEMENTS = 400 * 1200; done = 0\n"
        "while 'numba' not in sys.modules and done < len(texts):\n"
        "    stage(texts[done:done + 50]); done += 50\n"
        "print(done if compiled.available() else -1)")
    switched_after = int(_child(code, ""))
    if switched_after != -1:  # -1: no numba here, nothing to switch to
        # these documents have ~440 words, ~880 elements: ~550 documents' worth, in steps of 50
        assert 400 <= switched_after <= 800


def test_switched_off_by_the_environment() -> None:
    code = ("import numpy as np; from wiretrace import compiled; from wiretrace.minhash import MinHasher; "
            "compiled.expect(10**9); calls = []; real = compiled.minhash_signatures; "
            "compiled.minhash_signatures = lambda *a: calls.append(1) or real(*a); "
            "h = MinHasher(8, 1); s = [np.arange(1, 40000, dtype=np.uint64)]; "
            "same = h.signatures(s).tolist() == h.signatures_numpy(s).tolist(); "
            "print(bool(calls), same, compiled.available())")
    assert _child(code, "1").split() == ["False", "True", "False"]
    ran, same, available = _child(code, "").split()
    assert same == "True" and ran == available  # the kernel ran wherever numba is there
    if _REQUIRE:
        assert available == "True"


def test_without_a_writable_cache_the_kernels_are_compiled_in_the_process(monkeypatch) -> None:
    numba = pytest.importorskip("numba")
    real = numba.njit

    def no_cache_folder(*args, **kwargs):
        if kwargs.get("cache"):  # what numba raises when no folder is writable
            raise RuntimeError("cannot cache function '_signatures_kernel': no locator available")
        return real(*args, **kwargs)

    monkeypatch.setattr(numba, "njit", no_cache_folder)
    kernels = compiled._load()
    assert "missing" not in kernels
    hasher = MinHasher(16, 3)
    sets = [np.arange(5, 900, dtype=np.uint64), np.array([2**64 - 1, 7], dtype=np.uint64)]
    got = np.empty((2, 16), dtype=np.uint32)
    kernels["signatures"](np.concatenate(sets), np.array([0, 895, 897]), hasher.a, hasher.b, got)
    assert (got == hasher.signatures_numpy(sets)).all()


def test_sets_of_another_dtype_are_refused_on_both_paths(monkeypatch) -> None:
    monkeypatch.setattr(compiled, "_expected", True)  # large calls compiled from the first
    hasher = MinHasher(8, 1)
    for n in (10, 20_000):  # below and above compiled.MIN_ELEMENTS
        with pytest.raises(TypeError):
            hasher.signatures([np.array([2**63 + 5], dtype=np.uint64), np.arange(1, n, dtype=np.int64)])


_WORDS = st.lists(st.one_of(st.binary(min_size=1, max_size=40).map(lambda b: b.replace(b" ", b"x")),
                            st.text(min_size=1, max_size=12).map(lambda t: t.encode("utf-8").replace(b" ", b"y"))),
                  min_size=0, max_size=60)


@settings(max_examples=300, deadline=None)
@given(_WORDS, st.lists(st.integers(1, 4), min_size=61, max_size=61))
def test_compiled_word_hashes_equal_numpy_and_xxhash(words: list[bytes], gaps: list[int]) -> None:
    import xxhash

    from wiretrace.shingles import _word_hashes_numpy

    # words of every length class of XXH3 (1-3, 4-8, 9-16, longer), any bytes, runs of spaces
    buffer = b" " * gaps[0] + b"".join(w + b" " * g for w, g in zip(words, gaps[1:])) + b" " * 9
    starts, hashes = _word_hashes_numpy(buffer)
    assert [int(h) for h in hashes] == [xxhash.xxh3_64_intdigest(w) for w in words]
    if compiled.available():
        got_starts, lengths, got = compiled.word_hashes(buffer)
        assert got_starts.tolist() == starts.tolist()
        assert lengths.tolist() == [len(w) for w in words]
        assert got.tolist() == hashes.tolist()


def test_a_batch_fingerprints_the_same_either_way() -> None:
    # one batch above both size thresholds, through the whole fingerprint stage
    import json

    code = ("import json, sys; from wiretrace import compiled; compiled.expect(10**9); "
            "from wiretrace.fingerprint import fingerprint_batch, normalise_quoted_batch; "
            "calls = []; real = (compiled.word_hashes, compiled.minhash_signatures); "
            "compiled.word_hashes = lambda *a: calls.append('words') or real[0](*a); "
            "compiled.minhash_signatures = lambda *a: calls.append('minhash') or real[1](*a); "
            "texts = json.load(sys.stdin); words, quoted = normalise_quoted_batch(texts); "
            "fp = fingerprint_batch(words, 5, 128, 1, quoted); "
            "print(json.dumps(sorted(set(calls)))); "
            "print(json.dumps([fp.signatures.tolist(), [s.tolist() for s in fp.sets], "
            "[s.tolist() for s in fp.free_sets], fp.words]))")
    rng = np.random.default_rng(7)
    vocab = ["wire", "copy", "Reuters", "said", "“quoted”", "naïve", "internationalisation", "über", "東京",
             "minister", "a", "of", "the", "2026", "supercalifragilisticexpialidocious"]
    texts = [" ".join(rng.choice(vocab, size=int(rng.integers(30, 400)))) + ' He said "we stay here today".'
             for _ in range(200)]
    assert sum(len(t) for t in texts) > compiled.MIN_BYTES
    outputs = [_child(code, off, input=json.dumps(texts)) for off in ("1", "")]
    (calls_off, result_off), (calls_on, result_on) = (out.split("\n", 1) for out in outputs)
    assert result_off == result_on
    assert json.loads(calls_off) == []
    if compiled.available():  # the compiled path ran, not numpy twice
        assert json.loads(calls_on) == ["minhash", "words"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=80), min_size=1, max_size=20),
       st.integers(0, 10**6), st.sampled_from([1, 2, 3, 4, 8, 12]), st.integers(1, 5), st.data())
def test_compiled_anchors_equal_the_numpy_selection(sets: list[list[int]], first: int, rate: int, parts: int,
                                                    data) -> None:
    # wiretrace.candidates' anchors: is_anchor by the high bits, the partition by the
    # top bits, packed with the owner's number in the low bits
    from wiretrace.candidates import _chunk_anchors, _owner_mask

    part = data.draw(st.integers(0, parts - 1))
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    flat = np.array([v for s in sets for v in s], dtype=np.uint64)
    low = _owner_mask(first + len(sets) + data.draw(st.integers(0, 10**6)))
    docs = np.arange(first, first + len(sets), dtype=np.uint64)
    values, owners = _chunk_anchors(docs, flat, sizes, rate, part, parts)
    reference = (values & ~low) | owners
    if not compiled.available():
        pytest.skip("numba is not installed: the numpy path is the only one")
    compiled._kernels()
    got = compiled.packed_anchors(flat, sizes, first, rate, part, parts, low)
    assert got.dtype == np.uint64 and got.tolist() == reference.tolist()
