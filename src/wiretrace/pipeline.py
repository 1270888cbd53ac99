"""``scan``: the whole pipeline, as named stages over batches of documents.

read -> clean -> normalise -> fingerprint (+ wire, in the same batches)
-> candidates -> verify -> cluster -> provenance -> align -> attribute -> report

Each stage is timed and counted into the report's ``stats``. Candidates are
never findings: only pairs that pass exact verification reach the report.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import xxhash

from wiretrace.candidates import anchor_candidates, lsh_candidates
from wiretrace.chrome import LineCounts, strip_chrome
from wiretrace.credits import same_publisher
from wiretrace.cluster import connected_components, split_hubs
from wiretrace.config import Config, lsh_params
from wiretrace.dates import quiet_dateutil
from wiretrace.fingerprint import fingerprint_all, resolve_workers
from wiretrace.lineage import lineage_members, lineages, split_versions, version_pairs
from wiretrace.pairs import split_keys
from wiretrace.passages import find_reuse, one_link_per_story, passage_candidates, passage_shingles
from wiretrace.readers import Limits, read_inputs
from wiretrace.records import Document, Skipped
from wiretrace.registry import activate as activate_registry
from wiretrace.report import Report, build_report
from wiretrace.stages import StageLog, peak_rss_mb, reset_peak_rss
from wiretrace.trace import (
    align_stage,
    attribute_stage,
    credits_stage,
    provenance_graph,
    provenance_stage,
    reuse_first,
    usable_date,
    wire_evidence,
)
from wiretrace.verify import verify_pairs

__all__ = ["scan", "analyse_records", "extract", "Extraction"]

Progress = Callable[[str, int, int | None], None]  # (stage, done, total or None when unknown)
# Inputs read between two progress updates: often enough to see a crawl move,
# rarely enough to cost nothing.
_READ_PROGRESS_EVERY = 16


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a scan.

    A scan allocates millions of small objects (words, lines, records) and
    frees none in cycles; the collector's full passes over them cost about
    10% of a 50,000-document scan (measured), for nothing to collect.
    Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def scan(
    inputs: Iterable[Any] | str,
    config: Config | None = None,
    *,
    progress: Progress | None = None,
    **overrides: Any,
) -> Report:
    """Find verified near-duplicate clusters in a corpus.

    Args:
        inputs: A path, or a list of paths (files or folders: ``.txt``,
            ``.jsonl``/``.json``, ``.csv``/``.tsv``, each optionally
            ``.gz``) and/or record mappings with a ``text`` field.
        config: Parameters; packaged defaults when omitted.
        progress: Optional callback ``(stage, done, total)``, called as every
            stage starts (``done`` 0, ``total`` None) and ends (1, 1), and
            in between for the long ones (``total`` None when not known yet:
            the inputs being read).
        **overrides: Parameters to change, by :class:`Config` attribute name.

    Returns:
        The :class:`Report` (what ``wiretrace scan`` writes as report.json).

    Raises:
        InputError: A named input path does not exist.
        ConfigError: A parameter is invalid.

    Example:
        >>> story = " ".join(f"word{i}" for i in range(60))
        >>> report = scan([{"id": "a", "text": story}, {"id": "b", "text": "Breaking: " + story},
        ...                {"id": "c", "text": "An unrelated story " * 10}])
        >>> [c["members"] for c in report.clusters]
        [['a', 'b']]
    """
    config = _config(config, overrides)
    activate_registry(config.registry_files)
    quiet_dateutil()
    with _no_cyclic_gc():
        return _scan(inputs, config, progress)


def _scan(inputs: Iterable[Any] | str, config: Config, progress: Progress | None) -> Report:
    log = StageLog(progress)
    started = time.perf_counter()
    documents, skipped = _read(inputs, config, log)
    return _analyse(documents, skipped, config, log, started)


def analyse_records(documents: list[Document], skipped: list[Skipped], config: Config | None = None, *,
                    progress: Progress | None = None, line_counts: LineCounts | None = None) -> Report:
    """The scan of documents already read (an index's records): the same
    stages and the same report as :func:`scan` of the inputs they were read
    from. ``documents`` may hold several records of one id and come in any
    order: they are settled as the read stage settles them. ``line_counts``:
    judge site chrome by these counts (an index's, of every page it holds)
    rather than by the documents' own."""
    config = config or Config()
    activate_registry(config.registry_files)
    quiet_dateutil()
    log = StageLog(progress)
    started = time.perf_counter()
    with _no_cyclic_gc():
        with log.stage("read") as stage:
            stage["items_in"] = len(documents) + len(skipped)
            documents, skipped = _settle(list(documents), list(skipped))
            stage["items_out"] = len(documents)
        return _analyse(documents, skipped, config, log, started, line_counts)


def _analyse(documents: list[Document], skipped: list[Skipped], config: Config, log: StageLog,
             started: float, line_counts: LineCounts | None = None) -> Report:
    progress = log.progress
    texts, chrome_removed = _clean(documents, config, log, line_counts)

    workers = resolve_workers(config.workers, len(documents))
    exact_peak = reset_peak_rss()
    begin = time.perf_counter()
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("fingerprint", done, len(documents))

    fingerprints = fingerprint_all(
        texts,
        config.shingle_size,
        config.num_perm,
        config.seed,
        batch_size=config.batch_size,
        workers=workers,
        progress=advance,
        originals=[d.text for d in documents],
    )
    wall = time.perf_counter() - begin
    cpu = sum(fingerprints.seconds.values()) or 1.0
    for name in ("normalise", "fingerprint", "wire"):
        # The three stages run inside the same batches (and processes); the
        # wall time is split in proportion to their CPU time.
        log.stages[name] = {
            "seconds": round(wall * fingerprints.seconds[name] / cpu, 6),
            "cpu_seconds": round(fingerprints.seconds[name], 6),
            "items_in": len(documents),
            "items_out": len(documents),
            "workers": workers,
            "peak_rss_mb": peak_rss_mb(),
        }
        if not exact_peak:
            log.stages[name]["peak_rss_is_lifetime"] = True

    keep = []
    for i, words in enumerate(fingerprints.words):
        if words >= config.min_words:
            keep.append(i)
        else:
            reason = f"too short to fingerprint: {words} words (shingle.min_words = {config.min_words})"
            skipped.append(Skipped(documents[i].source, reason, id=documents[i].id))
    documents = [documents[i] for i in keep]
    chrome_removed = [chrome_removed[i] for i in keep]
    sets = [fingerprints.sets[i] for i in keep]
    free_sets = [fingerprints.free_sets[i] for i in keep]
    markers = [fingerprints.markers[i] for i in keep]
    words = [fingerprints.words[i] for i in keep]
    signatures = fingerprints.signatures[keep]
    log.stages["fingerprint"]["items_out"] = len(documents)
    n = len(documents)

    with log.stage("candidates", items_in=n) as stage:
        bands, rows = lsh_params(config)
        if progress:
            progress("candidates", 0, 2)
        from_lsh = lsh_candidates(signatures, bands, rows)
        if progress:
            progress("candidates", 1, 2)
        from_anchors = anchor_candidates(sets, config.anchor_rate, config.anchor_min_shared, config.anchor_max_df)
        if progress:
            progress("candidates", 2, 2)
        keys = np.union1d(from_lsh, from_anchors)
        in_lsh = np.isin(keys, from_lsh, assume_unique=True)
        in_anchors = np.isin(keys, from_anchors, assume_unique=True)
        via = np.where(in_lsh & in_anchors, "lsh+anchors", np.where(in_lsh, "lsh", "anchors"))
        candidate_pairs = split_keys(keys, max(n, 1))
        stage["items_out"] = len(keys)
        stage["from_lsh"] = len(from_lsh)
        stage["from_anchors"] = len(from_anchors)
        stage["bands"], stage["rows"] = bands, rows

    rejected: list[tuple[int, int]] = []  # candidates for passages (wiretrace.passages)
    passage_min_shingles = passage_shingles(config.passage_min_words, config.shingle_size)
    with log.stage("verify", items_in=len(candidate_pairs)) as stage:
        verified = verify_pairs(
            sets,
            candidate_pairs,
            via,
            config.jaccard_threshold,
            config.containment_threshold,
            config.min_shared_shingles,
            free_sets,
            rejected,
            passage_min_shingles,
        )
        stage["items_out"] = len(verified)

    with log.stage("cluster", items_in=len(verified)) as stage:
        # a publisher's own write-throughs are versions, not copies: each version is a
        # story with the copies that carry it, and versions are linked as a lineage
        dates = [usable_date(d) for d in documents]
        versions = version_pairs([d.site for d in documents], free_sets, dates,
                                 [(p.a, p.b) for p in verified] + rejected, passage_min_shingles,
                                 same_publisher)
        verified, version_groups = split_versions(n, sets, verified, versions)
        story_lineages = lineages(versions, version_groups, dates)
        # a roundup's contained pairs would chain the stories it quotes: they are passages.
        # Text a lineage's members share (a later version's kept body) is no quoted story.
        shared = rejected
        if story_lineages:
            member = lineage_members(story_lineages, connected_components(n, ((p.a, p.b) for p in verified)))
            shared = [(a, b) for a, b in rejected if a not in member or member[a] != member.get(b)]
        verified, hub_pairs = split_hubs(n, verified, config.jaccard_threshold, shared)
        rejected.extend((p.a, p.b) for p in hub_pairs)
        components = connected_components(n, ((p.a, p.b) for p in verified))
        stage["items_out"] = len(components)
        stage["hub_pairs"] = len(hub_pairs)
        stage["version_pairs"] = len(versions)
        stage["lineages"] = len(story_lineages)

    with log.stage("passages", items_in=len(candidate_pairs)) as stage:
        # partial reuse: candidates neither a duplicate nor a contained copy that share
        # a passage outside quotes and chrome (wiretrace.passages); they build no cluster,
        # and one link per pair of stories (or documents outside clusters) is kept
        across = [(a, b) for a, b in rejected if not same_publisher(documents[a].site, documents[b].site)]
        passage_pairs = passage_candidates(free_sets, across, passage_min_shingles, components)
        found = find_reuse([d.text for d in documents], free_sets, words, passage_pairs, config.shingle_size,
                           config.passage_min_words)
        lineage_of = lineage_members(story_lineages, components)  # a version's copies belong to its lineage too
        # two versions of one lineage share their kept body: that is the lineage, not reuse
        found = [r for r in found if r.a not in lineage_of or lineage_of[r.a] != lineage_of.get(r.b)]
        reuse = [dataclasses.replace(r, first=reuse_first(documents, r.a, r.b))
                 for r in one_link_per_story(found, components)]
        stage["aligned"] = len(passage_pairs)
        stage["items_out"] = len(reuse)

    wire = wire_evidence(markers)
    log.stages["wire"]["items_out"] = sum(1 for w in wire if w.copy_of)  # documents carrying wire copy

    with log.stage("credits", items_in=sum(len(c) for c in components)) as stage:
        stage["items_out"] = credits_stage(documents, components, wire, workers)  # clustered documents that credit a source

    with log.stage("provenance", items_in=len(components)) as stage:
        traced = provenance_stage(documents, sets, verified, components, wire, workers)
        stage["items_out"] = sum(len(t.edges) for t in traced)
        stage["unknown_origins"] = sum(1 for t in traced if t.origin.kind == "unknown")

    with log.stage("align", items_in=sum(len(t.edges) for t in traced)) as stage:
        alignments = align_stage(documents, components, traced, verified, config.shingle_size, workers)
        made = alignments.all()
        stage["items_out"] = len(made)
        stage["comparisons"] = sum(len(c) for c in alignments.comparisons)  # members no edge reaches
        stage["passages"] = sum(len(a["passages"]) for a in made)

    with log.stage("attribute", items_in=sum(len(c) for c in components)) as stage:
        attributions, sites, delays = attribute_stage(documents, components, traced, wire, verified)
        graph = provenance_graph(documents, traced, attributions, reuse, story_lineages)
        stage["items_out"] = len(attributions)

    stats = {
        "inputs_read": log.stages["read"]["items_in"],
        "documents": n,
        "skipped": len(skipped),
        "candidate_pairs": len(candidate_pairs),
        "verified_pairs": len(verified),
        "reuse_pairs": len(reuse),
        "lineages": len(story_lineages),
        "clusters": len(components),
        "documents_in_clusters": sum(len(c) for c in components),
        "workers": workers,
        "stages": log.stages,
    }
    with log.stage("report", items_in=len(components)) as stage:
        report = build_report(
            documents, sets, words, chrome_removed, verified, components, skipped, config, stats,
            wire=wire, traced=traced, attributions=attributions, delays=delays, sites=sites, graph=graph,
            alignments=alignments, reuse=reuse, lineages=story_lineages,
        )
        stage["items_out"] = len(report.documents)
    stats["total_seconds"] = round(time.perf_counter() - started, 6)
    return report


def _config(config: Config | None, overrides: dict[str, Any]) -> Config:
    config = config or Config()
    return config.replace(**overrides) if overrides else config


def _read(inputs: Iterable[Any] | str, config: Config, log: StageLog) -> tuple[list[Document], list[Skipped]]:
    """The read stage: documents in id order, and the inputs skipped."""
    with log.stage("read") as stage:
        documents: list[Document] = []
        skipped: list[Skipped] = []
        # HTML extraction uses the worker processes too; 0 = one per core
        # (a pool starts only once enough pages have been seen).
        workers = config.workers or os.cpu_count() or 1
        for item in read_inputs(inputs, config.fields, workers=workers, limits=Limits.from_config(config)):
            (documents if isinstance(item, Document) else skipped).append(item)
            if log.progress and (len(documents) + len(skipped)) % _READ_PROGRESS_EVERY == 0:
                log.progress("read", len(documents) + len(skipped), None)
        stage["items_in"] = len(documents) + len(skipped)
        documents, skipped = _settle(documents, skipped)
        stage["items_out"] = len(documents)
    return documents, skipped


def _settle(documents: list[Document], skipped: list[Skipped]) -> tuple[list[Document], list[Skipped]]:
    """One document per id, in id order, and the others skipped: results do
    not depend on the order inputs were given in."""
    documents, duplicates = _resolve_duplicate_ids(documents)
    skipped = skipped + duplicates
    documents.sort(key=lambda d: d.id)
    return documents, skipped


def _clean(documents: list[Document], config: Config, log: StageLog,
           line_counts: LineCounts | None = None) -> tuple[list[str], list[int]]:
    """The clean stage: the text to fingerprint of each document (site chrome
    removed) and the number of chrome lines removed from each."""
    with log.stage("clean", items_in=len(documents)) as stage:
        if config.chrome_min_pages:
            cleaned = strip_chrome(
                documents,
                config.chrome_min_pages,
                config.chrome_long_line_words,
                config.chrome_long_line_share,
                config.min_words,
                line_counts,
            )
            texts, removed = cleaned.texts, cleaned.lines_removed
            stage["sites_with_chrome"] = cleaned.sites_with_chrome
        else:
            texts, removed = [d.text for d in documents], [0] * len(documents)
        stage["items_out"] = len(documents)
        stage["chrome_lines_removed"] = sum(removed)
    return texts, removed


@dataclass
class Extraction:
    """What ``wiretrace extract`` writes: one record per document, as the scan
    would fingerprint it (site chrome removed), and the inputs skipped."""

    records: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    stats: dict[str, Any]


def extract(
    inputs: Iterable[Any] | str, config: Config | None = None, *, progress: Progress | None = None, **overrides: Any
) -> Extraction:
    """Read and clean inputs as :func:`scan` does, without fingerprinting.

    Each record holds id, url, site, title, author, published (and its
    source), language, links and the text that would be fingerprinted; the
    records are valid input for :func:`scan` themselves.

    Example:
        >>> result = extract([{"id": "a", "text": "Some text", "url": "https://www.example.com/x"}])
        >>> result.records[0]["site"], result.records[0]["text"]
        ('example.com', 'Some text')
    """
    config = _config(config, overrides)
    activate_registry(config.registry_files)
    log = StageLog(progress)
    documents, skipped = _read(inputs, config, log)
    texts, _ = _clean(documents, config, log)
    records = [
        {
            "id": doc.id,
            "url": doc.url,
            "canonical_url": doc.canonical_url,
            "site": doc.site,
            "title": doc.title,
            "author": doc.author,
            "published": doc.published,
            "published_source": doc.published_source,
            "language": doc.language,
            "links": list(doc.links),
            "metadata": dict(doc.metadata or {}),
            "source": doc.source,
            "warnings": list(doc.warnings),
            "text": text,
        }
        for doc, text in zip(documents, texts)
    ]
    skipped_out = sorted((s.to_dict() for s in skipped), key=lambda s: (s["source"], s["id"] or "", s["reason"]))
    return Extraction(records, skipped_out, {"stages": log.stages})


def _resolve_duplicate_ids(documents: list[Document]) -> tuple[list[Document], list[Skipped]]:
    """Keep one document per id, chosen by content so input order does not matter."""
    by_id: dict[str, list[Document]] = {}
    for doc in documents:
        by_id.setdefault(doc.id, []).append(doc)
    kept, skipped = [], []
    for doc_id, group in by_id.items():
        if len(group) == 1:
            kept.append(group[0])
            continue
        group.sort(
            key=lambda d: (xxhash.xxh3_64_intdigest(d.text.encode("utf-8", "surrogatepass")), d.url or "",
                           d.title or "", d.published or "", d.source)
        )
        winner = group[0]
        kept.append(winner)
        for other in group[1:]:
            same = other.text == winner.text
            what = "an identical record" if same else "a different record"
            skipped.append(Skipped(other.source, f"duplicate id {doc_id!r}: kept {what} from {winner.source}", id=doc_id))
    return kept, skipped
