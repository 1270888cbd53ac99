"""Scores of a scan against gold labels: copy pairs, clusters, origins,
copy edges and attribution."""

from __future__ import annotations

import json
from collections import Counter
from itertools import combinations
from typing import Any

import numpy as np

from wiretrace.evaluation.gold import Gold

__all__ = ["evaluate", "adjusted_rand_index", "precision_recall_f1", "placement"]


def placement(report: dict[str, Any], ids: set[str]) -> tuple[set, dict[str, tuple]]:
    """What a report says of some documents: their verified pairs (with the
    pair kind), and for each its cluster's members, its cluster's origin and
    its own credit verdict. Two reports that place them alike give equal
    values (the report of an index add against the index's full report)."""
    clusters = {c["id"]: c for c in report["clusters"]}
    pairs = {(p["a"], p["b"], p["kind"]) for p in report["pairs"] if ids & {p["a"], p["b"]}}
    placed = {}
    for d in report["documents"]:
        if d["id"] in ids:
            cluster = clusters.get(d["cluster"]) if d.get("cluster") else None
            placed[d["id"]] = (tuple(cluster["members"]) if cluster else None,
                               json.dumps(cluster["origin"], sort_keys=True) if cluster else None,
                               (d.get("attribution") or {}).get("status"))
    return pairs, placed


def precision_recall_f1(true_positive: int, predicted: int, actual: int) -> dict[str, float | int]:
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "true_positives": true_positive, "predicted": predicted, "actual": actual}


def adjusted_rand_index(labels_a: list[Any], labels_b: list[Any]) -> float:
    """Adjusted Rand index of two labelings of the same items (Hubert & Arabie).

    Example:
        >>> adjusted_rand_index([1, 1, 2, 2], ["x", "x", "y", "y"])
        1.0
        >>> adjusted_rand_index([1, 1, 1, 1], [1, 2, 3, 4])
        0.0
    """
    if len(labels_a) != len(labels_b):
        raise ValueError("both labelings must cover the same items")
    n = len(labels_a)
    if n < 2:
        return 1.0
    _, a = np.unique(np.array(labels_a, dtype=object).astype(str), return_inverse=True)
    _, b = np.unique(np.array(labels_b, dtype=object).astype(str), return_inverse=True)
    table = np.zeros((a.max() + 1, b.max() + 1), dtype=np.int64)
    np.add.at(table, (a, b), 1)

    def pairs(x: np.ndarray) -> float:
        return float((x * (x - 1) // 2).sum())

    index = pairs(table)
    rows, cols = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = rows * cols / (n * (n - 1) / 2)
    maximum = (rows + cols) / 2
    if maximum == expected:
        return 1.0
    return round((index - expected) / (maximum - expected), 4)


def evaluate(report: dict[str, Any], gold: Gold) -> dict[str, Any]:
    """Every score the gold labels allow, for a report (``report.json`` as a dict)."""
    docs = {d["id"]: d for d in report["documents"]}
    labelled = [doc_id for doc_id in gold.documents if doc_id in docs]
    results: dict[str, Any] = {
        "documents_labelled": len(gold.documents),
        "documents_in_report": len(labelled),
        "labelled_missing_from_report": sorted(set(gold.documents) - set(docs))[:20],
    }
    cluster_of = {doc_id: docs[doc_id]["cluster"] for doc_id in labelled}

    with_story = [d for d in labelled if "story" in gold.documents[d]["has"]]
    if with_story:
        story = {d: gold.documents[d]["story"] for d in with_story}
        actual = {p for p in combinations(sorted(with_story), 2) if story[p[0]] is not None and story[p[0]] == story[p[1]]}
        predicted = {p for p in combinations(sorted(with_story), 2)
                     if cluster_of[p[0]] is not None and cluster_of[p[0]] == cluster_of[p[1]]}
        verified = {(p["a"], p["b"]) for p in report["pairs"]} & set(combinations(sorted(with_story), 2))
        results["pairs_same_cluster"] = precision_recall_f1(len(actual & predicted), len(predicted), len(actual))
        results["pairs_verified"] = precision_recall_f1(len(actual & verified), len(verified), len(actual))
        # Documents in no story / no cluster are singletons of their own.
        results["cluster_ari"] = adjusted_rand_index(
            [story[d] if story[d] is not None else f"single:{d}" for d in with_story],
            [cluster_of[d] if cluster_of[d] is not None else f"single:{d}" for d in with_story],
        )

    if gold.pairs:
        scored = [(p, copy) for p, copy in gold.pairs.items() if p[0] in docs and p[1] in docs]
        predicted_copy = {p for p, _ in scored if cluster_of.get(p[0]) is not None and docs[p[0]]["cluster"] == docs[p[1]]["cluster"]}
        actual_copy = {p for p, copy in scored if copy}
        results["labelled_pairs"] = precision_recall_f1(len(actual_copy & predicted_copy), len(predicted_copy), len(actual_copy))
        negatives = [p for p, copy in scored if not copy]
        results["labelled_pairs"]["false_positive_rate"] = (
            round(len(predicted_copy & set(negatives)) / len(negatives), 4) if negatives else None
        )

    origins = {c["id"]: c.get("origin") or {} for c in report["clusters"]}

    def origin_node(cluster: str | None) -> str | None:
        origin = origins.get(cluster) or {}
        if origin.get("document"):
            return f"doc:{origin['document']}"
        if origin.get("outlet"):
            return f"site:{origin['outlet']}"
        return f"agency:{origin['agency']}" if origin.get("agency") else None

    by_story: dict[str, list[str]] = {}
    for d in labelled:
        label = gold.documents[d]
        if "origin" in label["has"] and label["story"] is not None and label["origin"] is not None:
            by_story.setdefault(label["story"], []).append(d)
    if by_story:
        correct = 0
        for story_id, members in by_story.items():
            clusters = Counter(cluster_of[m] for m in members if cluster_of[m] is not None)
            cluster = clusters.most_common(1)[0][0] if clusters else None
            correct += origin_node(cluster) == gold.documents[members[0]]["origin"]
        results["origin_accuracy"] = {"accuracy": round(correct / len(by_story), 4), "stories": len(by_story)}

    with_source = [d for d in labelled if "source" in gold.documents[d]["has"] and gold.documents[d]["source"]]
    if with_source:
        correct = sum(
            1 for d in with_source if ((docs[d].get("attribution") or {}).get("source")) == gold.documents[d]["source"]
        )
        results["copy_edge_accuracy"] = {"accuracy": round(correct / len(with_source), 4), "copies": len(with_source)}

    with_attribution = [d for d in labelled if gold.documents[d]["attribution"] is not None]
    if with_attribution:
        confusion: Counter = Counter()
        for d in with_attribution:
            predicted_status = (docs[d].get("attribution") or {}).get("status", "not clustered")
            confusion[(gold.documents[d]["attribution"], predicted_status)] += 1
        correct = sum(n for (want, got), n in confusion.items() if want == got)
        results["attribution_accuracy"] = {
            "accuracy": round(correct / len(with_attribution), 4),
            "documents": len(with_attribution),
            "confusion": {f"{want} -> {got}": n for (want, got), n in sorted(confusion.items())},
        }
    return results
