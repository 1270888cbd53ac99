"""Scan the real corpora in ../shared/data and print what wiretrace finds
(the BBC and ECB+ figures are those of ``wiretrace bench``'s suites).

    .venv/bin/python benchmarks/real_data.py [--shared PATH] [--json OUT]

The numbers quoted in the README's "Real data" table come from this script.
Corpora that are absent are reported as skipped, with the reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from wiretrace import scan
from wiretrace.evaluation.suites import suite_bbc, suite_ecbplus

ROOT = Path(__file__).resolve().parents[1]


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
        ("bbc_fulltext", lambda data: suite_bbc(data, quick=False), "bbc_fulltext"),
        ("reuters21578", reuters, "reuters21578_json"),
        ("ecbplus", lambda data: suite_ecbplus(data, quick=False), "ecbplus_event_clusters"),
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
