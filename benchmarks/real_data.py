"""Scan the real corpora in ../shared/data and print what wiretrace finds.

    .venv/bin/python benchmarks/real_data.py [--shared PATH] [--json OUT]

The numbers quoted in the README's "Real data" table come from this script.
Corpora that are absent are reported as skipped, with the reason.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from wiretrace import scan

ROOT = Path(__file__).resolve().parents[1]


def bbc(data: Path) -> dict:
    root = data / "bbc_fulltext"
    categories = sorted(p for p in root.iterdir() if p.is_dir())
    report = scan(categories)
    groups: dict[str, list[str]] = defaultdict(list)
    for category in categories:
        for path in sorted(category.glob("*.txt")):
            groups[" ".join(path.read_bytes().decode("latin-1").lower().split())].append(f"{category.name}/{path.name}")
    gold = {pair for g in groups.values() for pair in itertools.combinations(sorted(g), 2)}
    found = {(p["a"], p["b"]) for p in report.pairs}
    return {
        "documents": report.stats["documents"],
        "skipped": len(report.skipped),
        "clusters": len(report.clusters),
        "verified_pairs": len(report.pairs),
        "exact_duplicate_pairs_gold": len(gold),
        "exact_duplicate_recall": len(gold & found) / len(gold),
        "pairs_beyond_exact_duplicates": len(found - gold),
        "seconds": report.stats["total_seconds"],
    }


def reuters(data: Path) -> dict:
    report = scan(sorted((data / "reuters21578_json").glob("reuters-*.json")))
    reasons = Counter(s["reason"].split(":")[0].split(" (")[0] for s in report.skipped)
    return {
        "records": report.stats["inputs_read"],
        "documents": report.stats["documents"],
        "skipped": len(report.skipped),
        "skipped_by_reason": dict(reasons),
        "clusters": len(report.clusters),
        "documents_in_clusters": report.stats["documents_in_clusters"],
        "verified_pairs": len(report.pairs),
        "pairs_jaccard_ge_0.95": sum(1 for p in report.pairs if p["jaccard"] >= 0.95),
        "pairs_jaccard_lt_0.5": sum(1 for p in report.pairs if p["jaccard"] < 0.5),
        "seconds": report.stats["total_seconds"],
    }


def ecbplus(data: Path) -> dict:
    lines = (data / "ecbplus_event_clusters" / "ecbplus_docs.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    report = scan([{"id": r["doc_name"], "text": r["text"]} for r in records])
    event = {r["doc_name"]: r["cluster"] for r in records}
    topic = {r["doc_name"]: r["topic"] for r in records}
    return {
        "documents": report.stats["documents"],
        "skipped": len(report.skipped),
        "verified_pairs": len(report.pairs),
        "pairs_within_one_event": sum(1 for p in report.pairs if event[p["a"]] == event[p["b"]]),
        "pairs_across_events_of_one_topic": sum(
            1 for p in report.pairs if event[p["a"]] != event[p["b"]] and topic[p["a"]] == topic[p["b"]]
        ),
        "pairs_across_topics": sum(1 for p in report.pairs if topic[p["a"]] != topic[p["b"]]),
        "pairs_jaccard_ge_0.8": sum(1 for p in report.pairs if p["jaccard"] >= 0.8),
        "seconds": report.stats["total_seconds"],
    }


def demo() -> dict:
    report = scan([ROOT / "data" / "corpus"])
    return {
        "documents": report.stats["documents"],
        "clusters": len(report.clusters),
        "verified_pairs": len(report.pairs),
        "pairs_jaccard_lt_0.5": sum(1 for p in report.pairs if p["jaccard"] < 0.5),
        "candidate_pairs": report.stats["candidate_pairs"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results: dict[str, object] = {"demo": demo()}
    for name, run, folder in (
        ("bbc_fulltext", bbc, "bbc_fulltext"),
        ("reuters21578", reuters, "reuters21578_json"),
        ("ecbplus", ecbplus, "ecbplus_event_clusters"),
    ):
        if (args.shared / folder).exists():
            results[name] = run(args.shared)
        else:
            results[name] = {"skipped": f"{args.shared / folder} not found"}
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
