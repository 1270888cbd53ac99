"""Who copied whom: origin choice with missing, wrong and updated dates,
copy chains found from the text, and the unknown case."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.provenance import Member, trace_cluster
from wiretrace.shingles import shingle_sets
from wiretrace.verify import verify_pairs

import numpy as np

from conftest import story

PARAGRAPHS = story(77, 900).split("\n\n")
INTRO = "Here is what we know so far about the harbour strike and what happens next for the city."


def when(hour: int, day: int = 4) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=timezone.utc)


def trace(docs: list[tuple[str, str, datetime | None, str | None, list[str], str | None]]):
    """docs: (id, text, published, date source, agencies in text, own agency)."""
    sets, _ = shingle_sets([d[1] for d in docs], 5)
    n = len(docs)
    candidates = np.array([(i, j) for i in range(n) for j in range(i + 1, n)], dtype=np.int64).reshape(-1, 2)
    verified = verify_pairs(sets, candidates, np.array(["test"] * len(candidates)), 0.5, 0.6, 30)
    found = {(p.a, p.b): p for p in verified}
    members = [
        Member(i, d[0], f"site{i}.example", d[2], d[3], sets[i], d[4], d[5]) for i, d in enumerate(docs)
    ]
    return trace_cluster("c1", members, lambda i, j: found.get((min(i, j), max(i, j))))


def edges(result) -> set[tuple[str, str]]:
    return {(e.source, e.copy) for e in result.edges}


FULL = "\n\n".join(PARAGRAPHS)
TRIMMED = "\n\n".join(PARAGRAPHS[: len(PARAGRAPHS) // 2])


def test_earliest_reliable_date_is_the_origin_and_crawl_dates_never_are():
    result = trace([
        ("original", FULL, when(10), "metadata", [], None),
        ("undated", FULL, None, None, [], None),
        ("crawled-early", FULL, when(8), "crawl", [], None),  # a crawl date only bounds publication
    ])
    assert (result.origin.kind, result.origin.document) == ("document", "original")
    assert edges(result) == {("doc:original", "doc:undated"), ("doc:original", "doc:crawled-early")}


def test_a_trimmed_copy_with_a_wrong_earlier_date_is_not_the_origin():
    result = trace([
        ("full", FULL, when(10), "metadata", [], None),
        ("trimmed-backdated", TRIMMED, when(6), "metadata", [], None),  # wrong, earlier date
        ("other-copy", FULL, when(12), "record", [], None),  # confirms the full text
    ])
    assert result.origin.document == "full"
    (edge,) = [e for e in result.edges if e.copy == "doc:trimmed-backdated"]
    assert edge.evidence["time"]["order"] == "conflict"  # the copy claims to be older: flagged


def test_an_updated_date_does_not_hand_the_origin_to_a_copy():
    # The original's metadata shows its last update (12:00); a copy that added
    # an intro was published at 11:00, between the first and last versions.
    result = trace([
        ("original-updated", FULL, when(12), "metadata", [], None),
        ("copy-with-intro", INTRO + "\n\n" + FULL, when(11), "metadata", [], None),
    ])
    assert result.origin.document == "original-updated"
    assert "extended copies" in result.origin.reason


def test_three_step_copy_chain_is_found_from_shared_edits():
    # A -> B: B adds an intro and cuts a paragraph; B -> C: C takes B's text,
    # intro and cut included. C's date is even earlier than B's (wrong).
    b_text = INTRO + "\n\n" + "\n\n".join(PARAGRAPHS[:3] + PARAGRAPHS[4:])
    result = trace([
        ("a-wire", FULL, when(9), "metadata", [], None),
        ("b-aggregator", b_text, when(12), "metadata", [], None),
        ("c-farm", b_text + "\n\nShare this story.", when(10), "metadata", [], None),
    ])
    assert result.origin.document == "a-wire"
    assert edges(result) == {("doc:a-wire", "doc:b-aggregator"), ("doc:b-aggregator", "doc:c-farm")}
    (chain,) = [e for e in result.edges if e.copy == "doc:c-farm"]
    assert chain.evidence["shared_edits"] >= 5 and any("text shows the direction" in b for b in chain.basis)


def test_wire_copy_has_the_agency_as_origin_even_without_its_page():
    result = trace([
        ("repost-1", FULL, when(10), "metadata", ["reuters"], None),
        ("repost-2", FULL, when(9), "metadata", [], None),
    ])
    assert (result.origin.kind, result.origin.agency, result.origin.document) == ("agency", "reuters", None)
    assert edges(result) == {("agency:reuters", "doc:repost-1"), ("agency:reuters", "doc:repost-2")}


def test_the_agency_page_is_the_origin_when_it_is_in_the_corpus():
    result = trace([
        ("repost", FULL, when(8), "metadata", ["ap"], None),  # dated earlier, but a repost of AP
        ("ap-own", FULL, when(10), "metadata", ["ap"], "ap"),
    ])
    assert (result.origin.agency, result.origin.document) == ("ap", "ap-own")
    assert edges(result) == {("doc:ap-own", "doc:repost")}


def test_without_markers_or_usable_dates_the_origin_is_unknown():
    result = trace([
        ("x", FULL, None, None, [], None),
        ("y", FULL, when(3), "crawl", [], None),
    ])
    assert result.origin.kind == "unknown" and result.origin.document is None
    assert result.edges == [] and set(result.parent.values()) == {None}


def test_chain_direction_from_cuts_overrides_dates():
    # C keeps B's intro but cuts one more paragraph: C can only have copied B,
    # even though C's (wrong) date is earlier than B's.
    b_paragraphs = PARAGRAPHS[:3] + PARAGRAPHS[4:]
    c_paragraphs = b_paragraphs[:6] + b_paragraphs[7:]
    result = trace([
        ("a", FULL, when(9), "metadata", [], None),
        ("b", INTRO + "\n\n" + "\n\n".join(b_paragraphs), when(12), "metadata", [], None),
        ("c", INTRO + "\n\n" + "\n\n".join(c_paragraphs), when(10), "metadata", [], None),
    ])
    assert edges(result) == {("doc:a", "doc:b"), ("doc:b", "doc:c")}


def test_a_page_with_the_agency_dateline_is_never_the_copy_of_one_without_it():
    """An AP member paper (dateline kept), a farm's whole copy without the
    dateline (back-dated), and a trimmed copy: the member paper and the farm
    share the second half that no other member has, and the member paper is
    the farm's text plus a few words -- which reads like an addition. The
    dateline settles it: the member paper is the agency's copy, never the
    farm's."""
    result = trace([
        ("member", "SAN FRANCISCO (AP) \u2014 " + FULL, when(6), "metadata", ["ap"], None),
        ("farm", FULL, when(2), "metadata", [], None),  # back-dated
        ("trimmed", TRIMMED, when(9), "metadata", ["ap"], None),
    ])
    assert result.origin.kind == "agency" and result.origin.agency == "ap"
    assert result.parent["member"] == "agency:ap"
    assert not any(e.copy == "doc:member" and e.source.startswith("doc:") for e in result.edges)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sets(st.integers(0, 40), min_size=1, max_size=25), min_size=2, max_size=7))
def test_confirmed_text_from_the_clusters_counts_equals_the_plain_reference(shingle_sets_):
    # fast paths (the cluster's shingle counts, and wiretrace.provenance._confirmed_of, from
    # the counts and the overlap alone) pinned to the plain reference:
    # the share of one member's extra shingles that some third member holds
    from wiretrace.provenance import _confirmed_of, _Counts
    from wiretrace.verify import intersection_size

    members = [Member(i, f"d{i}", None, None, None, np.array(sorted(s), dtype=np.uint64))
               for i, s in enumerate(shingle_sets_)]
    counts = _Counts(members)
    for member in members:
        for other in members:
            if other is member:
                continue
            extra = np.setdiff1d(other.shingles, member.shingles, assume_unique=True)
            rest = [m.shingles for m in members if m.index not in (member.index, other.index)]
            if not len(extra) or not rest:
                continue
            plain = float(np.isin(extra, np.concatenate(rest)).mean())
            assert float(np.mean(counts.of(extra) >= 2)) == plain  # the cluster's counts answer it
            # without making the extra text: the same float
            assert _confirmed_of(other, intersection_size(member.shingles, other.shingles), counts) == plain


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sets(st.integers(0, 30), max_size=20), min_size=1, max_size=7),
       st.randoms(use_true_random=False))
def test_edits_two_members_alone_hold_tallied_once_equal_the_plain_intersection(shingle_sets_, rnd):
    # fast path (wiretrace.provenance._Counts.edits: one tally of the shingles two members hold)
    # pinned to the plain reference (_chain_source's formula before: the shared shingles no third
    # member holds); member indices are not positions (a cluster's members carry the report's)
    from wiretrace.provenance import _Counts
    from wiretrace.verify import intersection

    indices = rnd.sample(range(1000), len(shingle_sets_))
    members = [Member(i, f"d{i}", None, None, None, np.array(sorted(s), dtype=np.uint64))
               for i, s in zip(indices, shingle_sets_)]
    counts = _Counts(members)
    for a in members:
        for b in members:
            if a is b:
                continue
            shared = intersection(a.shingles, b.shingles)
            plain = int(np.count_nonzero(counts.of(shared) == 2)) if len(shared) else 0
            assert counts.edits(a.index, b.index) == plain


def test_an_edge_against_the_time_order_has_no_known_direction_without_text_evidence():
    # The full text is the origin (a third copy confirms it); the trimmed page
    # claims an earlier date. Overlap alone does not say which came first.
    result = trace([
        ("full", FULL, when(10), "metadata", [], None),
        ("trimmed-backdated", TRIMMED, when(6), "metadata", [], None),
        ("other-copy", FULL, when(12), "record", [], None),
    ])
    (edge,) = [e for e in result.edges if e.copy == "doc:trimmed-backdated"]
    assert edge.direction == "unknown"
    assert any("dated before its source" in b for b in edge.basis)
    (later,) = [e for e in result.edges if e.copy == "doc:other-copy"]
    assert later.direction == "known" and later.evidence["time"]["order"] == "consistent"


def test_the_agencys_own_page_is_the_origin_when_farms_add_one_tail_to_it():
    # Farms append the same block (their network's promotion) to AP's story:
    # by text alone AP's page looks like a trimmed copy of theirs. Its own
    # dateline on the agency's own site makes it the agency's copy.
    from wiretrace import scan

    wire, tail = story(7001), story(7002, 120)
    records = [{"id": "ap-1", "url": "https://apnews.com/article/1", "text": "WASHINGTON (AP) — " + wire,
                "published": "2024-03-01T08:00:00Z"}]
    records += [{"id": f"farm-{n}", "url": f"https://farm{n}-daily.com/s", "text": wire + "\n\n" + tail,
                 "published": f"2024-03-01T1{n}:00:00Z"} for n in range(3)]
    report = scan(records)
    (entry,) = report.provenance
    assert (entry["origin"]["kind"], entry["origin"]["agency"], entry["origin"]["document"]) == ("agency", "ap", "ap-1")
    status = {d["id"]: d["attribution"]["status"] for d in report.documents}
    assert status == {"ap-1": "origin", "farm-0": "uncredited", "farm-1": "uncredited", "farm-2": "uncredited"}
    assert all(e["copy"] != "doc:ap-1" for e in entry["edges"])


@settings(max_examples=150, deadline=None)
@given(st.data(), st.integers(2, 6), st.integers(1, 40))
def test_containment_copies_from_distinct_sets_and_their_overlaps_at_once_equal_the_plain_loops(data, matrix_min, cells):
    # fast path (each distinct shingle set asked once, overlaps from one matrix product in
    # column blocks) pinned to the plain reference: every member against every member,
    # pair by pair. Copies of one story: cut, extended, rewritten in part, some twice.
    import wiretrace.provenance as provenance
    from wiretrace.provenance import _containment_copies, _Counts, _is_derived, _is_trimmed

    base = list(range(60))
    sets = []
    for _ in range(data.draw(st.integers(1, 12))):
        if sets and data.draw(st.booleans()):
            sets.append(data.draw(st.sampled_from(sets)))  # the same text again
            continue
        dropped = data.draw(st.sets(st.sampled_from(base), max_size=12))
        added = data.draw(st.sets(st.integers(100, 130), max_size=12))
        sets.append(sorted((set(base) - dropped) | added))
    members = [Member(i, f"d{i}", None, None, None, np.array(s, dtype=np.uint64)) for i, s in enumerate(sets)]
    counts = _Counts(members)
    plain = {m.index for m in members if _is_trimmed(m, members, counts) or _is_derived(m, members, counts)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(provenance, "OVERLAP_MATRIX_MIN", matrix_min)
        patch.setattr(provenance, "OVERLAP_MATRIX_CELLS", cells)
        assert _containment_copies(members, counts) == plain


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sets(st.integers(0, 50), max_size=30), min_size=1, max_size=9), st.integers(1, 60))
def test_every_overlap_at_once_equals_each_intersection(sets, cells):
    import wiretrace.provenance as provenance
    from wiretrace.provenance import _overlap_matrix
    from wiretrace.verify import intersection_size

    arrays = [np.array(sorted(s), dtype=np.uint64) for s in sets]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(provenance, "OVERLAP_MATRIX_CELLS", cells)  # column blocks of any width
        matrix = _overlap_matrix(arrays)
    assert matrix.tolist() == [[intersection_size(a, b) for b in arrays] for a in arrays]
