"""Interleaved throughput: this checkout against an earlier commit, same corpus, alternating runs.

Usage:
    .venv/bin/python benchmarks/bench_interleaved.py --base REV [--docs N] [--runs R] [--json OUT]
        [--spill-documents N] [--write] [--index-add N] [--check]

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

``--index-add N``: a persistent index's daily step instead of a scan. An index of the
``--docs`` documents is built once (by this checkout; both trees read the same schema),
and each run, on a fresh copy of it (copied before the clock starts, without a memo),
adds the corpus's next N documents and makes their report (``Index.add`` then
``Index.delta``): ``seconds`` is both, ``add_seconds`` and ``delta_seconds`` each, the
stages those of the delta's report.

``--check``: what a newsroom waits for, ``wiretrace check`` of one page from the command
line, start-up included, instead of a scan. An index of the ``--docs`` documents is built
once (by this checkout); each run times ``python -m wiretrace check PAGE --db INDEX --json``
for two pages in turn, each in a fresh process: a stored page's text under another id and
site (``seconds_copied``: its copies are found and placed, so every analysis stage is
imported and run) and the corpus's next page, new to the index (``seconds_new``);
``seconds`` is their sum, ``matches`` what each found. Bytecode caching is on for these runs whatever
``PYTHONDONTWRITEBYTECODE`` says, as for an installed package, and each tree runs once
untimed first to write its caches.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


_ADD = (
    "import hashlib, json, shutil, sys, time\n"
    "from wiretrace import Index\n"
    "built, new, copy = sys.argv[1], sys.argv[2], sys.argv[3]\n"
    "shutil.copy(built, copy)\n"
    "shutil.copytree(built + '.postings', copy + '.postings')\n"
    "started = time.perf_counter()\n"
    "with Index.open(copy) as index:\n"
    "    added = index.add(new)\n"
    "    added_at = time.perf_counter()\n"
    "    report = index.delta(added)\n"
    "    reported = time.perf_counter()\n"
    "done = time.perf_counter()  # the index closed (its memo written) too\n"
    "data = report.to_dict()\n"
    "data.pop('run_id'), data.pop('stats')\n"
    "digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode('utf-8', 'surrogatepass'))\n"
    "print(json.dumps({'seconds': done - started, 'add_seconds': added_at - started, 'delta_seconds': reported - added_at,\n"
    "                  'delta_documents': len(report.documents), 'report_digest': digest.hexdigest()[:16],\n"
    "                  'stages': {k: v.get('seconds', 0) for k, v in report.stats['stages'].items()}}))\n"
)


_CHECK = (
    "import json, subprocess, sys, time\n"
    "db, pages = sys.argv[1], sys.argv[2:]\n"
    "seconds, matches = [], []\n"
    "for page in pages:\n"
    "    started = time.perf_counter()\n"
    "    done = subprocess.run([sys.executable, '-m', 'wiretrace', 'check', page, '--db', db, '--json'], check=True,\n"
    "                          stdout=subprocess.PIPE)\n"
    "    seconds.append(time.perf_counter() - started)\n"
    "    matches.append(len(json.loads(done.stdout)[0]['matches']))\n"
    "print(json.dumps({'seconds': sum(seconds), 'seconds_copied': seconds[0], 'seconds_new': seconds[1],\n"
    "                  'matches': matches, 'stages': {}}))\n"
)


def _check_pages(every: Path, docs: int, work: Path) -> list[Path]:
    """The two pages ``--check`` asks about (module doc), written into ``work``:
    the first stored page's text under another id and site, and page ``docs``
    of the corpus (not stored)."""
    with open(every, encoding="utf-8") as lines:
        first = json.loads(next(lines))
        new = next(line for number, line in enumerate(lines, start=1) if number == docs)
    copied = {"id": "query-" + first["id"], "text": first["text"], "url": "https://www.elsewhere.example/query"}
    pages = [work / "page-copied.jsonl", work / "page-new.jsonl"]
    pages[0].write_text(json.dumps(copied) + "\n", encoding="utf-8")
    pages[1].write_text(new, encoding="utf-8")
    return pages


def _index_add(src: Path, built: Path, new: Path, work: Path) -> dict:
    """One :data:`_ADD` run on a fresh copy of the index ``built`` (removed after)."""
    copy = work / "copy.wtidx"
    try:
        return _measured(src, [_ADD, str(built), str(new), str(copy)])
    finally:
        for path in work.glob("copy.wtidx*"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _run(src: Path, corpus: Path, options: dict, write: bool) -> dict:
    """One scan in a fresh process (:func:`_measured`)."""
    return _measured(src, [_SCAN, str(corpus), json.dumps(options), "write" if write else "-"])


def _measured(src: Path, script: list[str], bytecode: bool = False) -> dict:
    """``python -c *script`` in a fresh process with ``src`` first on its path,
    with the peak memory of its process tree (PSS sampled from /proc, as
    ``bench_scaling.py`` samples it). With ``bytecode``, the child (and what it
    starts) caches its imports' bytecode whatever ``PYTHONDONTWRITEBYTECODE`` says."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-c", *script]  # run from the temporary folder: "-c" puts the current one first
    peak = _context.TreePeak(proportional=True, root=-1)
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=tempfile.gettempdir()) as child:
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
    parser.add_argument("--index-add", type=int, metavar="N", help="an index's add of N documents and their report "
                        "instead of a scan (module doc)")
    parser.add_argument("--check", action="store_true", help="`wiretrace check` of one page from the command line "
                        "instead of a scan (module doc)")
    args = parser.parse_args(argv)
    if args.index_add is not None and (args.index_add < 1 or args.write or args.spill_documents is not None):
        parser.error("--index-add takes a positive count, and neither --write nor --spill-documents")
    if args.check and (args.index_add is not None or args.write or args.spill_documents is not None):
        parser.error("--check takes neither --index-add, --write nor --spill-documents")
    options = {} if args.spill_documents is None else {"spill_documents": args.spill_documents}

    sys.path.insert(0, str(ROOT / "src"))
    from wiretrace.evaluation.synthetic import generate_corpus, write_jsonl

    with tempfile.TemporaryDirectory(prefix="wiretrace-interleaved-") as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base_tree), args.base],
                       check=True)
        try:
            corpus = Path(tmp) / "corpus.jsonl"
            if args.index_add or args.check:
                from wiretrace import Index

                every = Path(tmp) / "all.jsonl"
                write_jsonl(generate_corpus(args.docs + (args.index_add or 1), seed=args.seed), every)
                new = Path(tmp) / "new.jsonl"
                with open(every, "rb") as lines, open(corpus, "wb") as first, open(new, "wb") as rest:
                    for number, line in enumerate(lines):
                        (first if number < args.docs else rest).write(line)
                built = Path(tmp) / "built.wtidx"
                with Index.open(str(built)) as index:
                    index.add(str(corpus))
                if args.check:
                    pages = [str(p) for p in _check_pages(every, args.docs, Path(tmp))]
                    for src in (base_tree / "src", ROOT / "src"):  # untimed: each tree writes its bytecode caches
                        _measured(src, [_CHECK, str(built), *pages], bytecode=True)
            else:
                write_jsonl(generate_corpus(args.docs, seed=args.seed), corpus)
            runs: dict[str, list[dict]] = {"base": [], "this": []}
            for n in range(args.runs):
                for name, src in (("base", base_tree / "src"), ("this", ROOT / "src")):
                    if args.check:
                        runs[name].append(_measured(src, [_CHECK, str(built), *pages], bytecode=True))
                    else:
                        runs[name].append(_index_add(src, built, new, Path(tmp)) if args.index_add
                                          else _run(src, corpus, options, args.write))
                    run = runs[name][-1]
                    print(f"run {n + 1} {name}: {run['seconds']:.2f} s"
                          + (f" (writing {run['write_seconds']:.2f} s)" if args.write else "")
                          + (f" (add {run['add_seconds']:.2f} s, report {run['delta_seconds']:.2f} s of "
                             f"{run['delta_documents']:,} documents)" if args.index_add else "")
                          + (f" (a copied page {run['seconds_copied']:.3f} s, copies found: {run['matches'][0]}; "
                             f"a new page {run['seconds_new']:.3f} s, copies found: {run['matches'][1]})"
                             if args.check else "")
                          + f", peak {run['peak_tree_pss_mb']:,.0f} MB", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)], check=False)

    ratios = [t["seconds"] / b["seconds"] for b, t in zip(runs["base"], runs["this"])]
    if args.index_add:  # the report of the add, without its run id and timings: the same from both trees?
        same = sum(b["report_digest"] == t["report_digest"] for b, t in zip(runs["base"], runs["this"]))
        print(f"the same report from both trees in {same} of {len(ratios)} pairs")
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
    for part, shown in (("write_seconds", "writing"), ("add_seconds", "add"), ("delta_seconds", "delta"),
                        ("seconds_copied", "copied page"), ("seconds_new", "new page")):
        if part in runs["this"][0]:
            b, t = (statistics.median(r[part] for r in runs[name]) for name in ("base", "this"))
            print(f"  {shown:<12} base {b:6.2f} s   this {t:6.2f} s   {t - b:+.2f}")
    b, t = (statistics.median(r["peak_tree_pss_mb"] for r in runs[name]) for name in ("base", "this"))
    print(f"  peak memory of the tree (PSS, median): base {b:,.0f} MB   this {t:,.0f} MB   {t - b:+,.0f}")
    if args.json:
        # the commits themselves, not a relative name ("HEAD~2") that means another commit tomorrow
        git = lambda *a: subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True,  # noqa: E731
                                        check=True).stdout.strip()
        this = git("rev-parse", "HEAD") + ("+dirty" if git("status", "--porcelain", "src") else "")
        args.json.write_text(json.dumps({"base": args.base, "base_commit": git("rev-parse", args.base), "this": this,
                                         "docs": args.docs, "options": options, "write": args.write,
                                         "index_add": args.index_add, "check": args.check, "runs": runs,
                                         "ratios": ratios}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
