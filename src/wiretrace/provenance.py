"""The provenance stage: where each cluster's text came from and how it travelled.

For every cluster of verified copies this module decides

* the **origin**: a news agency when the text is wire copy (carried by the
  agency's own page in the corpus, or a virtual agency node when only
  reposts are there), otherwise the earliest credible document, or
  ``unknown`` when the evidence does not single one out;
* the **copy edges** ``source -> copy``: who copied whom, each with the
  evidence it rests on.

How direction is decided, strongest evidence first:

1. **Wire markers.** A dateline "LONDON (Reuters) -", a credit line, a
   "Reporting by ...; Editing by ..." line or a copyright notice in the
   cluster's documents mean the text is that agency's copy: the agency is
   the origin, whatever the dates say.
2. **Shared edits (copy chains).** When two copies share text that is in no
   other member of the cluster (an intro line one of them added, a word it
   changed), one copied the other, not the origin. Which way: the copy can
   only hold origin text that its source still had, so the source's share
   of the origin's text is a superset of the copy's (a source's cuts stay
   cut in its copies). Dates decide only when the text cannot.
3. **Dates, weighed by where they came from.** A date from the record or
   the page's own metadata is reliable; htmldate's reading of the page is
   usable; a crawl date only bounds publication from above and never makes
   a document an origin; a missing date says nothing.
4. **Containment.** A document whose text is wholly inside a longer member,
   whose extra text other copies confirm, is a trimmed copy: it cannot be
   the origin of the fuller text, even when its date is earlier. A
   document that is another member plus a little text no other copy has
   (an added intro or note) is an extended copy, and cannot be the origin
   either: so an original whose date was later updated is not displaced
   by a copy dated between its first and last versions.

When none of these singles out an origin (no wire markers, no usable
dates), the origin is ``unknown`` and edges leave it; an edge whose
direction neither text nor dates settle says ``"direction": "unknown"``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from wiretrace.credits import same_publisher
from wiretrace.verify import VerifiedPair, intersection, intersection_size

__all__ = ["Member", "Origin", "CopyEdge", "ClusterProvenance", "trace_cluster", "DATE_RELIABILITY"]

# How far a document's date can be trusted, by where it came from.
DATE_RELIABILITY = {"record": 3, "metadata": 3, "htmldate": 2, "crawl": 1, None: 0}
USABLE_DATE = 2  # record, metadata or htmldate dates order documents
MIN_SHARED_EDITS = 10  # shingles two copies alone share (a sentence or more) to call it a chain
SUPERSET = 0.95  # share of one copy's origin text found in the other to call it a superset
TRIMMED_CONFIRMED = 0.3  # share of a longer member's extra text that other copies confirm
ADDITION_SHARE = 0.3  # extra text up to this share of the shorter member reads as an addition
WHOLE = 0.98  # share of a member found in another for it to be "wholly inside" (an extended copy)
MAX_CHAIN_MEMBERS = 200  # above this, clusters get origin edges only (chain analysis is quadratic)


@dataclass
class Member:
    """What provenance needs to know about one document of a cluster."""

    index: int
    id: str
    site: str | None
    published: datetime | None
    date_source: str | None
    shingles: np.ndarray
    agencies: list[str] = field(default_factory=list)  # agencies with strong wire markers in the text
    own_agency: str | None = None  # the agency whose site published this document
    outlets: list[str] = field(default_factory=list)  # sites (outlets) the document credits as its source

    @property
    def reliability(self) -> int:
        return DATE_RELIABILITY.get(self.date_source, 0) if self.published else 0


@dataclass(slots=True)
class Origin:
    kind: str  # "agency", "outlet", "document" or "unknown"
    agency: str | None
    document: str | None
    reason: str
    outlet: str | None = None  # the credited outlet's site, for kind "outlet"

    def node(self) -> str | None:
        if self.document:
            return f"doc:{self.document}"
        if self.agency:
            return f"agency:{self.agency}"
        if self.outlet:
            return f"site:{self.outlet}"
        return None


@dataclass(slots=True)
class CopyEdge:
    """``source`` -> ``copy``: the copy took its text from the source."""

    source: str  # node id: "doc:<id>" or "agency:<id>"
    copy: str  # node id "doc:<id>"
    direction: str  # "known" or "unknown"
    basis: list[str]
    evidence: dict[str, Any]


@dataclass(slots=True)
class ClusterProvenance:
    cluster: str
    origin: Origin
    edges: list[CopyEdge]
    parent: dict[str, str | None]  # copy id -> source node


def _hours(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds() / 3600, 2)


def trace_cluster(
    cluster_id: str,
    members: Sequence[Member],
    pair: Callable[[int, int], VerifiedPair | None],
) -> ClusterProvenance:
    """Origin and copy edges of one cluster.

    Args:
        cluster_id: The cluster's id (``c1``...).
        members: Its documents.
        pair: Verified pair of two document indices, or None.
    """
    counts = _Counts(members)
    origin, origin_member = _choose_origin(members, pair, counts)
    reference = origin_member.shingles if origin_member is not None else counts.shared()
    order = _ordering(members, origin_member, reference)
    position = {m.index: rank for rank, m in enumerate(order)}
    chains = len(members) <= MAX_CHAIN_MEMBERS

    parents: dict[str, str | None] = {}
    edges: list[CopyEdge] = []
    for copy in order:
        if origin_member is not None and copy.index == origin_member.index:
            continue
        source, basis, extra = (None, [], {})
        if chains:
            source, basis, extra = _chain_source(copy, members, origin_member, reference, pair, position, counts)
        if source is None and origin_member is not None:
            source = origin_member
            basis = ["verified overlap with the origin"] if pair(copy.index, source.index) else ["same cluster as the origin"]
        if source is None and origin.kind == "agency":
            basis = [f"{origin.agency} wire markers in the cluster"]
            if origin.agency in copy.agencies:
                basis.append(f"{origin.agency} wire markers in this document")
        if source is None and origin.kind == "outlet":
            basis = [f"{origin.outlet} credited as the source in the cluster"]
            if origin.outlet in copy.outlets:
                basis.append(f"{origin.outlet} credited in this document")
        node = f"doc:{source.id}" if source is not None else origin.node()
        if node is None:  # unknown origin and no copy chain: nothing to say
            parents[copy.id] = None
            continue
        evidence = _edge_evidence(copy, source, pair)
        evidence.update(extra)
        parents[copy.id] = node
        direction = "known" if basis else "unknown"
        if direction == "known" and evidence.get("time", {}).get("order") == "conflict" and not _text_basis(basis):
            # the copy is dated before its source and no text says which came
            # first (only that they overlap): the direction is not known
            direction = "unknown"
            basis = [*basis, "the copy is dated before its source and no text shows the direction"]
        edges.append(CopyEdge(node, f"doc:{copy.id}", direction, basis, evidence))
    edges.sort(key=lambda e: (e.copy, e.source))
    return ClusterProvenance(cluster_id, origin, edges, parents)


def _text_basis(basis: Sequence[str]) -> bool:
    """Whether an edge's basis holds evidence from the texts themselves
    (shared edits, inherited cuts, wire markers), not only their overlap."""
    return any(not b.startswith(("verified overlap", "same cluster")) for b in basis)


def _most_credited(members: Sequence[Member], names: Callable[[Member], Sequence[str]],
                   own: Callable[[Member, str], bool]) -> tuple[str, int, Member | None] | None:
    """The name most members credit (ties: the first by name), how many do,
    and its own page among the members (the earliest reliably dated), or None
    when no member credits any."""
    counts: dict[str, int] = {}
    for m in members:
        for name in set(names(m)):
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return None
    name = min(counts, key=lambda a: (-counts[a], a))
    pages = [m for m in members if own(m, name)]
    page = min(pages, key=lambda m: (m.reliability < USABLE_DATE, m.published or datetime.max.astimezone(), m.id),
               default=None)
    return name, counts[name], page


def _choose_origin(members: Sequence[Member], pair, counts: _Counts) -> tuple[Origin, Member | None]:
    # 1. Wire copy: the agency whose markers most members carry.
    found = _most_credited(members, lambda m: m.agencies, lambda m, agency: m.own_agency == agency)
    if found:
        agency, carriers, page = found
        where = "the agency's own page is in the corpus" if page else "the agency's own copy is not in the corpus"
        reason = f"{agency} wire copy ({carriers} of {len(members)} documents carry its markers); {where}"
        return Origin("agency", agency, page.id if page else None, reason), page

    # 2. A credited outlet: copies that say where their text came from
    #    ("CNN Newsource", "This article originally appeared on X", a
    #    canonical link to X) name the origin even when X's own page is not
    #    in the scan -- the earliest scraped copy is not the origin then.
    found = _most_credited(members, lambda m: m.outlets, lambda m, site: bool(m.site) and same_publisher(m.site, site))
    if found:
        site, carriers, page = found
        where = "its own page is in the corpus" if page else "its own copy is not in the corpus"
        reason = f"{carriers} of {len(members)} documents credit {site}; {where}"
        return Origin("outlet", None, page.id if page else None, reason, outlet=site), page

    # 3. The earliest document with a usable date that is not a trimmed copy.
    dated = [m for m in members if m.reliability >= USABLE_DATE]
    if not dated:
        return Origin("unknown", None, None, "no wire markers and no usable publication dates (only crawl dates or none)"), None
    copies = _containment_copies(members, counts)
    candidates = [m for m in dated if m.index not in copies] or dated
    best = min(candidates, key=lambda m: (m.published, -m.reliability, m.id))
    reason = f"earliest of {len(candidates)} documents with a usable date ({best.date_source})"
    set_aside = len(copies & {m.index for m in dated})
    if set_aside:
        reason += f"; {set_aside} dated documents set aside as trimmed or extended copies of another member"
    return Origin("document", None, best.id, reason), best


def _containment_copies(members: Sequence[Member], counts: _Counts) -> set[int]:
    """The members that are trimmed or extended copies of another
    (:func:`_is_trimmed`, :func:`_is_derived`). Both ask of a member's
    shingle set only, against sets of other sizes, so each distinct set is
    asked once, against the distinct sets (a story on 714 pages had 344);
    their overlaps come from :class:`_Overlaps`."""
    distinct: dict[bytes, Member] = {}
    for m in members:
        distinct.setdefault(m.shingles.tobytes(), m)
    sets = list(distinct.values())
    shared = _Overlaps(sets)
    copied = {key for key, m in distinct.items()
              if _is_trimmed(m, sets, counts, len(members), shared) or _is_derived(m, sets, counts, len(members), shared)}
    return {m.index for m in members if m.shingles.tobytes() in copied}


#: Distinct sets from which a cluster's overlaps are counted all at once (a
#: product of 0/1 matrices) rather than pair by pair, and up to how many (the
#: product is that many squared: 4,096 sets take 128 MB); and the most cells
#: of the 0/1 matrix held at a time (float32: 64 MB; with 48 sets or more, a
#: block is under 2**24 columns wide, so its float32 sums are exact).
OVERLAP_MATRIX_MIN = 48
OVERLAP_MATRIX_MAX = 4096
OVERLAP_MATRIX_CELLS = 16_000_000


class _Overlaps:
    """The shingles two members share, for members with distinct shingle
    sets: :func:`~wiretrace.verify.intersection_size` pair by pair in a
    small cluster (and in one of more than :data:`OVERLAP_MATRIX_MAX`); in a
    large one, every pair's at once as the product of the members-by-shingles
    0/1 matrix with itself, in column blocks of at most
    :data:`OVERLAP_MATRIX_CELLS` cells (exact: a block's sums of ones, in
    float32, stay below its width, under 2**24; the blocks add up in int64).
    Pinned to ``intersection_size`` by a property test."""

    def __init__(self, members: Sequence[Member]):
        self._row = {m.index: i for i, m in enumerate(members)}
        self._matrix: np.ndarray | None = None
        if OVERLAP_MATRIX_MIN <= len(members) <= OVERLAP_MATRIX_MAX:
            self._matrix = _overlap_matrix([m.shingles for m in members])

    def __call__(self, a: Member, b: Member) -> int:
        if self._matrix is None:
            return intersection_size(a.shingles, b.shingles)
        return int(self._matrix[self._row[a.index], self._row[b.index]])


def _overlap_matrix(sets: Sequence[np.ndarray]) -> np.ndarray:
    """Shared values of every two of ``sets`` (sorted, distinct values each)."""
    sizes = np.array([len(x) for x in sets], dtype=np.int64)
    values, column = np.unique(np.concatenate(sets), return_inverse=True)
    row = np.repeat(np.arange(len(sets)), sizes)
    order = np.argsort(column, kind="stable")
    row, column = row[order], column[order]
    width = max(1, OVERLAP_MATRIX_CELLS // max(1, len(sets)))
    out = np.zeros((len(sets), len(sets)), dtype=np.int64)
    for start in range(0, len(values), width):
        lo, hi = np.searchsorted(column, [start, start + width])
        block = np.zeros((len(sets), min(width, len(values) - start)), dtype=np.float32)
        block[row[lo:hi], column[lo:hi] - start] = 1.0
        out += np.rint(block @ block.T).astype(np.int64)  # exact: a block's sums stay below its width
    return out


def _is_trimmed(member: Member, members: Sequence[Member], counts: _Counts, size: int | None = None,
                shared_of: Callable[[Member, Member], int] | None = None) -> bool:
    """Whether ``member`` is wholly inside a longer member whose extra text
    other copies confirm (so it is that text, cut down). ``size``: the
    cluster's members (``members`` may be its distinct sets only);
    ``shared_of``: their overlaps (:class:`_Overlaps`).

    "Confirmed": held by a third member. A shingle of ``other`` that
    ``member`` lacks is held by some third member exactly when at least two
    members hold it (shingle sets are distinct), so the cluster's counts
    answer it -- the plain reference, ``np.isin(extra, <the other members'
    shingles>)``, is pinned to it by a property test."""
    size = len(members) if size is None else size
    for other in members:
        if other.index == member.index or len(other.shingles) <= len(member.shingles):
            continue
        shared = (shared_of or _plain_overlap)(member, other)
        if shared < SUPERSET * len(member.shingles):
            continue
        if len(other.shingles) == shared or size < 3:  # no extra text
            continue
        if _confirmed_of(other, shared, counts) >= TRIMMED_CONFIRMED:
            return True
    return False


def _confirmed_of(longer: Member, shared: int, counts: _Counts) -> float:
    """Share of the extra text of ``longer`` over another member it shares
    ``shared`` shingles with (at least one extra) that a third member holds
    too (see :func:`_is_trimmed`), without making that text: each shared
    shingle is held by both, so counted at least twice, and the extra
    shingles a third member holds are the rest of the ones ``longer`` holds
    that are counted twice or more (:meth:`_Counts.held_twice`; the float
    ``np.mean(counts.of(extra) >= 2)`` gives, pinned by a property test).
    Making the extra text (``np.setdiff1d``) per pair was half of what the
    provenance step spent telling trimmed and extended copies (ad hoc,
    py-spy of a 300,000-document scan)."""
    return (counts.held_twice(longer) - shared) / (len(longer.shingles) - shared)


def _plain_overlap(a: Member, b: Member) -> int:
    return intersection_size(a.shingles, b.shingles)


def _is_derived(member: Member, members: Sequence[Member], counts: _Counts, size: int | None = None,
                shared_of: Callable[[Member, Member], int] | None = None) -> bool:
    """Whether ``member`` is another member plus a little text of its own
    that no other copy has (an added intro, a note): an extended copy.
    ``size`` and ``shared_of`` as for :func:`_is_trimmed`."""
    size = len(members) if size is None else size
    for other in members:
        if other.index == member.index or len(other.shingles) >= len(member.shingles):
            continue
        shared = (shared_of or _plain_overlap)(member, other)
        if shared < WHOLE * len(other.shingles):
            continue  # the other member is not wholly inside this one
        extra = len(member.shingles) - shared  # this member's shingles the other lacks
        if extra > ADDITION_SHARE * len(other.shingles):
            continue  # too much new text to be an addition: dates decide
        confirmed = _confirmed_of(member, shared, counts) if size >= 3 and extra else 0.0
        if confirmed < TRIMMED_CONFIRMED:
            return True
    return False


def _ordering(members: Sequence[Member], origin: Member | None, reference: np.ndarray) -> list[Member]:
    """Members from most to least original: origin, then usable dates in
    order, then the rest by how much of the origin's text they hold."""
    usable = sorted((m for m in members if m.reliability >= USABLE_DATE), key=lambda m: (m.published, m.id))
    rank = {m.index: i for i, m in enumerate(usable)}
    return sorted(
        members,
        key=lambda m: (
            not (origin is not None and m.index == origin.index),
            m.index not in rank,
            rank.get(m.index, 0),
            -intersection_size(m.shingles, reference),
            m.id,
        ),
    )


class _Counts:
    """How many members of a cluster hold each shingle (computed once)."""

    def __init__(self, members: Sequence[Member]):
        self.members = members
        self.values, self.counts = np.unique(np.concatenate([m.shingles for m in members]), return_counts=True)
        self._pairs: dict[tuple[int, int], int] | None = None
        self._held_twice: dict[int, int] = {}

    def of(self, shingles: np.ndarray) -> np.ndarray:
        return self.counts[np.searchsorted(self.values, shingles)]

    def held_twice(self, member: Member) -> int:
        """How many of ``member``'s shingles two or more members hold (once
        per member, by its ``index``)."""
        found = self._held_twice.get(member.index)
        if found is None:
            found = self._held_twice[member.index] = int(np.count_nonzero(self.of(member.shingles) >= 2))
        return found

    def edits(self, a: int, b: int) -> int:
        """How many shingles members ``a`` and ``b`` (their ``index``) alone
        hold: ``count_nonzero(of(intersection(A, B)) == 2)``, tallied for
        every pair in one pass over the shingles two members hold (each
        names its two holders), not by intersecting every pair of a cluster
        (``_chain_source`` asks for most of them). Pinned to the plain
        formula by a property test."""
        if self._pairs is None:
            self._pairs = self._tally()
        return self._pairs.get((a, b) if a < b else (b, a), 0)

    def _tally(self) -> dict[tuple[int, int], int]:
        lengths = [len(m.shingles) for m in self.members]
        if not sum(lengths):
            return {}
        values = np.concatenate([m.shingles for m in self.members])
        holders = np.repeat(np.array([m.index for m in self.members], dtype=np.int64), lengths)
        twice = np.isin(values, self.values[self.counts == 2])
        values, holders = values[twice], holders[twice]
        order = np.argsort(values, kind="stable")
        holders = holders[order].reshape(-1, 2)  # each value held by exactly two members: adjacent once sorted
        low, high = holders.min(axis=1), holders.max(axis=1)
        pairs, n = np.unique(np.stack([low, high], axis=1), axis=0, return_counts=True)
        return {(int(a), int(b)): int(k) for (a, b), k in zip(pairs, n)}

    def shared(self) -> np.ndarray:
        """The origin text of a virtual origin: shingles at least two members
        hold (the story, without any one copy's additions)."""
        return self.values[self.counts >= 2]


def _chain_source(copy: Member, members, origin, reference, pair, position, counts: _Counts
                  ) -> tuple[Member | None, list[str], dict]:
    """The member ``copy`` copied from when it shares edits with one: text
    that no other member has. None when it shares none."""
    best, best_edits, basis = None, 0, []
    if len(members) < 3:
        return None, [], {}  # nothing to compare with: shared text may be the origin's as well as an edit
    for other in members:
        if other.index == copy.index or (origin is not None and other.index == origin.index):
            continue
        edits = counts.edits(copy.index, other.index)  # shingles these two members alone hold
        if edits < MIN_SHARED_EDITS:
            continue
        if pair(copy.index, other.index) is None:
            continue
        if set(copy.agencies) - set(other.agencies):
            # The copy carries an agency's own marks (its dateline, its
            # credit) that the other lacks: it did not take its text from a
            # page that had stripped them -- a member paper with "SAN
            # FRANCISCO (AP) -" is never the copy of an uncredited farm page.
            continue
        direction = _chain_direction(other, copy, reference)
        if direction is None:
            # The text cannot tell who copied whom; dates (or the ordering) do.
            if position[other.index] > position[copy.index]:
                continue
            reason = "dates" if other.reliability >= USABLE_DATE and copy.reliability >= USABLE_DATE else "ordering"
        elif direction is False:
            continue
        else:
            reason = "content"
        if edits > best_edits:
            best, best_edits = other, edits
            basis = [f"shares {edits} shingles of edits with it that no other member has"]
            basis.append(
                "the text shows the direction: this copy kept its cuts, or is its text plus an addition"
                if reason == "content"
                else ("its usable date is earlier" if reason == "dates" else "direction uncertain: no usable dates")
            )
    if best is None:
        return None, [], {}
    if basis[-1].startswith("direction uncertain"):
        return best, [], {"shared_edits": best_edits, "note": basis[0]}
    return best, basis, {"shared_edits": best_edits}


def _chain_direction(source: Member, copy: Member, reference: np.ndarray) -> bool | None:
    """True if ``source`` -> ``copy`` by content, False if the other way,
    None if the text cannot tell (neither holds more of the origin text)."""
    in_source = intersection(source.shingles, reference)
    in_copy = intersection(copy.shingles, reference)
    if len(in_source) == len(in_copy):
        # Same origin text: the one that is the other plus a little text
        # of its own (a sign-off, a note) is the later copy.
        if _extends(copy, source):
            return True
        if _extends(source, copy):
            return False
        return None
    copy_in_source = intersection_size(in_copy, in_source) / max(len(in_copy), 1)
    source_in_copy = intersection_size(in_source, in_copy) / max(len(in_source), 1)
    if copy_in_source >= SUPERSET and len(in_source) > len(in_copy):
        return True
    if source_in_copy >= SUPERSET and len(in_copy) > len(in_source):
        return False
    return None


def _extends(longer: Member, shorter: Member) -> bool:
    """Whether ``longer`` is ``shorter``, whole, plus a small addition."""
    if len(longer.shingles) <= len(shorter.shingles):
        return False
    inside = intersection_size(longer.shingles, shorter.shingles) >= WHOLE * len(shorter.shingles)
    added = len(longer.shingles) - len(shorter.shingles)
    return inside and added <= ADDITION_SHARE * len(shorter.shingles)


def _edge_evidence(copy: Member, source: Member | None, pair) -> dict[str, Any]:
    evidence: dict[str, Any] = {}
    if source is not None:
        verified = pair(copy.index, source.index)
        if verified is not None:
            copy_first = verified.a == copy.index
            evidence.update(
                jaccard=round(verified.jaccard, 4),
                containment_copy_in_source=round(verified.containment_a_in_b if copy_first else verified.containment_b_in_a, 4),
                containment_source_in_copy=round(verified.containment_b_in_a if copy_first else verified.containment_a_in_b, 4),
                shared_shingles=verified.shared,
            )
        evidence["time"] = _time_evidence(source, copy)
    if copy.agencies:
        evidence["agency_markers"] = sorted(set(copy.agencies))
    return evidence


def _time_evidence(source: Member, copy: Member) -> dict[str, Any]:
    usable = source.reliability >= USABLE_DATE and copy.reliability >= USABLE_DATE
    delay = _hours(copy.published, source.published) if usable else None
    if delay is None:
        order = "unknown"
    elif delay >= 0:
        order = "consistent"
    else:
        order = "conflict"  # the copy claims an earlier date: a wrong or back-dated date
    return {
        "source_published": source.published.isoformat() if source.published else None,
        "source_date_from": source.date_source,
        "copy_published": copy.published.isoformat() if copy.published else None,
        "copy_date_from": copy.date_source,
        "delay_hours": delay,
        "order": order,
    }
