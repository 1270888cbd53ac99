"""The report of an add (``Index.delta``) against the full report of the index:
does it place the new pages as ``index report`` does, and at what cost?

Usage::

    .venv/bin/python benchmarks/bench_delta.py [--docs N] [--new 1000,10000] [--json OUT]

The synthetic corpus of ``bench_throughput.py`` is generated for ``N`` plus the
largest ``--new``; the first ``N`` documents build a SQLite index (once), and
for each size a copy of it gets the next documents with ``add``, then
``delta`` and ``report``. Printed per size: the seconds of add, delta and
report, the documents and clusters the delta involves, and for the new pages
whether the delta's verified pairs equal the full report's and how many
pages it places otherwise (cluster members, origin, credit verdict).
Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _context  # noqa: E402

from wiretrace.evaluation.metrics import placement  # noqa: E402
from wiretrace.evaluation.synthetic import generate_corpus, write_jsonl  # noqa: E402
from wiretrace.index import Index  # noqa: E402




def compare(db: Path, new: Path) -> dict[str, Any]:
    with Index.open(str(db)) as index:
        started = time.perf_counter()
        added = index.add(str(new))
        add_s = time.perf_counter() - started
        started = time.perf_counter()
        delta = index.delta(added).to_dict()
        delta_s = time.perf_counter() - started
        started = time.perf_counter()
        full = index.report().to_dict()
        report_s = time.perf_counter() - started
    ids = {json.loads(line)["id"] for line in new.read_text(encoding="utf-8").splitlines()}
    (delta_pairs, delta_placed), (full_pairs, full_placed) = placement(delta, ids), placement(full, ids)
    return {"added": added.added, "add_seconds": round(add_s, 2), "delta_seconds": round(delta_s, 2),
            "report_seconds": round(report_s, 2), "delta_documents": len(delta["documents"]),
            "delta_clusters": len(delta["clusters"]), "new_pages_in_clusters": sum(1 for v in full_placed.values()
                                                                                   if v[0]),
            "pairs_of_new_pages": len(full_pairs), "pairs_equal": delta_pairs == full_pairs,
            "pairs_missing": len(full_pairs - delta_pairs), "pairs_extra": len(delta_pairs - full_pairs),
            "placed_otherwise": sum(1 for k, v in full_placed.items() if delta_placed.get(k) != v)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=300_000)
    parser.add_argument("--new", default="1000,10000", help="comma-separated sizes of the added crawl")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.new.split(",") if x]
    out: dict[str, Any] = {"machine": _context.machine_info(), "docs": args.docs, "new": {}}
    folder = Path(tempfile.mkdtemp(prefix="wiretrace-bench-delta-"))
    try:
        write_jsonl(generate_corpus(args.docs + max(sizes), args.seed), folder / "all.jsonl")
        lines = (folder / "all.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / "base.jsonl").write_text("".join(lines[:args.docs]), encoding="utf-8")
        for size in sizes:
            (folder / f"new{size}.jsonl").write_text("".join(lines[args.docs:args.docs + size]), encoding="utf-8")
        del lines
        db = folder / "index.wtidx"
        started = time.perf_counter()
        with Index.open(str(db)) as index:
            index.add(str(folder / "base.jsonl"))
        out["build_seconds"] = round(time.perf_counter() - started, 2)
        for size in sizes:
            copy = folder / f"copy{size}.wtidx"
            shutil.copy(db, copy)
            out["new"][size] = compare(copy, folder / f"new{size}.jsonl")
            print(size, out["new"][size], flush=True)
            copy.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
