"""Values a step computed before, kept by a key of everything they were computed from.

Rule: a memo entry's key is the XXH3-128 of the step's name and every input
it reads (texts, metadata, settings), salted with :func:`salt` -- a hash of
wiretrace's own code and packaged data and of the user's registries -- and
its value is what the step gives for those inputs. A step that finds its key
uses the value and does not run; so a report made with a memo is the report
made without one, *by construction*, and a memo can be deleted at any time.
This is what makes an index's report incremental (issue 13): after an add,
the per-page, per-pair and per-cluster work already done is read back, and
only what the add changed runs again; the steps over the whole corpus
(chrome, candidates, verification, clusters, sites) run in full. Computing a
key reads its inputs in the main process: past the spill's threshold, a
report with a memo reads every clustered document's set and text there,
which the cluster steps' workers otherwise read themselves (spill.Later). What a memo keeps, and why
those steps: :data:`STEPS`.

Values are JSON, never pickles: a memo file is an input like any other, and
reading it cannot run code. A value that does not decode (a damaged file) is
a miss: the step runs. A memo written with other code or other registries
(another salt) is emptied when a process that may write opens it. A report
of the whole index prunes it (:meth:`Memo.track`, :meth:`Memo.prune`): what
that report neither read nor kept -- the values of clusters an add changed
since, of pages an id's newer record replaced -- is deleted once the report is
made (not what other processes kept while it ran: the report of an add beside
it), so a memo holds about one report's values and those of the adds after
it; ``index compact`` gives the freed pages back to the disk.

Backends: :class:`MemoryMemo` (a dictionary) and :class:`SQLiteMemo` (a
file beside a SQLite index, ``PATH.memo``; each batch of values is one
transaction, readers of the index may write it, and concurrent writers wait
for each other).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import struct
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import xxhash

__all__ = ["Memo", "MemoryMemo", "SQLiteMemo", "open_memo", "salt", "memo_key", "lookup", "keep", "memoised",
           "checked", "STEPS"]

#: The steps that keep values: each is costly against the bytes it keeps --
#: the wire markers and leftover generator text of a page's full text, the
#: credits of a clustered page, the origin and copy edges of a cluster, the
#: aligned passages of a pair (a few hundred bytes each). Shingle sets and
#: signatures are not kept: taking a page's set from the index and its
#: signature from a memo (tried: ~600 bytes a page more) saved about a seventh
#: of a 100,000-page report's fingerprint step, the lookups costing most of what
#: shingling does, for a memo six times larger (ad hoc, not a repo command).
STEPS = ("wire", "credits", "provenance", "align")

T = TypeVar("T")

_SALT: dict[str, bytes] = {}
#: Seconds a memo waits for another process's write before it is not used
#: (the report goes on without it).
BUSY_TIMEOUT = 30.0
# values in id order, a small index of keys: three times faster to fill than a table keyed
# by the (random) keys, whose pages split all over for each insert; ids that only grow
# (AUTOINCREMENT, Memo.prune) cost 0.57 against 0.48 s to keep 150,000 values (ad hoc, medians
# of six runs each way, interleaved)
_MEMO_TABLE = ("CREATE TABLE memo (id INTEGER PRIMARY KEY AUTOINCREMENT, key BLOB NOT NULL UNIQUE, "
               "value BLOB NOT NULL)")
#: Seconds ``index compact`` waits for other processes' use of the memo, at each of
#: its three steps (a checkpoint, VACUUM, a checkpoint), before it leaves the memo as it
#: is with a note: it holds the index's writer lock meanwhile.
COMPACT_WAIT = 2.0
#: A lookup of at least this share of a memo's entries reads all of it in one
#: pass: for 100,000 keys of a 100,000-entry memo, 0.10 s against 0.25 s for
#: lookups by key (500 a statement), measured ad hoc.
_SCAN_SHARE = 0.25


def _code_hash() -> bytes:
    """XXH3-128 of every file of the wiretrace package (its code and its
    packaged registries and defaults), in path order."""
    if "code" not in _SALT:
        root = Path(__file__).parent
        h = xxhash.xxh3_128()
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(path.read_bytes())
        _SALT["code"] = h.digest()
    return _SALT["code"]


def _environment_hash() -> bytes:
    """XXH3-128 of the interpreter's version, its Unicode tables' and every
    installed distribution's name and version: the steps read them too (the
    public suffix list a site name comes from, regular expressions' tables).
    Read from the metadata folders in each folder of ``sys.path``
    (:func:`_installed`): a listing, where parsing every distribution's
    metadata took 0.12 s (ad hoc, 68 distributions), a third of an add's
    report."""
    if "environment" not in _SALT:
        import unicodedata

        installed = sorted(name for entry in sys.path for name in _installed(entry))
        _SALT["environment"] = xxhash.xxh3_128("\n".join([sys.version, unicodedata.unidata_version, *installed])
                                               .encode("utf-8", "surrogatepass")).digest()
    return _SALT["environment"]


def _installed(entry: str) -> list[str]:
    """The distributions installed in one ``sys.path`` entry, each named
    with its version: a ``name-version.dist-info`` folder by its name (the
    version is in it); an ``.egg-info`` or ``.egg`` by its name and the
    ``Version:`` of its PKG-INFO (an old ``setup.py develop`` names the
    folder without one); a zip file on the path by ``importlib.metadata``.
    Names only, not where they are: a moved environment keeps its salt."""
    try:
        with os.scandir(entry or ".") as listing:
            found = [(e.name, e.path) for e in listing if e.name.endswith((".dist-info", ".egg-info", ".egg"))]
    except NotADirectoryError:  # a zip (or egg) file on the path
        import importlib.metadata

        return [f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions(path=[entry])
                if d.metadata["Name"]]
    except OSError:  # gone or unreadable: nothing installed there to list
        return []
    if entry.endswith(".egg"):  # an unzipped egg put on the path itself
        found.append((os.path.basename(entry), entry))
    return [name if name.endswith(".dist-info") else f"{name}=={_egg_version(path)}" for name, path in found]


def _egg_version(path: str) -> str:
    """The ``Version:`` line of an egg's metadata (``PKG-INFO`` in an
    ``.egg-info`` folder, the file itself, or ``EGG-INFO/PKG-INFO``)."""
    for candidate in (os.path.join(path, "PKG-INFO"), path, os.path.join(path, "EGG-INFO", "PKG-INFO")):
        try:
            with open(candidate, "rb") as handle:
                head = handle.read(8192)
        except OSError:
            continue
        for line in head.splitlines():
            if line.startswith(b"Version:"):
                return line[8:].strip().decode("utf-8", "replace")
    return "?"


def salt() -> bytes:
    """What every key is salted with: wiretrace's code and packaged data,
    the interpreter and installed packages (:func:`_environment_hash`), and
    the registries in use (:mod:`wiretrace.registry`). A change to any of
    them gives every step new keys."""
    from wiretrace import registry

    files, entries = registry.snapshot()
    h = xxhash.xxh3_128(_code_hash() + _environment_hash())
    h.update(json.dumps(entries, sort_keys=True, default=str).encode())
    return h.digest()


_PART = struct.Struct("<cQ")  # a part's type and length, before its bytes
_STEP_HASHERS: dict[tuple[bytes, str], Any] = {}


def memo_key(step: str, salted: bytes, *parts: str | bytes | int | None) -> bytes:
    """The key of ``step`` for the inputs ``parts``: XXH3-128 of the salt,
    the step's name and each part, each with its type and length (so that
    no two lists of parts give the same bytes)."""
    base = _STEP_HASHERS.get((salted, step))
    if base is None:
        base = xxhash.xxh3_128(salted)
        name = step.encode()
        base.update(_PART.pack(b"s", len(name)) + name)
        _STEP_HASHERS[(salted, step)] = base
    h = base.copy()
    for part in parts:
        if isinstance(part, str):
            data = part.encode("utf-8", "surrogatepass")
            h.update(_PART.pack(b"s", len(data)))
        elif isinstance(part, bytes):
            data = part
            h.update(_PART.pack(b"b", len(data)))
        elif part is None:
            data = b""
            h.update(_PART.pack(b"n", 0))
        else:
            data = str(int(part)).encode()
            h.update(_PART.pack(b"i", len(data)))
        h.update(data)
    return h.digest()


class Memo:
    """The interface: values by key, in batches; :meth:`track` and
    :meth:`prune` around a report of everything (module doc)."""

    def get(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        raise NotImplementedError

    def put(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        raise NotImplementedError

    def track(self) -> None:
        """From now on, note every key asked for (:meth:`get`) or kept (:meth:`put`)."""
        raise NotImplementedError

    def prune(self) -> int:
        """Delete every entry not noted since :meth:`track` and stop noting;
        returns how many went. Nothing is deleted if the memo was not
        tracked, or failed on the way (a key it could not note)."""
        raise NotImplementedError

    def stop_tracking(self) -> None:
        """Stop noting keys, deleting nothing (a report that failed)."""
        raise NotImplementedError

    def stats(self) -> dict[str, Any]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class MemoryMemo(Memo):
    """A memo in this process (tests, and a memory index)."""

    def __init__(self) -> None:
        self.values: dict[bytes, bytes] = {}
        self._used: set[bytes] | None = None

    def get(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        if self._used is not None:
            self._used.update(keys)
        return {k: self.values[k] for k in keys if k in self.values}

    def put(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        for key, value in items:
            self.values.setdefault(key, value)
            if self._used is not None:
                self._used.add(key)

    def track(self) -> None:
        self._used = set()

    def stop_tracking(self) -> None:
        self._used = None

    def prune(self) -> int:
        used, self._used = self._used, None
        if used is None:
            return 0
        gone = [k for k in self.values if k not in used]
        for key in gone:
            del self.values[key]
        return len(gone)

    def stats(self) -> dict[str, Any]:
        return {"entries": len(self.values), "bytes": sum(len(v) for v in self.values.values())}


class SQLiteMemo(Memo):
    """A memo in a SQLite file (module doc). ``writer``: may empty a memo
    of another salt when opened (one that may not leaves it and reads
    nothing from it)."""

    def __init__(self, path: str, salted: bytes, writer: bool = True) -> None:
        self.path = path
        self.salted = salted
        self._count: int | None = None
        self._tracking = False  # keys asked for and kept go to the table temp.used (Memo.track)
        self._tracked_below = 0  # rows whose id is at most this were there when tracking began
        self.has_tables = True  # False: a file opened only to read that holds no memo (an empty file)
        #: why the memo stopped being used in this process (a read or a write failed), if it did
        self.failed: str | None = None
        #: why the last prune deleted nothing (the memo was used all the same), if it failed
        self.not_pruned: str | None = None
        self._db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
        try:
            if not writer:  # read as it is: a file without a memo's tables (empty, say) is left so
                tables = {name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if not {"memo", "meta"} <= tables:
                    self.stale, self.has_tables = True, False
                    return
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # ids only grow (AUTOINCREMENT), so a value written after a report began tracking is
            # known as such by its id, even one written again (Memo.prune)
            self._db.execute(_MEMO_TABLE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB)")
            row = self._db.execute("SELECT value FROM meta WHERE name = 'salt'").fetchone()
            self.stale = row is not None and row[0] != salted
            if (row is None or self.stale) and writer:
                self._db.execute("BEGIN IMMEDIATE")
                row = self._db.execute("SELECT value FROM meta WHERE name = 'salt'").fetchone()  # as of now
                if row is None or row[0] != salted:
                    self._emptied()
                    self._db.execute("INSERT OR REPLACE INTO meta VALUES ('salt', ?)", (salted,))
                self._db.execute("COMMIT")
                self.stale = False
        except sqlite3.DatabaseError:
            self._db.close()
            raise

    def _emptied(self) -> None:
        """Empty the memo (in the caller's transaction) for a new salt, its
        table made as this code makes it, and its ids going on from the
        largest ever given: a report of this salt that began tracking before
        (another process's) prunes by them."""
        made = self._db.execute("SELECT sql FROM sqlite_master WHERE name = 'memo'").fetchone()[0]
        if "AUTOINCREMENT" in made.upper():
            self._db.execute("DELETE FROM memo")  # its sequence stays
            return
        largest = self._db.execute("SELECT coalesce(max(id), 0) FROM memo").fetchone()[0]
        self._db.execute("DROP TABLE memo")  # made by earlier code: ids could be given twice
        self._db.execute(_MEMO_TABLE)
        self._db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('memo', ?)", (largest,))

    def _off(self, exc: BaseException) -> None:
        """A read or write failed (a damaged file, one this user cannot
        write, a writer that held it past :data:`BUSY_TIMEOUT`): the memo
        is not used again in this process; the report does not depend on it."""
        self.failed = f"memo {self.path} not used: {exc}"
        self.stale = True
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def get(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        if self.stale:
            return {}
        try:
            return self._get(keys)
        except (sqlite3.Error, MemoryError) as exc:
            self._off(exc)
            return {}

    def _get(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        out: dict[bytes, bytes] = {}
        keys = list(keys)
        if self._tracking:  # a temporary table of this connection's: the memo itself is not locked
            self._db.execute("BEGIN")
            try:
                self._note(keys)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        if len(keys) >= _SCAN_SHARE * self._entries():  # most of the memo: one pass over it costs less
            wanted = set(keys)
            for key, value in self._db.execute("SELECT key, value FROM memo"):
                if key in wanted and type(value) is bytes:
                    out[key] = value
            return out
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = self._db.execute(f"SELECT key, value FROM memo WHERE key IN ({','.join('?' * len(chunk))})",
                                    chunk).fetchall()
            out.update((k, v) for k, v in rows if type(k) is bytes and type(v) is bytes)  # a planted TEXT is no value
        return out

    def _entries(self) -> int:
        if self._count is None:
            self._count = self._db.execute("SELECT count(*) FROM memo").fetchone()[0]
        return self._count

    def put(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        if self.stale:
            return
        items = sorted(items)
        if not items:
            return
        self._count = None
        try:
            self._db.execute("BEGIN IMMEDIATE")  # one transaction: a memo has nothing to resume
            self._db.executemany("INSERT OR REPLACE INTO memo (key, value) VALUES (?, ?)", items)
            if self._tracking:
                self._note(key for key, _ in items)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._off(exc)
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _note(self, keys: Iterable[bytes]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO temp.used (key) VALUES (?)", ((key,) for key in sorted(keys)))

    def track(self) -> None:
        if self.stale:
            return
        try:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key BLOB PRIMARY KEY) WITHOUT ROWID")
            self._db.execute("DELETE FROM temp.used")
            # what other processes keep from now on (the report of an add beside this one) is
            # theirs: a value written (or written again) after this gets a larger id
            self._tracked_below = self._db.execute("SELECT coalesce(max(id), 0) FROM memo").fetchone()[0]
            self._tracking = True
        except sqlite3.Error as exc:
            self._off(exc)

    def stop_tracking(self) -> None:
        self._tracking = False

    def prune(self) -> int:
        tracking, self._tracking = self._tracking, False
        self.not_pruned = None
        if not tracking or self.stale:  # a memo that failed noted no keys past its failure
            return 0
        self._count = None
        try:
            self._db.execute("BEGIN IMMEDIATE")
            gone = self._db.execute("DELETE FROM memo WHERE id <= ? AND key NOT IN (SELECT key FROM temp.used)",
                                    (self._tracked_below,)).rowcount
            self._db.execute("COMMIT")
            self._db.execute("DELETE FROM temp.used")
        except sqlite3.Error as exc:
            # the memo was used and stays in use; its stale values wait for the next report
            # (another writer past BUSY_TIMEOUT, a read-only file in a writable folder)
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            self.not_pruned = f"memo {self.path} not pruned: {exc}"
            return 0
        except BaseException:  # an interrupt: the memo is left as it was, and unlocked
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return gone

    def compact(self) -> dict[str, Any]:
        """Rewrite the file without its free pages (``VACUUM``: what
        :meth:`prune` deleted); its bytes before and after, or a note of
        why not (the memo is only ever a saving: nothing fails for it)."""
        before = self._file_bytes()
        if not self.has_tables:
            return {"note": f"memo {self.path} not compacted: no memo in it yet"}
        busy = f"memo {self.path} not compacted: another process is reading or writing it (run index compact again)"
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(COMPACT_WAIT * 1000)}")
            # a reader's snapshot keeps the write-ahead log: the copy VACUUM writes there
            # would stay in it, and the file grow, until the reader is done
            if self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
                return {"note": busy}
            self._db.execute("VACUUM")
            if self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:  # a reader came meanwhile
                return {"note": f"memo {self.path} compacted into its write-ahead log, which a reader holds: "
                                "the file shrinks once it is done (run index compact again)",
                        "bytes_before": before, "bytes_after": self._file_bytes()}
        except sqlite3.Error as exc:
            return {"note": busy if "locked" in str(exc) else f"memo {self.path} not compacted: {exc}"}
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        return {"bytes_before": before, "bytes_after": self._file_bytes()}

    def _file_bytes(self) -> int:
        return sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))

    def stats(self) -> dict[str, Any]:
        if not self.has_tables:
            return {"path": self.path, "entries": 0, "bytes": 0, "file_bytes": self._file_bytes(),
                    "note": "no memo in it yet"}
        try:
            entries, size = self._db.execute("SELECT count(*), coalesce(sum(length(value)), 0) FROM memo").fetchone()
        except sqlite3.Error as exc:
            return {"path": self.path, "entries": 0, "bytes": 0, "note": f"memo {self.path} not readable: {exc}"}
        return {"path": self.path, "entries": entries, "bytes": size, "file_bytes": self._file_bytes()}

    def close(self) -> None:
        self._db.close()


def open_memo(path: str | None, writer: bool = True) -> tuple[Memo | None, str | None]:
    """The memo at ``path`` (a SQLite file, made if absent), or a memory
    memo for None. Returns (memo, None), or (None, why) when the file
    cannot be used: the report is made without a memo, as it would be."""
    if path is None:
        return MemoryMemo(), None
    try:
        return SQLiteMemo(path, salt(), writer=writer), None
    except (sqlite3.Error, OSError) as exc:
        return None, f"memo {path} not used: {exc}"


def lookup(memo: Memo | None, keys: Sequence[bytes], decode: Callable[[Any], T],
           copy: Callable[[T], T] | None = None) -> dict[int, T]:
    """The values ``memo`` has for ``keys``, by position; an entry that does
    not decode (a damaged file) is left out, so its step runs again. With
    ``copy``, each distinct value is decoded once and each key gets a copy
    of it (most pages' wire markers are the same: none)."""
    if memo is None or not keys:
        return {}
    found = memo.get(keys)
    out: dict[int, T] = {}
    decoded: dict[bytes, T | None] = {}
    for i, key in enumerate(keys):
        data = found.get(key)
        if data is None:
            continue
        if copy is not None and data in decoded:
            value = decoded[data]
            if value is not None:
                out[i] = copy(value)
            continue
        try:
            value = decode(_loads(data))
        except Exception:  # noqa: BLE001 -- whatever a damaged value raises, its step runs again
            value = None
        if copy is not None:
            decoded[data] = value
            value = copy(value) if value is not None else None
        if value is not None:
            out[i] = value
    return out


def keep(memo: Memo | None, items: Iterable[tuple[bytes, T]], encode: Callable[[T], Any]) -> None:
    """Keep each (key, value) of ``items`` in ``memo`` (JSON)."""
    if memo is not None:
        memo.put((key, _dumps(encode(value))) for key, value in items)


def _dumps(value: Any) -> bytes:
    """A value as kept: the XXH3-64 of its JSON, then the JSON."""
    data = json.dumps(value, separators=(",", ":"), allow_nan=False).encode()
    return xxhash.xxh3_64_digest(data) + data


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is no memo value")


def _loads(stored: bytes) -> Any:
    """A kept value, or ValueError when its checksum does not match (a
    damaged file) or it holds NaN or an infinity (nothing keeps those)."""
    data = stored[8:]
    if len(stored) < 8 or xxhash.xxh3_64_digest(data) != stored[:8]:
        raise ValueError("a memo value whose checksum does not match")
    return json.loads(data, parse_constant=_refuse)


def memoised(memo: Memo | None, keys: Sequence[bytes], compute: Callable[[list[int]], Sequence[T]],
             encode: Callable[[T], Any], decode: Callable[[Any], T], hits: list[int] | None = None) -> list[T]:
    """The value for each key: from ``memo`` where it has it, else from
    ``compute`` (called once, with the positions of the misses in order; it
    returns their values in that order), which are then kept.
    ``encode``/``decode``: value <-> what :func:`json.dumps` takes.
    ``hits``: gets the number of values found appended."""
    found = lookup(memo, keys, decode)
    if hits is not None:
        hits.append(len(found))
    missing = [i for i in range(len(keys)) if i not in found]
    out: list[Any] = [found.get(i) for i in range(len(keys))]
    if missing:
        computed = compute(missing)
        for i, value in zip(missing, computed, strict=True):
            out[i] = value
        keep(memo, ((keys[i], out[i]) for i in missing), encode)
    return out


def checked(value: Any, kind: type | tuple[type, ...], among: Iterable[Any] | None = None) -> Any:
    """``value`` if it is of ``kind`` (a bool is no number) and, with
    ``among``, one of those values -- a decoder's guard against a damaged
    or planted entry: a wrong value is a miss, not a wrong result -- else
    TypeError."""
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple)
                                                                               else (kind,))):
        raise TypeError(f"memo value {value!r} is not {kind}")
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError(f"memo value {value!r} is not finite")
    if among is not None and value not in among:
        raise TypeError(f"memo value {value!r} is not one of {among}")
    return value
