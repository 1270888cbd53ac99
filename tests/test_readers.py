"""Reading inputs: formats, field aliases, derived ids, encodings, and the
guarantee that every record is either a document or a skip with a reason."""

from __future__ import annotations

import csv
import gzip
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiretrace import Config, InputError, scan
from wiretrace.readers import read_inputs
from wiretrace.records import Document, Skipped

from conftest import story

FIELDS = Config().fields


def _read(*inputs):
    items = list(read_inputs(inputs, FIELDS))
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, Skipped)]


def test_every_format_reads_the_same_records(tmp_path):
    records = [
        {"id": "r1", "text": story(1), "url": "https://www.example.co.uk/a", "title": "One", "published": "2026-03-01"},
        {"id": "r2", "text": story(2), "url": "https://news.example.com/b", "title": "Two"},
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (tmp_path / "b.json").write_text(json.dumps(records))
    with gzip.open(tmp_path / "c.jsonl.gz", "wt") as handle:
        handle.write("\n".join(json.dumps(r) for r in records))
    for name, delimiter in (("d.csv", ","), ("e.tsv", "\t")):
        with open(tmp_path / name, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]), delimiter=delimiter)
            writer.writeheader()
            writer.writerows(records)
    for path in sorted(tmp_path.iterdir()):
        docs, skipped = _read(path)
        assert not skipped, (path, skipped)
        assert [(d.id, d.text, d.site, d.title) for d in docs] == [
            ("r1", records[0]["text"], "example.co.uk", "One"),
            ("r2", records[1]["text"], "example.com", "Two"),
        ], path
        assert docs[0].published == "2026-03-01T00:00:00+00:00"


def test_folders_are_read_recursively_and_txt_is_one_document(tmp_path):
    (tmp_path / "site" / "2026").mkdir(parents=True)
    (tmp_path / "site" / "2026" / "story.txt").write_text("Headline here\n\n" + story(3))
    with gzip.open(tmp_path / "site" / "old.txt.gz", "wt") as handle:
        handle.write(story(4))
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.txt").write_text(story(5))
    docs, skipped = _read(tmp_path)
    # Derived ids start with the name of the folder named, so two named
    # folders with files of the same name do not collide.
    top = tmp_path.name
    assert sorted(d.id for d in docs) == [f"{top}/site/2026/story.txt", f"{top}/site/old.txt.gz"]
    assert next(d for d in docs if d.id.endswith("story.txt")).title == "Headline here"
    assert skipped == []


def test_field_aliases_and_overrides(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"article_id": 7, "body": story(1), "link": "http://a.example.org/x", "date": "26-FEB-1987 15:01:01.79"}))
    docs, _ = _read(path)
    assert (docs[0].id, docs[0].site, docs[0].published) == ("7", "example.org", "1987-02-26T15:01:01.790000+00:00")
    fields = Config().replace(fields={**FIELDS, "text": ("story",)}).fields
    path.write_text(json.dumps({"story": story(1), "body": "not this"}))
    items = list(read_inputs([path], fields))
    assert items[0].text == story(1)


def test_records_without_id_get_stable_derived_ids(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"text": story(1)}) + "\n\n" + json.dumps({"text": story(2)}) + "\n")
    docs, _ = _read(path)
    assert [d.id for d in docs] == ["feed.jsonl:1", "feed.jsonl:3"]
    assert [d.id for d in _read(tmp_path)[0]] == [f"{tmp_path.name}/feed.jsonl:1", f"{tmp_path.name}/feed.jsonl:3"]


def test_bad_records_are_skipped_with_reasons(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"id": "ok", "text": "fine"}\n'
        b"{not json\n"
        b'["a list"]\n'
        b'{"id": "num", "text": 42}\n'
        b'{"id": "latin", "text": "caf\xe9"}\n'
    )
    docs, skipped = _read(path)
    assert [d.id for d in docs] == ["ok"]
    assert [s.reason.split(":")[0].split(" (")[0] for s in skipped] == [
        "invalid JSON",
        "record is a JSON list, not an object",
        "text field 'text' is a int, not a string",
        "line is not valid UTF-8",
    ]


def test_unsupported_binary_and_empty_files_are_skipped(tmp_path):
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / "dump.txt").write_bytes(b"abc\x00\x01\x02" * 10)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "broken.jsonl.gz").write_bytes(b"not gzip at all")
    (tmp_path / "empty.csv").write_text("")
    docs, skipped = _read(tmp_path)
    assert docs == []
    reasons = {os.path.basename(s.source): s.reason for s in skipped}
    assert reasons["photo.jpg"].startswith("unsupported file type .jpg")
    assert reasons["dump.txt"].startswith("binary content")
    assert reasons["empty.txt"] == "empty file"
    assert reasons["broken.jsonl.gz"].startswith("cannot read file")
    assert reasons["empty.csv"].startswith("empty CSV file")


def test_legacy_encodings_decode_with_a_warning(tmp_path):
    (tmp_path / "bbc.txt").write_bytes("Caf\u00e9 owners say \u201cprices\u201d rose".encode("cp1252"))
    docs, _ = _read(tmp_path)
    assert docs[0].text == "Caf\u00e9 owners say \u201cprices\u201d rose"
    assert docs[0].warnings == ["not valid UTF-8; decoded as cp1252"]


def test_csv_rows_with_wrong_cell_counts_are_skipped(tmp_path):
    (tmp_path / "x.csv").write_text('id,text\na,"one"\nb,"two",extra\n')
    docs, skipped = _read(tmp_path / "x.csv")
    assert [d.id for d in docs] == ["a"]
    assert skipped[0].reason == "row has 3 cells but the header has 2"


def test_symlinks_leading_outside_the_named_folder_are_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private " * 50)
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    (crawl / "inside.txt").write_text(story(1))
    (crawl / "escape.txt").symlink_to(secret)
    (crawl / "alias.txt").symlink_to(crawl / "inside.txt")
    docs, skipped = _read(crawl)
    assert sorted(d.id for d in docs) == ["crawl/alias.txt", "crawl/inside.txt"]
    assert [os.path.basename(s.source) for s in skipped] == ["escape.txt"]
    assert "outside the input folder" in skipped[0].reason


def test_missing_input_fails_fast():
    with pytest.raises(InputError, match="input not found: nowhere/at/all"):
        scan(["nowhere/at/all"])


def test_lone_surrogates_and_unparseable_dates_become_warnings():
    report = scan([{"id": "x", "text": story(1) + " \ud800", "published": "next Tuesday"}])
    doc = report.documents[0]
    assert doc["published"] is None
    assert doc["warnings"] == ["unrecognised date 'next Tuesday' ignored", "invalid Unicode (lone surrogates) replaced by U+FFFD"]
    report.to_json()  # encodable


def _jsonl_lines(n: int) -> list[bytes]:
    """A JSON Lines file's lines of every kind a reader meets: records with and
    without ids, a BOM, blank and CRLF lines, broken JSON, a list, deep
    nesting, a line not UTF-8, an HTML record, a line over a small size limit."""
    lines = ["\ufeff" + json.dumps({"id": "first", "text": story(0, 40)})]
    for k in range(n):
        record = {"text": story(k % 7, 25 + k % 40) + ("\n\n\"A quote,\" she said." if k % 4 else ""),
                  "url": f"https://www.site{k % 3}.com/a{k}", "published": "2024-03-0%dT10:00:00Z" % (1 + k % 9)}
        if k % 5:
            record["id"] = f"d{k}"
        lines.append(json.dumps(record, ensure_ascii=k % 2 == 0))
        if k % 11 == 4:
            lines += ['{"id": "broken", "text": ', "[1, 2]", "[" * 3000 + "]" * 3000, "", "   ",
                      json.dumps({"id": f"page{k}", "html": f"<html><body><article><p>{story(k, 60)}</p></article>"
                                                           "</body></html>", "url": f"https://www.page.org/{k}"}),
                      json.dumps({"id": f"long{k}", "text": "word " * 2000}),
                      '{"id": "huge", "n": ' + "9" * 5000 + ', "text": "an integer Python will not read"}']
    data = [line.encode("utf-8") for line in lines]
    bad = next(i for i in range(9, len(data)) if b'"id": "d' in data[i])
    data[bad] = data[bad].replace(b'"id": "d', b'"id": "\xff', 1)  # not UTF-8
    data[17] += b"\r"  # a CRLF line
    return data


def test_a_large_json_lines_file_read_by_the_workers_gives_what_one_process_reads(tmp_path, monkeypatch):
    # past readers.PARALLEL_JSONL_BYTES, with a spill and two workers, the workers read
    # ranges of lines and write the texts into the spill: the same documents (texts,
    # ids from line numbers, warnings) and the same skipped lines as a serial read
    from dataclasses import fields as dataclass_fields

    from wiretrace import readers
    from wiretrace.config import Config
    from wiretrace.pipeline import _read
    from wiretrace.spill import SpilledDocument
    from wiretrace.stages import StageLog

    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\n".join(_jsonl_lines(90)))  # no newline after the last line
    config = Config(workers=2, spill_dir=str(tmp_path), max_document_bytes=9000)

    def read(**changes):
        docs, skipped, spill = _read(str(path), config.replace(**changes), StageLog(None))
        rows = [tuple(getattr(d, f.name) for f in dataclass_fields(Document)) for d in docs]
        return rows, sorted(map(repr, skipped)), docs

    here, skipped_here, plain = read(workers=1)
    assert not any(isinstance(d, SpilledDocument) for d in plain)
    reasons = {s.reason.split(":")[0].split(" (")[0][:30] for s in _read(str(path), config, StageLog(None))[1]}
    assert {"invalid JSON", "record is a JSON list, not an ", "JSON nested too deeply to read", "line is not valid UTF-8",
            "larger than limits.document_by", "JSON not read"} <= reasons
    monkeypatch.setattr(readers, "PARALLEL_JSONL_BYTES", 1000)
    monkeypatch.setattr(readers, "JSONL_RANGE_BYTES", 700)  # many ranges, some a single line longer than that
    fd = os.open(path, os.O_RDONLY)
    assert len(readers._line_ranges(fd, 700)) > 20
    os.close(fd)
    apart, skipped_apart, spilled = read()
    assert all(isinstance(d, SpilledDocument) for d in spilled)
    assert apart == here and skipped_apart == skipped_here
    # not read apart: a small file, one worker, or no spill allowed
    monkeypatch.setattr(readers, "PARALLEL_JSONL_BYTES", path.stat().st_size + 1)
    assert not any(isinstance(d, SpilledDocument) for d in read()[2])
    monkeypatch.setattr(readers, "PARALLEL_JSONL_BYTES", 1000)
    assert not any(isinstance(d, SpilledDocument) for d in read(spill_documents=0)[2])
    assert not any(isinstance(d, SpilledDocument) for d in read(workers=1)[2])


def test_a_scan_of_a_json_lines_file_read_by_the_workers_is_the_same_report(tmp_path, monkeypatch):
    from wiretrace import readers

    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\n".join(_jsonl_lines(60)) + b"\n")
    before = scan(str(path), workers=2)
    monkeypatch.setattr(readers, "PARALLEL_JSONL_BYTES", 1000)
    monkeypatch.setattr(readers, "JSONL_RANGE_BYTES", 2000)
    apart = readers._json_lines_apart
    files = []
    monkeypatch.setattr(readers, "_json_lines_apart", lambda item, *a: files.append(item.source) or apart(item, *a))
    after = scan(str(path), workers=2, spill_dir=str(tmp_path))
    assert files == [str(path)]  # read by the workers

    def comparable(report):
        data = report.to_dict()
        data.pop("run_id"), data.pop("stats"), data["config"]["run"].pop("spill_dir")
        return data

    assert comparable(after) == comparable(before) and before.clusters and before.skipped


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30), st.booleans(),
       st.integers(1, 50), st.integers(1, 30), st.integers(1, 16))
def test_the_lines_of_ranges_read_by_pread_are_the_lines_of_the_file(tmp_path, lines, final_newline, size, cap,
                                                                      buffer):
    # what the workers read (readers._line_ranges, _Span over a descriptor) is what a
    # serial read of the whole file gives, line for line, too-long lines included; with
    # reads of a few bytes, lines cross every read (1 MB ones in a real file)
    from unittest import mock

    from wiretrace import readers

    patched = mock.patch.object(readers, "_READ_BUFFER", buffer)
    patched.start()

    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline and lines else b""))
    with open(path, "rb") as handle:
        whole = list(readers._lines(handle, cap))
    fd = os.open(path, os.O_RDONLY)
    try:
        ranges = readers._line_ranges(fd, size)
        assert [a for a, _ in ranges[1:]] == [b for _, b in ranges[:-1]]  # contiguous, from 0 to the end
        assert (ranges[0][0], ranges[-1][1]) == (0, path.stat().st_size) if ranges else path.stat().st_size == 0
        parts = [line for start, stop in ranges for line in readers._lines(readers._Span(fd, start, stop), cap)]
        counted = [readers._newlines(fd, span) for span in ranges]
    finally:
        os.close(fd)
        patched.stop()
    assert parts == whole
    assert sum(counted) == path.read_bytes().count(b"\n")


def test_a_large_json_lines_file_replaced_after_it_was_looked_at_is_not_read(tmp_path):
    # the file the workers read is the one the walk saw: one put in its place (or a link
    # to another, for a path the user did not name as a link) is refused, with a reason
    from wiretrace import readers
    from wiretrace.executor import LocalExecutor

    path, other = tmp_path / "a.jsonl", tmp_path / "secret.jsonl"
    path.write_text(json.dumps({"id": "a", "text": story(1, 40)}) + "\n")
    other.write_text(json.dumps({"id": "secret", "text": story(2, 40)}) + "\n")
    seen = os.stat(path)
    item = readers.JsonLinesFile(str(path), "a.jsonl", (seen.st_dev, seen.st_ino), False)
    run = readers._Run(FIELDS, readers.Limits(), spill=lambda: None)

    def read(entry):
        return list(readers._json_lines_apart(entry, LocalExecutor(2), run))

    (tmp_path / "new").write_text(other.read_text())
    os.replace(tmp_path / "new", path)  # another file under the same name
    (skipped,) = read(item)
    assert isinstance(skipped, Skipped) and "replaced" in skipped.reason
    path.unlink()
    path.symlink_to(other)  # a link to another file
    (skipped,) = read(item)
    assert isinstance(skipped, Skipped) and skipped.reason.startswith("cannot read file")
    seen = os.stat(other)
    (skipped,) = read(item._replace(identity=(seen.st_dev, seen.st_ino)))  # even one it would have allowed
    assert isinstance(skipped, Skipped) and skipped.reason.startswith("cannot read file")


def test_json_with_an_integer_python_will_not_read_is_skipped_with_its_reason(tmp_path):
    huge = "9" * 5000
    (tmp_path / "one.json").write_text('[{"id": "b", "n": ' + huge + ', "text": "x"}]')
    (tmp_path / "lines.jsonl").write_text('{"id": "c", "n": ' + huge + ', "text": "x"}\n')
    docs, skipped = _read(str(tmp_path / "one.json"), str(tmp_path / "lines.jsonl"))
    assert docs == [] and sorted(s.source.rsplit("/", 1)[-1] for s in skipped) == ["lines.jsonl:1", "one.json"]
    assert all(s.reason.startswith("JSON not read: Exceeds the limit") and "sys." not in s.reason for s in skipped)
