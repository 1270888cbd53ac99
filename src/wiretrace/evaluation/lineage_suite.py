"""The ``lineage`` suite: Reuters' own write-throughs of a story, on Reuters-21578.

Reuters-21578 is one agency's wire over six months of 1987: it holds the
agency's updates, corrections and rewrites of its own stories, and no copy
by anyone else. Scanned as the pages of one site (``reuters.com``, each
story with its wire timestamp), every version pair wiretrace finds
(:mod:`wiretrace.lineage`) is a claim that two stories are versions of one.

Two measures:

* **precision on labelled pairs** -- ``lineage_labels_reuters.jsonl`` holds
  the version pairs the rule found when it was written (279, with the
  lineage stage; 2 more when the kept body's share came to count quotes),
  each judged by reading (ids, no text; the headlines of
  all, the whole texts of about 25): ``same_story``
  (an update, correction, rewrite or the next session report of one
  market), ``follow_up`` (a second story of one event repeating the
  first's background) or ``different_story`` (formula stories about two
  companies, a digest and one of its items). Found pairs nobody labelled
  are counted apart (``unlabelled``): read them before trusting the score.
* **recall on silver pairs** -- two stories with the same headline (case
  and spaces folded), published within 48 hours, that share 0.3 to 0.85 of
  the smaller's word 5-grams (the suite's own tokeniser, not wiretrace's)
  and are not near-duplicates (Jaccard below 0.5), both at least 100 words
  long: an update under its old headline. Same-headline pairs above Jaccard
  0.5 are re-sends, corrections and light updates: ``same_headline_near_duplicates``
  counts those in one cluster, those taken for two versions (right for an
  update with a new top, wrong for a re-send) and those apart otherwise.
"""

from __future__ import annotations

import glob
import json
import re
import time
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

from wiretrace.evaluation.gold import load_packaged_labels
from wiretrace.pipeline import scan

__all__ = ["suite_lineage", "LABELS_FILE"]

LABELS_FILE = "lineage_labels_reuters.jsonl"
_WORD = re.compile(r"\w+")
#: Silver pairs need stories of at least 100 words: most shorter ones are
#: earnings tables ("Shr 20 cts vs 15 cts ...") whose lines repeat on so many
#: of the wire's pages that the clean stage strips them as the site's chrome.
SILVER_MIN_SHINGLES = 96


def _records(root: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(glob.glob(str(root / "reuters-*.json"))):
        for r in json.loads(Path(path).read_text(encoding="utf-8")):
            if not r.get("body"):
                continue
            try:  # "26-FEB-1987 15:01:01.79"; a few dates in the collection are malformed
                when = datetime.strptime(r["date"].strip().split(".")[0], "%d-%b-%Y %H:%M:%S")
            except ValueError:
                continue
            records.append({"id": f"reuters-{r['id']}", "title": r.get("title") or "", "text": r["body"],
                            "published": when.isoformat() + "+00:00",
                            "url": f"https://www.reuters.com/article/{r['id']}"})
    return records


def _shingles(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i:i + 5]) for i in range(len(words) - 4)}


def _silver(records: list[dict[str, Any]]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Same-headline pairs within 48 hours: (updates, near-duplicates)."""
    by_title: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        title = " ".join(r["title"].casefold().split())
        if title:
            by_title.setdefault(title, []).append(r)
    updates, duplicates = set(), set()
    for group in by_title.values():
        for x, y in combinations(group, 2):
            hours = abs((datetime.fromisoformat(x["published"]) - datetime.fromisoformat(y["published"])).total_seconds()) / 3600
            if hours > 48:
                continue
            a, b = _shingles(x["text"]), _shingles(y["text"])
            if min(len(a), len(b)) < SILVER_MIN_SHINGLES:
                continue
            shared = len(a & b)
            key = (min(x["id"], y["id"]), max(x["id"], y["id"]))
            if shared / len(a | b) >= 0.5:
                duplicates.add(key)
            elif 0.3 <= shared / min(len(a), len(b)) <= 0.85:
                updates.add(key)
    return updates, duplicates


def suite_lineage(data: Path, quick: bool) -> dict[str, Any]:
    """Reuters-21578 as one site: version pairs, lineages, precision on
    labelled pairs and recall on same-headline updates (module doc)."""
    root = data / "reuters21578_json"
    if not root.exists():
        return {"skipped": f"data not found: {root}"}
    records = _records(root)
    started = time.perf_counter()
    report = scan(records)
    seconds = time.perf_counter() - started
    labels = {(entry["a"], entry["b"]): entry["label"] for entry in load_packaged_labels(LABELS_FILE)}
    found = {(min(link["a"], link["b"]), max(link["a"], link["b"]))
             for line in report.lineages for link in line["links"]}
    judged = [labels[p] for p in found if p in labels]
    updates, duplicates = _silver(records)
    cluster = {d["id"]: d["cluster"] for d in report.documents}
    together = sum(1 for a, b in duplicates if cluster.get(a) is not None and cluster.get(a) == cluster.get(b))
    as_versions = sum(1 for p in duplicates if p in found)
    orders: dict[str, int] = {}
    for line in report.lineages:
        orders[line["order"]] = orders.get(line["order"], 0) + 1
    return {
        "documents": len(records),
        "lineages": len(report.lineages),
        "versions": sum(len(line["versions"]) for line in report.lineages),
        "version_pairs": len(found),
        "order": dict(sorted(orders.items())),
        "labelled": {
            "found": len(judged),
            "same_story": judged.count("same_story"),
            "follow_up": judged.count("follow_up"),
            "different_story": judged.count("different_story"),
            "precision": round(judged.count("same_story") / len(judged), 4) if judged else None,
            "precision_with_follow_ups": round((len(judged) - judged.count("different_story")) / len(judged), 4)
            if judged else None,
            "unlabelled": len(found) - len(judged),
            "labelled_not_found": sum(1 for p, label in labels.items() if label == "same_story" and p not in found),
        },
        "silver_updates": {"pairs": len(updates), "found": len(updates & found),
                           "recall": round(len(updates & found) / len(updates), 4) if updates else None},
        "same_headline_near_duplicates": {"pairs": len(duplicates), "one_cluster": together,
                                          "versions": as_versions,
                                          "apart": len(duplicates) - together - as_versions},
        "scan_seconds": round(seconds, 2),
    }
