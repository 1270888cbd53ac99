"""The memo (wiretrace.memo): a report made with values kept from earlier runs
is the report made without them -- after an add, with a damaged memo, with
another registry -- and the memo file is an input like any other.

Texts are invented here (conftest.story), the demo corpus, or the simulation."""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.cli import main
from wiretrace.index import Index
from wiretrace.memo import MemoryMemo, SQLiteMemo, memo_key, salt

from test_index import _corpus, _same, _write

ROOT = Path(__file__).resolve().parents[1]


def _hits(report, stage: str = "wire") -> int:
    return report.stats["stages"][stage].get("memo_hits", 0)


def _demo_index(tmp_path: Path) -> tuple[str, object]:
    """The demo corpus in a SQLite index whose memo its first report filled; that report."""
    db = str(tmp_path / "demo.wtidx")
    with Index.open(db) as index:
        index.add(str(ROOT / "data"))
        return db, index.report()


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 24), st.data())
def test_a_report_after_an_add_with_the_memo_of_the_first_equals_one_scan_and_prunes_it(tmp_path_factory, seed, n,
                                                                                          data):
    records = _corpus(seed, n)
    cut = data.draw(st.integers(0, len(records)))
    folder = tmp_path_factory.mktemp("memo")
    first, second = _write(folder / "day1.jsonl", records[:cut]), _write(folder / "day2.jsonl", records[cut:])
    with Index.open("memory:") as index:
        index.add(first)
        index.report()  # fills the memo with the first day's values
        before = set(index.memo.values)
        index.add(second)
        report = index.report()
        _same(report, scan([str(first), str(second)]))
        kept = dict(index.memo.values)
        assert index.memo_pruned == len(before - set(kept))
        again = index.report()  # everything from the memo
        _same(again, report)
        assert index.memo_pruned == 0 and dict(index.memo.values) == kept
        assert _hits(again, "provenance") == len(again.clusters)
    # the values the add made stale were pruned: the memo left is, key for key and value for
    # value, the memo one report of both days fills from nothing
    with Index.open("memory:") as fresh:
        fresh.add(first)
        fresh.add(second)
        fresh.report()
        assert fresh.memo.values == kept


def test_the_memo_is_used_and_the_simulated_web_reports_the_same(tmp_path):
    from wiretrace.evaluation.simulate import simulate

    from test_simulate import _invented_articles

    records = simulate(_invented_articles(40), n_stories=24, seed=11).records
    cut = random.Random(5).randint(len(records) // 4, 3 * len(records) // 4)
    first, second = _write(tmp_path / "day1.jsonl", records[:cut]), _write(tmp_path / "day2.jsonl", records[cut:])
    db = str(tmp_path / "sim.wtidx")
    with Index.open(db) as index:
        index.add(first)
        cold = index.report()
        index.add(second)
        warm = index.report()
        entries = index.memo.stats()["entries"]
    assert _hits(cold) == 0 and _hits(warm) > 0  # the first day's pages were not looked at again
    assert os.path.isfile(db + ".memo") and entries > 0
    _same(warm, scan([str(first), str(second)]))
    with Index.open(db, memo=False) as index:  # the same without one
        assert index.memo is None and "turned off" in index.memo_note
        _same(index.report(), warm)


def test_a_damaged_memo_is_computed_again_not_believed(tmp_path):
    db, clean = _demo_index(tmp_path)
    memo = sqlite3.connect(db + ".memo")
    keys = [k for (k,) in memo.execute("SELECT key FROM memo")]
    assert keys
    # every kind of damage: not JSON, JSON of the wrong shape, the right shape with wrong types
    garbage = [b"\x00not json", b"{}", b"[1, 2]", json.dumps([[["ap", "credit", "x", "0", 1, "strong"]], []]).encode(),
               json.dumps([["agency:ap", "credit", "strong", "text", "x", 1.5, 2]]).encode(),
               json.dumps([[[0, "x"]], 0.5, 0.5]).encode()]
    memo.executemany("UPDATE memo SET value = ? WHERE key = ?", [(garbage[i % len(garbage)], k)
                                                                  for i, k in enumerate(keys)])
    memo.commit()
    memo.close()
    with Index.open(db, writer=False) as index:
        damaged = index.report()
        assert _hits(damaged) == 0 and _hits(damaged, "credits") == 0
        _same(damaged, clean)
        # a damaged entry is replaced by the value computed: the next report reads it
        assert _hits(index.report()) > 0


def test_credits_provenance_and_alignments_come_from_the_memo(tmp_path):
    with Index.open("memory:") as index:
        index.add(str(ROOT / "data"))
        cold = index.report()
        warm = index.report()
    assert warm.clusters and _hits(warm, "credits") > 0 and _hits(warm, "align") > 0
    assert _hits(warm, "provenance") == len(warm.clusters) and _hits(cold, "provenance") == 0
    assert _hits(cold, "credits") == 0 and _hits(cold, "align") == 0
    _same(cold, warm)


def test_another_registry_gives_other_keys_and_empties_a_memo_file(tmp_path):
    from wiretrace import registry

    before = salt()
    user = tmp_path / "agencies.toml"
    user.write_text('[[agency]]\nid = "zetawire"\nname = "Zeta Wire"\naliases = ["Zetawire"]\n', encoding="utf-8")
    registry.activate([str(user)])
    try:
        after = salt()
    finally:
        registry.activate([])
    assert before != after and salt() == before
    assert memo_key("wire", before, "text") != memo_key("wire", after, "text")
    path = str(tmp_path / "x.memo")
    memo = SQLiteMemo(path, before)
    memo.put([(b"k" * 16, b"[]")])
    memo.close()
    reader = SQLiteMemo(path, after, writer=False)  # may not empty it: reads nothing from it, writes nothing
    assert reader.get([b"k" * 16]) == {} and reader.stale
    reader.put([(b"j" * 16, b"[]")])
    reader.close()
    assert SQLiteMemo(path, before).get([b"k" * 16]) == {b"k" * 16: b"[]"}
    writer = SQLiteMemo(path, after)
    assert writer.get([b"k" * 16]) == {} and writer.stats()["entries"] == 0


def test_another_installed_package_or_version_gives_another_salt(tmp_path, monkeypatch):
    import sys
    import zipfile

    from wiretrace import memo

    monkeypatch.setattr(memo, "_SALT", dict(memo._SALT))  # the process's own salt back after the test

    def fresh_salt():
        memo._SALT.pop("environment", None)
        return salt()

    before = fresh_salt()
    folder, other = tmp_path / "site", tmp_path / "elsewhere"
    folder.mkdir(), other.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    assert fresh_salt() == before  # a folder with no distribution in it: nothing installed changed
    seen = {before}

    def changed():
        now = fresh_salt()
        assert now not in seen
        seen.add(now)

    (folder / "somepkg-1.0.dist-info").mkdir()
    changed()
    (folder / "somepkg-1.0.dist-info").rename(folder / "somepkg-1.1.dist-info")
    changed()
    # an old `setup.py develop`: the version only in the egg-info's PKG-INFO
    (folder / "devpkg.egg-info").mkdir()
    (folder / "devpkg.egg-info" / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: devpkg\nVersion: 1.0\n")
    changed()
    (folder / "devpkg.egg-info" / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: devpkg\nVersion: 2.0\n")
    changed()
    # a distribution in a zip file on the path
    archive = tmp_path / "zipped.zip"
    for version in ("1.0", "2.0"):
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr(f"zipped-{version}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: zipped\nVersion: {version}\n")
        if str(archive) not in sys.path:
            monkeypatch.syspath_prepend(str(archive))
        changed()
    # the same distributions in another folder: the salt names them, not where they are
    now = fresh_salt()
    for path in sorted(folder.iterdir()):
        path.rename(other / path.name)
    sys.path[sys.path.index(str(folder))] = str(other)
    assert fresh_salt() == now


def test_keys_are_length_prefixed_and_typed():
    s = b"salt"
    assert memo_key("x", s, "ab", "c") != memo_key("x", s, "a", "bc")
    assert memo_key("x", s, "1") != memo_key("x", s, 1) != memo_key("x", s, None)
    assert memo_key("x", s, "\ud800 lone surrogate") == memo_key("x", s, "\ud800 lone surrogate")
    assert len(memo_key("x", s)) == 16 and memo_key("x", s) != memo_key("y", s)
    memo = MemoryMemo()
    memo.put([(b"a", b"1"), (b"a", b"2")])
    assert memo.get([b"a", b"b"]) == {b"a": b"1"}


def test_a_planted_link_or_an_unwritable_memo_only_turns_it_off(tmp_path):
    db = tmp_path / "idx.wtidx"
    with Index.open(str(db)) as index:
        index.add(str(ROOT / "data"))
    target = tmp_path / "elsewhere.sqlite"
    (tmp_path / "idx.wtidx.memo").symlink_to(target)
    with Index.open(str(db), writer=False) as index:
        report = index.report()
        assert index.memo is None and "symbolic link" in index.memo_note
    assert not target.exists() and report.clusters
    (tmp_path / "idx.wtidx.memo").unlink()
    (tmp_path / "idx.wtidx.memo").write_bytes(b"not a database at all" * 100)
    with Index.open(str(db), writer=False) as index:
        _same(index.report(), report)
        assert index.memo is None and "not used" in index.memo_note


def test_index_report_on_the_command_line_keeps_a_memo_and_can_go_without(tmp_path, capsys):
    db = str(tmp_path / "demo.wtidx")
    assert main(["index", "add", str(ROOT / "data"), "--db", db]) == 0
    assert main(["index", "report", "--db", db, "--out", str(tmp_path / "a"), "--no-html"]) == 0
    assert os.path.getsize(db + ".memo") > 0
    assert main(["index", "report", "--db", db, "--out", str(tmp_path / "b"), "--no-html"]) == 0
    os.remove(db + ".memo")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db + ".memo" + suffix):
            os.remove(db + ".memo" + suffix)
    assert main(["index", "report", "--db", db, "--out", str(tmp_path / "c"), "--no-html", "--no-memo"]) == 0
    assert not os.path.exists(db + ".memo")
    capsys.readouterr()
    reports = [json.loads((tmp_path / d / "report.json").read_text(encoding="utf-8")) for d in "abc"]
    for r in reports:
        r.pop("run_id")
        r.pop("stats")
    assert reports[0] == reports[1] == reports[2]
    assert main(["index", "stats", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["memo"]["entries"] == 0  # deleted, and --no-memo made none
    assert main(["index", "report", "--db", db, "--out", str(tmp_path / "d"), "--no-html", "-q"]) == 0
    capsys.readouterr()
    assert main(["index", "stats", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["memo"]["entries"] > 0


@pytest.mark.parametrize("workers", [1, 2])
def test_the_memo_does_not_depend_on_the_workers(tmp_path, workers):
    from wiretrace.config import Config

    with Index.open("memory:", Config(workers=workers)) as index:
        index.add(str(ROOT / "data"))
        cold, warm = index.report(), index.report()
    _same(cold, warm)



def test_planted_values_with_good_checksums_but_wrong_meaning_are_computed_again(tmp_path):
    import xxhash

    db, clean = _demo_index(tmp_path)
    planted = [b'[[],NaN,0.5]',  # nothing keeps NaN
               b'[[[0,5]],0.5,0.5]',  # a passage is four offsets
               b'[[[0,10,0,999999999]],0.5,0.5]',  # a passage outside its texts
               b'[[],true,0.5]',  # a share is no bool
               b'{"origin":["document",null,"nobody","r",null],"edges":[],"parent":{}}',  # not a member
               b'{"origin":["weird",null,null,"r",null],"edges":[],"parent":{}}',
               b'[["agency:x","credit","weird","text","t",0,1]]']  # no such strength
    for value in planted:  # each in every entry, so that every step meets it
        memo = sqlite3.connect(db + ".memo")
        memo.execute("UPDATE memo SET value = ?", (xxhash.xxh3_64_digest(value) + value,))
        memo.commit()
        memo.close()
        with Index.open(db, writer=False) as index:
            again = index.report()
        for stage in ("credits", "provenance", "align"):
            assert _hits(again, stage) == 0, (stage, value)
        _same(again, clean)


def test_a_memo_another_process_holds_or_that_is_damaged_is_left_alone(tmp_path, monkeypatch):
    from wiretrace import memo as memos

    db, clean = _demo_index(tmp_path)
    monkeypatch.setattr(memos, "BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(db + ".memo", isolation_level=None)
    holder.execute("DELETE FROM memo WHERE id % 2 = 1")  # values the next report will want to keep
    holder.execute("BEGIN EXCLUSIVE")  # a writer that does not let go
    try:
        with Index.open(db, writer=False) as index:
            _same(index.report(), clean)
            assert "not used" in index.memo_note
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    raw = sqlite3.connect(db + ".memo")
    raw.execute("UPDATE meta SET value = 'text, not bytes' WHERE name = 'salt'")
    raw.execute("UPDATE memo SET value = 'text' WHERE id % 2 = 0")
    raw.commit()
    raw.close()
    with Index.open(db, writer=False) as index:
        _same(index.report(), clean)


def test_prune_deletes_nothing_unless_tracked_and_nothing_after_a_failure(tmp_path):
    memo = MemoryMemo()
    memo.put([(b"a", b"1"), (b"b", b"2")])
    assert memo.prune() == 0 and len(memo.values) == 2  # never tracked
    memo.track()
    memo.get([b"a", b"c"])
    memo.put([(b"c", b"3")])
    assert memo.prune() == 1 and set(memo.values) == {b"a", b"c"}
    assert memo.prune() == 0  # tracking ended with the prune
    salted = salt()
    disk = SQLiteMemo(str(tmp_path / "m.memo"), salted)
    disk.put([(b"a", b"1"), (b"b", b"2"), (b"c", b"3")])
    assert disk.prune() == 0
    disk.track()
    disk.get([b"a"])
    disk.put([(b"d", b"4")])
    assert disk.prune() == 2 and disk.get([b"a", b"b", b"c", b"d"]) == {b"a": b"1", b"d": b"4"}
    disk.track()
    disk._off(sqlite3.OperationalError("a write that failed"))  # as after any failed read or write
    assert disk.prune() == 0
    disk.close()
    again = SQLiteMemo(str(tmp_path / "m.memo"), salted)
    assert again.stats()["entries"] == 2
    again.close()


def test_an_index_memo_is_pruned_by_its_full_reports_only_and_compacted_with_it(tmp_path, capsys):
    from wiretrace.evaluation.simulate import simulate

    from test_simulate import _invented_articles

    records = simulate(_invented_articles(40), n_stories=24, seed=11).records
    cut = len(records) // 2
    first, second = _write(tmp_path / "day1.jsonl", records[:cut]), _write(tmp_path / "day2.jsonl", records[cut:])
    db = str(tmp_path / "sim.wtidx")
    assert main(["index", "add", str(first), "--db", db]) == 0
    assert main(["index", "report", "--db", db, "--out", str(tmp_path / "a"), "--no-html", "-q"]) == 0
    memo = sqlite3.connect(db + ".memo")
    day1 = {k for (k,) in memo.execute("SELECT key FROM memo")}
    memo.close()
    # the report of an add writes the values of what it touched and prunes nothing
    assert main(["index", "add", str(second), "--db", db, "--out", str(tmp_path / "b"), "--no-html", "-q"]) == 0
    memo = sqlite3.connect(db + ".memo")
    after_add = {k for (k,) in memo.execute("SELECT key FROM memo")}
    memo.close()
    assert day1 < after_add
    assert main(["index", "report", "--db", db, "--out", str(tmp_path / "c"), "--no-html", "-q"]) == 0
    memo = sqlite3.connect(db + ".memo")
    pruned = {k: v for k, v in memo.execute("SELECT key, value FROM memo")}
    memo.close()
    assert not day1 <= set(pruned)  # values of clusters the second day changed are gone
    fresh = str(tmp_path / "fresh.wtidx")
    with Index.open(fresh) as index:
        index.add(first)
        index.add(second)
        index.report()
    memo = sqlite3.connect(fresh + ".memo")
    assert pruned == {k: v for k, v in memo.execute("SELECT key, value FROM memo")}
    memo.close()
    capsys.readouterr()
    assert main(["index", "compact", "--db", db]) == 0
    compacted = json.loads(capsys.readouterr().out)["memo"]
    assert compacted["bytes_after"] < compacted["bytes_before"]
    assert main(["index", "report", "--db", db, "--out", str(tmp_path / "d"), "--no-html", "-q"]) == 0
    reports = [json.loads((tmp_path / d / "report.json").read_text(encoding="utf-8")) for d in "cd"]
    for r in reports:
        r.pop("run_id")
        r.pop("stats")
    assert reports[0] == reports[1]


@contextlib.contextmanager
def _writer_holding(path: str):
    """Another process's write transaction on the memo at ``path``, held meanwhile."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_prune_another_writer_blocks_leaves_the_memo_in_use_and_says_so(tmp_path, monkeypatch):
    from wiretrace import memo as memos

    db, clean = _demo_index(tmp_path)
    monkeypatch.setattr(memos, "BUSY_TIMEOUT", 0.2)
    with _writer_holding(db + ".memo"):  # every value is there, only the prune writes
        with Index.open(db, writer=False) as index:
            warm = index.report()
            assert "not pruned" in index.memo_note and index.memo_pruned == 0
            assert not index.memo.stale and index.memo.failed is None  # the report used it
            assert _hits(warm, "provenance") == len(warm.clusters)
    _same(warm, clean)


def test_a_report_that_fails_stops_noting_keys_and_prunes_nothing(tmp_path, monkeypatch):
    from wiretrace import pipeline  # the index imports its stages from here when a report runs

    db = str(tmp_path / "demo.wtidx")
    with Index.open(db) as index:
        index.add(str(ROOT / "data"))
        index.report()
        entries = index.memo.stats()["entries"]
        made = pipeline.analyse_records

        def fails(*args, **kwargs):
            made(*args, **kwargs)
            raise RuntimeError("a report that did not finish")

        monkeypatch.setattr(pipeline, "analyse_records", fails)
        index.memo.put([(b"no report asks for this", b"x")])
        with pytest.raises(RuntimeError):
            index.report()
        assert not index.memo._tracking and index.memo_pruned == 0
        assert index.memo.stats()["entries"] == entries + 1


def test_values_another_process_keeps_while_a_report_tracks_survive_its_prune(tmp_path):
    # a full report (one connection) and others beside it (another): what they keep after the
    # report began -- a new key, a key written again -- is not the report's to prune, even when
    # another report's prune had deleted the rows of the largest ids (an id is never used twice)
    salted, path = salt(), str(tmp_path / "m.memo")
    report, beside = SQLiteMemo(path, salted), SQLiteMemo(path, salted)
    report.put([(b"a", b"1"), (b"b", b"2"), (b"c", b"3"), (b"e", b"5")])  # ids in key order
    report.track()
    report.get([b"a"])
    beside.track()
    beside.get([b"a", b"b", b"c"])
    assert beside.prune() == 1  # e, the largest id
    beside.put([(b"b", b"2 again"), (b"d", b"4")])
    assert report.prune() == 1  # c: there before, and not used
    assert report.get([b"a", b"b", b"c", b"d", b"e"]) == {b"a": b"1", b"b": b"2 again", b"d": b"4"}
    report.close()
    beside.close()


def test_tracking_starts_afresh_after_a_report_that_failed(tmp_path):
    for memo in (MemoryMemo(), SQLiteMemo(str(tmp_path / "m.memo"), salt())):
        memo.put([(b"a", b"1"), (b"b", b"2")])
        memo.track()
        memo.get([b"a"])
        memo.stop_tracking()  # the report failed: what it noted is no later report's
        memo.track()
        memo.get([b"b"])
        assert memo.prune() == 1 and memo.get([b"a", b"b"]) == {b"b": b"2"}, type(memo).__name__
        memo.close()


class _Beside:
    """A memo's connection that runs ``before(sql)`` before each statement:
    what another process, or a ^C, does at that moment."""

    def __init__(self, db, before):
        self.db, self.before = db, before

    def execute(self, sql, *args):
        self.before(sql)
        return self.db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.db, name)


def _interrupt_at_commit(sql):
    if sql == "COMMIT":
        raise KeyboardInterrupt


def test_an_interrupted_prune_leaves_the_memo_as_it_was_and_unlocked(tmp_path):
    path = str(tmp_path / "m.memo")
    memo = SQLiteMemo(path, salt())
    memo.put([(b"a", b"1"), (b"b", b"2")])
    memo.track()
    memo.get([b"a"])
    real, memo._db = memo._db, _Beside(memo._db, _interrupt_at_commit)
    with pytest.raises(KeyboardInterrupt):
        memo.prune()
    memo._db = real
    assert not real.in_transaction
    other = SQLiteMemo(path, salt())  # another process may write at once
    other.put([(b"c", b"3")])
    assert other.get([b"a", b"b", b"c"]) == {b"a": b"1", b"b": b"2", b"c": b"3"}
    other.close()
    memo.close()


def test_compact_leaves_a_memo_another_process_reads_with_a_note_not_a_wait(tmp_path):
    import time

    from wiretrace import memo as memos

    path = str(tmp_path / "m.memo")
    memo = SQLiteMemo(path, salt())
    memo.put([(bytes([i]) * 16, b"x" * 100) for i in range(200)])
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM memo").fetchone()[0] == 200  # a snapshot held
    memo.put([(b"new" * 6, b"y")])  # the log now has what the reader's snapshot does not
    started = time.monotonic()
    out = memo.compact()
    assert time.monotonic() - started < memos.COMPACT_WAIT + 5
    assert "another process" in out["note"] and "bytes_after" not in out
    reader.execute("ROLLBACK")
    reader.close()
    done = memo.compact()  # once it is done
    assert "note" not in done and done["bytes_after"] <= done["bytes_before"]
    assert memo.stats()["entries"] == 201
    memo.close()


def test_stats_and_compact_leave_a_memo_of_other_code_as_it_is(tmp_path):
    db, _ = _demo_index(tmp_path)
    other = SQLiteMemo(db + ".memo", b"another salt")  # a writer of other code empties it, as it should
    other.put([(b"k" * 16, b"[]")])
    other.close()
    with Index.open(db) as index:
        stats = index.stats()["memo"]
        assert stats["entries"] == 1 and "other code" in stats["note"]
        assert "bytes_after" in index.compact()["memo"]
    assert SQLiteMemo(db + ".memo", b"another salt").get([b"k" * 16]) == {b"k" * 16: b"[]"}
    for path in Path(db).parent.glob(Path(db).name + ".memo*"):
        path.unlink()
    Path(db + ".memo").write_bytes(b"")  # an empty file: stats and compact read it as it is, writing nothing
    with Index.open(db) as index:
        assert index.stats()["memo"] == {**index.stats()["memo"], "entries": 0, "note": "no memo in it yet"}
        assert "no memo in it" in index.compact()["memo"]["note"]
    assert Path(db + ".memo").stat().st_size == 0
    Path(db + ".memo").unlink()
    Path(db + ".memo").symlink_to(tmp_path / "elsewhere.memo")
    with Index.open(db) as index:
        assert "symbolic link" in index.compact()["memo"]["note"]
    assert not (tmp_path / "elsewhere.memo").exists()


def test_memo_notes_are_of_the_last_report_not_of_an_earlier_one(tmp_path, monkeypatch):
    from wiretrace import memo as memos

    db, _ = _demo_index(tmp_path)
    monkeypatch.setattr(memos, "BUSY_TIMEOUT", 0.2)
    with Index.open(db) as index:
        with _writer_holding(db + ".memo"):
            index.report()
            assert "not pruned" in index.memo_note
        index.report()
        assert index.memo_note is None
        with _writer_holding(db + ".memo"):
            index.report()
        added = index.add(str(ROOT / "data"))  # nothing new; the report of an add prunes nothing
        index.delta(added)
        assert index.memo_note is None


def test_ids_go_on_across_an_emptied_memo_and_an_earlier_table_is_made_anew(tmp_path):
    # ids only grow, even when a memo of another salt is emptied meanwhile (a report that
    # began tracking before prunes by them); a table of earlier code (ids without
    # AUTOINCREMENT) is made anew when emptied, its ids going on from its largest
    path = str(tmp_path / "m.memo")
    report = SQLiteMemo(path, b"X")
    report.put([(bytes([i]), b"v") for i in range(10)])
    report.track()
    report.get([b"\0"])
    SQLiteMemo(path, b"Y").close()  # other code or registries: emptied
    beside = SQLiteMemo(path, b"X")  # this code again: emptied again
    beside.put([(b"new", b"kept")])
    report.prune()
    assert beside.get([b"new"]) == {b"new": b"kept"}
    report.close()
    beside.close()
    old = str(tmp_path / "old.memo")
    db = sqlite3.connect(old)
    db.execute("CREATE TABLE memo (id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, value BLOB NOT NULL)")
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB)")
    db.executemany("INSERT INTO memo (key, value) VALUES (?, ?)", [(bytes([i]), b"v") for i in range(5)])
    db.execute("INSERT INTO meta VALUES ('salt', ?)", (b"earlier code",))
    db.commit()
    db.close()
    memo = SQLiteMemo(old, salt())
    made = memo._db.execute("SELECT sql FROM sqlite_master WHERE name = 'memo'").fetchone()[0]
    memo.put([(b"a", b"1")])
    assert "AUTOINCREMENT" in made and memo._db.execute("SELECT id FROM memo").fetchall() == [(6,)]
    memo.close()


def test_compact_says_when_a_reader_came_while_it_ran(tmp_path):
    path = str(tmp_path / "m.memo")
    memo = SQLiteMemo(path, salt())
    memo.put([(bytes([i]) * 16, b"x" * 100) for i in range(200)])
    readers = []

    def reader_comes(sql):  # a snapshot taken just before VACUUM
        if sql == "VACUUM":
            readers.append(sqlite3.connect(path, isolation_level=None))
            readers[-1].execute("BEGIN")
            readers[-1].execute("SELECT count(*) FROM memo").fetchone()

    real, memo._db = memo._db, _Beside(memo._db, reader_comes)
    try:
        out = memo.compact()
    finally:
        memo._db = real
        for reader in readers:
            reader.execute("ROLLBACK")
            reader.close()
    assert "a reader holds" in out["note"] and "bytes_after" in out
    assert memo.stats()["entries"] == 200
    memo.close()
