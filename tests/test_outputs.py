"""Output files: every format takes any string the input can carry; files
are written all or nothing, never through a planted link, one scan at a
time per folder; the output folder is checked before a single input is read."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.cli import EXIT_LOCKED, EXIT_USAGE, EXIT_WRITE, main
from wiretrace.outputs import LOCK_NAME, OutputError, OutputFolder, OutputLocked, atomic_write, scalar_text, utf8

from conftest import story

OUTPUT_NAMES = ("report.json", "pairs.csv", "report.html", "provenance.graphml", "provenance.gexf", "provenance.json")
# Every character XML 1.0 cannot hold, and a few terminals act on.
NASTY = "\x00\x01\x07\x08\x0b\x0c\x1b[31m\x7f\u0085\ufffe\uffff\u202e\ud800"


def _hostile_corpus(path: Path) -> Path:
    """Two dated copies of a wire story (so there is a provenance graph
    with a copy edge) whose id, title, site and URL carry control
    characters, noncharacters and a lone surrogate."""
    text = story(31, 300)
    records = [
        {"id": "orig" + NASTY, "title": "Title" + NASTY, "site": "wire" + NASTY + ".example",
         "url": "https://wire.example/" + NASTY, "published": "2026-01-01T10:00:00Z",
         "author": NASTY, "text": "LONDON (Reuters) - " + text},
        {"id": "copy" + NASTY, "title": NASTY, "site": "copier.example" + NASTY, "url": "https://copier.example/\x0b",
         "published": "2026-01-02T10:00:00Z", "text": text + "\n\nMore at copier."},
    ]
    # json.dumps writes "\ud800" as an escape: the reader gets a lone surrogate
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return path


def test_every_output_format_takes_control_characters_and_noncharacters(tmp_path, capsys):
    data = _hostile_corpus(tmp_path / "hostile.jsonl")
    out = tmp_path / "out"
    code = main(["scan", str(data), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    for name in OUTPUT_NAMES:
        assert (out / name).stat().st_size > 0, name
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert len(report["clusters"]) == 1 and report["provenance"][0]["edges"]
    graphml = nx.read_graphml(out / "provenance.graphml")
    gexf = nx.read_gexf(out / "provenance.gexf")
    for graph in (graphml, gexf):
        kinds = {graph.nodes[n]["kind"] for n in graph.nodes}
        assert {"document", "site"} <= kinds
        assert any(kind == "copy" for _, _, kind in graph.edges(data="kind"))
        assert all("\x0b" not in n and "\ufffe" not in n for n in graph.nodes)
        assert graph.graph.get("run_id") == report["run_id"] or graph is gexf
    node_link = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert any("\x0b" in node["id"] for node in node_link["nodes"])  # JSON keeps what XML cannot
    with open(out / "pairs.csv", newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert {row["a_title"][:5], row["b_title"][:5]} >= {"Title"}
    assert any(v.startswith("copier.example") for v in (row["a_site"], row["b_site"]))
    html = (out / "report.html").read_text(encoding="utf-8")
    assert report["run_id"] in html
    # terminal: nothing that a terminal acts on
    assert not any(ch in printed for ch in "\x00\x07\x08\x0b\x1b\x7f\u202e")


def test_graph_export_keeps_two_ids_apart_that_differ_only_in_a_control_character():
    from wiretrace.trace import xml_safe_graph

    graph = nx.DiGraph()
    graph.add_node("doc:a\x0b", label="x")
    graph.add_node("doc:a\x0c", label="y")
    graph.add_node("doc:a\ufffd", label="z")  # already what the others would become
    graph.add_edge("doc:a\x0b", "doc:a\x0c")
    safe = xml_safe_graph(graph)
    assert safe.number_of_nodes() == 3 and safe.number_of_edges() == 1
    assert "doc:a\ufffd" in safe and safe.nodes["doc:a\ufffd"]["label"] == "z"


@pytest.mark.parametrize("cell", [
    "=HYPERLINK(\"http://evil.example\")", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1",
    ";=cmd|' /C calc'!A0", ",=1+1", " =1", "|=1", "\uff1d1+1", ";;@x",
])
def test_csv_formula_guard_covers_separator_locale_forms(tmp_path, cell):
    import re

    text = story(77, 200)
    records = [{"id": "a", "title": cell, "url": cell, "site": cell, "text": text},
               {"id": cell, "title": "plain", "text": text}]
    report = scan(records)
    report.write(tmp_path, html=False)
    with open(tmp_path / "pairs.csv", newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    # the reader may trim or lowercase, but every copy of the payload is guarded:
    payload = cell.strip().lower()
    guarded = [v for v in row.values() if v.lower().lstrip("'") == payload]
    assert len(guarded) == 4, row  # one document's id, the other's title, site and URL
    assert all(v.startswith("'") for v in guarded)
    dangerous = re.compile(r"^[\s;,|\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]")
    assert not [v for v in row.values() if not v.startswith("'") and dangerous.match(v)]


def test_planted_symlinks_are_replaced_never_written_through(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    targets = {}
    for name in OUTPUT_NAMES:
        target = tmp_path / f"precious-{name}"
        target.write_text("do not touch")
        (out / name).symlink_to(target)
        targets[name] = target
    data = _hostile_corpus(tmp_path / "in.jsonl")
    code = main(["scan", str(data), "--out", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 0
    for name, target in targets.items():
        assert target.read_text() == "do not touch", name
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 0
    assert "report.html was a symbolic link" in err and "target left untouched" in err


def test_a_symlink_planted_at_the_lock_file_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "precious"
    target.write_text("do not touch")
    (out / LOCK_NAME).symlink_to(target)
    code = main(["scan", str(_hostile_corpus(tmp_path / "in.jsonl")), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and "symbolic link" in err
    assert target.read_text() == "do not touch" and not (out / "report.json").exists()


def test_atomic_write_replaces_a_link_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "precious"
    target.write_text("keep")
    link = tmp_path / "page.html"
    link.symlink_to(target)
    atomic_write(link, "new")
    assert target.read_text() == "keep" and link.read_text() == "new" and not link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html", "precious"]


def test_a_second_scan_into_a_locked_folder_says_so_and_exits_3(tmp_path, capsys):
    out = tmp_path / "out"
    data = _hostile_corpus(tmp_path / "in.jsonl")
    with OutputFolder(out):  # another scan holds the folder
        code = main(["scan", str(data), "--out", str(out)])
        err = capsys.readouterr().err
        assert code == EXIT_LOCKED
        assert "another wiretrace scan is writing into" in err
        assert not (out / "report.json").exists()
        with pytest.raises(OutputLocked):
            scan([{"id": "x", "text": story(1)}]).write(out)
    assert main(["scan", str(data), "--out", str(out), "-q"]) == 0  # free again


def test_unusable_out_is_reported_before_any_input_is_read(tmp_path, capsys, monkeypatch):
    import wiretrace.pipeline

    def must_not_read(*args, **kwargs):
        raise AssertionError("inputs were read before --out was checked")

    monkeypatch.setattr(wiretrace.pipeline, "scan", must_not_read)  # the command imports it when it runs
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for out, message in ((blocker, "is not a folder"), (blocker / "sub", "cannot create the output folder"),
                         (Path("/proc/wiretrace-out"), "cannot create the output folder")):
        code = main(["scan", str(tmp_path), "--out", str(out)])
        err = capsys.readouterr().err
        assert code == EXIT_USAGE, err
        assert message in err


def test_a_failed_write_keeps_the_previous_outputs_and_leaves_no_temporary_files(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    data = _hostile_corpus(tmp_path / "in.jsonl")
    assert main(["scan", str(data), "--out", str(out), "-q"]) == 0
    before = {name: (out / name).read_bytes() for name in OUTPUT_NAMES}

    import wiretrace.graphio

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wiretrace.graphio, "write_gexf", disk_full)  # fails half-way through the files
    code = main(["scan", str(data), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == EXIT_WRITE
    assert "No space left on device" in err and "untouched" in err
    assert {name: (out / name).read_bytes() for name in OUTPUT_NAMES} == before
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUT_NAMES, LOCK_NAME])


def test_no_html_removes_the_page_of_an_earlier_run(tmp_path):
    records = [{"id": "a", "text": story(5)}, {"id": "b", "text": story(5) + " more"}]
    first = scan(records)
    first.write(tmp_path)
    assert first.run_id in (tmp_path / "report.html").read_text(encoding="utf-8")
    second = scan(records)
    paths = second.write(tmp_path, html=False)
    assert "html" not in paths and not (tmp_path / "report.html").exists()
    assert json.loads((tmp_path / "report.json").read_text())["run_id"] == second.run_id != first.run_id


def test_output_folder_refuses_a_batch_when_not_held_and_a_folder_under_a_file(tmp_path):
    folder = OutputFolder(tmp_path)
    with pytest.raises(RuntimeError):
        with folder.batch():
            pass
    (tmp_path / "x").write_text("")
    with pytest.raises(OutputError, match="cannot create the output folder"):
        OutputFolder(tmp_path / "x" / "y").open()


def test_file_names_that_are_not_utf8_reach_every_output(tmp_path, capsys):
    # os.fsdecode turns the bytes into lone surrogates ("\udcff"), which UTF-8 cannot encode
    folder = tmp_path / "crawl"
    folder.mkdir()
    text = story(61, 250)
    for name in (b"a\xff\x1b.txt", b"b\xfe.txt"):
        with open(os.path.join(os.fsencode(folder), name), "w", encoding="utf-8") as handle:
            handle.write("Title\n\n" + text)
    out = tmp_path / "out"
    assert main(["scan", str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "a\ufffd\ufffd.txt" in printed
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert sorted(d["id"] for d in report["documents"]) == ["crawl/a\ufffd\x1b.txt", "crawl/b\ufffd.txt"]
    for name in OUTPUT_NAMES:
        assert (out / name).stat().st_size > 0
    assert main(["extract", str(folder), "--out", str(tmp_path / "x.jsonl")]) == 0
    assert len((tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_a_folder_at_an_output_name_changes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    data = _hostile_corpus(tmp_path / "in.jsonl")
    assert main(["scan", str(data), "--out", str(out), "-q"]) == 0
    before = {name: (out / name).read_bytes() for name in OUTPUT_NAMES if name != "report.html"}
    (out / "report.html").unlink()
    (out / "report.html").mkdir()  # renamed last but one: a partial commit would have replaced the others
    code = main(["scan", str(data), "--out", str(out)])
    assert code == EXIT_WRITE and "a folder has that name" in capsys.readouterr().err
    assert {name: (out / name).read_bytes() for name in before} == before


def test_report_json_is_streamed_one_line_per_item_with_the_reports_content(tmp_path, monkeypatch):
    import wiretrace.report as report_module

    from conftest import story

    monkeypatch.setattr(report_module, "_JSON_ITEMS_PER_WRITE", 2)  # several writes per list
    records = [{"id": f"d{i}", "text": story(300 + i % 3, 200), "url": f"https://s{i}.example/a"} for i in range(7)]
    report = scan(records)
    report.write(tmp_path, html=False)
    text = (tmp_path / "report.json").read_text(encoding="utf-8")
    assert json.loads(text) == json.loads(json.dumps(report.to_dict()))
    assert text == report.to_json()
    lines = text.splitlines()
    start = lines.index('  "documents": [')
    # each document on its own line, in order
    assert [json.loads(line.rstrip(","))["id"] for line in lines[start + 1: start + 8]] == [f"d{i}" for i in range(7)]
    assert lines[start + 8] == "  ],"


def test_the_graph_written_apart_is_written_by_another_process_and_here_otherwise_with_the_same_files(
        tmp_path, monkeypatch):
    import wiretrace.report as report_module

    records = [{"id": f"d{i}", "text": story(400 + i % 4, 200), "url": f"https://s{i}.example/a"} for i in range(12)]
    report = scan(records)
    wrote_graph = []  # the processes that wrote the graph here (a fresh process does not see this spy)
    write_graph_files = report_module.write_graph_files

    def spy(*args):
        wrote_graph.append(os.getpid())
        return write_graph_files(*args)

    monkeypatch.setattr(report_module, "write_graph_files", spy)
    monkeypatch.setattr(report_module, "GRAPH_APART_MIN_DOCUMENTS", 0)
    report.write(tmp_path / "apart")
    assert wrote_graph == []
    monkeypatch.setattr(report_module, "GRAPH_APART_MIN_DOCUMENTS", 13)  # one more than the report has
    report.write(tmp_path / "here")
    assert wrote_graph == [os.getpid()]
    for name in OUTPUT_NAMES:
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "apart" / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "apart").iterdir()) == sorted([*OUTPUT_NAMES, LOCK_NAME])


def _reserved_on_a_full_disk(monkeypatch):
    """Batch.reserve's files replaced by /dev/full (every write: no space left)."""
    from wiretrace.outputs import Batch, ReservedFiles

    reserve = Batch.reserve

    def full(self, names):
        reserve(self, names)  # the batch's own files, removed with the batch
        return ReservedFiles(self.folder, {name: os.open("/dev/full", os.O_WRONLY) for name in names})

    monkeypatch.setattr(Batch, "reserve", full)


def _written_once(tmp_path, monkeypatch):
    """Twelve records and their outputs written into ``tmp_path`` (a run's
    previous outputs, byte for byte); the graph written apart from then on."""
    import wiretrace.report as report_module

    records = [{"id": f"d{i}", "text": story(400 + i % 4, 200), "url": f"https://s{i}.example/a"} for i in range(12)]
    scan(records).write(tmp_path)
    monkeypatch.setattr(report_module, "GRAPH_APART_MIN_DOCUMENTS", 0)
    return records, {name: (tmp_path / name).read_bytes() for name in OUTPUT_NAMES}


def _untouched(tmp_path, before) -> bool:
    """The previous outputs as they were, and nothing else in the folder (no temporary file)."""
    return ({name: (tmp_path / name).read_bytes() for name in OUTPUT_NAMES} == before
            and sorted(p.name for p in tmp_path.iterdir()) == sorted([*OUTPUT_NAMES, LOCK_NAME]))


@pytest.mark.parametrize("fails", ["graph", "report.json"])
def test_a_failure_beside_the_graph_writer_keeps_the_previous_outputs_and_no_temporary_file(tmp_path, monkeypatch,
                                                                                          fails):
    import wiretrace.report as report_module

    records, before = _written_once(tmp_path, monkeypatch)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if fails == "graph":  # in the graph's own process, at its first write
        _reserved_on_a_full_disk(monkeypatch)
    else:  # here, while the graph's process writes the graph
        monkeypatch.setattr(report_module, "write_report_json", disk_full)
    with pytest.raises((OutputError, OSError), match="No space left") as raised:
        scan(records).write(tmp_path)
    if fails == "graph":  # the file the graph's process could not write is named
        assert isinstance(raised.value, OutputError) and "provenance.graphml" in str(raised.value)
    assert _untouched(tmp_path, before)


def test_a_graph_that_cannot_be_dumped_for_its_writer_is_a_write_error_keeping_the_previous_outputs(tmp_path,
                                                                                                      monkeypatch):
    import wiretrace.graphio

    records, before = _written_once(tmp_path, monkeypatch)

    def disk_full(graph, handle):
        handle.write(b"part of it")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wiretrace.graphio, "dump_graph", disk_full)
    with pytest.raises(OutputError, match="provenance graph .*No space left on device .*untouched"):
        scan(records).write(tmp_path)
    assert _untouched(tmp_path, before)  # (the dump has no name)


def test_with_no_process_to_write_the_graph_it_is_written_here_from_the_dump_with_the_same_files(tmp_path,
                                                                                                    monkeypatch):
    import errno

    import wiretrace.executor
    import wiretrace.report as report_module

    records = [{"id": f"d{i}", "text": story(400 + i % 4, 200), "url": f"https://s{i}.example/a"} for i in range(12)]
    report = scan(records)
    report.write(tmp_path / "here")
    monkeypatch.setattr(report_module, "GRAPH_APART_MIN_DOCUMENTS", 0)

    def no_process(*args, **kwargs):
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(wiretrace.executor, "fresh_process", no_process)
    report.write(tmp_path / "apart", release=True)  # the graph let go of before the process would start
    assert report.graph is None
    for name in OUTPUT_NAMES:
        assert (tmp_path / "apart" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name


def test_a_bug_in_the_graph_writers_process_is_raised_as_one_with_its_traceback_not_as_a_disk_error(tmp_path,
                                                                                                     monkeypatch):
    from wiretrace.executor import FreshError

    records, before = _written_once(tmp_path, monkeypatch)
    report = scan(records)
    report.graph.graph["odd"] = complex(1, 2)  # no graph file format takes one: a TypeError where it is written
    with pytest.raises(FreshError, match="TypeError") as raised:
        report.write(tmp_path)
    assert not isinstance(raised.value, OutputError)
    assert any("Traceback" in note and "TypeError" in note for note in raised.value.__notes__)
    assert _untouched(tmp_path, before)


class _AbortsWhenRead:
    """A value whose unpickling ends the process as the out-of-memory killer
    would: no Python clean-up runs (``os.abort``)."""

    def __reduce__(self):
        return os.abort, ()


def test_a_graph_writer_killed_midway_is_a_write_error_leaving_no_temporary_file_and_a_free_folder(tmp_path,
                                                                                                    monkeypatch):
    records, before = _written_once(tmp_path, monkeypatch)
    report = scan(records)
    report.graph.graph["killer"] = _AbortsWhenRead()  # the graph's process dies reading the graph
    with pytest.raises(OutputError, match="died"):
        report.write(tmp_path)
    assert _untouched(tmp_path, before)
    with OutputFolder(tmp_path):  # the writer's process is gone: the folder is free at once
        pass


def test_a_report_written_with_release_writes_the_same_graph_files_and_lets_go_of_its_graph(tmp_path):
    from conftest import ROOT
    from wiretrace.report import GRAPH_FILES

    report = scan([ROOT / "data"])
    assert report.graph is not None and report.graph.number_of_edges() > 0
    report.write(tmp_path / "kept")
    assert report.graph is not None  # without release nothing is dropped
    report.write(tmp_path / "released", release=True)
    assert report.graph is None
    for name in [*GRAPH_FILES.values(), "pairs.csv"]:
        assert (tmp_path / "released" / name).read_bytes() == (tmp_path / "kept" / name).read_bytes(), name
    # written again, it would lose its graph files without a word: refused, the folder untouched
    before = {p.name: p.read_bytes() for p in (tmp_path / "released").iterdir()}
    with pytest.raises(ValueError, match="let go of its provenance graph"):
        report.write(tmp_path / "released")
    assert {p.name: p.read_bytes() for p in (tmp_path / "released").iterdir()} == before


@pytest.mark.parametrize("apart", [False, True])
def test_a_report_written_with_release_frees_its_graph_before_report_json_is_written(tmp_path, monkeypatch, apart):
    # freed, not only unreferenced: the cyclic collector is paused while a report is
    # written, and networkx's cached views refer back to their graph
    import gc
    import weakref

    import wiretrace.report as report_module
    from conftest import ROOT

    monkeypatch.setattr(report_module, "GRAPH_APART_MIN_DOCUMENTS", 1 if apart else 10**9)
    kept, released = scan([ROOT / "data"]), scan([ROOT / "data"])
    released.run_id = kept.run_id  # the graph files name their run
    graph = weakref.ref(released.graph)
    list(released.graph.edges(data=True))  # its views made, as the report's steps make them
    alive_at_report_json = []
    write_report_json = report_module.write_report_json

    def watch(*args):
        alive_at_report_json.append(graph() is not None)
        return write_report_json(*args)

    monkeypatch.setattr(report_module, "write_report_json", watch)
    kept.write(tmp_path / "kept")
    enabled = gc.isenabled()
    gc.disable()  # no collection may free it in the test's stead
    try:
        released.write(tmp_path / "released", release=True)
    finally:
        if enabled:
            gc.enable()
    assert alive_at_report_json == [True, False]  # kept's graph lives; released's is gone
    assert released.graph is None and graph() is None and kept.graph is not None
    for name in report_module.GRAPH_FILES.values():
        assert (tmp_path / "released" / name).read_bytes() == (tmp_path / "kept" / name).read_bytes(), name


def test_atomic_write_of_pieces_writes_them_all_or_leaves_the_old_file(tmp_path):
    # pieces are written as they come (a page never held whole); a failure while
    # they are made leaves the old file and no temporary one
    target = tmp_path / "report.html"
    target.write_text("old")
    assert atomic_write(target, bytearray(b"a buffer")).read_text() == "a buffer"  # bytes-like, whole
    assert atomic_write(target, memoryview(b"a view")).read_text() == "a view"
    assert atomic_write(target, (piece.encode() for piece in ["<p>", "new", "</p>"])).read_text() == "<p>new</p>"

    def failing():
        yield b"half a page"
        raise RuntimeError("the renderer failed")

    with pytest.raises(RuntimeError):
        atomic_write(target, failing())
    assert target.read_text() == "<p>new</p>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]

    def unreadable():  # (found by a review) the renderer's OSError is its own, not a failed write
        yield b"half a page"
        raise FileNotFoundError("an asset of the page")

    with pytest.raises(FileNotFoundError, match="an asset"):
        atomic_write(target, unreadable())
    assert target.read_text() == "<p>new</p>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


# Lone surrogates (a "\ud800" escape in a JSON input), pairs of them, and every
# other kind of character, in runs: what the outputs' one-pass encoder must
# turn into the bytes of the plain rule.
_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
_ANY_TEXT = st.lists(st.one_of(st.text(), st.text(_SURROGATES, min_size=1, max_size=3)), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(_ANY_TEXT)
def test_utf8_is_the_scalar_text_rule_encoded(text):
    assert utf8(text) == scalar_text(text).encode("utf-8")
    assert utf8(text).decode("utf-8") == scalar_text(text)
