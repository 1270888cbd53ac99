"""The attribute stage: does each repost credit its source, and which sites
live off copied, uncredited content.

A copy is **credited** when it names its origin or the document it copied:
the agency's dateline, credit line, byline, "Reporting by" or copyright
line kept in the text, or a link to the source's site; **miscredited** when
it credits only someone else (another agency's dateline, credit or
copyright line, or another copy's site; a passing attribution such as
"told Reuters" is not a claim about where the text came from);
**uncredited** when it credits no one. The origin document itself is
``origin``; a document whose origin is unknown is ``unknown``; a document
traced to another capture of the same publication (a re-scrape, an AMP or
mobile URL, the same publisher's other domain) is ``same_publication``: no
credit verdict, and no weight in the farm score. A document whose story's
origin is its own publisher (an update, a shorter version, a second article
reusing its own text) is ``same_publisher``: an article of its site, but no
copy of anyone else's, so no credit verdict either.

The site report ranks sites by a content-farm score, documented in
:func:`farm_score`.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Credits", "Attribution", "attribute", "site_report", "rank_sites", "farm_score", "UNNAMED_AGENCIES"]

#: Key of :attr:`Credits.agencies` for agencies credited without a name.
UNNAMED_AGENCIES = "*"


@dataclass
class Credits:
    """Who a document's text and links credit."""

    agencies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # agency -> marker evidence
    sites: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # site -> link / mention evidence


@dataclass(slots=True)
class Attribution:
    status: str  # origin, credited, uncredited, miscredited, unknown, same_publication, same_publisher
    source: str | None  # the node the document copied (doc:... / agency:...)
    credited: list[str]  # what it credits that counts: "agency:x", "site:y"
    evidence: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "source": self.source, "credits": self.credited, "evidence": self.evidence}


def attribute(
    doc_id: str,
    own_site: str | None,
    credits: Credits,
    origin_node: str | None,
    parent_node: str | None,
    node_site: dict[str, str | None],
    cluster_sites: set[str],
    origin_agency: str | None = None,
) -> Attribution:
    """Attribution status of one clustered document.

    Args:
        doc_id: The document.
        own_site: Its site (its own links and name are no credit).
        credits: What its text and links credit.
        origin_node: The cluster's origin node, or None when unknown.
        parent_node: The node it copied, or None.
        node_site: Site of each document node of the cluster.
        cluster_sites: Sites of all documents of the cluster.
        origin_agency: The agency whose copy the cluster is, also when the
            origin node is the agency's own page (crediting the agency is
            crediting the origin).
    """
    if origin_node == f"doc:{doc_id}":
        return Attribution("origin", None, [], [])
    if parent_node is None:
        return Attribution("unknown", None, [], [])
    expected_agencies, expected_sites = {origin_agency} - {None}, set()
    for node in {origin_node, parent_node} - {None}:
        kind, _, name = node.partition(":")
        if kind == "agency":
            expected_agencies.add(name)
        elif kind == "site":  # a credited outlet whose own page is not in the scan
            expected_sites.add(name)
        elif node_site.get(node):
            expected_sites.add(node_site[node])
    # Only a strong credit credits: "told Reuters" inside a copied story, a
    # teaser's credit line or a canonical link the page does not back up are
    # evidence, not a statement of where the text came from.
    def strong(evidence: list[dict[str, Any]]) -> bool:
        return any(e.get("strength", "strong") == "strong" for e in evidence)

    found_agencies = {a for a, marks in credits.agencies.items() if a != UNNAMED_AGENCIES and strong(marks)}
    found_sites = {s for s, marks in credits.sites.items() if s != own_site and strong(marks)}
    good = sorted([f"agency:{a}" for a in found_agencies & expected_agencies] + [f"site:{s}" for s in found_sites & expected_sites])
    evidence = [e for a in found_agencies & expected_agencies for e in credits.agencies[a]]
    evidence += [e for s in found_sites & expected_sites for e in credits.sites[s]]
    unnamed = credits.agencies.get(UNNAMED_AGENCIES, [])
    if not good and expected_agencies and strong(unnamed):
        # "... and agencies", "(With inputs from agencies)": the wire is
        # credited without its name
        return Attribution("credited", parent_node, ["agencies"], unnamed)
    if good:
        return Attribution("credited", parent_node, good, evidence)
    wrong_sites = found_sites & (cluster_sites - {own_site})  # another copy's site, not its source
    # Any other agency credited strongly miscredits (found_agencies holds strong credits only).
    wrong = sorted([f"agency:{a}" for a in found_agencies] + [f"site:{s}" for s in wrong_sites])
    if wrong:
        evidence = [e for a in found_agencies for e in credits.agencies[a]]
        evidence += [e for s in wrong_sites for e in credits.sites[s]]
        return Attribution("miscredited", parent_node, wrong, evidence)
    return Attribution("uncredited", parent_node, [], [])


def farm_score(articles: int, copies: int, uncredited: int, miscredited: int, *,
               in_copying_network: bool = False) -> float:
    """Content-farm score of a site, 0 (original) to 1 (lives off uncredited copies).

    ``copy_share * (0.4 + 0.6 * not_credited_share) * volume``, where
    ``copy_share`` is the share of the site's articles that are copies,
    ``not_credited_share`` the share of its copies that are uncredited or
    miscredited, and ``volume = min(1, articles / 5)`` damps sites seen in
    only a few articles. A site that reposts with credit (a licensed
    partner) scores at most 0.4; one whose every article is an uncredited
    copy scores 1. A member of a ``copying`` network (:mod:`wiretrace.networks`)
    is not damped (``volume = 1``): a farm spreads its copies over many
    small sites, and the network's habit shows that the site's few pages
    are no accident.

    Example:
        >>> farm_score(10, 10, 10, 0), farm_score(10, 10, 0, 0), farm_score(10, 0, 0, 0)
        (1.0, 0.4, 0.0)
        >>> farm_score(2, 2, 2, 0), farm_score(2, 2, 2, 0, in_copying_network=True)
        (0.4, 1.0)
    """
    if articles == 0:
        return 0.0
    copy_share = copies / articles
    bad_share = (uncredited + miscredited) / copies if copies else 0.0
    volume = 1.0 if in_copying_network else min(1.0, articles / 5)
    return round(copy_share * (0.4 + 0.6 * bad_share) * volume, 4)


def site_report(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-site figures from one row per document.

    Documents without a site are left out, and a second capture of one
    publication (``same_publication``) is counted apart, not as an article.
    Each row has ``site``, ``status`` (attribution status, or None when the
    document is in no cluster), ``origin`` (origin node of its cluster) and
    ``delay_hours`` (behind the origin, or None).
    """
    sites: dict[str, dict[str, Any]] = {}
    for row in rows:
        site = row["site"]
        if not site:
            continue  # a document without a site (a bare text file) belongs to no site
        entry = sites.setdefault(site, {"articles": 0, "originals": 0, "copies": 0, "credited": 0, "uncredited": 0,
                                        "miscredited": 0, "unknown": 0, "same_publication": 0, "same_publisher": 0,
                                        "sources": set(),
                                        "delays": []})
        status = row["status"]
        # a second capture of one publication is not a second article
        entry["articles"] += status != "same_publication"
        if status == "origin":
            entry["originals"] += 1
        elif status in ("credited", "uncredited", "miscredited"):
            entry["copies"] += 1
            entry[status] += 1
            if row["origin"]:
                entry["sources"].add(row["origin"])
            if row["delay_hours"] is not None:
                entry["delays"].append(row["delay_hours"])
        elif status == "unknown":
            entry["unknown"] += 1
        elif status in ("same_publication", "same_publisher"):
            entry[status] += 1
    report = []
    for site, e in sites.items():
        report.append(
            {
                "site": site,
                "articles": e["articles"],
                "originals": e["originals"],
                "copies": e["copies"],
                "copy_share": round(e["copies"] / e["articles"], 4) if e["articles"] else 0.0,
                "credited": e["credited"],
                "uncredited": e["uncredited"],
                "miscredited": e["miscredited"],
                "uncredited_share": round(e["uncredited"] / e["copies"], 4) if e["copies"] else 0.0,
                "unknown_origin": e["unknown"],
                "same_publication": e["same_publication"],
                "same_publisher": e["same_publisher"],
                "distinct_sources": len(e["sources"]),
                "sources": sorted(e["sources"]),
                "median_delay_hours": round(statistics.median(e["delays"]), 2) if e["delays"] else None,
                "farm_score": farm_score(e["articles"], e["copies"], e["uncredited"], e["miscredited"]),
            }
        )
    return rank_sites(report)


def rank_sites(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Site rows in place, sorted by farm score (then copies, then name) and
    given their ``rank``; ``rows`` returned."""
    rows.sort(key=lambda r: (-r["farm_score"], -r["copies"], r["site"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows
