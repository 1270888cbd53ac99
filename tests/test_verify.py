"""verify_pairs, whose intersections go in batches and whose tests are array
operations, equals the plain rule pair by pair (wiretrace.verify's module
doc), on numba's path and on numpy's, for lists and spilled columns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiretrace import compiled, verify
from wiretrace.spill import Spill
from wiretrace.verify import FREE_CONTAINMENT, VerifiedPair, intersection_size, intersection_sizes, verify_pairs


def _plain(sets, candidates, sources, jaccard, containment, min_shared, free_sets=None, rejected=None,
           rejected_min_shared=1):
    """The rule as the module doc states it, one pair at a time (the loop
    verify_pairs was before it went by batches)."""
    found = []
    for (a, b), via in zip(candidates.tolist(), sources.tolist()):
        shared = intersection_size(sets[a], sets[b])
        if shared == 0:
            continue
        size_a, size_b = len(sets[a]), len(sets[b])
        jac = shared / (size_a + size_b - shared)
        in_b, in_a = shared / size_a, shared / size_b
        contained = max(in_b, in_a) >= containment and shared >= min_shared
        if contained and free_sets is not None and not (free_sets[a] is sets[a] and free_sets[b] is sets[b]):
            smaller = min(len(free_sets[a]), len(free_sets[b]))
            free_shared = intersection_size(free_sets[a], free_sets[b])
            contained = smaller > 0 and free_shared >= min_shared and free_shared / smaller >= FREE_CONTAINMENT
        if jac >= jaccard or contained:
            found.append(VerifiedPair(a, b, shared, jac, in_b, in_a, via))
        elif rejected is not None and shared >= rejected_min_shared:
            rejected.append((a, b))
    return found


@pytest.fixture(params=["numba", "numpy"])
def path(request, monkeypatch):
    if request.param == "numba":
        if not compiled.available():
            pytest.skip("numba is not installed: the compiled path cannot run here")
        monkeypatch.setattr(compiled, "WARM_PAIRS", 1)
    else:
        monkeypatch.setenv("WIRETRACE_NO_NUMBA", "1")
    return request.param


# documents drawn from a small vocabulary of shingles, so that pairs share many
_SET = st.lists(st.integers(0, 80), max_size=60).map(lambda v: np.unique(np.array(v, dtype=np.uint64) * 7919 + 2**63))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # the fixture only picks a path
@given(sets=st.lists(_SET, min_size=2, max_size=12), quoted=st.lists(st.integers(0, 11), max_size=6),
       picks=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=40),
       thresholds=st.tuples(st.floats(0.05, 1.0), st.floats(0.05, 1.0), st.integers(1, 20), st.integers(0, 10)))
def test_verify_pairs_equals_the_plain_rule(path, sets, quoted, picks, thresholds) -> None:
    n = len(sets)
    # free sets: the whole set itself (no quotes), or every other shingle of it
    free = [s[::2] if i in quoted else s for i, s in enumerate(sets)]
    pairs = sorted({(min(a % n, b % n), max(a % n, b % n)) for a, b in picks if a % n != b % n})
    candidates = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    sources = np.array([("lsh", "anchors")[(a + b) % 2] for a, b in pairs], dtype=object)
    jaccard, containment, min_shared, rejected_min = thresholds
    want_rejected, got_rejected = [], []
    want = _plain(sets, candidates, sources, jaccard, containment, min_shared, free, want_rejected, rejected_min)
    got = verify_pairs(sets, candidates, sources, jaccard, containment, min_shared, free, got_rejected, rejected_min)
    assert got == want
    assert got_rejected == want_rejected
    assert all(type(p.a) is int and type(p.jaccard) is float and type(p.via) is str for p in got)
    assert verify_pairs(sets, candidates, sources, jaccard, containment, min_shared) == _plain(
        sets, candidates, sources, jaccard, containment, min_shared)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # the fixture only picks a path
@given(sets=st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=200).map(
           lambda v: np.unique(np.array(v, dtype=np.uint64))), min_size=1, max_size=8),
       picks=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=30))
def test_intersection_sizes_equal_intersection_size_pair_by_pair(path, sets, picks) -> None:
    # any uint64 values (the high bit set too), empty sets, a set with itself, pairs in any order
    n = len(sets)
    pairs = np.array([(a % n, b % n) for a, b in picks], dtype=np.int64).reshape(-1, 2)
    want = [intersection_size(sets[a], sets[b]) for a, b in pairs.tolist()]
    assert intersection_sizes(sets, pairs).tolist() == want


def test_pairs_past_one_gathering_are_all_intersected(path, monkeypatch) -> None:
    # the compiled path gathers GATHER_PAIRS pairs' sets at a time: a batch over several
    monkeypatch.setattr(verify, "GATHER_PAIRS", 3)
    rng = np.random.default_rng(5)
    sets = [np.unique(rng.integers(0, 50, size=30).astype(np.uint64)) for _ in range(9)]
    pairs = np.array([(a, b) for a in range(9) for b in range(a + 1, 9)], dtype=np.int64)
    assert intersection_sizes(sets, pairs).tolist() == [intersection_size(sets[a], sets[b]) for a, b in pairs.tolist()]


def test_spilled_columns_verify_as_lists(path) -> None:
    # a large scan's sets are a spilled column and its free sets share the rows of
    # documents without quotes: the same pairs, and the quotes rule still applies
    rng = np.random.default_rng(11)
    body = np.unique(rng.integers(0, 2**40, size=400).astype(np.uint64))
    quote = np.unique(rng.integers(2**41, 2**42, size=300).astype(np.uint64))
    sets = [body, body[:300], np.union1d(quote[:100], body[:20]), np.union1d(quote, body[200:]), body[::3]]
    free = [sets[0], sets[1], body[:20], body[200:], sets[4]]
    spill = Spill()
    column, free_column = spill.sets(), spill.sets()
    column.extend(sets)
    free_column.extend_aliased(free, sets, column)
    spill.flush()
    candidates = np.array([(a, b) for a in range(5) for b in range(a + 1, 5)], dtype=np.int64)
    sources = np.array(["lsh"] * len(candidates), dtype=object)
    listed, spilled = [], []
    want = verify_pairs(sets, candidates, sources, 0.5, 0.6, 10, free, listed, 5)
    got = verify_pairs(column, candidates, sources, 0.5, 0.6, 10, free_column, spilled, 5)
    assert got == want and spilled == listed
    assert {(p.a, p.b) for p in want} == {(0, 1), (0, 4), (1, 4)}  # 2 is in 3 by a quote only
    assert (2, 3) in listed
