"""report.html in a real browser: Debian's Chromium driven by Playwright.

The page is opened from disk (file://), as a user would. Every test records
page errors, console errors, dialogs, network requests and Content-Security-
Policy violations, and fails on any it did not expect.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import hostile_records
from wiretrace import scan

pytestmark = pytest.mark.browser

# Runs before the page's own script: records what the page tries to do.
_WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "") + " " + (e.sample || ""));
});
"""


class Watched:
    """A page with everything it does recorded."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.add_init_script(_WATCH)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(url)
        self.page.wait_for_selector("html[data-ready]", state="attached")

    def open(self, fragment: str) -> None:
        self.page.evaluate("hash => { location.hash = hash; }", fragment)
        if fragment.startswith(("cluster/", "site/")):
            self.page.wait_for_selector(f"#view-detail [data-fragment='{fragment.replace('/', ':', 1)}']")
        else:
            self.page.wait_for_selector(f"section[data-view='{fragment}']:not([hidden])")

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__violations")

    def pwned(self):
        return self.page.evaluate("window.__pwned === undefined ? null : String(window.__pwned)")

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory, demo_report):
    out = tmp_path_factory.mktemp("demo-report")
    demo_report.write(out)
    return out, demo_report.to_dict()


@pytest.fixture()
def demo_page(browser, demo_out):
    out, report = demo_out
    watched = Watched(browser, (out / "report.html").as_uri())
    yield watched, report
    # Nothing of the page may fail, ask, fetch or be refused.
    assert watched.errors == []
    assert watched.dialogs == []
    assert watched.violations() == []
    assert [u for u in watched.requests if not u.startswith("file://")] == []
    watched.close()


def _strong_agencies(report: dict) -> dict[str, set[str]]:
    docs = {d["id"]: d for d in report["documents"]}
    return {
        c["id"]: {g["agency"] for m in c["members"] for g in docs[m].get("wire") or []
                  if any(x["strength"] == "strong" for x in g["markers"])}
        for c in report["clusters"]
    }


def _listed(page) -> list[str]:
    return page.eval_on_selector_all("#cluster-rows tr", "rows => rows.map(r => r.dataset.cluster)")


def test_cluster_list_and_filters_match_the_report(demo_page):
    watched, report = demo_page
    page = watched.page
    watched.open("clusters")
    assert _listed(page) == [c["id"] for c in report["clusters"]]
    docs = {d["id"]: d for d in report["documents"]}

    agencies = _strong_agencies(report)
    for agency in sorted(set().union(*agencies.values())):
        page.select_option("#f-agency", agency)
        assert _listed(page) == [c for c, found in agencies.items() if agency in found], agency
    page.select_option("#f-agency", "")

    page.select_option("#f-status", "uncredited")
    expected = [c["id"] for c in report["clusters"]
                if any(docs[m]["attribution"]["status"] == "uncredited" for m in c["members"])]
    assert expected and _listed(page) == expected
    page.select_option("#f-status", "")

    site = report["sites"][0]["site"]
    page.select_option("#f-site", site)
    assert _listed(page) == [c["id"] for c in report["clusters"] if site in c["sites"]]
    page.click("#f-reset")
    page.wait_for_function("document.querySelectorAll('#cluster-rows tr').length > 1")

    # Free-text search: a word of one cluster's origin title finds that cluster, and not all of them.
    first = report["clusters"][0]
    word = max((docs[first["origin"]["document"] or first["members"][0]]["title"] or "").split(), key=len)
    page.fill("#f-text", word)
    found = _listed(page)
    assert first["id"] in found and len(found) < len(report["clusters"])
    page.fill("#f-text", "no cluster has this in it 4f1a")
    assert _listed(page) == [] and "0 of" in page.inner_text("#list-status")


def test_cluster_views_show_members_badges_graph_and_passages(demo_page):
    watched, report = demo_page
    page = watched.page
    docs = {d["id"]: d for d in report["documents"]}
    provenance = {p["cluster"]: p for p in report["provenance"]}
    checked_passages = 0
    for cluster in report["clusters"]:
        watched.open(f"cluster/{cluster['id']}")
        view = page.locator("#view-detail")
        rows = view.locator("table.members tbody tr")
        shown = {rows.nth(i).get_attribute("data-doc"): rows.nth(i).locator(".badge").inner_text()
                 for i in range(rows.count())}
        assert shown == {m: docs[m]["attribution"]["status"] for m in cluster["members"]}

        drawn = set(view.locator("svg g.node").evaluate_all("nodes => nodes.map(n => n.dataset.node)"))
        edges = provenance[cluster["id"]]["edges"]
        assert {f"doc:{m}" for m in cluster["members"]} <= drawn
        assert {e["source"] for e in edges} <= drawn
        compared = [{"source": c["alignment"]["with"], "copy": c["copy"], "alignment": c["alignment"]}
                    for c in provenance[cluster["id"]].get("comparisons", [])]
        assert view.locator("svg g.edge").count() == len(edges) + len(compared)

        compares = view.locator("details.compare")
        aligned = [e for e in edges if e.get("alignment")] + compared
        assert compares.count() == len(aligned)
        for i, edge in enumerate(aligned):
            box = compares.nth(i)
            box.evaluate("d => { d.open = true; }")
            alignment = edge["alignment"]
            left = docs[alignment["with"].partition(":")[2]]["text"]
            right = docs[edge["copy"].partition(":")[2]]["text"]
            assert box.get_attribute("data-copy") == edge["copy"].partition(":")[2]
            marks = box.locator("mark[data-p]").evaluate_all(
                "ms => ms.map(m => [m.closest('[data-side]').dataset.side, m.dataset.p, m.textContent])")
            joined: dict[tuple[str, int], str] = defaultdict(str)
            for side, numbers, text in marks:
                for number in numbers.split():
                    joined[(side, int(number))] += text
            assert {n for (_, n) in joined} == set(range(len(alignment["passages"])))
            for number, (ws, we, cs, ce) in enumerate(alignment["passages"]):
                assert joined[("copy", number)] == right[cs:ce]
                assert joined[("with", number)] == left[ws:we]
                checked_passages += 1
            # Credit evidence of the copy is marked in its text.
            credited = "".join(box.locator("[data-side=copy] .credit").all_text_contents())
            for group in docs[edge["copy"].partition(":")[2]].get("wire") or []:
                for marker in group["markers"]:
                    assert marker["text"] in credited
    assert checked_passages > 0


def test_sites_table_sorts_and_site_views_list_articles(demo_page):
    watched, report = demo_page
    page = watched.page
    watched.open("sites")
    header = page.locator("#sites-table th", has_text="Copies").first
    header.click()
    header.click()  # second click: descending
    copies = [int(v) for v in page.eval_on_selector_all(
        "#sites-table tbody tr", "rows => rows.map(r => r.cells[4].dataset.v)")]
    assert copies == sorted(copies, reverse=True) and len(copies) == len(report["sites"])

    page.fill("#site-filter", report["sites"][0]["site"])
    visible = page.eval_on_selector_all("#sites-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.site)")
    assert report["sites"][0]["site"] in visible and len(visible) < len(report["sites"])

    page.locator("#sites-table tbody tr:not([hidden]) a").first.click()
    page.wait_for_selector("#view-detail .site-detail")
    site = page.get_attribute("#view-detail .site-detail", "data-site")
    listed = page.eval_on_selector_all("#view-detail tbody tr", "rows => rows.map(r => [r.dataset.doc, r.dataset.status])")
    expected = sorted((d["id"], d["attribution"]["status"]) for d in report["documents"]
                      if d["site"] == site and d.get("cluster"))
    assert sorted(map(tuple, listed)) == expected


def test_screenshots_of_the_demo_report(demo_page, tmp_path):
    watched, report = demo_page
    page = watched.page
    keep = os.environ.get("WIRETRACE_SCREENSHOT_DIR")
    docs = {d["id"]: d for d in report["documents"]}
    # The cluster that shows most: most kinds of attribution, then most members.
    showcase = max(report["clusters"], key=lambda c: (
        len({docs[m]["attribution"]["status"] for m in c["members"]}), c["size"], c["id"]))
    shots = []
    for name, fragment, height in (("overview", "overview", 760), ("cluster", f"cluster/{showcase['id']}", 1750)):
        page.set_viewport_size({"width": 1400, "height": height})
        watched.open(fragment)
        path = tmp_path / f"report-{name}.png"
        page.screenshot(path=str(path))
        shots.append(path)
    for path in shots:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)


def test_hostile_pages_execute_nothing_and_still_render(browser, tmp_path):
    report = scan(hostile_records())
    assert report.clusters
    report.write(tmp_path)
    data = report.to_dict()
    watched = Watched(browser, (tmp_path / "report.html").as_uri())
    page = watched.page
    try:
        views = ["overview", "clusters", "sites"] + [f"cluster/{c['id']}" for c in data["clusters"]]
        keys = page.evaluate("Object.keys(JSON.parse(document.getElementById('wt-index').textContent).site_chunks)")
        views += [f"site/{k}" for k in keys]
        for view in views:
            watched.open(view)
            if view.startswith("cluster/"):
                page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                for mark in page.locator("#view-detail mark").all()[:5]:
                    mark.hover()
                for node in page.locator("#view-detail svg g.node").all():
                    node.hover()
        page.wait_for_timeout(200)
        assert watched.pwned() is None
        assert watched.dialogs == [] and watched.errors == []
        assert watched.violations() == []  # escaped, so nothing was even attempted
        assert [u for u in watched.requests if not u.startswith("file://")] == []
        # ... and the page still shows the hostile text, as text.
        watched.open(f"cluster/{data['clusters'][0]['id']}")
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        text = page.inner_text("#view-detail")
        assert '<script>window.__pwned = "script"</script>' in text
        assert "<img src=x onerror=" in text
        watched.open("clusters")
        assert "Title <script>" in page.inner_text("#cluster-rows")
    finally:
        watched.close()


def test_csp_blocks_markup_that_escaped_escaping(browser, demo_out, tmp_path):
    """Defence in depth: if a bug ever let raw markup through, the page's
    Content-Security-Policy would still refuse to run it."""
    out, _ = demo_out
    page_html = (out / "report.html").read_text(encoding="utf-8")
    injected = ('<img src="x" onerror="window.__pwned=\'img\'">'
                "<script>window.__pwned='script'</script>"
                "<a id=bad href=\"javascript:window.__pwned='link'\">bad</a>")
    broken = tmp_path / "report.html"
    broken.write_text(page_html.replace("<main>", "<main>" + injected, 1), encoding="utf-8")
    watched = Watched(browser, broken.as_uri())
    try:
        watched.page.click("#bad")
        watched.page.wait_for_timeout(200)
        assert watched.pwned() is None
        assert len(watched.violations()) >= 2
        assert watched.page.locator("#cluster-rows tr").count() > 0  # the page's own script still ran
    finally:
        watched.close()


def test_pagination_and_passage_twins(browser, demo_out, tmp_path):
    from wiretrace.html import HtmlOptions, write_html

    _, report = demo_out
    path = write_html(report, tmp_path / "report.html", HtmlOptions(page_size=3))
    watched = Watched(browser, path.as_uri())
    page = watched.page
    try:
        watched.open("clusters")
        ids = [c["id"] for c in report["clusters"]]
        assert _listed(page) == ids[:3] and page.inner_text("#page") == "page 1 of 2"
        assert page.is_disabled("#prev")
        page.click("#next")
        assert _listed(page) == ids[3:6] and page.is_disabled("#next")
        page.fill("#f-text", report["clusters"][0]["id"])  # filtering starts again from page 1
        assert _listed(page)[0] == ids[0] and page.inner_text("#page") == "page 1 of 1"

        # Pointing at a copied passage lights up the same passage in the other text.
        watched.open(f"cluster/{ids[0]}")
        box = page.locator("#view-detail details.compare").first
        mark = box.locator("[data-side=copy] mark[data-p]").first
        number = mark.get_attribute("data-p").split()[0]
        mark.hover()
        twins = box.locator("[data-side=with] mark.twin").evaluate_all("ms => ms.map(m => m.dataset.p.split(' '))")
        assert twins and all(number in p for p in twins)
        assert watched.errors == [] and watched.violations() == []
    finally:
        watched.close()
