"""``scan``: read the inputs, then run the scan's plan over the documents.

The read stage is here (inputs in any order give documents in id order, one
per id); every stage after it is a step of :data:`wiretrace.plan.SCAN_PLAN`,
which ``analyse_records`` (an index's records) runs too. ``extract`` reads
and cleans as a scan does, and stops there.

A scan does not go through an index (``Index.open("memory:")``, add,
report), though the design sketch has it so: storing every record, its
shingle set and its postings fingerprints each document twice and costs
2.3 times the scan (20,000 synthetic documents, medians of three). The
plan is the one code path instead: a scan and an index's report run the
same steps over the same documents, so adding in parts equals one scan by
construction (``tests/test_index.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from wiretrace.chrome import LineCounts
from wiretrace.config import Config
from wiretrace.dates import quiet_dateutil
from wiretrace.executor import LocalExecutor, no_cyclic_gc
from wiretrace.memo import Memo
from wiretrace.fingerprint import Known, resolve_workers
from wiretrace.plan import State, clean_texts, run_plan
from wiretrace.readers import Limits, read_inputs
from wiretrace.records import Document, Skipped, resolve_id
from wiretrace.registry import activate as activate_registry
from wiretrace.report import Report
from wiretrace.spill import Spill
from wiretrace.stages import StageLog

__all__ = ["scan", "analyse_records", "extract", "Extraction"]

Progress = Callable[[str, int, int | None], None]  # (stage, done, total or None when unknown)
# Inputs read between two progress updates: often enough to see a crawl move,
# rarely enough to cost nothing.
_READ_PROGRESS_EVERY = 16




def scan(
    inputs: Iterable[Any] | str,
    config: Config | None = None,
    *,
    progress: Progress | None = None,
    executor: Any = None,
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
        executor: What runs the parallel work (:mod:`wiretrace.executor`):
            forked local workers when omitted, or a Ray cluster's
            (:func:`wiretrace.ray_executor.connect`). The report is the same.
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
    with no_cyclic_gc():
        return _scan(inputs, config, progress, executor)


def _scan(inputs: Iterable[Any] | str, config: Config, progress: Progress | None, executor: Any = None) -> Report:
    log = StageLog(progress)
    started = time.perf_counter()
    documents, skipped, spill = _read(inputs, config, log, executor)
    return _analyse(documents, skipped, config, log, started, executor=executor, spill=spill)


def analyse_records(documents: list[Document], skipped: list[Skipped], config: Config | None = None, *,
                    progress: Progress | None = None, line_counts: LineCounts | None = None,
                    executor: Any = None, spill: Spill | None = None, memo: Memo | None = None,
                    known: Known | None = None, graph: bool = True) -> Report:
    """The scan of documents already read (an index's records): the same
    stages and the same report as :func:`scan` of the inputs they were read
    from. ``documents`` may hold several records of one id and come in any
    order: they are settled as the read stage settles them. ``line_counts``:
    judge site chrome by these counts (an index's, of every page it holds)
    rather than by the documents' own. ``executor``: as for :func:`scan`.
    ``spill``: where the documents' texts already are (:func:`spill_as_read`);
    without one, a run of ``run.spill_documents`` or more starts its own.
    ``memo``: values of an earlier run to take rather than compute again
    (:mod:`wiretrace.memo`: the same report, by construction). ``known``:
    fingerprints made already of some cleaned texts (an index's walk), by
    this config's settings; not made again. ``graph=False``: no provenance
    graph (``Report.graph`` is None and ``write`` leaves its files out), for
    a caller that reads only the report's rows (an index's ``check``)."""
    config = config or Config()
    activate_registry(config.registry_files)
    quiet_dateutil()
    log = StageLog(progress)
    started = time.perf_counter()
    with no_cyclic_gc():
        with log.stage("read") as stage:
            stage["items_in"] = len(documents) + len(skipped)
            documents, skipped = _settle(list(documents), list(skipped))
            stage["items_out"] = len(documents)
        return _analyse(documents, skipped, config, log, started, line_counts, executor, spill, memo, known, graph)


def _analyse(documents: list[Document], skipped: list[Skipped], config: Config, log: StageLog,
             started: float, line_counts: LineCounts | None = None, executor: Any = None,
             spill: Spill | None = None, memo: Memo | None = None, known: Known | None = None,
             graph: bool = True) -> Report:
    """The stages after read: :data:`wiretrace.plan.SCAN_PLAN`, run by
    ``executor``, or the local executor with the run's workers."""
    if spill is None and _spills(config, executor, len(documents)):
        spill = _spill_all(documents, config)
    executor = executor or LocalExecutor(resolve_workers(config.workers, len(documents)))
    return run_plan(State(documents, skipped, config, log, started, line_counts, spill=spill, memo=memo, known=known,
                          with_graph=graph), executor)


def spill_as_read(documents: list[Document], config: Config, executor: Any, spill: Spill | None) -> Spill | None:
    """After ``documents`` grew by one: move the new one's text to ``spill``,
    or, once there are ``run.spill_documents``, start a spill with all of
    them. Returns the spill (None while there is none)."""
    if spill is not None:
        spill.keep(documents[-1])
    elif _spills(config, executor, len(documents)):
        spill = _spill_all(documents, config)
    return spill


def _spill_all(documents: list[Document], config: Config) -> Spill:
    """A new spill in ``run.spill_dir`` holding the texts of ``documents``."""
    spill = Spill(config.spill_dir or None)
    for doc in documents:
        spill.keep(doc)
    return spill


def _spills(config: Config, executor: Any, documents: int | None) -> bool:
    """Whether a run keeps its texts and shingle sets on disk
    (:mod:`wiretrace.spill`): from ``run.spill_documents`` documents on, and
    on the local executor only (Ray workers cannot read this machine's files).
    ``documents`` None: whether it may (the readers' workers start the spill
    at once for a large JSON Lines file, :func:`~wiretrace.readers.read_inputs`)."""
    local = executor is None or isinstance(executor, LocalExecutor)
    return local and bool(config.spill_documents) and (documents is None or documents >= config.spill_documents)


def _config(config: Config | None, overrides: dict[str, Any]) -> Config:
    config = config or Config()
    return config.replace(**overrides) if overrides else config


def _read(inputs: Iterable[Any] | str, config: Config, log: StageLog,
          executor: Any = None) -> tuple[list[Document], list[Skipped], Spill | None]:
    """The read stage: documents in id order, the inputs skipped, and the
    spill their texts went to once there were enough (``_spills``), or at
    once for a large JSON Lines file read by the workers."""
    spill = None
    with log.stage("read") as stage:
        documents: list[Document] = []
        skipped: list[Skipped] = []
        # HTML extraction uses the worker processes too; 0 = one per core
        # (a pool starts only once enough pages have been seen).
        workers = config.workers or os.cpu_count() or 1

        def spill_now() -> Spill:  # the readers' workers write a large JSON Lines file's texts there
            nonlocal spill
            if spill is None:
                spill = _spill_all(documents, config)
            return spill

        for item in read_inputs(inputs, config.fields, workers=workers, limits=Limits.from_config(config),
                                executor=executor, spill=spill_now if _spills(config, executor, None) else None):
            if isinstance(item, Document):
                documents.append(item)
                spill = spill_as_read(documents, config, executor, spill)
            else:
                skipped.append(item)
            if log.progress and (len(documents) + len(skipped)) % _READ_PROGRESS_EVERY == 0:
                log.progress("read", len(documents) + len(skipped), None)
        stage["items_in"] = len(documents) + len(skipped)
        documents, skipped = _settle(documents, skipped)
        stage["items_out"] = len(documents)
    return documents, skipped, spill


def _settle(documents: list[Document], skipped: list[Skipped]) -> tuple[list[Document], list[Skipped]]:
    """One document per id, in id order, and the others skipped: results do
    not depend on the order inputs were given in."""
    documents, duplicates = _resolve_duplicate_ids(documents)
    skipped = skipped + duplicates
    documents.sort(key=lambda d: d.id)
    return documents, skipped


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
    documents, skipped, _ = _read(inputs, config, log)
    texts, _, _ = clean_texts(documents, config, log)
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
    """Keep one document per id, chosen by content so input order does not
    matter (:func:`wiretrace.records.resolve_id`); the others are skipped,
    each naming the one kept."""
    by_id: dict[str, list[Document]] = {}
    for doc in documents:
        by_id.setdefault(doc.id, []).append(doc)
    kept, skipped = [], []
    for group in by_id.values():
        winner, losers = resolve_id(group)
        kept.append(winner)
        skipped.extend(entry for _, entry in losers)
    return kept, skipped
