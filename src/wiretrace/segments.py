"""Postings of a SQLite index as sorted, immutable files: written once, looked up with numpy.

Rule: a posting table (LSH band buckets, anchor shingles, ids: key -> the
records that have it) is a set of *segments*, each a ``.npy`` file of two
rows -- keys sorted, and the record key of each -- that is never changed
once written. A transaction's new postings become one new segment; segments
of about the same size are merged into one (size-tiered, :data:`FANOUT` at
a time), so a posting is rewritten a few times over the life of an index
and a lookup searches a few dozen files at most. Which segments exist is
written in the index's own SQLite file (table ``segments``), in the
transaction that adds their records: a file no committed row names is not
part of the index (a writer killed between writing it and committing), and
the next writer deletes it.

Why not SQLite tables (schema versions 1-5 kept them there): postings have
random keys, so an add wrote pages all over a B-tree, building an index
spent most of its time inserting them and merging a small table into the
large one, and a lookup paid a B-tree seek and a Python tuple per row --
the largest single part of the walk of an add's report at 1M (ad hoc
profiles: docs/scaling.md). A sorted array answers a batch of keys with
two ``searchsorted`` calls and no Python object per row.

A posting is added once (:meth:`wiretrace.index.Index.add` adds a
record's postings with the record, and skips records stored), so segments
do not look for it in one another; one staged twice in a transaction is
written once, and a lookup gives each (key, record) once in any case.

Files are created exclusively in the index's own folder (``PATH.postings``,
which must be a real folder, not a link), written whole, flushed to disk and
renamed into place before the transaction that names them commits. A reader
keeps the files it opened (mapped) while a writer merges; a file merged away
after a reader read the list of segments is read again from the new list.
"""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from wiretrace.errors import StoreError

__all__ = ["Segments", "FANOUT", "BASE_ROWS", "CATALOGUE", "sorted_pairs"]

#: Segments of one size class merged together: each posting is rewritten
#: about log_4 of (its table's rows / BASE_ROWS) times, and each size class
#: holds at most three segments between merges.
FANOUT = 4
#: Rows of the smallest size class: an add of a few pages makes segments of a
#: few hundred rows, merged once four of them exist.
BASE_ROWS = 1 << 16
#: Rows of the largest input a merge sorts at a time, with the others' rows
#: of the same keys (the inputs are each sorted: a merge is a pass over key
#: ranges). Its memory is a few times this many rows of 16 bytes: building a
#: 300,000-document index peaked at 692 MB of the process's own memory with
#: 2^20 rows and 480 MB with 2^18, in about the same time (ad hoc, one run each).
MERGE_CHUNK_ROWS = 1 << 18

#: The list of segments, in the index's SQLite file.
CATALOGUE = ("CREATE TABLE IF NOT EXISTS segments (name TEXT PRIMARY KEY, tbl TEXT NOT NULL, "
             "rows INTEGER NOT NULL)")

_EMPTY = np.empty(0, dtype=np.uint64)


def _size_class(rows: int) -> int:
    level, size = 0, BASE_ROWS
    while rows >= size * FANOUT:
        size *= FANOUT
        level += 1
    return level


class Segments:
    """The segments of one SQLite index (module doc). ``db``: the index's
    connection, in whose transactions the list is written; ``folder``: where
    the files are; ``writer``: this process adds, merges and sweeps."""

    def __init__(self, db: sqlite3.Connection, folder: Path, writer: bool) -> None:
        self.db = db
        self.folder = folder
        self.writer = writer
        self._staged: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._written: list[Path] = []  # files of the open transaction: removed if it rolls back
        self._open: dict[str, np.ndarray] = {}  # name -> its mapped (2, rows) array
        if os.path.islink(folder) or (folder.exists() and not folder.is_dir()):
            raise StoreError(f"{folder} is not a folder: an index keeps its postings there; move it away")
        if writer:
            db.execute(CATALOGUE)
            missing = [name for _, name, _ in self.names() if not (folder / name).is_file()]
            if missing:
                raise StoreError(f"{len(missing)} of the postings' files this index lists are not in {folder} "
                                 f"(e.g. {missing[0]}): an index is its file and that folder; copy them together")
            folder.mkdir(exist_ok=True)
            self._sweep()

    # -- writing (inside the store's transaction) -----------------------------

    def stage(self, table: str, keys: np.ndarray, rkeys: np.ndarray) -> None:
        """Postings for the open transaction's segment of ``table``."""
        keys = np.asarray(keys, dtype=np.uint64)
        if len(keys):
            self._staged.setdefault(table, []).append((keys, np.asarray(rkeys, dtype=np.uint64)))

    def flush(self) -> None:
        """Write the staged postings as one segment per table and name them
        in the open transaction (called just before it commits)."""
        staged, self._staged = self._staged, {}
        for table in sorted(staged):
            # (a posting staged twice is held once)
            keys, rkeys = sorted_pairs(np.concatenate([k for k, _ in staged[table]]),
                                       np.concatenate([r for _, r in staged[table]]))
            self.write_rows(table, iter([(keys, rkeys)]), len(keys))

    def committed(self) -> None:
        """The transaction committed: its files are the index's; merge what
        a size class has too many of (each merge its own transaction). A
        merge that cannot be written (a full disk) leaves the segments as
        they were, with a warning, and is tried again after the next
        transaction: what committed is stored, so the caller is not told
        its transaction failed."""
        self._written = []
        try:
            while self._merge_one():
                pass
        except OSError as exc:
            logging.getLogger("wiretrace").warning(
                "postings of %s not merged (%s): the index is whole; the next add tries again", self.folder, exc)

    def rolled_back(self) -> None:
        """The transaction rolled back: its files are nobody's."""
        self._staged = {}
        for path in self._written:
            path.unlink(missing_ok=True)
        self._written = []

    def write_rows(self, table: str, chunks: Iterator[tuple[np.ndarray, np.ndarray]], rows: int) -> None:
        """One segment of ``rows`` postings of ``table`` from ``chunks`` already
        in key order (a transaction's, or a migration's rows from SQL), named
        in the open transaction."""
        out = self._new_file(table, rows)
        try:
            for keys, rkeys in chunks:
                out.put(keys, rkeys)
        finally:
            out.close()
        if out.at != rows:
            raise StoreError(f"{table}: {out.at} postings read where {rows} were counted")
        self._add(table, self._finish(out.path), rows)

    def _add(self, table: str, path: Path, rows: int) -> None:
        self.db.execute("INSERT INTO segments VALUES (?, ?, ?)", (path.name, table, rows))

    def _new_file(self, table: str, rows: int) -> _Output:
        fd, name = tempfile.mkstemp(dir=self.folder, prefix=f".{table}-", suffix=".tmp")
        path = Path(name)
        self._written.append(path)
        return _Output(fd, path, rows)

    def _finish(self, path: Path) -> Path:
        """Flush a written segment to disk and give it its name (unique: the
        temporary file's own, which mkstemp made exclusively)."""
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())
        final = path.with_name(path.name[1:-len(".tmp")] + ".npy")
        os.rename(path, final)
        self._written[self._written.index(path)] = final
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        return final

    def _merge_one(self) -> bool:
        """Merge the segments of one size class that has :data:`FANOUT` or
        more (their own transaction); whether there was one."""
        listed = self.db.execute("SELECT tbl, name, rows FROM segments ORDER BY tbl, name").fetchall()
        classes: dict[tuple[str, int], list[str]] = {}
        for table, name, rows in listed:
            classes.setdefault((table, _size_class(rows)), []).append(name)
        full = sorted((key, names) for key, names in classes.items() if len(names) >= FANOUT)
        if not full:
            return False
        (table, _), names = full[0]
        inputs = [self._array(name) for name in names]
        out = self._new_file(table, sum(a.shape[1] for a in inputs))
        try:
            try:
                _merge_into(out, inputs)
            finally:
                out.close()
            final = self._finish(out.path)
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("DELETE FROM segments WHERE name = ?", [(n,) for n in names])
                self._add(table, final, out.rows)
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except BaseException:
            self.rolled_back()
            raise
        self._written = []
        for name in names:
            self._open.pop(name, None)
            (self.folder / name).unlink(missing_ok=True)
        return True

    def _sweep(self) -> None:
        """Delete files of this index's folder that no committed row names:
        what a writer killed between writing and committing left."""
        named = {name for (name,) in self.db.execute("SELECT name FROM segments")}
        for entry in os.scandir(self.folder):
            if entry.name not in named and entry.is_file(follow_symlinks=False) \
                    and entry.name.endswith((".npy", ".tmp")):
                os.unlink(entry.path)

    # -- reading ---------------------------------------------------------------

    def _array(self, name: str) -> np.ndarray:
        array = self._open.get(name)
        if array is None:
            path = self.folder / name
            if os.path.islink(path):
                raise StoreError(f"{path} is a link: an index's postings are its own files")
            if not self.folder.is_dir():
                raise StoreError(f"{self.folder} is missing: an index is its file and that folder of its "
                                 "postings; copy them together")
            try:
                array = np.load(path, mmap_mode="r")  # (never pickles: allow_pickle stays off)
            except FileNotFoundError:
                raise
            except (OSError, ValueError) as exc:
                raise StoreError(f"{path} is damaged ({exc}): rebuild the index from its inputs") from None
            if array.dtype != np.uint64 or array.ndim != 2 or array.shape[0] != 2:
                raise StoreError(f"{path} is not a segment of postings ({array.dtype}, {array.shape}): "
                                 "rebuild the index from its inputs")
            self._open[name] = array
        return array

    def names(self, table: str | None = None) -> list[tuple[str, str, int]]:
        """(table, name, rows) of the segments, as committed."""
        sql = "SELECT tbl, name, rows FROM segments" + (" WHERE tbl = ?" if table else "") + " ORDER BY tbl, name"
        try:
            return self.db.execute(sql, (table,) if table else ()).fetchall()
        except sqlite3.OperationalError:  # an index written before segments (migrated by its next writer)
            return []

    def rows(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for table, _, rows in self.names():
            out[table] = out.get(table, 0) + rows
        return out

    def members(self, table: str, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(key, record key) of every posting of ``table`` whose key is one of
        ``wanted`` (sorted, distinct), in no particular order, from the
        segments listed as of the caller's read transaction. Raises
        FileNotFoundError if a writer merged one of them away since (the
        caller reads the list again, in a new transaction)."""
        keys_out, owners_out = [], []
        listed = self.names(table)
        for gone in {n for n in self._open if n.startswith(f"{table}-")} - {name for _, name, _ in listed}:
            del self._open[gone]  # merged away: a reader lets go of what it mapped
        for _, name, rows in listed:
            if not rows or not len(wanted):
                continue
            array = self._array(name)
            keys = array[0]
            lo = np.searchsorted(keys, wanted, "left")
            hi = np.searchsorted(keys, wanted, "right")
            counts = hi - lo
            total = int(counts.sum())
            if not total:
                continue
            hit = counts > 0
            lo, counts = lo[hit], counts[hit]
            starts = np.cumsum(counts) - counts
            at = np.arange(total) - np.repeat(starts - lo, counts)
            keys_out.append(np.repeat(wanted[hit], counts))
            owners_out.append(np.asarray(array[1][at]))
        if not keys_out:
            return _EMPTY, _EMPTY
        return np.concatenate(keys_out), np.concatenate(owners_out)

    def all_rows(self, table: str) -> tuple[np.ndarray, np.ndarray]:
        """Every posting of ``table``, in no particular order (for tests)."""
        parts = [self._array(name) for _, name, _ in self.names(table)]
        if not parts:
            return _EMPTY, _EMPTY
        return (np.concatenate([np.asarray(p[0]) for p in parts]),
                np.concatenate([np.asarray(p[1]) for p in parts]))

    def close(self) -> None:
        self._open.clear()


class _Output:
    """A segment file being written: the ``.npy`` header of a (2, rows)
    array of unsigned 64-bit integers, then its two rows, each filled in
    order by positioned writes (mapping the file would count every page
    written in the writer's resident memory, a table's worth in a merge)."""

    def __init__(self, fd: int, path: Path, rows: int) -> None:
        self.fd, self.path, self.rows, self.at = fd, path, rows, 0
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": np.lib.format.dtype_to_descr(np.dtype("<u8")),
                                                      "fortran_order": False, "shape": (2, rows)})
        self.offset = len(header.getvalue())
        os.pwrite(fd, header.getvalue(), 0)
        os.ftruncate(fd, self.offset + 16 * rows)

    def put(self, keys: np.ndarray, owners: np.ndarray) -> None:
        n = len(keys)
        if self.at + n > self.rows:
            raise StoreError(f"{self.path.name}: more postings than the {self.rows} it was made for")
        for row, values in ((0, keys), (1, owners)):
            data = np.ascontiguousarray(values, dtype="<u8").tobytes()
            where, done = self.offset + 8 * (row * self.rows + self.at), 0
            while done < len(data):
                done += os.pwrite(self.fd, data[done:], where + done)
        self.at += n

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _read(array: np.ndarray, row: int, start: int, end: int) -> np.ndarray:
    """Rows ``start:end`` of row ``row`` of a mapped segment, read into memory
    of this process's own (not mapped: a merge reads whole tables)."""
    if end <= start:
        return _EMPTY
    with open(array.filename, "rb") as handle:
        handle.seek(array.offset + 8 * (row * array.shape[1] + start))
        return np.fromfile(handle, dtype="<u8", count=end - start).astype(np.uint64, copy=False)


def sorted_pairs(keys: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Postings (key, record key) sorted by key then record key, each once:
    as :meth:`wiretrace.store.Store.members` returns them, and as a
    transaction's segment is written."""
    if not len(keys):
        return _EMPTY, _EMPTY
    order = np.lexsort((owners, keys))
    keys, owners = keys[order], owners[order]
    once = np.ones(len(keys), dtype=bool)
    once[1:] = (keys[1:] != keys[:-1]) | (owners[1:] != owners[:-1])
    return keys[once], owners[once]


def _merge_into(out: _Output, inputs: Sequence[np.ndarray]) -> None:
    """Write the rows of ``inputs`` (each sorted by key) to ``out``, sorted
    by key then record key, a range of keys at a time: the ranges are cut at
    keys of the largest input, every :data:`MERGE_CHUNK_ROWS` of its rows, so
    each key's rows are in one range."""
    largest = max(inputs, key=lambda a: a.shape[1])
    cuts = np.unique(np.asarray(largest[0][MERGE_CHUNK_ROWS::MERGE_CHUNK_ROWS]))
    bounds = [np.searchsorted(a[0], cuts, "left").tolist() for a in inputs]
    for part in range(len(cuts) + 1):
        keys, owners = [], []
        for a, b in zip(inputs, bounds):
            start = b[part - 1] if part else 0
            end = b[part] if part < len(cuts) else a.shape[1]
            keys.append(_read(a, 0, start, end))
            owners.append(_read(a, 1, start, end))
        keys_c, owners_c = np.concatenate(keys), np.concatenate(owners)
        order = np.lexsort((owners_c, keys_c))
        out.put(keys_c[order], owners_c[order])
