"""Versions and lineages (wiretrace.lineage): a publisher's own write-throughs
of one story are versions, each with the copies that carry it; copies of one
story are never taken for versions.

Every text is invented here (conftest.story); Reuters-21578's own updates
are measured by the ``lineage`` bench suite."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.cluster import connected_components
from wiretrace.lineage import VersionPair, lineages, split_versions
from wiretrace.verify import VerifiedPair

from conftest import story


def _doc(doc_id: str, text: str, site: str, published: str | None) -> dict:
    record = {"id": doc_id, "url": f"https://{site}/{doc_id}", "title": doc_id, "text": text}
    if published:
        record["published"] = published
    return record


def _paragraphs(seed: int, words: int) -> list[str]:
    return story(seed, words).split("\n\n")


def _write_throughs(dated: bool = True) -> tuple[list[dict], dict[str, str]]:
    """An agency's story in three versions -- each a new top over the kept
    body, each adding to its end -- each copied whole by two
    outlets, among four other stories of the agency (a site's repeated lines
    are its chrome when they are on half its pages); and the version each
    copy carries."""
    body = _paragraphs(700, 700)
    tops = [_paragraphs(710 + v, 160) for v in range(3)]
    late = _paragraphs(720, 300)  # what the later versions add at the end
    texts = ["\n\n".join(tops[v] + body + late[:2 * v]) for v in range(3)]
    records, carries = [], {}
    for v, text in enumerate(texts):
        hour = 6 + 3 * v
        records.append(_doc(f"agency-v{v + 1}", text, "wire.example.com",
                            f"2026-05-02T{hour:02d}:00:00Z" if dated else None))
        for k in range(2):
            copy_id = f"outlet{k}-v{v + 1}"
            records.append(_doc(copy_id, f"Posted by the desk.\n\n{text}", f"daily{k}{'abc'[v]}.example",
                                f"2026-05-02T{hour + 1:02d}:30:00Z" if dated else None))
            carries[copy_id] = f"agency-v{v + 1}"
    records += [_doc(f"agency-other{n}", story(760 + n, 500), "wire.example.com", "2026-05-02T05:00:00Z")
                for n in range(4)]
    return records, carries


def test_three_write_throughs_are_one_lineage_of_three_versions_with_their_copies():
    records, carries = _write_throughs()
    report = scan(records)
    assert len(report.lineages) == 1
    line = report.lineages[0]
    assert line["order"] == "time" and line["site"] == "example.com"
    assert [v["documents"] for v in line["versions"]] == [["agency-v1"], ["agency-v2"], ["agency-v3"]]
    for version in line["versions"]:
        head = version["documents"][0]
        assert sorted(version["copies"]) == sorted(c for c, v in carries.items() if v == head)
        cluster = report.cluster(version["cluster"])
        assert cluster["lineage"] == line["id"] and cluster["version"] == version["version"]
        assert sorted(cluster["members"]) == sorted([head, *version["copies"]])
    # each version is its own story: no verified pair joins two versions
    version_of = {d: v["version"] for v in line["versions"] for d in v["documents"] + v["copies"]}
    assert all(version_of[p["a"]] == version_of[p["b"]] for p in report.pairs)
    # the versions' shared body is the lineage, not partial reuse between stories
    assert report.reuse == []
    edges = [(u, v) for u, v, d in report.graph.edges(data=True) if d["kind"] == "version"]
    assert edges == [("doc:agency-v1", "doc:agency-v2"), ("doc:agency-v2", "doc:agency-v3")]


def test_trimmed_copies_of_the_first_version_stay_with_it_when_a_later_version_shares_its_body():
    # the second version keeps about half of the first (no verified pair: a passage's
    # worth of shared body), partners copy it; two farms cut the first version to its
    # top, one from the other. The first version contains both cuts and shares text
    # with the second version's story: that shared body is the lineage's own, not a
    # second story the first version quotes, so the first version is no hub and the
    # cuts stay its copies.
    body = _paragraphs(800, 260)
    first = _paragraphs(810, 260) + body
    second = _paragraphs(811, 260) + body + _paragraphs(812, 60)
    cut = "\n\n".join(first[:len(first) // 3])
    records = [_doc("agency-v1", "\n\n".join(first), "wire.example.com", "2026-05-02T06:00:00Z"),
               _doc("agency-v2", "\n\n".join(second), "wire.example.com", "2026-05-02T09:00:00Z"),
               _doc("farm-cut", f"Read this now.\n\n{cut}", "farm.example.org", "2026-05-02T08:00:00Z"),
               _doc("farm-cut-copy", f"Shared today.\n\n{cut}", "farm2.example.org", "2026-05-02T09:00:00Z")]
    records += [_doc(f"outlet{k}-v2", "\n\n".join(second), f"daily{k}.example", "2026-05-02T10:00:00Z")
                for k in range(2)]
    records += [_doc(f"agency-other{n}", story(760 + n, 500), "wire.example.com", "2026-05-02T05:00:00Z")
                for n in range(4)]
    report = scan(records)
    (line,) = report.lineages
    assert [v["documents"] for v in line["versions"]] == [["agency-v1"], ["agency-v2"]]
    assert sorted(line["versions"][0]["copies"]) == ["farm-cut", "farm-cut-copy"]
    assert sorted(line["versions"][1]["copies"]) == ["outlet0-v2", "outlet1-v2"]


def test_without_dates_versions_are_ordered_by_which_text_holds_which():
    records, _ = _write_throughs(dated=False)
    report = scan(records)
    (line,) = report.lineages
    assert line["order"] == "text"
    # each version kept the body and added to it: more of the earlier is in the later than the reverse
    assert [v["documents"] for v in line["versions"]] == [["agency-v1"], ["agency-v2"], ["agency-v3"]]


def test_the_versions_survive_report_json_and_each_versions_html_view_lists_them_all(tmp_path):
    import json

    from wiretrace.html import render_html

    from test_report_html import fragments

    records, _ = _write_throughs()
    report = scan(records)
    report.write(tmp_path, html=False)
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["lineages"] == report.lineages
    views = fragments(render_html(data))
    (line,) = data["lineages"]
    for version in line["versions"]:
        start = views.index(f'data-fragment="cluster:{version["cluster"]}"')
        view = views[start: views.find("</article>", start)]
        assert "Versions of this story" in view
        # every version is listed; this one is marked, the others link to their clusters
        assert all(v["documents"][0] in view for v in line["versions"])
        assert view.count('class="here"') == 1
        others = {v["cluster"] for v in line["versions"]} - {version["cluster"]}
        assert all(f'href="#cluster/{c}"' in view for c in others)


def test_one_story_copied_twice_by_one_farm_is_not_two_versions():
    # A farm posts the story trimmed, and again from another site's copy with
    # its own intro: two copies of one story, not the farm's write-throughs.
    paragraphs = _paragraphs(730, 900)
    original = "\n\n".join(paragraphs)
    records = [_doc("origin", original, "paper.example.com", "2026-05-02T06:00:00Z"),
               _doc("farm-trim", "\n\n".join(paragraphs[:6]), "farm.example.net", "2026-05-02T09:00:00Z"),
               _doc("farm-again", "\n\n".join(_paragraphs(731, 150) + paragraphs[3:]), "farm.example.net",
                    "2026-05-02T11:00:00Z")]
    report = scan(records)
    assert report.lineages == []
    assert [sorted(c["members"]) for c in report.clusters] == [["farm-again", "farm-trim", "origin"]]


def test_a_trimmed_copy_on_the_same_site_and_a_days_later_formula_story_are_not_versions():
    body = _paragraphs(740, 600)
    records = [_doc("full", "\n\n".join(body), "wire.example.com", "2026-05-02T06:00:00Z"),
               _doc("trimmed", "\n\n".join(body[:5]), "wire.example.com", "2026-05-02T07:00:00Z"),
               # the same text with a new top three days later: a formula story, not a write-through
               _doc("formula", "\n\n".join(_paragraphs(741, 150) + body), "wire.example.com", "2026-05-05T06:00:00Z")]
    report = scan(records)
    assert report.lineages == []


def test_a_digest_is_not_a_version_of_the_stories_it_holds():
    a, b = _paragraphs(750, 500), _paragraphs(751, 500)
    records = [_doc("story-a", "\n\n".join(a), "wire.example.com", "2026-05-02T06:00:00Z"),
               _doc("story-b", "\n\n".join(b), "wire.example.com", "2026-05-02T07:00:00Z"),
               _doc("digest", "\n\n".join(a[:3] + b[:3]), "wire.example.com", "2026-05-02T08:00:00Z")]
    report = scan(records)
    assert report.lineages == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=25),
       st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=6))
def test_split_versions_never_joins_two_versions_and_keeps_every_other_pair_of_a_single_version(edges, links):
    """Pinned to a plain statement of the rule: after the split, no component
    holds two version groups, and in components without two groups every
    pair is kept."""
    pairs = sorted({(min(a, b), max(a, b)) for a, b in edges if a != b})
    versions = [VersionPair(a, b, 40, 0.5, 0.5) for a, b in sorted({(min(a, b), max(a, b)) for a, b in links if a != b})]
    rng = np.random.default_rng(len(pairs))
    sets = [np.unique(rng.integers(0, 60, 30)).astype(np.uint64) for _ in range(10)]
    verified = [VerifiedPair(a, b, 10, 0.6, 0.6, 0.6, "lsh") for a, b in pairs]
    kept, groups = split_versions(10, sets, verified, versions)
    group_of = {d: n for n, g in enumerate(groups) for d in g}
    for component in connected_components(10, ((p.a, p.b) for p in kept)):
        assert len({group_of[d] for d in component if d in group_of}) <= 1
    version_keys = {(v.a, v.b) for v in versions}
    rest = [p for p in verified if (p.a, p.b) not in version_keys]
    for component in connected_components(10, ((p.a, p.b) for p in rest)):
        if len({group_of[d] for d in component if d in group_of}) <= 1:
            inside = set(component)
            assert {(p.a, p.b) for p in rest if p.a in inside} <= {(p.a, p.b) for p in kept}
    for line in lineages(versions, groups, [None] * 10):
        assert len(line.versions) >= 2
        assert sorted(d for v in line.versions for d in v) == sorted(set(d for v in line.versions for d in v))


def _reworded(paragraph: str, seed: int) -> str:
    """The paragraph's words shuffled: the same story, no shingle in common."""
    import random

    words = paragraph.split()
    random.Random(seed).shuffle(words)
    return " ".join(words)


def test_a_farm_posting_one_version_twice_from_two_copies_is_not_a_version_of_the_agencys_story():
    # The agency writes a story through (new top over the kept body). A farm posts the
    # first version trimmed, and again from another farm's reworded copy, which keeps
    # only the first version's middle: the farm's two pages share a passage and each
    # has text the other lacks, and no third page holds more of both -- they look
    # like the farm's own versions. They are copies: the trimmed one is a cut of the
    # agency's first version, published earlier by another publisher.
    paragraphs = [" ".join(story(900 + k, 60).split()[:50]) + "." for k in range(12)]
    first = paragraphs
    second = [" ".join(story(920 + k, 60).split()[:50]) + "." for k in range(2)] + paragraphs[2:]
    reworded = ([_reworded(p, k) for k, p in enumerate(paragraphs[:4])] + paragraphs[4:8]
                + [_reworded(p, k) for k, p in enumerate(paragraphs[8:], 8)])
    records = [_doc("agency-v1", "\n\n".join(first), "wire.example.com", "2026-05-02T06:00:00Z"),
               _doc("agency-v2", "\n\n".join(second), "wire.example.com", "2026-05-02T09:00:00Z"),
               _doc("farm-trim", "\n\n".join(paragraphs[:8]), "farm.example.net", "2026-05-02T08:00:00Z"),
               _doc("other-farm", "\n\n".join(reworded), "spin.example.org", "2026-05-02T08:30:00Z"),
               _doc("farm-again", "\n\n".join([story(940, 40).replace("\n\n", " ")] + reworded), "farm.example.net",
                    "2026-05-02T10:00:00Z")]
    records += [_doc(f"outlet{k}-v{v}", "\n\n".join(text), f"daily{k}{v}.example", f"2026-05-02T1{v}:30:00Z")
                for v, text in ((1, first), (2, second)) for k in range(2)]
    records += [_doc(f"agency-other{n}", story(960 + n, 500), "wire.example.com", "2026-05-02T05:00:00Z")
                for n in range(4)]
    report = scan(records)
    (line,) = report.lineages
    assert [v["documents"] for v in line["versions"]] == [["agency-v1"], ["agency-v2"]]
    assert "farm-trim" in line["versions"][0]["copies"]
    assert not any("farm-again" in v["documents"] or "farm-again" in v["copies"] for v in line["versions"])


def test_a_write_through_whose_kept_body_is_mostly_quoted_speech_is_still_a_version():
    # A body of quoted statements with one paragraph of the agency's own prose: the
    # versions' free text (outside quotes) is mostly their two tops, yet the body is
    # kept whole -- quotes and all -- under a new top.
    quotes = [f"\u201c{' '.join(story(980 + k, 70).split()[:60])},\u201d said Mayor Kalo Ren." for k in range(4)]
    prose = " ".join(story(990, 60).split()[:50]) + "."
    tops = [[" ".join(story(1000 + 10 * v + k, 80).split()[:70]) + "." for k in range(2)] for v in range(2)]
    texts = ["\n\n".join(tops[v] + quotes + [prose]) for v in range(2)]
    records = [_doc(f"agency-v{v + 1}", texts[v], "wire.example.com", f"2026-05-02T0{6 + 3 * v}:00:00Z")
               for v in range(2)]
    records += [_doc(f"outlet{k}-v{v + 1}", texts[v], f"daily{k}{v}.example", f"2026-05-02T1{v}:30:00Z")
                for v in range(2) for k in range(2)]
    records += [_doc(f"agency-other{n}", story(1060 + n, 500), "wire.example.com", "2026-05-02T05:00:00Z")
                for n in range(4)]
    report = scan(records)
    (line,) = report.lineages
    assert [v["documents"] for v in line["versions"]] == [["agency-v1"], ["agency-v2"]]
    assert [sorted(v["copies"]) for v in line["versions"]] == [["outlet0-v1", "outlet1-v1"],
                                                               ["outlet0-v2", "outlet1-v2"]]


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_holders_counted_a_part_of_a_site_at_a_time_are_the_plain_count(data):
    # lineage._holders sums each site's shingle counts over parts of its pages (of a list or a
    # spilled column); the plain rule (kept here): for each candidate, the median over its sampled
    # body of the number of its site's pages whose free set holds the shingle
    from wiretrace import lineage
    from wiretrace.spill import Spill

    n = data.draw(st.integers(2, 30))
    sites = [data.draw(st.sampled_from(["a.example", "b.example", "c.example", "d.example", None])) for _ in range(n)]
    free_sets = [np.unique(np.array(data.draw(st.lists(st.integers(0, 60), max_size=40)), dtype=np.uint64))
                 for _ in range(n)]
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] < p[1]),
                               max_size=12))
    candidates = [VersionPair(a, b, 0, 0.5, 0.5) for a, b in pairs if sites[a] == sites[b]
                  and len(np.intersect1d(free_sets[a], free_sets[b]))]

    def plain(v):
        body = np.intersect1d(free_sets[v.a], free_sets[v.b])
        sample = body[body % np.uint64(lineage._HOLDER_SAMPLE) == 0]
        sample = sample if len(sample) >= 4 else body
        held = [sum(1 for i in range(n) if sites[i] == sites[v.a] and x in set(free_sets[i].tolist()))
                for x in sample.tolist()]
        return float(np.median(held)) if held else 0.0

    expected = [plain(v) for v in candidates]
    if data.draw(st.booleans()):
        column = Spill().sets()
        column.extend(free_sets)
        free_sets = column
    part = data.draw(st.integers(1, 5))
    original = lineage._HOLDER_PAGES
    lineage._HOLDER_PAGES = part
    try:
        assert lineage._holders(candidates, sites, free_sets) == expected
    finally:
        lineage._HOLDER_PAGES = original


def test_a_page_of_a_site_without_candidates_holds_nothing_for_another_sites_body():
    # site b's page holds the body of a's version pair: a's count of holders is a's pages alone
    from wiretrace.lineage import _holders

    body = [8, 16, 24, 32, 40]
    free_sets = [np.array(s, dtype=np.uint64) for s in (body, body, body[1:], body)]
    assert _holders([VersionPair(0, 1, 0, 0.5, 0.5)], ["a", "a", "b", None], free_sets) == [2.0]
