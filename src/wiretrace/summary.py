"""What the terminal shows: progress while scanning, a readable summary after.

Scraped text is hostile: titles and ids may carry terminal escape
sequences, bidirectional overrides or rich markup. Everything from the
input is passed through :func:`safe_text` and rendered as plain
``rich.text.Text``, never parsed as markup.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from wiretrace.printable import safe_text
from wiretrace.report import Report, cluster_headline
from wiretrace.rows import by_id as rows_by_id

__all__ = ["safe_text", "short_ids", "print_summary", "summary_dict", "progress_bar", "make_console"]

_STAGE_LABELS = {
    "read": "Reading inputs", "clean": "Removing site chrome", "fingerprint": "Fingerprinting",
    "candidates": "Finding candidates", "verify": "Verifying pairs", "cluster": "Clustering",
    "credits": "Reading credits", "provenance": "Tracing provenance", "align": "Aligning passages",
    "attribute": "Checking attribution", "report": "Assembling the report", "write": "Writing the outputs",
}


class _Console(Console):
    """rich's Console, but a closed stdout raises ``BrokenPipeError`` (rich
    itself exits with code 1) for the command line to exit with its own code."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def make_console(stderr: bool = False) -> Console:
    """The console the command line prints to."""
    return _Console(stderr=stderr)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def summary_dict(report: Report, paths: dict[str, Path], exit_code: int | None = None) -> dict[str, Any]:
    """The machine-readable summary printed by ``wiretrace scan --json``."""
    return {
        "documents": report.stats["documents"],
        "skipped": len(report.skipped),
        "clusters": len(report.clusters),
        "documents_in_clusters": report.stats["documents_in_clusters"],
        "candidate_pairs": report.stats["candidate_pairs"],
        "verified_pairs": report.stats["verified_pairs"],
        "seconds": report.stats["total_seconds"],
        "stage_seconds": {name: stage.get("seconds") for name, stage in (report.stats.get("stages") or {}).items()},
        # texts and shingle sets kept on disk (wiretrace.spill); 0 when the run held them in memory
        "spill_mb": (report.stats.get("stages") or {}).get("fingerprint", {}).get("spill_mb", 0),
        "report": str(paths["report"]),
        "pairs_csv": str(paths["pairs"]),
        "html": str(paths["html"]) if "html" in paths else None,
        "exit_code": report.exit_code() if exit_code is None else exit_code,
        "run_id": report.run_id,
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
    by_id = rows_by_id(report.documents)
    # the closest copy of the shown clusters' members only: the summary is read at
    # the end of every scan, and at 1M every row and pair it touches is time
    shown = {member for cluster in report.clusters[:show] for member in cluster["members"]}
    best: dict[str, tuple[float, float, str]] = {}
    for pair in report.pairs if shown else ():
        a, b = pair["a"], pair["b"]
        if a not in shown and b not in shown:
            continue
        for me, other, contained in ((a, b, pair["containment_a_in_b"]), (b, a, pair["containment_b_in_a"])):
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
    # A content-farm table only where something was copied, and only sites
    # that copied without credit: a site whose copies all credit their
    # source is a licensee, not a farm.
    farms = [row for row in report.sites if row.get("uncredited")]
    if report.clusters and farms and show:
        _print_sites(console, farms[:show], len(farms))
    generated, pages = _generated(report, by_id, show)
    if generated:
        console.print()
        console.print(Text(f"Leftover generator text ({pages} pages: a chatbot's words about itself, "
                           "evidence that a page went through one):", style="yellow"))
        for doc in generated:
            console.print(Text(f"  {safe_text(doc['id'], 60)}: {safe_text(doc['generator_text'][0]['text'], 80)}"))
    networks = report.networks
    if networks and show:
        copying = [n for n in networks if n["kind"] == "copying"]
        console.print()
        by_look = sum(1 for n in networks if "look and timing" in n.get("linked_by", ()))
        console.print(Text(
            f"Networks: {len(networks)} groups of sites share an analytics, tag-manager, ad or pixel account"
            + (f", or a look and a copy timing ({by_look} of them)" if by_look else "")
            + f" ({len(copying)} of them copy outside sources without credit)."
        ))
        for network in (copying or networks)[:show]:
            sites = ", ".join(network["sites"][:6]) + (f" and {len(network['sites']) - 6} more" if len(network["sites"]) > 6 else "")
            linked = " and ".join(network.get("linked_by", ()))
            console.print(Text(f"  {network['id']} ({network['kind']}{'; by ' + linked if linked else ''}): "
                               f"{safe_text(sites, 160)}"))
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
        where = (f"its own page {safe_text(origin['document'], 50, keep_end=True)}" if origin["document"]
                 else "the agency's own copy is not in the scan")
        return Text(f"origin: {_agency_name(origin['agency'])} wire copy ({where})")
    if origin["kind"] == "outlet":
        where = (f"its own page {safe_text(origin['document'], 50, keep_end=True)}" if origin["document"]
                 else "its own copy is not in the scan")
        return Text(f"origin: {safe_text(origin.get('outlet') or '', 60)}, credited by its copies ({where})")
    if origin["kind"] == "document":
        return Text(f"origin: {safe_text(origin['document'], 60, keep_end=True)} ({safe_text(origin['reason'], 80)})")
    return Text(f"origin unknown: {safe_text(origin['reason'], 100)}")


def _short_node(node: str | None) -> str:
    if not node:
        return "-"
    kind, _, name = node.partition(":")
    return _agency_name(name) if kind == "agency" else name


def short_ids(ids: list[str], width: int) -> dict[str, str]:
    """Each id as it fits in ``width`` columns, cut where ids do not differ.

    Ids of one table often share an ending ("-bridge-inspections", past a
    file extension) and folders ("corpus/pages/"). An id too long loses its
    folders first ("…/name"), then is cut at the end when what sets it apart
    from the others still shows, else in the middle, keeping its end
    ("feed.jsonl:1234" and "feed.jsonl:1235" stay apart).

    Example:
        >>> ids = ["corpus/html/prairieledger-bridge-inspections.html", "dailyharbor-bridge-inspections"]
        >>> list(short_ids(ids, 24).values())
        ['…/prairieledger-bridge-…', 'dailyharbor-bridge-insp…']
        >>> list(short_ids(["exports/2026/feed.jsonl:1234", "exports/2026/feed.jsonl:1235"], 17).values())
        ['…/feed.jsonl:1234', '…/feed.jsonl:1235']
    """
    clean = {i: safe_text(i, 10**6) for i in ids}
    stems = [_EXTENSION.sub("", t) for t in clean.values()]
    prefix = ""
    if len(clean) > 1:
        start = os.path.commonprefix(list(clean.values()))
        cuts = [k for k, ch in enumerate(start) if ch in _ID_SEPARATORS]
        # whole words only, and the last shared word stays as context ("…story-0001")
        prefix = start[: cuts[-2] + 1] if len(cuts) > 1 else ""
    common = ""
    if len(stems) > 1:
        # the common ending of all is that of the first and last in reversed order
        first, last = min(stems, key=lambda t: t[::-1]), max(stems, key=lambda t: t[::-1])
        n = 0
        for a, b in zip(reversed(first), reversed(last)):
            if a != b or n >= min(len(first), len(last)) - 1:
                break
            n += 1
        suffix = first[len(first) - n :] if n else ""
        cut = next((k for k, ch in enumerate(suffix) if ch in _ID_SEPARATORS), None)
        common = suffix[cut:] if cut is not None else ""
    return {original: _fit(text, width, common, prefix) for original, text in clean.items()}


_ID_SEPARATORS = "/-_:.#"
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def _fit(text: str, width: int, common: str, prefix: str = "") -> str:
    if len(text) <= width:
        return text
    folder = text.rfind("/", 0, len(text) - 1)
    candidates = [text] + (["\u2026/" + text[folder + 1 :]] if folder > 0 else [])
    if len(prefix) > 2 and len(prefix) > folder + 2:  # the others share more than the folders: drop that too
        candidates.append("\u2026" + text[len(prefix) :])
    for candidate in candidates:
        if len(candidate) <= width:
            return candidate
        stem = _EXTENSION.sub("", candidate)
        core = stem[: len(stem) - len(common)] if common and stem.endswith(common) else stem
        if common and len(core) <= width - 2:  # what sets it apart shows, and a bit of the rest
            return candidate[: width - 1] + "\u2026"
    return safe_text(candidates[-1], width, keep_end=True)


def _generated(report: Report, by_id: Any, show: int) -> tuple[list[Any], int]:
    """The first ``show`` rows holding generator text, and how many rows hold
    it: the report's count (``stats["generator_pages"]``) when it has one, so
    that a run without such pages reads no row for them. ``show`` is taken
    as a slice's end, as the clusters' (a negative one counts from the end)."""
    pages = report.stats.get("generator_pages")
    if not show or pages == 0:
        return [], 0
    rows = (d for d in by_id.values() if d.get("generator_text"))
    if pages is None or not 0 < show <= sys.maxsize:  # no count (a report made otherwise), or a show islice refuses
        found = list(rows)
        return found[:show], len(found) if pages is None else pages
    return list(itertools.islice(rows, show)), pages


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
    id_width, site_width = (40, 28) if wide else (24, 18)  # 80 columns hold the narrow table
    table.add_column("document", no_wrap=True, overflow="ellipsis", max_width=id_width)
    table.add_column("site", no_wrap=True, overflow="ellipsis", max_width=site_width)
    table.add_column("published", no_wrap=True, min_width=10)
    if wide:
        table.add_column("copied from", no_wrap=True, overflow="ellipsis", max_width=30)
    table.add_column("credit", no_wrap=True, min_width=11)
    table.add_column("J", justify="right", no_wrap=True, min_width=4)
    if wide:
        table.add_column("in it", justify="right", no_wrap=True, min_width=5)
    origin_doc = (cluster.get("origin") or {}).get("document")
    members = sorted(cluster["members"], key=lambda m: (m != origin_doc, m))
    shown = short_ids(members, id_width)
    for member in members:
        doc = by_id[member]
        jac, contained, _ = best.get(member, (0.0, 0.0, ""))
        attribution = doc.get("attribution") or {}
        status = attribution.get("status", "")
        cells = [
            Text(shown[member]),
            Text(safe_text(doc["site"], site_width)),
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
    table = Table(title=Text(f"Sites copying without credit, by content-farm score (top {len(rows)} of {total})",
                             style="bold"),
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


def _bench_cell(key: str, value: Any) -> str:
    if isinstance(value, list) and (key == "errors" or key.endswith(".errors") or key == "skipped") \
            and value and isinstance(value[0], dict):
        return f"{len(value)} (listed with --json)"  # per-item disagreements: counted here, listed in --json
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        text = f"{value:.4f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "-" if value is None else str(value)


def _scalar_dict(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and not any(isinstance(v, dict) for v in value.values())


def _bench_table(title: str, columns: list[str], labels: list[str]) -> Table:
    """Labels never wrap (up to 40 columns); a long value (a reason, a path) folds."""
    table = Table(title=Text(title, style="bold"), title_justify="left", show_edge=False, box=None,
                  pad_edge=False, header_style="dim")
    table.add_column(columns[0], no_wrap=True, overflow="ellipsis",
                     min_width=min(40, max(map(len, [columns[0], *labels]), default=0)))
    for name in columns[1:]:
        table.add_column(name, justify="right", overflow="fold")
    return table


def _print_bench_part(console: Console, title: str, measured: dict[str, Any]) -> None:
    """A table of the scalars of ``measured``, one matrix per group of
    measures taken over the same things (``recall_by_transform`` beside
    ``copy_edge_accuracy_by_transform``; ``pairs_verified`` beside
    ``pairs_same_cluster``), and a part of its own for each deeper mapping."""
    scalars: list[tuple[str, Any]] = []
    groups: dict[str, list[str]] = {}
    deeper: list[str] = []
    for key, value in measured.items():
        if _scalar_dict(value):
            by = key[key.index("_by_") + 1 :] if "_by_" in key else "|".join(value)
            groups.setdefault(by, []).append(key)
        elif isinstance(value, dict) and value:
            deeper.append(key)
        else:
            scalars.append((key, value))
    for by, names in list(groups.items()):
        if len(names) == 1:  # one mapping alone reads best as rows of the main table
            scalars.extend((f"{names[0]}.{k}", v) for k, v in measured[names[0]].items())
            del groups[by]
    if scalars:
        table = _bench_table(title, ["measure", "value"], [key for key, _ in scalars])
        for key, value in scalars:
            table.add_row(Text(key), Text(_bench_cell(key, value)))
        console.print()
        console.print(table)
    for by, names in groups.items():
        keys = list(dict.fromkeys(k for name in names for k in measured[name]))
        heading = by.replace("_", " ") if not by.count("|") else ""
        labels = [name.removesuffix("_" + by) if heading else name for name in names]
        if len(keys) >= len(names):  # the longer dimension down the page
            table = _bench_table(f"{title} \u00b7 {heading}" if heading else title, [heading, *labels],
                                 [str(k) for k in keys])
            for k in keys:
                table.add_row(Text(str(k)), *(Text(_bench_cell(k, measured[n].get(k))) for n in names))
        else:
            table = _bench_table(title, ["", *map(str, keys)], labels)
            for name, label in zip(names, labels):
                table.add_row(Text(label), *(Text(_bench_cell(k, measured[name].get(k))) for k in keys))
        console.print()
        console.print(table)
    for key in deeper:
        _print_bench_part(console, f"{title} \u00b7 {key}", measured[key])


def print_bench(results: dict[str, Any], console: Console) -> None:
    """The tables printed by ``wiretrace bench``: per suite, its figures, then
    a matrix for each group of measures over the same things (per
    transformation, per pair kind, per language), so that no key is a dotted
    path too long for the terminal. Every number is in ``--json``."""
    for suite, measured in results.items():
        seconds = measured.get("seconds", 0)
        _print_bench_part(console, f"{suite} ({seconds:.1f} s)", {k: v for k, v in measured.items() if k != "seconds"})


@contextmanager
def progress_bar(console: Console) -> Iterator[Callable[[str, int, int | None], None]]:
    """A rich progress display, yielded as the ``progress`` callback of ``scan``:
    one line per stage, a bar where the amount of work is known and a
    spinner with a count where it is not (the inputs being read). The
    command line shows it only when stderr is a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(finished_text="\u2713"),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(_STAGE_LABELS.get(stage, stage), total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update
