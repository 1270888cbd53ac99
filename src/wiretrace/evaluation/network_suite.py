"""The ``networks`` suite of ``wiretrace bench``: what links sites on real pages?

Every page of ``real_news_pages`` (raw HTML of ~600 publishers) is extracted
as a scan extracts it; per site, its account ids, template lines and chrome
link targets are gathered (:mod:`wiretrace.networks`). Reported:

* how many pages carry each kind of evidence;
* the networks that ``wiretrace scan`` of the pages makes (ids, looks, and
  the copies and their timing), by what links them;
* the site pairs that share a look (template lines or link targets at their
  thresholds), and how many of them are one owner's sites, against
  ``network_pair_labels.jsonl`` beside this module: each pair read and
  judged "one owner" or "strangers" (site names only, no page text). The
  pairs were read as the thresholds were set, so that share is in-sample;
  a pair the labels do not hold is counted as unread.

A look alone never links two sites (a theme's or a platform's users share
one); this measures how often it points at common ownership when it does
come with a timing.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from wiretrace.evaluation.gold import load_packaged_labels
from wiretrace.networks import LINKS_MIN, TEMPLATE_MIN_LINES, account_key, pair_evidence

__all__ = ["suite_networks", "PAIR_LABELS_FILE"]

PAIR_LABELS_FILE = "network_pair_labels.jsonl"


def suite_networks(data: Path, quick: bool) -> dict[str, Any]:
    """Account ids, template lines and chrome links of real_news_pages, the
    networks a scan of its pages makes, and the look pairs (see the module doc)."""
    from wiretrace.extract import ExtractionError, extract_page
    from wiretrace.pipeline import scan
    from wiretrace.records import Document
    from wiretrace.trace import site_looks

    pages_dir = data / "real_news_pages"
    if not pages_dir.exists():
        return {"skipped": f"data not found: {pages_dir}"}
    rows = [json.loads(line) for line in (pages_dir / "index.jsonl").read_text(encoding="utf-8").splitlines() if line]
    documents = []
    carrying: Counter[str] = Counter()
    skipped = []
    for row in rows:
        try:
            page = extract_page((pages_dir / row["path"]).read_bytes(), url=row.get("url"))
        except (ExtractionError, OSError) as exc:
            skipped.append({"page": row["path"], "reason": str(exc)})
            continue
        metadata = page.metadata or {}
        documents.append(Document(id=row["path"], text=page.text, site=page.site, title=page.title, metadata=metadata))
        carrying["pages"] += 1
        carrying["with_account_ids"] += any(account_key(k) for k in metadata.get("account_ids", []))
        carrying["with_template_lines"] += bool(metadata.get("template_lines"))
        carrying["with_template_links"] += bool(metadata.get("template_links"))
    # the looks of every site, as a scan reads them (no copies between sites here: no origin lines to leave out)
    templates, links = site_looks(documents, {}, {})
    looks = pair_evidence(templates, links)
    labels = {tuple(label["sites"]): label["same_owner"] for label in load_packaged_labels(PAIR_LABELS_FILE)}
    read = [labels[pair] for pair in looks if pair in labels]
    # the networks, as `wiretrace scan` of the pages makes them (ids, looks, copies and their timing)
    report = scan(pages_dir / "pages")
    networks = report.networks
    return {
        "pages": carrying["pages"],
        "skipped": skipped,
        "pages_with": {kind: carrying[f"with_{kind}"] for kind in ("account_ids", "template_lines", "template_links")},
        "scan": {
            "clusters": len(report.clusters),
            "networks": len(networks),
            "networks_by_link": dict(Counter(" + ".join(n["linked_by"]) for n in networks)),
            "copying_networks": sum(n["kind"] == "copying" for n in networks),
            "pairs_sharing_a_timing": sum(1 for n in networks for p in n["pairs"] if p["timing"]),
            "common_ids": len(report.network_common_ids),
        },
        "look_pairs": {
            "pairs": len(looks),
            "by_template": sum(len(e["template"]) >= TEMPLATE_MIN_LINES for e in looks.values()),
            "by_links": sum(len(e["links"]) >= LINKS_MIN for e in looks.values()),
            "read": len(read),
            "one_owner": sum(read),
            "one_owner_share": round(sum(read) / len(read), 4) if read else None,
            "strangers": sorted(" + ".join(pair) for pair in looks if labels.get(pair) is False),
            "unread": len(looks) - len(read),
        },
    }
