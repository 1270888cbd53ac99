"""Scaling: the whole ``wiretrace scan`` command, outputs written, at growing corpus sizes.

Usage::

    .venv/bin/python benchmarks/bench_scaling.py [--sizes 1000,10000,100000,1000000]
        [--engine local] [--engine ray] [--workers W] [--memory-limit-gb G]
        [--spill-documents 0,50000] [--json OUT]

For each size the deterministic synthetic corpus of ``bench_throughput.py``
(:mod:`wiretrace.evaluation.synthetic`, 600-word news stories with copies) is
written as JSONL to a temporary folder (not timed), then ``python -m
wiretrace scan FILE --out DIR --json -q`` runs as a child process, once per
engine. Measured for each run:

* **wall seconds** of the command, start-up and every output written
  (report.json, report.html, pairs.csv, the provenance graph) included, and
  documents per second;
* **peak memory of the whole process tree** (the command and its workers,
  or Ray's processes started by it), sampled from /proc every 50 ms: the
  proportional set size (PSS, ``smaps_rollup``), which counts a page that
  forked workers share once -- the sum of their resident sizes (also
  recorded) counts it in every process;
* **disk**: the input file, the output folder, and what the run kept in
  its spill files (``run.spill_documents``; ``--spill-documents`` runs each
  size once per value given);
* **per-stage seconds** as the command reports them (``--json``:
  ``stage_seconds``), and what is left of the wall time: start-up, reading
  the command's arguments and writing the outputs.

A size is skipped, with the reason printed, when the peak memory measured at
the largest size run so far, scaled linearly, would pass ``--memory-limit-gb``
(default: 90% of this machine's memory): the run would be killed, not
measured. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _context  # noqa: E402

from wiretrace.evaluation.synthetic import generate_corpus, write_jsonl  # noqa: E402


def _folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def run_scan(corpus: Path, out: Path, engine: str, workers: int, config: Path | None = None) -> dict[str, Any]:
    """One ``wiretrace scan`` as a child process, measured (module doc)."""
    command = [sys.executable, "-m", "wiretrace", "scan", str(corpus), "--out", str(out), "--json", "-q",
               "--engine", engine, "--workers", str(workers), *(["--config", str(config)] if config else [])]
    # the child's tree only: this process generated the corpus and holds what the
    # allocator has not handed back (before 2026-12-06's seventh session it was counted)
    harness_mb = round(_context.TreePeak.tree_pss_mb(os.getpid()), 1)  # what was counted on top before
    peak, rss_peak = _context.TreePeak(proportional=True, root=-1), _context.TreePeak(root=-1)
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        peak.root = rss_peak.root = child.pid
        with peak, rss_peak:
            stdout, stderr = child.communicate()
        wall = time.perf_counter() - started
    done = subprocess.CompletedProcess(command, child.returncode, stdout, stderr)
    if done.returncode not in (0, 1):  # 1: copies found (a finding, not a failure)
        how = f"killed by signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
        return {"engine": engine, "failed": f"{how} after {wall:.0f} s, peak {peak.peak_mb:,.0f} MB (PSS)",
                "stderr": done.stderr[-2000:], "peak_tree_pss_mb": peak.peak_mb}
    summary = json.loads(done.stdout)
    stages = {name: round(seconds or 0.0, 2) for name, seconds in summary["stage_seconds"].items()}
    return {
        "engine": engine,
        "documents": summary["documents"],
        "wall_seconds": round(wall, 2),
        "docs_per_second": round(summary["documents"] / wall),
        "analysis_seconds": round(summary["seconds"], 2),
        "startup_and_writing_seconds": round(wall - summary["seconds"], 2),
        "peak_tree_pss_mb": peak.peak_mb,
        "peak_tree_rss_sum_mb": rss_peak.peak_mb,
        "harness_pss_mb": harness_mb,  # this process, not counted in the peaks
        "input_mb": round(corpus.stat().st_size / 2**20, 1),
        "output_mb": _folder_mb(out),
        "spill_mb": summary.get("spill_mb", 0),
        "clusters": summary["clusters"],
        "verified_pairs": summary["verified_pairs"],
        "stage_seconds": stages,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000", help="comma-separated corpus sizes")
    parser.add_argument("--engine", action="append", choices=("local", "ray"), help="repeatable; default: local")
    parser.add_argument("--workers", type=int, default=0, help="0: one per core")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--memory-limit-gb", type=float, default=None, help="default: 90%% of the machine's memory")
    parser.add_argument("--spill-documents", default="",
                        help="comma-separated values of run.spill_documents to run each size with (0: never spill); "
                             "default: the packaged value")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    spills: list[int | None] = [int(v) for v in args.spill_documents.split(",") if v] or [None]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    engines = args.engine or ["local"]
    limit_gb = args.memory_limit_gb or 0.9 * _context.machine_memory_gb()
    console = Console(width=max(Console().width, 120))
    results: dict[str, Any] = {"machine": _context.machine_info(), "memory_limit_gb": round(limit_gb, 1), "runs": [],
                               "failed": [], "skipped": []}
    largest: tuple[int, float] | None = None  # (size, peak MB) of the largest run so far
    with tempfile.TemporaryDirectory(prefix="wiretrace-scaling-") as tmp:
        for size in sizes:
            if largest is not None:
                estimate_gb = largest[1] / 1024 * size / largest[0]
                if estimate_gb > limit_gb:
                    reason = (f"{size:,} documents: about {estimate_gb:.0f} GB of peak memory by the {largest[0]:,} run "
                              f"scaled linearly, over the {limit_gb:.0f} GB limit")
                    console.print(f"[yellow]skipped[/]: {reason}")
                    results["skipped"].append({"documents": size, "reason": reason})
                    continue
            corpus = Path(tmp) / f"corpus-{size}.jsonl"
            write_jsonl(generate_corpus(size, seed=args.seed), corpus)
            _context.release_memory()  # the generator's memory is not the scan's (not measured: harness_pss_mb)
            for engine, spill in ((e, v) for e in engines for v in spills):
                out = Path(tmp) / f"out-{size}-{engine}"
                config = None
                if spill is not None:
                    config = Path(tmp) / f"spill-{spill}.toml"
                    config.write_text(f"[run]\nspill_documents = {spill}\n", encoding="utf-8")
                run = run_scan(corpus, out, engine, args.workers, config)
                run["size"] = size
                if spill is not None:
                    run["spill_documents"] = spill
                if "failed" in run:
                    results["failed"].append(run)
                    console.print(f"[red]{size:,} documents, {engine}: failed[/]: {run['failed']}")
                else:
                    results["runs"].append(run)
                    console.print(f"{size:,} documents, {engine}: {run['wall_seconds']} s, "
                                  f"{run['peak_tree_pss_mb']:,.0f} MB peak (PSS), spilled {run['spill_mb']:,.0f} MB")
                largest = (size, max(largest[1] if largest and largest[0] == size else 0, run["peak_tree_pss_mb"]))
                shutil.rmtree(out, ignore_errors=True)
            corpus.unlink()

    table = Table(title="wiretrace scan, end to end (outputs written)")
    for column in ("documents", "engine", "wall s", "docs/s", "peak MB (tree, PSS)", "input MB", "output MB",
                   "spill MB", "analysis s", "start-up + writing s"):
        table.add_column(column, justify="right")
    for run in results["runs"]:
        table.add_row(f"{run['documents']:,}", run["engine"], f"{run['wall_seconds']:.1f}",
                      f"{run['docs_per_second']:,}", f"{run['peak_tree_pss_mb']:,.0f}", f"{run['input_mb']:,.0f}",
                      f"{run['output_mb']:,.0f}", f"{run['spill_mb']:,.0f}", f"{run['analysis_seconds']:.1f}",
                      f"{run['startup_and_writing_seconds']:.1f}")
    console.print(table)
    stages = Table(title="per-stage seconds (the command's own; start-up and writing: above)")
    stages.add_column("stage")
    for run in results["runs"]:
        spill = f" spill {run['spill_documents']:,}" if "spill_documents" in run else ""
        stages.add_column(f"{run['documents']:,} {run['engine']}{spill}", justify="right")
    names = list(dict.fromkeys(n for run in results["runs"] for n in run["stage_seconds"]))
    for name in names:
        stages.add_row(name, *(f"{run['stage_seconds'].get(name, 0):.2f}" for run in results["runs"]))
    console.print(stages)
    for failed in results["failed"]:
        console.print(f"failed: {failed['size']:,} documents, {failed['engine']}: {failed['failed']}")
    for skipped in results["skipped"]:
        console.print(f"skipped: {skipped['reason']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
