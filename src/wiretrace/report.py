"""The scan report: the object ``scan`` returns and the files it is written to.

``report.json`` follows ``wiretrace/schema/report.schema.json`` (shipped in
the package; see docs/report-format.md). ``pairs.csv`` holds the verified
pairs for spreadsheets. Output is deterministic: documents, pairs and
clusters are sorted, so two runs over the same input differ only in the
timing and memory figures of ``stats``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import numpy as np

from wiretrace._version import __version__
from wiretrace.config import Config
from wiretrace.records import Document, Skipped
from wiretrace.verify import VerifiedPair


def cluster_headline(cluster: Mapping[str, Any], docs: Mapping[str, Mapping[str, Any]]) -> str:
    """The one headline every view shows for a cluster: its origin
    document's title, else the title of its first member (by id) that has
    one, else that member's id."""
    origin = (cluster.get("origin") or {}).get("document")
    ordered = sorted(cluster["members"])
    first = [origin] if origin in docs else []
    for doc_id in first + ordered:
        title = docs[doc_id].get("title") if doc_id in docs else None
        if title:
            return title
    return origin or (ordered[0] if ordered else "")

__all__ = ["Report", "build_report", "REPORT_FORMAT", "REPORT_VERSION"]

REPORT_FORMAT = "wiretrace-report"
REPORT_VERSION = 1
PAIR_COLUMNS = (
    "a", "b", "cluster", "jaccard", "containment_a_in_b", "containment_b_in_a", "shared_shingles", "candidate_source",
)


@dataclass
class Report:
    """Everything a scan found, in the shape of report.json.

    Attributes:
        documents: One entry per processed document (id, url, site, title,
            published, source, words, shingles, cluster, warnings).
        clusters: Groups of copies: id, size, members, sites, similarity range.
        pairs: Verified pairs with Jaccard and containment both ways.
        skipped: Every input that was not processed, with the reason.
        config: Every parameter of the run (reproduce it with these).
        stats: Counts and the time and peak memory of each stage.
    """

    documents: list[dict[str, Any]]
    clusters: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    config: dict[str, Any]
    stats: dict[str, Any]
    provenance: list[dict[str, Any]] = field(default_factory=list)
    sites: list[dict[str, Any]] = field(default_factory=list)
    graph: Any = None  # networkx.DiGraph of the provenance, exported by write()

    @property
    def exit_code(self) -> int:
        """0 when every input was processed, 1 when some were skipped."""
        return 1 if self.skipped else 0

    def cluster(self, cluster_id: str) -> dict[str, Any]:
        """The cluster with this id."""
        for cluster in self.clusters:
            if cluster["id"] == cluster_id:
                return cluster
        raise KeyError(cluster_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "version": REPORT_VERSION,
            "wiretrace_version": __version__,
            "documents": self.documents,
            "clusters": self.clusters,
            "pairs": self.pairs,
            "provenance": self.provenance,
            "sites": self.sites,
            "skipped": self.skipped,
            "config": self.config,
            "stats": self.stats,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def write(self, out_dir: str | Path, *, html: bool = True) -> dict[str, Path]:
        """Write report.json and pairs.csv into ``out_dir`` (created if needed).

        Also writes the provenance graph as provenance.graphml,
        provenance.gexf (Gephi) and provenance.json (node-link), and, unless
        ``html`` is False, report.html: the report for a browser.

        Returns:
            The paths written, by name.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        report_path = out / "report.json"
        report_path.write_text(self.to_json() + "\n", encoding="utf-8")
        pairs_path = out / "pairs.csv"
        with pairs_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(PAIR_COLUMNS)
            for pair in self.pairs:
                writer.writerow([_csv_safe(pair[c]) for c in PAIR_COLUMNS])
        paths = {"report": report_path, "pairs": pairs_path}
        if self.graph is not None:
            from wiretrace.trace import write_graph

            paths.update(write_graph(self.graph, out))
        if html:
            from wiretrace.html import write_html

            paths["html"] = write_html(self.to_dict(), out / "report.html")
        return paths


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas: ids come from hostile input.

    A cell starting with ``= + - @`` (or tab/CR) is run as a formula by
    spreadsheet programs; prefixing a quote makes it plain text.
    """
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _round(x: float) -> float:
    return round(float(x), 4)


def build_report(
    documents: list[Document],
    sets: list[np.ndarray],
    words: list[int],
    chrome_removed: list[int],
    verified: list[VerifiedPair],
    components: list[list[int]],
    skipped: list[Skipped],
    config: Config,
    stats: dict[str, Any],
    wire: list | None = None,
    traced: list | None = None,
    attributions: dict | None = None,
    delays: dict | None = None,
    sites: list[dict[str, Any]] | None = None,
    graph: Any = None,
    alignments: Any = None,  # trace.Alignments
) -> Report:
    """Assemble the report from the pipeline's results (indices -> ids).

    ``alignments`` holds the aligned passages of each edge of ``traced`` and
    the comparisons of members no edge reaches; documents carry their ``text`` as
    ``config.report_texts`` says.
    """
    cluster_of: dict[int, str] = {}
    for number, members in enumerate(components, start=1):
        for index in members:
            cluster_of[index] = f"c{number}"

    pairs = []
    pairs_by_cluster: dict[str, list[VerifiedPair]] = {}
    for p in sorted(verified, key=lambda p: (p.a, p.b)):
        cluster_id = cluster_of[p.a]
        pairs_by_cluster.setdefault(cluster_id, []).append(p)
        pairs.append(
            {
                "a": documents[p.a].id,
                "b": documents[p.b].id,
                "cluster": cluster_id,
                "jaccard": _round(p.jaccard),
                "containment_a_in_b": _round(p.containment_a_in_b),
                "containment_b_in_a": _round(p.containment_b_in_a),
                "shared_shingles": p.shared,
                "candidate_source": p.via,
            }
        )

    clusters = []
    for number, members in enumerate(components, start=1):
        cluster_id = f"c{number}"
        cluster_pairs = pairs_by_cluster.get(cluster_id, [])
        jaccards = [p.jaccard for p in cluster_pairs]
        containments = [max(p.containment_a_in_b, p.containment_b_in_a) for p in cluster_pairs]
        clusters.append(
            {
                "id": cluster_id,
                "size": len(members),
                "members": [documents[i].id for i in members],
                "sites": sorted({documents[i].site for i in members if documents[i].site}),
                "pairs": len(cluster_pairs),
                "jaccard_min": _round(min(jaccards)),
                "jaccard_max": _round(max(jaccards)),
                "containment_max": _round(max(containments)),
            }
        )

    docs_out = []
    for index, doc in enumerate(documents):
        entry = {
            "id": doc.id,
            "url": doc.url,
            "site": doc.site,
            "title": doc.title,
            "published": doc.published,
            "published_source": doc.published_source,
            "author": doc.author,
            "canonical_url": doc.canonical_url,
            "language": doc.language,
            "links": list(doc.links),
            "source": doc.source,
            "words": words[index],
            "shingles": len(sets[index]),
            "chrome_lines_removed": chrome_removed[index],
            "cluster": cluster_of.get(index),
        }
        if wire is not None:
            entry["wire"] = wire[index].to_report()
        if attributions is not None:
            attribution = attributions.get(index)
            entry["attribution"] = (
                {**attribution.to_dict(), "delay_hours": (delays or {}).get(index)} if attribution else None
            )
        if doc.warnings:
            entry["warnings"] = list(doc.warnings)
        if config.report_texts == "all" or (config.report_texts == "clustered" and index in cluster_of):
            entry["text"] = doc.text  # what the offsets of wire markers and alignments refer to
        docs_out.append(entry)

    skipped_out = sorted((s.to_dict() for s in skipped), key=lambda s: (s["source"], s["id"] or "", s["reason"]))
    provenance = [
        {
            "cluster": t.cluster,
            "origin": {"kind": t.origin.kind, "agency": t.origin.agency, "outlet": t.origin.outlet,
                       "document": t.origin.document, "reason": t.origin.reason},
            "edges": [
                {"source": e.source, "copy": e.copy, "direction": e.direction, "basis": e.basis, "evidence": e.evidence}
                for e in t.edges
            ],
        }
        for t in traced or []
    ]
    if alignments is not None:
        for entry, aligned, compared in zip(provenance, alignments.edges, alignments.comparisons):
            for edge, alignment in zip(entry["edges"], aligned):
                if alignment is not None:
                    edge["alignment"] = alignment
            if compared:
                entry["comparisons"] = compared
    for cluster, entry in zip(clusters, provenance):
        cluster["origin"] = entry["origin"]
    return Report(docs_out, clusters, pairs, skipped_out, config.to_dict(), stats, provenance, sites or [], graph)
