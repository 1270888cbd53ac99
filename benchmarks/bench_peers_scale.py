"""Peers side by side at scale: wiretrace, datatrove, a rensa pipeline and
plain datasketch on the same synthetic corpora, in one run.

Usage::

    .venv/bin/python benchmarks/bench_peers_scale.py [--sizes 100000,1000000]
        [--peers wiretrace,datatrove,rensa,datasketch] [--workers 2]
        [--peer-python .venv-peers/bin/python] [--memory-limit-gb G]
        [--json OUT]

``make bench-peers`` builds ``.venv-peers`` (datatrove, rensa, datasketch:
their dependencies are not wiretrace's) and runs this at 100,000 documents.

For each size the deterministic synthetic corpus of ``bench_scaling.py``
(:mod:`wiretrace.evaluation.synthetic`: news stories and their copies --
exact, in another site's chrome, trimmed, edited, copies of copies) is
written as JSONL (not timed). Then each peer runs as a child process, one
after the other, on the same file (``benchmarks/peer_pipelines.py`` says
how each peer is run):

* **wiretrace**: the whole ``wiretrace scan`` command with ``--workers``,
  every output written (report.json, report.html, pairs.csv, the graph):
  what it finds is more than clusters (origins, credits, passages), and
  all of it is timed. Its clusters are read from ``pairs.csv`` afterwards.
* **datatrove**: its MinHash deduplication, four stages, local executor,
  ``--workers`` processes;
* **rensa** and **datasketch**: shingling in Python, MinHash, LSH, every
  document queried, estimated Jaccard >= ``verify.jaccard`` (0.5), and
  union-find: one process.

Measured per run: wall seconds of the child (start-up included), the
seconds its pipeline reports (wiretrace: the analysis, from ``--json``),
documents per second of the wall time, the peak memory of the child's whole
process tree (PSS, sampled from /proc: forked workers' shared pages
counted once; this process, which measures, is not counted), and **pair
precision and recall** against the generator's
truth: two documents are a true pair when they come from one story, and a
peer's pair when it puts them in one cluster. A peer that is not installed
is listed as skipped with the reason, and so is a peer at a size where
the peak it had at the largest size run so far, scaled linearly, would
pass ``--memory-limit-gb`` (default: 80% of this machine's memory): the
run would be killed or swap, not measured. wiretrace is not projected:
past ``run.spill_documents`` (200,000) it keeps texts and shingle sets on
disk, so its memory does not grow linearly (``bench_scaling.py``: 1.6 GB
at 100,000 documents, 6.1 GB at 1,000,000). Nothing is written into the
repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _context  # noqa: E402

from wiretrace.config import Config, lsh_params  # noqa: E402
from wiretrace.evaluation.synthetic import Corpus, generate_corpus, write_jsonl  # noqa: E402

PEERS = ("wiretrace", "datatrove", "rensa", "datasketch")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def pair_scores(labels: np.ndarray, story: np.ndarray) -> dict[str, Any]:
    """Pair precision and recall of clusters (``labels``, -1: none) against
    stories: every two documents of one cluster are a found pair, every two
    of one story a true pair. Counted, not listed (a story on many sites
    has millions of pairs)."""
    def pairs(keys: np.ndarray) -> int:
        _, counts = np.unique(keys, return_counts=True)
        return int((counts * (counts - 1) // 2).sum())

    clustered = labels >= 0
    found = pairs(labels[clustered])
    true = pairs(story)
    both = pairs(labels[clustered] * (int(story.max()) + 1) + story[clustered])
    return {"pairs_found": found, "pairs_true": true, "pairs_right": both,
            "precision": round(both / found, 4) if found else None,
            "recall": round(both / true, 4) if true else None}


def wiretrace_labels(out: Path, ids: list[str]) -> np.ndarray:
    """One cluster label per document from the scan's ``pairs.csv`` (every
    clustered document is in one of its cluster's verified pairs)."""
    position = {doc_id: i for i, doc_id in enumerate(ids)}
    labels = np.full(len(ids), -1, dtype=np.int64)
    csv.field_size_limit(2**31 - 1)
    with open(out / "pairs.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            number = int(row["cluster"].lstrip("c"))
            labels[position[row["a"]]] = labels[position[row["b"]]] = number
    return labels


def run_peer(peer: str, corpus: Path, work: Path, workers: int, python: str) -> dict[str, Any]:
    """One peer as a child process, measured (module doc)."""
    work.mkdir(parents=True)
    if peer == "wiretrace":
        command = [sys.executable, "-m", "wiretrace", "scan", str(corpus), "--out", str(work / "out"), "--json",
                   "-q", "--workers", str(workers)]
    else:
        bands, rows = lsh_params(Config())
        command = [python, str(HERE / "peer_pipelines.py"), peer, str(corpus), str(work / "run"),
                   str(work / "labels.txt"), "--workers", str(workers), "--bands", str(bands), "--rows", str(rows),
                   "--threshold", str(Config().jaccard_threshold), "--shingle", str(Config().shingle_size)]
    # the child's tree only: this process holds the corpus's truth and, after generating
    # it, memory the allocator has not handed back
    peak = _context.TreePeak(proportional=True, root=-1)
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        peak.root = child.pid
        with peak:
            stdout, stderr = child.communicate()
        wall = time.perf_counter() - started
    if child.returncode not in (0, 1):  # wiretrace exits 1 when it found copies
        return {"failed": f"exit {child.returncode} after {wall:.0f} s", "stderr": stderr[-1500:]}
    # wiretrace's --json is one indented object; a peer prints one line last
    summary = json.loads(stdout if peer == "wiretrace" else stdout.strip().splitlines()[-1])
    return {"wall_seconds": round(wall, 2), "pipeline_seconds": round(summary["seconds"], 2),
            "peak_tree_pss_mb": peak.peak_mb, "counts": {k: v for k, v in summary.items()
                                                          if k in ("pairs", "buckets", "verified_pairs", "clusters",
                                                                   "untimed_seconds")}}


def installed(python: str, peer: str) -> str | None:
    """Why ``peer`` cannot run with ``python`` (None: it can)."""
    module = {"datatrove": "datatrove.pipeline.dedup", "rensa": "rensa", "datasketch": "datasketch"}[peer]
    check = subprocess.run([python, "-c", f"import {module}"], capture_output=True, text=True)
    if check.returncode:
        return f"{module} is not importable by {python} (make bench-peers installs it)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--peer-python", default=None,
                        help="Python of the peers' environment (default: .venv-peers's if it exists, else this one)")
    parser.add_argument("--memory-limit-gb", type=float, default=None,
                        help="skip a peer whose projected peak passes this (default: 80%% of this machine's memory)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    console = Console()
    venv = ROOT / ".venv-peers" / "bin" / "python"
    python = args.peer_python or (str(venv) if venv.exists() else sys.executable)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        parser.error(f"unknown peers {unknown}: choose from {', '.join(PEERS)}")
    versions = {}
    for peer in peers:
        if peer != "wiretrace":
            got = subprocess.run([python, "-c", f"import importlib.metadata as m; print(m.version({peer!r}))"],
                                 capture_output=True, text=True)
            versions[peer] = got.stdout.strip() or None
    out: dict[str, Any] = {"machine": _context.machine_info(**versions), "workers": args.workers,
                           "peer_python": python, "sizes": {}}
    console.print(out["machine"])
    limit_mb = (args.memory_limit_gb or 0.8 * _context.machine_memory_gb()) * 1024
    measured: dict[str, tuple[int, float]] = {}  # peer -> (largest size run, its peak MB)
    for size in [int(s) for s in args.sizes.split(",") if s]:
        folder = Path(tempfile.mkdtemp(prefix="wiretrace-peers-"))
        try:
            corpus: Corpus = generate_corpus(size, args.seed)
            path = folder / "corpus.jsonl"
            write_jsonl(corpus, path)
            story = np.asarray(corpus.story, dtype=np.int64)
            ids = [Corpus.doc_id(i) for i in range(size)]
            del corpus
            _context.release_memory()
            results: dict[str, Any] = {}
            for peer in peers:
                if peer != "wiretrace" and (why := installed(python, peer)):
                    results[peer] = {"skipped": why}
                elif peer != "wiretrace" and peer in measured and measured[peer][1] * size / measured[peer][0] > limit_mb:
                    done, peak = measured[peer]
                    results[peer] = {"skipped": f"~{peak * size / done / 1024:.0f} GB by its {peak:,.0f} MB at "
                                                f"{done:,} documents scaled linearly, over the "
                                                f"{limit_mb / 1024:.1f} GB limit"}
                else:
                    work = folder / peer
                    result = run_peer(peer, path, work, args.workers, python)
                    if "failed" not in result:
                        labels = (wiretrace_labels(work / "out", ids) if peer == "wiretrace" else
                                  np.loadtxt(work / "labels.txt", dtype=np.int64, ndmin=1))
                        result |= pair_scores(labels, story)
                        result["docs_per_second"] = round(size / result["wall_seconds"])
                        measured[peer] = (size, result["peak_tree_pss_mb"])
                    shutil.rmtree(work, ignore_errors=True)
                    results[peer] = result
                console.print(size, peer, results[peer])
            out["sizes"][size] = results
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    table = Table(title=f"peers side by side ({args.workers} workers where a peer takes them)")
    for column in ("documents", "peer", "wall s", "docs/s", "peak MB (tree PSS)", "precision", "recall"):
        table.add_column(column, justify="left" if column == "peer" else "right")
    for size, results in out["sizes"].items():
        for peer, r in results.items():
            if "wall_seconds" in r:
                table.add_row(f"{size:,}", peer, f"{r['wall_seconds']:.1f}", f"{r['docs_per_second']:,}",
                              f"{r['peak_tree_pss_mb']:,.0f}", str(r["precision"]), str(r["recall"]))
            else:
                table.add_row(f"{size:,}", peer, "skipped" if "skipped" in r else "failed", "", "", "", "")
    console.print(table)
    for size, results in out["sizes"].items():
        for peer, r in results.items():
            if "wall_seconds" not in r:
                console.print(f"{peer} at {size:,}: {r.get('skipped') or r.get('failed')}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
