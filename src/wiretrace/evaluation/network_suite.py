"""The ``networks`` suite of ``wiretrace bench``: what links sites on real pages?

Every page of ``real_news_pages`` (raw HTML of ~600 publishers) is extracted
as a scan extracts it; per site, its account ids, template lines and chrome
link targets are gathered (:mod:`wiretrace.networks`). Reported:

* how many pages carry each kind of evidence;
* the networks that form from these pages alone (no copy timing: these
  pages copy little from each other), by what links them;
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
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from wiretrace.evaluation.gold import load_packaged_labels
from wiretrace.networks import LINKS_MIN, TEMPLATE_LINE_WORDS, TEMPLATE_MIN_LINES, account_key, pair_evidence, site_networks

__all__ = ["suite_networks", "PAIR_LABELS_FILE"]

PAIR_LABELS_FILE = "network_pair_labels.jsonl"


def suite_networks(data: Path, quick: bool) -> dict[str, Any]:
    """Account ids, template lines and link targets of real_news_pages, and the
    networks and look pairs they make (see the module doc)."""
    from wiretrace.extract import ExtractionError, extract_page

    pages_dir = data / "real_news_pages"
    if not pages_dir.exists():
        return {"skipped": f"data not found: {pages_dir}"}
    rows = [json.loads(line) for line in (pages_dir / "index.jsonl").read_text(encoding="utf-8").splitlines() if line]
    ids: dict[str, dict[str, int]] = defaultdict(dict)
    templates: dict[str, set[str]] = defaultdict(set)
    links: dict[str, set[str]] = defaultdict(set)
    carrying: Counter[str] = Counter()
    skipped = []
    for row in rows:
        try:
            page = extract_page((pages_dir / row["path"]).read_bytes(), url=row.get("url"))
        except (ExtractionError, OSError) as exc:
            skipped.append({"page": row["path"], "reason": str(exc)})
            continue
        carrying["pages"] += 1
        site, metadata = page.site, page.metadata or {}
        if not site:
            continue
        keys = [k for k in metadata.get("account_ids", []) if account_key(k)]
        lines = [" ".join(v.casefold().split()) for v in metadata.get("template_lines", [])
                 if len(v.split()) >= TEMPLATE_LINE_WORDS]
        targets = [t for t in metadata.get("template_links", []) if t != site]
        carrying["with_account_ids"] += bool(keys)
        carrying["with_template_lines"] += bool(lines)
        carrying["with_template_links"] += bool(targets)
        for key in set(keys):
            ids[site][key] = ids[site].get(key, 0) + 1
        templates[site].update(lines)
        links[site].update(targets)
    networks, common = site_networks(ids, templates=templates, links=links)
    looks = pair_evidence(templates, links)
    labels = {tuple(label["sites"]): label["same_owner"] for label in load_packaged_labels(PAIR_LABELS_FILE)}
    read = [labels[pair] for pair in looks if pair in labels]
    return {
        "pages": carrying["pages"],
        "skipped": skipped,
        "pages_with": {kind: carrying[f"with_{kind}"] for kind in ("account_ids", "template_lines", "template_links")},
        "networks": len(networks),
        "networks_by_link": dict(Counter(" + ".join(n["linked_by"]) for n in networks)),
        "copying_networks": sum(n["kind"] == "copying" for n in networks),
        "common_ids": len(common),
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
