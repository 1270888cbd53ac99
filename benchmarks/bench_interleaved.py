"""Interleaved throughput: this checkout against an earlier commit, same corpus, alternating runs.

Usage:
    .venv/bin/python benchmarks/bench_interleaved.py --base REV [--docs N] [--runs R] [--json OUT]
        [--spill-documents N] [--write]

Checks REV out in a temporary git worktree, writes the deterministic synthetic corpus of
``bench_throughput.py`` once as JSONL, then runs ``scan()`` on it R times for each tree,
alternating base and this checkout, each run in a fresh process with that tree's ``src`` first
on ``PYTHONPATH`` (same interpreter, same installed dependencies). Prints every run, the
median of each tree, the ratio of each interleaved pair (this / base) and the median ratio:
on a shared machine whose speed drifts, paired ratios are what to quote. Each run's peak
memory is that of its whole process tree (PSS, sampled from /proc: ``_context.TreePeak``).

``--spill-documents N`` runs both trees with ``run.spill_documents = N`` (1: every text
and set spilled, as a 1M scan's are past the default 200,000, at a size that takes a
minute); ``--write`` also writes every output as the command line does
(``Report.write(release=True)`` into a temporary folder), timed in ``seconds`` and
apart as ``write_seconds``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _context  # noqa: E402
_SCAN = (
    "import json, sys, tempfile, time\n"
    "from wiretrace import scan\n"
    "options, write = json.loads(sys.argv[2]), sys.argv[3] == 'write'\n"
    "started = time.perf_counter()\n"
    "report = scan([sys.argv[1]], **options)\n"
    "analysed = time.perf_counter()\n"
    "if write:\n"
    "    with tempfile.TemporaryDirectory() as out:\n"
    "        report.write(out, release=True)\n"
    "done = time.perf_counter()\n"
    "print(json.dumps({'seconds': done - started, 'write_seconds': done - analysed,\n"
    "                  'stages': {k: v.get('seconds', 0) for k, v in report.stats['stages'].items()}}))\n"
)


def _run(src: Path, corpus: Path, options: dict, write: bool) -> dict:
    """One scan in a fresh process, with the peak memory of its process tree
    (PSS sampled from /proc, as ``bench_scaling.py`` samples it)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, "-c", _SCAN, str(corpus), json.dumps(options), "write" if write else "-"]
    peak = _context.TreePeak(proportional=True, root=-1)
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        peak.root = child.pid
        with peak:
            stdout, stderr = child.communicate()
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command, stdout, stderr)
    return {**json.loads(stdout.strip().splitlines()[-1]), "peak_tree_pss_mb": peak.peak_mb}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the earlier commit to compare with")
    parser.add_argument("--docs", type=int, default=100_000, help="documents in the synthetic corpus")
    parser.add_argument("--runs", type=int, default=6, help="scans per tree")
    parser.add_argument("--seed", type=int, default=20240601, help="corpus generator seed")
    parser.add_argument("--json", type=Path, help="also write every run to this JSON file")
    parser.add_argument("--spill-documents", type=int, help="run.spill_documents for both trees (module doc)")
    parser.add_argument("--write", action="store_true", help="also write every output, timed (module doc)")
    args = parser.parse_args(argv)
    options = {} if args.spill_documents is None else {"spill_documents": args.spill_documents}

    sys.path.insert(0, str(ROOT / "src"))
    from wiretrace.evaluation.synthetic import generate_corpus, write_jsonl

    with tempfile.TemporaryDirectory(prefix="wiretrace-interleaved-") as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base_tree), args.base],
                       check=True)
        try:
            corpus = Path(tmp) / "corpus.jsonl"
            write_jsonl(generate_corpus(args.docs, seed=args.seed), corpus)
            runs: dict[str, list[dict]] = {"base": [], "this": []}
            for n in range(args.runs):
                for name, src in (("base", base_tree / "src"), ("this", ROOT / "src")):
                    runs[name].append(_run(src, corpus, options, args.write))
                    print(f"run {n + 1} {name}: {runs[name][-1]['seconds']:.2f} s"
                          + (f" (writing {runs[name][-1]['write_seconds']:.2f} s)" if args.write else "")
                          + f", peak {runs[name][-1]['peak_tree_pss_mb']:,.0f} MB", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)], check=False)

    ratios = [t["seconds"] / b["seconds"] for b, t in zip(runs["base"], runs["this"])]
    for name in ("base", "this"):
        seconds = [r["seconds"] for r in runs[name]]
        print(f"{name}: median {statistics.median(seconds):.2f} s ({', '.join(f'{s:.2f}' for s in sorted(seconds))})")
    print(f"pair ratios (this / base): {', '.join(f'{r:.3f}' for r in sorted(ratios))}; "
          f"median {statistics.median(ratios):.3f}")
    stages = sorted({k for r in runs["base"] + runs["this"] for k in r["stages"]},
                    key=lambda k: list(runs["this"][0]["stages"]).index(k) if k in runs["this"][0]["stages"] else 99)
    for stage in stages:
        b = statistics.median(r["stages"].get(stage, 0) for r in runs["base"])
        t = statistics.median(r["stages"].get(stage, 0) for r in runs["this"])
        print(f"  {stage:<12} base {b:6.2f} s   this {t:6.2f} s   {t - b:+.2f}")
    if args.write:
        b, t = (statistics.median(r["write_seconds"] for r in runs[name]) for name in ("base", "this"))
        print(f"  {'writing':<12} base {b:6.2f} s   this {t:6.2f} s   {t - b:+.2f}")
    b, t = (statistics.median(r["peak_tree_pss_mb"] for r in runs[name]) for name in ("base", "this"))
    print(f"  peak memory of the tree (PSS, median): base {b:,.0f} MB   this {t:,.0f} MB   {t - b:+,.0f}")
    if args.json:
        # the commits themselves, not a relative name ("HEAD~2") that means another commit tomorrow
        git = lambda *a: subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True,  # noqa: E731
                                        check=True).stdout.strip()
        this = git("rev-parse", "HEAD") + ("+dirty" if git("status", "--porcelain", "src") else "")
        args.json.write_text(json.dumps({"base": args.base, "base_commit": git("rev-parse", args.base), "this": this,
                                         "docs": args.docs, "options": options, "write": args.write, "runs": runs,
                                         "ratios": ratios}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
