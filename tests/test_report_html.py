"""report.html without a browser: structure, escaping, CSP, size bounds, the
text marks and the graph layout. tests/test_browser.py opens it in Chromium."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DEMO, HOSTILE_MARKUP, hostile_records
from wiretrace import scan
from wiretrace.html import GraphEdge, GraphNode, HtmlOptions, graph_layout, highlight, render_html, safe_url


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script, self._text = dict(attrs), []

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None


def parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def fragments(page: str) -> str:
    """The cluster and site views, decompressed as the page's script does."""
    parsed = parse(page)
    chunks = [text for attrs, text in parsed.scripts if attrs.get("class") == "wt-chunk"]
    return "".join(gzip.decompress(base64.b64decode(c)).decode("utf-8") for c in chunks)


@pytest.fixture(scope="module")
def demo_page(demo_report) -> tuple[dict, str]:
    report = demo_report.to_dict()
    return report, render_html(report)


def test_page_is_self_contained(demo_page):
    _, page = demo_page
    parsed = parse(page + fragments(page))
    for tag, attrs in parsed.tags:
        assert "src" not in attrs or tag == "img" and (attrs["src"] or "").startswith("data:"), (tag, attrs)
        assert tag not in ("link", "iframe", "object", "embed", "base"), tag
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", page)
    assert "@import" not in page


def test_csp_allows_only_the_page_own_script_and_style(demo_page):
    _, page = demo_page
    parsed = parse(page)
    csp = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    executable = [text for attrs, text in parsed.scripts if attrs.get("type") in (None, "", "text/javascript")]
    assert len(executable) == 1
    digest = base64.b64encode(hashlib.sha256(executable[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in csp
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    assert f"style-src 'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}';" in csp
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_every_cluster_and_site_has_a_view(demo_page):
    report, page = demo_page
    views = fragments(page)
    index = json.loads(next(t for a, t in parse(page).scripts if a.get("id") == "wt-index"))
    assert [c["id"] for c in index["clusters"]] == [c["id"] for c in report["clusters"]]
    for cluster in report["clusters"]:
        assert f'data-fragment="cluster:{cluster["id"]}"' in views
    assert len(index["site_chunks"]) == len(report["sites"])
    for key in index["site_chunks"]:
        assert f'data-fragment="site:{key}"' in views


def test_member_badges_match_the_report(demo_page):
    report, page = demo_page
    views = fragments(page)
    docs = {d["id"]: d for d in report["documents"]}
    rows = re.findall(r'<tr data-doc="([^"]+)" data-status="([^"]+)">\s*<td><span class="badge ([a-z]+)">([a-z]+)</span>',
                      views)
    in_clusters = {(doc_id, status) for doc_id, status, css, text in rows if css == text == status}
    assert len(in_clusters) == sum(c["size"] for c in report["clusters"])
    for doc_id, status in in_clusters:
        assert docs[doc_id]["attribution"]["status"] == status


def test_hostile_input_is_inert_in_the_markup(tmp_path):
    report = scan(hostile_records()).to_dict()
    assert report["clusters"], "the hostile copies must cluster so that every view is rendered"
    page = render_html(report)
    every = page + fragments(page)
    parsed = parse(every)
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "src", "action", "formaction", "srcdoc"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:text", "vbscript:")), (tag, attrs)
        assert tag not in ("iframe", "img", "svg") or tag == "svg" and attrs.get("role") == "img", (tag, attrs)
    executable = [a for a, _ in parsed.scripts if a.get("type") in (None, "", "text/javascript")]
    assert len(executable) == 1
    # The payloads are shown as text: escaped in the markup, not dropped.
    assert "&lt;script&gt;window.__pwned" in every
    assert HOSTILE_MARKUP[0] not in every


def test_template_syntax_in_the_input_is_not_evaluated():
    report = scan(hostile_records()).to_dict()
    views = fragments(render_html(report))
    assert "{{ 7*7 }} ${7*7} &lt;%= 7*7 %&gt;" in views


def test_views_are_chunked_within_the_bound(demo_report):
    report = demo_report.to_dict()
    options = HtmlOptions(chunk_bytes=4096)
    page = render_html(report, options)
    chunks = [t for a, t in parse(page).scripts if a.get("class") == "wt-chunk"]
    assert len(chunks) > 1
    for chunk in chunks:
        raw = gzip.decompress(base64.b64decode(chunk)).decode()
        views = raw.count("data-fragment=")
        assert views >= 1
        # A chunk exceeds the bound only when it holds a single view that is larger.
        assert len(raw.encode()) <= options.chunk_bytes or views == 1


def test_rendering_is_deterministic(demo_report):
    report = demo_report.to_dict()
    assert render_html(report) == render_html(json.loads(json.dumps(report)))


def test_options_are_validated():
    with pytest.raises(ValueError, match="page_size must be a positive integer"):
        HtmlOptions(page_size=0)


def test_scan_cli_writes_the_page(tmp_path):
    from wiretrace.cli import main

    assert main(["scan", str(DEMO), "--out", str(tmp_path), "-q"]) == 0
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["scan", str(DEMO), "--out", str(tmp_path / "plain"), "-q", "--no-html"]) == 0
    assert not (tmp_path / "plain" / "report.html").exists()


@given(
    text=st.text(min_size=0, max_size=200),
    spans=st.lists(st.tuples(st.integers(-5, 220), st.integers(-5, 220)), max_size=6),
    credits=st.lists(st.tuples(st.integers(-5, 220), st.integers(-5, 220)), max_size=3),
    limit=st.one_of(st.none(), st.integers(0, 250)),
)
@settings(max_examples=300, deadline=None)
def test_highlight_segments_cover_the_text_and_carry_the_right_marks(text, spans, credits, limit):
    segments = highlight(text, spans, [(s, e, "credit") for s, e in credits], limit)
    shown = text if limit is None else text[:limit]
    assert "".join(s.text for s in segments) == shown
    assert all(s.text for s in segments)
    position = 0
    for segment in segments:
        for offset in range(position, position + len(segment.text)):
            assert segment.passages == tuple(i for i, (s, e) in enumerate(spans) if s <= offset < e)
            assert (segment.credit is not None) == any(s <= offset < e for s, e in credits)
        position += len(segment.text)


def test_graph_layout_puts_sources_left_of_their_copies():
    nodes = [GraphNode(f"doc:{i}", str(i), "", "document", "credited") for i in range(8)]
    edges = [GraphEdge("doc:0", f"doc:{i}", "", True) for i in (1, 2, 3)] + [
        GraphEdge("doc:1", "doc:4", "", True), GraphEdge("doc:4", "doc:5", "", True),
        GraphEdge("doc:2", "doc:6", "", True), GraphEdge("doc:6", "doc:7", "", False),
    ]
    layout = graph_layout(nodes, edges)
    at = {n.key: n for n in layout.nodes}
    for e in edges:
        assert at[e.source].x < at[e.copy].x, e
        assert e.path.startswith("M")
    boxes = {(n.x, n.y) for n in layout.nodes}
    assert len(boxes) == len(nodes)  # no two nodes on top of each other
    assert all(0 <= n.x and n.x + 200 <= layout.width and 0 <= n.y <= layout.height for n in layout.nodes)


def test_graph_layout_caps_the_nodes_drawn():
    nodes = [GraphNode(f"doc:{i}", str(i), "", "document", "credited") for i in range(100)]
    edges = [GraphEdge("doc:0", f"doc:{i}", "", True) for i in range(1, 100)]
    layout = graph_layout(nodes, edges, max_nodes=20)
    assert len(layout.nodes) == 20 and layout.hidden == 80
    assert len(layout.edges) == 19


@pytest.mark.parametrize(
    "url, ok",
    [("https://a.example/x?y=1", True), ("http://a.example", True), ("javascript:alert(1)", False),
     (" javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), ("data:text/html,x", False),
     ("//a.example", False), ("https://a.example/\nx", False), ("ftp://a.example", False), (None, False)],
)
def test_only_http_urls_become_links(url, ok):
    assert safe_url(url) == (url if ok else None)


def test_text_budget_bounds_the_page(demo_report):
    report = demo_report.to_dict()
    full = render_html(report, HtmlOptions(chunk_bytes=4096, job_clusters=1))
    bounded = render_html(report, HtmlOptions(chunk_bytes=4096, job_clusters=1, max_text_bytes=1))
    assert len(bounded) < len(full)
    views = fragments(bounded)
    assert "Texts left out" in views and "side-by-side views of" in bounded
    # The largest cluster is rendered first, while the budget is unspent: it keeps its texts.
    first = min(report["clusters"], key=lambda c: (-c["size"], c["id"]))
    section = views.split(f'data-fragment="cluster:{first["id"]}"')[1].split("</article>")[0]
    assert 'data-side="copy"' in section and "Texts left out" not in section
    # Nothing of the index is lost: every cluster is still listed and has a view.
    for cluster in report["clusters"]:
        assert f'data-fragment="cluster:{cluster["id"]}"' in views


def test_report_without_texts_still_renders_every_view():
    report = scan([DEMO], report_texts="none").to_dict()
    assert not any("text" in d for d in report["documents"])
    views = fragments(render_html(report))
    assert 'data-side="copy"' not in views
    assert views.count('report.texts = "none"') == sum(
        1 for p in report["provenance"] for e in p["edges"] if e.get("alignment"))
    for cluster in report["clusters"]:
        assert f'data-fragment="cluster:{cluster["id"]}"' in views


def test_html_command_renders_the_same_page_from_report_json(tmp_path, capsys):
    from wiretrace.cli import main

    assert main(["scan", str(DEMO), "--out", str(tmp_path), "-q"]) == 0
    written = (tmp_path / "report.html").read_text(encoding="utf-8")
    again = tmp_path / "again.html"
    assert main(["html", str(tmp_path / "report.json"), "--out", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == written
    assert main(["html", str(tmp_path / "report.json"), "--out", str(tmp_path / "small.html"),
                 "--max-text-mb", "0.000001"]) == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert (tmp_path / "small.html").read_text(encoding="utf-8") == render_html(report, HtmlOptions(max_text_bytes=1))


def test_html_command_errors(tmp_path, capsys):
    from wiretrace.cli import main

    assert main(["html", str(tmp_path / "missing.json")]) == 2
    assert "report not found" in capsys.readouterr().err
    (tmp_path / "other.json").write_text('{"a": 1}', encoding="utf-8")
    assert main(["html", str(tmp_path / "other.json")]) == 2
    assert "is not a wiretrace report.json" in capsys.readouterr().err
    (tmp_path / "broken.json").write_text('{"format": "wiretrace-report", "clusters": 3}', encoding="utf-8")
    assert main(["html", str(tmp_path / "broken.json")]) == 2
    assert "does not have the shape of a report.json" in capsys.readouterr().err
    assert main(["html", str(tmp_path / "other.json"), "--max-text-mb", "0"]) == 2


def test_clusters_of_unknown_origin_are_compared_pair_by_pair():
    from conftest import story

    text = story(7, 300)
    records = [  # no dates, no wire markers: the origin is unknown
        {"id": "a", "text": text, "url": "https://one.example/a"},
        {"id": "b", "text": "An intro line of its own here. " + text, "url": "https://two.example/b"},
        {"id": "c", "text": text + " And a closing line of its own too.", "url": "https://three.example/c"},
    ]
    report = scan(records).to_dict()
    import jsonschema
    from importlib import resources

    schema = json.loads(resources.files("wiretrace").joinpath("schema/report.schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(report)), schema)
    (prov,) = report["provenance"]
    assert prov["origin"]["kind"] == "unknown"
    reached = {e["copy"] for e in prov["edges"]}
    compared = prov.get("comparisons", [])
    assert compared, "members no edge reaches are compared"
    texts = {f"doc:{d['id']}": d["text"] for d in report["documents"]}
    covered = set(reached)
    for c in compared:
        covered.update((c["copy"], c["alignment"]["with"]))
        for ws, we, cs, ce in c["alignment"]["passages"]:
            assert texts[c["alignment"]["with"]][ws:we].split() == texts[c["copy"]][cs:ce].split()
        assert c["alignment"]["paste"] > 0.9
    assert covered == set(texts)
    views = fragments(render_html(report))
    assert views.count("which copied which is not known") == len(compared)
    assert views.count('class="edge undirected"') >= len(compared)


@pytest.mark.realdata
def test_bbc_report_shows_every_cluster_side_by_side():
    """BBC full text: plain text files without dates or URLs, so every cluster's
    origin is unknown; each still gets its side-by-side views, and the
    highlighted passages are the documents' own words."""
    from conftest import shared_dataset

    report = scan([shared_dataset("bbc_fulltext")]).to_dict()
    page = render_html(report)
    views = fragments(page)
    texts = {d["id"]: d["text"] for d in report["documents"] if "text" in d}
    compared = [c for p in report["provenance"] for c in p.get("comparisons", [])]
    assert len(report["clusters"]) >= 150 and len(compared) >= len(report["clusters"])
    # Every cluster shows at least one side-by-side view.
    for cluster in report["clusters"]:
        section = views.split(f'data-fragment="cluster:{cluster["id"]}"')[1].split("</article>")[0]
        assert 'data-side="copy"' in section, cluster["id"]
    # Exact duplicates are pasted whole.
    exact = [c for c in compared if texts[c["copy"][4:]] == texts[c["alignment"]["with"][4:]]]
    assert exact and all(c["alignment"]["paste"] == 1.0 for c in exact)
    assert "No clustered document has a site" in page


def test_page_is_the_same_for_any_worker_count(demo_report, monkeypatch):
    import wiretrace.html

    report = demo_report.to_dict()
    monkeypatch.setattr(wiretrace.html, "PARALLEL_MIN_CLUSTERS", 1)
    # the budget spent before any cluster, after some (workers rendered ahead with texts), or never
    for budget in (60_000_000, 1, 3_000, 12_000, 40_000):
        pages = {workers: render_html(report, HtmlOptions(workers=workers, job_clusters=1, max_text_bytes=budget))
                 for workers in (1, 2)}
        assert pages[1] == pages[2]


def test_a_worker_renders_from_its_part_of_the_report_what_the_whole_report_gives(monkeypatch):
    """Workers get only the part of the report their clusters read
    (``_Model.part``): on a simulated web with versions, roundups' shared
    passages, rewritten copies and agency origins the page is the same as
    rendered from the whole report in one process."""
    import wiretrace.html
    from test_simulate import _invented_articles
    from wiretrace import scan
    from wiretrace.evaluation.simulate import simulate

    from conftest import story

    text = story(7, 300)
    undated = [  # no dates, no wire markers: members compared pair by pair, with their pairs' Jaccard
        {"id": "undated-a", "text": text, "url": "https://one.example/a"},
        {"id": "undated-b", "text": "An intro line of its own here. " + text, "url": "https://two.example/b"},
        {"id": "undated-c", "text": text + " And a closing line of its own too.", "url": "https://three.example/c"},
    ]
    records = simulate(_invented_articles(40, seed=61), n_stories=24, seed=5).records + undated
    report = scan(records).to_dict()
    assert report["lineages"] and report["reuse"] and report["rewrites"]  # each kind of link is rendered
    assert any(p.get("comparisons") for p in report["provenance"])
    assert any(c["origin"]["kind"] == "agency" for c in report["clusters"])
    monkeypatch.setattr(wiretrace.html, "PARALLEL_MIN_CLUSTERS", 1)
    for job_clusters in (1, 3):
        pages = {workers: render_html(report, HtmlOptions(workers=workers, job_clusters=job_clusters))
                 for workers in (1, 2)}
        assert pages[1] == pages[2]
    monkeypatch.setattr(wiretrace.html, "FRESH_WORKERS_MIN_DOCUMENTS", 1)  # workers of a fork server
    assert render_html(report, HtmlOptions(workers=2, job_clusters=3)) == pages[1]


def test_fresh_workers_render_with_the_users_registry(tmp_path, monkeypatch):
    """(found by a review) a fresh worker starts with the packaged registries
    only: it is sent the main process's user registries."""
    import wiretrace.html
    from conftest import story
    from wiretrace.registry import activate

    registry = tmp_path / "mine.toml"
    registry.write_text('[[agency]]\nid = "zetawire"\nname = "Zeta Wire Service"\naliases = ["Zetawire"]\n',
                        encoding="utf-8")
    records = [{"id": f"s{i}-{copy}", "text": f"PARIS (Zetawire) - {story(900 + i, 150)}",
                "url": f"https://site{copy}.example/{i}"} for i in range(6) for copy in range(2)]
    try:
        report = scan(records, workers=1, registry_files=(str(registry),)).to_dict()  # and left active
        monkeypatch.setattr(wiretrace.html, "PARALLEL_MIN_CLUSTERS", 1)
        one = render_html(report, HtmlOptions(workers=1, job_clusters=2))
        assert "Zeta Wire Service" in fragments(one)
        monkeypatch.setattr(wiretrace.html, "FRESH_WORKERS_MIN_DOCUMENTS", 1)
        assert render_html(report, HtmlOptions(workers=2, job_clusters=2)) == one
    finally:
        activate([])


def test_sites_table_is_bounded_by_rank(demo_report):
    report = demo_report.to_dict()
    page = render_html(report, HtmlOptions(max_site_rows=5))
    rows = re.findall(r'<tr data-site="([^"]+)">', page)
    assert rows == [s["site"] for s in report["sites"][:5]]
    assert f"The 5 highest-ranked of {len(report['sites'])} sites are listed" in page
    index = json.loads(next(t for a, t in parse(page).scripts if a.get("id") == "wt-index"))
    assert len(index["site_chunks"]) == 5


def test_terminal_and_report_html_show_the_same_headline_the_origins_title():
    from wiretrace.report import cluster_headline

    docs = {"a": {"title": "A copy's title"}, "b": {"title": None}, "o": {"title": "The origin's title"}}
    assert cluster_headline({"members": ["a", "b", "o"], "origin": {"document": "o"}}, docs) == "The origin's title"
    assert cluster_headline({"members": ["b", "a"], "origin": {"document": None}}, docs) == "A copy's title"
    assert cluster_headline({"members": ["b"], "origin": None}, docs) == "b"


def test_report_write_streams_the_page_render_html_gives(tmp_path, monkeypatch):
    import wiretrace.outputs as outputs_module
    import wiretrace.report as report_module
    from wiretrace.html import write_html
    from wiretrace.outputs import scalar_text

    # a few characters a write: the page goes out in thousands of pieces, split anywhere
    monkeypatch.setattr(outputs_module, "WRITE_PIECES_CHARS", 7)
    records = [dict(r) for r in hostile_records()]
    records[0]["text"] += " a lone surrogate \ud800 and an astral \U0001F600 character"
    records.append({**records[0], "id": "copy \ud800 of " + records[0]["id"], "url": "https://copy.example/x",
                    "title": "A title with a lone surrogate \ud800"})
    report = scan(records)
    report.write(tmp_path)
    expected = scalar_text(render_html(report.to_dict())).encode("utf-8")
    assert (tmp_path / "report.html").read_bytes() == expected
    assert len(expected) > 1000 * 7  # so written in over a thousand pieces
    # the html command's writer streams it too, all or nothing
    assert write_html(report.to_dict(), tmp_path / "again.html").read_bytes() == expected
    written = io.BytesIO()  # lone surrogates are replaced whichever pieces they come in
    report_module._write_pieces(written, ["a\ud800", "b", "\udc00c\U0001F600", "", "d"])
    assert written.getvalue() == scalar_text("a\ud800b\udc00c\U0001F600d").encode("utf-8")
    assert written.getvalue().count("\ufffd".encode()) == 2


def test_members_compared_without_a_direction_are_labelled_with_their_pairs_jaccard():
    # three undated copies of one story: no copy edge has a known direction, so the
    # graph draws each member compared with its closest one, labelled with that pair's
    # Jaccard (looked up among the cluster's own verified pairs)
    from wiretrace import scan

    from conftest import story

    text = story(7, 300)
    report = scan([
        {"id": "undated-a", "text": text, "url": "https://one.example/a"},
        {"id": "undated-b", "text": "An intro line of its own here. " + text, "url": "https://two.example/b"},
        {"id": "undated-c", "text": text + " And a closing line of its own too.", "url": "https://three.example/c"},
    ]).to_dict()
    (prov,) = report["provenance"]
    jaccard = {frozenset((p["a"], p["b"])): p["jaccard"] for p in report["pairs"]}
    labels = [f"J {jaccard[frozenset((c['alignment']['with'][4:], c['copy'][4:]))]:.2f} \u00b7 direction?"
              for c in prov["comparisons"]]
    assert labels
    views = fragments(render_html(report))
    assert all(label in views for label in labels)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.sampled_from(list("ab<>&'\"\\/\u2028é\n"))),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet="ab<&'", max_size=3), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(alphabet="abc<'", max_size=4), _JSON_VALUES | st.lists(_JSON_VALUES, max_size=9), max_size=5),
       st.integers(1, 4))
def test_the_index_written_in_pieces_is_jinjas_tojson(data, rows):
    # report.html's index (html.json_pieces) is encoded a few rows at a time; the plain rule is
    # Jinja's tojson filter of the whole, which the template used before
    from jinja2.utils import htmlsafe_json_dumps

    from wiretrace.html import json_pieces

    assert "".join(json_pieces(data, rows)) == htmlsafe_json_dumps(data, sort_keys=True)


def test_the_clustered_rows_are_the_rows_that_name_a_cluster(demo_report):
    """The overview and the site tables read the clustered documents through
    the clusters' members: the same rows as a look at every row finds."""
    from wiretrace.html import _Model

    for report in (demo_report._data(), scan([DEMO], spill_documents=1)._data()):  # rows held, and Rows of a spill
        model = _Model(report, HtmlOptions())
        found = [doc["id"] for doc in model.clustered()]
        assert sorted(found) == sorted(d["id"] for d in report["documents"] if d.get("cluster"))
        assert len(found) == len(set(found)) > 0
