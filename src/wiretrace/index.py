"""An index that grows with each crawl, and answers "where did this text come from?".

Rule: the index stores **facts** and derives **views** (the store's module
doc). The facts of a record are what the read stage made of it (the
document, or the input skipped and why), its shingle set and its postings
(LSH band buckets of its MinHash signature, anchor shingles). The report is
the scan of the stored records: :func:`wiretrace.pipeline.analyse_records`
runs the very stages :func:`wiretrace.scan` runs, on the records in key
order, so adding A then B gives the report of one scan of A+B *by
construction*; only timings differ.

Identity is stable: a document's key is the XXH3-64 of its id
(:func:`doc_key`), the same in every process, run and machine; a record's
key (:func:`record_key`) is the XXH3-64 of everything the read stage made of
it. Adding a record already stored is a no-op, so an add that was killed
(each batch is one transaction: it lands whole or not at all) is resumed
by running it again, without duplicating or losing a record. Two records
of one id from different inputs are both kept, and settled as a scan
settles them (one kept, the other skipped with the reason).

``check`` is read-only. For each query document it finds the records
that share a band bucket or enough anchor shingles, verifies every
candidate exactly (Jaccard or containment, the thresholds of a scan), and
runs the scan's stages over the query and its verified matches to say which
is the origin, whether the query credits it, and the aligned passages.
Site chrome is judged as a scan of the index and the query would judge it:
by the index's line counts for the site (every page of it stored) and the
query's own lines, once. The stored shingle sets are of whole pages, so
that what is stored does not depend on the order pages were added in; they
only propose candidates, which are compared without their chrome.

Fingerprint settings (shingle size, permutations, seed, bands and rows,
anchor rate, the word definition's version) are fixed when the index is
created: opening it with other settings is an error that names them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xxhash

from wiretrace import compiled
from wiretrace.chrome import LineCounts, count_lines, line_keys, strip_chrome
from wiretrace.candidates import MAX_BUCKET, anchor_count, anchor_keys, anchors_needed, band_keys, is_anchor
from wiretrace.config import Config, lsh_params
from wiretrace.errors import StoreError
from wiretrace.executor import LocalExecutor
from wiretrace.fingerprint import Fingerprints, Known, fingerprint_all, shingle_sets
from wiretrace.readers import Limits, read_inputs
from wiretrace.records import Document, Skipped, doc_key, resolve_id, shadowed
from wiretrace.shingles import WORDS_VERSION
from wiretrace.memo import Memo, open_memo
from wiretrace.store import MemoryStore, Store, open_store, site_line_increments
from wiretrace.passages import passage_shingles
from wiretrace.verify import verify_pairs

if TYPE_CHECKING:
    from wiretrace.report import Report

# The stages (wiretrace.pipeline, and through it every analysis module) are
# imported by the views that run them: a check of a page with no copy in the
# index runs none, and its start-up was most of its wait (README).

__all__ = ["Index", "AddResult", "doc_key", "record_key", "ADD_BATCH"]

#: Records per transaction of ``add``. A commit writes every page the batch
#: touched, and a batch's ~90 postings per record touch pages all over the
#: posting tables, so fewer, larger batches write less: building a 30,000
#: document index took 16.8 s with 512 per batch, 13.0 s with 2,048 (8,192:
#: 12.2 s, for four times the work lost when an add is killed).
ADD_BATCH = 2048

#: Documents a report of what was added may involve (:meth:`Index.delta`):
#: far above any one story's copies, small enough that the report stays a
#: fraction of a full one.
DELTA_MAX_DOCUMENTS = 50_000

#: Texts of an add's batch worth sending to a given executor (a Ray
#: cluster's); fewer are fingerprinted here. Not tuned: no cluster was measured.
PARALLEL_MIN_TEXTS = 512

Progress = Callable[[str, int, int | None], None]

# How the walk of Index.delta goes on from a document, strongest last:
# only taken; a text held by an outer page (its duplicates are taken); a page
# that holds a held text (the texts it holds and its duplicates are taken);
# a text that a page of the story holds (a trimmed copy, or another story of
# a roundup: its duplicates and its other holders are taken); a page that
# holds the story (a fuller copy, or a roundup); a page of the new page's story.
_SEEN, _HELD2, _OUTER, _HELD, _HOLDER, _STORY = range(6)


def _walk_mode(mode: int, evidence: dict[str, Any]) -> int | None:
    """How the walk of :meth:`Index.delta` treats a match of a document it
    reached in ``mode`` (None: not at all).

    A page may hold several stories (a roundup), and the scan's roundup rule
    cuts its contained pairs apart, so the walk does not run on through the
    texts a page holds: it takes them, their duplicates and their other
    holders (one of which may be the story's origin), what those hold and
    their duplicates -- what the roundup rule needs to see that they are
    stories -- and stops. ``shared`` matches (a passage's worth of text, no
    copy: what the roundup rule also counts) of the pages that hold a text
    are taken with their duplicates (:meth:`Index.delta` passes only those)."""
    kind = evidence["kind"]
    if kind == "shared":
        return _HELD2 if mode in (_STORY, _HOLDER) else None
    if kind == "duplicate":
        return _SEEN if mode == _HELD2 else (None if mode == _SEEN else mode)
    if _holds(evidence):  # the query holds the match
        return {_STORY: _HELD, _HOLDER: _HELD, _OUTER: _HELD2}.get(mode)
    return {_STORY: _HOLDER, _HOLDER: _HOLDER, _HELD: _OUTER}.get(mode)


def _holds(evidence: dict[str, Any]) -> bool:
    """Whether a contained match is the smaller side: the query holds it."""
    return (evidence["kind"] == "contained"
            and evidence["containment_query_in_match"] < evidence["containment_match_in_query"])


def _payload(item: Document | Skipped) -> str:
    """The record's JSON: its fields, keys sorted. The same text as
    ``json.dumps(dataclasses.asdict(item), ...)`` (``tests/test_index.py``
    pins it: the record key hashes it), without asdict's deep copy of
    every field (nearly what fingerprinting the batch cost, in an ad hoc
    profile of an add)."""
    names = _FIELDS.get(type(item)) or _FIELDS.setdefault(type(item), tuple(f.name for f in dataclasses.fields(item)))
    return json.dumps({name: getattr(item, name) for name in names}, ensure_ascii=False, sort_keys=True)


_FIELDS: dict[type, tuple[str, ...]] = {}


def record_key(item: Document | Skipped, payload: str | None = None) -> int:
    """The stable key of a record: XXH3-64 of everything read into it
    (document or skip), so the same input read twice has the same key.
    ``payload``: the record's JSON (:func:`_payload`), when already made."""
    kind = b"D" if isinstance(item, Document) else b"S"
    return xxhash.xxh3_64_intdigest(kind + (payload or _payload(item)).encode("utf-8", "surrogatepass"))


def _join(keys: np.ndarray, queries: np.ndarray, posted: np.ndarray,
          owners: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """For postings looked up for many queries at once: each query with the
    owners of every posting whose key is one of its keys (one per shared
    key; in the order of ``keys``, each key's owners as posted). ``posted``
    is sorted, as :meth:`Store.members` returns it. Each query's owners are
    its keys' runs of ``owners`` put together: only the (query, key) hits
    are sorted, not the owners they expand to (a story on hundreds of sites
    has hundreds of owners per band key and query)."""
    if not len(keys) or not len(posted):
        return
    lo = np.searchsorted(posted, keys, "left")
    hi = np.searchsorted(posted, keys, "right")
    hit = hi > lo
    queries = np.asarray(queries)[hit]
    if not len(queries):
        return
    order = np.argsort(queries, kind="stable")
    lo, hi, queries = lo[hit][order].tolist(), hi[hit][order].tolist(), queries[order]
    cuts = (np.flatnonzero(queries[1:] != queries[:-1]) + 1).tolist()
    for start, end in zip([0, *cuts], [*cuts, len(queries)]):
        if end - start == 1:
            part = owners[lo[start]:hi[start]]
        else:
            part = np.concatenate([owners[lo[i]:hi[i]] for i in range(start, end)])
        yield int(queries[start]), part


def _linked(keys: np.ndarray, queries: np.ndarray, posted: np.ndarray, owners: np.ndarray, limit: int,
            own: Sequence[int | None]) -> tuple[list[tuple[int, list[int]]], np.ndarray, np.ndarray]:
    """Postings looked up for many queries at once (sorted by key, then
    owner, as :meth:`Store.members` returns them: each key's owners are
    one sorted run), split at ``limit``: for each query and each of its
    keys that more than ``limit`` records hold, the owners it is linked to
    as the scan links a large group (:func:`_star_partners`); and the
    postings of the other keys, for :func:`_join`. A story's common
    anchors mostly have the same owners, so each query's partners are
    worked out once per distinct run of owners (a list the entries share)."""
    values, first, size = np.unique(posted, return_index=True, return_counts=True)
    large = size > limit
    linked = []
    if large.any():
        distinct: dict[bytes, int] = {}
        runs = {v: (f, f + n, distinct.setdefault(owners[f:f + n].tobytes(), len(distinct)))
                for v, f, n in zip(values[large].tolist(), first[large].tolist(), size[large].tolist())}
        partners: dict[tuple[int, int | None], list[int]] = {}
        for value, query in zip(keys.tolist(), queries.tolist()):
            run = runs.get(value)
            if run is not None:
                start, end, same = run
                got = partners.get((same, own[query]))
                if got is None:
                    got = partners[same, own[query]] = _star_partners(owners[start:end], own[query])
                linked.append((query, got))
    rest = np.isin(posted, values[~large])
    return linked, posted[rest], owners[rest]


def _star_partners(owners: np.ndarray, own: int | None) -> list[int]:
    """The owners of a common anchor (sorted keys) that a query is linked
    to, as :func:`wiretrace.pairs.group_pairs` links a large group: the
    first owner to every other (a star), each other to its neighbours (a
    chain). A query that is not stored is linked to the first owner."""
    if own is not None:
        at = int(np.searchsorted(owners, np.uint64(own)))
        if at < len(owners) and int(owners[at]) == own:
            if at == 0:
                return owners[1:].tolist()
            return sorted({int(owners[0]), *(int(owners[j]) for j in (at - 1, at + 1) if 0 < j < len(owners))})
    return [int(owners[0])]


def _fingerprint_settings(config: Config) -> dict[str, str]:
    bands, rows = lsh_params(config)
    return {"shingle_size": str(config.shingle_size), "num_perm": str(config.num_perm), "seed": str(config.seed),
            "bands": str(bands), "rows": str(rows), "anchor_rate": str(config.anchor_rate),
            "words_version": str(WORDS_VERSION)}


@dataclass
class AddResult:
    """What one ``add`` did: records read, added, already in the index, and
    inputs skipped by the read stage (stored too: a report lists them)."""

    read: int = 0
    added: int = 0
    already_indexed: int = 0
    skipped: int = 0
    #: record keys of the documents added (what :meth:`Index.delta` reports on)
    added_keys: list[int] = dataclasses.field(default_factory=list, repr=False, compare=False)

    def to_dict(self) -> dict[str, int]:
        return {"read": self.read, "added": self.added, "already_indexed": self.already_indexed,
                "skipped": self.skipped}


class Index:
    """A persistent index of documents (module doc).

    Example:
        >>> story = " ".join(f"word{i}" for i in range(80))
        >>> with Index.open("memory:") as index:
        ...     _ = index.add([{"id": "a", "text": story, "site": "wire.example"}])
        ...     _ = index.add([{"id": "b", "text": "Shared: " + story, "site": "farm.example"}])
        ...     [c["members"] for c in index.report().clusters]
        [['a', 'b']]
    """

    def __init__(self, store: Store, config: Config, executor: Any = None, memo: bool = True) -> None:
        self.store = store
        self.config = config
        self.bands, self.rows = lsh_params(config)
        # what runs the parallel work of add (HTML extraction; with a given executor,
        # the batches' fingerprints too) and report: None, the local workers
        self.executor = executor
        self._memo: Memo | None = None
        self._memo_wanted = memo
        self.memo_note: str | None = None if memo else "memo not used: turned off"
        self._memo_opened_note = self.memo_note  # what memo_note said once the memo was opened (or not)
        #: entries the last :meth:`report` deleted from the memo, as no longer used
        self.memo_pruned = 0
        self._known: _KnownLines | None = None  # line counts kept while the index cannot change (delta)

    @property
    def memo(self) -> Memo | None:
        """The values earlier reports computed (:mod:`wiretrace.memo`),
        opened when a report first needs them: a file beside a SQLite index
        (``PATH.memo``), a dictionary for a memory index, none for Redis
        (nor when the index was opened with ``memo=False``, or the file
        cannot be used: :attr:`memo_note` says why)."""
        if self._memo is None and self._memo_wanted:
            self._memo_wanted = False
            where = self._memo_path()
            if isinstance(self.store, MemoryStore):
                self._memo, self.memo_note = open_memo(None)
            elif where is None:
                pass  # a Redis index keeps no memo (index stats says so)
            elif os.path.islink(where):
                self.memo_note = f"memo not used: {where} is a symbolic link"
            else:
                self._memo, self.memo_note = open_memo(where)
            self._memo_opened_note = self.memo_note
        return self._memo

    def _memo_path(self) -> str | None:
        """Where a SQLite index's memo is (None: the store has no file)."""
        path = getattr(self.store, "path", None)
        return None if path is None else f"{os.path.realpath(path)}.memo"

    @classmethod
    def open(cls, uri: str, config: Config | None = None, *, writer: bool = True, executor: Any = None,
             memo: bool = True, create: bool = True) -> Index:
        """Open (or, as a writer, create) the index at ``uri``: ``memory:``,
        ``sqlite:PATH`` or a path. A reader never creates or changes it
        (its reports may write the memo beside it: :attr:`memo`).
        ``executor`` runs the parallel work of ``add`` and ``report``
        (:mod:`wiretrace.executor`; default: local workers, ``run.workers``
        of them, 0 = one per core); what is stored does not depend on it.
        ``memo``: keep and reuse what reports compute (:attr:`memo`); the
        reports are the same without it. ``create=False``: a writer too
        wants an index that is there (``no index at ...`` otherwise)."""
        config = config or Config()
        store = open_store(uri, writer=writer, create=create)
        try:
            stored = {k[len("fp."):]: v for k, v in store.get_meta().items() if k.startswith("fp.")}
            wanted = _fingerprint_settings(config)
            if stored:
                differ = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
                if differ:
                    detail = ", ".join(f"{k} (index {stored.get(k)}, now {wanted.get(k)})" for k in differ)
                    raise StoreError(f"{store.uri} was built with other fingerprint settings: {detail}; "
                                     "use the settings it was built with, or build a new index")
            elif writer:
                with store.transaction():
                    store.set_meta({f"fp.{k}": v for k, v in wanted.items()})
        except BaseException:
            store.close()
            raise
        return cls(store, config, executor, memo)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._memo is not None:
            self._memo.close()
        self.store.close()

    # -- facts -----------------------------------------------------------------

    def add(self, inputs: Iterable[Any] | str, *, progress: Progress | None = None,
            batch_size: int = ADD_BATCH) -> AddResult:
        """Read ``inputs`` (what :func:`wiretrace.scan` reads) and store every
        record not stored yet, one transaction per batch."""
        result = AddResult()
        batch: list[Document | Skipped] = []
        workers = self.config.workers or os.cpu_count() or 1
        for item in read_inputs(inputs, self.config.fields, workers=workers, limits=Limits.from_config(self.config),
                                executor=self.executor):
            batch.append(item)
            if len(batch) >= batch_size:
                self._add_batch(batch, result)
                batch = []
                if progress:
                    progress("add", result.read, None)
        if batch:
            self._add_batch(batch, result)
        if progress:
            progress("add", result.read, result.read)
        return result

    def _add_batch(self, batch: list[Document | Skipped], result: AddResult) -> None:
        result.read += len(batch)
        payloads = [_payload(item) for item in batch]
        keys = [record_key(item, p) for item, p in zip(batch, payloads)]
        known = self.store.known(keys)
        fresh: dict[int, tuple[Document, str]] = {}
        skips: dict[int, str] = {}
        for key, item, payload in zip(keys, batch, payloads):
            if isinstance(item, Skipped):
                skips[key] = payload
            elif key in known:
                result.already_indexed += 1
            else:
                fresh.setdefault(key, (item, payload))
        rkeys = sorted(fresh)
        docs = [fresh[k][0] for k in rkeys]
        fp = self._fingerprint(docs, parallel=True) if docs else None
        with self.store.transaction():
            result.added += self.store.put_records([(k, fresh[k][0].id, fresh[k][1]) for k in rkeys])
            result.added_keys.extend(rkeys)
            result.skipped += self.store.put_skipped(sorted(skips.items()))
            if fp is not None:
                self.store.count_lines(*self._kept_line_increments(rkeys, docs))
                owners = np.asarray(rkeys, dtype=np.uint64)
                self.store.put_sets(rkeys, fp.sets)
                keys_b, docs_b = band_keys(fp.signatures, self.bands, self.rows)
                self.store.add_postings("bands", keys_b, owners[docs_b])
                keys_a, docs_a = anchor_keys(fp.sets, self.config.anchor_rate)
                self.store.add_postings("anchors", keys_a, owners[docs_a])
                self.store.add_postings("ids", np.array([doc_key(d.id) for d in docs], dtype=np.uint64), owners)

    def _kept_line_increments(self, rkeys: list[int], docs: list[Document],
                              ) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
        """The site line counts (the chrome rule's facts) an add of ``docs``
        brings, over the records a report keeps: a record another of its id
        shadows is not counted, and one that shadows a stored record takes
        that record's counts' place (:func:`~wiretrace.records.resolve_id`
        over every record of the id, in key order, as :meth:`_shadowed`).
        Counted over every record, a re-crawled page's lines counted twice
        and the report of an add took lines for chrome that the full report
        keeps."""
        fresh = dict(zip(rkeys, docs))
        groups = self._id_groups(fresh)
        if not groups:  # no id held twice: the common case
            return site_line_increments(count_lines(docs))
        grouped = {key for group in groups for key, _ in group}
        added = [doc for key, doc in zip(rkeys, docs) if key not in grouped]
        removed = []
        for group in groups:
            stored = [doc for key, doc in group if key not in fresh]
            before = resolve_id(stored)[0] if stored else None
            after = resolve_id([doc for _, doc in group])[0]
            if after is not before:
                added.append(after)
                if before is not None:
                    removed.append(before)
        pages, lines = site_line_increments(count_lines(added))
        less_pages, less_lines = site_line_increments(count_lines(removed))
        for site, n in less_pages.items():
            pages[site] = pages.get(site, 0) - n
        for key, n in less_lines.items():
            lines[key] = lines.get(key, 0) - n
        return pages, lines

    def records(self) -> tuple[list[Document], list[Skipped]]:
        """Every stored record: the documents and the skipped inputs."""
        documents = [Document(**json.loads(p)) for _, p in self.store.records()]
        skipped = [Skipped(**json.loads(p)) for p in self.store.skipped()]
        return documents, skipped

    # -- views -----------------------------------------------------------------

    def report(self, *, progress: Progress | None = None) -> Report:
        """The report of everything stored: what ``scan`` of every input
        added gives (module doc)."""
        from wiretrace.pipeline import analyse_records, spill_as_read

        documents: list[Document] = []
        spill = None
        for _, payload in self.store.records():  # texts go to a spill as they are read, past its threshold
            documents.append(Document(**json.loads(payload)))
            spill = spill_as_read(documents, self.config, self.executor, spill)
        skipped = [Skipped(**json.loads(p)) for p in self.store.skipped()]
        memo, self.memo_pruned = self.memo, 0
        if memo is not None:
            memo.track()  # what this report does not ask for is no report's any more (wiretrace.memo)
        try:
            report = analyse_records(documents, skipped, self.config, progress=progress, executor=self.executor,
                                     spill=spill, memo=memo)
        except BaseException:
            if memo is not None:
                memo.stop_tracking()  # a report that did not finish prunes nothing
            raise
        if memo is not None:
            self.memo_pruned = memo.prune()
        self._memo_checked(pruned=True)
        return report

    def _memo_checked(self, pruned: bool = False) -> None:
        """After a report: :attr:`memo_note` says why the memo failed (it is
        left alone from then on), or, after a report that ``pruned`` (one of
        everything), why it could not be pruned (it was used all the same);
        else what it said when the memo was opened -- not a note of an
        earlier report's."""
        failed = getattr(self._memo, "failed", None)
        not_pruned = getattr(self._memo, "not_pruned", None) if pruned else None
        self.memo_note = failed or not_pruned or self._memo_opened_note

    def stats(self) -> dict[str, Any]:
        """Counts of the stored facts, the store and its fingerprint settings."""
        meta = self.store.get_meta()
        return {"store": self.store.uri, "schema_version": int(meta.get("schema_version", 0) or 0),
                "fingerprint": {k[len("fp."):]: v for k, v in sorted(meta.items()) if k.startswith("fp.")},
                **self.store.counts(), "memo": self._memo_stats()}

    def space(self) -> dict[str, int] | None:
        """A SQLite index file's bytes and those of its free pages, which
        :meth:`compact` gives back (:meth:`wiretrace.store.SQLiteStore.space`);
        None for other stores."""
        space = getattr(self.store, "space", None)
        return space() if space is not None else None

    def compact(self) -> dict[str, Any]:
        """Give the index file's free pages back to the disk
        (:meth:`wiretrace.store.SQLiteStore.compact`; an index migrated from
        schema version 5 keeps the space its postings tables took until
        then). Only a SQLite index opened for writing has any: memory and
        Redis free what they delete themselves."""
        compact = getattr(self.store, "compact", None)
        if compact is None:
            raise StoreError(f"{self.store.uri}: only a SQLite index is compacted (memory and Redis give freed "
                             "space back themselves)")
        started = time.perf_counter()
        out = {"store": self.store.uri, **compact()}
        memo = self._with_memo_file(lambda memo: memo.compact(), lambda why: {"note": why})  # what reports pruned
        where = self._memo_path()
        if memo is None and where is not None and os.path.islink(where):
            memo = {"note": f"memo {where} not compacted: it is a symbolic link"}
        if memo is not None:
            out["memo"] = memo
        return {**out, "seconds": round(time.perf_counter() - started, 2)}

    def _with_memo_file(self, use: Callable[[Any], dict[str, Any]],
                        unusable: Callable[[str | None], dict[str, Any]]) -> dict[str, Any] | None:
        """``use`` of the memo file beside a SQLite index, opened as it is
        (never made, nor emptied for another salt) and closed after;
        ``unusable(why)`` if it cannot be opened; None if there is no file
        (a symbolic link is none)."""
        where = self._memo_path()
        if where is None or not os.path.isfile(where) or os.path.islink(where):
            return None
        memo, why = open_memo(where, writer=False)
        if memo is None:
            return unusable(why)
        try:
            return use(memo)
        finally:
            memo.close()

    def _memo_stats(self) -> dict[str, Any]:
        """The memo's entries and size, read without making or changing it."""
        if self._memo is not None:
            return self._memo.stats()
        if self._memo_path() is None:
            return {"entries": 0, "bytes": 0, "note": self.memo_note or (
                "no memo yet" if isinstance(self.store, MemoryStore) else
                f"{self.store.uri} keeps no memo (a SQLite index does)")}
        found = self._with_memo_file(
            lambda memo: {**memo.stats(), **({"note": "written with other code or registries: emptied by the next "
                                                      "report"} if getattr(memo, "stale", False)
                                             and getattr(memo, "has_tables", True) else {})},
            lambda why: {"entries": 0, "bytes": 0, "note": why})
        return found if found is not None else {"entries": 0, "bytes": 0, "note": self.memo_note or "no memo yet"}

    def check(self, inputs: Iterable[Any] | str) -> list[dict[str, Any]]:
        """Where each query document's text is in the index (module doc).
        Returns one entry per query document (and per input skipped), in
        input order; the queries are looked up together, in one batch."""
        items = list(read_inputs(inputs, self.config.fields, workers=1, limits=Limits.from_config(self.config)))
        docs = [item for item in items if isinstance(item, Document)]
        found = iter(self._lookup(docs))
        return [{"source": item.source, "id": item.id, "skipped": item.reason} if isinstance(item, Skipped)
                else next(found) for item in items]

    def _fingerprint(self, docs: Sequence[Document], counts: LineCounts | None = None,
                     unstored: Sequence[bool] | None = None, parallel: bool = False) -> Any:
        """Fingerprints of ``docs``: of their whole text, or with their
        sites' chrome removed as the index's ``counts`` judge it -- plus, for
        each document not stored (``unstored``), its own lines, as a scan
        of the index and that one page would count them."""
        return self._fingerprint_texts(self._stripped(docs, counts, unstored), parallel)

    def _stripped(self, docs: Sequence[Document], counts: LineCounts | None = None,
                  unstored: Sequence[bool] | None = None) -> list[str]:
        """The texts :meth:`_fingerprint` fingerprints."""
        c = self.config
        if counts is None or not c.chrome_min_pages:
            return [d.text for d in docs]

        def strip(group: Sequence[Document], judge: LineCounts) -> list[str]:
            return strip_chrome(group, c.chrome_min_pages, c.chrome_long_line_words, c.chrome_long_line_share,
                                c.min_words, judge).texts

        if unstored is None or not any(unstored):
            return strip(docs, counts)
        return [strip([d], counts.merge(count_lines([d])) if alone else counts)[0]
                for d, alone in zip(docs, unstored)]

    def _fingerprint_texts(self, texts: Sequence[str], parallel: bool = False) -> Any:
        """Fingerprints of ``texts``: on the given executor (a Ray
        cluster's) when ``parallel`` (an add's batch) and there are enough of
        them, else here. Forked local workers do not pay for an add's batch:
        building a 30,000-document index took 13.1 s in one process and
        13.7-15.1 s with two workers (a pool per batch; SQLite's writes, not
        fingerprinting, take most of an add)."""
        c = self.config
        given = parallel and self.executor is not None and len(texts) >= PARALLEL_MIN_TEXTS
        executor = self.executor if given else LocalExecutor(1)
        return fingerprint_all(texts, c.shingle_size, c.num_perm, c.seed, batch_size=c.batch_size, executor=executor)

    def line_counts(self, docs: Sequence[Document], keys_of: Sequence[Sequence[int]] | None = None) -> LineCounts:
        """The index's site line counts for the lines ``docs`` have: for each
        of their sites, its stored pages and in how many of them each of
        those lines appears (what the chrome rule reads). ``keys_of``: the
        documents' line keys (:func:`wiretrace.chrome.line_keys`), if made."""
        wanted = {site: list(keys) for site, keys in count_lines(docs, keys_of).lines.items()}
        pages, lines = (self._known or self.store).line_counts(wanted)
        per_site: dict[str, Counter] = {site: Counter() for site in pages}
        for (site, key), n in lines.items():
            per_site[site][key] = n
        return LineCounts(Counter(pages), per_site)

    def _lookup(self, docs: Sequence[Document]) -> list[dict[str, Any]]:
        if not docs:
            return []
        c = self.config
        own = [record_key(d) for d in docs]
        stored_already = self.store.known(own)  # a page of the index checked again: its lines are counted
        unstored = [k not in stored_already for k in own]
        fp = self._fingerprint(docs, self.line_counts(docs), unstored)
        verified = self._verified(fp, [None] * len(docs))
        stored = {k: Document(**json.loads(p)) for k, p in
                  self.store.records(sorted({k for matched in verified for k, _ in matched}))}
        out = []
        for doc, words, matched, own_key in zip(docs, fp.words, verified, own):
            entry: dict[str, Any] = {"id": doc.id, "source": doc.source, "url": doc.url, "site": doc.site,
                                     "words": words, "matches": [], "origin": None, "attribution": None,
                                     "passages": []}
            if words < c.min_words:
                entry["note"] = f"too short to check: {words} words (shingle.min_words = {c.min_words})"
            for key, evidence in matched:
                other = stored[key]
                entry["matches"].append({"id": other.id, "url": other.url, "site": other.site,
                                         "published": other.published, "same_record": key == own_key, **evidence})
            if matched:
                self._place(entry, doc, [stored[k] for k, _ in matched], own_key not in stored_already)
            out.append(entry)
        return out

    def _place(self, entry: dict[str, Any], doc: Document, records: list[Document], unstored: bool) -> None:
        """The scan's stages over the query and its matches: origin, credit,
        passages (site chrome judged by the index's line counts, and the
        query's own lines when it is not in the index: each page once)."""
        from wiretrace.pipeline import analyse_records

        query = dataclasses.replace(doc, id=doc.id if all(r.id != doc.id or r.text == doc.text for r in records)
                                    else f"query:{doc.id}")
        others = [r for r in records if r.id != query.id]
        counts = self.line_counts([query, *others])
        view = analyse_records([query, *others], [], self.config, graph=False,  # check reads no graph
                               line_counts=counts.merge(count_lines([query])) if unstored else counts)
        me = next((d for d in view.documents if d["id"] == query.id), None)
        if me and me.get("cluster"):
            cluster = next(p for p in view.provenance if p["cluster"] == me["cluster"])
            entry["origin"] = cluster["origin"]
            entry["attribution"] = me.get("attribution")
            node = f"doc:{query.id}"
            entry["passages"] = [e["alignment"] for e in cluster["edges"]
                                 if node in (e["source"], e["copy"]) and e.get("alignment")]

    def delta(self, added: AddResult, *, progress: Progress | None = None,
              max_documents: int = DELTA_MAX_DOCUMENTS, prune: bool = True) -> Report:
        """The report of what an ``add`` brought, without rescanning: the
        documents it added and the stored documents of their stories, found
        hop by hop through verified copies (duplicates and contained copies,
        verified as :meth:`check` verifies), so that each new page's cluster
        is whole -- its origin chosen among all its members -- analysed by
        the scan's stages. The walk does not run on through the texts a page
        holds (:func:`_walk_mode`): it takes them, their duplicates, their
        other holders and what those hold, and the passages holding pages
        share (what the scan's roundup rule reads to see several stories),
        and stops there. Not proven exact (a page further on could change
        the rule's judgement); a cluster without a new page may be shown in
        part. The walk also stops once ``max_documents`` are involved (a
        story copied everywhere); ``report`` has everything. With
        ``index.walk = "linear"`` an LSH bucket of more than
        :data:`~wiretrace.candidates.MAX_BUCKET` stored pages is linked as the
        scan links it (:meth:`_candidates`), not page by page: several times
        faster on a story copied on hundreds of sites, but reaching fewer of
        the pages a new page's placement may depend on (README).
        ``prune=False``: each hop verifies every candidate, even those it
        cannot take further (:func:`_ceiling`); the same walk, slower (the
        plain reference the tests compare)."""
        from wiretrace.pipeline import analyse_records

        # the index does not change until this returns, and no count here is merged with a page's own
        self._known = _KnownLines(self.store, max(1, self.config.chrome_min_pages))
        c = self.config
        made = Known(c.shingle_size, c.num_perm, c.seed)  # the walk's fingerprints, taken by the stages
        try:
            _, docs, shadowed = self._walk(sorted(added.added_keys), max_documents, prune, made)
            involved = [docs[k] for k in sorted(docs)]
            counts = self.line_counts(involved)
        finally:
            self._known = None
        report = analyse_records(involved, shadowed, self.config, progress=progress,
                                 line_counts=counts, executor=self.executor, memo=self.memo, known=made)
        self._memo_checked()
        return report

    def _walk(self, keys: list[int], max_documents: int, prune: bool = True, made: Known | None = None,
              ) -> tuple[dict[int, int], dict[int, Document], list[Skipped]]:
        """The walk of :meth:`delta` from the records ``keys``: each record
        it reached, in the strongest mode it reached it (``_STORY``, ...);
        their documents; and the records met that another record of the
        same id shadows (:meth:`_shadowed`), which it neither takes nor
        walks through. ``made`` keeps the fingerprints the walk makes."""
        shared_min = passage_shingles(self.config.passage_min_words, self.config.shingle_size)
        docs = {k: Document(**json.loads(p)) for k, p in self.store.records(keys)}
        shadowed = self._shadowed(docs)
        keys = [k for k in keys if k not in shadowed]
        mode = dict.fromkeys(keys, _STORY)
        postings = _Postings(self.store)
        cleaned: dict[int, tuple[np.ndarray, str]] = {}  # candidates without their chrome, met again each hop
        linear = self.config.index_walk == "linear"  # large buckets linked as the scan links them (_candidates)
        frontier = keys
        while frontier and len(mode) < max_documents:
            queried = [k for k in frontier if mode[k] != _SEEN]
            # a page met before as a candidate was cleaned then, by the same line counts
            # (the walk adds nothing): its text without chrome is fingerprinted as it is
            if all(k in cleaned for k in queried):
                texts = [cleaned[k][1] for k in queried]
            else:
                texts = self._stripped([docs[k] for k in queried], self.line_counts([docs[k] for k in queried]))
            fp = self._fingerprint_texts(texts)
            if made is not None:
                made.keep(texts, fp)
            reached: dict[int, int] = {}
            bars = [_ceiling(mode[k]) for k in queried] if prune else [_STORY + 1] * len(queried)
            # shadowed candidates are left out as pages no match can take further
            settled = {**mode, **dict.fromkeys(shadowed, _STORY + 1)}
            walked = self._verified(fp, queried, shared_min, cleaned, linear_buckets=linear, settled=settled,
                                    bars=bars, members=postings.members)
            if prune:
                # a query of the story with a shared match that would take a page, and
                # nothing held among the candidates it verified: whether it holds one
                # it left out decides (the roundup rule's container, below)
                again = [i for i, (k, matched) in enumerate(zip(queried, walked)) if mode[k] == _STORY
                         and any(e["kind"] == "shared" and mode.get(o, -1) < _HELD2 for o, e in matched)
                         and not any(_holds(e) for _, e in matched)]
                if again:
                    redo = self._verified(_rows(fp, again), [queried[i] for i in again], shared_min, cleaned,
                                          linear_buckets=linear, members=postings.members)
                    for i, matched in zip(again, redo):
                        walked[i] = matched
            for key, matched in zip(queried, walked):
                matched = [(o, e) for o, e in matched if o not in shadowed]  # as if not stored
                # the roundup rule counts shared passages of containers only
                container = mode[key] == _HOLDER or any(_holds(e) for _, e in matched)
                for other, evidence in matched:
                    if evidence["kind"] == "shared" and not container:
                        continue
                    step = _walk_mode(mode[key], evidence)
                    if step is not None and step > max(mode.get(other, -1), reached.get(other, -1)):
                        reached[other] = step
            # up to max_documents in all, shadowed records (known once read) taking no room
            ordered, frontier = sorted(reached), []
            while ordered and len(mode) + len(frontier) < max_documents:
                room = max_documents - len(mode) - len(frontier)
                take, ordered = ordered[:room], ordered[room:]
                read = {k: Document(**json.loads(p)) for k, p in self.store.records([k for k in take if k not in docs])}
                docs.update(read)
                shadowed.update(self._shadowed(read))
                frontier += [k for k in take if k not in shadowed]
            mode.update((k, reached[k]) for k in frontier)
        return mode, {k: docs[k] for k in mode}, [shadowed[k] for k in sorted(shadowed)]

    def _shadowed(self, docs: dict[int, Document]) -> dict[int, Skipped]:
        """Of the records ``docs`` (key -> document), those a report leaves
        out for another stored record of the same id (the scan's rule,
        :func:`~wiretrace.records.resolve_id`, over every record of that
        id, in key order): each with its entry among the skipped inputs. A daily
        crawl that keys pages by URL stores each version of an updated page
        under one id; the full report keeps one, and so must the report of
        an add, or the two place the page differently."""
        return {key: entry for group in self._id_groups(docs) for key, _, entry in shadowed(group) if key in docs}

    def _id_groups(self, docs: dict[int, Document]) -> list[list[tuple[int, Document]]]:
        """The records of each id that one of ``docs`` (key -> document,
        stored or about to be) shares with another record, stored or among
        ``docs``: each id's in key order, as the full report reads them
        (records the rule's sort cannot tell apart keep that order there).
        Ids held by one record are left out: the common case costs one
        lookup of the ids' postings."""
        if not docs:
            return []
        wanted = np.array(sorted({doc_key(d.id) for d in docs.values()}), dtype=np.uint64)
        _, owners = self.store.members("ids", wanted)
        others = [k for k in dict.fromkeys(owners.tolist()) if k not in docs]
        if not others and len({d.id for d in docs.values()}) == len(docs):
            return []
        by_id: dict[str, list[tuple[int, Document]]] = {}
        read = ((k, Document(**json.loads(p))) for k, p in self.store.records(others))
        for key, doc in sorted([*docs.items(), *read], key=lambda item: item[0]):
            by_id.setdefault(doc.id, []).append((key, doc))
        return [group for group in by_id.values() if len(group) > 1 and any(k in docs for k, _ in group)]

    def _chrome_free_sets(self, keys: Sequence[int], cache: dict[int, tuple[np.ndarray, str]] | None = None,
                          ) -> tuple[dict[int, np.ndarray], dict[int, str]]:
        """Shingle sets of stored records as a scan would make them: without
        the chrome the index's line counts find in them; and the texts they
        are the sets of. ``cache`` (kept by the caller while the line counts
        stay as they are) holds those already made, and takes the new ones."""
        if cache is not None:
            sets, texts = self._chrome_free_sets([k for k in keys if k not in cache])
            cache.update((k, (sets[k], texts[k])) for k in sets)
            known = [k for k in keys if k in cache]
            return {k: cache[k][0] for k in known}, {k: cache[k][1] for k in known}
        c = self.config
        stored = [(k, Document(**json.loads(p))) for k, p in self.store.records(keys)]
        if not stored:
            return {}, {}
        docs = [d for _, d in stored]
        sets = self.store.get_sets([k for k, _ in stored])
        if not c.chrome_min_pages:
            return sets, {k: d.text for k, d in stored}
        keys_of = line_keys(docs)  # counted and stripped by the same keys
        cleaned = strip_chrome(docs, c.chrome_min_pages, c.chrome_long_line_words, c.chrome_long_line_share,
                               c.min_words, self.line_counts(docs, keys_of), keys_of=keys_of)
        texts = {k: text for (k, _), text in zip(stored, cleaned.texts)}
        changed = [i for i, removed in enumerate(cleaned.lines_removed) if removed]
        if changed:  # sets to compare, no signatures (a candidate is only verified)
            found, _ = shingle_sets([cleaned.texts[i] for i in changed], c.shingle_size, c.batch_size)
            for i, shingles in zip(changed, found):
                sets[stored[i][0]] = shingles
        return sets, texts

    def _candidates(self, signatures: np.ndarray, sets: Sequence[np.ndarray], own: Sequence[int | None],
                    linear_buckets: bool = False, members: Callable[[str, np.ndarray], Any] | None = None,
                    settled: dict[int, int] | None = None, bars: Sequence[int] | None = None,
                    ) -> list[dict[int, int]]:
        """Stored records worth verifying against each query, for a batch of
        queries at once, each with the anchors it shares with the query (-1:
        found by a band bucket): those sharing a band bucket, or anchor
        shingles. An anchor that more than ``anchor_max_df`` stored records
        have links them as the scan's star and chain do, in key order
        (:func:`_star_partners`; ``own``: each query's record key, if stored).
        With ``linear_buckets`` (the walk of :meth:`delta` with ``index.walk =
        "linear"``), so does a band bucket of more than
        :data:`~wiretrace.candidates.MAX_BUCKET` records, as the scan's buckets
        do: the wide walk takes every page of a story on 1,000 sites as a
        candidate of each of them (and verifies those :func:`_ceiling`
        leaves). ``check`` wants every copy, and takes every owner.
        How many shared anchors suffice is settled in :meth:`_verified`,
        which knows both sides' anchor counts (the scan's rule).
        With ``bars``, query ``i`` leaves out the records ``settled`` maps to
        ``bars[i]`` or more (:meth:`_verified`), as each key's owners are
        joined to it: a story on 1,000 sites puts every page in each of its
        pages' buckets, nearly all of them settled after the first hop, and
        the walk's hops had spent seconds putting them in dictionaries to
        take them out again. A large group's partners are worked out from
        all of its owners first (the scan's star does not skip a settled page)."""
        keep = _Unsettled(settled, bars)
        found: list[dict[int, int]] = [{} for _ in sets]
        keys, queries = band_keys(signatures, self.bands, self.rows)
        members = members or self.store.members  # (a walk's _Postings: each key looked up once)
        posted, owners = members("bands", keys)
        if linear_buckets and len(posted):
            linked, posted, owners = _linked(keys, queries, posted, owners, MAX_BUCKET, own)
            for query, partners in linked:
                found[query].update(dict.fromkeys(keep.listed(query, partners), -1))
        # queries with the same band keys (copies of one text) share their buckets' owners:
        # joined once (band_keys puts band b of query q at b * n + q)
        n = len(sets)
        if n > 1 and len(keys):
            _, first, group = np.unique(keys.reshape(-1, n).T, axis=0, return_index=True, return_inverse=True)
            group = group.reshape(-1).tolist()
            keys, queries = keys.reshape(-1, n)[:, first].reshape(-1), np.tile(np.arange(len(first)), len(keys) // n)
        else:
            group = list(range(n))
        owned = dict(_join(keys, queries, posted, owners))
        made: dict[tuple[int, int], dict[int, int]] = {}  # copies of one text with one bar share theirs
        for query, g in enumerate(group):
            if g in owned:
                got = made.get((g, keep.bar(query)))
                if got is None:
                    got = made[g, keep.bar(query)] = dict.fromkeys(keep.array(query, owned[g]).tolist(), -1)
                found[query].update(got)
        keys, queries = anchor_keys(list(sets), self.config.anchor_rate)
        posted, owners = members("anchors", keys)
        if len(posted):
            shared: list[Counter] = [Counter() for _ in sets]
            linked, rare, rare_owners = _linked(keys, queries, posted, owners, self.config.anchor_max_df, own)
            for query, hits in _join(keys, queries, rare, rare_owners):
                docs, counts = np.unique(keep.array(query, hits), return_counts=True)
                shared[query].update(dict(zip(docs.tolist(), counts.tolist())))
            for query, partners in linked:
                shared[query].update(keep.listed(query, partners))
            for query, counts in enumerate(shared):
                for doc, n in sorted(counts.items()):
                    found[query].setdefault(doc, n)
        return found

    def _verified(self, fp: Any, exclude: Sequence[int | None], shared_min: int | None = None,
                  cleaned: dict[int, tuple[np.ndarray, str]] | None = None, linear_buckets: bool = False,
                  settled: dict[int, int] | None = None, bars: Sequence[int] | None = None,
                  members: Callable[[str, np.ndarray], Any] | None = None,
                  ) -> list[list[tuple[int, dict[str, Any]]]]:
        """Every query's verified matches in the index, (record key, evidence),
        best first: ``duplicate`` (Jaccard) or ``contained`` (containment),
        at the scan's thresholds, both sides without their site chrome.
        ``exclude``: each query's own record key. With ``shared_min``, also
        the candidates that fail both tests but share that many shingles
        (kind ``shared``: what the scan keeps as candidates for passages).
        With ``bars``, query ``i`` leaves out (neither reads nor verifies)
        the candidates ``settled`` maps to ``bars[i]`` or more (the walk of
        :meth:`delta`: pages no match of that query can take further)."""
        c = self.config
        candidates = self._candidates(fp.signatures, fp.sets, exclude, linear_buckets, members,
                                      settled=settled, bars=bars)
        # candidates are compared as the scan compares them: their stored text
        # with its site chrome removed (the stored sets, of the whole page, only
        # propose them), or a stored excerpt inside heavy chrome is missed
        # (a page that loses no line keeps its stored set: the set of the same text)
        sets, texts = self._chrome_free_sets(sorted({k for found in candidates for k in found}), cleaned)
        found_pairs: list[list[tuple[int, str, int, float, float, float]]] = []
        checked = [[key for key in sorted(found) if key != own and len(sets.get(key, ())) and len(mine)]
                   for mine, found, own in zip(fp.sets, candidates, exclude)]
        # every query's candidates at once: shared shingles, anchor counts, sizes
        shared_all, anchors_all, sizes = _against(fp.sets, checked, sets, c.anchor_rate)
        mine_anchors = np.array([anchor_count(mine, c.anchor_rate) for mine in fp.sets], dtype=np.int64)
        needed = anchors_needed(np.repeat(mine_anchors, [len(keys) for keys in checked]), anchors_all,
                                c.anchor_min_shared)
        against = zip(shared_all.tolist(), needed.tolist(), sizes.tolist())
        for mine, found, keys in zip(fp.sets, candidates, checked):
            pairs = []
            for key, (shared, need, size) in zip(keys, against):
                if 0 <= found[key] < need:
                    continue
                if not shared:
                    continue
                jaccard = shared / (len(mine) + size - shared)
                in_theirs, in_mine = shared / len(mine), shared / size
                # the scan's rule (verify.verify_pairs): min_shared bounds contained copies only
                if jaccard >= c.jaccard_threshold:
                    pairs.append((key, "duplicate", shared, jaccard, in_theirs, in_mine))
                elif max(in_theirs, in_mine) >= c.containment_threshold and shared >= c.min_shared_shingles:
                    pairs.append((key, "contained", shared, jaccard, in_theirs, in_mine))
                elif shared_min is not None and shared >= shared_min:
                    pairs.append((key, "shared", shared, jaccard, in_theirs, in_mine))
            found_pairs.append(pairs)
        # quotes never make a copy: a contained copy passes the scan's own test on
        # the shingles outside quotes (each candidate's fingerprinted once, in one batch)
        quoted = sorted({key for pairs in found_pairs for key, kind, *_ in pairs if kind == "contained"})
        free = dict(zip(quoted, shingle_sets([texts[k] for k in quoted], c.shingle_size, c.batch_size, free=True)[1]))
        # every contained pair through the scan's own test at once: the queries, then the
        # candidates (whose free sets are made apart from their sets: never taken as whole)
        row = {key: len(fp.sets) + n for n, key in enumerate(quoted)}
        tested = [(i, row[key]) for i, pairs in enumerate(found_pairs) for key, kind, *_ in pairs if kind == "contained"]
        passed = {(p.a, p.b) for p in verify_pairs(
            [*fp.sets, *(sets[k] for k in quoted)], np.array(tested, dtype=np.int64).reshape(-1, 2),
            np.array(["index"] * len(tested)), c.jaccard_threshold, c.containment_threshold, c.min_shared_shingles,
            [*fp.free_sets, *(free[k] for k in quoted)])} if tested else set()
        out: list[list[tuple[int, dict[str, Any]]]] = []
        for i, pairs in enumerate(found_pairs):
            matched = []
            for key, kind, shared, jaccard, in_theirs, in_mine in pairs:
                if kind == "contained" and (i, row[key]) not in passed:
                    if shared_min is None or shared < shared_min:
                        continue
                    kind = "shared"  # rejected by the quotes rule: a candidate for passages, as in the scan
                matched.append((key, {"kind": kind, "jaccard": round(jaccard, 4),
                                      "containment_query_in_match": round(in_theirs, 4),
                                      "containment_match_in_query": round(in_mine, 4), "shared_shingles": shared}))
            out.append(sorted(matched, key=lambda m: (-m[1]["jaccard"], m[0])))
        return out


class _KnownLines:
    """The store's site line counts, each site's page count and each (site,
    line key)'s count asked of it once, while the index does not change (the
    walk of :meth:`Index.delta` and the counts of its report): the walk
    reads the same sites' chrome lines at every hop. What the store has not
    got is remembered as such (absent, as the store leaves it out).

    Counts under ``at_least`` are left out as if absent: with ``at_least``
    = ``chrome.min_pages`` they cannot make a line chrome (the rule, in
    :func:`~wiretrace.chrome.strip_chrome`, reads no count of a line that
    is on fewer pages), and most rows are such counts -- a paragraph of one
    page is a line of one page. Only for counts used as they are: not for
    those merged with an unstored page's own lines (``check``), where a
    count of ``min_pages - 1`` becomes ``min_pages``."""

    def __init__(self, store: Store, at_least: int = 1) -> None:
        self.store = store
        self.at_least = at_least
        self.pages: dict[str, int | None] = {}
        self.lines: dict[tuple[str, int], int | None] = {}

    def line_counts(self, wanted: dict[str, Sequence[int]]) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
        ask = {site: new for site, keys in wanted.items()
               if (new := [k for k in keys if (site, k) not in self.lines]) or site not in self.pages}
        if ask:
            pages, lines = self.store.line_counts(ask, self.at_least)
            for site, keys in ask.items():
                self.pages[site] = pages.get(site)
                self.lines.update(((site, k), lines.get((site, k))) for k in keys)
        pages = {site: n for site in wanted if (n := self.pages[site]) is not None}
        lines = {(site, k): n for site, keys in wanted.items() for k in keys
                 if (n := self.lines[site, k]) is not None}
        return pages, lines


class _Unsettled:
    """Which of a query's candidates :meth:`Index._candidates` keeps: those
    ``settled`` (record key -> the mode the walk reached it in) does not
    map to the query's bar or more; every one without ``bars``."""

    def __init__(self, settled: dict[int, int] | None, bars: Sequence[int] | None) -> None:
        self.bars = bars if bars is not None and settled else None
        if self.bars is not None:
            order = sorted(settled)
            self.keys = np.array(order, dtype=np.uint64)
            self.modes = np.array([settled[k] for k in order], dtype=np.int64)
            self.settled = settled

    def bar(self, query: int) -> int:
        return -1 if self.bars is None else self.bars[query]

    def array(self, query: int, owners: np.ndarray) -> np.ndarray:
        if self.bars is None or not len(owners):
            return owners
        at = np.minimum(np.searchsorted(self.keys, owners), len(self.keys) - 1)
        reached = np.where(self.keys[at] == owners, self.modes[at], -1)
        return owners[reached < self.bars[query]]

    def listed(self, query: int, owners: list[int]) -> list[int]:
        if self.bars is None:
            return owners
        bar, settled = self.bars[query], self.settled
        return [k for k in owners if settled.get(k, -1) < bar]


class _Postings:
    """A walk's view of the store's postings (:meth:`Store.members`), each
    key looked up once: the pages of a story share their band buckets and
    anchors, and each hop of the walk asks for them again (the store is
    read, not written, while a walk runs). What each lookup brought is kept
    as the store gives it (sorted by key, then owner) beside the keys it
    asked for, so that a hop finds its keys with ``searchsorted``: a
    dictionary of a million keys' owners had cost more than the store's own
    lookups at 1M (ad hoc)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.known: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}

    def members(self, table: str, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        known = self.known.setdefault(table, [])
        wanted = np.unique(np.asarray(keys, dtype=np.uint64))
        missing = wanted
        for asked, _, _ in known:
            missing = missing[~np.isin(missing, asked, assume_unique=True)]
        if len(missing):
            known.append((missing, *self.store.members(table, missing)))
        posted, owners = [], []
        for _, keys_of, owners_of in known:  # each lookup's keys are apart from the others'
            lo, hi = np.searchsorted(keys_of, wanted, "left"), np.searchsorted(keys_of, wanted, "right")
            counts = hi - lo
            at = np.arange(int(counts.sum())) + np.repeat(lo - (np.cumsum(counts) - counts), counts)
            posted.append(keys_of[at])
            owners.append(owners_of[at])
        if not posted:
            return _NO_OWNERS, _NO_OWNERS
        posted_all, owners_all = np.concatenate(posted), np.concatenate(owners)
        order = np.argsort(posted_all, kind="stable")  # by key; a key's owners from one lookup, in order
        return posted_all[order], owners_all[order]


_NO_OWNERS = np.empty(0, dtype=np.uint64)


def _ceiling(mode: int) -> int:
    """The strongest mode any match of a query the walk of
    :meth:`Index.delta` reached in ``mode`` can give (:func:`_walk_mode`):
    ``mode`` itself (a duplicate keeps it), but a duplicate of a page only
    taken (``_HELD2``) is only seen. A page already reached in that mode or
    a stronger one gains nothing from the query's match: the walk need not
    verify it (without this, each page of a story on hundreds of sites was
    verified against all the others)."""
    return _SEEN if mode == _HELD2 else mode


def _rows(fp: Fingerprints, rows: Sequence[int]) -> Fingerprints:
    """Rows ``rows`` of ``fp``: what :meth:`Index._verified` reads."""
    return Fingerprints(sets=[fp.sets[i] for i in rows], words=[fp.words[i] for i in rows],
                        signatures=fp.signatures[list(rows)], free_sets=[fp.free_sets[i] for i in rows])


def _against(queries: Sequence[np.ndarray], keys: Sequence[Sequence[int]], sets: dict[int, np.ndarray],
             rate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For sorted shingle sets ``queries`` and, for each, the record keys
    ``keys[i]`` of others (sets in ``sets``; none of them empty, as
    :meth:`Index._verified` leaves them out): for every (query, key) in that
    order, the shingles the two share
    (:func:`wiretrace.verify.intersection_size`), the record's anchor count
    (:func:`wiretrace.candidates.anchor_count`) and its size. Every pair in
    one call of the compiled kernel if numba is loaded already; otherwise
    each query in one numpy pass over its candidates' values. (Not worth
    loading numba for: a walk at 1M intersects ~120,000 pairs, and the kernel
    saved 0.5 s of numpy's 1.4 s there, about what loading numba costs; ad hoc.)"""
    pairs = sum(len(listed) for listed in keys)
    if not compiled.use_for_pairs(pairs, warm=0):
        parts = [_one_against_many(mine, [sets[k] for k in listed], rate) for mine, listed in zip(queries, keys)
                 if listed]
        if not parts:
            return _NO_COUNTS, _NO_COUNTS, _NO_COUNTS
        shared, anchors, sizes = zip(*parts)
        return np.concatenate(shared), np.concatenate(anchors), np.concatenate(sizes)
    distinct = sorted({k for listed in keys for k in listed})
    flat = np.concatenate([sets[k] for k in distinct])
    sizes = np.fromiter((len(sets[k]) for k in distinct), dtype=np.int64, count=len(distinct))
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    anchored = np.concatenate(([0], np.cumsum(is_anchor(flat, rate))))
    anchors = anchored[bounds[1:]] - anchored[bounds[:-1]]
    row = {k: n for n, k in enumerate(distinct)}
    at = np.fromiter((row[k] for listed in keys for k in listed), dtype=np.int64, count=pairs)
    # the queries' sets, then the candidates' (already one array): set d is flat[starts[d]:starts[d + 1]]
    query_sizes = np.fromiter((len(q) for q in queries), dtype=np.int64, count=len(queries))
    starts = np.concatenate(([0], np.cumsum(query_sizes), bounds[1:] + int(query_sizes.sum())))
    query = np.repeat(np.arange(len(queries), dtype=np.int64), [len(listed) for listed in keys])
    shared = compiled.intersection_sizes(np.concatenate([*queries, flat]), starts, query, at + len(queries))
    return shared, anchors[at], sizes[at]


_NO_COUNTS = np.empty(0, dtype=np.int64)


def _one_against_many(mine: np.ndarray, theirs: Sequence[np.ndarray], rate: int,
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_against` for one query on numpy: its candidates' values in one
    array, each looked up in the query's sorted set, counted by segment."""
    sizes = np.fromiter((len(t) for t in theirs), dtype=np.int64, count=len(theirs))
    flat = np.concatenate(theirs)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    at = np.minimum(np.searchsorted(mine, flat), len(mine) - 1)
    shared = np.add.reduceat((mine[at] == flat).astype(np.int64), starts)
    anchors = np.add.reduceat(is_anchor(flat, rate).astype(np.int64), starts)
    return shared, anchors, sizes
