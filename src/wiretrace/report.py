"""The scan report: the object ``scan`` returns and the files it is written to.

``report.json`` follows ``wiretrace/schema/report.schema.json`` (shipped in
the package; see docs/report-format.md). ``pairs.csv`` holds the verified
pairs for spreadsheets. Output is deterministic: documents, pairs and
clusters are sorted, so two runs over the same input differ only in their
``run_id`` and the timing and memory figures of ``stats``.

Writing is all or nothing (:mod:`wiretrace.outputs`): every file of a run
goes to a temporary file first and they replace the old ones together,
``report.json`` last, under a lock on the folder; a file format that cannot
hold a character of the input (XML and control characters, UTF-8 and lone
surrogates) shows U+FFFD in its place instead of failing.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

import numpy as np

from wiretrace._version import __version__
from wiretrace.config import Config
from wiretrace.leftovers import generator_leftovers
from wiretrace.outputs import (OutputError, OutputFolder, describe_os_error, new_run_id, scalar_text, utf8,
                               utf8_pieces)
from wiretrace.records import Document, Skipped, doc_key, key_text
from wiretrace.rows import KEY_OF_ID, Rows, by_id
from wiretrace.spill import SpilledDocument, set_sizes, stored_text
from wiretrace.stages import return_freed_memory
from wiretrace.verify import VerifiedPair

log = logging.getLogger("wiretrace")


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
            published, source, words, shingles, cluster, warnings): a list
            of dicts, or, for a run that spilled (``run.spill_documents``), a
            read-only sequence that gives the same dicts
            (:class:`wiretrace.rows.Rows`; changing a dict it gave changes
            nothing). :meth:`to_dict` gives a list either way.
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
    reuse: list[dict[str, Any]] = field(default_factory=list)  # passage pairs: partial reuse across stories
    lineages: list[dict[str, Any]] = field(default_factory=list)  # a publisher's versions of one story
    rewrites: list[dict[str, Any]] = field(default_factory=list)  # rewritten pairs (wiretrace.rewrites)
    networks: list[dict[str, Any]] = field(default_factory=list)  # sites sharing account ids (wiretrace.networks)
    network_common_ids: list[dict[str, Any]] = field(default_factory=list)  # ids on too many sites to link any
    graph: Any = field(default=None, repr=False)  # networkx.DiGraph of the provenance, exported by write()
    graph_released: bool = field(default=False, repr=False, compare=False)  # by write(release=True)
    run_id: str = field(default_factory=new_run_id)  # in report.json and report.html: which files belong together

    def exit_code(self, strict: bool = False) -> int:
        """The command line's exit code for this report: 0, a completed scan,
        even with inputs skipped (they are listed in ``skipped``); with
        ``strict``, 1 when some inputs were skipped."""
        return 1 if strict and self.skipped else 0

    def cluster(self, cluster_id: str) -> dict[str, Any]:
        """The cluster with this id."""
        for cluster in self.clusters:
            if cluster["id"] == cluster_id:
                return cluster
        raise KeyError(cluster_id)

    def to_dict(self) -> dict[str, Any]:
        """report.json's content as plain lists and dicts (``json.dumps`` takes it)."""
        data = self._data()
        if isinstance(data["documents"], Rows):
            data["documents"] = list(data["documents"])
        return data

    def _data(self) -> dict[str, Any]:
        """:meth:`to_dict`, the document rows as held (:class:`~wiretrace.rows.Rows`
        past the spill's threshold: written a row at a time, never all as dicts)."""
        return {
            "format": REPORT_FORMAT,
            "version": REPORT_VERSION,
            "wiretrace_version": __version__,
            "run_id": self.run_id,
            "documents": self.documents,
            "clusters": self.clusters,
            "pairs": self.pairs,
            "reuse": self.reuse,
            "rewrites": self.rewrites,
            "lineages": self.lineages,
            "provenance": self.provenance,
            "sites": self.sites,
            "networks": self.networks,
            "network_common_ids": self.network_common_ids,
            "skipped": self.skipped,
            "config": self.config,
            "stats": self.stats,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """report.json's text: with the default ``indent`` as the file is
        written (:func:`write_report_json`), with None on one line, with
        another indent ``json.dumps``'s."""
        if indent != 2:
            return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)
        out = io.StringIO()
        write_report_json(out.write, self._data())
        return out.getvalue()

    def write(self, out_dir: str | Path | OutputFolder, *, html: bool = True, release: bool = False) -> dict[str, Path]:
        """Write report.json and pairs.csv into ``out_dir`` (created if needed).

        Also writes the provenance graph as provenance.graphml,
        provenance.gexf (Gephi) and provenance.json (node-link) -- a report
        made without its graph (``analyse_records(graph=False)``) writes none
        of them, and removes an earlier run's -- and, unless ``html`` is
        False, report.html: the report for a browser.

        All or nothing (see :mod:`wiretrace.outputs`): every file goes to a
        temporary file first and all are renamed into place together,
        report.json last; an output of an earlier run that this one does not
        write (report.html with ``html=False``) is removed, so the folder
        never mixes two runs. Symbolic links at the outputs' names are
        replaced, never written through. The folder is locked meanwhile.

        With ``release``, the report lets go of its provenance graph once the
        graph is handed to what writes its files (``graph`` is None after,
        even if the writing then fails, and the report cannot be written
        again): for a caller that has no use for the graph afterwards (the
        command line), so that the rest of the writing reuses its memory
        (~300 MB at 1M documents).

        Returns:
            The paths written, by name.

        Raises:
            ValueError: An earlier ``write(release=True)`` let go of the graph.
            OutputLocked: Another scan is writing into ``out_dir``.
            OutputError: A file could not be written (disk full, no
                permission); the previous outputs are untouched.
        """
        from wiretrace.executor import no_cyclic_gc

        if self.graph_released:  # its files would be left out (or removed as stale) without a word
            raise ValueError("this report let go of its provenance graph in an earlier write(release=True), so its "
                             "graph files cannot be written again: write it without release=True the first time")
        with no_cyclic_gc():  # (its doc: and in report.html's forked workers)
            return self._write(out_dir, html, release)

    def _write(self, out_dir: str | Path | OutputFolder, html: bool, release: bool) -> dict[str, Path]:
        from contextlib import ExitStack

        import networkx as nx

        from wiretrace.executor import FreshError, PassedFd, can_start_fresh, fresh_process
        from wiretrace.graphio import DumpedGraph, dump_graph

        return_freed_memory()  # what the analysis freed, before the writers start
        folder = out_dir if isinstance(out_dir, OutputFolder) else OutputFolder(out_dir)
        opened_here = not folder.held
        folder.open()
        try:
            data = self._data()
            # the provenance graph's three files are written by a fresh process while this
            # one writes report.json, pairs.csv and report.html (a large run's graph files
            # took as long to write as report.json): this one dumps the graph into an
            # unnamed file in chunks (wiretrace.graphio.dump_graph) and, with release, lets
            # go of it before that process starts, which reads it back a chunk at a time:
            # neither holds two graphs. A small run writes them here. report.html's
            # clusters are rendered on workers at any size (wiretrace.html)
            apart = (type(self.graph) is nx.DiGraph and len(self.documents) >= GRAPH_APART_MIN_DOCUMENTS
                     and can_start_fresh())
            with folder.batch() as batch:
                # the graph's files are created here, so that the batch removes them
                # whatever becomes of the process that writes them
                graph_files = batch.reserve(GRAPH_FILES.values()) if self.graph is not None else None
                if graph_files is not None and not apart:  # written here, now
                    write_graph_files(self.graph, graph_files, self.run_id)
                    if release:
                        self._let_go_of_graph()
                with ExitStack() as stack:  # on an error, the graph's process is stopped
                    fresh = None
                    if graph_files is not None and apart:
                        try:
                            with folder.unnamed_file() as dumped:
                                dump_graph(self.graph, dumped)
                                dumped.flush()
                                if release:
                                    self._let_go_of_graph()
                                    return_freed_memory()
                                files = {name: PassedFd(fd) for name, fd in graph_files.fds.items()}
                                try:
                                    fresh = stack.enter_context(fresh_process(
                                        _write_graph_from, PassedFd(dumped.fileno()), files, str(folder.path),
                                        self.run_id))
                                except OSError as exc:  # no process to write them (a limit of processes):
                                    log.warning("the provenance graph's files are written in this process: no "
                                                "process could be started to write them (%s)", describe_os_error(exc))
                                    write_graph_files(DumpedGraph(dumped), graph_files, self.run_id)
                        except OSError as exc:  # read as a failure of a batch's own file reads (outputs._writing)
                            raise OutputError(
                                f"cannot write the provenance graph in {folder.path}: {describe_os_error(exc)}; "
                                f"the previous outputs in {folder.path} are untouched") from None
                    with batch.open("report.json") as handle:
                        write_report_json(lambda text: handle.write(utf8(text)), data)
                    with batch.open("pairs.csv") as handle:
                        _write_pairs_csv(handle, self.pairs, self.documents)
                    if html:
                        from wiretrace.html import HtmlOptions, html_pieces

                        # what the graph (released) and report.json's writing freed, before the
                        # page's workers start: at 1M, glibc kept ~300 MB of it (ad hoc, /proc)
                        return_freed_memory()
                        with batch.open("report.html") as handle:
                            _write_pieces(handle, html_pieces(data, HtmlOptions()))
                    else:
                        batch.remove_stale("report.html")
                    if fresh is not None:
                        try:
                            fresh.wait()
                        except FreshError as exc:
                            if exc.kind == "OutputError":  # a file it could not write, named
                                raise OutputError(exc.message) from None
                            if exc.oserror:
                                raise OutputError(
                                    f"cannot write the provenance graph in {folder.path}: {exc.message}; "
                                    f"the previous outputs in {folder.path} are untouched") from None
                            # anything else is a bug, as it would be written here: raised with its traceback
                            exc.add_note(f"raised in the process writing the provenance graph:\n{exc.details}")
                            raise
                        except ChildProcessError:
                            raise OutputError(
                                f"cannot write the provenance graph in {folder.path}: the process writing it died; "
                                f"the previous outputs in {folder.path} are untouched") from None
                if graph_files is None:
                    batch.remove_stale(*GRAPH_FILES.values())
            names = {"report": "report.json", "pairs": "pairs.csv", "html": "report.html", **GRAPH_FILES}
            return {key: batch.paths[name] for key, name in names.items() if name in batch.paths}
        finally:
            if opened_here:
                folder.close()

    def _let_go_of_graph(self) -> None:
        """``write(release=True)``: the report lets go of its graph (freed
        now, though the cyclic collector is paused while a report is written,
        unless the caller holds it too)."""
        from wiretrace.trace import drop_cached_views

        if self.graph is not None:
            drop_cached_views(self.graph)
        self.graph, self.graph_released = None, True

    def __repr__(self) -> str:
        stats = self.stats or {}
        return (
            f"<wiretrace.Report run {self.run_id or '-'}: {len(self.documents)} documents, "
            f"{len(self.clusters)} clusters, {len(self.pairs)} verified pairs, {len(self.skipped)} skipped"
            + (f", {stats['total_seconds']:.2f} s" if isinstance(stats.get("total_seconds"), (int, float)) else "")
            + ">"
        )

    def _repr_html_(self) -> str:
        """A short table for notebooks (Jupyter calls this); every value escaped."""
        from html import escape

        docs = by_id(self.documents)
        rows = []
        for cluster in self.clusters[:_NOTEBOOK_ROWS]:
            headline = cluster_headline(cluster, docs)
            rows.append(
                "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in (
                    cluster["id"], cluster["size"], _short(headline, 80), ", ".join(cluster["sites"][:3]),
                    f"{cluster['jaccard_min']:.2f}–{cluster['jaccard_max']:.2f}",
                )) + "</tr>"
            )
        more = len(self.clusters) - len(rows)
        return (
            f"<p><b>{escape(repr(self)[1:-1])}</b></p>"
            "<table><thead><tr><th>cluster</th><th>size</th><th>headline</th><th>sites</th><th>Jaccard</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            + (f"<p>… and {more} more clusters (<code>report.clusters_frame()</code>)</p>" if more > 0 else "")
        )

    def pairs_frame(self) -> Any:
        """The verified pairs as a pandas DataFrame, one row per pair, with
        the title, site and URL of both documents (the columns of pairs.csv).

        Raises:
            ImportError: pandas is not installed (``pip install pandas``).
        """
        pd = _pandas()
        rows = [dict(zip(PAIRS_CSV_COLUMNS, row)) for row in _pair_rows(self.pairs, self.documents)]
        return pd.DataFrame(rows, columns=list(PAIRS_CSV_COLUMNS))

    def clusters_frame(self) -> Any:
        """The clusters as a pandas DataFrame: id, size, headline, origin,
        sites, pairs and similarity range; members as a list per row.

        Raises:
            ImportError: pandas is not installed (``pip install pandas``).
        """
        pd = _pandas()
        docs = by_id(self.documents)
        columns = ["id", "size", "headline", "origin_kind", "origin", "sites", "members", "pairs",
                   "jaccard_min", "jaccard_max", "containment_max"]
        rows = []
        for c in self.clusters:
            origin = c.get("origin") or {}
            rows.append([
                c["id"], c["size"], cluster_headline(c, docs), origin.get("kind"),
                origin.get("document") or origin.get("agency") or origin.get("outlet"),
                list(c["sites"]), list(c["members"]), c["pairs"], c["jaccard_min"], c["jaccard_max"],
                c["containment_max"],
            ])
        return pd.DataFrame(rows, columns=columns)


# Rows of a notebook's HTML view of a report: enough to see what is there;
# the frames hold everything.
_NOTEBOOK_ROWS = 10
GRAPH_FILES = {"graphml": "provenance.graphml", "gexf": "provenance.gexf", "graph_json": "provenance.json"}
# pairs.csv: the pair's figures, then each document's title, site and URL so a
# spreadsheet reader need not look ids up in report.json.
PAIRS_CSV_COLUMNS = PAIR_COLUMNS + ("a_title", "a_site", "a_url", "b_title", "b_site", "b_url")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "report.pairs_frame() and report.clusters_frame() need pandas, which is not installed: "
            "pip install pandas (report.pairs and report.clusters hold the same data as lists of dicts)"
        ) from None
    return pandas


def _pair_rows(pairs: list[dict[str, Any]], documents: Sequence[dict[str, Any]]) -> Iterator[list[Any]]:
    docs = by_id(documents)
    for pair in pairs:
        a, b = docs.get(pair["a"], {}), docs.get(pair["b"], {})
        yield [pair[c] for c in PAIR_COLUMNS] + [a.get("title"), a.get("site"), a.get("url"),
                                                 b.get("title"), b.get("site"), b.get("url")]


def _write_pairs_csv(handle: IO[bytes], pairs: list[dict[str, Any]], documents: list[dict[str, Any]]) -> None:
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(PAIRS_CSV_COLUMNS)
    for row in _pair_rows(pairs, documents):
        writer.writerow([_csv_safe(v) for v in row])
    text.flush()
    text.detach()


# A cell a spreadsheet would run as a formula: one starting with = + - @ (or
# their full-width forms) or tab/CR, also behind leading separators and
# spaces (";=cmd", " =1+1": LibreOffice and Excel with a semicolon or other
# list separator read the cell from there).
_FORMULA = re.compile("^[\\s;,|\u3000]*[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]")


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas: ids, titles and URLs come from hostile input.

    Prefixing a quote makes the cell plain text; lone surrogates become U+FFFD.

    Example:
        >>> [_csv_safe(v) for v in ("=1+1", ";=cmd|' /C calc'!A0", " -2", "plain", 0.5)]
        ["'=1+1", "';=cmd|' /C calc'!A0", "' -2", 'plain', 0.5]
    """
    if not isinstance(value, str):
        return value
    value = scalar_text(value)
    return "'" + value if _FORMULA.match(value) else value


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
    reuse: list | None = None,  # passages.Reuse
    lineages: list | None = None,  # lineage.Lineage
    networks: list[dict[str, Any]] | None = None,
    network_common_ids: list[dict[str, Any]] | None = None,
    rewrites: list | None = None,  # rewrites.Rewrite
    leftovers: list | None = None,  # leftover generator text per document, when found already (the workers')
    consume_documents: bool = False,
) -> Report:
    """Assemble the report from the pipeline's results (indices -> ids).

    ``alignments`` holds the aligned passages of each edge of ``traced`` and
    the comparisons of members no edge reaches; documents carry their ``text`` as
    ``config.report_texts`` says. With ``consume_documents`` (a caller that has
    no use for ``documents`` after), each entry of ``documents`` is set to None
    once its row is made.
    """
    reused = {i for r in [*(reuse or []), *(rewrites or [])] for i in (r.a, r.b)}  # their offsets need their texts
    shingles = set_sizes(sets).tolist()
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
                "kind": "duplicate" if p.jaccard >= config.jaccard_threshold else "contained",
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
                "key": key_text(min(doc_key(documents[i].id) for i in members)),
                "size": len(members),
                "members": [documents[i].id for i in members],
                "sites": sorted({documents[i].site for i in members if documents[i].site}),
                "pairs": len(cluster_pairs),
                "jaccard_min": _round(min(jaccards)),
                "jaccard_max": _round(max(jaccards)),
                "containment_max": _round(max(containments)),
            }
        )

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
    reuse_out = [_reuse_entry(r, documents, cluster_of) for r in sorted(reuse or [], key=lambda r: (r.a, r.b))]
    members_of = {f"c{number}": members for number, members in enumerate(components, start=1)}
    lineages_out = [_lineage_entry(f"l{number}", line, documents, members_of, cluster_of)
                    for number, line in enumerate(lineages or [], start=1)]
    cluster_by_id = {c["id"]: c for c in clusters}
    for line in lineages_out:
        for version in line["versions"]:
            if version["cluster"]:
                cluster_by_id[version["cluster"]].update(lineage=line["id"], version=version["version"])
    rewrites_out = [_reuse_entry(r, documents, cluster_of) for r in rewrites or []]

    # the document rows come last, so that with consume_documents each document can be
    # let go once its row is made: the rows' memory reuses the documents' (a 1M scan's
    # peak was this step's end, with both held)
    # past the spill's threshold, rows are tuples and spilled texts stay in the spill (wiretrace.rows)
    compact = any(isinstance(d, SpilledDocument) for d in documents[:1])
    docs_out: list[dict[str, Any]] | Rows = Rows() if compact else []
    generator_pages = 0
    for index, doc in enumerate(documents):
        entry = {
            "id": doc.id,
            "key": KEY_OF_ID if compact else key_text(doc_key(doc.id)),  # compact rows compute it when read
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
            "shingles": shingles[index],
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
        found = leftovers[index] if leftovers is not None else generator_leftovers(doc.text)
        if found:  # a chatbot's words about itself, left in the page (wiretrace.leftovers)
            entry["generator_text"] = found
            generator_pages += 1
        if config.report_texts == "all" or (config.report_texts == "clustered" and (index in cluster_of or index in reused)):
            # what the offsets of wire markers and alignments refer to; a spilled text stays in the spill
            entry["text"] = stored_text(doc)
        docs_out.append(entry)
        if consume_documents:
            documents[index] = None  # type: ignore[call-overload]  # its row holds what is kept of it

    stats["generator_pages"] = generator_pages
    return Report(docs_out, clusters, pairs, skipped_out, config.to_dict(), stats, provenance, sites or [], reuse_out,
                  lineages_out, rewrites_out, networks or [], network_common_ids or [], graph)


def _lineage_entry(lineage_id: str, line: Any, documents: list[Document], members_of: dict[str, list[int]],
                   cluster_of: dict[int, str]) -> dict[str, Any]:
    """A lineage as report.json gives it: its versions in order, each with the
    publisher's documents that carry it, its cluster (None when nobody copied
    it) and the copies in that cluster (``members_of``: cluster id -> members);
    and the version pairs that link them."""
    versions = []
    for number, own in enumerate(line.versions, start=1):
        cluster_id = next((cluster_of[i] for i in own if i in cluster_of), None)
        mine = set(own)
        copies = [documents[i].id for i in members_of.get(cluster_id, []) if i not in mine]
        dates = sorted(documents[i].published for i in own if documents[i].published)
        versions.append({"version": number, "documents": [documents[i].id for i in own], "cluster": cluster_id,
                         "published": dates[0] if dates else None, "copies": copies})
    first = documents[line.versions[0][0]]
    return {
        "id": lineage_id,
        "site": first.site,
        "order": line.order,
        "versions": versions,
        "links": [{"a": documents[v.a].id, "b": documents[v.b].id, "shared_shingles": v.shared,
                   "share_a": v.share_a, "share_b": v.share_b} for v in line.pairs],
    }


def _reuse_entry(reuse: Any, documents: list[Document], cluster_of: dict[int, str]) -> dict[str, Any]:
    """A passage pair as report.json gives it: the two documents, their
    clusters, the passages (offsets into both texts), words shared, the
    share of each, and which came first when both dates say so."""
    a, b = documents[reuse.a], documents[reuse.b]
    first = documents[reuse.first].id if reuse.first is not None else None
    return {"a": a.id, "b": b.id, "cluster_a": cluster_of.get(reuse.a), "cluster_b": cluster_of.get(reuse.b),
            **reuse.to_dict(), "first": first}


#: From this many documents a run's graph files are written by a process of
#: their own (:func:`wiretrace.executor.fresh_process`), beside report.json and
#: report.html (:meth:`Report.write`): below it the process (a new interpreter,
#: ~0.5 s of imports) costs more than it saves. Writing a synthetic report's
#: outputs, medians of three alternating writes (ad hoc): 5,000 documents 0.83 s
#: apart against 0.53 s here; 20,000, 1.97 against 2.00 s; 50,000, 3.77 against
#: 4.21 s. (It was 4,000 while the writer was forked, which starts at once.)
GRAPH_APART_MIN_DOCUMENTS = 20_000



def _write_pieces(handle: Any, pieces: Iterable[str]) -> None:
    """Write ``pieces`` of text as UTF-8 (:func:`~wiretrace.outputs.utf8_pieces`)."""
    for chunk in utf8_pieces(pieces):
        handle.write(chunk)


def write_graph_files(graph: Any, files: Any, run_id: str | None) -> None:
    """Write the provenance graph into the files reserved for it
    (:meth:`wiretrace.outputs.Batch.reserve`), here or in the process
    :func:`_write_graph_from` runs in."""
    from wiretrace.trace import write_graph

    write_graph(graph, files, run_id=run_id)


def _write_graph_from(dumped: Any, files: Mapping[str, Any], folder: str, run_id: str | None) -> None:
    """The process that writes the graph's files (:meth:`Report.write`): the
    graph the main process dumped (:func:`wiretrace.graphio.dump_graph`),
    read back a chunk at a time; ``dumped`` and ``files`` (the reserved
    files) as descriptors (:class:`wiretrace.executor.PassedFd`)."""
    from wiretrace.graphio import DumpedGraph
    from wiretrace.outputs import ReservedFiles

    with os.fdopen(dumped.fd, "rb") as handle:
        write_graph_files(DumpedGraph(handle), ReservedFiles(Path(folder), {n: f.fd for n, f in files.items()}),
                          run_id)


#: Items of a list joined into one write of report.json: a stream of modest
#: writes, never the whole report as one string.
_JSON_ITEMS_PER_WRITE = 2000


#: ``json.dumps(item, ensure_ascii=False, allow_nan=False)``, without making an
#: encoder for every item (a fifth of the encoding time of a 100,000-document report).
_ITEM_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def write_report_json(write: Callable[[str], Any], data: dict[str, Any]) -> None:
    """report.json as a stream of ``write`` calls, ending in a newline.

    The top level is indented; each item of a top-level list (a document, a
    cluster, a pair...) is one line of compact JSON -- one record per line,
    for ``grep`` and line-by-line tools, encoded by the C encoder. Nothing
    holds the whole text: a report of millions of documents is written in
    batches of :data:`_JSON_ITEMS_PER_WRITE` items. The text is valid JSON
    with the same content as ``json.dumps(data)``.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> write_report_json(out.write, {"format": "x", "documents": [{"id": "a"}, {"id": "b"}], "skipped": []})
        >>> print(out.getvalue(), end="")
        {
          "format": "x",
          "documents": [
            {"id": "a"},
            {"id": "b"}
          ],
          "skipped": []
        }
    """
    write("{\n")
    keys = list(data)
    for number, key in enumerate(keys):
        value = data[key]
        if not isinstance(key, str):  # as json.dumps writes a key: 1 -> "1", True -> "true"
            key = next(iter(json.loads(json.dumps({key: 0}, allow_nan=False))))
        write(f"  {json.dumps(key, ensure_ascii=False)}: ")
        if isinstance(value, (list, Rows)) and value:
            write("[\n")
            for start in range(0, len(value), _JSON_ITEMS_PER_WRITE):
                items = value[start: start + _JSON_ITEMS_PER_WRITE]
                text = ",\n".join("    " + _ITEM_ENCODER.encode(item) for item in items)
                write(text + (",\n" if start + _JSON_ITEMS_PER_WRITE < len(value) else "\n"))
            write("  ]")
        else:
            write(json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False).replace("\n", "\n  "))
        write(",\n" if number < len(keys) - 1 else "\n")
    write("}\n")
