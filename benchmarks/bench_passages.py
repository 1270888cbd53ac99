"""Partial reuse on real data: how `passages.min_words` and the roundup rule were chosen.

For each shortest passage length in ``--lengths``: Clough-Stevenson answers found per
reuse level (a verified or a passage pair with their source) and ECB+ passage pairs
(all, and across two events of one topic: the hard negatives). Then, on the synthetic
news of ``bench_throughput.py``, the recall and precision of same-cluster pairs against
the true story pairs with the roundup rule (``wiretrace.cluster.split_hubs``) and
without it. Reads ``../shared/data`` (or ``$WIRETRACE_DATA``); prints what it measured.

    .venv/bin/python benchmarks/bench_passages.py [--lengths 20 25 30 35 40 50] [--docs 20000] [--json OUT]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
from _context import ROOT, machine_info

import wiretrace.plan as pipeline  # the module whose steps call split_hubs
from wiretrace import scan
from wiretrace.evaluation.synthetic import generate_corpus, true_pair_keys

DATA = Path(os.environ.get("WIRETRACE_DATA") or ROOT.parent / "shared" / "data")


def clough(min_words: int) -> dict[str, str]:
    root = DATA / "clough_stevenson_short_answers"
    found: dict[str, list[bool]] = defaultdict(list)
    with open(root / "file_information.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Category"] == "orig":
                continue
            report = scan([{"id": "source", "text": (root / f"orig_task{row['Task']}.txt").read_text(encoding="latin-1")},
                           {"id": "answer", "text": (root / row["File"]).read_text(encoding="latin-1")}],
                          min_words=10, passage_min_words=min_words)
            found[row["Category"]].append(bool(report.pairs or report.reuse))
    return {level: f"{sum(v)}/{len(v)}" for level, v in sorted(found.items())}


def ecbplus(min_words: int) -> dict[str, int]:
    records = [json.loads(line) for line in (DATA / "ecbplus_event_clusters" / "ecbplus_docs.jsonl").open(encoding="utf-8")]
    event = {r["doc_name"]: r["cluster"] for r in records}
    report = scan([{"id": r["doc_name"], "text": r["text"]} for r in records], passage_min_words=min_words)
    return {"verified_pairs": len(report.pairs), "passage_pairs": len(report.reuse),
            "passage_pairs_across_events": sum(1 for r in report.reuse if event[r["a"]] != event[r["b"]])}


def synthetic(docs: int, hubs: bool) -> dict[str, float]:
    corpus = generate_corpus(docs, seed=20240601)
    saved = pipeline.split_hubs
    if not hubs:
        pipeline.split_hubs = lambda n, verified, jaccard, shared=(): (list(verified), [])
    try:
        report = scan([{"id": f"d{i:06d}", "url": f"https://{corpus.site_names[s]}/{i}", "text": t}
                       for i, (t, s) in enumerate(zip(corpus.texts, corpus.sites))])
    finally:
        pipeline.split_hubs = saved
    found = set()
    for cluster in report.clusters:
        members = sorted(int(m[1:]) for m in cluster["members"])
        found.update(a * docs + b for k, a in enumerate(members) for b in members[k + 1:])
    truth = true_pair_keys(np.asarray(corpus.story))
    correct = len(np.intersect1d(np.fromiter(found, dtype=np.int64, count=len(found)), truth))
    return {"recall": round(correct / len(truth), 5), "precision": round(correct / max(len(found), 1), 5),
            "hub_pairs": report.stats["stages"]["cluster"].get("hub_pairs", 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[20, 25, 30, 35, 40, 50])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out: dict = {"machine": machine_info(), "lengths": {}}
    for length in args.lengths:
        row = {"clough": clough(length), "ecbplus": ecbplus(length)}
        out["lengths"][length] = row
        print(f"min_words {length}: Clough {row['clough']}; ECB+ {row['ecbplus']}")
    for hubs in (True, False):
        figures = synthetic(args.docs, hubs)
        out[f"synthetic_{'with' if hubs else 'without'}_roundup_rule"] = figures
        print(f"synthetic {args.docs} documents, roundup rule {'on' if hubs else 'off'}: same-cluster pairs {figures}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
