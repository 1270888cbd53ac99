"""``report.html``: the scan report as one self-contained page for a browser.

An editor opens it from disk, offline, and sees what was copied from whom:
an overview (how much is copied, the top sources, the content-farm
ranking), every cluster with its provenance drawn as a picture, its members
with their dates and attribution badges, and the origin and each copy side
by side with the copied passages highlighted and the credit evidence marked.

Scraped text is hostile, so the page is built in three layers of defence:

1. Every value from the input is rendered by Jinja2 templates with
   autoescaping on; URLs become links only when they are ``http(s)``.
2. A Content-Security-Policy in the page allows exactly one script and one
   style sheet, by hash: even markup that escaped escaping could not run an
   inline script, an event handler or a ``javascript:`` URL, nor load
   anything from the network.
3. The page's own script never turns data into markup: it builds the cluster
   list with ``textContent`` and only inserts fragments rendered (and
   escaped) by the templates.

Large scans stay usable: the cluster list is paginated from a compact JSON
index, and the cluster and site views are rendered ahead, gzip-compressed in
chunks and decompressed in the browser (``DecompressionStream``) only when
opened. Copies of one story compress to little more than one copy, so the
file stays a small multiple of the distinct text (see docs/html-report.md
for the size at 10,000 clusters).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from wiretrace.executor import LocalExecutor
from wiretrace.report import cluster_headline
from wiretrace.rows import by_id

__all__ = ["HtmlOptions", "render_html", "html_pieces", "write_html", "highlight", "marked_html", "graph_layout", "safe_url"]

_TEMPLATES = "templates"
_STATUSES = ("origin", "credited", "uncredited", "miscredited", "unknown", "same_publication", "same_publisher")


@dataclass(frozen=True)
class HtmlOptions:
    """Bounds that keep the page usable on very large scans.

    Attributes:
        page_size: Clusters per page of the cluster list.
        chunk_bytes: Rendered views per compressed chunk, in bytes before
            compression; opening a cluster decompresses one chunk.
        max_compare_views: Side-by-side views per cluster (the rest of the
            alignments are in report.json).
        max_text_chars: Characters of a text shown in a side-by-side view.
        max_graph_nodes: Nodes drawn in a cluster's provenance picture.
        max_skipped_rows: Skipped inputs listed (all are in report.json).
        max_text_bytes: Once the compressed views reach this size, the
            side-by-side views of the remaining (smaller) clusters show the
            passages' figures without the texts; this bounds the file.
        job_clusters: Clusters rendered per job: the unit of work of the
            worker processes, and the step in which the text budget is spent.
        workers: Processes rendering the cluster views (0: one per core);
            the page is the same for any number.
        max_site_rows: Sites in the sites table, by rank (all are in
            report.json).
    """

    page_size: int = 50
    chunk_bytes: int = 256 * 1024
    max_compare_views: int = 40
    max_text_chars: int = 30_000
    max_graph_nodes: int = 60
    max_skipped_rows: int = 1000
    max_text_bytes: int = 60_000_000
    job_clusters: int = 64
    workers: int = 0
    max_site_rows: int = 5000

    def __post_init__(self) -> None:
        if not isinstance(self.workers, int) or isinstance(self.workers, bool) or self.workers < 0:
            raise ValueError(f"HtmlOptions.workers must be 0 (one per core) or a positive integer, got {self.workers!r}")
        for name in ("page_size", "chunk_bytes", "max_compare_views", "max_text_chars", "max_graph_nodes",
                     "max_skipped_rows", "max_text_bytes", "job_clusters", "max_site_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"HtmlOptions.{name} must be a positive integer, got {value!r}")


# ---------------------------------------------------------------- text marks


@dataclass(frozen=True)
class Segment:
    """A run of text with one set of marks: part of the passages
    ``passages`` (indices into the view's passages; several when passages
    overlap in this text, as a paragraph the copy repeats) and/or of a credit
    marker."""

    text: str
    passages: tuple[int, ...] = ()
    credit: str | None = None


def highlight(
    text: str,
    passages: Iterable[tuple[int, int]],
    credits: Iterable[tuple[int, int, str]] = (),
    limit: int | None = None,
) -> list[Segment]:
    """Split ``text`` into segments marked by passages and credit markers.

    Args:
        text: The whole text.
        passages: ``(start, end)`` character spans; a segment's ``passages``
            are the indices of the spans covering it.
        credits: ``(start, end, label)`` spans of credit evidence.
        limit: Show only the first ``limit`` characters.

    Returns:
        Segments whose texts concatenate to ``text[:limit]``.

    Example:
        >>> [(s.text, s.passages, s.credit) for s in highlight("LONDON (Reuters) - Rain fell.", [(19, 29)],
        ...                                                    [(0, 18, "Reuters dateline")])]
        [('LONDON (Reuters) -', (), 'Reuters dateline'), (' ', (), None), ('Rain fell.', (0,), None)]
    """
    end = len(text) if limit is None else min(len(text), limit)
    spans = [(max(0, s), min(end, e), i) for i, (s, e) in enumerate(passages) if s < e and s < end]
    marks = [(max(0, s), min(end, e), label) for s, e, label in credits if s < e and s < end]
    cuts = {0, end}
    for s, e, _ in spans:
        cuts.update((s, e))
    for s, e, _ in marks:
        cuts.update((s, e))
    bounds = sorted(c for c in cuts if 0 <= c <= end)
    segments: list[Segment] = []
    for left, right in zip(bounds, bounds[1:]):
        if left >= right:
            continue
        covering = tuple(i for s, e, i in spans if s <= left and right <= e)
        credit = next((label for s, e, label in marks if s <= left and right <= e), None)
        last = segments[-1] if segments else None
        if last is not None and last.passages == covering and last.credit == credit:
            segments[-1] = Segment(last.text + text[left:right], covering, credit)
        else:
            segments.append(Segment(text[left:right], covering, credit))
    return segments


def marked_html(segments: Sequence[Segment]) -> Markup:
    """The segments as escaped HTML: passages in ``<mark data-p>``, credit
    evidence in ``class="credit"``.

    Written in Python rather than as a template loop because it is the inner
    loop of the page (a third of the render time as a macro); every piece of
    text still goes through markupsafe's ``escape``, as autoescaping does.

    Example:
        >>> str(marked_html(highlight("<b>hi</b> there", [(0, 9)])))
        '<mark class="cp" data-p="0">&lt;b&gt;hi&lt;/b&gt;</mark> there'
    """
    out = []
    for s in segments:
        text = escape(s.text)
        if s.passages:
            credit = f' title="{escape(s.credit)}"' if s.credit else ""
            css = "cp credit" if s.credit else "cp"
            out.append(f'<mark class="{css}" data-p="{" ".join(map(str, s.passages))}"{credit}>{text}</mark>')
        elif s.credit:
            out.append(f'<span class="credit" title="{escape(s.credit)}">{text}</span>')
        else:
            out.append(str(text))
    return Markup("".join(out))


# ------------------------------------------------------------ graph drawing

NODE_W, NODE_H, GAP_X, GAP_Y, MARGIN = 200, 40, 170, 16, 12


@dataclass
class GraphNode:
    key: str  # node id: doc:<id> or agency:<id>
    label: str
    detail: str
    kind: str  # "agency" or "document"
    status: str  # attribution status, "origin" or "agency"
    x: int = 0
    y: int = 0


@dataclass
class GraphEdge:
    source: str
    copy: str
    label: str
    known: bool
    path: str = ""
    label_x: int = 0
    label_y: int = 0


@dataclass
class GraphLayout:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    width: int
    height: int
    hidden: int = 0  # members not drawn (max_graph_nodes)


def graph_layout(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], max_nodes: int = 60) -> GraphLayout:
    """Lay a cluster's provenance out left to right: sources before copies.

    A node's column is its depth from the roots (nodes nothing was copied
    into: the origin, an agency); within a column nodes sit in the order of
    their source, so edges cross little. Deterministic for equal inputs.

    Example:
        >>> a = GraphNode("agency:reuters", "Reuters", "", "agency", "agency")
        >>> b = GraphNode("doc:x", "x.com", "", "document", "credited")
        >>> layout = graph_layout([a, b], [GraphEdge("agency:reuters", "doc:x", "", True)])
        >>> [(n.key, n.x > a.x) for n in layout.nodes]
        [('agency:reuters', False), ('doc:x', True)]
    """
    order = {n.key: i for i, n in enumerate(nodes)}
    incoming: dict[str, list[str]] = defaultdict(list)
    outgoing: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        if e.source in order and e.copy in order:
            incoming[e.copy].append(e.source)
            outgoing[e.source].append(e.copy)
    depth: dict[str, int] = {}
    roots = [n.key for n in nodes if not incoming[n.key]]
    frontier = roots or [n.key for n in nodes[:1]]  # all in a cycle: start anywhere
    for key in frontier:
        depth[key] = 0
    while frontier:  # breadth first: a node's column is its shortest distance from a root
        following = []
        for key in frontier:
            for child in sorted(outgoing[key], key=order.__getitem__):
                if child not in depth:
                    depth[child] = depth[key] + 1
                    following.append(child)
        frontier = following
    for n in nodes:
        depth.setdefault(n.key, 0)
    ranked = sorted(nodes, key=lambda n: (depth[n.key], order[n.key]))
    kept = ranked[:max_nodes]
    kept_keys = {n.key for n in kept}
    columns: dict[int, list[GraphNode]] = defaultdict(list)
    row_of: dict[str, int] = {}
    for n in kept:
        columns[depth[n.key]].append(n)
    for column in sorted(columns):
        members = columns[column]
        members.sort(key=lambda n: (min((row_of.get(p, 0) for p in incoming[n.key]), default=0), order[n.key]))
        for row, n in enumerate(members):
            row_of[n.key] = row
            n.x = MARGIN + column * (NODE_W + GAP_X)
            n.y = MARGIN + row * (NODE_H + GAP_Y)
    at = {n.key: n for n in kept}
    drawn = []
    for e in edges:
        if e.source not in at or e.copy not in at:
            continue
        s, c = at[e.source], at[e.copy]
        x1, y1 = s.x + NODE_W, s.y + NODE_H // 2
        x2, y2 = c.x, c.y + NODE_H // 2
        if x2 <= x1:  # same column (an undirected edge between peers): bow out to the right
            x1, x2 = s.x + NODE_W, c.x + NODE_W
            bend = x1 + GAP_X // 2
            e.path = f"M{x1},{y1} C{bend},{y1} {bend},{y2} {x2},{y2}"
            e.label_x, e.label_y = bend - 4, (y1 + y2) // 2
        else:
            middle = (x1 + x2) // 2
            e.path = f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}"
            # Right-aligned above the curve's last, level stretch, next to the copy:
            # fanned-out edges keep their labels apart.
            e.label_x, e.label_y = x2 - 8, y2 - 6
        drawn.append(e)
    width = MARGIN * 2 + (max(columns, default=0) + 1) * (NODE_W + GAP_X) - GAP_X
    rows = max((len(c) for c in columns.values()), default=1)
    height = MARGIN * 2 + rows * (NODE_H + GAP_Y) - GAP_Y
    return GraphLayout(kept, drawn, width, height, hidden=len(nodes) - len(kept_keys))


# ------------------------------------------------------------- view models


def _short(value: str | None, limit: int) -> str:
    value = " ".join((value or "").split())
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


_UNSAFE_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")  # whitespace or control characters: not a link


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL a link may point to, else None.

    Example:
        >>> safe_url("https://example.com/a"), safe_url("javascript:alert(1)"), safe_url("//evil")
        ('https://example.com/a', None, None)
    """
    if not url or _UNSAFE_IN_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


@lru_cache(maxsize=1)
def _agency_names() -> dict[str, str]:
    from wiretrace.wire import load_agencies

    return {code: agency.name for code, agency in load_agencies().items()}


def agency_name(code: str) -> str:
    return _agency_names().get(code, code)


def _percent(share: float | None) -> str:
    return "" if share is None else f"{round(100 * share)}%"


def _delay(hours: float | None) -> str:
    if hours is None:
        return ""
    sign = "+" if hours >= 0 else "\u2212"
    hours = abs(hours)
    if hours < 1:
        return f"{sign}{round(hours * 60)} min"
    if hours < 48:
        return f"{sign}{hours:.1f} h"
    return f"{sign}{hours / 24:.1f} d"


_MARKER_LABELS = {
    "dateline": "dateline", "credit": "credit line", "byline": "byline", "contributed": "contributor line",
    "reporting": "reporting line", "copyright": "copyright line", "attribution": "attribution", "signoff": "sign-off",
}


def _by_cluster(pairs: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Pairs of documents (passage or rewritten pairs) by the cluster of either side."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for pair in pairs:
        for cluster_id in {pair.get("cluster_a"), pair.get("cluster_b")} - {None}:
            out.setdefault(cluster_id, []).append(pair)
    return out


class _Model:
    """Everything the templates need, computed once from report.json's dict."""

    def __init__(self, report: Mapping[str, Any], options: HtmlOptions) -> None:
        self.report = report
        self.options = options
        self.docs = by_id(report["documents"])  # rows of wiretrace.rows read a spilled text only when asked
        self.provenance = {p["cluster"]: p for p in report.get("provenance", [])}
        self.reuse_of = _by_cluster(report.get("reuse", []))  # cluster id -> its passage pairs
        self.rewrites_of = _by_cluster(report.get("rewrites", []))  # cluster id -> its rewritten pairs
        self.lineages = {line["id"]: line for line in report.get("lineages", [])}
        self._pairs_by_cluster: dict[str, list[Mapping[str, Any]]] | None = None
        self._positions: dict[int, int] | None = None

    def part(self, clusters: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The part of the report that rendering ``clusters`` reads, as a
        report of its own: a :class:`_Model` of it renders them as this one
        does (pinned by the tests: the page is the same for any number of
        workers). Lists keep the report's order."""
        ids = {c["id"] for c in clusters}
        docs: set[str] = set()
        reuse: dict[int, Mapping[str, Any]] = {}
        rewrites: dict[int, Mapping[str, Any]] = {}
        lineages = {}
        for cluster in clusters:
            docs.update(cluster["members"])
            docs.add((cluster.get("origin") or {}).get("document"))
            prov = self.provenance.get(cluster["id"], {})
            for edge in prov.get("edges", []):
                docs.update(n[4:] for n in (edge["source"], edge["copy"], (edge.get("alignment") or {}).get("with"))
                            if n and n.startswith("doc:"))
            for compared in prov.get("comparisons", []):
                docs.update(n[4:] for n in (compared["copy"], compared["alignment"]["with"]) if n.startswith("doc:"))
            for of, out in ((self.reuse_of, reuse), (self.rewrites_of, rewrites)):
                for pair in of.get(cluster["id"], []):
                    out[self._order[id(pair)]] = pair
                    docs.update((pair["a"], pair["b"]))
            line = self.lineages.get(cluster.get("lineage") or "")
            if line is not None:
                lineages[line["id"]] = line
                docs.update(version["documents"][0] for version in line["versions"])
        docs.discard(None)
        found = {d for d in docs if d in self.docs}
        return {
            "clusters": list(clusters),
            "documents": [self.docs[d] for d in sorted(found)],
            "provenance": [self.provenance[i] for i in sorted(ids) if i in self.provenance],
            "pairs": [p for i in sorted(ids) for p in self._pairs_of.get(i, [])],
            "reuse": [reuse[n] for n in sorted(reuse)],
            "rewrites": [rewrites[n] for n in sorted(rewrites)],
            "lineages": list(lineages.values()),
        }

    def _jaccard_of(self, cluster: Mapping[str, Any]) -> dict[tuple[str, str], float]:
        """The Jaccard of each verified pair of ``cluster``, by its two node
        ids in either order. Per cluster, when its graph is drawn: kept for
        the whole report (two tuples and two strings per pair: about a tenth
        of a gigabyte at 1M, by estimate), it was held by the main process of
        a large scan's writing, which draws no graph (its workers do)."""
        out: dict[tuple[str, str], float] = {}
        for pair in self._pairs_of.get(cluster["id"], []):
            a, b = f"doc:{pair['a']}", f"doc:{pair['b']}"
            out[(a, b)] = out[(b, a)] = pair["jaccard"]
        return out

    @property
    def _pairs_of(self) -> dict[str, list[Mapping[str, Any]]]:
        """Verified pairs by the cluster of their first document (a pair's
        two documents are in one cluster): built on first use."""
        if self._pairs_by_cluster is None:
            self._pairs_by_cluster = {}
            for pair in self.report.get("pairs", []):
                cluster = self.docs.get(pair["a"], {}).get("cluster")
                if cluster is not None:
                    self._pairs_by_cluster.setdefault(cluster, []).append(pair)
        return self._pairs_by_cluster

    @property
    def _order(self) -> dict[int, int]:
        """Position of each passage or rewritten pair in its report list (by
        object identity), for a part that keeps the report's order."""
        if self._positions is None:
            self._positions = {id(p): n for key in ("reuse", "rewrites")
                               for n, p in enumerate(self.report.get(key, []))}
        return self._positions

    def versions(self, cluster: Mapping[str, Any]) -> dict[str, Any] | None:
        """The lineage a cluster is a version of: every version in order, with
        the publisher's documents, date, cluster and number of copies."""
        line = self.lineages.get(cluster.get("lineage") or "")
        if line is None:
            return None
        rows = []
        for version in line["versions"]:
            head = self.docs.get(version["documents"][0], {})
            rows.append({
                "version": version["version"],
                "label": _short(head.get("title") or version["documents"][0], 90),
                "documents": version["documents"],
                "published": version.get("published") or "no date",
                "cluster": version.get("cluster"),
                "here": version.get("cluster") == cluster["id"],
                "copies": len(version.get("copies", [])),
            })
        return {"id": line["id"], "site": line.get("site") or "", "order": line["order"], "rows": rows}

    def reuse_links(self, cluster: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The passage pairs that link a cluster to other stories (or to
        documents outside clusters): what it shares with them, not copies."""
        links = []
        for reuse in self.reuse_of.get(cluster["id"], []):
            here_is_a = reuse.get("cluster_a") == cluster["id"]
            other_id = reuse["b"] if here_is_a else reuse["a"]
            other_cluster = reuse.get("cluster_b") if here_is_a else reuse.get("cluster_a")
            other = self.docs.get(other_id, {})
            links.append({
                "member": reuse["a"] if here_is_a else reuse["b"],
                "other": other_id,
                "other_label": _short(other.get("title") or other_id, 90),
                "other_site": other.get("site") or "",
                "cluster": other_cluster,
                "words": reuse["words"],
                "share_here": _percent(reuse["share_a"] if here_is_a else reuse["share_b"]),
                "share_other": _percent(reuse["share_b"] if here_is_a else reuse["share_a"]),
                "first": reuse.get("first"),
            })
        return links

    # ---- nodes

    def node_label(self, node: str | None) -> str:
        if not node:
            return "unknown"
        kind, _, name = node.partition(":")
        if kind == "agency":
            return agency_name(name)
        if kind == "site":
            return name
        doc = self.docs.get(name)
        return (doc.get("site") or name) if doc else name

    def origin_label(self, origin: Mapping[str, Any] | None) -> str:
        if not origin or origin.get("kind") == "unknown":
            return "unknown"
        if origin.get("kind") == "agency":
            return agency_name(origin["agency"])
        if origin.get("kind") == "outlet" and not origin.get("document"):
            return origin.get("outlet") or "unknown"
        return self.node_label(f"doc:{origin['document']}")

    @staticmethod
    def _credit_label(credit: str) -> str:
        kind, _, name = credit.partition(":")
        return agency_name(name) if kind == "agency" else name

    def status(self, doc: Mapping[str, Any]) -> str:
        attribution = doc.get("attribution") or {}
        return attribution.get("status") or "unknown"

    def credit_marks(self, doc: Mapping[str, Any]) -> list[tuple[int, int, str]]:
        marks = []
        for group in doc.get("wire") or []:
            name = agency_name(group["agency"])
            for m in group["markers"]:
                label = f"{name} {_MARKER_LABELS.get(m['kind'], m['kind'])} ({m['strength']})"
                marks.append((m["start"], m["end"], label))
        for ev in (doc.get("attribution") or {}).get("evidence") or []:
            if isinstance(ev.get("start"), int) and isinstance(ev.get("end"), int) and "agency" not in ev:
                marks.append((ev["start"], ev["end"], f"credit: {ev.get('kind', 'mention')}"))
        return sorted(marks)

    # ---- clusters

    def member_rows(self, cluster: Mapping[str, Any]) -> list[dict[str, Any]]:
        rows = []
        for doc_id in cluster["members"]:
            doc = self.docs[doc_id]
            attribution = doc.get("attribution") or {}
            status = self.status(doc)
            rows.append({
                "id": doc_id,
                "site": doc.get("site") or "",
                "title": _short(doc.get("title"), 140),
                "url": safe_url(doc.get("url")),
                "url_text": _short(doc.get("url"), 90),
                "published": doc.get("published") or "",
                "published_source": doc.get("published_source") or "",
                "words": doc.get("words"),
                "status": status,
                "source": self.node_label(attribution.get("source")) if attribution.get("source") else "",
                "delay": _delay(attribution.get("delay_hours")),
                "credits": ", ".join(self._credit_label(c) for c in attribution.get("credits") or []),
            })
        rank = {"origin": 0}
        rows.sort(key=lambda r: (rank.get(r["status"], 1), r["published"] or "\uffff", r["id"]))
        return rows

    def wire_kept(self, agency: str, doc_id: str) -> str:
        """The agency's strong markers the document kept ("dateline, credit line"), or "no wire markers"."""
        kinds = []
        for group in self.docs[doc_id].get("wire") or []:
            if group["agency"] == agency:
                for marker in group["markers"]:
                    label = _MARKER_LABELS.get(marker["kind"], marker["kind"])
                    if marker["strength"] == "strong" and label not in kinds:
                        kinds.append(label)
        return ", ".join(kinds[:2]) if kinds else "no wire markers"

    def graph(self, cluster: Mapping[str, Any]) -> GraphLayout:
        prov = self.provenance.get(cluster["id"], {"edges": [], "origin": cluster.get("origin")})
        nodes: list[GraphNode] = []
        seen: set[str] = set()

        def add(key: str) -> None:
            if key in seen:
                return
            seen.add(key)
            kind, _, name = key.partition(":")
            if kind == "agency":
                nodes.append(GraphNode(key, agency_name(name), "news agency (its own copy is not in the scan)",
                                       "agency", "agency"))
                return
            if kind == "site":
                nodes.append(GraphNode(key, _short(name, 23), "credited outlet (its own copy is not in the scan)",
                                       "agency", "agency"))
                return
            doc = self.docs[name]
            date = doc.get("published") or "no date"
            detail = f"{_short(doc.get('title'), 80)} \u2014 {date}"
            label = doc.get("site") or name.rstrip("/").rpartition("/")[2] or name  # no site: the file name
            nodes.append(GraphNode(key, _short(label, 23), detail, "document", self.status(doc)))

        origin = (prov.get("origin") or {})
        if origin.get("kind") == "agency" and not origin.get("document"):
            add(f"agency:{origin['agency']}")
        elif origin.get("kind") == "outlet" and not origin.get("document"):
            add(f"site:{origin['outlet']}")
        elif origin.get("document"):
            add(f"doc:{origin['document']}")
        for edge in prov.get("edges", []):
            add(edge["source"])
        for doc_id in sorted(cluster["members"], key=lambda d: (self.docs[d].get("published") or "\uffff", d)):
            add(f"doc:{doc_id}")
        edges = []
        for edge in prov.get("edges", []):
            ev = edge.get("evidence") or {}
            parts = []
            if "jaccard" in ev:
                parts.append(f"J {ev['jaccard']:.2f}")
            elif edge["source"].startswith("agency:"):
                # No similarity to a text that is not in the scan: say what of the wire's copy the copy kept.
                parts.append(self.wire_kept(edge["source"][7:], edge["copy"][4:]))
            delay = (ev.get("time") or {}).get("delay_hours")
            if delay is not None:
                parts.append(_delay(delay))
            if edge["direction"] != "known":
                parts.append("direction?")
            edges.append(GraphEdge(edge["source"], edge["copy"], " \u00b7 ".join(parts), edge["direction"] == "known"))
        pair_jaccard = self._jaccard_of(cluster) if prov.get("comparisons") else {}
        for compared in prov.get("comparisons", []):  # members no edge reaches: copies, direction unknown
            other, copy = compared["alignment"]["with"], compared["copy"]
            jaccard = pair_jaccard.get((other, copy))
            label = f"J {jaccard:.2f} \u00b7 direction?" if jaccard is not None else "direction?"
            edges.append(GraphEdge(other, copy, label, False))
        return graph_layout(nodes, edges, self.options.max_graph_nodes)

    def compare_views(self, cluster: Mapping[str, Any], with_text: bool = True) -> tuple[list[dict[str, Any]], int]:
        prov = self.provenance.get(cluster["id"], {"edges": []})
        views = []
        # Copy edges, then members no edge reaches (compared with their closest member; direction unknown).
        aligned = [e for e in prov.get("edges", []) if e.get("alignment")] + [
            {"source": c["alignment"]["with"], "copy": c["copy"], "alignment": c["alignment"], "undirected": True}
            for c in prov.get("comparisons", [])
        ]
        # passage pairs with other stories (partial reuse) and rewritten pairs (their
        # aligned sentences), shown like a copy edge
        aligned += [
            {"source": f"doc:{r['a']}", "copy": f"doc:{r['b']}", kind: r,
             "alignment": {"with": f"doc:{r['a']}", "passages": r[spans], "cut": r["share_a"], "paste": r["share_b"]}}
            for kind, pairs, spans in (("reuse", self.reuse_of, "passages"), ("rewrite", self.rewrites_of, "sentences"))
            for r in pairs.get(cluster["id"], [])
        ]
        limit = self.options.max_text_chars
        for edge in aligned[: self.options.max_compare_views]:
            alignment = edge["alignment"]
            with_id = alignment["with"].partition(":")[2]
            copy_id = edge["copy"].partition(":")[2]
            left, right = self.docs.get(with_id), self.docs.get(copy_id)
            if left is None or right is None:
                continue
            passages = alignment.get("passages") or []
            left_text, right_text = left.get("text"), right.get("text")
            view = {
                "with_id": with_id,
                "copy_id": copy_id,
                "with_label": self.node_label(alignment["with"]),
                "copy_label": self.node_label(edge["copy"]),
                "source_label": self.node_label(edge["source"]),
                "closest": alignment["with"] != edge["source"],
                "undirected": edge.get("undirected", False) or "reuse" in edge or "rewrite" in edge,
                "reuse": edge.get("reuse"),
                "rewrite": edge.get("rewrite"),
                "cut": _percent(alignment.get("cut")),
                "paste": _percent(alignment.get("paste")),
                "passages": len(passages),
                "status": self.status(right),
                "evidence": [
                    f"{agency_name(ev['agency']) if ev.get('agency') else ''} {ev.get('kind', '')}: "
                    f"{_short(ev.get('text') or ev.get('url') or '', 120)}".strip()
                    for ev in (right.get("attribution") or {}).get("evidence") or []
                ],
                "has_text": with_text and left_text is not None and right_text is not None,
                "over_budget": not with_text,
            }
            if view["has_text"]:
                view["left"] = marked_html(
                    highlight(left_text, [(p[0], p[1]) for p in passages], self.credit_marks(left), limit))
                view["right"] = marked_html(
                    highlight(right_text, [(p[2], p[3]) for p in passages], self.credit_marks(right), limit))
                view["left_cut"] = len(left_text) > limit
                view["right_cut"] = len(right_text) > limit
            views.append(view)
        return views, max(0, len(aligned) - self.options.max_compare_views)

    def cluster_index(self, cluster: Mapping[str, Any]) -> dict[str, Any]:
        statuses = Counter(self.status(self.docs[d]) for d in cluster["members"])
        origin = cluster.get("origin") or {}
        agencies = sorted({g["agency"] for d in cluster["members"] for g in self.docs[d].get("wire") or []
                           if any(m["strength"] == "strong" for m in g["markers"])})
        return {
            "id": cluster["id"],
            "size": cluster["size"],
            "title": _short(cluster_headline(cluster, self.docs), 120),
            "origin": self.origin_label(origin),
            "sites": cluster["sites"],
            "agencies": agencies,
            "statuses": {s: statuses[s] for s in _STATUSES if statuses[s]},
            "jaccard_max": cluster["jaccard_max"],
        }

    # ---- sites and overview

    def clustered(self) -> Iterator[Mapping[str, Any]]:
        """The rows of the documents in a cluster (a ``cluster`` given), in
        the clusters' order, found through the clusters' members: a quarter
        of a 1M report's rows, where looking at every row took a few seconds."""
        seen: set[str] = set()
        for cluster in self.report["clusters"]:
            for doc_id in cluster["members"]:
                doc = self.docs.get(doc_id)
                if doc is not None and doc.get("cluster") and doc_id not in seen:
                    seen.add(doc_id)
                    yield doc

    def site_articles(self) -> dict[str, list[dict[str, Any]]]:
        by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for doc in self.clustered():  # each site's rows are sorted below, by date and id
            if doc.get("site"):
                attribution = doc.get("attribution") or {}
                by_site[doc["site"]].append({
                    "id": doc["id"],
                    "title": _short(doc.get("title") or doc["id"], 120),
                    "cluster": doc["cluster"],
                    "status": self.status(doc),
                    "source": self.node_label(attribution.get("source")) if attribution.get("source") else "",
                    "delay": _delay(attribution.get("delay_hours")),
                    "published": doc.get("published") or "",
                })
        for rows in by_site.values():
            rows.sort(key=lambda r: (r["published"] or "\uffff", r["id"]))
        return by_site

    def overview(self) -> dict[str, Any]:
        report = self.report
        stats = report.get("stats", {})
        statuses = Counter(self.status(d) for d in self.clustered())
        copies = sum(statuses[s] for s in ("credited", "uncredited", "miscredited", "unknown"))
        sources: dict[str, dict[str, Any]] = {}
        for cluster in report["clusters"]:
            label = self.origin_label(cluster.get("origin"))
            kind = (cluster.get("origin") or {}).get("kind", "unknown")
            if kind == "unknown":
                continue
            entry = sources.setdefault(label, {"label": label, "kind": kind, "clusters": 0, "copies": 0,
                                               "credited": 0, "uncredited": 0, "miscredited": 0})
            entry["clusters"] += 1
            for doc_id in cluster["members"]:
                status = self.status(self.docs[doc_id])
                if status in ("credited", "uncredited", "miscredited"):
                    entry["copies"] += 1
                    entry[status] += 1
        top = sorted(sources.values(), key=lambda e: (-e["copies"], -e["clusters"], e["label"]))[:15]
        for entry in top:
            entry["credited_share"] = _percent(entry["credited"] / entry["copies"]) if entry["copies"] else ""
        documents = stats.get("documents", len(report["documents"]))
        in_clusters = stats.get("documents_in_clusters", sum(1 for _ in self.clustered()))
        return {
            "documents": documents,
            "inputs": stats.get("inputs_read", documents + len(report.get("skipped", []))),
            "skipped": len(report.get("skipped", [])),
            "clusters": len(report["clusters"]),
            "in_clusters": in_clusters,
            "in_clusters_share": _percent(in_clusters / documents) if documents else "0%",
            "copies": copies,
            "statuses": {s: statuses[s] for s in ("credited", "uncredited", "miscredited", "unknown")},
            "status_shares": {s: _percent(statuses[s] / copies) if copies else "" for s in
                              ("credited", "uncredited", "miscredited", "unknown")},
            "origins": {kind: sum(1 for c in report["clusters"] if (c.get("origin") or {}).get("kind") == kind)
                        for kind in ("agency", "outlet", "document", "unknown")},
            "top_sources": top,
            "farms": [s for s in report.get("sites", []) if s.get("farm_score", 0) > 0 and s.get("uncredited")][:10],
        }


# ------------------------------------------------------------------ render


_DICT_ATTRIBUTES = frozenset(dir(dict))


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    class Environment(jinja2.Environment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            """``row.site`` on a dict: its key, as Jinja gives it, without
            first trying an attribute (an AttributeError raised and caught
            for every value of every view: 1.8M of them for a 100,000-page
            report). A dict's own attributes (``.get``) and missing keys go
            the usual way."""
            if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    env = Environment(
        loader=jinja2.PackageLoader("wiretrace", _TEMPLATES),
        autoescape=True,  # every value is escaped unless marked safe; only our own CSS/JS/base64 are
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["agency"] = agency_name
    env.filters["percent"] = _percent
    env.filters["delay"] = _delay
    return env


def _asset(name: str) -> str:
    return (Path(__file__).parent / _TEMPLATES / name).read_text(encoding="utf-8")


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


class _Chunks:
    """Rendered views grouped into gzip+base64 chunks of about ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[str] = []
        self.where: dict[str, int] = {}  # view key -> chunk number
        self.compressed_bytes = 0
        self._batch: list[bytes] = []
        self._size = 0

    def add(self, key: str, html: str) -> None:
        from wiretrace.outputs import utf8

        data = utf8(html)  # a lone surrogate from the input (a file name, a "\ud800" escape) cannot be UTF-8
        if self._batch and self._size + len(data) > self.limit:
            self.flush()
        self.where[key] = len(self.chunks)
        self._batch.append(data)
        self._size += len(data)

    def flush(self) -> None:
        if self._batch:
            raw = b"".join(self._batch)
            # mtime=0: the same report gives the same bytes (two runs diff clean).
            # Level 6: a third of level 9's time for 1-2% more bytes (measured on the 10k-cluster report).
            chunk = base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")
            self.chunks.append(chunk)
            self.compressed_bytes += len(chunk)
        self._batch, self._size = [], 0


PARALLEL_MIN_CLUSTERS = 256  # below this, rendering in one process is faster than forking

#: From a report of this many documents the rendering workers are fresh
#: processes (a fork server's, :meth:`wiretrace.executor.LocalExecutor.window`),
#: not forks of this one: this process reads the report to build each job's part
#: while they run, and after a fork each page it reads is copied. Writing a
#: 300,000-document scan's outputs, forked workers held 1.5 GB beside the main
#: process's 1.55 GB, fresh ones under 0.1 GB (``wiretrace scan``, the process
#: tree sampled from /proc each second, one run each way); at 1,000,000 the
#: forked run's peak was 7.8 GB (``bench_scaling.py``, ``scaling_1m_html_parts.json``).
#: Below it, a fork starts sooner and the copies are small.
FRESH_WORKERS_MIN_DOCUMENTS = 250_000


@dataclass
class _Rendered:
    """Cluster views rendered and compressed by one job."""

    chunks: list[str]
    where: dict[str, int]  # view key -> chunk number within ``chunks``
    entries: dict[str, dict[str, Any]]  # cluster id -> its entry in the index
    without_text: int  # clusters whose side-by-side views go without texts
    with_text: bool = True  # rendered with the members' texts


def _render_job(task: tuple[int, bool, dict[str, Any]], options: HtmlOptions) -> tuple[int, _Rendered]:
    """Worker: job ``number`` of ``render_html``, with or without texts,
    from the part of the report its clusters read (:meth:`_Model.part`).
    The task carries that part: a worker forked from a large run touches
    only what it was sent, never the parent's report, whose pages it would
    otherwise copy (reference counts are writes)."""
    number, with_text, part = task
    return number, _render_clusters(_Model(part, options), part["clusters"], with_text)


def _render_clusters(model: _Model, clusters: Sequence[Mapping[str, Any]], with_text: bool) -> _Rendered:
    options = model.options
    detail = _environment().get_template("cluster.html.j2")
    chunks = _Chunks(options.chunk_bytes)
    entries = {}
    without_text = 0
    for cluster in clusters:
        entry = model.cluster_index(cluster)
        views, more_views = model.compare_views(cluster, with_text=with_text)
        without_text += not with_text and bool(views)
        html = detail.render(
            cluster=cluster, entry=entry, members=model.member_rows(cluster), graph=model.graph(cluster),
            views=views, more_views=more_views, origin=cluster.get("origin") or {},
            reuse_links=model.reuse_links(cluster), lineage=model.versions(cluster),
            origin_label=model.origin_label(cluster.get("origin")), W=NODE_W, H=NODE_H,
            budget_mb=round(options.max_text_bytes / 1e6),
        )
        chunks.add(f"cluster:{cluster['id']}", html)
        entries[cluster["id"]] = entry
    chunks.flush()
    return _Rendered(chunks.chunks, chunks.where, entries, without_text, with_text)


#: Rows of a list in ``report.html``'s index encoded together (:func:`json_pieces`).
JSON_ROWS = 2000


def _script_safe(text: str) -> Markup:
    """JSON text made safe inside a ``<script>`` element, as Jinja's ``tojson`` makes it."""
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027"))


def json_pieces(data: Mapping[str, Any], rows: int = JSON_ROWS) -> Iterator[Markup]:
    """``data|tojson`` (Jinja's filter: keys sorted, ``<>&'`` escaped) in
    pieces, each list at the top level ``rows`` items at a time: the page's
    index of a 1M scan's clusters, encoded whole and escaped (a new string per
    replaced character), held several copies of itself at the page's end,
    beside everything else (ad hoc, /proc).

    Example:
        >>> "".join(json_pieces({"b": [1, "<a>"], "a": {}}, rows=1))
        '{"a": {}, "b": [1, "\\\\u003ca\\\\u003e"]}'
    """
    yield _script_safe("{")
    for number, key in enumerate(sorted(data)):
        head = ("" if number == 0 else ", ") + json.dumps(key) + ": "
        value = data[key]
        if not isinstance(value, list) or not value:
            yield _script_safe(head + json.dumps(value, sort_keys=True))
            continue
        yield _script_safe(head + "[")
        for start in range(0, len(value), rows):
            yield _script_safe(("" if start == 0 else ", ") + json.dumps(value[start:start + rows], sort_keys=True)[1:-1])
        yield _script_safe("]")
    yield _script_safe("}")


def render_html(report: Mapping[str, Any], options: HtmlOptions | None = None) -> str:
    """The whole ``report.html`` page for a report (as in report.json):
    :func:`html_pieces` joined.

    Args:
        report: ``Report.to_dict()``, or report.json loaded.
        options: Size bounds; defaults suit scans of any size.

    Returns:
        The page, one self-contained HTML document.

    Example:
        >>> page = render_html({"documents": [], "clusters": [], "pairs": [], "sites": [], "skipped": [],
        ...                     "stats": {}, "config": {}})
        >>> page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page
        True
    """
    return "".join(html_pieces(report, options))


def html_pieces(report: Mapping[str, Any], options: HtmlOptions | None = None) -> Iterator[str]:
    """``report.html``'s page in pieces, in order, for a writer to write as
    they come: a 1M scan's page is ~130 MB, and held whole (then encoded)
    beside the chunks it is made of it was the run's last peak of memory."""
    options = options or HtmlOptions()
    model = _Model(report, options)
    env = _environment()

    # Largest clusters first: when the text budget runs out, it is the small
    # ones whose side-by-side views go without texts.
    ordered = sorted(report["clusters"], key=lambda c: (-c["size"], c["id"]))
    jobs = [ordered[i : i + options.job_clusters] for i in range(0, len(ordered), options.job_clusters)]
    workers = options.workers or os.cpu_count() or 1
    parallel = workers > 1 and len(ordered) >= PARALLEL_MIN_CLUSTERS and len(jobs) >= 2
    chunks: list[str] = []
    where: dict[str, int] = {}
    index = {}
    without_text = 0
    text_bytes = 0  # of the chunks so far: the budget is spent in job order whatever the worker count,
    # so the page is the same; workers render ahead with texts until the budget is seen spent

    def take(number: int, done: _Rendered) -> None:
        nonlocal without_text, text_bytes
        with_text = text_bytes < options.max_text_bytes
        if done.with_text != with_text:  # rendered ahead with texts, past the budget
            done = _render_clusters(model, jobs[number], with_text)
        without_text += done.without_text
        where.update((key, len(chunks) + n) for key, n in done.where.items())
        chunks.extend(done.chunks)
        text_bytes += sum(len(c) for c in done.chunks)
        index.update(done.entries)

    # results come back in job order, a window at a time: only the jobs in flight are held
    if parallel:
        fresh = len(report["documents"]) >= FRESH_WORKERS_MIN_DOCUMENTS
        with LocalExecutor(workers).window(_render_job, options, fresh=fresh) as window:
            for number in range(len(jobs)):
                task = (number, text_bytes < options.max_text_bytes, model.part(jobs[number]))
                for done_number, done in window.submit(task):
                    take(done_number, done)
            for done_number, done in window.drain():
                take(done_number, done)
    else:
        for number in range(len(jobs)):
            take(number, _render_clusters(model, jobs[number], text_bytes < options.max_text_bytes))
    index = [index[c["id"]] for c in report["clusters"]]  # the list keeps the report's order
    articles = model.site_articles()
    site_rows = list(report.get("sites", []))[: options.max_site_rows]  # ranked: the farms come first
    site_keys = {}
    site_chunks = _Chunks(options.chunk_bytes)
    site_detail = _environment().get_template("site.html.j2")
    for number, site in enumerate(site_rows):
        key = f"s{number}"
        site_keys[site["site"]] = key
        site_chunks.add(f"site:{key}", site_detail.render(site=site, key=key, articles=articles.get(site["site"], [])))
    site_chunks.flush()
    where.update((key, len(chunks) + number) for key, number in site_chunks.where.items())
    chunks.extend(site_chunks.chunks)
    for entry in index:
        entry["chunk"] = where[f"cluster:{entry['id']}"]
    data = {
        "clusters": index,
        "site_chunks": {key: where[f"site:{key}"] for key in site_keys.values()},
        "agencies": sorted({a for e in index for a in e["agencies"]}),
        "agency_names": {a: agency_name(a) for e in index for a in e["agencies"]},
        "page_size": options.page_size,
    }
    css, script = _asset("report.css"), _asset("report.js")
    csp = (f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(css)}; img-src data:; "
           "base-uri 'none'; form-action 'none'; frame-src 'none'; object-src 'none'")
    yield from env.get_template("report.html.j2").generate(
        css=css, script=script, csp=csp, data=data, index_json=json_pieces(data), chunks=chunks, overview=model.overview(),
        without_text=without_text, budget_mb=round(options.max_text_bytes / 1e6),
        rewrites=list(report.get("rewrites", []))[: options.max_site_rows], rewrites_total=len(report.get("rewrites", [])),
        sites=site_rows, site_keys=site_keys, networks=list(report.get("networks", []))[: options.max_site_rows],
        networks_total=len(report.get("networks", [])), skipped=report.get("skipped", [])[: options.max_skipped_rows],
        skipped_total=len(report.get("skipped", [])), sites_total=len(report.get("sites", [])), version=report.get("wiretrace_version", ""),
        run_id=str(report.get("run_id") or ""), all_sites=sorted({s for e in index for s in e["sites"]}),
    )


def write_html(report: Mapping[str, Any], path: str | Path, options: HtmlOptions | None = None) -> Path:
    """Render the report and write it to ``path`` (UTF-8), all or nothing:
    a temporary file beside it, renamed into place; a symbolic link at
    ``path`` is replaced, never written through (:func:`wiretrace.outputs.atomic_write`).
    The page is written as it is rendered (:func:`html_pieces`), never held
    whole, as :meth:`wiretrace.report.Report.write` writes it.

    Raises:
        OutputError: The page could not be written; an old one is untouched.
    """
    from wiretrace.outputs import atomic_write, utf8_pieces

    return atomic_write(path, utf8_pieces(html_pieces(report, options)))
