"""The wire, provenance, align and attribute stages over a whole scan, and
the provenance graph (networkx) with its exports.

This module turns the pipeline's per-document results into the inputs of
:mod:`wiretrace.wire`, :mod:`wiretrace.provenance`, :mod:`wiretrace.align`
and :mod:`wiretrace.attribution`, and their outputs into report entries.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

import numpy as np
import xxhash

from wiretrace.align import align_pairs
from wiretrace.attribution import UNNAMED_AGENCIES, Attribution, Credits, attribute, farm_score, rank_sites, site_report
from wiretrace.credits import Credit, find_credits, name_spells, publisher_keys, same_publisher
from wiretrace import memo as memos
from wiretrace.executor import LocalExecutor
from wiretrace.memo import Memo, checked
from wiretrace.chrome import line_key
from wiretrace.networks import TEMPLATE_LINE_WORDS, account_key, site_networks
from wiretrace.provenance import DATE_RELIABILITY, USABLE_DATE, ClusterProvenance, CopyEdge, Member, Origin, trace_cluster
from wiretrace.records import Document
from wiretrace.spill import TextsOf, later, now
from wiretrace.sites import site_of
from wiretrace.verify import VerifiedPair
from wiretrace.wire import Marker, agency_for_site, find_markers

if TYPE_CHECKING:  # networkx is imported where a graph is made: a check of one page makes none
    import networkx as nx

__all__ = [
    "WireEvidence", "Alignments", "wire_stage", "wire_evidence", "credits_stage", "provenance_stage", "align_stage", "attribute_stage",
    "provenance_graph", "drop_cached_views", "write_graph", "XmlSafeView", "reuse_first", "usable_date", "networks_stage", "site_looks",
]


@dataclass(slots=True)
class WireEvidence:
    """Wire markers of one document, and what it credits.

    ``credits`` is filled by the credits stage (:func:`credits_stage`) for
    the documents that are in a cluster; it is None for the others. Slots,
    not an attribute dict: one of these per document was 408 bytes with its
    dict and its copy of the markers list (~400 MB of a 1M scan), 48 without."""

    markers: list[Marker]
    credits: list[Credit] | None = None

    @property
    def copy_of(self) -> list[str]:
        """Agencies whose copy the document carries: strong wire markers, and,
        once its credits are read, every strong agency credit (bylines,
        bracketed credits, markup)."""
        if self.credits is not None:
            return sorted({c.source[7:] for c in self.credits if c.strength == "strong" and c.source.startswith("agency:")})
        return sorted({m.agency for m in self.markers if m.strength == "strong"})

    @property
    def credited_sites(self) -> list[str]:
        """Outlets (their sites) the document credits as its source, strongly."""
        if not self.credits:
            return []
        return sorted({c.source[5:] for c in self.credits if c.strength == "strong" and c.source.startswith("site:")})

    def to_report(self) -> list[dict[str, Any]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for m in self.markers:
            out.setdefault(m.agency, []).append(
                {"kind": m.kind, "strength": m.strength, "text": m.text, "start": m.start, "end": m.end}
            )
        return [{"agency": agency, "markers": markers} for agency, markers in sorted(out.items())]


def wire_stage(documents: Sequence[Document]) -> list[WireEvidence]:
    """Wire markers of every document (its full text, credits included).

    ``scan`` runs :func:`~wiretrace.wire.find_markers` inside its
    fingerprinting batches instead, on the same worker processes, and wraps
    the results with :func:`wire_evidence`.
    """
    return wire_evidence([find_markers(d.text) for d in documents])  # mentions are left out by default


def _carried_agencies(evidence: WireEvidence, site: str | None) -> list[str]:
    """The agencies whose copy a document carries, for provenance: what it
    credits, and, on an agency's own site, the agency itself when its own
    dateline or credit is in the text ("WASHINGTON (AP) —" on apnews.com is
    AP's own copy of an AP story, the story's origin -- not a page that
    credits nobody and so may be taken for a copy of a farm that added a
    line to it)."""
    carried = evidence.copy_of
    own = agency_for_site(site)
    if own and own not in carried and any(m.agency == own and m.strength == "strong" for m in evidence.markers):
        return sorted({*carried, own})
    return carried


def wire_evidence(markers: Sequence[Sequence[Marker]]) -> list[WireEvidence]:
    """Wrap each document's wire markers (a list is taken as it is, not copied)."""
    return [WireEvidence(m if type(m) is list else list(m)) for m in markers]


def credits_stage(
    documents: Sequence[Document], components: Sequence[Sequence[int]], wire: Sequence[WireEvidence],
    executor: LocalExecutor | None = None, memo: Memo | None = None, hits: list[int] | None = None,
) -> int:
    """Read the credits of every clustered document (see :mod:`wiretrace.credits`)
    into its :class:`WireEvidence`, on the executor's workers; returns how
    many documents credit a source. The result does not depend on the workers.

    Only clustered documents are read: credits matter for provenance and
    attribution, which only copies have. ``memo`` (:mod:`wiretrace.memo`):
    the credits of a page read before are taken from it (``hits`` gets how
    many)."""
    clustered = [i for members in components for i in members]

    def read(positions: list[int]) -> list[list[Credit]]:
        # each item carries what it reads (a module function, no closure over the corpus):
        # an executor that ships items (Ray) sends each document once, to one worker
        items = [(documents[clustered[n]], wire[clustered[n]].markers) for n in positions]
        return (executor or LocalExecutor()).map(_read_credits, items, min_items=2000)

    found = 0
    # a page's markers are a function of its text (and the salt's registries): not a part of the key
    salted = memos.salt() if memo is not None else b""
    keys = [memos.memo_key("credits", salted, d.text, json.dumps(d.metadata, sort_keys=True, default=str), d.site,
                           d.author, json.dumps(list(d.links), default=str), d.title)
            for d in (documents[i] for i in clustered)] if memo is not None else []
    read_all = (memos.memoised(memo, keys, read, _credit_rows, _credits_from, hits) if memo is not None
                else read(list(range(len(clustered)))))
    for i, credits in zip(clustered, read_all):
        wire[i].credits = credits
        found += any(c.strength == "strong" for c in credits)
    return found


def _read_credits(item: tuple[Document, Any]) -> list[Credit]:
    doc, markers = item
    return find_credits(doc.text, doc.metadata, doc.site, doc.author, markers=markers, links=doc.links,
                        title=doc.title)


def _credit_rows(credits: list[Credit]) -> list[list[Any]]:
    return [[c.source, c.kind, c.strength, c.where, c.text, c.start, c.end] for c in credits]


def _credits_from(rows: list[list[Any]]) -> list[Credit]:
    credits = [Credit(checked(source, str), checked(kind, str), checked(strength, str, ("strong", "weak")),
                      checked(where, str), checked(text, str), checked(start, int), checked(end, int))
               for source, kind, strength, where, text, start, end in checked(rows, list)]
    if any(c.start < -1 or c.end < c.start for c in credits):
        raise ValueError("credit offsets out of order")
    return credits


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def provenance_stage(
    documents: Sequence[Document],
    sets: Sequence[np.ndarray],
    verified: Sequence[VerifiedPair],
    components: Sequence[Sequence[int]],
    wire: Sequence[WireEvidence],
    executor: LocalExecutor | None = None,
    memo: Memo | None = None,
    hits: list[int] | None = None,
) -> list[ClusterProvenance]:
    """Origin and copy edges of every cluster (cluster ids c1, c2, ...).
    ``memo`` (:mod:`wiretrace.memo`): a cluster traced before (the same
    members, texts, dates, credits and pairs) is taken from it (``hits``
    gets how many)."""
    cluster_of = {i: number for number, members in enumerate(components) for i in members}
    pairs: list[dict[tuple[int, int], VerifiedPair]] = [{} for _ in components]
    for p in verified:
        if p.a in cluster_of and cluster_of[p.a] == cluster_of.get(p.b):
            pairs[cluster_of[p.a]][(p.a, p.b)] = p
    # each item carries its cluster's members and pairs (a module function, no closure
    # over the corpus): an executor that ships items (Ray) sends each cluster once
    # (a spilled set is named, and read by the worker that traces its cluster: spill.later)
    items = [(number, [_member_row(i, documents[i], later(sets, i), wire[i]) for i in members], pairs[number - 1])
             for number, members in enumerate(components, start=1)]
    if memo is None:
        return (executor or LocalExecutor()).map(_trace_one, items, min_items=500)
    salted = memos.salt()
    keys = [_provenance_key(salted, item) for item in items]
    # a kept cluster speaks only of its own members (else it is traced again)
    found = {n: t for n, t in memos.lookup(memo, keys, _provenance_from).items() if _speaks_of(t, items[n])}
    missing = [n for n in range(len(items)) if n not in found]
    computed = (executor or LocalExecutor()).map(_trace_one, [items[n] for n in missing], min_items=500)
    memos.keep(memo, ((keys[n], t) for n, t in zip(missing, computed)), _provenance_value)
    found.update(zip(missing, computed))
    traced = [found[n] for n in range(len(items))]
    if hits is not None:
        hits.append(len(items) - len(missing))
    for number, cluster in enumerate(traced, start=1):  # its rank in this report: not a part of the key
        cluster.cluster = f"c{number}"
    return traced


#: What provenance reads of one clustered document (:func:`_member_row`).
MemberRow = tuple[int, str, "str | None", "str | None", "str | None", Any, list[str], "str | None", list[str]]


def _member_row(i: int, doc: Document, shingles: Any, evidence: WireEvidence) -> MemberRow:
    """What provenance reads of document ``i``, taken in the main process:
    a forked worker given these rows touches none of the corpus's document
    or evidence objects (touching an object after a fork copies its page,
    and a cluster's members lie all over the parent's heap)."""
    return (i, doc.id, doc.site, doc.published, doc.published_source, shingles,
            _carried_agencies(evidence, doc.site), agency_for_site(doc.site), evidence.credited_sites)


def _provenance_key(salted: bytes, item: tuple[int, list[MemberRow], dict[tuple[int, int], VerifiedPair]]) -> bytes:
    """A cluster's key: what :func:`_trace_one` reads of it -- its members as
    provenance sees them, in order, and its pairs, by position in the cluster."""
    _, rows, pairs = item
    local = {row[0]: n for n, row in enumerate(rows)}
    members = [[doc_id, site, published, date_source, xxhash.xxh3_128_hexdigest(now(shingles).tobytes()),
                agencies, own_agency, outlets]
               for _, doc_id, site, published, date_source, shingles, agencies, own_agency, outlets in rows]
    linked = sorted([local[a], local[b], p.shared, p.jaccard, p.containment_a_in_b, p.containment_b_in_a, p.via]
                    for (a, b), p in pairs.items())
    return memos.memo_key("provenance", salted, json.dumps([members, linked], default=str))


def _speaks_of(traced: ClusterProvenance, item: tuple[int, list[MemberRow], Any]) -> bool:
    """Whether a cluster's provenance names documents of that cluster only."""
    ids = {row[1] for row in item[1]}
    nodes = {f"doc:{i}" for i in ids}
    return ((traced.origin.document is None or traced.origin.document in ids)
            and all(e.copy in nodes and (e.source in nodes or not e.source.startswith("doc:")) for e in traced.edges)
            and all(k in ids and (v is None or v in nodes or not v.startswith("doc:")) for k, v in traced.parent.items()))


def _provenance_value(traced: ClusterProvenance) -> dict[str, Any]:
    o = traced.origin
    return {"origin": [o.kind, o.agency, o.document, o.reason, o.outlet],
            "edges": [[e.source, e.copy, e.direction, e.basis, e.evidence] for e in traced.edges],
            "parent": traced.parent}


def _provenance_from(data: dict[str, Any]) -> ClusterProvenance:
    text, maybe = str, (str, type(None))
    kind, agency, document, reason, outlet = data["origin"]
    origin = Origin(checked(kind, text, ("agency", "outlet", "document", "unknown")), checked(agency, maybe),
                    checked(document, maybe), checked(reason, text), checked(outlet, maybe))
    edges = [CopyEdge(checked(source, text), checked(copy, text), checked(direction, text, ("known", "unknown")),
                      [checked(b, text) for b in checked(basis, list)], checked(evidence, dict))
             for source, copy, direction, basis, evidence in checked(data["edges"], list)]
    parent = {checked(k, text): checked(v, maybe) for k, v in checked(data["parent"], dict).items()}
    return ClusterProvenance("", origin, edges, parent)


def _trace_one(item: tuple[int, list[MemberRow], dict[tuple[int, int], VerifiedPair]]) -> ClusterProvenance:
    number, rows, pairs = item
    members = [
        Member(index=i, id=doc_id, site=site, published=_parse(published), date_source=date_source,
               shingles=now(shingles), agencies=agencies, own_agency=own_agency, outlets=outlets)
        for i, doc_id, site, published, date_source, shingles, agencies, own_agency, outlets in rows
    ]
    return trace_cluster(f"c{number}", members, lambda i, j: pairs.get((i, j) if i < j else (j, i)))


ALIGN_JOB_DOCUMENTS = 128  # documents per alignment job (whole clusters)


@dataclass
class _AlignJob:
    documents: list[int] = field(default_factory=list)  # document indices; pairs index into this list
    pairs: list[tuple[int, int]] = field(default_factory=list)  # (with, copy)
    edges: list[int] = field(default_factory=list)  # the edge number of each pair
    keys: list[bytes] = field(default_factory=list)  # with a memo: each pair's key (wiretrace.memo)


@dataclass
class Alignments:
    """What the align stage found, per cluster (in the order of ``traced``).

    Attributes:
        edges: Per cluster, per copy edge: ``{"with": node, "passages":
            [...], "cut": ..., "paste": ...}`` (see :func:`wiretrace.align.align`),
            or None.
        comparisons: Per cluster, for members that are neither the origin
            nor the copy of an edge (the origin is unknown and no chain was
            found): ``{"copy": node, "alignment": {...}}``, the member aligned
            with its closest member; which copied which is not known.
    """

    edges: list[list[dict[str, Any] | None]]
    comparisons: list[list[dict[str, Any]]]
    memo_hits: int = 0  # alignments taken from a memo (wiretrace.memo)

    def all(self) -> list[dict[str, Any]]:
        """Every alignment made."""
        return [a for e in self.edges for a in e if a is not None] + [c["alignment"] for cs in self.comparisons
                                                                       for c in cs]


def align_stage(
    documents: Sequence[Document],
    components: Sequence[Sequence[int]],
    traced: Sequence[ClusterProvenance],
    verified: Sequence[VerifiedPair],
    shingle_size: int,
    executor: LocalExecutor | None = None,
    memo: Memo | None = None,
) -> Alignments:
    """The aligned passages of every copy edge, and of every member no edge
    reaches (see :class:`Alignments`).

    The copy is aligned with the edge's source document, in the documents'
    full texts as read (the offsets of wire markers refer to them too). When
    the source is a virtual agency node (the wire's own copy is not in the
    corpus), the copy is aligned with the member it shares the most
    shingles with among its verified pairs (ties: the smaller document id),
    so it still shows what it shares with the closest other copy. A member
    that no edge reaches (a cluster of unknown origin) is compared with its
    closest member the same way, so that every copy shows what it shares.
    Results do not depend on the executor's workers. ``memo``
    (:mod:`wiretrace.memo`): the pairs aligned before are taken from it.
    """
    reached = set()
    for members, cluster in zip(components, traced):
        reached.update(f"doc:{documents[i].id}" for i in members if cluster.parent.get(documents[i].id))
        if cluster.origin.document:
            reached.add(f"doc:{cluster.origin.document}")
    unreached = [[i for i in members if f"doc:{documents[i].id}" not in reached] for members in components]
    closest = _closest_members(documents, components, traced, verified, {i for u in unreached for i in u})
    jobs = [_AlignJob()]  # whole clusters per job, so each text is read once
    withs: list[str | None] = []  # the "with" node of each edge (then comparison), in order
    compared: list[list[int]] = []  # per cluster: the members compared, in order
    for members, cluster, lonely in zip(components, traced, unreached):
        job = jobs[-1]
        local = {f"doc:{documents[i].id}": i for i in members}
        position: dict[int, int] = {}
        done: set[frozenset[int]] = set()
        tasks = [(local[edge.copy], local.get(edge.source, closest.get(local[edge.copy]))) for edge in cluster.edges]
        compared.append([])
        for i in lonely:
            partner = closest.get(i)
            if partner is not None and frozenset((i, partner)) not in done:  # a pair of lonely members: once
                done.add(frozenset((i, partner)))
                tasks.append((i, partner))
                compared[-1].append(i)
        for copy, source in tasks:
            if source is None:
                withs.append(None)
                continue
            ends = []
            for i in (source, copy):
                if i not in position:
                    position[i] = len(job.documents)
                    job.documents.append(i)
                ends.append(position[i])
            job.pairs.append((ends[0], ends[1]))
            job.edges.append(len(withs))
            withs.append(f"doc:{documents[source].id}")
        if len(job.documents) >= ALIGN_JOB_DOCUMENTS:
            jobs.append(_AlignJob())

    out: list[dict[str, Any] | None] = [None] * len(withs)
    if memo is not None:  # pairs aligned before (wiretrace.memo) are not aligned again
        jobs = _unaligned(jobs, documents, shingle_size, withs, out, memo)
    hits = sum(1 for a in out if a is not None)
    jobs = [job for job in jobs if job.pairs]
    # each item carries its texts (a module function, no closure over the corpus); a spilled
    # text is named, and read by the worker that aligns it (spill.later)
    texts = TextsOf(documents)
    items = [([later(texts, i) for i in job.documents], job.pairs, shingle_size) for job in jobs]
    aligned: list[tuple[bytes, Any]] = []  # to keep in the memo, in one batch
    for job, alignments in zip(jobs, (executor or LocalExecutor()).map(_align_job, items, min_items=16)):
        for n, (passages, cut, paste) in zip(job.edges, alignments):
            out[n] = {"with": withs[n], "passages": passages, "cut": cut, "paste": paste}
        aligned.extend(zip(job.keys, alignments))
    memos.keep(memo, aligned, list)
    edges, comparisons, start = [], [], 0
    for cluster, members in zip(traced, compared):
        edges.append(out[start : start + len(cluster.edges)])
        start += len(cluster.edges)
        comparisons.append([{"copy": f"doc:{documents[i].id}", "alignment": a}
                            for i, a in zip(members, out[start : start + len(members)]) if a is not None])
        start += len(members)
    return Alignments(edges, comparisons, hits)


def _alignment_from(data: list[Any]) -> tuple[list[list[int]], float, float]:
    passages, cut, paste = data
    for passage in checked(passages, list):
        if len(checked(passage, list)) != 4 or any(checked(value, int) < 0 for value in passage):
            raise ValueError("a passage is four offsets")
        if passage[1] < passage[0] or passage[3] < passage[2]:
            raise ValueError("a passage ends before it starts")
    for share in (cut, paste):
        if not 0 <= checked(share, (int, float)) <= 1:
            raise ValueError("a share is between 0 and 1")
    return passages, cut, paste


def _unaligned(jobs: list[_AlignJob], documents: Sequence[Document], shingle_size: int, withs: list[str | None],
               out: list[dict[str, Any] | None], memo: Memo) -> list[_AlignJob]:
    """The align jobs less the pairs ``memo`` has: those are written into
    ``out`` (as the jobs would write them); the pairs left carry their keys."""
    salted = memos.salt()
    keys, lengths = [], []  # each text is read once here (a spilled one from disk)
    for job in jobs:
        for a, b in job.pairs:
            source, copy = documents[job.documents[a]].text, documents[job.documents[b]].text
            keys.append(memos.memo_key("align", salted, source, copy, shingle_size))
            lengths.append((len(source), len(copy)))
    # a kept alignment's passages lie inside both texts (else the pair is aligned again)
    known = {n: a for n, a in memos.lookup(memo, keys, _alignment_from).items()
             if all(p[1] <= lengths[n][0] and p[3] <= lengths[n][1] for p in a[0])}
    left, n = [], 0
    for job in jobs:
        rest = _AlignJob()
        for pair, edge in zip(job.pairs, job.edges):
            if n in known:
                passages, cut, paste = known[n]
                out[edge] = {"with": withs[edge], "passages": passages, "cut": cut, "paste": paste}
            else:
                ends = []
                for end in pair:
                    i = job.documents[end]
                    if i not in rest.documents:
                        rest.documents.append(i)
                    ends.append(rest.documents.index(i))
                rest.pairs.append((ends[0], ends[1]))
                rest.edges.append(edge)
                rest.keys.append(keys[n])
            n += 1
        left.append(rest)
    return left


def _align_job(item: tuple[list[str], list[tuple[int, int]], int]) -> list[tuple[list[list[int]], float, float]]:
    texts, pairs, shingle_size = item
    found = align_pairs([now(text) for text in texts], pairs, shingle_size)
    return [(a.passages, a.cut, a.paste) for a in found]  # plain tuples travel back from workers faster


def _closest_members(
    documents: Sequence[Document],
    components: Sequence[Sequence[int]],
    traced: Sequence[ClusterProvenance],
    verified: Sequence[VerifiedPair],
    also: set[int] = frozenset(),
) -> dict[int, int]:
    """For each copy of a virtual agency node, and each member of ``also``:
    the member it shares the most shingles with among its verified pairs
    (ties: the smaller document id)."""
    wanted = {
        i
        for members, cluster in zip(components, traced)
        if cluster.origin.kind in ("agency", "outlet") and cluster.origin.document is None
        for i in members
    } | set(also)
    if not wanted:
        return {}
    best: dict[int, tuple[int, str, int]] = {}
    for p in verified:
        for copy, other in ((p.a, p.b), (p.b, p.a)):
            if copy in wanted:
                key = (-p.shared, documents[other].id, other)
                if copy not in best or key < best[copy]:
                    best[copy] = key
    return {copy: key[2] for copy, key in best.items()}


def _credits(doc: Document, evidence: WireEvidence, wanted_sites: set[str]) -> Credits:
    credits = Credits()
    if evidence.credits is None:
        for m in evidence.markers:
            credits.agencies.setdefault(m.agency, []).append(
                {"kind": m.kind, "strength": m.strength, "agency": m.agency, "text": m.text, "start": m.start,
                 "end": m.end}
            )
    else:
        labels = {site.split(".")[0]: site for site in wanted_sites}
        for c in evidence.credits:
            entry = {"kind": c.kind, "strength": c.strength, "text": c.text, "where": c.where}
            if c.start >= 0:
                entry.update(start=c.start, end=c.end)
            if c.source.startswith("agency:"):
                credits.agencies.setdefault(c.source[7:], []).append({**entry, "agency": c.source[7:]})
            elif c.source.startswith("site:"):
                credits.sites.setdefault(c.source[5:], []).append(entry)
            elif c.source == "agencies":
                credits.agencies.setdefault(UNNAMED_AGENCIES, []).append({**entry, "agency": UNNAMED_AGENCIES})
            elif c.source.startswith("name:"):
                # a name no registry knows ("Spin Sucks") stands for a cluster
                # member's site when the site's name is in it (spinsucks.com)
                for label, site in labels.items():
                    if name_spells(c.source[5:], label):
                        credits.sites.setdefault(site, []).append(entry)
    for link in doc.links:
        site = site_of(link)
        if not site:
            continue
        agency = agency_for_site(site)
        entry = {"kind": "link", "strength": "strong", "url": link}
        if agency:
            credits.agencies.setdefault(agency, []).append({**entry, "agency": agency})
        credits.sites.setdefault(site, []).append(entry)
    lowered = doc.text.casefold()
    for site in wanted_sites:
        position = lowered.find(site.casefold())
        if position >= 0:  # the source's domain named in the text
            credits.sites.setdefault(site, []).append(
                {"kind": "mention", "text": doc.text[position : position + len(site)], "start": position,
                 "end": position + len(site)}
            )
    return credits


def attribute_stage(
    documents: Sequence[Document],
    components: Sequence[Sequence[int]],
    traced: Sequence[ClusterProvenance],
    wire: Sequence[WireEvidence],
    verified: Sequence[VerifiedPair] = (),
) -> tuple[dict[int, Attribution], list[dict[str, Any]], dict[int, float | None]]:
    """Attribution of every clustered document, the site report, and each
    copy's delay behind its origin (hours). ``verified`` gives the pairs'
    similarity, which tells a second capture of a page from a second post."""
    jaccard = {(p.a, p.b): p.jaccard for p in verified}
    partners: dict[int, list[int]] = {}  # each document's verified partners
    for a, b in jaccard:
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    attributions: dict[int, Attribution] = {}
    delays: dict[int, float | None] = {}
    origin_of: dict[int, str | None] = {}
    for indices, cluster in zip(components, traced):
        node_site = {f"doc:{documents[i].id}": documents[i].site for i in indices}
        cluster_sites = {documents[i].site for i in indices if documents[i].site}
        origin = cluster.origin.node()
        origin_time = _origin_time(documents, indices, cluster, wire)
        wanted = {s for n, s in node_site.items() if s and n in {origin, *cluster.parent.values()}}
        publication = _publications(documents, indices, cluster, jaccard)
        for i in indices:
            doc = documents[i]
            parent = cluster.parent.get(doc.id)
            if i in publication:
                same, first = publication[i]
                attributions[i] = Attribution("same_publication", f"doc:{documents[first].id}", [], [same])
            elif origin != f"doc:{doc.id}" and _own_publisher(doc.site, cluster.origin, node_site):
                # the story's origin is the copy's own publisher: an update, a
                # shorter version, a second article reusing its own text --
                # no copy of anyone else's, so no credit verdict
                attributions[i] = Attribution("same_publisher", origin, [], [{"kind": "own_origin", "origin": origin}])
            elif parent and parent.startswith("doc:") and not doc.site and not node_site.get(parent):
                # neither the copy nor its source says where it was published:
                # whether one credits the other, or both are one page, is unknown
                attributions[i] = Attribution("unknown", parent, [], [{"kind": "no_site"}])
            else:
                credits = _credits(doc, wire[i], wanted)
                attributions[i] = attribute(
                    doc.id, doc.site, credits, origin, parent, node_site, cluster_sites, cluster.origin.agency
                )
                if attributions[i].status in ("uncredited", "miscredited") and _shares_only_own_text(
                    documents, i, partners.get(i, ())
                ):
                    # every page it shares text with is its own publisher's: what
                    # it reused is its own publisher's text, whatever the cluster's
                    # origin -- calling it an uncredited copy would be a guess
                    attributions[i] = Attribution("same_publisher", origin, [], [
                        {"kind": "own_text", "with": sorted(f"doc:{documents[j].id}" for j in partners.get(i, ()))}
                    ])
            origin_of[i] = origin
            published = usable_date(doc)
            delays[i] = (
                round((published - origin_time).total_seconds() / 3600, 2)
                if published is not None and origin_time is not None and attributions[i].status != "origin"
                else None
            )
    rows = [
        {
            "site": doc.site,
            "status": attributions[i].status if i in attributions else None,
            "origin": origin_of.get(i),
            "delay_hours": delays.get(i),
        }
        for i, doc in enumerate(documents)
    ]
    return attributions, site_report(rows), delays


def networks_stage(
    documents: Sequence[Document],
    attributions: Mapping[int, Attribution],
    sites: list[dict[str, Any]],
    components: Sequence[Sequence[int]] = (),
    chrome_lines: Mapping[str, set[int]] | None = None,
    origins: Sequence[str] = (),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Networks of sites (:func:`wiretrace.networks.site_networks`) from the
    ids each page carries (``metadata["account_ids"]``), the sites' looks
    (:func:`site_looks`) and the stories (``components``, with their origin
    nodes in ``origins``) each copied, with when. Each row of ``sites`` gets
    its ``network`` (None when in none), and a member of a ``copying``
    network its farm score without the small-site damping
    (:func:`wiretrace.attribution.farm_score`)."""
    site_ids: dict[str, dict[str, int]] = {}
    site_of_node: dict[str, str | None] = {}
    for doc in documents:
        site_of_node[f"doc:{doc.id}"] = doc.site
        if doc.site and doc.metadata and doc.metadata.get("account_ids"):
            counts = site_ids.setdefault(doc.site, {})
            for key in set(doc.metadata["account_ids"]):
                if account_key(key):  # an input's own metadata may hold anything: kind:id of a known kind only
                    counts[key] = counts.get(key, 0) + 1
    copies, story_copies = [], []
    story_of = {i: number for number, members in enumerate(components) for i in members}
    copied_from: dict[str, set[int]] = defaultdict(set)  # site -> origin documents of the stories it copied
    index_of = {f"doc:{doc.id}": i for i, doc in enumerate(documents)}
    for i, attribution in attributions.items():
        source = attribution.source
        if source is not None and source.startswith("doc:"):
            source = site_of_node.get(source)
        elif source is not None and source.startswith("site:"):
            source = source[5:]
        copies.append((documents[i].site, attribution.status, source))
        if attribution.status in ("credited", "uncredited", "miscredited") and i in story_of:
            origin = index_of.get(origins[story_of[i]]) if story_of[i] < len(origins) else None
            if origin is not None and documents[i].site:
                copied_from[documents[i].site].add(origin)
            published = usable_date(documents[i])
            if published is not None and published.time() != _MIDNIGHT:  # midnight: a date without its time
                story_copies.append((documents[i].site, story_of[i], published.timestamp() / 3600))
    templates, links = site_looks(documents, chrome_lines or {}, copied_from)
    networks, common = site_networks(site_ids, copies, templates=templates, links=links, story_copies=story_copies)
    member_of = {site: n for n in networks for site in n["sites"]}
    for row in sites:
        network = member_of.get(row["site"])
        row["network"] = network["id"] if network else None
        if network and network["kind"] == "copying":
            row["farm_score"] = farm_score(row["articles"], row["copies"], row["uncredited"], row["miscredited"],
                                           in_copying_network=True)
    rank_sites(sites)
    return networks, common


_MIDNIGHT = time(0, 0)
_TEMPLATE_LINE_CHARS = 300  # what extraction keeps of a line (extract._METADATA_VALUE_CHARS)
_DOMAIN = re.compile(r"[a-z0-9.-]{1,253}\.[a-z0-9-]{2,63}", re.I)
# A line is a site's template when it is on at least this share of the site's
# pages that have one: a footer's "Recent posts" headlines change every day.
_TEMPLATE_SHARE = 0.5
# Sign-offs and contributor lines name no source in the registry's terms but
# are the story's, not the site's ("Reporting by …; Editing by …").
_SIGN_OFF = re.compile(r"(?i)^\W*(?:(?:additional |writing and )?reporting|writing|editing|compiled) by\b|contributed to this report")


def _normal(line: str) -> str:
    return " ".join(line.casefold().split())


def site_looks(documents: Sequence[Document], chrome_lines: Mapping[str, set[int]],
                copied_from: Mapping[str, set[int]]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Each site's template lines and chrome link targets, as
    :func:`wiretrace.networks.pair_evidence` takes them (lines normalised).

    Lines come from HTML pages' ``metadata["template_lines"]`` and from the
    text chrome in ``chrome_lines`` (keys of lines on most of a site's
    pages), links from ``metadata["template_links"]``; a line or link counts
    when it is on at least _TEMPLATE_SHARE of the site's pages that have
    any. A look is the site's, not the story's, so a line is left out when
    it is copied text: a credit, byline or sign-off (credits, an agency named
    at all, _SIGN_OFF), a document's title (a "Recent posts" list), or a line of the
    origin page of a story the site copied (a scraper that keeps its
    source's footer)."""
    line_pages: dict[str, Counter] = defaultdict(Counter)
    link_pages: dict[str, Counter] = defaultdict(Counter)
    pages: Counter = Counter()
    original: dict[str, str] = {}
    for doc in documents:
        if not doc.site or not doc.metadata:
            continue
        lines = doc.metadata.get("template_lines", ())
        targets = doc.metadata.get("template_links", ())
        if not lines and not targets:
            continue
        pages[doc.site] += 1
        for line in set(lines):
            # an input's own metadata may hold anything: lines as extraction writes them
            if len(line) <= _TEMPLATE_LINE_CHARS and len(line.split()) >= TEMPLATE_LINE_WORDS:
                line_pages[doc.site][_normal(line)] += 1
                original.setdefault(_normal(line), line)
        for target in set(targets):
            if target != doc.site and _DOMAIN.fullmatch(target):
                link_pages[doc.site][target.lower()] += 1
    templates: dict[str, set[str]] = defaultdict(set)
    links: dict[str, set[str]] = defaultdict(set)
    for site, counted in line_pages.items():
        templates[site].update(line for line, n in counted.items() if n >= _TEMPLATE_SHARE * pages[site])
    for site, counted in link_pages.items():
        links[site].update(target for target, n in counted.items() if n >= _TEMPLATE_SHARE * pages[site])
    _text_templates(documents, chrome_lines, templates, original)
    # copied text is no look: only lines two sites share can link, so only those are read
    carriers = Counter(line for lines in templates.values() for line in lines)
    shared = {line for line, n in carriers.items() if n >= 2}
    if shared:
        titles = {_normal(doc.title) for doc in documents if doc.title}
        copied = {line for line in shared
                  if line in titles or _SIGN_OFF.search(original[line]) or find_markers(original[line], mentions=True)
                  or find_credits(original[line])}
        origin_lines: dict[int, set[str]] = {}  # origin document -> its lines, read once
        for site, lines in templates.items():
            lines -= copied
            if lines & shared:
                for i in copied_from.get(site, ()):
                    if documents[i].site != site:
                        if i not in origin_lines:
                            origin_lines[i] = {_normal(line) for line in documents[i].text[:_ORIGIN_CHARS].split("\n")
                                               if len(line) <= _TEMPLATE_LINE_CHARS}
                        lines -= origin_lines[i]
    return templates, links


_ORIGIN_CHARS = 200_000  # of an origin page, what is read for its lines


def _text_templates(documents: Sequence[Document], chrome_lines: Mapping[str, set[int]],
                    templates: dict[str, set[str]], original: dict[str, str]) -> None:
    """Add to ``templates`` each site's text template lines (keys in
    ``chrome_lines``) of at least TEMPLATE_LINE_WORDS words and at most
    _TEMPLATE_LINE_CHARS characters; a site's pages are read until each of
    its keys has its text (the same text whatever the order: a key is of the
    normalised line)."""
    wanted = {site: set(keys) for site, keys in chrome_lines.items() if keys}
    for doc in documents:
        keys = wanted.get(doc.site) if doc.site else None
        if not keys:
            continue
        for line in doc.text.split("\n"):
            if not line or line.isspace():
                continue
            key = line_key(line)
            if key in keys:
                keys.discard(key)
                if len(line) <= _TEMPLATE_LINE_CHARS and len(line.split()) >= TEMPLATE_LINE_WORDS:
                    templates[doc.site].add(_normal(line))
                    original.setdefault(_normal(line), line.strip())


# Query parameters that track a visit and do not change the page.
_TRACKING_PARAMS = re.compile(r"^(?:utm_\w*|fbclid|gclid|cmpid|ref|src|source|ocid|mod|smid|amp|outputType)$", re.I)


@functools.lru_cache(maxsize=65536)
def _page_key(url: str | None) -> str | None:
    """A URL reduced to what names the page: host without ``www.``/``m.``/
    ``amp.``, path without a trailing slash or ``/amp``, query without
    tracking parameters; None for no URL."""
    if not url:
        return None
    rest = url.strip()
    scheme, sep, tail = rest.partition("://")
    if not sep:
        tail = rest
    tail = tail.partition("#")[0]
    address, _, query = tail.partition("?")
    host, slash, path = address.partition("/")
    host = _HOST_PREFIX.sub("", host.rpartition("@")[2].partition(":")[0].lower())
    if not host:
        return None
    path = _PATH_TAIL.sub("", slash + path)
    if query:
        from urllib.parse import parse_qsl, urlencode

        query = urlencode(sorted((k, v) for k, v in parse_qsl(query) if not _TRACKING_PARAMS.match(k)))
    return f"{host}{path}?{query}" if query else f"{host}{path}"


_HOST_PREFIX = re.compile(r"^(?:www\d?|m|mobile|amp)\.")
_PATH_TAIL = re.compile(r"(?:/amp)?/*$")


def _timestamp(doc: Document) -> float:
    """The usable date as a number for ordering (undated last)."""
    date = usable_date(doc)
    return date.timestamp() if date is not None else float("inf")


#: Jaccard above which two documents of one publisher with one headline are
#: one article captured twice (re-scrapes of one page measured 0.947-1.0 on
#: the real pages of shared/data); below it, the site posted the story twice.
SAME_PUBLICATION_JACCARD = 0.94


def _publications(
    documents: Sequence[Document], indices: Sequence[int], cluster: ClusterProvenance,
    jaccard: dict[tuple[int, int], float],
) -> dict[int, tuple[dict[str, Any], int]]:
    """Members that are another capture of a publication already in the
    cluster: {member: (evidence, the publication's first member)}. The first
    member of a publication is the cluster's origin when it belongs to it,
    else the earliest dated, then the smallest id; it keeps its verdict."""
    # Two captures of one page share a publisher, or one names the other in
    # its canonical link: a cluster of distinct publishers without canonical
    # links (most clusters) has none, and is settled without parsing a URL.
    keys_of = [publisher_keys(documents[i].site) for i in indices if documents[i].site]
    all_keys = [k for keys in keys_of for k in keys]
    if len(keys_of) == len(indices) and len(set(all_keys)) == len(all_keys) and not any(
        documents[i].canonical_url for i in indices
    ):
        return {}
    origin = cluster.origin.document
    order = sorted(
        indices,
        key=lambda i: (documents[i].id != origin, _timestamp(documents[i]), documents[i].id),
    )
    # Only members that share an address, or a publisher's name and a
    # headline, can be one publication: they are found through two indexes
    # instead of comparing every pair of a large cluster.
    rank: dict[int, int] = {}  # first member -> its position among the firsts
    by_key: dict[str, list[int]] = {}
    by_headline: dict[tuple[str, str], list[int]] = {}  # (publisher key, headline) -> firsts
    out: dict[int, tuple[dict[str, Any], int]] = {}
    for i in order:
        doc = documents[i]
        keys = _page_keys(doc)
        headline = _headline(doc)
        published_as = [(key, headline) for key in publisher_keys(doc.site)] if doc.site and headline else []
        candidates = {f for k in keys for f in by_key.get(k, ())}
        for entry in published_as:
            candidates.update(by_headline.get(entry, ()))
        for first in sorted(candidates, key=rank.__getitem__):
            same = _same_publication(doc, documents[first], keys, _page_keys(documents[first]))
            if same is not None and same["kind"] == "same_publisher":
                similarity = jaccard.get((min(i, first), max(i, first)))
                if similarity is None or similarity < SAME_PUBLICATION_JACCARD:
                    continue
                same["jaccard"] = round(similarity, 4)
            if same is not None:
                out[i] = (same, first)
                break
        else:
            rank[i] = len(rank)
            for k in keys:
                by_key.setdefault(k, []).append(i)
            for entry in published_as:
                by_headline.setdefault(entry, []).append(i)
    return out


def _page_keys(doc: Document) -> set[str]:
    return {_page_key(u) for u in (doc.url, doc.canonical_url)} - {None}


def _same_publication(doc: Document, source: Document, keys: set[str], other: set[str]) -> dict[str, Any] | None:
    """Evidence that ``doc`` and the document it was traced to are one
    publication -- a page and its re-scrape, one article at several URLs of
    one site (AMP, mobile, print, tracking parameters), one publisher's two
    domains (bbc.co.uk, bbc.com) -- or None; ``keys`` and ``other`` are the
    two documents' page keys. A publication is not a copy of itself: it gets
    no credit verdict and no weight in the farm score."""
    if keys & other:
        return {"kind": "same_url", "url": sorted(keys & other)[0], "with": f"doc:{source.id}"}
    # One publisher, one headline: the same article captured twice or at two
    # addresses. (Two headlines on one site are two posts, even of one story:
    # a farm that posts a story twice has copied it twice.)
    if doc.site and source.site and same_publisher(doc.site, source.site) and _headline(doc) and (
        _headline(doc) == _headline(source)
    ):
        return {"kind": "same_publisher", "sites": sorted({doc.site, source.site}), "with": f"doc:{source.id}"}
    return None


def _headline(doc: Document) -> str:
    return " ".join((doc.title or "").casefold().split())


def reuse_first(documents: Sequence[Document], a: int, b: int) -> int | None:
    """Which of two documents was published first: ``a`` or ``b`` when both
    have a usable date (:func:`usable_date`) and the dates differ, else None."""
    date_a, date_b = usable_date(documents[a]), usable_date(documents[b])
    if date_a is None or date_b is None or date_a == date_b:
        return None
    return a if date_a < date_b else b


def usable_date(doc: Document) -> datetime | None:
    """The document's publication time when its source makes it usable for
    ordering (record, metadata or htmldate; see DATE_RELIABILITY), else None."""
    if doc.published and DATE_RELIABILITY.get(doc.published_source, 0) >= USABLE_DATE:
        return _parse(doc.published)
    return None


def _shares_only_own_text(documents: Sequence[Document], i: int, partners: Sequence[int]) -> bool:
    """Whether every verified partner of document ``i`` is on its own publisher."""
    site = documents[i].site
    return bool(site) and bool(partners) and all(same_publisher(site, documents[j].site) for j in partners)


def _own_publisher(site: str | None, origin: Origin, node_site: dict[str, str | None]) -> bool:
    """Whether a story's origin is ``site``'s own publisher: its origin page is
    on the site (or another domain of its publisher), or the credited outlet
    or agency is the site's."""
    if not site:
        return False
    if origin.document:
        origin_site = node_site.get(f"doc:{origin.document}")
        if origin_site and same_publisher(site, origin_site):
            return True
    if origin.outlet and same_publisher(site, origin.outlet):
        return True
    return bool(origin.agency) and agency_for_site(site) == origin.agency


def _origin_time(
    documents: Sequence[Document], indices: Sequence[int], cluster: ClusterProvenance, wire: Sequence[WireEvidence]
) -> datetime | None:
    """When the origin published: its own usable date; for a virtual agency
    origin, the earliest usable date of the copies that carry the agency's
    markers (an upper bound)."""

    def usable(i: int) -> datetime | None:
        return usable_date(documents[i])

    if cluster.origin.document:
        origin_index = next(i for i in indices if documents[i].id == cluster.origin.document)
        return usable(origin_index)
    if cluster.origin.kind in ("agency", "outlet"):
        # Copies that carry the agency's own markers (or credit the outlet)
        # date it best; a copy that stripped them may also carry a wrong date.
        agency, outlet = cluster.origin.agency, cluster.origin.outlet
        marked = [i for i in indices if (agency in wire[i].copy_of if agency else outlet in wire[i].credited_sites)]
        times = [t for t in (usable(i) for i in marked or indices) if t is not None]
        return min(times) if times else None
    return None


def provenance_graph(documents: Sequence[Document], traced: Sequence[ClusterProvenance],
                     attributions: dict[int, Attribution], reuse: Sequence[Any] = (),
                     lineages: Sequence[Any] = (), rewrites: Sequence[Any] = ()) -> nx.DiGraph:
    """Documents, sites and agencies, with ``copy`` edges (source -> copy),
    ``publishes`` edges (site -> document) and ``reuse`` edges between the
    documents of a passage pair (:mod:`wiretrace.passages`; from the one
    published first when the dates say so (:func:`reuse_first`), else from
    ``a`` to ``b`` with ``direction`` unknown), and ``version`` edges from
    each version of a lineage (:mod:`wiretrace.lineage`; its publisher's
    first document) to the next, with the lineage's number and how its order
    was decided; and ``rewrite`` edges between the documents of a rewritten
    pair (:mod:`wiretrace.rewrites`), oriented as reuse edges are, with the
    content bigrams shared and the aligned sentences."""
    import networkx as nx

    from wiretrace.wire import load_agencies

    agencies = load_agencies()
    graph = nx.DiGraph()
    index_of = {d.id: i for i, d in enumerate(documents)}

    def add_document(i: int, cluster: str) -> str:
        """A document's node, and its site's ``publishes`` edge."""
        doc, status = documents[i], attributions.get(i)
        node = f"doc:{doc.id}"
        graph.add_node(
            node, kind="document", label=doc.title or doc.id, cluster=cluster,
            site=doc.site or "", url=doc.url or "", published=doc.published or "",
            published_source=doc.published_source or "", attribution=status.status if status else "",
        )
        if doc.site:
            graph.add_node(f"site:{doc.site}", kind="site", label=doc.site)
            graph.add_edge(f"site:{doc.site}", node, kind="publishes")
        return node

    for cluster in traced:
        ids = {e.copy[4:] for e in cluster.edges} | set(filter(None, [cluster.origin.document]))
        ids |= {e.source[4:] for e in cluster.edges if e.source.startswith("doc:")}
        for doc_id in sorted(ids):
            add_document(index_of[doc_id], cluster.cluster)
        if cluster.origin.outlet and cluster.origin.document is None:
            graph.add_node(f"site:{cluster.origin.outlet}", kind="outlet", label=cluster.origin.outlet, virtual=True)
        if cluster.origin.agency:
            agency = agencies.get(cluster.origin.agency)
            node = f"agency:{cluster.origin.agency}"
            graph.add_node(node, kind="agency", label=agency.name if agency else cluster.origin.agency,
                           virtual=cluster.origin.document is None)
            if cluster.origin.document:
                graph.add_edge(node, f"doc:{cluster.origin.document}", kind="wire", cluster=cluster.cluster)
        for edge in cluster.edges:
            graph.add_edge(
                edge.source, edge.copy, kind="copy", cluster=cluster.cluster, direction=edge.direction,
                basis="; ".join(edge.basis), evidence=json.dumps(edge.evidence, sort_keys=True),
            )
    def node_of(i: int) -> str:
        """A document's node; one outside clusters joins the graph here."""
        node = f"doc:{documents[i].id}"
        return node if node in graph else add_document(i, "")

    for pair in reuse:
        ends = [node_of(pair.a), node_of(pair.b)]
        source, copy = ends[::-1] if pair.first == pair.b else ends
        graph.add_edge(source, copy, kind="reuse", direction="unknown" if pair.first is None else "known",
                       words=pair.words,
                       passages=json.dumps(pair.passages))
    for pair in rewrites:
        ends = [node_of(pair.a), node_of(pair.b)]
        source, copy = ends[::-1] if pair.first == pair.b else ends
        graph.add_edge(source, copy, kind="rewrite", direction="unknown" if pair.first is None else "known",
                       shared_bigrams=pair.shared, sentences=json.dumps(pair.sentences))
    for number, line in enumerate(lineages, start=1):
        heads = [node_of(version[0]) for version in line.versions]
        for earlier, next_head in zip(heads, heads[1:]):
            graph.add_edge(earlier, next_head, kind="version", lineage=f"l{number}", order=line.order)
    return graph


def xml_safe_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """A copy of ``graph`` that XML (GraphML, GEXF) can hold: in node ids and
    string attributes, characters XML 1.0 forbids (control characters,
    U+FFFE/U+FFFF, lone surrogates) become U+FFFD. Two ids that become equal
    that way are told apart by a ``#2``, ``#3`` suffix (in node order, which
    is deterministic). ``graph`` itself when nothing needs replacing.
    (:class:`XmlSafeView` reads the same graph without copying it.)"""
    if _xml_clean(graph):
        return graph  # the common case: nothing to replace, no copy
    return XmlSafeView(graph).to_networkx()


class XmlSafeView:
    """:func:`xml_safe_graph` of ``graph`` read through instead of copied:
    ids and string values cleaned as nodes and edges are read, so a graph
    not held whole (:class:`wiretrace.graphio.DumpedGraph`) never is. The
    ids to rename are found in two passes over the ids -- those XML cannot
    hold, then the clean ids their new names could clash with -- so only
    those are held (the plain copy it replaced is the reference of a
    property test, ``tests/test_graphio.py``). Gives what the graph writers
    read (``graph``, ``is_directed``, ``is_multigraph``, ``nodes()``,
    ``edges()``)."""

    def __init__(self, graph: Any) -> None:
        from wiretrace.outputs import xml_text

        self._graph = graph
        self.graph = _xml_clean_attrs(graph.graph)
        unclean = [node for node in graph.nodes() if xml_text(str(node)) != node]
        bases = {xml_text(str(node)) for node in unclean}
        # a name tried below is a base or "base#n": a clean id it could clash with is one of these
        used = {node for node in graph.nodes() if isinstance(node, str) and xml_text(node) == node
                and (node in bases or node.rpartition("#")[0] in bases)}
        self._names: dict[Any, str] = {}
        for node in unclean:  # as xml_safe_graph names them
            base = name = xml_text(str(node))
            n = 1
            while name in used:
                n += 1
                name = f"{base}#{n}"
            self._names[node] = name
            used.add(name)

    def is_directed(self) -> bool:
        return True

    def is_multigraph(self) -> bool:
        return False

    def nodes(self, data: bool = False) -> Iterator[Any]:
        names = self._names
        if not data:
            return (names.get(node, node) for node in self._graph.nodes())
        return ((names.get(node, node), _xml_clean_attrs(attrs)) for node, attrs in self._graph.nodes(data=True))

    def edges(self, data: bool = False) -> Iterator[Any]:
        names = self._names
        if not data:
            return ((names.get(a, a), names.get(b, b)) for a, b in self._graph.edges())
        return ((names.get(a, a), names.get(b, b), _xml_clean_attrs(attrs))
                for a, b, attrs in self._graph.edges(data=True))

    def to_networkx(self) -> nx.DiGraph:
        """The whole graph, in memory (for networkx's own writers)."""
        import networkx as nx

        safe = nx.DiGraph(**self.graph)
        safe.add_nodes_from(self.nodes(data=True))
        safe.add_edges_from(self.edges(data=True))
        return safe


def _xml_clean_attrs(attrs: Mapping[Any, Any]) -> dict[str, Any]:
    from wiretrace.outputs import xml_text

    return {xml_text(str(k)): xml_text(v) if isinstance(v, str) else v for k, v in attrs.items()}


def _xml_safe(graph: Any) -> Any:
    """What XML files of ``graph`` are written from: ``graph`` itself when
    all of it is XML-safe, else an :class:`XmlSafeView` of it (never a copy)."""
    return graph if _xml_clean(graph) else XmlSafeView(graph)


def _xml_clean(graph: nx.DiGraph) -> bool:
    """Whether every node id and string attribute is text XML 1.0 can hold
    (searched 10,000 strings at a time, joined by a newline, which XML allows:
    never all of them joined at once)."""
    from wiretrace.outputs import xml_text

    def strings() -> Iterator[str]:
        for node, attrs in chain([("", graph.graph)], graph.nodes(data=True), (("", a) for _, _, a in graph.edges(data=True))):
            yield str(node)
            for key, value in attrs.items():
                yield str(key)
                if isinstance(value, str):
                    yield value

    found = strings()
    while part := list(islice(found, 10_000)):
        joined = "\n".join(part)
        if xml_text(joined) != joined:
            return False
    return True


def drop_cached_views(graph: nx.DiGraph) -> None:
    """Drop the views networkx keeps on ``graph`` once asked for them
    (``graph.edges``, ``graph.in_degree``...): each refers back to the graph,
    a cycle only the cyclic collector frees, and a scan pauses it
    (:func:`wiretrace.executor.no_cyclic_gc`). Without them a graph nobody
    else holds is freed at once. The graph is unchanged: a view asked for
    again is made again."""
    for name in [name for name, value in vars(graph).items() if getattr(value, "_graph", None) is graph]:
        del vars(graph)[name]


def write_graph(graph: nx.DiGraph, batch: Any, run_id: str | None = None) -> None:
    """GraphML, GEXF (Gephi) and node-link JSON files of the graph, into an
    :class:`wiretrace.outputs.Batch` (written with the run's other files).
    The run id goes into the files' graph attributes; ``graph`` itself is
    left as it was."""
    from wiretrace.outputs import scalar_text

    from wiretrace.graphio import write_gexf, write_graphml, write_node_link

    attributes = graph.graph
    graph.graph = {**attributes, "run_id": run_id} if run_id else dict(attributes)
    try:
        safe = _xml_safe(graph)
        with batch.open("provenance.graphml") as handle:
            write_graphml(safe, handle)
        with batch.open("provenance.gexf") as handle:
            write_gexf(safe, handle)
        with batch.open("provenance.json") as handle:
            write_node_link(graph, handle, scalar_text)
    finally:
        graph.graph = attributes
