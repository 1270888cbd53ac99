"""HTML extraction quality, dates, speed and memory on the Zyte article-extraction benchmark.

Usage::

    .venv/bin/python benchmarks/bench_extraction.py [--shared PATH] [--json OUT] [--limit N] [--repeat R]

The 181 real article pages of ``../shared/data/zyte_article_extraction_benchmark``
(gzip HTML and a gold ``articleBody`` per page) are run through
``wiretrace.extract.extract_page`` and, as the reference, through
``trafilatura.extract`` with its default options. Printed: text accuracy
against the gold bodies (scored as the Zyte benchmark's ``evaluate.py``
does), publication-date coverage, pages/s and peak RSS, and PASS/MISS for
the two targets. When the folder is absent the suite is skipped (exit 0).
No page text is printed or written; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import htmldate
import trafilatura
from rich.console import Console
from rich.table import Table


sys.path.insert(0, str(Path(__file__).resolve().parent))
import _context  # noqa: E402
from wiretrace.evaluation.extraction import SHINGLE_N, match_counts, precision_recall_f1
from wiretrace.extract import ExtractionError, extract_page
from wiretrace.stages import peak_rss_mb, reset_peak_rss, rss_mb

ROOT = Path(__file__).resolve().parents[1]
DATASET = "zyte_article_extraction_benchmark"
WIRETRACE, TRAFILATURA = "wiretrace extract_page", "trafilatura.extract (defaults)"
# Zyte's evaluate.py: tokens are runs of \w (case kept), compared as bags of 4-token shingles.
# Dates: an ISO-like date in a URL path (2019/11/19, 2019-11-19, 20191119).
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)[/_.-]?(0[1-9]|1[0-2])[/_.-]?(0[1-9]|[12]\d|3[01])(?!\d)")
EARLIEST_PLAUSIBLE = date(1995, 1, 1)  # before news sites existed: a placeholder, not a date
URL_DATE_TOLERANCE = timedelta(days=1)  # URL dates are local; wiretrace's are often UTC
TARGET_DATE_SHARE = 0.90
WORST_SHOWN = 10


# --------------------------------------------------------------------------- data


@dataclass
class Gold:
    """One benchmark page: its id (sha256 of the HTML), URL, HTML bytes and gold body."""

    sha: str
    url: str
    html: bytes
    body: str

    @property
    def domain(self) -> str:
        """Host of the page URL without a leading ``www.``."""
        host = urlsplit(self.url).hostname or "?"
        return host[4:] if host.startswith("www.") else host


def find_dataset(shared: Path) -> tuple[Path | None, str | None]:
    """The benchmark folder under ``shared``, or ``(None, reason)`` when it cannot be used."""
    folder = shared / "data" / DATASET
    if not folder.is_dir():
        return None, f"{folder} does not exist"
    if not (folder / "ground-truth.json").is_file():
        return None, f"{folder / 'ground-truth.json'} is missing"
    if not any((folder / "html").glob("*.html.gz")):
        return None, f"no html/*.html.gz files in {folder}"
    return folder, None


def load_pages(folder: Path, limit: int | None) -> list[Gold]:
    """Every page with a gold body, in sha order (the first ``limit`` of them when given).

    The HTML is decompressed here, so decompression is never part of a timing.
    """
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for sha in sorted(truth)[:limit]:
        path = folder / "html" / f"{sha}.html.gz"
        if path.is_file():
            pages.append(Gold(sha, truth[sha].get("url") or "", gzip.decompress(path.read_bytes()),
                              truth[sha].get("articleBody") or ""))
    return pages


# --------------------------------------------------------------------------- scoring


@dataclass
class PageScore:
    """One extractor's result on one page (numbers only, never text)."""

    sha: str
    domain: str
    ok: bool
    error: str | None
    chars: int
    gold_chars: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    token_f1: float  # the same on bags of single tokens (n = 1), for comparison
    published: str | None = None
    published_source: str | None = None


def score_page(page: Gold, text: str | None, error: str | None) -> PageScore:
    """Score one extraction; a failure (``text`` None or blank) is P = R = F1 = 0."""
    ok = bool(text and text.strip())
    tp, fp, fn = match_counts(page.body, text if ok else "")
    precision, recall, f1 = precision_recall_f1(tp, fp, fn) if ok else (0.0, 0.0, 0.0)
    token_f1 = precision_recall_f1(*match_counts(page.body, text, n=1))[2] if ok else 0.0
    return PageScore(page.sha, page.domain, ok, None if ok else (error or "empty output"), len(text or "") if ok else 0,
                     len(page.body), tp, fp, fn, precision, recall, f1, token_f1)


def summarize(scores: list[PageScore]) -> dict[str, Any]:
    """Aggregates over pages.

    ``mean_*`` and ``median_f1`` average the per-page scores over all pages,
    failures included as 0. ``zyte_*`` is evaluate.py's aggregate: precision
    averaged over pages with some predicted shingle, recall over pages with
    some gold shingle, F1 the harmonic mean of those two means.
    """
    zyte_p = [s.precision for s in scores if s.tp + s.fp > 0]
    zyte_r = [s.recall for s in scores if s.tp + s.fn > 0]
    zp, zr = (statistics.fmean(zyte_p) if zyte_p else 0.0), (statistics.fmean(zyte_r) if zyte_r else 0.0)
    return {
        "pages": len(scores),
        "failed": sum(not s.ok for s in scores),
        "mean_precision": statistics.fmean(s.precision for s in scores),
        "mean_recall": statistics.fmean(s.recall for s in scores),
        "mean_f1": statistics.fmean(s.f1 for s in scores),
        "median_f1": statistics.median(s.f1 for s in scores),
        "mean_token_f1": statistics.fmean(s.token_f1 for s in scores),
        "pages_f1_below_0.5": sum(s.f1 < 0.5 for s in scores),
        "zyte_precision": zp,
        "zyte_recall": zr,
        "zyte_f1": 0.0 if zp + zr == 0 else 2 * zp * zr / (zp + zr),
    }


# --------------------------------------------------------------------------- extractors


def run_wiretrace(page: Gold) -> tuple[str | None, str | None, Any]:
    """``(text, error, Page)`` of ``extract_page`` on the raw bytes, given the gold URL."""
    try:
        result = extract_page(page.html, url=page.url)
    except ExtractionError as exc:
        return None, f"ExtractionError: {exc}", None
    except Exception as exc:  # a crash is a failed page too, and is reported as such
        return None, f"{type(exc).__name__}: {exc}", None
    return result.text, None, result


def run_trafilatura(page: Gold) -> tuple[str | None, str | None, Any]:
    """``(text, error, None)`` of ``trafilatura.extract`` with no options but the URL, on the same bytes."""
    try:
        text = trafilatura.extract(page.html, url=page.url)
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}", None
    return text, None if text else "trafilatura returned nothing", None


def measure_accuracy(pages: list[Gold]) -> tuple[dict[str, list[PageScore]], dict[str, Any]]:
    """Score both extractors on every page; also keep wiretrace's date per page."""
    scores: dict[str, list[PageScore]] = {WIRETRACE: [], TRAFILATURA: []}
    for page in pages:
        text, error, result = run_wiretrace(page)
        score = score_page(page, text, error)
        if result is not None:
            score.published, score.published_source = result.published, result.published_source
        scores[WIRETRACE].append(score)
        scores[TRAFILATURA].append(score_page(page, *run_trafilatura(page)[:2]))
    return scores, {name: summarize(values) for name, values in scores.items()}


def measure_speed(pages: list[Gold], repeat: int) -> dict[str, Any]:
    """Pages/s and peak RSS of each extractor over all pages, ``repeat`` passes each.

    Passes alternate between the extractors (so drift in machine load hits
    both); each pass is preceded by a garbage collection and a reset of the
    RSS high-water mark. Reported: every pass, the median pages/s, and the
    highest peak RSS of any pass (the HTML of all pages is in memory
    throughout and counts in it; "RSS before" gives that baseline).
    """
    extractors: dict[str, Callable[[Gold], Any]] = {WIRETRACE: run_wiretrace, TRAFILATURA: run_trafilatura}
    runs: dict[str, list[dict[str, float | None]]] = {name: [] for name in extractors}
    for _ in range(repeat):
        for name, extract in extractors.items():
            gc.collect()
            before = rss_mb()
            reset_peak_rss()
            start = time.perf_counter()
            for page in pages:
                extract(page)
            seconds = time.perf_counter() - start
            runs[name].append({"seconds": seconds, "pages_per_s": len(pages) / seconds, "rss_before_mb": before,
                               "peak_rss_mb": peak_rss_mb()})
    return {
        name: {
            "runs": values,
            "median_pages_per_s": statistics.median(v["pages_per_s"] for v in values),
            "median_ms_per_page": 1000 * statistics.median(v["seconds"] for v in values) / len(pages),
            "rss_before_mb": min((v["rss_before_mb"] for v in values if v["rss_before_mb"] is not None), default=None),
            "peak_rss_mb": max((v["peak_rss_mb"] for v in values if v["peak_rss_mb"] is not None), default=None),
        }
        for name, values in runs.items()
    }


# --------------------------------------------------------------------------- dates


def url_date(url: str) -> date | None:
    """A full calendar date written in the URL's path or query, if any."""
    parts = urlsplit(url)
    match = _URL_DATE.search(parts.path + "?" + parts.query)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def independent_date(page: Gold) -> str | None:
    """htmldate's own reading of the raw page (extensive search, with the URL),
    else trafilatura's metadata date: a date a reader could find, used only
    to decide which pages "have one"."""
    html = page.html.decode("utf-8", "replace")
    try:
        found = htmldate.find_date(html, url=page.url, extensive_search=True, original_date=True)
    except Exception:
        found = None
    if found:
        return found
    try:
        metadata = trafilatura.extract_metadata(html, default_url=page.url)
    except Exception:
        metadata = None
    return getattr(metadata, "date", None)


@dataclass
class DateCheck:
    """wiretrace's publication date on one page, and how it compares with the evidence."""

    sha: str
    domain: str
    published: str | None
    source: str | None
    url_date: str | None
    independent_date: str | None
    has_date: bool  # the proxy: the URL or an independent reading of the page holds a date
    plausible: bool  # found, not before 1995, not in the future, and within a day of the URL's date
    problem: str | None = field(default=None)


def check_date(page: Gold, score: PageScore, today: date) -> DateCheck:
    """Classify wiretrace's date for one page (see :class:`DateCheck`)."""
    in_url, independent = url_date(page.url), independent_date(page)
    problem = None
    if score.published is None:
        problem = "no date" if score.ok else "extraction failed"
    else:
        found = datetime.fromisoformat(score.published).date()
        if found < EARLIEST_PLAUSIBLE or found > today + timedelta(days=1):
            problem = f"implausible date {found.isoformat()}"
        elif in_url is not None and abs(found - in_url) > URL_DATE_TOLERANCE:
            problem = f"{found.isoformat()} but the URL says {in_url.isoformat()}"
    return DateCheck(page.sha, page.domain, score.published, score.published_source,
                     in_url.isoformat() if in_url else None, independent, bool(in_url or independent),
                     problem is None, problem)


def measure_dates(pages: list[Gold], scores: list[PageScore]) -> tuple[list[DateCheck], dict[str, Any]]:
    """Date coverage: found (not None), found and plausible, by source, against the has-a-date proxy."""
    today = datetime.now(timezone.utc).date()
    checks = [check_date(page, score, today) for page, score in zip(pages, scores)]
    having = [c for c in checks if c.has_date]
    with_url = [c for c in checks if c.url_date]
    summary = {
        "pages": len(checks),
        "pages_with_a_date_proxy": len(having),
        "pages_with_url_date": len(with_url),
        "found": sum(c.published is not None for c in checks),
        "found_among_having": sum(c.published is not None for c in having),
        "plausible_among_having": sum(c.plausible for c in having),
        "by_source": dict(Counter(c.source or "none" for c in checks)),
        "plausible_by_source": dict(Counter(c.source for c in checks if c.plausible)),
        "url_date_agrees": sum(c.plausible for c in with_url),
    }
    n = len(having) or 1
    summary["share_found"] = summary["found_among_having"] / n
    summary["share_plausible"] = summary["plausible_among_having"] / n
    return checks, summary


# --------------------------------------------------------------------------- context and targets


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def machine_info() -> dict[str, Any]:
    """Date, machine, interpreter, library versions and the exact command."""
    return _context.machine_info(
        trafilatura=trafilatura.__version__, htmldate=_dist_version("htmldate"), lxml=_dist_version("lxml")
    )


def check_targets(accuracy: dict[str, Any], dates: dict[str, Any]) -> list[dict[str, str]]:
    """PASS/MISS for: wiretrace mean F1 >= trafilatura default mean F1; dates on >= 90% of pages having one.

    The date target counts plausible dates (a placeholder such as year 1 or
    a date contradicting the URL is not a date found); the raw share of
    non-None dates is shown beside it.
    """
    ours, theirs = accuracy[WIRETRACE], accuracy[TRAFILATURA]
    return [
        {"target": "text F1 >= trafilatura default F1 (mean over pages)",
         "measured": f"{ours['mean_f1']:.3f} vs {theirs['mean_f1']:.3f} (median {ours['median_f1']:.3f} vs "
                     f"{theirs['median_f1']:.3f}; Zyte aggregate {ours['zyte_f1']:.3f} vs {theirs['zyte_f1']:.3f})",
         "status": "PASS" if ours["mean_f1"] >= theirs["mean_f1"] else "MISS"},
        {"target": f"publication date on >= {TARGET_DATE_SHARE:.0%} of pages that have one",
         "measured": f"{dates['plausible_among_having']}/{dates['pages_with_a_date_proxy']} plausible "
                     f"({dates['share_plausible']:.1%}); {dates['found_among_having']} non-None "
                     f"({dates['share_found']:.1%})",
         "status": "PASS" if dates["share_plausible"] >= TARGET_DATE_SHARE else "MISS"},
    ]


# --------------------------------------------------------------------------- printing


def print_header(console: Console, machine: dict[str, Any], folder: Path, pages: list[Gold]) -> None:
    console.rule("wiretrace HTML extraction benchmark")
    for key, value in machine.items():
        console.print(f"{key:>13}: {value}")
    domains = len({p.domain for p in pages})
    megabytes = sum(len(p.html) for p in pages) / 2**20
    console.print(f"\nDataset: {folder} - {len(pages)} pages from {domains} domains, {megabytes:.1f} MB of HTML "
                  f"(decompressed, in memory).")


def print_accuracy(console: Console, accuracy: dict[str, Any]) -> None:
    table = Table(title=f"Text accuracy against the gold articleBody: bags of {SHINGLE_N}-token shingles (Zyte), "
                        "failures count as 0")
    for column in ("extractor", "mean P", "mean R", "mean F1", "median F1", "F1 < 0.5", "failed",
                   "Zyte P / R / F1", "token-bag F1"):
        table.add_column(column, justify="left" if column == "extractor" else "right")
    for name, s in accuracy.items():
        table.add_row(name, f"{s['mean_precision']:.3f}", f"{s['mean_recall']:.3f}", f"{s['mean_f1']:.3f}",
                      f"{s['median_f1']:.3f}", str(s["pages_f1_below_0.5"]), f"{s['failed']}/{s['pages']}",
                      f"{s['zyte_precision']:.3f} / {s['zyte_recall']:.3f} / {s['zyte_f1']:.3f}",
                      f"{s['mean_token_f1']:.3f}")
    console.print(table)


def print_worst(console: Console, scores: dict[str, list[PageScore]], count: int) -> None:
    ours, theirs = scores[WIRETRACE], {s.sha: s for s in scores[TRAFILATURA]}
    table = Table(title=f"The {count} worst pages by wiretrace F1")
    for column in ("sha", "domain", "P", "R", "F1", "trafilatura F1", "chars / gold chars", "note"):
        table.add_column(column, justify="left" if column in ("sha", "domain", "note") else "right")
    for s in sorted(ours, key=lambda s: (s.f1, s.sha))[:count]:
        other = theirs[s.sha]
        table.add_row(s.sha[:10], s.domain, f"{s.precision:.2f}", f"{s.recall:.2f}", f"{s.f1:.2f}",
                      f"{other.f1:.2f}", f"{s.chars:,} / {s.gold_chars:,}", s.error or "")
    console.print(table)


def print_dates(console: Console, summary: dict[str, Any], checks: list[DateCheck]) -> None:
    n = summary["pages"]
    table = Table(title="Publication dates (wiretrace; no crawl date given)")
    for column in ("published_source", "pages", "share", "plausible"):
        table.add_column(column, justify="left" if column == "published_source" else "right")
    plausible = summary["plausible_by_source"]
    for source, count in sorted(summary["by_source"].items(), key=lambda kv: -kv[1]):
        shown = str(plausible.get(source, 0)) if source != "none" else "-"
        table.add_row(source, str(count), f"{count / n:.1%}", shown)
    console.print(table)
    console.print(
        f"Pages that have a date (proxy: a date in the URL, or htmldate's extensive search / trafilatura's "
        f"metadata on the raw page finds one): {summary['pages_with_a_date_proxy']}/{n}. "
        f"wiretrace: {summary['found_among_having']} non-None ({summary['share_found']:.1%}), "
        f"{summary['plausible_among_having']} plausible ({summary['share_plausible']:.1%}). "
        f"URL holds a date on {summary['pages_with_url_date']} pages; wiretrace's date is within "
        f"{URL_DATE_TOLERANCE.days} day of it on {summary['url_date_agrees']}."
    )
    missing = [c for c in checks if not c.plausible]
    if missing:
        table = Table(title="Pages without a plausible date (check by hand)")
        for column in ("sha", "domain", "wiretrace date", "source", "URL date", "htmldate/trafilatura", "problem"):
            table.add_column(column)
        for c in missing:
            table.add_row(c.sha[:10], c.domain, c.published or "-", c.source or "-", c.url_date or "-",
                          c.independent_date or "-", c.problem or "")
        console.print(table)


def print_speed(console: Console, speed: dict[str, Any], pages: int, repeat: int) -> None:
    table = Table(title=f"Speed and memory: {pages} pages, one process, median of {repeat} pass(es)")
    for column in ("extractor", "pages/s", "ms/page", "each pass pages/s", "RSS before MB", "peak RSS MB"):
        table.add_column(column, justify="left" if column == "extractor" else "right")
    for name, s in speed.items():
        table.add_row(name, f"{s['median_pages_per_s']:.1f}", f"{s['median_ms_per_page']:.2f}",
                      ", ".join(f"{r['pages_per_s']:.1f}" for r in s["runs"]),
                      f"{s['rss_before_mb']}", f"{s['peak_rss_mb']}")
    console.print(table)


def measure_scan_read(folder: Path, pages: list[Gold], repeat: int) -> dict[str, Any]:
    """Read stage of ``wiretrace.scan`` over the page files, one process and
    one per core: HTML extraction is what the read stage spends its time on."""
    from wiretrace import scan

    files = [folder / "html" / f"{page.sha}.html.gz" for page in pages]
    out: dict[str, Any] = {}
    for workers in sorted({1, os.cpu_count() or 1}):
        seconds = []
        for _ in range(repeat):
            report = scan(files, workers=workers)
            seconds.append(report.stats["stages"]["read"]["seconds"])
        median = statistics.median(seconds)
        out[str(workers)] = {"read_seconds": seconds, "median_pages_per_s": round(len(files) / median, 1)}
    return out


def print_scan_read(console: Console, result: dict[str, Any], pages: int) -> None:
    table = Table(title=f"wiretrace scan read stage (gzip files, extraction included): {pages} pages, median")
    for column in ("worker processes", "pages/s", "read seconds per pass"):
        table.add_column(column, justify="right")
    for workers, r in result.items():
        table.add_row(workers, f"{r['median_pages_per_s']:.1f}", ", ".join(f"{x:.2f}" for x in r["read_seconds"]))
    console.print(table)


def print_targets(console: Console, checks: list[dict[str, str]]) -> None:
    table = Table(title="Targets")
    for column in ("target", "measured", "result"):
        table.add_column(column)
    for check in checks:
        colour = "green" if check["status"] == "PASS" else "red"
        table.add_row(check["target"], check["measured"], f"[{colour}]{check['status']}[/]")
    console.print(table)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared",
                        help=f"folder holding data/{DATASET}")
    parser.add_argument("--json", type=Path, help="also write every number (and per-page scores) to this JSON file")
    parser.add_argument("--limit", type=int, help="only the first N pages (sha order)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per extractor; the median is reported")
    args = parser.parse_args(argv)
    if (args.limit is not None and args.limit < 1) or args.repeat < 1:
        parser.error("--limit and --repeat must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    folder, reason = find_dataset(args.shared)
    if folder is None:
        console.print(f"Extraction benchmark skipped: {reason} "
                      f"(the {DATASET} corpus is needed; see benchmarks/README.md).")
        return 0
    machine = machine_info()
    pages = load_pages(folder, args.limit)
    if not pages:
        console.print(f"Extraction benchmark skipped: none of the selected pages has its HTML file in "
                      f"{folder / 'html'}.")
        return 0
    print_header(console, machine, folder, pages)

    start = time.perf_counter()
    scores, accuracy = measure_accuracy(pages)
    checks, dates = measure_dates(pages, scores[WIRETRACE])
    console.print(f"Accuracy and date pass: {time.perf_counter() - start:.1f} s")
    speed = measure_speed(pages, args.repeat)
    scan_read = measure_scan_read(folder, pages, args.repeat)
    targets = check_targets(accuracy, dates)

    print_accuracy(console, accuracy)
    print_worst(console, scores, min(WORST_SHOWN, len(pages)))
    print_dates(console, dates, checks)
    print_speed(console, speed, len(pages), args.repeat)
    print_scan_read(console, scan_read, len(pages))
    print_targets(console, targets)

    if args.json:
        results = {
            "machine": machine,
            "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "dataset": {"folder": str(folder), "pages": len(pages), "domains": len({p.domain for p in pages})},
            "scoring": {"tokens": r"\w+ (case kept)", "shingle_n": SHINGLE_N, "bag": "multiset intersection",
                        "failures": "P = R = F1 = 0 in the mean_* and median figures"},
            "accuracy": accuracy,
            "dates": {"summary": dates, "pages": [asdict(c) for c in checks]},
            "speed": speed,
            "scan_read_stage": scan_read,
            "targets": targets,
            "pages": {name: [asdict(s) for s in values] for name, values in scores.items()},
        }
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        console.print(f"Wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
