"""Site chrome: the template a site wraps around every article must not make
two of its articles look alike, nor hide a story copied to another site."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.chrome import LineCounts, count_lines, has_words, strip_chrome
from wiretrace.records import Document

from conftest import story


def template(site: str) -> tuple[str, str]:
    header = "\n".join([f"{site} | Home | World | Business | Sport | Culture", "Subscribe | Sign in | Search"])
    teasers = [story(900 + i + len(site), 14).replace("\n\n", " ") for i in range(14)]
    footer = "\n".join(
        ["Latest news", *teasers, "Must read", f"Sign up to the {site} newsletter for the day's top stories.",
         f"Copyright 2026 {site} Media Group. All rights reserved. Terms | Privacy | Cookies"]
    )
    return header, footer


def page(site: str, body: str) -> str:
    header, footer = template(site)
    return f"{header}\n{body}\n{footer}"


def _articles() -> list[str]:
    # Short articles (about 120 words) in a big template: without chrome
    # removal, most of each page is the template.
    return [story(300 + i, 120).replace("\n\n", "\n") for i in range(4)]


def _corpus() -> list[dict]:
    records = [
        {"id": f"a{i}", "url": f"https://www.site-a.example.com/news/{i}", "text": page("Site A", body)}
        for i, body in enumerate(_articles())
    ]
    copied = "Republished with permission.\n" + _articles()[1]
    records.append({"id": "b-copy", "url": "https://news.site-b.example.org/x", "text": page("Site B Daily", copied)})
    records += [
        {"id": f"b{i}", "url": f"https://news.site-b.example.org/{i}", "text": page("Site B Daily", story(400 + i, 150))}
        for i in range(3)
    ]
    return records


def test_shared_template_does_not_cluster_different_articles_but_copies_still_match():
    report = scan(_corpus())
    assert [c["members"] for c in report.clusters] == [["a1", "b-copy"]]
    assert all(d["chrome_lines_removed"] > 10 for d in report.documents)


def test_without_chrome_removal_the_template_alone_would_cluster_them():
    # The control: the same corpus with chrome removal off links unrelated
    # articles of one site through their template: as one story, or (two
    # pages of one publisher sharing a third of their text) as its versions.
    report = scan(_corpus(), chrome_min_pages=0)
    linked = [set(c["members"]) for c in report.clusters]
    linked += [{d for v in line["versions"] for d in v["documents"]} for line in report.lineages]
    assert any({"a0", "a2"} <= group for group in linked)


def test_versions_of_one_story_on_one_site_keep_their_paragraphs():
    paragraphs = [story(500 + i, 55).replace("\n\n", " ") for i in range(8)]  # long lines (>= 40 words)
    records = [{"id": "wire", "url": "https://wire.example.com/s", "text": "\n".join(paragraphs)}]
    for v in range(3):  # an aggregator publishes three updates of the story
        text = page("Agg", "\n".join(paragraphs[: 5 + v]))
        records.append({"id": f"agg-v{v}", "url": f"https://agg.example.net/{v}", "text": text})
    records += [{"id": f"agg-other{i}", "url": f"https://agg.example.net/o{i}", "text": page("Agg", story(600 + i, 200))} for i in range(2)]
    report = scan(records)
    assert [c["members"] for c in report.clusters] == [["agg-v0", "agg-v1", "agg-v2", "wire"]]
    pairs = {(p["a"], p["b"]) for p in report.pairs}
    assert {("agg-v0", "wire"), ("agg-v1", "wire"), ("agg-v2", "wire")} <= pairs


def test_documents_without_a_site_and_tiny_results_are_left_alone():
    nav = "Home | World | Sport"
    docs = [Document(id=str(i), text=f"{nav}\nshort {i}", site="x.com") for i in range(3)]
    docs.append(Document(id="nosite", text=f"{nav}\n" + "word " * 30))
    result = strip_chrome(docs, min_words=20)
    assert result.texts == [d.text for d in docs]  # stripping would leave under 20 words
    assert result.lines_removed == [0, 0, 0, 0]


def test_chrome_line_keys_are_the_same_in_every_process():
    import os
    import subprocess
    import sys

    from wiretrace.chrome import _key

    lines = ["Home | World | Sport", "  Newsletter: sign up  ", "Caf\u00e9 \ud800 broken surrogate"]
    code = "import sys; from wiretrace.chrome import _key; print([_key(l) for l in eval(sys.argv[1])])"
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code, repr(lines)], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == str([_key(line) for line in lines])
    assert _key("Home | World") == _key("  home | world ") != 0


_LINES = [f"line {i} " + "word " * (i % 7) * 9 for i in range(12)]  # some long (45+ words), most short


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a.com", "b.org", None]),
                          st.lists(st.integers(0, 11), min_size=1, max_size=8)), min_size=1, max_size=14),
       st.integers(1, 5), st.sampled_from([0.3, 0.5, 0.8]))
def test_counts_of_lines_on_fewer_than_min_pages_change_nothing_the_rule_decides(pages, min_pages, share):
    # what Index.delta's store reads leave out (index._KnownLines, at_least = min_pages): a line on
    # fewer pages of its site than min_pages is never chrome, so the texts, the lines removed and
    # the sites' template lines are the same without those counts
    docs = [Document(id=str(i), site=site, text="\n".join([_LINES[k] for k in picked] + [story(i, 30)]))
            for i, (site, picked) in enumerate(pages)]
    full = count_lines(docs)
    kept = LineCounts(full.pages, {site: Counter({k: n for k, n in c.items() if n >= min_pages})
                                   for site, c in full.lines.items()})
    a = strip_chrome(docs, min_pages, 40, share, 20, full)
    b = strip_chrome(docs, min_pages, 40, share, 20, kept)
    assert (list(a.texts), a.lines_removed, a.sites_with_chrome, a.template) == \
           (list(b.texts), b.lines_removed, b.sites_with_chrome, b.template)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from("ab \t\u00a0\u2003\x1c\x85\r\x0b.")), max_size=8), st.integers(-1, 12))
def test_has_words_counts_the_words_of_the_joined_lines(lines, least):
    # counting line by line and stopping early is the count of the joined text's
    # words, with every kind of whitespace str.split knows (a line break among them)
    assert has_words(lines, least) == (len("\n".join(lines).split()) >= least)
