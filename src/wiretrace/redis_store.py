"""The Redis backend of a store: one index shared by processes and machines.

Rule: the same facts as the SQLite store (:mod:`wiretrace.store`), under
keys named ``PREFIX:...`` in one Redis database, so that every process
that opens ``redis://host:port/db?prefix=PREFIX`` sees one index. It is
the store interface, nothing more: what is derived from the facts is
computed by the index, as for every backend.

* Records, skipped inputs and shingle sets are hashes keyed by the
  record's key (decimal); meta is a hash; so are the site line counts
  (``PREFIX:site_pages``, and ``PREFIX:lines:SITE`` from line key to pages).
* A posting (band bucket, anchor shingle) is a Redis set of record keys at
  ``PREFIX:bands:KEY``; the number of postings per table is kept in
  ``PREFIX:counts`` by the same server-side script that adds them, so
  ``stats`` never scans the key space.
* Every call takes a batch and makes one round trip (a pipeline), as
  datasketch's Redis storage does.
* :meth:`RedisStore.transaction` is a ``MULTI``/``EXEC`` block: the writes
  of a batch are queued and land together when it ends, or not at all if
  the writer dies first -- the crash-safety the SQLite store gets from a
  transaction.
* One writer at a time: a lock key naming its writer that expires
  (``LOCK_TTL``) unless the writer renews it (a thread does, while the
  index is open); each batch checks that the lock is still the writer's
  before it is sent, so a writer that lost it (paused past its time to
  live) writes nothing more. Renewing and releasing are atomic scripts.
* Postings are added by a script sent with its text (``EVAL``): Redis does
  not roll back a ``MULTI`` whose one command fails, and a script missing
  from the server's cache would fail alone.

The ``redis`` package is an optional extra (``pip install wiretrace[redis]``):
without it, opening a ``redis://`` URL says how to install it.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from wiretrace.errors import IndexBusy, StoreError

__all__ = ["RedisStore", "LOCK_TTL", "DEFAULT_PREFIX"]

#: Seconds a writer's lock lives without renewal. A thread of the writer
#: renews it every third of that while the index is open, and every batch
#: checks it is still the writer's before it is sent; a writer that died
#: (kill -9, a lost machine) frees the index within this time.
LOCK_TTL = 15.0
#: Key prefix when the URL names none (``?prefix=...`` names one).
DEFAULT_PREFIX = "wiretrace"
_CHUNK = 2000  # postings per server-side script call: one reply, bounded arguments

# Adds ARGV[i] to set KEYS[i] for every i but the last; counts what was new
# under field ARGV[last] of hash KEYS[last]. Atomic, inside MULTI too.
_ADD_POSTINGS = """
local added = 0
for i = 1, #KEYS - 1 do added = added + redis.call('SADD', KEYS[i], ARGV[i]) end
redis.call('HINCRBY', KEYS[#KEYS], ARGV[#ARGV], added)
return added
"""


# The lock's value names its writer (host, pid, a random token). Renew: extend
# it if it is ours; release: delete it if it is ours -- each one atomic.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisStore:
    """A store in a Redis database (module doc). ``writer``: hold the write lock."""

    lock_ttl = LOCK_TTL

    def __init__(self, url: str, writer: bool = False, *, schema_version: int, postings: Sequence[str],
                 migrations: Mapping[int, Callable[[RedisStore], None]] | None = None) -> None:
        try:
            import redis
        except ImportError:
            raise StoreError("a redis:// index needs the redis package: pip install 'wiretrace[redis]'") from None
        self._redis_errors = (redis.RedisError,)
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        self.prefix = query.pop("prefix", DEFAULT_PREFIX)
        self.uri = url
        self._postings = tuple(postings)
        self._schema_version = schema_version
        self._migrations = dict(migrations or {})  # from version -> what brings it to version + 1
        self._pipe: Any = None
        self._lock_value: str | None = None
        self._renewer: threading.Thread | None = None
        self._stop = threading.Event()
        self._lost = False
        try:
            self._db = redis.Redis.from_url(urlunsplit(parts._replace(query=urlencode(query))),
                                            socket_timeout=30, socket_connect_timeout=10)
            self._db.ping()
        except redis.RedisError as exc:
            raise StoreError(f"cannot reach Redis at {url} ({exc}): is redis-server running there?") from None
        try:
            if writer:
                self._take_lock()
            self._check_schema(writer)
        except BaseException:
            self.close()
            raise

    # -- keys ------------------------------------------------------------------

    def _k(self, *parts: object) -> str:
        return ":".join((self.prefix, *map(str, parts)))

    # -- the writer's lock -----------------------------------------------------

    def _take_lock(self) -> None:
        me = f"{socket.gethostname()} {os.getpid()} {os.urandom(6).hex()}"
        key = self._k("lock")
        if not self._db.set(key, me, nx=True, px=int(self.lock_ttl * 1000)):
            holder = (self._db.get(key) or b"").decode("utf-8", "replace").split(" ")
            host, pid = (holder + ["?", "?"])[:2]
            raise IndexBusy(f"{self.uri} is being written by process {pid} on {host}: one writer at a time; wait "
                            f"for it to finish (readers may run meanwhile; a writer that died frees it within "
                            f"{self.lock_ttl:g} s)")
        self._lock_value = me
        self._renewer = threading.Thread(target=self._keep_lock, name="wiretrace-redis-lock", daemon=True)
        self._renewer.start()

    def _renew(self) -> bool:
        """Extend our lock if it is still ours (one atomic script)."""
        return bool(self._db.eval(_RENEW, 1, self._k("lock"), self._lock_value, int(self.lock_ttl * 1000)))

    def _keep_lock(self) -> None:
        while not self._stop.wait(self.lock_ttl / 3):
            try:
                if not self._renew():
                    self._lost = True
                    return
            except self._redis_errors:
                continue  # the server is unreachable: the next write says so, or the lock expires

    def _assert_lock(self) -> None:
        """Before a batch is sent: the lock is ours (renewed now), or the batch is refused."""
        if self._lock_value is None:
            return
        if self._lost or not self._renew():
            self._lost = True
            raise IndexBusy(f"{self.uri}: this writer lost its lock (it expired: the process was paused or "
                            "the server unreachable for longer than its time to live); nothing of this batch "
                            "was written: run the add again")

    def _release_lock(self) -> None:
        if self._lock_value is None:
            return
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        try:
            self._db.eval(_RELEASE, 1, self._k("lock"), self._lock_value)
        except self._redis_errors:
            pass  # it expires on its own
        self._lock_value = None

    # -- schema ----------------------------------------------------------------

    def _check_schema(self, writer: bool) -> None:
        version = self._db.hget(self._k("meta"), "schema_version")
        if version is None:
            if not writer:
                raise StoreError(f"no index at {self.uri}: create one with `wiretrace index add INPUT --db {self.uri}`")
            self._db.hset(self._k("meta"), "schema_version", str(self._schema_version))
            return
        version = int(version)
        if version > self._schema_version:
            raise StoreError(f"{self.uri} has index schema version {version}, newer than this wiretrace's "
                             f"{self._schema_version}: upgrade wiretrace to read it")
        if version < self._schema_version:
            steps = [self._migrations.get(v) for v in range(version, self._schema_version)]
            if any(step is None for step in steps):
                raise StoreError(f"{self.uri} has index schema version {version}; no migration to "
                                 f"{self._schema_version} exists for Redis: rebuild the index")
            if not writer:
                raise StoreError(f"{self.uri} has index schema version {version}; run `wiretrace index add` "
                                 f"(with no input) to migrate it to {self._schema_version}")
            with self.transaction():  # all of it lands, with the new version, or none
                for step in steps:
                    step(self)
                self._pipe.hset(self._k("meta"), "schema_version", str(self._schema_version))

    # -- writes: queued in the open transaction, or sent at once -----------------

    @contextmanager
    def transaction(self):
        if self._pipe is not None:
            yield self
            return
        self._pipe = self._db.pipeline(transaction=True)
        try:
            yield self
            self._assert_lock()
            self._pipe.execute()
        finally:
            self._pipe.reset()
            self._pipe = None

    @contextmanager
    def _writes(self):
        if self._pipe is not None:
            yield self._pipe
            return
        with self.transaction():
            yield self._pipe

    def get_meta(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self._db.hgetall(self._k("meta")).items()}

    def set_meta(self, values: dict[str, str]) -> None:
        if values:
            with self._writes() as w:
                w.hset(self._k("meta"), mapping=dict(sorted(values.items())))

    def _put_new(self, table: str, rows: dict[int, bytes | str]) -> int:
        if not rows:
            return 0
        keys = sorted(rows)
        present = self._db.hmget(self._k(table), [str(k) for k in keys])
        new = {str(k): rows[k] for k, p in zip(keys, present) if p is None}
        if new:
            with self._writes() as w:
                w.hset(self._k(table), mapping=new)
        return len(new)

    def put_records(self, rows: Sequence[tuple[int, str, str]]) -> int:
        return self._put_new("records", {k: payload for k, _, payload in rows})

    def known(self, rkeys: Sequence[int]) -> set[int]:
        keys = list(dict.fromkeys(rkeys))
        if not keys:
            return set()
        found = self._db.hmget(self._k("records"), [str(k) for k in keys])
        return {k for k, p in zip(keys, found) if p is not None}

    def _scan_sorted(self, table: str) -> list[tuple[int, bytes]]:
        return sorted((int(k), v) for k, v in self._db.hscan_iter(self._k(table), count=1000))

    def records(self, rkeys: Sequence[int] | None = None) -> Iterator[tuple[int, str]]:
        if rkeys is None:
            rows = self._scan_sorted("records")
        else:
            keys = sorted(set(rkeys))
            rows = [(k, p) for k, p in zip(keys, self._db.hmget(self._k("records"), [str(k) for k in keys]) if keys
                                           else []) if p is not None]
        for k, payload in rows:
            yield k, payload.decode("utf-8", "surrogatepass")

    def put_skipped(self, rows: Sequence[tuple[int, str]]) -> int:
        return self._put_new("skipped", dict(rows))

    def skipped(self) -> Iterator[str]:
        for _, payload in self._scan_sorted("skipped"):
            yield payload.decode("utf-8", "surrogatepass")

    def put_sets(self, rkeys: Sequence[int], sets: Sequence[np.ndarray]) -> None:
        if len(rkeys):
            with self._writes() as w:
                w.hset(self._k("sets"), mapping={str(k): np.asarray(s, dtype="<u8").tobytes()
                                                 for k, s in zip(rkeys, sets)})

    def get_sets(self, rkeys: Sequence[int]) -> dict[int, np.ndarray]:
        keys = list(dict.fromkeys(rkeys))
        if not keys:
            return {}
        blobs = self._db.hmget(self._k("sets"), [str(k) for k in keys])
        return {k: np.frombuffer(b, dtype="<u8").astype(np.uint64) for k, b in zip(keys, blobs) if b is not None}

    def add_postings(self, table: str, keys: np.ndarray, rkeys: np.ndarray) -> None:
        assert table in self._postings
        pairs = list(zip(np.asarray(keys, dtype=np.uint64).tolist(), np.asarray(rkeys, dtype=np.uint64).tolist()))
        with self._writes() as w:
            for start in range(0, len(pairs), _CHUNK):
                chunk = pairs[start:start + _CHUNK]
                # the script's text, not its digest: a script cache flushed before EXEC would
                # fail the postings alone, and Redis does not roll back the rest of a MULTI
                w.eval(_ADD_POSTINGS, len(chunk) + 1, *[self._k(table, k) for k, _ in chunk], self._k("counts"),
                       *[r for _, r in chunk], table)

    def members(self, table: str, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        assert table in self._postings
        wanted = sorted(set(np.asarray(keys, dtype=np.uint64).tolist()))
        pipe = self._db.pipeline(transaction=False)
        for key in wanted:
            pipe.smembers(self._k(table, key))
        found = sorted((key, int(r)) for key, rs in zip(wanted, pipe.execute() if wanted else []) for r in rs)
        return (np.array([k for k, _ in found], dtype=np.uint64), np.array([r for _, r in found], dtype=np.uint64))

    def count_lines(self, pages: dict[str, int], lines: dict[tuple[str, int], int]) -> None:
        if not pages and not lines:
            return
        with self._writes() as w:
            for site, n in sorted(pages.items()):
                w.hincrby(self._k("site_pages"), site, n)
            new_sites = sorted({site for site, _ in lines})
            for (site, key), n in sorted(lines.items()):
                w.hincrby(self._k("lines", site), str(key), n)
            # distinct (site, line) pairs per site, for stats: the length of
            # each site's hash after the batch's increments, kept by the server
            for site in new_sites:
                w.eval("redis.call('HSET', KEYS[1], ARGV[1], redis.call('HLEN', KEYS[2]))", 2,
                       self._k("site_lines"), self._k("lines", site), site)

    def line_counts(self, wanted: dict[str, Sequence[int]], at_least: int = 1,
                    ) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
        sites = sorted(wanted)
        if not sites:
            return {}, {}
        found = self._db.hmget(self._k("site_pages"), sites)
        pages = {site: int(n) for site, n in zip(sites, found) if n is not None}
        pipe = self._db.pipeline(transaction=False)
        asked = [(site, sorted(set(wanted[site]))) for site in sites if site in pages and wanted[site]]
        for site, keys in asked:
            pipe.hmget(self._k("lines", site), [str(k) for k in keys])
        lines = {(site, k): int(n) for (site, keys), values in zip(asked, pipe.execute() if asked else [])
                 for k, n in zip(keys, values) if n is not None and int(n) >= at_least}
        return pages, lines

    def counts(self) -> dict[str, int]:
        pipe = self._db.pipeline(transaction=False)
        for table in ("records", "skipped", "sets", "site_pages"):
            pipe.hlen(self._k(table))
        pipe.hgetall(self._k("counts"))
        pipe.hvals(self._k("site_lines"))
        *lengths, posted, per_site = pipe.execute()
        out = dict(zip(("records", "skipped", "sets", "sites"), lengths))
        out.update({t: int(posted.get(t.encode(), 0)) for t in self._postings})
        out["site_lines"] = sum(int(n) for n in per_site)
        return out

    def close(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            self._release_lock()
            db.close()
            self._db = None
