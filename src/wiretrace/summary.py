"""What the terminal shows: progress while scanning, a readable summary after.

Scraped text is hostile: titles and ids may carry terminal escape
sequences, bidirectional overrides or rich markup. Everything from the
input is passed through :func:`safe_text` and rendered as plain
``rich.text.Text``, never parsed as markup.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from wiretrace.report import Report, cluster_headline

__all__ = ["safe_text", "print_summary", "summary_dict", "progress_bar"]

_STAGE_LABELS = {"fingerprint": "Fingerprinting", "candidates": "Finding candidates"}


def safe_text(value: Any, limit: int = 80) -> str:
    """Printable, single-line, bounded form of untrusted text.

    Control and format characters (ANSI escapes, bidi overrides, zero-width
    characters) are replaced by U+FFFD; long values are cut with an ellipsis.

    Example:
        >>> safe_text("Title\\x1b[31m red\\u202e")
        'Title\ufffd[31m red\ufffd'
    """
    if value is None:
        return ""
    text = "".join(
        " " if ch in "\t\n\r" else ("\ufffd" if unicodedata.category(ch) in ("Cc", "Cf") else ch)
        for ch in str(value)
    )
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def summary_dict(report: Report, paths: dict[str, Path]) -> dict[str, Any]:
    """The machine-readable summary printed by ``wiretrace scan --json``."""
    return {
        "documents": report.stats["documents"],
        "skipped": len(report.skipped),
        "clusters": len(report.clusters),
        "documents_in_clusters": report.stats["documents_in_clusters"],
        "candidate_pairs": report.stats["candidate_pairs"],
        "verified_pairs": report.stats["verified_pairs"],
        "seconds": report.stats["total_seconds"],
        "report": str(paths["report"]),
        "pairs_csv": str(paths["pairs"]),
        "html": str(paths["html"]) if "html" in paths else None,
        "exit_code": report.exit_code,
    }


def print_summary(report: Report, paths: dict[str, Path], console: Console, show: int = 10) -> None:
    """Print the scan summary: totals, the largest clusters, skipped inputs."""
    stats = report.stats
    console.print(
        Text.assemble(
            ("wiretrace", "bold"),
            f" scanned {_count(stats['documents'], 'document')} in {stats['total_seconds']:.2f} s: ",
            (_count(len(report.clusters), "cluster"), "bold"),
            f" of copies holding {_count(stats['documents_in_clusters'], 'document')} "
            f"({_count(stats['verified_pairs'], 'verified pair')} out of "
            f"{_count(stats['candidate_pairs'], 'candidate')})",
        )
    )
    by_id = {d["id"]: d for d in report.documents}
    best: dict[str, tuple[float, float, str]] = {}
    for pair in report.pairs:
        for me, other, contained in (
            (pair["a"], pair["b"], pair["containment_a_in_b"]),
            (pair["b"], pair["a"], pair["containment_b_in_a"]),
        ):
            candidate = (pair["jaccard"], contained, other)
            if me not in best or candidate[:2] > best[me][:2]:
                best[me] = candidate
    if report.clusters and show:
        console.print(
            Text("J: Jaccard with the document's closest copy; in it: share of the document found in that copy.",
                 style="dim")
        )
    for cluster in report.clusters[:show]:
        _print_cluster(console, cluster, by_id, best)
    if len(report.clusters) > show:
        console.print(f"\n... and {len(report.clusters) - show} more clusters (all in the report).")
    if report.skipped:
        console.print()
        console.print(Text(f"Skipped {len(report.skipped)} inputs:", style="yellow"))
        for item in report.skipped[:show]:
            console.print(Text(f"  {safe_text(item['source'], 60)}: {safe_text(item['reason'], 120)}"))
        if len(report.skipped) > show:
            console.print(f"  ... and {len(report.skipped) - show} more (see 'skipped' in the report).")
    if report.sites and show:
        _print_sites(console, report.sites[:show], len(report.sites))
    console.print()
    if "html" in paths:
        console.print(Text(f"Open in a browser: {paths['html']}", style="bold"))
    console.print(Text(f"Report: {paths['report']}  Pairs: {paths['pairs']}"))
    if "graphml" in paths:
        console.print(Text(f"Provenance graph: {paths['graphml']} (GraphML), {paths['gexf']} (Gephi), {paths['graph_json']}"))


_STATUS_STYLE = {"origin": "bold", "credited": "green", "uncredited": "bold red", "miscredited": "red", "unknown": "dim", "same_publication": "dim", "same_publisher": "dim"}


def _agency_name(agency: str) -> str:
    from wiretrace.wire import load_agencies

    known = load_agencies().get(agency)
    return known.name if known else agency


def _origin_line(origin: dict[str, Any] | None) -> Text:
    if not origin:
        return Text("")
    if origin["kind"] == "agency":
        where = (f"its own page {safe_text(origin['document'], 50)}" if origin["document"]
                 else "the agency's own copy is not in the scan")
        return Text(f"origin: {_agency_name(origin['agency'])} wire copy ({where})")
    if origin["kind"] == "outlet":
        where = (f"its own page {safe_text(origin['document'], 50)}" if origin["document"]
                 else "its own copy is not in the scan")
        return Text(f"origin: {safe_text(origin.get('outlet') or '', 60)}, credited by its copies ({where})")
    if origin["kind"] == "document":
        return Text(f"origin: {safe_text(origin['document'], 60)} ({safe_text(origin['reason'], 80)})")
    return Text(f"origin unknown: {safe_text(origin['reason'], 100)}")


def _short_node(node: str | None) -> str:
    if not node:
        return "-"
    kind, _, name = node.partition(":")
    return _agency_name(name) if kind == "agency" else name


def _print_cluster(console: Console, cluster: dict[str, Any], by_id: dict[str, Any], best: dict[str, Any]) -> None:
    titled = cluster_headline(cluster, by_id)
    heading = Text.assemble(
        (f"Cluster {cluster['id']}", "bold"),
        f" · {cluster['size']} documents · Jaccard {cluster['jaccard_min']:.2f}-{cluster['jaccard_max']:.2f}"
        f" · containment up to {cluster['containment_max']:.2f}",
    )
    if titled:
        heading.append(f"\n{safe_text(titled, 100)}", style="italic")
    heading.append("\n")
    heading.append_text(_origin_line(cluster.get("origin")))
    table = Table(show_edge=False, box=None, pad_edge=False, header_style="dim")
    wide = console.width >= 110  # room for the source and the containment
    table.add_column("document", no_wrap=True, overflow="ellipsis", max_width=40 if wide else 24)
    table.add_column("site", no_wrap=True, overflow="ellipsis", max_width=28 if wide else 18)
    table.add_column("published", no_wrap=True, min_width=10)
    if wide:
        table.add_column("copied from", no_wrap=True, overflow="ellipsis", max_width=30)
    table.add_column("credit", no_wrap=True, min_width=11)
    table.add_column("J", justify="right", no_wrap=True, min_width=4)
    if wide:
        table.add_column("in it", justify="right", no_wrap=True, min_width=5)
    origin_doc = (cluster.get("origin") or {}).get("document")
    members = sorted(cluster["members"], key=lambda m: (m != origin_doc, m))
    for member in members:
        doc = by_id[member]
        jac, contained, _ = best.get(member, (0.0, 0.0, ""))
        attribution = doc.get("attribution") or {}
        status = attribution.get("status", "")
        cells = [
            Text(safe_text(member, 60)),
            Text(safe_text(doc["site"], 40)),
            Text((doc["published"] or "-")[:10]),
            *([Text(safe_text(_short_node(attribution.get("source")), 60))] if wide else []),
            Text(status, style=_STATUS_STYLE.get(status, "")),
            f"{jac:.2f}",
            *([f"{contained:.2f}"] if wide else []),
        ]
        table.add_row(*cells)
    console.print()
    console.print(heading)
    console.print(table)


def _print_sites(console: Console, rows: list[dict[str, Any]], total: int) -> None:
    table = Table(title=Text(f"Sites by content-farm score (top {len(rows)} of {total})", style="bold"),
                  title_justify="left", show_edge=False, box=None, pad_edge=False, header_style="dim")
    for name, justify in (("site", "left"), ("articles", "right"), ("copies", "right"), ("uncredited", "right"),
                          ("sources", "right"), ("delay h", "right"), ("score", "right")):
        table.add_column(name, justify=justify, no_wrap=True, overflow="ellipsis", max_width=26 if name == "site" else None)
    for row in rows:
        delay = row["median_delay_hours"]
        table.add_row(
            Text(safe_text(row["site"], 40)),
            str(row["articles"]),
            f"{row['copies']} ({row['copy_share']:.0%})",
            f"{row['uncredited_share']:.0%}" if row["copies"] else "-",
            str(row["distinct_sources"]),
            f"{delay:.1f}" if delay is not None else "-",
            f"{row['farm_score']:.2f}",
        )
    console.print()
    console.print(table)


def print_scores(scores: dict[str, Any], console: Console) -> None:
    """The table printed by ``wiretrace eval``."""
    table = Table(title=Text(f"Scores on {scores['documents_in_report']} labelled documents", style="bold"),
                  title_justify="left", show_edge=False, box=None, pad_edge=False, header_style="dim")
    for name, justify in (("metric", "left"), ("precision", "right"), ("recall", "right"), ("F1 / score", "right"),
                          ("on", "right")):
        table.add_column(name, justify=justify)
    for key, label in (("pairs_same_cluster", "copy pairs (same cluster)"), ("pairs_verified", "copy pairs (verified)"),
                       ("labelled_pairs", "labelled pairs")):
        if key in scores:
            s = scores[key]
            table.add_row(label, f"{s['precision']:.4f}", f"{s['recall']:.4f}", f"{s['f1']:.4f}", f"{s['actual']} pairs")
    if "cluster_ari" in scores:
        table.add_row("cluster ARI", "", "", f"{scores['cluster_ari']:.4f}", "")
    for key, label, unit in (("origin_accuracy", "origin accuracy", "stories"), ("copy_edge_accuracy", "copy-edge accuracy",
                             "copies"), ("attribution_accuracy", "attribution accuracy", "documents")):
        if key in scores:
            s = scores[key]
            table.add_row(label, "", "", f"{s['accuracy']:.4f}", f"{s[unit]} {unit}")
    console.print(table)
    if scores.get("labelled_missing_from_report"):
        console.print(Text(f"{len(scores['labelled_missing_from_report'])}+ labelled documents are not in the report.",
                           style="yellow"))


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        rows = []
        for key, inner in value.items():
            rows.extend(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, value)]


def print_bench(results: dict[str, Any], console: Console) -> None:
    """One table per benchmark suite (``wiretrace bench``)."""
    for suite, measured in results.items():
        table = Table(title=Text(f"{suite} ({measured.get('seconds', 0):.1f} s)", style="bold"), title_justify="left",
                      show_edge=False, box=None, pad_edge=False, header_style="dim")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for key, value in _flatten({k: v for k, v in measured.items() if k != "seconds"}):
            if key == "errors" or key.endswith(".errors") or key == "skipped" and isinstance(value, list) and value and isinstance(value[0], dict):
                # per-item disagreements: counted here, listed in --json
                value = f"{len(value)} (listed with --json)"
            elif isinstance(value, list):
                value = ", ".join(map(str, value)) or "-"
            table.add_row(Text(key), Text(str(value)))
        console.print()
        console.print(table)


@contextmanager
def progress_bar(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar, yielded as the ``progress`` callback of ``scan``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(_STAGE_LABELS.get(stage, stage), total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update
