"""The scan's stages, written once as a plan: what runs, apart from how it runs.

Rule: a stage is a :class:`Step` -- a name, the shape of its work (how it
divides: per document, per key, per cluster, or the whole corpus) and a
function that reads the columns earlier steps wrote into the
:class:`State` and writes its own. :func:`run_plan` runs the steps in order
and hands each one the executor (:mod:`wiretrace.executor`) for its
parallel part. Everything that analyses documents -- :func:`wiretrace.scan`,
:func:`wiretrace.pipeline.analyse_records`, an index's report, ``check``
and ``delta`` -- runs :data:`SCAN_PLAN`; nothing else lists the stages.

read -> clean -> normalise + fingerprint + wire (one pass over batches)
-> candidates -> verify -> cluster -> passages -> credits -> provenance
-> align -> attribute -> report

Shapes (:data:`SHAPES`), the seam a distributed executor plugs into (issue
14): ``map`` steps work per document in batches, ``group`` steps per key
(chrome lines per site, LSH buckets per band key, anchors per value),
``pairs`` per candidate pair, ``graph`` over the whole pair graph (connected
components, versions, hubs), ``cluster`` per cluster, ``corpus`` assembles
the whole. The local executor runs ``map`` and ``cluster`` work on its
workers and the rest in-process; a remote one (Ray's) also runs the
``group`` steps, on Ray Data (:meth:`wiretrace.ray_executor.RayExecutor.group`).

Each step is timed and counted into the report's ``stats`` (its
:class:`~wiretrace.stages.StageLog` entry). Candidates are never findings:
only pairs that pass exact verification reach the report.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wiretrace.candidates import anchor_candidates, lsh_candidates
from wiretrace.chrome import LineCounts, strip_chrome
from wiretrace.cluster import connected_components, split_hubs
from wiretrace.config import Config, lsh_params
from wiretrace.credits import same_publisher
from wiretrace.executor import LocalExecutor
from wiretrace.fingerprint import Known, fingerprint_all
from wiretrace import memo as memos
from wiretrace.memo import Memo, checked
from wiretrace.lineage import lineage_members, lineages, split_versions, version_pairs
from wiretrace.pairs import split_keys
from wiretrace.passages import find_reuse, one_link_per_story, passage_candidates, passage_shingles
from wiretrace.records import Document, Skipped
from wiretrace.report import Report, build_report
from wiretrace.rewrites import find_rewrites
from wiretrace.spill import Blanked, Spill, TextsOf, set_sizes
from wiretrace.stages import StageLog, peak_rss_mb, reset_peak_rss, return_freed_memory
from wiretrace.trace import (
    align_stage,
    attribute_stage,
    networks_stage,
    credits_stage,
    provenance_graph,
    provenance_stage,
    reuse_first,
    usable_date,
    wire_evidence,
)
from wiretrace.verify import verify_pairs
from wiretrace.wire import Marker

__all__ = ["Step", "State", "SCAN_PLAN", "SHAPES", "run_plan", "clean_texts"]

#: How a step's work divides (module doc).
SHAPES = ("map", "group", "pairs", "graph", "cluster", "corpus")


@dataclass
class State:
    """The columns of one analysis: what was read, then what each step wrote.

    Row ``i`` of every per-document column is document ``i`` (documents in
    id order; the fingerprint step drops those too short to fingerprint).
    """

    documents: list[Document]
    skipped: list[Skipped]
    config: Config
    log: StageLog
    started: float
    line_counts: LineCounts | None = None  # chrome judged by these (an index's), else by the documents'
    spill: Spill | None = None  # texts and shingle sets kept on disk (wiretrace.spill), or in memory
    memo: Memo | None = None  # values of earlier runs, by a key of their inputs (wiretrace.memo)
    known: Known | None = None  # fingerprints made before of some cleaned texts (an index's walk)
    with_graph: bool = True  # the provenance graph made (False: the caller reads no graph: an index's check)
    # clean
    texts: list[str] = field(default_factory=list)
    chrome_removed: list[int] = field(default_factory=list)
    chrome_lines: dict[str, set[int]] = field(default_factory=dict)  # site -> its template lines' keys
    # normalise + fingerprint + wire
    sets: list[np.ndarray] = field(default_factory=list)
    free_sets: list[np.ndarray] = field(default_factory=list)
    markers: list[Any] = field(default_factory=list)
    leftovers: list[Any] = field(default_factory=list)  # generator text per document, found on the workers
    words: list[int] = field(default_factory=list)
    signatures: np.ndarray | None = None
    # candidates, verify
    candidate_pairs: np.ndarray | None = None
    via: np.ndarray | None = None
    verified: list[Any] = field(default_factory=list)
    rejected: list[tuple[int, int]] = field(default_factory=list)  # candidates for passages
    # cluster, passages
    story_lineages: list[Any] = field(default_factory=list)
    components: list[list[int]] = field(default_factory=list)
    reuse: list[Any] = field(default_factory=list)
    # credits, provenance, align, attribute
    wire: list[Any] = field(default_factory=list)
    traced: list[Any] = field(default_factory=list)
    alignments: Any = None
    attributions: dict[int, Any] = field(default_factory=dict)
    sites: list[dict[str, Any]] = field(default_factory=list)
    delays: dict[int, Any] = field(default_factory=dict)
    networks: list[dict[str, Any]] = field(default_factory=list)
    rewrites: list[Any] = field(default_factory=list)  # rewrites.Rewrite
    network_common_ids: list[dict[str, Any]] = field(default_factory=list)
    graph: Any = None
    report: Report | None = None

    @property
    def progress(self):
        return self.log.progress


@dataclass(frozen=True)
class Step:
    """One stage of the plan (module doc)."""

    name: str
    shape: str
    run: Callable[[State, LocalExecutor], None]

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"step {self.name!r}: shape {self.shape!r} is not one of {SHAPES}")


def clean_texts(documents: list[Document], config: Config, log: StageLog, line_counts: LineCounts | None = None,
                spill: Spill | None = None, executor: Any = None) -> tuple[Sequence[str], list[int], dict[str, set[int]]]:
    """The clean stage: the text to fingerprint of each document (site chrome
    removed), the number of chrome lines removed from each, and each site's
    template lines (chrome on most of its pages, by :func:`wiretrace.chrome.line_key`).
    On a remote executor (Ray) the lines are counted per site by a group
    step and the pages stripped on its workers (the same texts)."""
    with log.stage("clean", items_in=len(documents)) as stage:
        if config.chrome_min_pages:
            cleaned = strip_chrome(documents, config.chrome_min_pages, config.chrome_long_line_words,
                                   config.chrome_long_line_share, config.min_words, line_counts,
                                   spill.texts() if spill is not None else None, executor)
            texts, removed, chrome = cleaned.texts, cleaned.lines_removed, cleaned.template
            stage["sites_with_chrome"] = cleaned.sites_with_chrome
        else:
            texts, removed, chrome = TextsOf(documents), [0] * len(documents), {}
        stage["items_out"] = len(documents)
        stage["chrome_lines_removed"] = sum(removed)
    return texts, removed, chrome


def _clean(s: State, executor: LocalExecutor) -> None:
    s.texts, s.chrome_removed, s.chrome_lines = clean_texts(s.documents, s.config, s.log, s.line_counts, s.spill,
                                                            executor)


def _fingerprint(s: State, executor: LocalExecutor) -> None:
    """normalise, fingerprint and wire markers, in the same batches (and processes)."""
    config, log, progress = s.config, s.log, s.progress
    exact_peak = reset_peak_rss()
    begin = time.perf_counter()
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("fingerprint", done, len(s.documents))

    # wire markers and leftover text known from an earlier run (s.memo) are not looked for again
    originals: Sequence[str | None] = TextsOf(s.documents)
    keys: list[bytes] = []
    known: dict[int, tuple[list, list]] = {}
    if s.memo is not None:
        salted = memos.salt()
        keys = [memos.memo_key("wire", salted, text) for text in originals]
        known = memos.lookup(s.memo, keys, _wire_from, lambda v: (list(v[0]), [dict(f) for f in v[1]]))
        if known:
            originals = _Unless(originals, known)
    fingerprints = fingerprint_all(s.texts, config.shingle_size, config.num_perm, config.seed,
                                   batch_size=config.batch_size, workers=executor.workers, progress=advance,
                                   originals=originals, executor=executor, spill=s.spill, known=s.known)
    if s.memo is not None:
        for i, (markers, leftovers) in known.items():
            fingerprints.markers[i], fingerprints.leftovers[i] = markers, leftovers
        memos.keep(s.memo, ((keys[i], (fingerprints.markers[i], fingerprints.leftovers[i]))
                            for i in range(len(keys)) if i not in known), _wire_value)
    wall = time.perf_counter() - begin
    cpu = sum(fingerprints.seconds.values()) or 1.0
    for name in ("normalise", "fingerprint", "wire"):
        # The wall time is split in proportion to the three stages' CPU time.
        log.stages[name] = {
            "seconds": round(wall * fingerprints.seconds[name] / cpu, 6),
            "cpu_seconds": round(fingerprints.seconds[name], 6),
            "items_in": len(s.documents),
            "items_out": len(s.documents),
            "workers": executor.workers,
            "peak_rss_mb": peak_rss_mb(),
        }
        if not exact_peak:
            log.stages[name]["peak_rss_is_lifetime"] = True
    if s.memo is not None:
        log.stages["wire"]["memo_hits"] = len(known)

    keep = []
    for i, words in enumerate(fingerprints.words):
        if words >= config.min_words:
            keep.append(i)
        else:
            reason = f"too short to fingerprint: {words} words (shingle.min_words = {config.min_words})"
            s.skipped.append(Skipped(s.documents[i].source, reason, id=s.documents[i].id))
    s.texts = []  # fingerprinted: what is read from now on is each document's full text
    s.documents = [s.documents[i] for i in keep]
    s.chrome_removed = [s.chrome_removed[i] for i in keep]
    s.sets = _take(fingerprints.sets, keep)
    s.free_sets = _take(fingerprints.free_sets, keep)
    s.markers = [fingerprints.markers[i] for i in keep]
    s.leftovers = [fingerprints.leftovers[i] for i in keep] if fingerprints.leftovers else []
    s.words = [fingerprints.words[i] for i in keep]
    s.signatures = fingerprints.signatures[keep]
    log.stages["fingerprint"]["items_out"] = len(s.documents)
    if s.spill is not None:  # nothing is written to it after this step
        log.stages["fingerprint"]["spill_mb"] = round(sum(s.spill.bytes_written().values()) / 2**20, 1)


class _Unless(Sequence):
    """``texts`` with None at the positions of ``known``."""

    def __init__(self, texts: Sequence[str], known: dict[int, Any]) -> None:
        self.texts, self.known = texts, known

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return None if i in self.known else self.texts[i]


def _wire_value(value: tuple[list[Any], list[dict[str, Any]]]) -> list[Any]:
    markers, leftovers = value
    return [[[m.agency, m.kind, m.text, m.start, m.end, m.strength] for m in markers], leftovers]


def _wire_from(data: list[Any]) -> tuple[list[Any], list[dict[str, Any]]]:
    rows, leftovers = data
    markers = [Marker(checked(agency, str), checked(kind, str), checked(text, str), checked(start, int),
                      checked(end, int), checked(strength, str))
               for agency, kind, text, start, end, strength in checked(rows, list)]
    return markers, [{"text": checked(f["text"], str), "start": checked(f["start"], int), "end": checked(f["end"], int)}
                     for f in checked(leftovers, list)]


def _take(column: Any, rows: list[int]) -> Any:
    """Rows ``rows`` of a list or a spilled column (all of it when nothing was dropped)."""
    if len(rows) == len(column):
        return column
    return column.take(rows) if hasattr(column, "take") else [column[i] for i in rows]


def _candidates(s: State, executor: LocalExecutor) -> None:
    n, progress, config = len(s.documents), s.progress, s.config
    with s.log.stage("candidates", items_in=n) as stage:
        bands, rows = lsh_params(config)
        if progress:
            progress("candidates", 0, 2)
        from_lsh = lsh_candidates(s.signatures, bands, rows, executor)
        # no later step reads the signatures: num_perm x 4 bytes a document (512 MB at
        # 1M) freed before the next steps fork their workers and the report is built
        s.signatures = None
        if progress:
            progress("candidates", 1, 2)
        from_anchors = anchor_candidates(s.sets, config.anchor_rate, config.anchor_min_shared, config.anchor_max_df,
                                         executor)
        if progress:
            progress("candidates", 2, 2)
        keys = np.union1d(from_lsh, from_anchors)
        in_lsh = np.isin(keys, from_lsh, assume_unique=True)
        in_anchors = np.isin(keys, from_anchors, assume_unique=True)
        s.via = np.where(in_lsh & in_anchors, "lsh+anchors", np.where(in_lsh, "lsh", "anchors"))
        s.candidate_pairs = split_keys(keys, max(n, 1))
        stage["items_out"] = len(keys)
        stage["from_lsh"] = len(from_lsh)
        stage["from_anchors"] = len(from_anchors)
        stage["bands"], stage["rows"] = bands, rows


def _verify(s: State, executor: LocalExecutor) -> None:
    config = s.config
    with s.log.stage("verify", items_in=len(s.candidate_pairs)) as stage:
        s.verified = verify_pairs(s.sets, s.candidate_pairs, s.via, config.jaccard_threshold,
                                  config.containment_threshold, config.min_shared_shingles, s.free_sets, s.rejected,
                                  passage_shingles(config.passage_min_words, config.shingle_size))
        stage["items_out"] = len(s.verified)


def _cluster(s: State, executor: LocalExecutor) -> None:
    n, config, documents = len(s.documents), s.config, s.documents
    passage_min_shingles = passage_shingles(config.passage_min_words, config.shingle_size)
    with s.log.stage("cluster", items_in=len(s.verified)) as stage:
        # a publisher's own write-throughs are versions, not copies: each version is a
        # story with the copies that carry it, and versions are linked as a lineage
        dates = [usable_date(d) for d in documents]
        versions = version_pairs([d.site for d in documents], s.sets, s.free_sets, dates,
                                 [(p.a, p.b) for p in s.verified] + s.rejected, passage_min_shingles,
                                 same_publisher)
        verified, version_groups = split_versions(n, s.sets, s.verified, versions)
        s.story_lineages = lineages(versions, version_groups, dates)
        # a roundup's contained pairs would chain the stories it quotes: they are passages.
        # Text a lineage's members share (a later version's kept body) is no quoted story.
        shared = s.rejected
        if s.story_lineages:
            member = lineage_members(s.story_lineages, connected_components(n, ((p.a, p.b) for p in verified)))
            shared = [(a, b) for a, b in s.rejected if a not in member or member[a] != member.get(b)]
        s.verified, hub_pairs = split_hubs(n, verified, config.jaccard_threshold, shared)
        s.rejected.extend((p.a, p.b) for p in hub_pairs)
        s.components = connected_components(n, ((p.a, p.b) for p in s.verified))
        stage["items_out"] = len(s.components)
        stage["hub_pairs"] = len(hub_pairs)
        stage["version_pairs"] = len(versions)
        stage["lineages"] = len(s.story_lineages)


def _passages(s: State, executor: LocalExecutor) -> None:
    config, documents = s.config, s.documents
    with s.log.stage("passages", items_in=len(s.candidate_pairs)) as stage:
        # partial reuse: candidates neither a duplicate nor a contained copy that share
        # a passage outside quotes and chrome (wiretrace.passages); they build no cluster,
        # and one link per pair of stories (or documents outside clusters) is kept
        across = [(a, b) for a, b in s.rejected if not same_publisher(documents[a].site, documents[b].site)]
        passage_pairs = passage_candidates(s.free_sets, across,
                                           passage_shingles(config.passage_min_words, config.shingle_size),
                                           s.components)
        found = find_reuse(TextsOf(documents), s.free_sets, s.words, passage_pairs, config.shingle_size,
                           config.passage_min_words)
        lineage_of = lineage_members(s.story_lineages, s.components)  # a version's copies belong to its lineage too
        # two versions of one lineage share their kept body: that is the lineage, not reuse
        found = [r for r in found if r.a not in lineage_of or lineage_of[r.a] != lineage_of.get(r.b)]
        s.reuse = [dataclasses.replace(r, first=reuse_first(documents, r.a, r.b))
                   for r in one_link_per_story(found, s.components)]
        stage["aligned"] = len(passage_pairs)
        stage["items_out"] = len(s.reuse)


#: Rewrite candidates share at least this many quote-free anchors (one
#: shingle in ``rewrites.anchor_rate``). Clough-Stevenson: every light
#: revision shares 7 or more shingles with its source, 16 of 19 heavy ones 5
#: or more, where the copy candidates' anchors (one in 8, three shared) need
#: about 24.
REWRITE_ANCHOR_MIN_SHARED = 2


def _look_for_rewrites(s: State, executor: LocalExecutor) -> None:
    documents = s.documents
    with s.log.stage("rewrites", items_in=len(s.rejected)) as stage:
        if not s.config.rewrite_anchor_rate:  # rewrites.anchor_rate = 0: not looked for
            s.rewrites, stage["candidates"], stage["items_out"] = [], 0, 0
            return
        # rewritten copies: candidates that are no copy and no passage pair, whose
        # content words keep the other's (wiretrace.rewrites); one link per pair of
        # stories (or documents outside clusters), never inside one publisher or cluster
        n = max(len(documents), 1)
        component = np.full(n, -1, dtype=np.int64)
        for number, members in enumerate(s.components):
            component[members] = number

        def story(i: int) -> tuple[str, int]:
            return ("c", int(component[i])) if component[i] >= 0 else ("d", i)

        linked = {frozenset((story(r.a), story(r.b))) for r in s.reuse}
        # a rewrite keeps few word-for-word runs: besides the rejected candidates, pairs
        # sharing a few of them outside quotes (denser anchors than the copy candidates');
        # a cluster takes part through its longest member (it holds the story's text)
        sizes = set_sizes(s.free_sets)
        blank = set()
        for members in s.components:
            keep = max(members, key=lambda i: (sizes[i], -i))
            blank.update(i for i in members if i != keep)
        extra = anchor_candidates(Blanked(s.free_sets, blank), s.config.rewrite_anchor_rate, REWRITE_ANCHOR_MIN_SHARED,
                                  s.config.anchor_max_df, executor)
        verified = np.array([p.a * n + p.b for p in s.verified], dtype=np.int64)
        rejected = np.array([a * n + b for a, b in s.rejected], dtype=np.int64)
        keys = np.union1d(rejected, np.setdiff1d(extra, verified))
        first, second = keys // n, keys % n
        keys = keys[(component[first] < 0) | (component[first] != component[second])]  # one story: no rewrite
        candidates = [(a, b) for a, b in split_keys(keys, n).tolist()
                      if frozenset((story(a), story(b))) not in linked
                      and not same_publisher(documents[a].site, documents[b].site)]
        found = find_rewrites(TextsOf(documents), candidates)
        s.rewrites = [dataclasses.replace(r, first=reuse_first(documents, r.a, r.b))
                      for r in one_link_per_story(found, s.components, weight=lambda r: r.shared)]
        stage["candidates"] = len(candidates)
        stage["items_out"] = len(s.rewrites)


def _rewrites(s: State, executor: LocalExecutor) -> None:
    _look_for_rewrites(s, executor)
    # no later step reads these (the last was this one): their memory is free for the
    # cluster steps' results and the report (~90 MB at 1M)
    s.rejected, s.free_sets, s.via = [], [], None


def _credits(s: State, executor: LocalExecutor) -> None:
    s.wire = wire_evidence(s.markers)
    s.log.stages["wire"]["items_out"] = sum(1 for w in s.wire if w.copy_of)  # documents carrying wire copy
    with s.log.stage("credits", items_in=sum(len(c) for c in s.components)) as stage:
        # clustered documents that credit a source
        hits: list[int] = []
        stage["items_out"] = credits_stage(s.documents, s.components, s.wire, executor, s.memo, hits)
        if s.memo is not None:
            stage["memo_hits"] = sum(hits)


def _provenance(s: State, executor: LocalExecutor) -> None:
    with s.log.stage("provenance", items_in=len(s.components)) as stage:
        hits: list[int] = []
        s.traced = provenance_stage(s.documents, s.sets, s.verified, s.components, s.wire, executor, s.memo, hits)
        if s.memo is not None:
            stage["memo_hits"] = sum(hits)
        stage["items_out"] = sum(len(t.edges) for t in s.traced)
        stage["unknown_origins"] = sum(1 for t in s.traced if t.origin.kind == "unknown")


def _align(s: State, executor: LocalExecutor) -> None:
    with s.log.stage("align", items_in=sum(len(t.edges) for t in s.traced)) as stage:
        s.alignments = align_stage(s.documents, s.components, s.traced, s.verified, s.config.shingle_size, executor,
                                   s.memo)
        made = s.alignments.all()
        stage["items_out"] = len(made)
        stage["comparisons"] = sum(len(c) for c in s.alignments.comparisons)  # members no edge reaches
        stage["passages"] = sum(len(a["passages"]) for a in made)
        if s.memo is not None:
            stage["memo_hits"] = s.alignments.memo_hits


def _attribute(s: State, executor: LocalExecutor) -> None:
    with s.log.stage("attribute", items_in=sum(len(c) for c in s.components)) as stage:
        s.attributions, s.sites, s.delays = attribute_stage(s.documents, s.components, s.traced, s.wire, s.verified)
        s.networks, s.network_common_ids = networks_stage(s.documents, s.attributions, s.sites, s.components,
                                                            s.chrome_lines, [t.origin.node() for t in s.traced])
        stage["networks"] = len(s.networks)
        if s.with_graph:
            s.graph = provenance_graph(s.documents, s.traced, s.attributions, s.reuse, s.story_lineages, s.rewrites)
        stage["items_out"] = len(s.attributions)


def _report(s: State, executor: LocalExecutor) -> None:
    log = s.log
    stats = {
        "inputs_read": log.stages["read"]["items_in"],
        "documents": len(s.documents),
        "skipped": len(s.skipped),
        "candidate_pairs": len(s.candidate_pairs),
        "verified_pairs": len(s.verified),
        "reuse_pairs": len(s.reuse),
        "rewritten_pairs": len(s.rewrites),
        "lineages": len(s.story_lineages),
        "clusters": len(s.components),
        "documents_in_clusters": sum(len(c) for c in s.components),
        "workers": executor.workers,
        "stages": log.stages,
    }
    with log.stage("report", items_in=len(s.components)) as stage:
        s.report = build_report(
            s.documents, s.sets, s.words, s.chrome_removed, s.verified, s.components, s.skipped, s.config, stats,
            wire=s.wire, traced=s.traced, attributions=s.attributions, delays=s.delays, sites=s.sites,
            graph=s.graph, alignments=s.alignments, reuse=s.reuse, lineages=s.story_lineages,
            networks=s.networks, network_common_ids=s.network_common_ids, rewrites=s.rewrites,
            leftovers=s.leftovers or None, consume_documents=True,  # no step after this one reads them
        )
        stage["items_out"] = len(s.report.documents)
    stats["total_seconds"] = round(time.perf_counter() - s.started, 6)


#: The stages after read, in order (module doc).
SCAN_PLAN: tuple[Step, ...] = (
    Step("clean", "group", _clean),  # chrome: line counts per site
    Step("fingerprint", "map", _fingerprint),  # normalise + fingerprint + wire markers, per document
    Step("candidates", "group", _candidates),  # LSH buckets per band key, anchors per value
    Step("verify", "pairs", _verify),
    Step("cluster", "graph", _cluster),  # versions, hubs, connected components
    Step("passages", "corpus", _passages),  # one link per pair of stories
    Step("rewrites", "corpus", _rewrites),  # rewritten copies among the other candidates
    Step("credits", "cluster", _credits),
    Step("provenance", "cluster", _provenance),
    Step("align", "cluster", _align),
    Step("attribute", "corpus", _attribute),  # per cluster, then per site
    Step("report", "corpus", _report),
)


def run_plan(state: State, executor: LocalExecutor, plan: tuple[Step, ...] = SCAN_PLAN) -> Report:
    """Run ``plan``'s steps over ``state`` in order; returns the report."""
    for step in plan:
        step.run(state, executor)
        return_freed_memory()  # before the next step forks its workers, and before the outputs are written
    assert state.report is not None, "the plan must end with the report step"
    return state.report
