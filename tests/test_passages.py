"""Partial reuse (wiretrace.passages): passage pairs link stories without merging them.

Every text is invented here (conftest.story); real data is measured by the
ecbplus and clough bench suites."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.passages import Reuse, one_link_per_story

from conftest import story


def _doc(doc_id: str, text: str, site: str, published: str) -> dict:
    return {"id": doc_id, "url": f"https://{site}/{doc_id}", "title": doc_id, "text": text, "published": published}


def _paragraphs(seed: int, words: int = 600) -> list[str]:
    return story(seed, words).split("\n\n")


def _roundup_records(first_seed: int, stories: int) -> list[dict]:
    """Each story on its origin's site and copied whole by another site, and a
    roundup on a digest site holding the top two paragraphs of every story."""
    texts = {n: _paragraphs(first_seed + n) for n in range(stories)}
    records = []
    for n, paragraphs in texts.items():
        text = "\n\n".join(paragraphs)
        records.append(_doc(f"story{n}", text, f"origin{n}.example.com", "2026-03-04T08:00:00Z"))
        records.append(_doc(f"copy{n}", text, f"copier{n}.example.net", "2026-03-04T12:00:00Z"))
    roundup = "\n\n".join(p for n in range(stories) for p in texts[n][:2])
    records.append(_doc("roundup", roundup, "digest.example.org", "2026-03-05T08:00:00Z"))
    return records


def test_a_roundup_of_five_stories_links_five_clusters_without_merging_them():
    report = scan(_roundup_records(100, 5))
    assert sorted(sorted(c["members"]) for c in report.clusters) == [[f"copy{n}", f"story{n}"] for n in range(5)]
    assert not any(p["a"] == "roundup" or p["b"] == "roundup" for p in report.pairs)
    links = [r for r in report.reuse if "roundup" in (r["a"], r["b"])]
    assert len(links) == len(report.reuse) == 5  # one link per story, whichever copy it was found with
    linked_clusters = {r["cluster_a"] if r["b"] == "roundup" else r["cluster_b"] for r in links}
    assert linked_clusters == {c["id"] for c in report.clusters}
    reuse_edges = [(u, v, d) for u, v, d in report.graph.edges(data=True) if d["kind"] == "reuse"]
    assert len(reuse_edges) == 5 and all(v == "doc:roundup" and d["direction"] == "known" for u, v, d in reuse_edges)
    for r in links:
        assert r["first"] != "roundup"  # the stories were published first
        for a_start, a_end, b_start, b_end in r["passages"]:
            a_text = next(d["text"] for d in report.documents if d["id"] == r["a"])
            b_text = next(d["text"] for d in report.documents if d["id"] == r["b"])
            assert a_text[a_start:a_end] == b_text[b_start:b_end]  # offsets into both texts


def test_a_brief_of_a_long_storys_top_is_a_passage_pair_not_a_copy():
    long_story = _paragraphs(120, 1200)
    own = _paragraphs(121, 500)
    brief = "\n\n".join(long_story[:4] + own)
    report = scan([
        _doc("story", "\n\n".join(long_story), "wire.example.com", "2026-03-04T08:00:00Z"),
        _doc("brief", brief, "briefs.example.net", "2026-03-04T10:00:00Z"),
    ])
    assert report.pairs == [] and report.clusters == []
    (link,) = report.reuse
    assert (link["a"], link["b"], link["first"]) == ("brief", "story", "story")
    assert 0.2 < link["share_a"] < 0.7 and link["share_b"] < 0.3
    assert link["words"] >= 40


def test_a_shared_quoted_statement_makes_no_pair_of_any_kind():
    statement = " ".join(story(130, 70).split())
    for opening, closing in (("\u201c", "\u201d"), ("\u00ab ", " \u00bb"), ("\u201e", "\u201c")):
        first = "\n\n".join(_paragraphs(131, 300)[:3] + [f"The ministry said: {opening}{statement}{closing}"])
        second = "\n\n".join(_paragraphs(132, 300)[:3] + [f"Officials added: {opening}{statement}{closing}"])
        report = scan([
            _doc("first", first, "one.example.com", "2026-03-04T08:00:00Z"),
            _doc("second", second, "two.example.net", "2026-03-04T09:00:00Z"),
        ])
        assert (report.pairs, report.reuse) == ([], []), opening
    # the same statement outside quotation marks is reuse
    first = "\n\n".join(_paragraphs(131, 300)[:3] + [statement])
    second = "\n\n".join(_paragraphs(132, 300)[:3] + [statement])
    report = scan([_doc("first", first, "one.example.com", "2026-03-04T08:00:00Z"),
                   _doc("second", second, "two.example.net", "2026-03-04T09:00:00Z")])
    assert len(report.reuse) == 1 and report.pairs == []


def test_passages_min_words_decides_how_long_a_shared_run_must_be():
    shared = " ".join(story(140, 30).split())  # a 30-word run
    first = "\n\n".join(_paragraphs(141, 400)[:4] + [shared])
    second = "\n\n".join(_paragraphs(142, 400)[:4] + [shared])
    records = [_doc("first", first, "one.example.com", "2026-03-04T08:00:00Z"),
               _doc("second", second, "two.example.net", "2026-03-04T09:00:00Z")]
    assert scan(records).reuse == []  # under the default of 35 words
    assert len(scan(records, passage_min_words=25).reuse) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(1, 90)), max_size=25),
       st.lists(st.integers(0, 3), min_size=8, max_size=8))
def test_one_link_per_story_matches_a_plain_reference(raw, labels):
    pairs = {}
    for a, b, words in raw:
        if a != b:
            pairs[(min(a, b), max(a, b))] = words
    reuse = [Reuse(a, b, [[0, 1, 0, 1]], w, 0.1, 0.1) for (a, b), w in sorted(pairs.items())]
    components = [[i for i in range(8) if labels[i] == c] for c in range(3)]  # label 3: no cluster
    components = [c for c in components if len(c) >= 2]
    cluster = {i: n for n, c in enumerate(components) for i in c}

    def side(i):
        return ("cluster", cluster[i]) if i in cluster else ("doc", i)

    expected = {}
    for r in reuse:
        key = tuple(sorted([side(r.a), side(r.b)]))
        if key[0] == key[1]:
            continue
        if key not in expected or (r.words, -r.a, -r.b) > (expected[key].words, -expected[key].a, -expected[key].b):
            expected[key] = r
    got = one_link_per_story(reuse, components)
    assert got == sorted(expected.values(), key=lambda r: (r.a, r.b))
    assert len({tuple(sorted([side(r.a), side(r.b)])) for r in got}) == len(got)
    assert np.all([r.words > 0 for r in got])


def test_two_pages_of_one_site_sharing_its_template_are_no_reuse():
    template = "\n\n".join(_paragraphs(150, 200))  # a long "Latest news" box and footer
    records = [_doc(f"page{n}", "\n\n".join(_paragraphs(151 + n, 400)) + "\n\n" + template, "farm.example.com",
                    f"2026-03-0{n + 4}T08:00:00Z") for n in range(2)]
    assert scan(records).reuse == []  # two pages only: too few to learn the template as chrome
    # the same shared text on two publishers' pages is reuse
    records[1] = {**records[1], "url": "https://other.example.net/page1"}
    assert len(scan(records).reuse) == 1


def test_the_html_report_shows_a_storys_shared_passages_and_links_its_cluster():
    from wiretrace.html import render_html

    from test_report_html import fragments

    report = scan(_roundup_records(160, 2)).to_dict()
    views = fragments(render_html(report))
    for reuse in report["reuse"]:
        cluster = reuse["cluster_a"] or reuse["cluster_b"]
        start = views.index(f'data-fragment="cluster:{cluster}"')
        view = views[start: views.find("</article>", start)]
        assert "Shared passages with other stories" in view
        assert 'data-other="roundup"' in view or 'data-doc="roundup"' in view
        # the side-by-side view of the passage pair, its shared passages highlighted in both texts
        details = view[view.index(f'data-with="{reuse["a"]}" data-copy="{reuse["b"]}"'):]
        details = details[: details.index("</details>")]
        assert "partial reuse, not a copy" in details
        assert details.count('data-side="with"') == details.count('data-side="copy"') == 1
        for side in ("with", "copy"):
            pane = details[details.index(f'data-side="{side}"'):]
            assert "<mark" in pane[: pane.index("</div>")]
