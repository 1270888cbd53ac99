"""The anchor candidates: the numpy path pinned to a plain reference, and a
story copied to more sites than ``anchors.max_df`` keeps its excerpts (in a
scan and in an index)."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.candidates import anchor_candidates, anchors_needed
from wiretrace.config import Config
from wiretrace.index import Index

from conftest import story


def _reference(sets: list[list[int]], rate: int, min_shared: int, max_df: int) -> list[int]:
    """Pair keys ``a * n + b`` of documents sharing enough anchors, the plain way:
    every pair of an anchor's documents, or for an anchor in more than
    ``max_df`` documents, the first with each other one and each with the next."""
    n = len(sets)
    owners: dict[int, set[int]] = {}
    for doc, shingles in enumerate(sets):
        for value in shingles:
            if (value >> 32) % rate == 0:
                owners.setdefault(value, set()).add(doc)
    per_doc = [sum(1 for v in s if (v >> 32) % rate == 0) for s in sets]
    shared: Counter = Counter()
    for docs in owners.values():
        docs = sorted(docs)
        if len(docs) <= max_df:
            pairs = list(combinations(docs, 2))
        else:
            pairs = [(docs[0], d) for d in docs[1:]] + list(zip(docs[1:-1], docs[2:]))
        shared.update(pairs)
    return sorted(a * n + b for (a, b), count in shared.items()
                  if count >= int(anchors_needed(per_doc[a], per_doc[b], min_shared)))


# corpora of a few documents over a small universe of shingles, rate, min_shared, max_df
ANCHOR_CASES = (st.lists(st.lists(st.integers(0, 40), max_size=25), min_size=2, max_size=12),
                st.integers(1, 3), st.integers(1, 4), st.integers(2, 5))


@settings(max_examples=150, deadline=None)
@given(*ANCHOR_CASES)
def test_anchor_candidates_equal_the_plain_reference(universe_sets, rate, min_shared, max_df):
    # shingle values from a small universe, so that anchors are shared; their low
    # 32 bits are zero (the packing of document numbers into them loses nothing)
    sets = [sorted({(u + 1) << 32 for u in s}) for s in universe_sets]
    arrays = [np.array(s, dtype=np.uint64) for s in sets]
    assert anchor_candidates(arrays, rate, min_shared, max_df).tolist() == _reference(sets, rate, min_shared, max_df)


@settings(max_examples=40, deadline=None)
@given(*ANCHOR_CASES)
def test_anchor_candidates_grouped_in_partitions_on_workers_equal_the_plain_reference(universe_sets, rate,
                                                                                    min_shared, max_df):
    from wiretrace.executor import LocalExecutor

    # the top bits (which pick an anchor's partition) vary too, so both partitions hold anchors
    sets = [sorted({((u * 40503) % 65536) << 48 | (u + 1) << 32 for u in s}) for s in universe_sets]
    arrays = [np.array(s, dtype=np.uint64) for s in sets]
    found = anchor_candidates(arrays, rate, min_shared, max_df, LocalExecutor(2))
    assert found.tolist() == _reference(sets, rate, min_shared, max_df)


@settings(max_examples=30, deadline=None)
@given(*ANCHOR_CASES, st.sampled_from([1, 2]))
def test_anchors_cut_into_more_partitions_than_workers_equal_the_plain_reference(universe_sets, rate, min_shared,
                                                                                max_df, workers):
    import wiretrace.candidates as candidates
    from wiretrace.executor import LocalExecutor

    sets = [sorted({((u * 40503) % 65536) << 48 | (u + 1) << 32 for u in s}) for s in universe_sets]
    arrays = [np.array(s, dtype=np.uint64) for s in sets]
    saved = candidates.ANCHOR_PARTITION_BYTES
    candidates.ANCHOR_PARTITION_BYTES = 64  # four anchors a partition: as a large corpus is cut
    try:
        parts = candidates.anchor_partitions(arrays, rate, workers)
        found = anchor_candidates(arrays, rate, min_shared, max_df, LocalExecutor(workers) if workers > 1 else None)
    finally:
        candidates.ANCHOR_PARTITION_BYTES = saved
    assert parts >= workers and (parts > workers or sum(map(len, sets)) // rate * 16 <= 64 * workers)
    assert found.tolist() == _reference(sets, rate, min_shared, max_df)


@settings(max_examples=40, deadline=None)
@given(*ANCHOR_CASES, st.sampled_from([1, 2]))
def test_anchors_selected_by_the_compiled_kernel_equal_the_plain_reference(universe_sets, rate, min_shared, max_df,
                                                                           workers):
    import pytest

    import wiretrace.candidates as candidates
    from wiretrace import compiled
    from wiretrace.executor import LocalExecutor

    if not compiled.available():
        pytest.skip("numba is not installed: the numpy path is the only one")
    sets = [sorted({((u * 40503) % 65536) << 48 | (u + 1) << 32 | u for u in s}) for s in universe_sets]
    arrays = [np.array(s, dtype=np.uint64) for s in sets]
    saved = candidates.COMPILED_ANCHOR_ELEMENTS, compiled.MIN_ELEMENTS
    candidates.COMPILED_ANCHOR_ELEMENTS = compiled.MIN_ELEMENTS = 0  # a small corpus takes the kernel too
    try:
        assert candidates._compiled_anchors(sum(map(len, sets)))
        found = anchor_candidates(arrays, rate, min_shared, max_df, LocalExecutor(workers) if workers > 1 else None)
    finally:
        candidates.COMPILED_ANCHOR_ELEMENTS, compiled.MIN_ELEMENTS = saved
    assert found.tolist() == _reference(sets, rate, min_shared, max_df)


@settings(max_examples=60, deadline=None)
@given(*ANCHOR_CASES, st.integers(1, 6))
def test_anchor_pairs_made_a_slice_at_a_time_equal_the_plain_reference(universe_sets, rate, min_shared, max_df,
                                                                       pair_slice):
    import wiretrace.candidates as candidates

    sets = [sorted({(u + 1) << 32 for u in s}) for s in universe_sets]
    arrays = [np.array(s, dtype=np.uint64) for s in sets]
    saved = candidates.PAIR_SLICE
    candidates.PAIR_SLICE = pair_slice  # a few pairs a slice: most corpora here are cut in several
    try:
        found = anchor_candidates(arrays, rate, min_shared, max_df)
    finally:
        candidates.PAIR_SLICE = saved
    assert found.tolist() == _reference(sets, rate, min_shared, max_df)


class _Shuffling:
    """The contract of an executor whose group steps shuffle rows (Ray Data's,
    ``tests/test_ray.py``), kept in this process: every row a batch's ``emit``
    makes reaches the ``reduce`` call of its partition, the rows and the
    partitions in a random order."""

    remote = True
    workers = 2

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def group(self, batches, emit, reduce, *, shared=None, parts=1):
        made = [emit(batch, shared) for batch in batches]
        rows = {name: np.concatenate([m[name] for m in made]) for name in made[0]} if made else {}
        if not rows or not len(rows["part"]):
            return {}
        order = self.rng.permutation(len(rows["part"]))
        rows = {name: column[order] for name, column in rows.items()}
        out = [reduce({name: column[rows["part"] == part] for name, column in rows.items()}, shared)
               for part in self.rng.permutation(np.unique(rows["part"]))]
        return {name: np.concatenate([o[name] for o in out]) for name in out[0]}


@settings(max_examples=60, deadline=None)
@given(*ANCHOR_CASES, st.integers(0, 2**32), st.sampled_from([64, 512 * 2**20]))
def test_anchors_grouped_by_a_shuffle_equal_the_plain_reference(universe_sets, rate, min_shared, max_df, seed,
                                                                 partition_bytes):
    import wiretrace.candidates as candidates

    sets = [sorted({((u * 40503) % 65536) << 48 | (u + 1) << 32 for u in s}) for s in universe_sets]
    arrays = [np.array(s, dtype=np.uint64) for s in sets]
    saved = candidates.SHUFFLE_BATCH, candidates.ANCHOR_PARTITION_BYTES
    candidates.SHUFFLE_BATCH = 3  # several batches, as a corpus is cut
    candidates.ANCHOR_PARTITION_BYTES = partition_bytes  # 64: four anchors a partition, many partitions
    try:
        found = anchor_candidates(arrays, rate, min_shared, max_df, _Shuffling(seed))
    finally:
        candidates.SHUFFLE_BATCH, candidates.ANCHOR_PARTITION_BYTES = saved
    assert found.tolist() == _reference(sets, rate, min_shared, max_df)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=2, max_size=150), st.sampled_from([(4, 2), (2, 3), (1, 6)]),
       st.integers(0, 2**32))
def test_lsh_buckets_grouped_by_a_shuffle_equal_the_local_ones(stories, banding, seed):
    import wiretrace.candidates as candidates
    from wiretrace.candidates import lsh_candidates

    # documents of a few signatures, some rows changed: buckets of every size, past MAX_BUCKET too
    rng = np.random.default_rng(seed)
    signatures = rng.integers(0, 4, (6, 8), dtype=np.uint64).astype(np.uint32)[stories]
    signatures[rng.random(signatures.shape) < 0.1] = 9
    signatures = np.vstack([signatures, np.repeat(signatures[:1], candidates.MAX_BUCKET + 2, axis=0)])
    bands, rows = banding
    saved = candidates.SHUFFLE_BATCH
    candidates.SHUFFLE_BATCH = 7
    try:
        found = lsh_candidates(signatures, bands, rows, _Shuffling(seed))
    finally:
        candidates.SHUFFLE_BATCH = saved
    assert found.tolist() == lsh_candidates(signatures, bands, rows).tolist()


def _syndicated(copies: int) -> list[dict]:
    """A story on ``copies`` sites, and four excerpts of a quarter of it: their
    Jaccard with the story is too low for LSH, so only anchors find them."""
    words = story(77, 500).split()
    pages = [{"id": f"copy{i:03d}", "text": " ".join(words), "site": f"s{i}.example",
              "published": f"2024-01-01T{i % 24:02d}:00:00Z"} for i in range(copies)]
    return pages + [{"id": f"excerpt{i}", "text": " ".join(words[i * 7: i * 7 + 120]), "site": f"e{i}.example",
                     "published": "2024-01-03"} for i in range(4)]


def test_a_story_on_more_sites_than_max_df_keeps_its_excerpts():
    # 30 copies, max_df 10: each anchor of the story is in 34 documents. Dropping such
    # anchors as boilerplate (as wiretrace did) split the excerpts off their story
    report = scan(_syndicated(30), anchor_max_df=10)
    assert [c["size"] for c in report.clusters] == [34]
    assert scan(_syndicated(30), anchor_max_df=100).to_dict()["clusters"][0]["members"] == \
        report.to_dict()["clusters"][0]["members"]


def test_an_index_finds_an_excerpt_of_a_story_on_more_sites_than_max_df():
    pages = _syndicated(30)
    with Index.open("memory:", Config().replace(anchor_max_df=10)) as index:
        index.add(pages[:30])
        entries = index.check(pages[30:])
    for entry in entries:
        assert {m["kind"] for m in entry["matches"]} == {"contained"}
        assert len(entry["matches"]) >= 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 400), max_size=80), st.integers(0, 8), st.integers(1, 12))
def test_equal_runs_in_blocks_are_the_plain_groups_of_the_shifted_values(values, shift, block):
    """The anchor grouping's runs (``_equal_runs``: shifted values made a block
    at a time, one byte a posting) are ``_groups`` of the shifted array."""
    from wiretrace.candidates import _equal_runs, _groups

    packed = np.sort(np.array(values, dtype=np.uint64))
    starts, sizes = _equal_runs(packed, shift, block=block)
    expected_starts, expected_sizes = _groups(packed >> np.uint64(shift))
    assert starts.tolist() == expected_starts.tolist() and sizes.tolist() == expected_sizes.tolist()
