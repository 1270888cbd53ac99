"""Site networks: sites whose pages carry the same account ids.

Rule: two sites are **linked** when pages of both carry one account id --
a Google Analytics account (``UA-<account>-<n>``: the account, not the
property number), a GA4 measurement id (``G-…``), a Tag Manager container
(``GTM-…``), an AdSense publisher id (``ca-pub-…``) or a Meta pixel id
(``fbq('init', '…')``). Such an id belongs to one owner or to the one agency
that runs the sites, so sharing it is evidence of common control; a page's
text is never searched (an article may quote an id), only its scripts and
the attributes that load trackers and ads.

* **Vendors' ids are not owners' ids.** A plugin's platform account
  (``ca-host-pub-…``, written by Google's Site Kit into every site that
  installs it) is not read at all; an id on more than
  :data:`MAX_SITES` sites is a vendor's or a theme's default, listed under
  ``common_ids`` and linking nobody.
* **Networks are the connected groups** of linked sites (two or more), each
  with its evidence: every shared id, the sites that carry it and how many of
  their pages do.
* **What sites look like and when they post link them only together.**
  Two sites also share a template (at least :data:`TEMPLATE_MIN_LINES`
  lines of their headers, menus and footers, or of their text chrome) or
  outbound link targets (:data:`LINKS_MIN` domains their chrome links to);
  and they copy the same stories at the same hours (at least
  :data:`TIMING_MIN_STORIES` stories copied within
  :data:`TIMING_GAP_HOURS` of each other, as one scraper posting to every
  site of a farm does). Each alone is what strangers share: one bought
  theme gives its users the same footer and vendor links ("Proudly powered
  by …"), and two aggregators polling one wire feed post its stories
  minutes apart. So a look (template or links) and a timing together link
  two sites; either alone is shown as evidence between sites already
  linked, never as a link. A line or a link target on more than
  :data:`WEAK_MAX_SITES` sites is a platform's or a theme's ("Follow us on
  Twitter", ``facebook.com``) and counts for nobody.
* **A network is not a verdict.** The titles of one media group share
  accounts as much as a farm's sites do (in ``real_news_pages``: Vox Media's,
  Postmedia's and GateHouse's titles). What tells them apart is what the
  members do with other people's text, so each network carries its
  members' copy figures from the site report -- copies, uncredited copies,
  and how many of those are of a source outside the network -- and is called
  ``copying`` only when at least :data:`COPYING_MEMBERS` members, and
  :data:`COPYING_SHARE` of them, copy sources outside it without credit;
  otherwise ``shared accounts``.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import combinations
from typing import Any

from wiretrace.cluster import connected_components

__all__ = ["account_key", "find_account_ids", "find_account_ids_in_data", "site_networks", "pair_evidence", "MAX_SITES",
           "COPYING_MEMBERS", "COPYING_SHARE", "ID_KINDS", "TEMPLATE_LINE_WORDS", "TEMPLATE_MIN_LINES", "LINKS_MIN", "WEAK_MAX_SITES",
           "TIMING_MIN_STORIES", "TIMING_GAP_HOURS", "TIMING_MAX_COPIES"]

#: An id carried by more sites than this is a vendor's, a plugin's or a
#: theme's default, not an owner's: the largest newspaper groups run a few
#: hundred titles, and a shared default turns up on thousands of sites.
MAX_SITES = 200
#: A network is called ``copying`` when at least this many of its sites, and
#: at least COPYING_SHARE of them, copy sources outside it without credit:
#: one site that copies is a site, not a network's habit, and two sloppy
#: titles of a twenty-title group do not make the group a farm network.
COPYING_MEMBERS = 2
COPYING_SHARE = 0.5
#: A template line has at least this many words: a menu's one-word items
#: ("News", "Sport") are every site's.
TEMPLATE_LINE_WORDS = 4
#: A template: two sites share at least this many chrome lines of at least
#: TEMPLATE_LINE_WORDS words. In real_news_pages, 51 of the 55
#: site pairs sharing 3 such lines are one group's titles (Advance Local,
#: Gannett, Postmedia, Funke, NBC); the other 4 share "Follow us on …" lines.
TEMPLATE_MIN_LINES = 3
#: Outbound links: two sites' chrome links to at least this many same
#: domains (a group's corporate, sister and shop sites).
LINKS_MIN = 3
#: A chrome line or link target on more sites than this is a platform's, a
#: vendor's or a theme's: "Follow us on Twitter" was on 11 of
#: real_news_pages' ~600 publishers, "Do not sell my personal information"
#: on 13, reddit.com and zendesk.com on 12 and 13.
WEAK_MAX_SITES = 10
#: Timing: two sites copied at least this many of the same stories, each
#: within TIMING_GAP_HOURS of the other.
TIMING_MIN_STORIES = 3
TIMING_GAP_HOURS = 1.0
#: A story copied by more sites than this times nobody: a wire story that
#: half the web carries is posted within the hour by strangers.
TIMING_MAX_COPIES = 50
#: Examples kept per kind of pair evidence, and pairs listed per network
EXAMPLES = 3
PAIRS_LISTED = 50
#: The kinds of account id read, as they appear in ``metadata["account_ids"]``
#: (``kind:id``).
ID_KINDS = ("ua", "ga4", "gtm", "adsense", "pixel")

_IDS = re.compile(
    r"(?<![\w-])(?P<ua>UA-\d{4,10})-\d{1,4}(?![\w-])"
    r"|(?<![\w-])(?P<ga4>G-[A-Z0-9]{10})(?![\w-])"
    r"|(?<![\w-])(?P<gtm>GTM-[A-Z0-9]{4,9})(?![\w-])"
    r"|(?<![\w-])(?P<adsense>ca-pub-\d{10,20})(?!\d)"
    r"|fbq\(\s*['\"]init['\"]\s*,\s*['\"](?P<pixel>\d{10,20})['\"]"
    r"|facebook\.com/tr/?\?id=(?P<pixel_img>\d{10,20})"
)
# GA4 ids are also ordinary-looking tokens ("G-SHOCKWATCH"): only where a
# tracker is loaded or configured
_GA4_CONTEXT = re.compile(r"gtag|googletagmanager|google-analytics|measurement|analytics", re.I)


_KEY = re.compile(rf"(?P<kind>{'|'.join(ID_KINDS)}):(?P<id>[A-Za-z0-9-]{{2,40}})")


def account_key(key: object) -> bool:
    """Whether ``key`` is an account id as this module writes it
    (``kind:id`` of a kind in :data:`ID_KINDS`): an input's own
    ``metadata.account_ids`` may hold anything, and only these link sites.

    Example:
        >>> account_key("gtm:GTM-K9X2ZQ"), account_key("GTM-K9X2ZQ"), account_key("evil:<script>")
        (True, False, False)
    """
    return isinstance(key, str) and _KEY.fullmatch(key) is not None


def find_account_ids(chunks: Iterable[str]) -> list[str]:
    """Account ids in a page's script texts and tracker attributes, as
    ``kind:id``, in order of first appearance.

    Example:
        >>> find_account_ids(["gtag('config', 'G-AB12CD34EF'); ga('create', 'UA-1234567-2')",
        ...                   "https://www.googletagmanager.com/ns.html?id=GTM-K9X2ZQ",
        ...                   "ca-host-pub-2644536267352236"])
        ['ga4:G-AB12CD34EF', 'ua:UA-1234567', 'gtm:GTM-K9X2ZQ']
    """
    out: dict[str, None] = {}
    for chunk in chunks:
        if not isinstance(chunk, str) or "-" not in chunk and "fbq" not in chunk and "/tr" not in chunk:
            continue
        ga4_ok = None
        for m in _IDS.finditer(chunk):
            kind = m.lastgroup
            if kind == "ga4":
                if ga4_ok is None:
                    ga4_ok = bool(_GA4_CONTEXT.search(chunk))
                if not ga4_ok:
                    continue
            out.setdefault(f"{kind.removesuffix('_img')}:{m.group(kind)}")
    return list(out)


# In a data block (a page's JSON configuration), an id counts only as the
# value of a key that names a tracker ("tags": {"gtm": ["GTM-…"]},
# "trackingId": "UA-…"): elsewhere in the block it may be the article's text.
_TRACKER_KEY = re.compile(r'(?i)(?:gtm|\bga4?\b|analytic|track|measurement|container|ad_?client|pixel|\btags?\b)[\w-]*"?\s*:\s*\[?\s*"?$')


def find_account_ids_in_data(blocks: Iterable[str]) -> list[str]:
    """Account ids of JSON data blocks (``<script type="application/json">``):
    only those written as the value of a tracker's key.

    Example:
        >>> find_account_ids_in_data(['{"vendor": "x", "tags": {"gtm": ["GTM-MKM4ZNQ"]}}',
        ...                           '{"body": "The farm ran GTM-FARM77 on every site."}'])
        ['gtm:GTM-MKM4ZNQ']
    """
    kept = []
    for block in blocks:
        if not isinstance(block, str):
            continue
        for m in _IDS.finditer(block):
            if _TRACKER_KEY.search(block, max(0, m.start() - 40), m.start()):
                kept.append(block[max(0, m.start() - 40): m.end() + 2])
    return find_account_ids(kept)


def _shared(values_of: Mapping[str, Iterable[str]], max_sites: int) -> dict[tuple[str, str], list[str]]:
    """For each pair of sites, the values (template lines, link targets)
    both carry, leaving out values on more than ``max_sites`` sites."""
    carriers: dict[str, set[str]] = defaultdict(set)
    for site, values in values_of.items():
        if site:
            for value in values:
                carriers[value].add(site)
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for value in sorted(carriers):
        sites = carriers[value]
        if 2 <= len(sites) <= max_sites:
            for pair in combinations(sorted(sites), 2):
                shared[pair].append(value)
    return shared


def _timing(story_copies: Iterable[tuple[str, object, float]], gap_hours: float,
            max_copies: int) -> dict[tuple[str, str], list[float]]:
    """For each pair of sites, the hours between their copies of each story
    both copied within ``gap_hours`` of each other (the smallest gap per
    story), sorted; stories copied by more than ``max_copies`` sites time
    nobody. Linear in a story's copies for each pair of its sites (their
    sorted times merged), however many copies one site posts."""
    by_story: dict[object, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for site, story, hours in story_copies:
        if site and story is not None and isinstance(hours, (int, float)) and math.isfinite(hours):
            by_story[story][site].append(float(hours))
    gaps: dict[tuple[str, str], list[float]] = defaultdict(list)
    for story, times in by_story.items():
        if len(times) > max_copies:
            continue
        for site_times in times.values():
            site_times.sort()
        for a, b in combinations(sorted(times), 2):
            gap = _closest(times[a], times[b])
            if gap <= gap_hours:
                gaps[(a, b)].append(gap)
    return {pair: sorted(found) for pair, found in gaps.items()}


def _closest(xs: list[float], ys: list[float]) -> float:
    """The smallest |x - y| between two sorted lists (merged in one pass)."""
    i = j = 0
    best = math.inf
    while i < len(xs) and j < len(ys):
        best = min(best, abs(xs[i] - ys[j]))
        if xs[i] < ys[j]:
            i += 1
        else:
            j += 1
    return best


def pair_evidence(
    templates: Mapping[str, Iterable[str]] | None = None,
    links: Mapping[str, Iterable[str]] | None = None,
    story_copies: Iterable[tuple[str, object, float]] = (),
    *,
    max_sites: int = WEAK_MAX_SITES,
) -> dict[tuple[str, str], dict[str, Any]]:
    """What two sites share besides accounts, for the pairs where one kind
    reaches its threshold: ``template`` (shared chrome lines), ``links``
    (shared outbound link targets), ``timing`` (stories both copied within
    :data:`TIMING_GAP_HOURS`, with the gaps) and ``linked``: whether the
    pair is a link by itself (a look and a timing together; see the module's
    rule).

    Args:
        templates: site -> its chrome lines (normalised: case-folded, spaces collapsed).
        links: site -> the domains its chrome links to (not its own).
        story_copies: One ``(site, story, hours)`` per copy: the story (any
            key) and when the copy was published, in hours on any fixed scale.
        max_sites: A line or link target on more sites than this counts for nobody.

    Example:
        >>> lines = ["copyright 2026 farm media group", "contact the farm desk today", "all farm rights reserved here"]
        >>> ev = pair_evidence({"a.com": lines, "b.com": lines},
        ...                    story_copies=[(s, k, 10.0 * k + (s == "b.com") * 0.2) for k in range(3) for s in ("a.com", "b.com")])
        >>> ev[("a.com", "b.com")]["linked"], ev[("a.com", "b.com")]["timing"]
        (True, [0.2, 0.2, 0.2])
    """
    shared_lines = _shared(templates or {}, max_sites)
    shared_links = _shared(links or {}, max_sites)
    timing = _timing(story_copies, TIMING_GAP_HOURS, TIMING_MAX_COPIES)
    out = {}
    for pair in sorted(set(shared_lines) | set(shared_links) | set(timing)):
        lines, targets, gaps = shared_lines.get(pair, []), shared_links.get(pair, []), timing.get(pair, [])
        looks = len(lines) >= TEMPLATE_MIN_LINES or len(targets) >= LINKS_MIN
        timed = len(gaps) >= TIMING_MIN_STORIES
        if looks or timed:
            out[pair] = {"template": lines, "links": targets, "timing": [round(g, 2) for g in gaps],
                         "linked": looks and timed}
    return out


def site_networks(
    site_ids: Mapping[str, Mapping[str, int]],
    copies: Iterable[tuple[str, str, str | None]] = (),
    *,
    templates: Mapping[str, Iterable[str]] | None = None,
    links: Mapping[str, Iterable[str]] | None = None,
    story_copies: Iterable[tuple[str, object, float]] = (),
    max_sites: int = MAX_SITES,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Networks of sites from the ids their pages carry, and from their
    templates, outbound links and copy timing together (:func:`pair_evidence`).

    Args:
        site_ids: site -> {``kind:id`` -> pages of the site carrying it}.
        copies: One ``(site, status, source_site)`` per copy: its site, its
            attribution status (``credited``, ``uncredited``, ``miscredited``)
            and the site (or agency node) of the page or source it copied,
            None when unknown. Copies by sites in no network are not used.
        templates, links, story_copies: As :func:`pair_evidence` takes them.
        max_sites: An id on more sites than this links nobody (see :data:`MAX_SITES`).

    Returns:
        ``(networks, common_ids)``. Each network: ``id`` (``n1``, ``n2``, … by
        size, then by first site), ``sites``, ``evidence`` (one entry per
        shared id: ``kind``, ``id``, and the ``sites`` carrying it with their
        page counts), ``pairs`` (members that share a template, links or
        timing: the ``sites``, the counts ``template``, ``links``,
        ``timing``, up to three examples of each, the median gap in hours
        and whether the pair is a link by itself), ``linked_by`` (what links
        it: ``accounts``, ``look and timing``), ``copies``, ``uncredited``,
        ``uncredited_outside`` (uncredited copies of a source that is no
        member), ``copying_members`` (members with at least one of those)
        and ``kind`` (``copying``; else ``shared accounts`` or, when no
        account links it, ``shared look``). ``common_ids``: ids on more than
        ``max_sites`` sites, with their site counts.

    Example:
        >>> nets, common = site_networks({"a.com": {"gtm:GTM-1A": 3}, "b.com": {"gtm:GTM-1A": 1}, "c.com": {}})
        >>> [(n["id"], n["sites"], n["kind"]) for n in nets], common
        ([('n1', ['a.com', 'b.com'], 'shared accounts')], [])
    """
    if isinstance(max_sites, bool) or not isinstance(max_sites, int) or max_sites < 2:
        raise ValueError(f"max_sites must be an integer of at least 2 (an id links two sites), not {max_sites!r}")
    carriers: dict[str, dict[str, int]] = defaultdict(dict)
    for site, ids in site_ids.items():
        if not site:
            continue
        for key, pages in ids.items():
            if not account_key(key):
                raise ValueError(f"not an account id: {key!r} (expected kind:id with kind one of {', '.join(ID_KINDS)})")
            carriers[key][site] = carriers[key].get(site, 0) + int(pages)
    common = [{"id": key, "sites": len(c)} for key, c in sorted(carriers.items()) if len(c) > max_sites]
    shared = {key: c for key, c in carriers.items() if 2 <= len(c) <= max_sites}
    weak = pair_evidence(templates, links, story_copies)
    weak_links = [pair for pair, e in weak.items() if e["linked"]]
    # connected groups of the sites that share an id or are linked by look and
    # timing (in name order, so the groups come largest first, then by their first site)
    names = sorted({site for carrying in shared.values() for site in carrying} | {s for pair in weak_links for s in pair})
    index = {site: i for i, site in enumerate(names)}
    chains = [(index[a], index[b]) for carrying in shared.values()
              for a, b in zip(sorted(carrying), sorted(carrying)[1:])]
    chains += [(index[a], index[b]) for a, b in weak_links]
    groups = [[names[i] for i in members] for members in connected_components(len(names), chains)]
    network_of = {site: number for number, members in enumerate(groups) for site in members}
    evidence: list[list[dict[str, Any]]] = [[] for _ in groups]
    linked_by: list[set[str]] = [set() for _ in groups]
    for key in sorted(shared):
        kind, account = key.split(":", 1)
        carrying = shared[key]
        number = network_of[next(iter(carrying))]
        evidence[number].append({"kind": kind, "id": account, "sites": {s: carrying[s] for s in sorted(carrying)}})
        linked_by[number].add("accounts")
    pairs: list[list[dict[str, Any]]] = [[] for _ in groups]
    for (a, b), e in weak.items():
        number = network_of.get(a)
        if number is None or network_of.get(b) != number:
            continue  # evidence between sites in no one network links nobody
        if e["linked"]:
            linked_by[number].add("look and timing")
        gaps = e["timing"]
        pairs[number].append({
            "sites": [a, b], "linked": e["linked"],
            "template": len(e["template"]), "template_examples": e["template"][:EXAMPLES],
            "links": len(e["links"]), "link_examples": e["links"][:EXAMPLES],
            "timing": len(gaps), "median_gap_hours": round(statistics.median(gaps), 2) if gaps else None,
        })
    figures = [{"copies": 0, "uncredited": 0, "uncredited_outside": 0, "copying": set()} for _ in groups]
    for site, status, source in copies:
        number = network_of.get(site)
        if number is None or status not in ("credited", "uncredited", "miscredited"):
            continue
        entry = figures[number]
        entry["copies"] += 1
        if status == "uncredited":
            entry["uncredited"] += 1
            if source is not None and network_of.get(source) != number:
                entry["uncredited_outside"] += 1
                entry["copying"].add(site)
    for listed in pairs:  # linked pairs first, then the most shared; a group of 50 titles has 1,225 pairs
        listed.sort(key=lambda p: (not p["linked"], -(p["template"] + p["links"] + p["timing"]), p["sites"]))
    networks = [
        {
            "sites": members,
            "evidence": evidence[number],
            "copies": entry["copies"],
            "uncredited": entry["uncredited"],
            "uncredited_outside": entry["uncredited_outside"],
            "copying_members": len(entry["copying"]),
            "pairs": pairs[number][:PAIRS_LISTED],
            "pairs_total": len(pairs[number]),
            "linked_by": sorted(linked_by[number]),
            "kind": "copying" if len(entry["copying"]) >= max(COPYING_MEMBERS, COPYING_SHARE * len(members))
            else "shared accounts" if "accounts" in linked_by[number] else "shared look",
        }
        for number, (members, entry) in enumerate(zip(groups, figures))
    ]
    return [{"id": f"n{number}", **n} for number, n in enumerate(networks, start=1)], common
