"""Where an index keeps its facts: one batch-first interface, two backends.

Rule: a store holds *facts* -- the records read (documents and skipped
inputs, as JSON), each document's shingle set, and postings (a key -> the
documents that have it: LSH band buckets, anchor shingles) -- and nothing
derived from the whole corpus. Pairs, clusters, provenance and attribution
are views computed from the facts (:mod:`wiretrace.index`), so what a store
holds after adding A then B is what it holds after adding A+B.

Every method takes and returns batches (datasketch's storage layer is the
model: a networked backend cannot afford a round trip per key). Keys are
unsigned 64-bit integers (XXH3-64: :func:`wiretrace.index.doc_key`); SQLite
stores them as the signed integers with the same bits.

Backends, by URI (:func:`open_store`), each behind the one interface:

* ``memory:`` -- dictionaries in this process;
* ``sqlite:PATH`` or a plain path -- a SQLite file in WAL mode: one writer
  (an exclusive lock file held for as long as the store is open for
  writing; a second writer gets :class:`~wiretrace.errors.IndexBusy`), many
  readers; each :meth:`Store.transaction` is one SQLite transaction, so a
  killed writer leaves the batches it committed and none of the one it was
  writing. Its postings are sorted files in the folder ``PATH.postings``
  (:mod:`wiretrace.segments`), listed in the SQLite file by the transaction
  that adds them. The WAL is copied into the file by a short-lived process
  beside the writer (:data:`CHECKPOINT_BEHIND_BYTES`), not inside its commits;
* ``redis://host:port/db?prefix=NAME`` -- a Redis database shared by
  processes and machines (:mod:`wiretrace.redis_store`; a transaction is a
  ``MULTI``/``EXEC`` block).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from wiretrace.errors import IndexBusy, StoreError
from wiretrace.segments import CATALOGUE, Segments, sorted_pairs

__all__ = ["Store", "MemoryStore", "SQLiteStore", "open_store", "SCHEMA_VERSION"]

#: Version of the SQLite layout. A store written by a newer layout is refused;
#: an older one is migrated on open by the steps in ``_MIGRATIONS``.
SCHEMA_VERSION = 6
#: Version of the Redis layout, which has its own: version 4 of the SQLite one
#: (row counts kept in meta) changed nothing there (a hash's length is its
#: count); its version 4 is SQLite's 5 (the ids' postings); SQLite's 6
#: (postings as segment files) changed nothing there.
REDIS_SCHEMA_VERSION = 4
#: from version -> what brings it to version + 1: SQL statements, then a
#: function of the open store for what SQL cannot do
_MIGRATIONS: dict[int, tuple[Sequence[str], Callable[[SQLiteStore], None] | None]] = {}
#: SQLite page cache per connection, KB: records, sets and site lines take
#: inserts at random keys, and a cache that holds their upper B-tree levels
#: saves a read per insert (the default, 2 MB, does not at 100k documents).
_CACHE_KB = 256 * 1024
_IN_CHUNK = 500  # keys per IN list: under SQLite's bound on a statement's parameters
#: Lookups of postings a reader tries, each in a new read transaction, while a
#: writer merges away the segment files it listed (a merge every few
#: transactions, in the tests, needed a second attempt now and then).
_READ_ATTEMPTS = 5

#: Checkpoints off the writer's path: once a commit leaves this much in the
#: WAL, a short-lived process of its own (a new connection: SQLite lets a
#: checkpoint run beside a writer and its readers) copies it into the database
#: while the writer goes on -- the rest of an add, the report of what it
#: added, the next batch of a build. SQLite's own checkpoint, run inside the
#: commit once the WAL passes 1,000 pages, took about 0.4 s of an add of 1,000
#: pages to a 100k index (ad hoc, docs/scaling.md). A separate process, not a
#: thread: the local executor forks, and a fork while a thread is inside
#: SQLite can leave the child a lock no one will release.
CHECKPOINT_BEHIND_BYTES = 4 << 20
#: ... and the commit checkpoints itself (SQLite's ``wal_autocheckpoint``)
#: only past this many pages (256 MB of 4 KB pages): when no checkpoint process
#: could run or keep up. Commits that come while a checkpoint runs append to
#: the WAL (SQLite rewinds it only once it is checkpointed whole), so a build
#: whose batches come faster than their checkpoints holds a larger WAL than
#: before: an independent review saw 126 MB at most building 20,000 pages in
#: adds of 1,000, against 45 MB with SQLite's own checkpoints.
INLINE_CHECKPOINT_PAGES = 65536
#: How long closing the index waits for a running checkpoint process.
CHECKPOINT_WAIT_SECONDS = 60.0
#: How long a connection waits for another's lock (a second writer's commit, a reader).
BUSY_SECONDS = 30.0
#: How long ``compact``'s last checkpoint waits for readers of the old file once the
#: compacted copy is committed (it holds the writer's lock; a reader that stays keeps the
#: copy in the WAL, and compact says so).
COMPACT_CHECKPOINT_WAIT = 2.0
_CHECKPOINT = ("import sqlite3, sys\n"
               "db = sqlite3.connect(sys.argv[1], timeout=30.0)\n"
               "db.execute('PRAGMA wal_checkpoint(PASSIVE)').fetchall()\n"
               "db.close()\n")

#: Tables whose rows are counted in meta (``rows.records``, ...) as they are
#: added, in the transaction that adds them (version 4): counting them reads
#: every page of a table of whole texts, which took half a second of an add
#: to a 100k index whose summary names the documents it holds.
TALLIED = ("records", "skipped", "sets")

#: The posting tables: LSH band buckets, anchor shingles, and document ids
#: (version 5; key: :func:`wiretrace.records.doc_key` of the id): which
#: records share an id, of which a report keeps one (the scan's rule,
#: :func:`wiretrace.records.resolve_id`).
POSTINGS = ("bands", "anchors", "ids")


def _posting_tables(tables: Sequence[str]) -> tuple[str, ...]:
    """Versions 1-5 kept postings in SQLite tables (a main one and, from
    version 3, a small one of new postings merged into it); version 6 moves
    them to segment files (:func:`_move_postings`)."""
    return tuple(f"CREATE TABLE IF NOT EXISTS {t}{new} (key INTEGER NOT NULL, rkey INTEGER NOT NULL, "
                 "PRIMARY KEY (key, rkey)) WITHOUT ROWID" for t in tables for new in ("", "_new"))


# Version 3: postings land in a small table first.
_NEW_POSTINGS = tuple(statement for statement in _posting_tables(("bands", "anchors")) if "_new " in statement)

# Per site: its pages, and in how many of them each line appears (the chrome
# rule's facts, wiretrace.chrome.LineCounts). Version 2.
_SITE_TABLES = (
    "CREATE TABLE IF NOT EXISTS site_pages (site TEXT PRIMARY KEY, pages INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS site_lines (site TEXT NOT NULL, key INTEGER NOT NULL, pages INTEGER NOT NULL, "
    "PRIMARY KEY (site, key)) WITHOUT ROWID",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (rkey INTEGER PRIMARY KEY, id TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS skipped (skey INTEGER PRIMARY KEY, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sets (rkey INTEGER PRIMARY KEY, shingles BLOB NOT NULL);
""" + "".join(f"{statement};\n" for statement in (*_SITE_TABLES, CATALOGUE))



def _signed(values: np.ndarray | Sequence[int]) -> list[int]:
    return np.asarray(values, dtype=np.uint64).view(np.int64).tolist()


def _unsigned(value: int) -> int:
    return value & 0xFFFFFFFFFFFFFFFF


class Store(Protocol):
    """The facts of an index (module doc). ``rkey``: a record's key."""

    uri: str

    def transaction(self): ...  # context manager: everything inside lands together or not at all
    def get_meta(self) -> dict[str, str]: ...
    def set_meta(self, values: dict[str, str]) -> None: ...
    def put_records(self, rows: Sequence[tuple[int, str, str]]) -> int: ...  # (rkey, id, payload) -> added
    def known(self, rkeys: Sequence[int]) -> set[int]: ...
    def records(self, rkeys: Sequence[int] | None = None) -> Iterator[tuple[int, str]]: ...  # (rkey, payload)
    def put_skipped(self, rows: Sequence[tuple[int, str]]) -> int: ...
    def skipped(self) -> Iterator[str]: ...
    def put_sets(self, rkeys: Sequence[int], sets: Sequence[np.ndarray]) -> None: ...
    def get_sets(self, rkeys: Sequence[int]) -> dict[int, np.ndarray]: ...
    def add_postings(self, table: str, keys: np.ndarray, rkeys: np.ndarray) -> None: ...
    def members(self, table: str, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...  # (key, rkey) rows, sorted
    def count_lines(self, pages: dict[str, int], lines: dict[tuple[str, int], int]) -> None: ...  # increments
    # (site -> pages, (site, line key) -> pages holding it, of those at least ``at_least``)
    def line_counts(self, wanted: dict[str, Sequence[int]], at_least: int = 1,
                    ) -> tuple[dict[str, int], dict[tuple[str, int], int]]: ...
    def counts(self) -> dict[str, int]: ...
    def close(self) -> None: ...


class MemoryStore:
    """A store in this process's memory (what a one-off scan needs)."""

    def __init__(self) -> None:
        self.uri = "memory:"
        self._meta: dict[str, str] = {}
        self._records: dict[int, tuple[str, str]] = {}
        self._skipped: dict[int, str] = {}
        self._sets: dict[int, np.ndarray] = {}
        self._postings: dict[str, dict[int, set[int]]] = {t: {} for t in POSTINGS}
        self._pages: dict[str, int] = {}
        self._lines: dict[tuple[str, int], int] = {}

    @contextmanager
    def transaction(self):
        yield self

    def get_meta(self) -> dict[str, str]:
        return dict(self._meta)

    def set_meta(self, values: dict[str, str]) -> None:
        self._meta.update(values)

    def put_records(self, rows: Sequence[tuple[int, str, str]]) -> int:
        added = 0
        for rkey, doc_id, payload in rows:
            if rkey not in self._records:
                self._records[rkey] = (doc_id, payload)
                added += 1
        return added

    def known(self, rkeys: Sequence[int]) -> set[int]:
        return {k for k in rkeys if k in self._records}

    def records(self, rkeys: Sequence[int] | None = None) -> Iterator[tuple[int, str]]:
        keys = sorted(self._records) if rkeys is None else sorted(k for k in set(rkeys) if k in self._records)
        for k in keys:
            yield k, self._records[k][1]

    def put_skipped(self, rows: Sequence[tuple[int, str]]) -> int:
        added = 0
        for k, payload in rows:
            if k not in self._skipped:
                self._skipped[k] = payload
                added += 1
        return added

    def skipped(self) -> Iterator[str]:
        for k in sorted(self._skipped):
            yield self._skipped[k]

    def put_sets(self, rkeys: Sequence[int], sets: Sequence[np.ndarray]) -> None:
        for k, s in zip(rkeys, sets):
            self._sets[k] = np.asarray(s, dtype=np.uint64)

    def get_sets(self, rkeys: Sequence[int]) -> dict[int, np.ndarray]:
        return {k: self._sets[k] for k in rkeys if k in self._sets}

    def add_postings(self, table: str, keys: np.ndarray, rkeys: np.ndarray) -> None:
        postings = self._postings[table]
        for key, rkey in zip(np.asarray(keys, dtype=np.uint64).tolist(), np.asarray(rkeys, dtype=np.uint64).tolist()):
            postings.setdefault(key, set()).add(rkey)

    def members(self, table: str, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        postings = self._postings[table]
        rows = sorted((key, r) for key in set(np.asarray(keys, dtype=np.uint64).tolist())
                      for r in postings.get(key, ()))
        return (np.array([k for k, _ in rows], dtype=np.uint64), np.array([r for _, r in rows], dtype=np.uint64))

    def count_lines(self, pages: dict[str, int], lines: dict[tuple[str, int], int]) -> None:
        for site, n in pages.items():
            self._pages[site] = self._pages.get(site, 0) + n
        for key, n in lines.items():
            self._lines[key] = self._lines.get(key, 0) + n

    def line_counts(self, wanted: dict[str, Sequence[int]], at_least: int = 1,
                    ) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
        pages = {site: self._pages[site] for site in wanted if site in self._pages}
        lines = {(site, k): n for site, keys in wanted.items() for k in keys
                 if (n := self._lines.get((site, k), 0)) >= max(at_least, 1)}
        return pages, lines

    def counts(self) -> dict[str, int]:
        return {"records": len(self._records), "skipped": len(self._skipped), "sets": len(self._sets),
                **{t: sum(len(v) for v in self._postings[t].values()) for t in POSTINGS},
                "sites": len(self._pages), "site_lines": len(self._lines)}

    def close(self) -> None:
        pass


class SQLiteStore:
    """A store in one SQLite file (module doc). ``writer``: hold the write lock.

    Postings (millions: ~30 band buckets and ~50 anchors per document) are
    not in it but in segment files beside it (:mod:`wiretrace.segments`):
    each transaction's postings one new sorted file, named in the
    transaction, merged with others of its size later.
    """

    def __init__(self, path: str | os.PathLike[str], writer: bool = False, create: bool = True) -> None:
        self.path = Path(path)
        self.uri = f"sqlite:{self.path}"
        self._lock = None
        if not (writer and create) and not self.path.exists():
            raise StoreError(f"no index at {self.path}: create one with `wiretrace index add INPUT --db {self.path}`")
        if writer:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # one lock per file, however its path is spelled (a symlink, ../)
            self._lock = open(f"{os.path.realpath(self.path)}.lock", "a+")  # noqa: SIM115 -- held until close()
            try:
                fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._lock.seek(0)
                holder = self._lock.read().strip() or "another process"
                self._lock.close()
                self._lock = None
                raise IndexBusy(f"{self.path} is being written by {holder}: one writer at a time; "
                                "wait for it to finish (readers such as `wiretrace check` may run meanwhile)") from None
            self._lock.seek(0)
            self._lock.truncate()
            self._lock.write(f"process {os.getpid()}")
            self._lock.flush()
        self._segments: Segments | None = None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_SECONDS)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(f"PRAGMA cache_size=-{_CACHE_KB}")
            self._checkpointer: subprocess.Popen | None = None
            # the file SQLite opened, its WAL beside it: a symlinked index's are beside the target
            self._file = self._db.execute("PRAGMA database_list").fetchone()[2] or os.path.realpath(self.path)
            if writer:
                self._db.execute(f"PRAGMA wal_autocheckpoint={INLINE_CHECKPOINT_PAGES}")
                # a WAL checkpointed whole is cut back to this when it is reused, so that
                # its size says what the commits since wrote (_checkpoint_behind)
                self._db.execute(f"PRAGMA journal_size_limit={CHECKPOINT_BEHIND_BYTES}")
                self._db.executescript(_SCHEMA)
            self._check_schema(writer)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"{self.path} is not a wiretrace index ({exc})") from None
        except BaseException:
            self.close()
            raise

    def _where_in(self, sql: str, keys: Sequence[Any], *before: Any) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql`` (whose ``{marks}`` is an IN list) for ``keys``, a
        bounded number of parameters per statement; ``before``: the values
        of the parameters that come before the list."""
        for start in range(0, len(keys), _IN_CHUNK):
            chunk = list(keys[start:start + _IN_CHUNK])
            yield from self._db.execute(sql.format(marks=",".join("?" * len(chunk))), [*before, *chunk]).fetchall()

    def _check_schema(self, writer: bool) -> None:
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            raise StoreError(f"{self.path} is not a wiretrace index (no meta table)")
        row = self._db.execute("SELECT value FROM meta WHERE name='schema_version'").fetchone()
        version = SCHEMA_VERSION if row is None else int(row[0])
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} has index schema version {version}, newer than this wiretrace's "
                              f"{SCHEMA_VERSION}: upgrade wiretrace to read it")
        # only now: a writer sweeps the postings' folder, which a newer layout may use otherwise
        self._segments = Segments(self._db, Path(f"{self.path}.postings"), writer)
        if row is None:
            if writer:
                self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            return
        if version < SCHEMA_VERSION:
            if not writer:
                raise StoreError(f"{self.path} has index schema version {version}; run `wiretrace index add` "
                                  f"(with no input) to migrate it to {SCHEMA_VERSION}")
            with self.transaction():
                for step in range(version, SCHEMA_VERSION):
                    statements, function = _MIGRATIONS[step]
                    for statement in statements:
                        self._db.execute(statement)
                    if function is not None:
                        function(self)
                self._db.execute("UPDATE meta SET value=? WHERE name='schema_version'", (str(SCHEMA_VERSION),))

    @contextmanager
    def transaction(self):
        """One SQLite transaction; the postings added in it are written as
        segment files just before it commits, and named in it."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self
            self._segments.flush()
        except BaseException:
            self._db.execute("ROLLBACK")
            self._segments.rolled_back()
            raise
        self._db.execute("COMMIT")
        self._segments.committed()
        self._checkpoint_behind()

    def _checkpoint_behind(self) -> None:
        """Start a checkpoint process (:data:`CHECKPOINT_BEHIND_BYTES`) if
        the WAL has grown that much and none is running. Best effort: one
        that cannot start or fails leaves the WAL to the next commit, to
        SQLite's own checkpoint past :data:`INLINE_CHECKPOINT_PAGES`, and to
        the last connection's close."""
        if self._checkpointer is not None:
            if self._checkpointer.poll() is None:
                return
            self._checkpointer = None
        try:
            if not sys.executable or os.path.getsize(f"{self._file}-wal") <= CHECKPOINT_BEHIND_BYTES:
                return
            self._checkpointer = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _CHECKPOINT, self._file],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)
        except (OSError, ValueError):  # the transaction has committed: it does not fail for this
            self._checkpointer = None

    def _wait_for_checkpoint(self) -> None:
        """Let a running checkpoint process finish (a minute at most)."""
        if getattr(self, "_checkpointer", None) is not None:
            try:
                self._checkpointer.wait(timeout=CHECKPOINT_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                pass  # it finishes on its own: a checkpoint holds no lock of ours
            self._checkpointer = None

    def _count(self, table: str) -> int:
        return self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def get_meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT name, value FROM meta"))

    def set_meta(self, values: dict[str, str]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(values.items()))

    def _insert(self, sql: str, rows: Iterable[tuple[Any, ...]], tallied: str | None = None) -> int:
        """Run ``sql`` for each of ``rows``; the rows it added. ``tallied``:
        a table of :data:`TALLIED` whose count in meta they are added to, in
        the caller's transaction. A count not kept yet starts here: before
        version 4 counts were kept by migration, after it the table was
        empty until now."""
        before = self._db.total_changes
        self._db.executemany(sql, rows)
        added = self._db.total_changes - before
        if tallied is not None and added:
            self._db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (name) DO UPDATE "
                             "SET value = CAST(value AS INTEGER) + excluded.value", (f"rows.{tallied}", added))
        return added

    def put_records(self, rows: Sequence[tuple[int, str, str]]) -> int:
        return self._insert("INSERT OR IGNORE INTO records VALUES (?, ?, ?)",
                            [(k, i, p) for k, (_, i, p) in zip(_signed([r[0] for r in rows]), rows)], "records")

    def known(self, rkeys: Sequence[int]) -> set[int]:
        return {_unsigned(k) for (k,) in self._where_in("SELECT rkey FROM records WHERE rkey IN ({marks})",
                                                        _signed(list(rkeys)))}

    def records(self, rkeys: Sequence[int] | None = None) -> Iterator[tuple[int, str]]:
        if rkeys is None:
            rows = self._db.execute("SELECT rkey, payload FROM records ORDER BY rkey")
            yield from ((_unsigned(k), p) for k, p in rows)
            return
        rows = self._where_in("SELECT rkey, payload FROM records WHERE rkey IN ({marks}) ORDER BY rkey",
                              sorted(set(_signed(list(rkeys)))))
        yield from ((_unsigned(k), p) for k, p in rows)

    def put_skipped(self, rows: Sequence[tuple[int, str]]) -> int:
        return self._insert("INSERT OR IGNORE INTO skipped VALUES (?, ?)",
                            list(zip(_signed([k for k, _ in rows]), (p for _, p in rows))),
                            "skipped")

    def skipped(self) -> Iterator[str]:
        yield from (p for (p,) in self._db.execute("SELECT payload FROM skipped ORDER BY skey"))

    def put_sets(self, rkeys: Sequence[int], sets: Sequence[np.ndarray]) -> None:
        # a record's set is made from its payload, which its key is the hash of
        # (under the fingerprint settings checked on open): a stored one is the same
        self._insert("INSERT OR IGNORE INTO sets VALUES (?, ?)",
                     [(k, np.asarray(s, dtype="<u8").tobytes()) for k, s in zip(_signed(list(rkeys)), sets)], "sets")

    def get_sets(self, rkeys: Sequence[int]) -> dict[int, np.ndarray]:
        rows = self._where_in("SELECT rkey, shingles FROM sets WHERE rkey IN ({marks})", _signed(list(rkeys)))
        return {_unsigned(k): np.frombuffer(blob, dtype="<u8").astype(np.uint64) for k, blob in rows}

    def add_postings(self, table: str, keys: np.ndarray, rkeys: np.ndarray) -> None:
        """Postings of ``table``, written (and seen by :meth:`members`) when the
        transaction they are added in commits: a segment file per transaction."""
        assert table in POSTINGS
        # (a record's postings are added once: Index.add skips records stored)
        if self._db.in_transaction:
            self._segments.stage(table, keys, rkeys)
        else:
            with self.transaction():
                self._segments.stage(table, keys, rkeys)

    def members(self, table: str, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        assert table in POSTINGS
        wanted = np.unique(np.asarray(keys, dtype=np.uint64))
        for attempt in range(_READ_ATTEMPTS):
            try:
                with self._snapshot():  # the list of segments as of one moment
                    posted, owners = self._segments.members(table, wanted)
                return sorted_pairs(posted, owners)
            except FileNotFoundError:  # a writer merged a listed segment away since: the list again
                if self._db.in_transaction or attempt == _READ_ATTEMPTS - 1:
                    raise StoreError(f"the postings of {self.path} changed while read; read again") from None
        raise AssertionError("unreachable")

    def count_lines(self, pages: dict[str, int], lines: dict[tuple[str, int], int]) -> None:
        self._db.executemany("INSERT INTO site_pages VALUES (?, ?) ON CONFLICT (site) DO UPDATE "
                             "SET pages = pages + excluded.pages", sorted(pages.items()))
        ordered = sorted(lines.items())
        self._db.executemany("INSERT INTO site_lines VALUES (?, ?, ?) ON CONFLICT (site, key) DO UPDATE "
                             "SET pages = pages + excluded.pages",
                             [(site, signed, n) for ((site, _), n), signed
                              in zip(ordered, _signed([k for (_, k), _ in ordered]))])

    def line_counts(self, wanted: dict[str, Sequence[int]], at_least: int = 1,
                    ) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
        sites = sorted(wanted)
        pages = {site: n for site, n in self._where_in("SELECT site, pages FROM site_pages WHERE site IN ({marks})",
                                                       sites)}
        lines: dict[tuple[str, int], int] = {}
        for site in sites:
            if site in pages and wanted[site]:
                rows = self._where_in("SELECT key, pages FROM site_lines WHERE site = ? AND pages >= ? "
                                      "AND key IN ({marks})", sorted(set(_signed(list(wanted[site])))), site, at_least)
                lines.update(((site, _unsigned(k)), n) for k, n in rows)
        return pages, lines

    @contextmanager
    def _snapshot(self):
        """Reads inside see the database as of one moment (a read
        transaction), unless they already are in a transaction."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def counts(self) -> dict[str, int]:
        with self._snapshot():
            return self._counts()

    def space(self) -> dict[str, int]:
        """The SQLite file's bytes, and those of its free pages: what
        :meth:`compact` would give back to the disk (a file never shrinks by
        itself: pages freed by deleted rows or dropped tables are reused by
        later writes, not returned). The postings' segment files and the WAL
        are not counted."""
        page_size = self._db.execute("PRAGMA page_size").fetchone()[0]
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
        return {"file_bytes": page_size * pages, "free_bytes": page_size * free}

    def compact(self) -> dict[str, Any]:
        """Rewrite the file without its free pages (SQLite's ``VACUUM``), for
        an index migrated from schema version 5, whose postings tables were
        most of the file and leave their pages free once moved to segment
        files. Needs the writer's lock; readers may go on reading. SQLite
        builds the compacted copy in its temporary folder (``SQLITE_TMPDIR``,
        else ``TMPDIR``, else ``/var/tmp`` or ``/tmp``) and copies it back
        through the WAL: free disk for twice the compacted size. The file
        and the WAL after it are as before if it fails (a full disk, a
        kill). Returns the file's bytes before and after, and a ``note``
        when a reader was reading all along: the compacted copy then waits
        in the WAL (``PATH-wal``, as large as the index) until the reader is
        done, and the file shrinks at a later checkpoint."""
        if self._lock is None:
            raise StoreError(f"{self.path} was opened read-only: compacting it needs the writer's lock")
        self._wait_for_checkpoint()
        before = self.space()
        try:
            self._db.execute("VACUUM")
            # the copy is committed: a reader holding an older snapshot is not waited for long
            self._db.execute(f"PRAGMA busy_timeout = {int(COMPACT_CHECKPOINT_WAIT * 1000)}")
            try:
                busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            finally:
                self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
        except sqlite3.OperationalError as exc:
            needed = (before["file_bytes"] - before["free_bytes"]) / 2**20
            raise StoreError(
                f"cannot compact {self.path} ({exc}): SQLite needs free disk for a copy of the compacted "
                f"index ({needed:,.1f} MB) in its temporary folder and as much again beside the index; free "
                "some, or set SQLITE_TMPDIR to a folder on a larger disk") from None
        if not busy:
            return {"bytes_before": before["file_bytes"], "bytes_after": self.space()["file_bytes"]}
        return {"bytes_before": before["file_bytes"], "bytes_after": os.path.getsize(self.path),  # on disk as it is
                "wal_bytes": os.path.getsize(f"{self.path}-wal"),
                "note": f"a reader of {self.path} kept reading: the compacted copy waits in {self.path}-wal until it "
                        "is done, and the file shrinks at a later checkpoint"}

    def _counts(self) -> dict[str, int]:
        meta = self.get_meta()
        out = {}
        for table in TALLIED:  # a count not kept: no row added since version 4 (SQLiteStore._tally)
            out[table] = int(meta.get(f"rows.{table}", 0))
        posted = self._segments.rows()
        for table in POSTINGS:
            out[table] = posted.get(table, 0)
        out["sites"] = self._db.execute("SELECT COUNT(*) FROM site_pages").fetchone()[0]
        out["site_lines"] = self._db.execute("SELECT COUNT(*) FROM site_lines").fetchone()[0]
        return out

    def close(self) -> None:
        if getattr(self, "_segments", None) is not None:
            self._segments.close()
        self._wait_for_checkpoint()  # then this connection's close checkpoints what is left
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
            self._db = None
        if self._lock is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


def _count_stored_lines(store: SQLiteStore) -> None:
    """Version 1 -> 2: the site line counts of every document stored."""
    import json

    from wiretrace.chrome import count_lines
    from wiretrace.records import Document

    batch: list[Document] = []
    for _, payload in store.records():
        batch.append(Document(**json.loads(payload)))
        if len(batch) >= 1000:
            store.count_lines(*site_line_increments(count_lines(batch)))
            batch = []
    store.count_lines(*site_line_increments(count_lines(batch)))


def site_line_increments(counts: Any) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
    """A :class:`~wiretrace.chrome.LineCounts` as the increments
    :meth:`Store.count_lines` takes."""
    return dict(counts.pages), {(site, k): n for site, c in counts.lines.items() for k, n in c.items()}


_MIGRATIONS[1] = (_SITE_TABLES, _count_stored_lines)
def _tally_stored(store: SQLiteStore) -> None:
    """Version 3 -> 4: the rows of :data:`TALLIED` counted once, into meta."""
    store.set_meta({f"rows.{table}": str(store._count(table)) for table in TALLIED})


def post_ids(store: Store, rows: Sequence[tuple[int, str]], batch: int = 50_000) -> None:
    """The ``ids`` postings of stored records, from (record key, id) rows:
    what a migration to the version that keeps them adds for an index
    written before (SQLite 4 -> 5, Redis 3 -> 4)."""
    from wiretrace.records import doc_key

    for start in range(0, len(rows), batch):
        part = rows[start:start + batch]
        store.add_postings("ids", np.array([doc_key(i) for _, i in part], dtype=np.uint64),
                           np.array([k for k, _ in part], dtype=np.uint64))


def uncount_shadowed(store: Store, rows: Sequence[tuple[int, str]]) -> None:
    """The site line counts of stored records another record of their id
    shadows (:func:`wiretrace.records.resolve_id`, in key order) taken off:
    a report keeps one record of an id, and the chrome rule counts lines
    over the records it keeps. ``rows``: (record key, id) of every record."""
    import json

    from wiretrace.chrome import count_lines
    from wiretrace.records import Document, shadowed

    by_id: dict[str, list[int]] = {}
    for key, doc_id in rows:
        by_id.setdefault(doc_id, []).append(key)
    losers: list[Document] = []
    for keys in (sorted(keys) for keys in by_id.values() if len(keys) > 1):
        losers += [doc for _, doc, _ in shadowed([(k, Document(**json.loads(p))) for k, p in store.records(keys)])]
    pages, lines = site_line_increments(count_lines(losers))
    store.count_lines({site: -n for site, n in pages.items()}, {key: -n for key, n in lines.items()})


def _post_stored_ids(store: SQLiteStore) -> None:
    """Version 4 -> 5: the ids' postings of every record stored (the id
    column is read, not the payloads after it), and the line counts of the
    records those ids show shadowed taken off."""
    rows = [(_unsigned(k), i) for k, i in store._db.execute("SELECT rkey, id FROM records").fetchall()]
    post_ids(store, rows)
    uncount_shadowed(store, rows)


def _post_redis_ids(store: Store) -> None:
    """Redis version 3 -> 4: the ids' postings of every record stored, and
    the line counts of the records shadowed taken off (:func:`uncount_shadowed`)."""
    import json

    rows = [(k, json.loads(payload)["id"]) for k, payload in store.records()]
    post_ids(store, rows)
    uncount_shadowed(store, rows)


def _move_postings(store: SQLiteStore) -> None:
    """Version 5 -> 6: the postings of the SQLite tables (main and new) moved
    to segment files, a table at a time in key order, and the tables dropped."""
    for table in POSTINGS:
        for name in (table, f"{table}_new"):
            rows = store._count(name)
            if rows:
                store._segments.write_rows(table, _in_key_order(store._db, name), rows)
            store._db.execute(f"DROP TABLE {name}")
        store._db.execute("DELETE FROM meta WHERE name = ?", (f"rows.{table}",))


def _in_key_order(db: sqlite3.Connection, table: str, chunk: int = 1 << 20) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The (key, record key) rows of a SQL posting table in unsigned key
    order (SQLite sorts the signed integers: the keys of 2^63 and more first)."""
    for where in ("key >= 0", "key < 0"):
        cursor = db.execute(f"SELECT key, rkey FROM {table} WHERE {where} ORDER BY key")
        while rows := cursor.fetchmany(chunk):
            pairs = np.array(rows, dtype=np.int64).reshape(-1, 2).view(np.uint64)
            yield pairs[:, 0].copy(), pairs[:, 1].copy()


_MIGRATIONS[2] = (_NEW_POSTINGS, None)
_MIGRATIONS[3] = ((), _tally_stored)
_MIGRATIONS[4] = (_posting_tables(("ids",)), _post_stored_ids)
_MIGRATIONS[5] = ((), _move_postings)


def open_store(uri: str, writer: bool = False, create: bool = True) -> Store:
    """The store a URI names: ``memory:``, ``sqlite:PATH`` or a path, or
    ``redis://host:port/db?prefix=NAME`` (:mod:`wiretrace.redis_store`).
    A writer creates a SQLite index that is not there, unless ``create`` is
    False (a command that only changes an index: ``index compact``)."""
    if uri == "memory:":
        return MemoryStore()
    if uri.startswith(("redis://", "rediss://", "unix://")):
        from wiretrace.redis_store import RedisStore  # an optional extra: imported only when named

        return RedisStore(uri, writer=writer, schema_version=REDIS_SCHEMA_VERSION, postings=POSTINGS,
                          migrations={3: _post_redis_ids})
    path = uri[len("sqlite:"):] if uri.startswith("sqlite:") else uri
    if not path:
        raise StoreError("--db needs a path, e.g. --db crawl.wtidx")
    return SQLiteStore(path, writer=writer, create=create)
