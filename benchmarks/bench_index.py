"""The persistent index: build, check latency, adding a day's crawl; side by
side with a datasketch ``MinHashLSH`` holding the same signatures.

Usage::

    .venv/bin/python benchmarks/bench_index.py [--docs N] [--new 1000,10000]
        [--queries Q] [--redis] [--datasketch-docs M] [--full-report]
        [--workdir DIR] [--json OUT]

The synthetic corpus of ``bench_throughput.py`` (:mod:`wiretrace.evaluation.synthetic`)
is generated for ``N`` + the largest ``--new`` documents; the first ``N``
build the index, the rest are "the next day's crawl" (copies of earlier
stories included: the corpus copies only earlier documents). Measured:

* **build**: ``Index.open(PATH).add(base.jsonl)`` -- seconds, documents/s,
  the index's size on disk (the SQLite file and its WAL), and the peak
  resident memory of the whole process tree (sampled from /proc);
* **check**: ``index.check([record])`` for ``Q`` documents of the next day,
  one call each (median and p99 latency, and how many found a copy), then
  all ``Q`` in one call (documents/s);
* **add**: ``add`` of the first 1,000 / 10,000 next-day documents to a copy of
  the index, then ``delta`` (the report of the new pages and the stored pages
  they share text with: clusters, origins, credit) -- seconds each;
* **datasketch**: a ``MinHashLSH`` with the same bands and rows, fed the
  same signatures (bit-identical: ``tests/test_hashing.py``) for the first
  ``M`` documents: insert seconds, and the median/p99 of ``query`` for the
  same ``Q`` documents -- candidates only, where wiretrace's ``check`` also
  verifies every candidate exactly and places it (origin, credit); with
  ``--redis``, the same on datasketch's Redis storage;
* with ``--redis``: the wiretrace index on Redis (build, check, add 1,000);
* with ``--full-report``: on a copy of the index, a day of an index that
  keeps a memo (:mod:`wiretrace.memo`): yesterday's full report without a
  memo, then with one (which writes it), the add of the first ``--new``
  size and its report (``delta``, with the memo), then today's full report
  without the memo and with it (seconds each, which stages found values in
  the memo, the memo file's size, the values that report pruned and the
  memo's size once compacted, and whether the two reports are equal);
* **syndicated**: a story added on ``--syndicated`` sites (500), then
  ``check`` of four excerpts of a quarter of it (too little of it for LSH:
  only anchors find them, and each anchor is in more documents than
  ``anchors.max_df``): how many are found as contained copies.

``--redis`` starts Debian's ``redis-server`` on a free localhost port, and
stops it at the end. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import datasketch
import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _context  # noqa: E402

from wiretrace.config import Config, lsh_params  # noqa: E402
from wiretrace.evaluation.synthetic import generate_corpus, write_jsonl  # noqa: E402
from wiretrace.fingerprint import fingerprint_all  # noqa: E402
from wiretrace.index import Index  # noqa: E402


def _ms(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"median_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 2),
            "queries": len(ordered)}


def _write_json(path: Path, value: Any) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(value, indent=2), encoding="utf-8")
    part.replace(path)


def _disk_mb(path: Path) -> float:
    """The index's file, its postings' folder (wiretrace.segments) and what SQLite keeps beside them."""
    files = [f for p in path.parent.glob(path.name + "*") for f in ([p] if p.is_file() else p.rglob("*"))]
    return round(sum(f.stat().st_size for f in files if f.is_file()) / 2**20, 1)


def _remove(folder: Path, name: str) -> None:
    """An index ``name`` in ``folder``: its file, postings, memo, lock and journal."""
    for path in folder.glob(f"{name}*"):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def _copy(db: Path, copy: Path) -> None:
    """An index and its postings' folder."""
    shutil.copy(db, copy)
    postings = Path(f"{db}.postings")
    if postings.is_dir():
        shutil.copytree(postings, f"{copy}.postings")


def build(uri: str, base: Path) -> dict[str, Any]:
    _context.release_memory()  # the corpus generation's memory: the build's peak is the build's own
    with _context.TreePeak() as peak:
        started = time.perf_counter()
        with Index.open(uri) as index:
            added = index.add(str(base))
            stats = index.stats()
        seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "docs_per_s": round(added.added / seconds), "records": stats["records"],
            "postings": {"bands": stats["bands"], "anchors": stats["anchors"]}, "peak_tree_rss_mb": peak.peak_mb}


def check(uri: str, queries: list[dict]) -> dict[str, Any]:
    with Index.open(uri, writer=False) as index:
        index.check(queries[:5])  # warm: registries, regexes, the connection
        times, found = [], 0
        for record in queries:
            started = time.perf_counter()
            (entry,) = index.check([record])
            times.append(time.perf_counter() - started)
            found += bool(entry["matches"])
        started = time.perf_counter()
        batch = index.check(queries)
        batch_s = time.perf_counter() - started
    assert sum(bool(e["matches"]) for e in batch) == found  # one at a time or together: the same answers
    return {**_ms(times), "with_a_copy": found, "batch_docs_per_s": round(len(queries) / batch_s)}


def add_new(uri: str, new: Path) -> dict[str, Any]:
    with Index.open(uri) as index:
        started = time.perf_counter()
        added = index.add(str(new))
        add_s = time.perf_counter() - started
        started = time.perf_counter()
        delta = index.delta(added)
        delta_s = time.perf_counter() - started
    return {"added": added.added, "add_seconds": round(add_s, 3), "delta_seconds": round(delta_s, 3),
            "total_seconds": round(add_s + delta_s, 3), "delta_documents": len(delta.documents),
            "delta_clusters": len(delta.clusters)}


def _same_report(a: Any, b: Any) -> bool:
    x, y = a.to_dict(), b.to_dict()
    for report in (x, y):
        report.pop("run_id")
        report.pop("stats")
    return x == y


def full_report(uri: str, new: Path) -> dict[str, Any]:
    """A day of an index that keeps a memo (wiretrace.memo): yesterday's full
    report (which writes the memo), today's add and its report (``delta``,
    with the memo), then today's full report without the memo and with it."""
    memo_file = Path(f"{uri}.memo")
    out: dict[str, Any] = {}
    with Index.open(uri, memo=False) as index:
        started = time.perf_counter()
        index.report()
        out["yesterday_report_no_memo_seconds"] = round(time.perf_counter() - started, 2)
    with Index.open(uri) as index:
        started = time.perf_counter()
        index.report()
        out["yesterday_report_writing_memo_seconds"] = round(time.perf_counter() - started, 2)
        out["memo_after_yesterday"] = index.memo.stats()
        started = time.perf_counter()
        added = index.add(str(new))
        out["add_seconds"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        delta = index.delta(added)
        out["delta_with_memo_seconds"] = round(time.perf_counter() - started, 3)
        out["delta_documents"] = len(delta.documents)
    with Index.open(uri, memo=False) as index:
        started = time.perf_counter()
        plain = index.report()
        out["today_report_no_memo_seconds"] = round(time.perf_counter() - started, 2)
    with Index.open(uri) as index:
        out["memo_before_today"] = index.memo.stats()
        started = time.perf_counter()
        memoised = index.report()
        out["today_report_with_memo_seconds"] = round(time.perf_counter() - started, 2)
        out["memo_hits"] = {stage: memoised.stats["stages"][stage].get("memo_hits")
                            for stage in ("wire", "credits", "provenance", "align")}
        out["memo_file_mb"] = round(memo_file.stat().st_size / 2**20, 1) if memo_file.exists() else 0
        # the report of everything pruned what it neither read nor wrote; compact gives the pages back
        out["memo_pruned"] = index.memo_pruned
        out["memo_after_today"] = index.memo.stats()
        out["memo_compacted"] = index.compact().get("memo")
    out["stage_seconds_no_memo"] = {k: round(v["seconds"], 2) for k, v in plain.stats["stages"].items()}
    out["stage_seconds_with_memo"] = {k: round(v["seconds"], 2) for k, v in memoised.stats["stages"].items()}
    out["same_report"] = _same_report(plain, memoised)
    return out


def syndicated(uri: str, sites: int) -> dict[str, Any]:
    from wiretrace.evaluation.synthetic import generate_corpus as corpus_of

    words = corpus_of(1, seed=99).texts[0].split()
    while len(words) < 480:  # a long story: its excerpts are a quarter of it
        words += corpus_of(1, seed=99 + len(words)).texts[0].split()
    pages = [{"id": f"syndicated-{i:04d}", "text": " ".join(words), "site": f"outlet{i}.example",
              "published": "2025-01-01T00:00:00Z"} for i in range(sites)]
    excerpts = [{"id": f"excerpt-{i}", "text": " ".join(words[i * 7: i * 7 + len(words) // 4]),
                 "site": f"farm{i}.example"} for i in range(4)]
    with Index.open(uri) as index:
        index.add(pages)
        found = [any(m["kind"] == "contained" for m in e["matches"]) for e in index.check(excerpts)]
    return {"sites": sites, "story_words": len(words), "excerpts": len(excerpts), "found": sum(found)}


def datasketch_side(signatures: np.ndarray, queries: np.ndarray, bands: int, rows: int,
                    storage: dict | None) -> dict[str, Any]:
    lsh = datasketch.MinHashLSH(num_perm=signatures.shape[1], params=(bands, rows),
                                **({"storage_config": storage} if storage else {}))
    hashes = [datasketch.LeanMinHash(seed=1, hashvalues=s, scheme="affine32") for s in signatures]
    started = time.perf_counter()
    with lsh.insertion_session(buffer_size=50_000) as session:
        for i, m in enumerate(hashes):
            session.insert(i, m, check_duplication=False)
    insert_s = time.perf_counter() - started
    times = []
    for q in queries:
        m = datasketch.LeanMinHash(seed=1, hashvalues=q, scheme="affine32")
        started = time.perf_counter()
        lsh.query(m)
        times.append(time.perf_counter() - started)
    return {"docs": len(signatures), "insert_seconds": round(insert_s, 2), **_ms(times)}


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("--redis needs redis-server (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port)
    for _ in range(400):
        try:
            client.ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--new", default="1000,10000", help="comma-separated sizes of the next day's crawl")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--datasketch-docs", type=int, default=None, help="default: --docs")
    parser.add_argument("--redis", action="store_true", help="also on a redis-server started here")
    parser.add_argument("--redis-docs", type=int, default=None, help="index size on Redis (default: --docs)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--syndicated", type=int, default=500, help="sites of the syndicated story (0: skip)")
    parser.add_argument("--full-report", action="store_true",
                        help="also: yesterday's full report, today's add of the first --new size and today's full "
                             "report, with the memo and without (wiretrace.memo)")
    parser.add_argument("--workdir", metavar="DIR",
                        help="keep the corpus and the built index in DIR, and reuse them when DIR holds those of the "
                             "same --docs, --seed and next-day sizes (the build of 1M documents takes ~17 min; the "
                             "results then give the earlier build's numbers, marked reused); default: a temporary "
                             "folder, deleted at the end")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    console = Console()
    sizes = [int(x) for x in args.new.split(",") if x]
    extra = max(sizes + [args.queries])
    out: dict[str, Any] = {"machine": _context.machine_info(datasketch=datasketch.__version__),
                           "docs": args.docs, "new": sizes, "queries": args.queries}
    console.print(out["machine"])
    folder = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="wiretrace-bench-index-"))
    folder.mkdir(parents=True, exist_ok=True)
    manifest, corpus_of = folder / "built.json", {"docs": args.docs, "seed": args.seed, "extra": extra}
    kept = json.loads(manifest.read_text(encoding="utf-8")) if args.workdir and manifest.exists() else {}
    db = folder / "index.wtidx"
    redis_proc = None
    try:
        if kept.get("corpus") == corpus_of and db.exists():
            out["build"] = kept["build"] | {"reused": f"built by {kept['wiretrace_git']} on {kept['date']}"}
            started = time.perf_counter()
            Index.open(str(db), memo=False).close()  # an index of an older layout migrates here, once
            out["build"]["opened_as_writer_seconds"] = round(time.perf_counter() - started, 2)
            out["build"]["disk_mb_now"] = _disk_mb(db)
            console.print("build reused", out["build"])
            with open(folder / "all.jsonl", encoding="utf-8") as handle:
                queries = [json.loads(line) for i, line in zip(range(args.docs + args.queries), handle)
                           if i >= args.docs]
        else:
            manifest.unlink(missing_ok=True)
            corpus = generate_corpus(args.docs + extra, args.seed)
            write_jsonl(corpus, folder / "all.jsonl")
            lines = (folder / "all.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
            del corpus
            (folder / "base.jsonl").write_text("".join(lines[:args.docs]), encoding="utf-8")
            for size in sizes:
                (folder / f"new{size}.jsonl").write_text("".join(lines[args.docs:args.docs + size]), encoding="utf-8")
            queries = [json.loads(line) for line in lines[args.docs:args.docs + args.queries]]
            del lines  # the build's memory is the index's own, not the corpus held here
            _remove(folder, "index.wtidx")
            out["build"] = build(str(db), folder / "base.jsonl") | {"disk_mb": _disk_mb(db)}
            console.print("build", out["build"])
            if args.workdir:
                _write_json(manifest, {"corpus": corpus_of, "build": out["build"], "date": out["machine"]["date"],
                                       "wiretrace_git": out["machine"].get("wiretrace_git")})

        out["check"] = check(str(db), queries)
        console.print("check", out["check"])
        out["add"] = {}
        for size in sizes:
            copy = folder / f"copy{size}.wtidx"
            _remove(folder, copy.name)  # its memo too: each add starts without one
            _copy(db, copy)
            out["add"][size] = add_new(str(copy), folder / f"new{size}.jsonl")
            console.print(f"add {size}", out["add"][size])
            _remove(folder, copy.name)
        if args.full_report:
            copy = folder / "day.wtidx"
            _remove(folder, "day.wtidx")
            _copy(db, copy)
            out["full_report"] = full_report(str(copy), folder / f"new{sizes[0]}.jsonl")
            console.print("full report", out["full_report"])
            _remove(folder, "day.wtidx")
        if args.syndicated:
            target = db
            if args.workdir:  # the kept index stays as built
                target = folder / "syndicated.wtidx"
                _copy(db, target)
            out["syndicated"] = syndicated(str(target), args.syndicated)
            console.print("syndicated", out["syndicated"])
            if target != db:
                _remove(folder, "syndicated.wtidx")

        config = Config()
        bands, rows = lsh_params(config)
        with open(folder / "base.jsonl", encoding="utf-8") as handle:
            base_texts = [json.loads(line)["text"] for _, line in zip(range(args.datasketch_docs or args.docs), handle)]
        fp = fingerprint_all(base_texts, config.shingle_size, config.num_perm, config.seed)
        qfp = fingerprint_all([q["text"] for q in queries], config.shingle_size, config.num_perm, config.seed)
        del base_texts
        out["datasketch_memory"] = datasketch_side(fp.signatures, qfp.signatures, bands, rows, None)
        console.print("datasketch (memory)", out["datasketch_memory"])

        if args.redis:
            redis_proc, url = start_redis(folder)
            port = int(url.rsplit(":", 1)[1].split("/")[0])
            n = args.redis_docs or args.docs
            if n != args.docs:
                (folder / "base-redis.jsonl").write_text(
                    "".join((folder / "base.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:n]),
                    encoding="utf-8")
            base = folder / ("base-redis.jsonl" if n != args.docs else "base.jsonl")
            uri = f"{url}?prefix=bench"
            out["redis"] = {"docs": n, "build": build(uri, base)}
            out["redis"]["check"] = check(uri, queries)
            out["redis"]["add"] = add_new(uri, folder / f"new{sizes[0]}.jsonl")
            console.print("wiretrace on redis", out["redis"])
            out["datasketch_redis"] = datasketch_side(
                fp.signatures[:n], qfp.signatures, bands, rows,
                {"type": "redis", "basename": b"bench-ds", "redis": {"host": "127.0.0.1", "port": port}})
            console.print("datasketch (redis)", out["datasketch_redis"])
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        if not args.workdir:
            shutil.rmtree(folder, ignore_errors=True)

    table = Table(title=f"wiretrace index, {args.docs:,} documents")
    table.add_column("measure")
    table.add_column("value", justify="right")
    b, c = out["build"], out["check"]
    table.add_row("build (s / docs per s)", f"{b['seconds']} / {b['docs_per_s']:,}")
    if "reused" in b:
        table.add_row("build: not run, reused", b["reused"])
    table.add_row("index on disk (MB)", f"{b['disk_mb']:,}")
    table.add_row("build peak RSS, process tree (MB)", f"{b['peak_tree_rss_mb']:,}")
    table.add_row("check one: median / p99 (ms)", f"{c['median_ms']} / {c['p99_ms']}")
    table.add_row("check, queries with a copy", f"{c['with_a_copy']} of {c['queries']}")
    table.add_row("check batch (docs/s)", f"{c['batch_docs_per_s']:,}")
    for size, a in out["add"].items():
        table.add_row(f"add {size:,} new + their report (s)", f"{a['add_seconds']} + {a['delta_seconds']} = "
                                                              f"{a['total_seconds']}")
    if "full_report" in out:
        f = out["full_report"]
        table.add_row("full report after the add: no memo / memo (s)",
                      f"{f['today_report_no_memo_seconds']} / {f['today_report_with_memo_seconds']}"
                      f"{'' if f['same_report'] else ' (reports differ!)'}")
        table.add_row("memo file (MB)", str(f["memo_file_mb"]))
    if "syndicated" in out:
        s = out["syndicated"]
        table.add_row(f"excerpts of a story on {s['sites']} sites found", f"{s['found']} of {s['excerpts']}")
    d = out["datasketch_memory"]
    table.add_row(f"datasketch MinHashLSH, {d['docs']:,}: insert (s)", str(d["insert_seconds"]))
    table.add_row("datasketch query: median / p99 (ms)", f"{d['median_ms']} / {d['p99_ms']}")
    if "redis" in out:
        r = out["redis"]
        table.add_row(f"redis: build {r['docs']:,} (s)", str(r["build"]["seconds"]))
        table.add_row("redis: check median / p99 (ms)", f"{r['check']['median_ms']} / {r['check']['p99_ms']}")
        table.add_row(f"redis: add {r['add']['added']:,} + report (s)", str(r["add"]["total_seconds"]))
        d = out["datasketch_redis"]
        table.add_row(f"datasketch on redis, {d['docs']:,}: insert (s)", str(d["insert_seconds"]))
        table.add_row("datasketch on redis: query median / p99 (ms)", f"{d['median_ms']} / {d['p99_ms']}")
    console.print(table)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
