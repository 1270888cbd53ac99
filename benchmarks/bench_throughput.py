"""Throughput, memory and accuracy of wiretrace against a plain datasketch pipeline.

Usage::

    .venv/bin/python benchmarks/bench_throughput.py [--docs N] [--baseline-docs M]
        [--workers W] [--repeat R] [--baseline-repeat B] [--seed S] [--json OUT]

A synthetic news corpus with known copies (:mod:`synthetic`) is written as
JSONL to a temporary folder; wiretrace scans it ``R`` times (medians are
reported), then two datasketch baselines fingerprint and LSH-index the first
``M`` documents of the same file. See benchmarks/README.md for what every
number means.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import datasketch
import numpy as np
from datasketch import MinHash, MinHashLSH
from rich.console import Console
from rich.table import Table

from wiretrace import Config, scan
from wiretrace.stages import peak_rss_mb, reset_peak_rss, rss_mb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _context  # noqa: E402
from wiretrace.evaluation.synthetic import COPY_KINDS, generate_corpus, true_pair_keys, write_jsonl  # noqa: E402

STAGES = (
    "read", "clean", "normalise", "fingerprint", "wire", "candidates", "verify", "cluster", "credits", "provenance", "align",
    "attribute", "report",
)
BASELINE_SHINGLE = 5
BASELINE_NUM_PERM = 128
BASELINE_THRESHOLD = 0.5
TARGET_PER_CORE = 10_000  # fingerprinting docs/s per core
TARGET_SCAN_DOCS, TARGET_SCAN_SECONDS = 100_000, 20.0
TARGET_SPEEDUP = 20.0
PLAIN, BATCH = "(a) per-shingle update", "(b) update_batch"  # the two baselines
_WORD = re.compile(r"\w+")


# --------------------------------------------------------------------------- memory


def children_peak_rss_mb() -> float:
    """Largest peak RSS of any finished child process so far, MB (Linux: ru_maxrss in kB)."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


# --------------------------------------------------------------------------- context


def machine_info() -> dict[str, Any]:
    """Date, machine, interpreter, library versions and the exact command."""
    return _context.machine_info(numpy=np.__version__, datasketch=datasketch.__version__)


# --------------------------------------------------------------------------- corpus


def build_corpus(n_docs: int, seed: int, folder: Path) -> tuple[Path, np.ndarray, list[str], dict[str, Any]]:
    """Generate the corpus and write it as JSONL into ``folder``.

    Returns:
        ``(jsonl_path, story, kind, info)``: the ground truth (base story and
        transformation of each document) and generation figures. The texts
        themselves are dropped so they do not weigh on the memory figures.
    """
    start = time.perf_counter()
    corpus = generate_corpus(n_docs, seed)
    generated = time.perf_counter()
    path = folder / "corpus.jsonl"
    size = write_jsonl(corpus, path)
    written = time.perf_counter()
    words = np.fromiter((len(t.split()) for t in corpus.texts), dtype=np.int64, count=len(corpus))
    original = words[np.array([k == "original" for k in corpus.kind])]
    info = {
        "documents": len(corpus),
        "seed": seed,
        "generate_seconds": round(generated - start, 3),
        "write_seconds": round(written - generated, 3),
        "jsonl_mb": round(size / 2**20, 1),
        "words_mean": round(float(words.mean()), 1),
        "original_words_mean": round(float(original.mean()), 1),
        "original_words_min": int(original.min()),
        "original_words_max": int(original.max()),
        "kinds": dict(Counter(corpus.kind)),
        "sites": len(corpus.site_names),
    }
    return path, corpus.story, corpus.kind, info


def load_texts(path: Path, limit: int) -> list[str]:
    """The texts of the first ``limit`` records of a JSONL file."""
    texts = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if len(texts) == limit:
                break
            texts.append(json.loads(line)["text"])
    return texts


def doc_index(doc_id: str) -> int:
    """Index of a document from its id (``doc0000042`` -> 42)."""
    return int(doc_id[3:])


# --------------------------------------------------------------------------- wiretrace


def run_wiretrace(path: Path, workers: int, n_docs: int) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """One ``scan`` of the corpus.

    Returns:
        ``(figures, verified_keys, cluster_keys)``: the timing and memory
        figures, and the pair keys (``a * n_docs + b``) of the verified
        pairs and of all pairs implied by cluster membership.
    """
    _context.release_memory()  # what the previous phase freed counts in neither this one's RSS nor its workers'
    rss_before = rss_mb()
    cpu_before = _cpu_seconds(resource.RUSAGE_SELF), _cpu_seconds(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    report = scan([str(path)], Config(workers=workers))
    call_seconds = time.perf_counter() - start
    cpu_main = _cpu_seconds(resource.RUSAGE_SELF) - cpu_before[0]
    cpu_children = _cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_before[1]
    stats = report.stats
    stages = {name: dict(stats["stages"][name]) for name in STAGES}
    n = stats["documents"]
    busy = stages["normalise"]["cpu_seconds"] + stages["fingerprint"]["cpu_seconds"]
    fingerprint_wall = stages["normalise"]["seconds"] + stages["fingerprint"]["seconds"]
    figures = {
        "documents": n,
        "workers": stats["workers"],
        "verified_pairs": stats["verified_pairs"],
        "candidate_pairs": stats["candidate_pairs"],
        "clusters": stats["clusters"],
        "rss_before_mb": rss_before,
        "cpu_main_seconds": cpu_main,
        "cpu_children_seconds": cpu_children,
        "scan_seconds": round(call_seconds, 6),
        "stats_total_seconds": stats["total_seconds"],
        "outside_stats_seconds": round(call_seconds - stats["total_seconds"], 6),
        "stages": stages,
        "fingerprint_docs_per_s_per_core": n / busy,
        "fingerprint_docs_per_s_wall": n / fingerprint_wall,
        "scan_docs_per_s": n / call_seconds,
        "scan_excl_read_seconds": call_seconds - stages["read"]["seconds"],
        "scan_excl_read_docs_per_s": n / (call_seconds - stages["read"]["seconds"]),
        "main_peak_rss_mb": max(s["peak_rss_mb"] for s in stages.values()),
    }
    verified = np.array([doc_index(p["a"]) * n_docs + doc_index(p["b"]) for p in report.pairs], dtype=np.int64)
    cluster_keys = []
    for cluster in report.clusters:
        members = np.sort([doc_index(m) for m in cluster["members"]])
        a, b = np.triu_indices(len(members), k=1)
        cluster_keys.append(members[a] * n_docs + members[b])
    clustered = np.unique(np.concatenate(cluster_keys)) if cluster_keys else np.empty(0, dtype=np.int64)
    del report
    return figures, np.unique(verified), clustered


def _cpu_seconds(who: int) -> float:
    """User + system CPU seconds of this process or of its finished children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def median_figures(runs: list[Any]) -> Any:
    """Element-wise median of same-shaped figure dicts (numbers); other values from the first run."""
    first = runs[0]
    if isinstance(first, dict):
        return {key: median_figures([run[key] for run in runs]) for key in first}
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return statistics.median(runs)
    return first


# --------------------------------------------------------------------------- baselines


def baseline_shingles(text: str) -> list[str]:
    """The plain pipeline's shingles: lower-cased ``\\w+`` words, 5 at a time, space-joined."""
    tokens = _WORD.findall(text.lower())
    return [" ".join(tokens[i : i + BASELINE_SHINGLE]) for i in range(len(tokens) - BASELINE_SHINGLE + 1)]


def baseline_fingerprints(texts: list[str], batch: bool) -> list[MinHash]:
    """One ``datasketch.MinHash`` per text: per-shingle ``update`` or one ``update_batch``."""
    minhashes = []
    for text in texts:
        m = MinHash(num_perm=BASELINE_NUM_PERM)
        if batch:
            m.update_batch([s.encode("utf-8") for s in baseline_shingles(text)])
        else:
            for shingle in baseline_shingles(text):
                m.update(shingle.encode("utf-8"))
        minhashes.append(m)
    return minhashes


def baseline_candidates(minhashes: list[MinHash], n_docs: int) -> tuple[np.ndarray, float, float]:
    """Index every MinHash in a ``MinHashLSH`` and query every one.

    Returns:
        ``(pair_keys, insert_seconds, query_seconds)``; keys ``a * n_docs + b``.
    """
    start = time.perf_counter()
    lsh = MinHashLSH(threshold=BASELINE_THRESHOLD, num_perm=BASELINE_NUM_PERM)
    with lsh.insertion_session() as session:
        for key, m in enumerate(minhashes):
            session.insert(key, m)
    inserted = time.perf_counter()
    keys = set()
    for key, m in enumerate(minhashes):
        for other in lsh.query(m):
            if other != key:
                a, b = (key, other) if key < other else (other, key)
                keys.add(a * n_docs + b)
    queried = time.perf_counter()
    return np.array(sorted(keys), dtype=np.int64), inserted - start, queried - inserted


def run_baseline(texts: list[str], batch: bool, n_docs: int) -> tuple[dict[str, Any], np.ndarray]:
    """Fingerprint + LSH of ``texts`` with datasketch; figures and candidate pair keys."""
    _context.release_memory()  # what the previous phase freed counts in neither this one's RSS nor its workers'
    rss_before = rss_mb()
    reset_peak_rss()
    start = time.perf_counter()
    minhashes = baseline_fingerprints(texts, batch)
    fingerprint_seconds = time.perf_counter() - start
    keys, insert_seconds, query_seconds = baseline_candidates(minhashes, n_docs)
    peak = peak_rss_mb()
    del minhashes
    m = len(texts)
    pipeline_seconds = fingerprint_seconds + insert_seconds + query_seconds
    figures = {
        "documents": m,
        "fingerprint_seconds": fingerprint_seconds,
        "lsh_insert_seconds": insert_seconds,
        "lsh_query_seconds": query_seconds,
        "pipeline_seconds": pipeline_seconds,
        "fingerprint_docs_per_s": m / fingerprint_seconds,
        "lsh_docs_per_s": m / (insert_seconds + query_seconds),
        "pipeline_docs_per_s": m / pipeline_seconds,
        "candidate_pairs": len(keys),
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
    }
    return figures, keys


# --------------------------------------------------------------------------- accuracy


def pair_accuracy(found: np.ndarray, truth: np.ndarray, documents: int) -> dict[str, Any]:
    """Recall and precision of a set of pair keys against the true pair keys (among ``documents`` docs)."""
    correct = len(np.intersect1d(found, truth, assume_unique=True))
    return {
        "documents": documents,
        "true_pairs": len(truth),
        "found": len(found),
        "correct": correct,
        "recall": correct / len(truth) if len(truth) else None,
        "precision": correct / len(found) if len(found) else None,
    }


def recall_by_kind(found: np.ndarray, story: np.ndarray, kind: list[str], limit: int) -> dict[str, float | None]:
    """Per transformation: share of (original, copy) pairs among documents ``< limit`` that were found."""
    n = len(story)
    out = {}
    for name in COPY_KINDS:
        copies = np.array([i for i in range(limit) if kind[i] == name], dtype=np.int64)
        if len(copies) == 0:
            out[name] = None
            continue
        keys = story[copies] * n + copies
        out[name] = float(np.isin(keys, found).mean())
    return out


def restrict(keys: np.ndarray, n_docs: int, limit: int) -> np.ndarray:
    """Pair keys ``a * n_docs + b`` whose two documents are both among the first ``limit``."""
    return keys[(keys // n_docs < limit) & (keys % n_docs < limit)]


# --------------------------------------------------------------------------- targets


def check_targets(wt: dict[str, Any], plain: dict[str, Any], n_docs: int) -> list[dict[str, Any]]:
    """PASS/MISS (or N/A) for each performance target."""
    checks = [
        {
            "target": f"fingerprinting >= {TARGET_PER_CORE:,} docs/s per core",
            "measured": f"{wt['fingerprint_docs_per_s_per_core']:,.0f} docs/s per core",
            "status": "PASS" if wt["fingerprint_docs_per_s_per_core"] >= TARGET_PER_CORE else "MISS",
        }
    ]
    if n_docs >= TARGET_SCAN_DOCS:
        scaled = wt["scan_seconds"] * TARGET_SCAN_DOCS / n_docs
        note = "" if n_docs == TARGET_SCAN_DOCS else f" (scaled from {n_docs:,} docs)"
        checks.append({
            "target": f"whole scan of {TARGET_SCAN_DOCS:,} docs < {TARGET_SCAN_SECONDS:g} s",
            "measured": f"{scaled:.1f} s{note}",
            "status": "PASS" if scaled < TARGET_SCAN_SECONDS else "MISS",
        })
    else:
        checks.append({
            "target": f"whole scan of {TARGET_SCAN_DOCS:,} docs < {TARGET_SCAN_SECONDS:g} s",
            "measured": f"only {n_docs:,} docs scanned",
            "status": "N/A",
        })
    for label, ours, theirs in (
        ("fingerprinting (per core vs 1-process baseline)", wt["fingerprint_docs_per_s_per_core"],
         plain["fingerprint_docs_per_s"]),
        ("whole pipeline excl. read (wall)", wt["scan_excl_read_docs_per_s"], plain["pipeline_docs_per_s"]),
    ):
        speedup = ours / theirs
        checks.append({
            "target": f"{label} >= {TARGET_SPEEDUP:g}x plain datasketch",
            "measured": f"{speedup:.1f}x",
            "status": "PASS" if speedup >= TARGET_SPEEDUP else "MISS",
        })
    return checks


# --------------------------------------------------------------------------- output


def _fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def print_header(console: Console, machine: dict[str, Any], corpus: dict[str, Any]) -> None:
    console.rule("wiretrace throughput benchmark")
    for key in ("date", "platform", "cpu_count", "load_average", "python", "numpy", "datasketch", "wiretrace", "wiretrace_git"):
        console.print(f"{key:>13}: {machine[key]}")
    console.print(f"{'command':>13}: {machine['command']}")
    kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(corpus["kinds"].items()))
    console.print(
        f"\nCorpus: {corpus['documents']:,} synthetic documents (seed {corpus['seed']}), {corpus['jsonl_mb']:,} MB JSONL, "
        f"original stories {corpus['original_words_mean']} words on average ({corpus['original_words_min']}-"
        f"{corpus['original_words_max']}), all documents {corpus['words_mean']}; "
        f"{corpus['sites']} sites; {kinds}. Generated in {corpus['generate_seconds']:.1f} s, "
        f"written in {corpus['write_seconds']:.1f} s."
    )


def print_stages(console: Console, wt: dict[str, Any], repeats: int) -> None:
    n = wt["documents"]
    table = Table(title=f"wiretrace scan: {n:,} docs, {wt['workers']:g} worker process(es), median of {repeats} run(s)")
    for column in ("stage", "seconds", "docs/s", "items in -> out", "CPU s (workers)", "peak RSS MB (main)"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for name in STAGES:
        s = wt["stages"][name]
        busy = f"{s['cpu_seconds']:.2f} ({s['workers']:g})" if "cpu_seconds" in s else ""
        table.add_row(name, f"{s['seconds']:.2f}", _fmt(n / s["seconds"] if s["seconds"] else None),
                      f"{s['items_in']:,.0f} -> {s['items_out']:,.0f}", busy, _fmt(s["peak_rss_mb"], 1))
    table.add_row("(outside stats)", f"{wt['outside_stats_seconds']:.2f}", "", "", "", "")
    table.add_row("whole scan()", f"{wt['scan_seconds']:.2f}", _fmt(wt["scan_docs_per_s"]), "", "",
                  _fmt(wt["main_peak_rss_mb"], 1), style="bold")
    console.print(table)
    console.print(
        f"Fingerprinting per core: {_fmt(wt['fingerprint_docs_per_s_per_core'])} docs/s "
        f"= docs / (normalise + fingerprint CPU seconds, summed over workers).\n"
        f"Fingerprinting wall: {_fmt(wt['fingerprint_docs_per_s_wall'])} docs/s on {wt['workers']:g} worker(s).\n"
        f"Whole scan: {_fmt(wt['scan_docs_per_s'])} docs/s ({wt['scan_seconds']:.2f} s); "
        f"excluding read: {_fmt(wt['scan_excl_read_docs_per_s'])} docs/s ({wt['scan_excl_read_seconds']:.2f} s).\n"
        f"CPU seconds are measured with time.process_time() inside each batch. CPU time of the scan (getrusage): main process "
        f"{wt['cpu_main_seconds']:.2f} s, worker processes {wt['cpu_children_seconds']:.2f} s.\n"
        f"Memory: peak RSS figures are the MAIN process only (RSS {_fmt(wt['rss_before_mb'], 1)} MB before the scan). "
        + (
            f"Worker processes are reported separately: largest child peak RSS {_fmt(wt['children_peak_rss_mb'], 1)} MB "
            f"(ru_maxrss of RUSAGE_CHILDREN over all scans, {_fmt(wt['children_peak_rss_mb_before'], 1)} MB before "
            f"them; forked children count pages shared with the parent, so do not add it to the main figure)."
            if wt["workers"] > 1
            else "No worker processes: fingerprinting ran in the main process."
        )
    )


def print_baselines(console: Console, wt: dict[str, Any], baselines: dict[str, dict[str, Any]], m: int,
                    repeats: int) -> None:
    table = Table(title=f"datasketch baselines: first {m:,} docs of the same corpus, 1 process, "
                        f"median of {repeats} run(s)")
    table.add_column("pipeline", no_wrap=True)
    for column in ("fingerprint s", "LSH insert s", "LSH query s", "fingerprint docs/s", "pipeline docs/s",
                   "candidates", "peak RSS MB (start)"):
        table.add_column(column, justify="right")
    for name, b in baselines.items():
        table.add_row(name, f"{b['fingerprint_seconds']:.2f}", f"{b['lsh_insert_seconds']:.2f}",
                      f"{b['lsh_query_seconds']:.2f}", _fmt(b["fingerprint_docs_per_s"]),
                      _fmt(b["pipeline_docs_per_s"]), f"{b['candidate_pairs']:,}",
                      f"{_fmt(b['peak_rss_mb'], 1)} ({_fmt(b['rss_before_mb'], 1)})")
    console.print(table)

    speed = Table(title="Speed-up = wiretrace docs/s / baseline docs/s (throughput, not time)")
    for column in ("figure", "wiretrace docs/s", *[f"vs {name}" for name in baselines]):
        speed.add_column(column, justify="left" if column == "figure" else "right")
    rows = (
        ("fingerprint, per core", wt["fingerprint_docs_per_s_per_core"], "fingerprint_docs_per_s"),
        (f"fingerprint, wall ({wt['workers']:g} workers)", wt["fingerprint_docs_per_s_wall"], "fingerprint_docs_per_s"),
        (f"pipeline excl. read, wall ({wt['workers']:g} workers)", wt["scan_excl_read_docs_per_s"],
         "pipeline_docs_per_s"),
    )
    for label, ours, key in rows:
        speed.add_row(label, _fmt(ours), *[f"{ours / b[key]:.1f}x" for b in baselines.values()])
    console.print(speed)
    console.print(
        f"Baseline throughput was measured on the first {m:,} documents only (wiretrace on all "
        f"{wt['documents']:,}). Baselines get texts already in memory, so wiretrace's read stage is excluded from "
        f"the pipeline comparison; the baselines stop at unverified LSH candidates, wiretrace's pipeline also "
        f"verifies and clusters. Baseline peak RSS is this process's VmHWM from the start of the baseline "
        f"(RSS at its start in brackets), holding all {m:,} MinHash objects."
    )


def print_accuracy(console: Console, accuracy: dict[str, dict[str, Any]], by_kind: dict[str, dict[str, Any]],
                   m: int) -> None:
    table = Table(title="Accuracy against the ground truth (true pair = two documents of the same base story)")
    for column in ("result", "docs", "true pairs", "found", "correct", "recall", "precision"):
        table.add_column(column, justify="left" if column == "result" else "right")
    for label, acc in accuracy.items():
        table.add_row(label, f"{acc['documents']:,}", f"{acc['true_pairs']:,}", f"{acc['found']:,}", f"{acc['correct']:,}",
                      _pct(acc["recall"]), _pct(acc["precision"]))
    console.print(table)
    kinds = Table(title=f"Recall of (original, copy) pairs by transformation, first {m:,} docs")
    kinds.add_column("result")
    for name in COPY_KINDS:
        kinds.add_column(name, justify="right")
    for label, recalls in by_kind.items():
        kinds.add_row(label, *[_pct(recalls[name]) for name in COPY_KINDS])
    console.print(kinds)


def print_targets(console: Console, checks: list[dict[str, Any]]) -> None:
    table = Table(title="Targets")
    for column in ("target", "measured", "result"):
        table.add_column(column)
    colours = {"PASS": "green", "MISS": "red", "N/A": "yellow"}
    for check in checks:
        table.add_row(check["target"], check["measured"], f"[{colours[check['status']]}]{check['status']}[/]")
    console.print(table)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000, help="documents in the synthetic corpus")
    parser.add_argument("--baseline-docs", type=int, default=10_000,
                        help="the baselines run on this many leading documents of the corpus")
    parser.add_argument("--workers", type=int, default=0,
                        help="wiretrace fingerprinting processes (0 = one per core on large inputs)")
    parser.add_argument("--repeat", type=int, default=3, help="wiretrace scans; the median of each figure is reported")
    parser.add_argument("--baseline-repeat", type=int, default=1,
                        help="runs of each baseline (the plain one takes ~3-4 ms/doc); median reported")
    parser.add_argument("--seed", type=int, default=20240601, help="corpus generator seed")
    parser.add_argument("--json", type=Path, help="also write every measured number to this JSON file")
    args = parser.parse_args(argv)
    if args.docs < 2 or args.repeat < 1 or args.baseline_repeat < 1:
        parser.error("--docs must be >= 2 and --repeat/--baseline-repeat >= 1")
    args.baseline_docs = min(args.baseline_docs, args.docs)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 140)
    machine = machine_info()
    folder = Path(tempfile.mkdtemp(prefix="wiretrace-bench-"))
    try:
        path, story, kind, corpus = build_corpus(args.docs, args.seed, folder)
        print_header(console, machine, corpus)
        n, m = args.docs, args.baseline_docs

        children_before = children_peak_rss_mb()
        runs, verified, clustered, identical = [], None, None, True
        for i in range(args.repeat):
            figures, run_verified, run_clustered = run_wiretrace(path, args.workers, n)
            console.print(f"wiretrace scan {i + 1}/{args.repeat}: {figures['scan_seconds']:.2f} s")
            if verified is not None:
                identical &= np.array_equal(verified, run_verified) and np.array_equal(clustered, run_clustered)
            runs.append(figures)
            verified, clustered = run_verified, run_clustered
        wt = median_figures(runs)
        # ru_maxrss of children is a lifetime maximum, so it is read once, after all scans.
        wt["children_peak_rss_mb"] = children_peak_rss_mb()
        wt["children_peak_rss_mb_before"] = children_before

        texts = load_texts(path, m)
        baseline_runs: dict[str, list[dict[str, Any]]] = {}
        baseline_keys: dict[str, np.ndarray] = {}
        for name, batch in ((PLAIN, False), (BATCH, True)):
            for i in range(args.baseline_repeat):
                figures, baseline_keys[name] = run_baseline(texts, batch, n)
                console.print(f"baseline {name} {i + 1}/{args.baseline_repeat}: {figures['pipeline_seconds']:.2f} s")
                baseline_runs.setdefault(name, []).append(figures)
        del texts
        baselines = {name: median_figures(runs_) for name, runs_ in baseline_runs.items()}

        truth_m, truth_n = true_pair_keys(story, m), true_pair_keys(story)
        found_m = {
            "wiretrace verified pairs": restrict(verified, n, m),
            "wiretrace same-cluster pairs": restrict(clustered, n, m),
            **{f"{name}: LSH candidates": keys for name, keys in baseline_keys.items()},
        }
        accuracy = {label: pair_accuracy(keys, truth_m, m) for label, keys in found_m.items()}
        accuracy["wiretrace verified pairs (all docs)"] = pair_accuracy(verified, truth_n, n)
        accuracy["wiretrace same-cluster pairs (all docs)"] = pair_accuracy(clustered, truth_n, n)
        by_kind = {label: recall_by_kind(keys, story, kind, m) for label, keys in found_m.items()}
        checks = check_targets(wt, baselines[PLAIN], n)

        print_stages(console, wt, args.repeat)
        print_baselines(console, wt, baselines, m, args.baseline_repeat)
        first_keys = next(iter(baseline_keys.values()))
        baseline_identical = all(np.array_equal(first_keys, keys) for keys in baseline_keys.values())
        console.print(
            f"Both baselines give {'identical' if baseline_identical else 'DIFFERENT'} candidate pairs; "
            f"wiretrace results are {'identical' if identical else 'DIFFERENT'} across its {args.repeat} run(s)."
        )
        print_accuracy(console, accuracy, by_kind, m)
        print_targets(console, checks)

        if args.json:
            results = {
                "machine": machine,
                "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                "corpus": corpus,
                "wiretrace": {"median": wt, "runs": runs, "identical_across_runs": bool(identical)},
                "baselines": {"documents": m, "median": baselines, "runs": baseline_runs,
                              "identical_candidates": baseline_identical},
                "accuracy": accuracy,
                "recall_by_kind": by_kind,
                "targets": checks,
            }
            args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
            console.print(f"Wrote {args.json}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
