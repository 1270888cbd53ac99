"""Postings as segment files (wiretrace.segments): what a lookup gives is what
a plain dictionary of the same postings gives, through adds, merges, kills
and migrations; the files are the index's own."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import segments
from wiretrace import store as store_module
from wiretrace.errors import StoreError
from wiretrace.store import MemoryStore, SQLiteStore

KEYS = st.integers(0, 2**64 - 1) | st.integers(0, 12)  # small keys: many owners each; large: the unsigned half


@given(st.lists(st.lists(st.tuples(st.sampled_from(["bands", "anchors"]), KEYS, st.integers(0, 2**64 - 1)),
                         max_size=30), min_size=1, max_size=12),
       st.lists(KEYS, max_size=20), st.integers(1, 8))
@settings(max_examples=60, deadline=None)
def test_lookups_in_segments_are_those_of_a_plain_store_through_adds_and_merges(tmp_path_factory, adds, asked, base):
    # each add one transaction (one segment), base rows tiny so that segments merge
    # many times (across size classes, several merge chunks): every lookup gives the
    # rows the memory store gives, sorted by key then owner
    folder = tmp_path_factory.mktemp("seg")
    old = segments.BASE_ROWS, segments.MERGE_CHUNK_ROWS
    segments.BASE_ROWS, segments.MERGE_CHUNK_ROWS = base, 3
    try:
        store, plain = SQLiteStore(folder / "x.wtidx", writer=True), MemoryStore()
        seen: set[tuple[str, int, int]] = set()
        for rows in adds:
            rows = [row for row in rows if row not in seen]  # a posting is added once (Index.add)
            seen.update(rows)
            with store.transaction():
                for table in ("bands", "anchors"):
                    mine = [(k, r) for t, k, r in rows if t == table]
                    for target in (store, plain):
                        target.add_postings(table, np.array([k for k, _ in mine], dtype=np.uint64),
                                            np.array([r for _, r in mine], dtype=np.uint64))
            wanted = np.array(asked + [k for _, k, _ in rows[:3]], dtype=np.uint64)
            for table in ("bands", "anchors"):
                got, want = store.members(table, wanted), plain.members(table, wanted)
                assert [a.tolist() for a in got] == [a.tolist() for a in want]
        counts = store.counts()
        assert {t: counts[t] for t in ("bands", "anchors")} == {t: plain.counts()[t] for t in ("bands", "anchors")}
        listed = store._segments.names()
        store.close()
        assert len(listed) <= 2 * 3 * (1 + len(adds).bit_length())  # merged: a few per size class
    finally:
        segments.BASE_ROWS, segments.MERGE_CHUNK_ROWS = old


def test_a_rolled_back_transaction_leaves_no_postings_and_no_file(tmp_path):
    store = SQLiteStore(tmp_path / "x.wtidx", writer=True)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.add_postings("bands", np.array([1, 2], dtype=np.uint64), np.array([3, 4], dtype=np.uint64))
            raise RuntimeError("a failing batch")
    assert store.members("bands", np.array([1, 2], dtype=np.uint64))[0].tolist() == []
    assert list((tmp_path / "x.wtidx.postings").iterdir()) == []
    store.close()


def test_files_no_committed_row_names_are_deleted_by_the_next_writer_only(tmp_path):
    # a writer killed between writing a segment and committing leaves a file that is
    # not the index's: a reader ignores it, the next writer deletes it
    store = SQLiteStore(tmp_path / "x.wtidx", writer=True)
    store.add_postings("bands", np.array([5], dtype=np.uint64), np.array([6], dtype=np.uint64))
    store.close()
    folder = tmp_path / "x.wtidx.postings"
    stray = [folder / "bands-stray.npy", folder / ".bands-half.tmp"]
    np.save(stray[0], np.array([[5], [7]], dtype=np.uint64))
    stray[1].write_bytes(b"half")
    reader = SQLiteStore(tmp_path / "x.wtidx")
    assert reader.members("bands", np.array([5], dtype=np.uint64))[1].tolist() == [6]
    reader.close()
    assert all(p.exists() for p in stray)
    SQLiteStore(tmp_path / "x.wtidx", writer=True).close()
    assert not any(p.exists() for p in stray) and len(list(folder.iterdir())) == 1


def test_a_planted_link_for_the_postings_folder_is_refused_and_nothing_written_through_it(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, tmp_path / "x.wtidx.postings")
    with pytest.raises(StoreError, match="not a folder"):
        SQLiteStore(tmp_path / "x.wtidx", writer=True)
    assert list(elsewhere.iterdir()) == []
    # and the lock is let go: the error is not a busy index
    os.unlink(tmp_path / "x.wtidx.postings")
    SQLiteStore(tmp_path / "x.wtidx", writer=True).close()


def test_a_version_5_index_has_its_postings_moved_to_segments_by_its_next_writer(tmp_path):
    # version 5 kept postings in SQLite tables, in signed key order: moved in unsigned
    # order (keys of 2^63 and more included), the tables dropped, lookups the same
    from test_index import _as_written_by, _same

    from wiretrace.index import Index

    db = tmp_path / "v5.wtidx"
    corpus = Path(__file__).resolve().parents[1] / "data" / "corpus"
    with Index.open(str(db)) as index:
        index.add(corpus)
        fresh = index.stats()
        keys = np.unique(np.concatenate([index.store._segments.all_rows(t)[0] for t in ("bands", "anchors", "ids")]))
        before = {t: [a.tolist() for a in index.store.members(t, keys)] for t in ("bands", "anchors", "ids")}
        report = index.report()
    assert (keys >= 2**63).any() and (keys < 2**63).any()
    _as_written_by(db, 5)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM bands").fetchone()[0] > 0
    with Index.open(str(db)) as index:
        assert index.stats() | {"memo": None} == fresh | {"memo": None}  # (the memo: written by the report)
        assert {t: [a.tolist() for a in index.store.members(t, keys)] for t in before} == before
        again = index.report()
    with sqlite3.connect(db) as con:
        tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert not tables & {"bands", "bands_new", "anchors", "anchors_new", "ids", "ids_new"}
    _same(again, report)


def test_a_reader_whose_segments_a_writer_merged_away_reads_the_new_list(tmp_path, monkeypatch):
    # a reader listed segments, then a writer merged them into one and deleted their
    # files before the reader opened them: its lookup reads the list again (a new read
    # transaction) and gets every posting. A reader that had mapped them answered from
    # them while they were listed, and lets them go once they are not
    monkeypatch.setattr(segments, "BASE_ROWS", 2)
    db = tmp_path / "x.wtidx"
    writer = SQLiteStore(db, writer=True)
    writer.add_postings("bands", np.array([1, 2], dtype=np.uint64), np.array([10, 20], dtype=np.uint64))
    mapped, late = SQLiteStore(db), SQLiteStore(db)
    assert mapped.members("bands", np.array([1], dtype=np.uint64))[1].tolist() == [10]
    stale = late._segments.names("bands")
    added = list(range(100, 100 + 3 * segments.FANOUT))
    for i in added:  # merges: the first segment's file is gone
        writer.add_postings("bands", np.array([1], dtype=np.uint64), np.array([i], dtype=np.uint64))
    assert not (tmp_path / "x.wtidx.postings" / stale[0][1]).exists()
    names, lists = late._segments.names, [stale]
    monkeypatch.setattr(late._segments, "names", lambda table=None: lists.pop() if lists else names(table))
    assert late.members("bands", np.array([1], dtype=np.uint64))[1].tolist() == sorted([10, *added])
    assert not lists  # the stale list was read, and the lookup read the new one
    assert mapped.members("bands", np.array([1], dtype=np.uint64))[1].tolist() == sorted([10, *added])
    assert stale[0][1] not in mapped._segments._open
    for store in (mapped, late, writer):
        store.close()


def test_an_index_copied_without_its_postings_folder_is_refused_with_what_to_copy(tmp_path):
    # the index is its file and PATH.postings: a copy of the file alone is named as such,
    # to a reader when it looks up and to a writer when it opens (nothing added to it)
    import shutil

    from wiretrace.index import Index

    corpus = Path(__file__).resolve().parents[1] / "data" / "corpus" / "articles.jsonl"
    with Index.open(str(tmp_path / "a.wtidx")) as index:
        index.add(corpus)
    (tmp_path / "copy").mkdir()
    shutil.copy(tmp_path / "a.wtidx", tmp_path / "copy" / "a.wtidx")
    with Index.open(str(tmp_path / "copy" / "a.wtidx"), writer=False) as index:
        with pytest.raises(StoreError, match="copy them together"):
            index.check([str(corpus)])
    with pytest.raises(StoreError, match="copy them together"):
        Index.open(str(tmp_path / "copy" / "a.wtidx"))
    assert not (tmp_path / "copy" / "a.wtidx.postings").exists()


_WRITER = """
import sys
import numpy as np
from wiretrace import segments
from wiretrace.store import SQLiteStore
segments.BASE_ROWS = 2  # a merge every few transactions: files merged away under the reader
store = SQLiteStore(sys.argv[1], writer=True)
for owner in range(int(sys.argv[2])):
    store.add_postings("bands", np.array([7, owner + 100], dtype=np.uint64), np.array([owner, owner], dtype=np.uint64))
store.close()
"""


def test_a_reader_in_another_process_sees_postings_only_grow_while_a_writer_adds_and_merges(tmp_path):
    # a real writer process commits a posting of key 7 per transaction and merges segments
    # all along; this process looks key 7 up meanwhile: each lookup holds every owner the
    # one before it held (what a snapshot committed stays), none fails, and the last has all
    import subprocess
    import sys

    db = tmp_path / "x.wtidx"
    SQLiteStore(db, writer=True).close()
    total = 400
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(db), str(total)])
    reader = SQLiteStore(db)
    seen: list[int] = []
    lookups = 0
    while writer.poll() is None:
        owners = reader.members("bands", np.array([7], dtype=np.uint64))[1].tolist()
        assert owners == sorted(set(owners)) and set(seen) <= set(owners)
        seen, lookups = owners, lookups + 1
    assert writer.returncode == 0
    assert reader.members("bands", np.array([7], dtype=np.uint64))[1].tolist() == list(range(total))
    reader.close()
    assert lookups > 20 and 0 < len(seen)  # the lookups did run while the writer merged


@pytest.mark.parametrize("damage", ["truncated", "pickled", "other shape"])
def test_a_damaged_segment_file_is_a_clear_error_and_never_unpickled(tmp_path, damage):
    store = SQLiteStore(tmp_path / "x.wtidx", writer=True)
    store.add_postings("bands", np.array([1, 2, 3], dtype=np.uint64), np.array([4, 5, 6], dtype=np.uint64))
    (name,) = [n for _, n, _ in store._segments.names()]
    store.close()
    path = tmp_path / "x.wtidx.postings" / name
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:70])
    elif damage == "pickled":  # an object array: loading it would unpickle
        with open(path, "wb") as handle:
            np.save(handle, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    else:
        np.save(path, np.zeros((3, 2), dtype=np.uint64))
    reader = SQLiteStore(tmp_path / "x.wtidx")
    with pytest.raises(StoreError, match="damaged|not a segment"):
        reader.members("bands", np.array([1], dtype=np.uint64))
    reader.close()


def test_a_merge_that_cannot_be_written_leaves_the_committed_transaction_stored_and_unraised(tmp_path, monkeypatch,
                                                                                               caplog):
    # (found by a review) a merge runs after its transaction commits: a full disk there
    # warned nothing and made the committed add raise. Now the postings are stored, the
    # segments stay as they were, and the next transaction's merge goes through
    monkeypatch.setattr(segments, "BASE_ROWS", 1)
    store = SQLiteStore(tmp_path / "x.wtidx", writer=True)
    merge = segments._merge_into

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(segments, "_merge_into", full)
    for owner in range(segments.FANOUT):
        store.add_postings("bands", np.array([7], dtype=np.uint64), np.array([owner], dtype=np.uint64))
    assert "not merged" in caplog.text
    assert store.members("bands", np.array([7], dtype=np.uint64))[1].tolist() == list(range(segments.FANOUT))
    assert len(store._segments.names()) == segments.FANOUT
    assert not [p for p in (tmp_path / "x.wtidx.postings").iterdir() if p.name.startswith(".")]
    monkeypatch.setattr(segments, "_merge_into", merge)
    store.add_postings("bands", np.array([7], dtype=np.uint64), np.array([99], dtype=np.uint64))
    assert len(store._segments.names()) < segments.FANOUT
    assert store.members("bands", np.array([7], dtype=np.uint64))[1].tolist() == [*range(segments.FANOUT), 99]
    store.close()


def test_compact_gives_a_migrated_index_its_free_pages_back_and_keeps_every_fact(tmp_path, capsys):
    # a version 5 index's postings tables were most of its file: once they are moved to
    # segment files, `index compact` (VACUUM) returns their pages to the disk; the
    # report and the lookups are what they were
    from test_index import _as_written_by, _same

    from wiretrace.cli import main
    from wiretrace.index import Index

    db = tmp_path / "v5.wtidx"
    with Index.open(str(db)) as index:
        index.add(Path(__file__).resolve().parents[1] / "data" / "corpus")
        report = index.report()
    _as_written_by(db, 5)
    with Index.open(str(db), memo=False) as index:  # migrated: the tables dropped, their pages free
        migrated = index.space()
        facts = index.stats()
    assert migrated["free_bytes"] > 0
    assert main(["index", "stats", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["disk"] == migrated
    assert main(["index", "compact", "--db", str(db)]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["bytes_before"] == migrated["file_bytes"]
    assert done["bytes_after"] == os.path.getsize(db) <= migrated["file_bytes"] - migrated["free_bytes"] < done["bytes_before"]
    with Index.open(str(db), writer=False, memo=False) as index:
        assert index.space()["free_bytes"] == 0
        assert index.stats() == facts
        _same(index.report(), report)
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_compact_says_when_a_reader_keeps_the_compacted_copy_in_the_log(tmp_path):
    # readers may go on reading while the writer compacts; one that reads all along keeps the
    # copy VACUUM wrote in the write-ahead log, and compact says so rather than only sizes
    from wiretrace.index import Index

    db = tmp_path / "x.wtidx"
    with Index.open(str(db), memo=False) as index:
        index.add(Path(__file__).resolve().parents[1] / "data" / "corpus")
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM records").fetchone()  # a snapshot, held
    try:
        started = time.monotonic()
        with Index.open(str(db), memo=False) as index:
            held = index.compact()
        assert time.monotonic() - started < store_module.BUSY_SECONDS / 2  # not the 30 s of a lock
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    assert "kept reading" in held["note"] and held["wal_bytes"] > 0
    assert held["bytes_after"] == held["bytes_before"]  # the file on disk: not shrunk yet
    with Index.open(str(db), memo=False) as index:
        assert "note" not in index.compact()  # no reader now


def test_compact_needs_an_index_and_its_writers_lock(tmp_path, capsys):
    from wiretrace.cli import main
    from wiretrace.index import Index

    missing = tmp_path / "none.wtidx"
    assert main(["index", "compact", "--db", str(missing)]) == 2
    assert "no index at" in capsys.readouterr().err and not missing.exists()  # not created by asking
    db = tmp_path / "x.wtidx"
    with Index.open(str(db)) as index:
        index.add(Path(__file__).resolve().parents[1] / "data" / "corpus")
    reader = SQLiteStore(db)
    try:
        with pytest.raises(StoreError, match="read-only"):
            reader.compact()
    finally:
        reader.close()
    with Index.open(str(db)):  # another writer holds it
        assert main(["index", "compact", "--db", str(db)]) == 3
    with Index.open("memory:") as memory, pytest.raises(StoreError, match="only a SQLite index"):
        memory.compact()
