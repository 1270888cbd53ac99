"""report.html at scale: size, render time and how the page behaves in a browser.

Usage::

    .venv/bin/python benchmarks/bench_html.py [--docs N] [--seed S] [--repeat R] [--json OUT] [--no-browser]

Scans the synthetic corpus of bench_throughput.py (100,000 documents give
about 10,000 clusters), then

* renders report.html ``R`` times and writes report.json ``R`` times in the
  same process: render time is quoted as a median and as a ratio to writing
  report.json, the baseline every scan pays anyway;
* measures the page: total size, the cluster index, the compressed views
  (and their size before compression), the largest chunk;
* opens it in Debian's Chromium (Playwright): time until the page's script
  has run, to open a cluster view from the first and the last chunk, to
  filter the list, and the JS heap used (medians over ``R`` page loads).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from wiretrace import Config, scan
from wiretrace.html import render_html

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _context  # noqa: E402
from bench_throughput import build_corpus  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def timed(fn, repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def page_sizes(page: str) -> dict[str, Any]:
    chunks = re.findall(r'<script type="application/octet-stream" class="wt-chunk" data-chunk="\d+">([^<]*)</script>',
                        page)
    raw = [len(gzip.decompress(base64.b64decode(c))) for c in chunks]
    index = re.search(r'<script type="application/json" id="wt-index">(.*?)</script>', page, re.S).group(1)
    return {
        "page_mb": round(len(page.encode()) / 1e6, 2),
        "index_mb": round(len(index.encode()) / 1e6, 2),
        "views_compressed_mb": round(sum(len(c) for c in chunks) / 1e6, 2),
        "views_raw_mb": round(sum(raw) / 1e6, 2),
        "compression_ratio": round(sum(raw) / max(1, sum(len(base64.b64decode(c)) for c in chunks)), 2),
        "chunks": len(chunks),
        "largest_chunk_raw_kb": round(max(raw, default=0) / 1e3, 1),
    }


def browser_figures(path: Path, clusters: list[dict[str, Any]], repeat: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    runs: dict[str, list[float]] = {"ready_s": [], "open_first_cluster_s": [], "open_last_cluster_s": [],
                                    "filter_s": [], "heap_mb": []}
    first, last = clusters[0]["id"], clusters[-1]["id"]
    word = "zz-not-found"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeat):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            start = time.perf_counter()
            page.goto(path.as_uri(), timeout=300_000)
            page.wait_for_selector("html[data-ready]", state="attached", timeout=300_000)
            runs["ready_s"].append(time.perf_counter() - start)
            for key, cluster in (("open_first_cluster_s", first), ("open_last_cluster_s", last)):
                start = time.perf_counter()
                page.evaluate("h => { location.hash = h; }", f"cluster/{cluster}")
                page.wait_for_selector(f"#view-detail [data-fragment='cluster:{cluster}']")
                runs[key].append(time.perf_counter() - start)
            page.evaluate("() => { location.hash = 'clusters'; }")
            start = time.perf_counter()
            page.fill("#f-text", word)
            page.wait_for_function("document.querySelectorAll('#cluster-rows tr').length === 0")
            runs["filter_s"].append(time.perf_counter() - start)
            runs["heap_mb"].append(page.evaluate("performance.memory.usedJSHeapSize") / 1e6)
            page.close()
        browser.close()
    return {key: round(statistics.median(values), 3) for key, values in runs.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", metavar="OUT")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    console = Console()
    machine = _context.machine_info()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, _, _, corpus = build_corpus(args.docs, args.seed, folder)
        start = time.perf_counter()
        report = scan([str(path)], Config())
        scan_seconds = time.perf_counter() - start
        data = report.to_dict()
        json_seconds, _ = timed(lambda: (folder / "report.json").write_text(report.to_json(), encoding="utf-8"),
                                args.repeat)
        render_seconds, page = timed(lambda: render_html(data), args.repeat)
        html_path = folder / "report.html"
        html_path.write_text(page, encoding="utf-8")
        results: dict[str, Any] = {
            "machine": machine,
            "arguments": vars(args),
            "corpus": corpus,
            "scan": {"seconds": round(scan_seconds, 2), "clusters": len(data["clusters"]),
                     "documents_in_clusters": data["stats"]["documents_in_clusters"],
                     "edges": sum(len(p["edges"]) for p in data["provenance"]),
                     "report_json_mb": round((folder / "report.json").stat().st_size / 1e6, 2)},
            "render": {"html_seconds": round(render_seconds, 3), "report_json_seconds": round(json_seconds, 3),
                       "ratio_to_report_json": round(render_seconds / json_seconds, 2)},
            "size": page_sizes(page),
        }
        if not args.no_browser and Path(CHROMIUM).exists():
            results["browser"] = browser_figures(html_path, data["clusters"], args.repeat)
    table = Table(title=f"report.html for {corpus['documents']:,} documents, {results['scan']['clusters']:,} clusters")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for group in ("scan", "render", "size", "browser"):
        for key, value in results.get(group, {}).items():
            table.add_row(f"{group}.{key}", str(value))
    console.print(f"{machine['date']} {machine['platform']} cpus={machine['cpu_count']} git={machine['wiretrace_git']}")
    console.print(table)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
