"""Hostile and unusual inputs (issue 12): each case is built here from
scratch, and each must end as documents or skips with a reason — never an
exception, a hang, or documents read before it lost."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import os
import signal
import sys
import time
import tracemalloc
from contextlib import contextmanager

import pytest

from wiretrace import Config, scan
from wiretrace.cli import main
from wiretrace.readers import Limits, read_inputs
from wiretrace.records import Document, Skipped

from conftest import story

FIELDS = Config().fields


def _read(*inputs, limits: Limits | None = None):
    items = list(read_inputs(inputs, FIELDS, limits=limits))
    assert all(isinstance(i, (Document, Skipped)) for i in items)
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, Skipped)]


class _Hang(BaseException):
    """Raised by the deadline alarm: a BaseException, so that no
    ``except Exception`` in the code under test can swallow it."""


@contextmanager
def _deadline(seconds: int):
    """Fail (instead of hanging the suite) when the block takes longer."""

    def expired(signum, frame):
        raise _Hang(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _page(title: str, seed: int) -> str:
    body = "".join(f"<p>{p}</p>" for p in story(seed, 300).split("\n\n"))
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"


# --- JSON nested too deeply -------------------------------------------------

DEEP = "[" * 5000 + "]" * 5000


def test_deeply_nested_json_lines_are_skipped_and_the_others_kept(tmp_path):
    path = tmp_path / "deep.jsonl"
    lines = [
        json.dumps({"id": "before", "text": story(1)}),
        '{"id": "deep", "text": "x", "nested": ' + DEEP + "}",
        DEEP,
        json.dumps({"id": "after", "text": story(2)}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, skipped = _read(path)
    assert [d.id for d in docs] == ["before", "after"]
    assert [s.source for s in skipped] == [f"{path}:2", f"{path}:3"]
    assert all("nested too deeply" in s.reason for s in skipped)


def test_deeply_nested_json_file_is_skipped(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(DEEP, encoding="utf-8")
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"id": "g", "text": story(3)}) + "\n", encoding="utf-8")
    report = scan([path, good])
    assert [d["id"] for d in report.documents] == ["g"]
    assert [s["reason"] for s in report.skipped if s["source"] == str(path)][0].startswith("JSON nested too deeply")


@pytest.mark.parametrize("command", ["eval", "html"])
def test_deeply_nested_report_is_a_usage_error_not_a_crash(tmp_path, command, capsys):
    report = tmp_path / "report.json"
    report.write_text('{"format": "wiretrace-report", "x": ' + DEEP + "}", encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text("", encoding="utf-8")
    argv = [command, str(report)] + (["--gold", str(gold)] if command == "eval" else [])
    assert main(argv) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_deeply_nested_gold_labels_are_a_usage_error(tmp_path, demo_report, capsys):
    out = tmp_path / "out"
    demo_report.write(out, html=False)
    gold = tmp_path / "gold.jsonl"
    gold.write_text(DEEP + "\n", encoding="utf-8")
    assert main(["eval", str(out / "report.json"), "--gold", str(gold)]) == 2
    assert "nested too deeply" in capsys.readouterr().err


# --- WARC ---------------------------------------------------------------------


def _warc_record(headers: dict[str, str], block: bytes, content_length: int | None = None) -> bytes:
    lines = ["WARC/1.0"] + [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(block) if content_length is None else content_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def _response(uri: str, html: bytes, n: int, extra_http: str = "") -> bytes:
    http = (
        f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n{extra_http}"
        f"Content-Length: {len(html)}\r\n\r\n"
    ).encode() + html
    headers = {
        "WARC-Type": "response",
        "WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>",
        "WARC-Date": "2026-03-04T10:00:00Z",
        "WARC-Target-URI": uri,
        "Content-Type": "application/http; msgtype=response",
    }
    return _warc_record(headers, http)


def _two_pages() -> bytes:
    return _response("https://a.example.com/one", _page("One", 1).encode(), 1) + _response(
        "https://b.example.com/two", _page("Two", 2).encode(), 2
    )


def test_warc_record_without_target_uri_is_skipped_and_the_others_kept(tmp_path):
    page = _page("Nameless", 3).encode()
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + page
    nameless = _warc_record({"WARC-Type": "response", "WARC-Date": "2026-03-04T10:00:00Z",
                             "Content-Type": "application/http; msgtype=response"}, http)
    path = tmp_path / "crawl.warc"
    path.write_bytes(_response("https://a.example.com/one", _page("One", 1).encode(), 1) + nameless
                     + _response("https://b.example.com/two", _page("Two", 2).encode(), 2))
    docs, skipped = _read(path)
    assert [d.id for d in docs] == ["https://a.example.com/one", "https://b.example.com/two"]
    assert len(skipped) == 1 and "without WARC-Target-URI" in skipped[0].reason


def test_warc_cut_inside_a_record_header_keeps_the_records_before(tmp_path):
    whole = _two_pages()
    third = _response("https://c.example.com/three", _page("Three", 3).encode(), 3)
    header_end = third.index(b"\r\n\r\n")
    path = tmp_path / "cut.warc"
    # Every cut point inside the third record's WARC and HTTP headers.
    http_end = third.index(b"\r\n\r\n", header_end + 4)
    for cut in range(1, http_end + 2, 7):
        path.write_bytes(whole + third[:cut])
        docs, skipped = _read(path)
        assert [d.id for d in docs] == ["https://a.example.com/one", "https://b.example.com/two"], cut
        assert skipped and all(s.reason for s in skipped), cut


def test_warc_record_with_a_huge_content_length_is_skipped(tmp_path):
    page = _page("Liar", 4).encode()
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + page
    liar = _warc_record({"WARC-Type": "response", "WARC-Target-URI": "https://c.example.com/liar",
                         "Content-Type": "application/http; msgtype=response"}, http, content_length=10**15)
    path = tmp_path / "liar.warc"
    path.write_bytes(_two_pages() + liar)
    docs, skipped = _read(path)
    assert [d.id for d in docs] == ["https://a.example.com/one", "https://b.example.com/two"]
    assert len(skipped) == 1 and "https://c.example.com/liar" in skipped[0].reason


def test_warc_payload_past_the_page_limit_is_skipped_without_reading_it_whole(tmp_path):
    inflated = 200_000_000
    head = b"<html><body><p>"
    http = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {inflated}\r\n\r\n".encode()
    warc_head = _warc_record({"WARC-Type": "response", "WARC-Target-URI": "https://a.example.com/big",
                              "Content-Type": "application/http; msgtype=response"}, b"", len(http) + inflated)
    path = tmp_path / "big.warc.gz"
    with gzip.open(path, "wb", compresslevel=1) as handle:  # one gzip member: also the plain-gzip case
        handle.write(warc_head[:-4] + http + head)
        chunk = b"a " * 500_000
        count, rest = divmod(inflated - len(head), len(chunk))
        for _ in range(count):
            handle.write(chunk)
        handle.write(b"a" * rest)
        handle.write(b"\r\n\r\n" + _two_pages())
    tracemalloc.start()
    try:
        docs, skipped = _read(path, limits=Limits(page_bytes=1_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [d.id for d in docs] == ["https://a.example.com/one", "https://b.example.com/two"]
    assert [s.id for s in skipped] == ["https://a.example.com/big"]
    assert "limits.page_bytes" in skipped[0].reason
    # The 200 MB page was never held whole (warcio inflates 16 kB blocks at once: tens of MB at most).
    assert peak < 100_000_000


def test_warc_compressed_with_plain_gzip_keeps_every_record(tmp_path):
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(_two_pages() + _response("https://c.example.com/three", _page("Three", 3).encode(), 3)))
    docs, skipped = _read(path)
    assert [d.id for d in docs] == ["https://a.example.com/one", "https://b.example.com/two", "https://c.example.com/three"]
    assert skipped == []


def test_brotli_encoded_body_is_decoded(tmp_path):
    brotli = pytest.importorskip("brotli")
    html = _page("Squeezed", 5).encode()
    path = tmp_path / "br.warc"
    path.write_bytes(_response("https://a.example.com/br", brotli.compress(html), 1, "Content-Encoding: br\r\n"))
    docs, skipped = _read(path)
    assert skipped == [] and [d.title for d in docs] == ["Squeezed"]
    assert " ".join(story(5, 300).split()[:20]) in docs[0].text


def test_brotli_body_without_brotli_is_skipped_saying_so(tmp_path, monkeypatch):
    from warcio.bufferedreaders import BufferedReader

    import wiretrace.warc

    monkeypatch.setattr(wiretrace.warc, "_brotli_available", lambda: False)
    monkeypatch.delitem(BufferedReader.DECOMPRESSORS, "br", raising=False)
    path = tmp_path / "br.warc"
    path.write_bytes(_response("https://a.example.com/br", b"\x1b\x8f\x00\xf8\x8d\x94\x05\x00", 1, "Content-Encoding: br\r\n")
                     + _response("https://b.example.com/two", _page("Two", 2).encode(), 2))
    docs, skipped = _read(path)
    assert [d.id for d in docs] == ["https://b.example.com/two"]
    assert "brotli" in skipped[0].reason and skipped[0].id == "https://a.example.com/br"


def test_common_crawl_wet_conversion_records_are_text_documents(tmp_path):
    info = _warc_record({"WARC-Type": "warcinfo", "Content-Type": "application/warc-fields"}, b"software: test\r\n")
    records = [info]
    for n, uri in enumerate(["https://a.example.com/one", "https://b.example.com/two"], start=1):
        text = f"Headline {n}\n" + story(n, 200)
        records.append(_warc_record({
            "WARC-Type": "conversion", "WARC-Target-URI": uri, "WARC-Date": "2026-03-04T10:00:00Z",
            "WARC-Record-ID": f"<urn:uuid:{n}>", "Content-Type": "text/plain",
        }, text.encode()))
    path = tmp_path / "CC-MAIN-1.warc.wet.gz"
    path.write_bytes(b"".join(gzip.compress(r) for r in records))
    docs, skipped = _read(path)
    assert skipped == []
    assert [(d.id, d.title, d.site, d.published_source) for d in docs] == [
        ("https://a.example.com/one", "Headline 1", "example.com", "crawl"),
        ("https://b.example.com/two", "Headline 2", "example.com", "crawl"),
    ]


def test_wat_files_and_warcs_without_pages_say_so(tmp_path):
    wat = tmp_path / "x.warc.wat.gz"
    wat.write_bytes(gzip.compress(_warc_record({"WARC-Type": "metadata"}, b"{}")))
    only_requests = tmp_path / "requests.warc"
    only_requests.write_bytes(_warc_record({"WARC-Type": "request", "WARC-Target-URI": "https://a.example.com/"}, b"GET /"))
    docs, skipped = _read(wat, only_requests)
    assert docs == []
    assert "WAT" in skipped[0].reason
    assert "no page or text records" in skipped[1].reason and "1 request" in skipped[1].reason


def test_warc_ids_are_urls_made_unique_across_files(tmp_path):
    (tmp_path / "a.warc").write_bytes(_response("https://a.example.com/one", _page("One", 1).encode(), 1))
    (tmp_path / "b.warc").write_bytes(_response("https://a.example.com/one", _page("One again", 6).encode(), 2))
    docs, _ = _read(tmp_path)
    assert [d.id for d in docs] == ["https://a.example.com/one", "https://a.example.com/one#2"]


# --- HTML pages too large to extract ------------------------------------------


def test_page_with_too_many_elements_is_skipped_in_bounded_time(tmp_path):
    path = tmp_path / "huge.html"
    path.write_text("<html><body>" + "<p>x</p>" * 80_000 + "</body></html>", encoding="utf-8")
    (tmp_path / "ok.html").write_text(_page("Fine", 7), encoding="utf-8")
    started = time.perf_counter()
    report = scan([tmp_path])
    assert time.perf_counter() - started < 10  # extracting it takes 10 s or more
    assert [d["title"] for d in report.documents] == ["Fine"]
    assert "limits.page_elements" in report.skipped[0]["reason"]


def test_page_limits_are_configurable(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(_page("Small", 8), encoding="utf-8")
    assert scan([path]).documents
    few = scan([path], max_page_elements=5)
    assert few.documents == [] and "limits.page_elements = 5" in few.skipped[0]["reason"]
    small = scan([path], max_page_bytes=100)
    assert small.documents == [] and "limits.page_bytes = 100" in small.skipped[0]["reason"]
    assert small.config["limits"]["page_bytes"] == 100


# --- folders: links, FIFOs, unreadable paths, our own outputs ------------------


def test_symlink_loops_are_skipped(tmp_path):
    (tmp_path / "good.txt").write_text(story(9), encoding="utf-8")
    os.symlink("self.txt", tmp_path / "self.txt")
    os.symlink("pong.txt", tmp_path / "ping.txt")
    os.symlink("ping.txt", tmp_path / "pong.txt")
    os.symlink(".", tmp_path / "here")  # a folder link: not followed, said so
    docs, skipped = _read(tmp_path)
    assert [d.id for d in docs] == [f"{tmp_path.name}/good.txt"]
    reasons = {os.path.basename(s.source): s.reason for s in skipped}
    assert set(reasons) == {"self.txt", "ping.txt", "pong.txt", "here"}
    assert all("loop" in reasons[n] for n in ("self.txt", "ping.txt", "pong.txt"))
    assert "folder" in reasons["here"]


def test_fifo_named_txt_is_skipped_not_waited_for(tmp_path):
    (tmp_path / "good.txt").write_text(story(10), encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")
    with _deadline(20):
        docs, skipped = _read(tmp_path)
    assert len(docs) == 1
    assert [(os.path.basename(s.source), "FIFO" in s.reason) for s in skipped] == [("pipe.txt", True)]


def test_unreadable_folder_is_a_skip(tmp_path, monkeypatch):
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "a.txt").write_text(story(11), encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.txt").write_text(story(12), encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)  # works as root too, where chmod 000 does not
    docs, skipped = _read(tmp_path)
    assert [d.id for d in docs] == [f"{tmp_path.name}/open/a.txt"]
    assert [(s.source, "Permission denied" in s.reason) for s in skipped] == [(str(locked), True)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_chmod_000_folder_and_file_are_skips(tmp_path):
    (tmp_path / "a.txt").write_text(story(11), encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.txt").write_text(story(12), encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text(story(13), encoding="utf-8")
    locked.chmod(0)
    secret.chmod(0)
    try:
        docs, skipped = _read(tmp_path)
    finally:
        locked.chmod(0o755)
        secret.chmod(0o644)
    assert len(docs) == 1
    assert sorted(os.path.basename(s.source) for s in skipped) == ["locked", "secret.txt"]


def test_own_output_folder_is_not_read_back(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text(story(14), encoding="utf-8")
    (tmp_path / "b.txt").write_text("Breaking: " + story(14), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["scan", ".", "-q"]) == 0  # writes ./wiretrace-out
    first = json.loads((tmp_path / "wiretrace-out" / "report.json").read_text(encoding="utf-8"))
    main(["scan", ".", "-q"])
    second = json.loads((tmp_path / "wiretrace-out" / "report.json").read_text(encoding="utf-8"))
    assert [d["id"] for d in second["documents"]] == [d["id"] for d in first["documents"]]
    assert [(s["source"], "own output" in s["reason"]) for s in second["skipped"]] == [("./wiretrace-out", True)]
    # Named directly, its report.json and report.html are not read either, nor a folder holding only the page.
    out = tmp_path / "wiretrace-out"
    docs, skipped = _read(out / "report.json", out / "report.html")
    assert docs == [] and [s.reason for s in skipped] == [
        "wiretrace's own report.json; not read as input", "wiretrace's own report.html; not read as input"
    ]
    (out / "report.json").unlink()
    docs, skipped = _read(tmp_path)
    assert len(docs) == 2 and [s.source for s in skipped] == [str(out)]
    # A folder holding only the lock file every scan leaves (as while the first scan reads) is ours too.
    for name in os.listdir(out):
        if name != ".wiretrace.lock":
            os.unlink(out / name)
    docs, skipped = _read(tmp_path)
    assert len(docs) == 2 and [s.source for s in skipped] == [str(out)]


def test_scanning_the_output_folder_itself_reads_its_inputs_not_its_outputs(tmp_path):
    (tmp_path / "a.txt").write_text(story(14), encoding="utf-8")
    (tmp_path / "b.txt").write_text("Breaking: " + story(14), encoding="utf-8")
    assert main(["scan", str(tmp_path), "--out", str(tmp_path), "-q"]) == 0
    first = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    main(["scan", str(tmp_path), "--out", str(tmp_path), "-q"])
    second = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [d["id"] for d in second["documents"]] == [d["id"] for d in first["documents"]] != []
    assert {os.path.basename(s["source"]) for s in second["skipped"]} >= {"report.json", "pairs.csv", "report.html"}
    assert all("own output" in s["reason"] for s in second["skipped"])


# --- compressed inputs ---------------------------------------------------------


def _zstd(data: bytes) -> bytes:
    zstandard = pytest.importorskip("zstandard")
    return zstandard.ZstdCompressor().compress(data)


COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress, ".zst": _zstd}


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_every_compression_reads_the_same_records(tmp_path, suffix):
    records = [{"id": f"r{i}", "text": story(i)} for i in range(3)]
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    path = tmp_path / f"records.jsonl{suffix}"
    path.write_bytes(COMPRESSORS[suffix](data))
    text = tmp_path / f"story.txt{suffix}"
    text.write_bytes(COMPRESSORS[suffix](story(5).encode()))
    docs, skipped = _read(path, text)
    assert skipped == []
    assert [d.id for d in docs] == ["r0", "r1", "r2", f"story.txt{suffix}"]
    assert docs[0].text == story(0) and docs[3].text == story(5)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compression_bomb_is_capped_and_streamed(tmp_path, suffix):
    compress = COMPRESSORS[suffix]
    block = compress(b"a " * 500_000)  # 1 MB once inflated; members concatenate
    bomb = tmp_path / f"bomb.txt{suffix}"
    bomb.write_bytes(block * 100)  # 100 MB once inflated
    lines = tmp_path / f"lines.jsonl{suffix}"
    good = json.dumps({"id": "ok", "text": story(15)}).encode()
    long_line = compress(b'{"text": "') + compress(b"a" * 1_000_000) * 40 + compress(b'"}\n')
    lines.write_bytes(compress(good + b"\n") + long_line + compress(good.replace(b'"ok"', b'"ok2"') + b"\n"))
    tracemalloc.start()
    try:
        docs, skipped = _read(bomb, lines, limits=Limits(document_bytes=1_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [d.id for d in docs] == ["ok", "ok2"]
    assert [(s.source, "limits.document_bytes" in s.reason) for s in skipped] == [(str(bomb), True), (f"{lines}:2", True)]
    assert peak < 20_000_000  # neither the 100 MB text nor the 40 MB line was held (xz's window alone is 8 MB)


def test_csv_row_past_the_limit_keeps_the_rows_before(tmp_path):
    path = tmp_path / "big.csv.gz"
    rows = [["id", "text"], ["a", story(16)], ["b", "x" * 2_000_000], ["c", story(17)]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(gzip.compress(buffer.getvalue().encode()))
    docs, skipped = _read(path, limits=Limits(document_bytes=1_000_000))
    assert [d.id for d in docs] == ["a"]
    assert "the rest of the file is not read" in skipped[0].reason and "limits.document_bytes" in skipped[0].reason


def test_zstd_without_zstandard_is_a_skip(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)
    path = tmp_path / "a.txt.zst"
    path.write_bytes(b"(\xb5/\xfd\x00\x00")
    docs, skipped = _read(path)
    assert docs == [] and "zstandard" in skipped[0].reason


# --- decoding -----------------------------------------------------------------


@pytest.mark.parametrize("padding", ["", " "])  # an even byte count decodes as UTF-16 without error
def test_utf8_page_declaring_utf16_is_read_as_a_browser_would(tmp_path, padding):
    from wiretrace.extract import decode_html

    title = "Caf\u00e9 owners \u201crelieved\u201d"
    html = (_page(title, 18).replace("charset='utf-8'", "charset='utf-16'") + padding).encode("utf-8")
    path = tmp_path / "liar.html"
    path.write_bytes(html)
    docs, skipped = _read(path)
    assert skipped == [] and docs[0].title == title
    # Declared by the server (a WARC's HTTP header) instead of the page:
    assert title in decode_html(html, "utf-16")[0]
    assert title in decode_html(html, "utf-16le")[0]
    # A real UTF-16 page (with its BOM) still decodes as UTF-16.
    real = _page(title, 18).replace("charset='utf-8'", "charset='utf-16'").encode("utf-16")
    assert title in decode_html(real, "utf-16")[0]


# --- standard input, Parquet, CSV columns -----------------------------------------


def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))


@pytest.mark.parametrize("compress", [False, True])
def test_standard_input_jsonl(monkeypatch, compress):
    data = "".join(json.dumps({"id": f"s{i}", "text": story(i)}) + "\n" for i in range(2)).encode()
    _stdin(monkeypatch, gzip.compress(data) if compress else data)
    docs, skipped = _read("-")
    assert [d.id for d in docs] == ["s0", "s1"] and skipped == []


def test_standard_input_text_and_named_twice(monkeypatch):
    _stdin(monkeypatch, story(19).encode())
    docs, skipped = _read("-", "-")
    assert [(d.id, d.text) for d in docs] == [("stdin", story(19))]
    assert "twice" in skipped[0].reason


def test_standard_input_through_the_cli(monkeypatch, tmp_path, capsys):
    text = story(20)
    data = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in (("a", text), ("b", "Update: " + text)))
    _stdin(monkeypatch, data.encode())
    assert main(["scan", "-", "-o", str(tmp_path / "out"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["documents"] == 2 and summary["clusters"] == 1


def test_parquet_reads_like_jsonl(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    from datetime import datetime, timezone

    table = pa.table({
        "id": ["p1", "p2", "p3"],
        "text": [story(21), story(22), None],
        "url": ["https://www.example.co.uk/a", None, None],
        "date": [datetime(2026, 3, 1, 9, tzinfo=timezone.utc), None, None],
    })
    path = tmp_path / "data.parquet"
    pq.write_table(table, path, row_group_size=2)
    docs, skipped = _read(path)
    assert [(d.id, d.site, d.published) for d in docs] == [
        ("p1", "example.co.uk", "2026-03-01T09:00:00+00:00"), ("p2", None, None)
    ]
    assert docs[0].text == story(21)
    assert [s.source for s in skipped] == [f"{path}:row 3"]


def test_parquet_damaged_or_without_text_column_is_a_skip(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"story_body": [story(23)], "link": ["x"]}), path)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(path.read_bytes()[:-20])
    docs, skipped = _read(path, broken)
    assert docs == []
    assert "'story_body'" in skipped[0].reason and "--field text=story_body" in skipped[0].reason
    assert "unreadable Parquet" in skipped[1].reason


def test_csv_with_unrecognised_columns_names_them(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("headline,story_body\nOne," + story(24) + "\nTwo," + story(25) + "\n", encoding="utf-8")
    docs, skipped = _read(path)
    assert docs == [] and len(skipped) == 1
    assert "'headline', 'story_body'" in skipped[0].reason
    assert "--field text=" in skipped[0].reason
    fields = dict(FIELDS, text=("story_body",))
    assert len([i for i in read_inputs([path], fields) if isinstance(i, Document)]) == 2


def test_warc_gzip_body_corrupt_midway_is_skipped_not_cut_short(tmp_path):
    html = _page("Long", 26).replace("</article>", "".join(f"<p>{p}</p>" for p in story(27, 20_000).split("\n\n")) + "</article>")
    body = bytearray(gzip.compress(html.encode()))
    assert len(body) > 20_000  # more than one of the 16 kB blocks warcio inflates at a time
    body[-2000] ^= 0xFF
    path = tmp_path / "corrupt.warc"
    path.write_bytes(_response("https://a.example.com/long", bytes(body), 1, "Content-Encoding: gzip\r\n") + _two_pages())
    docs, skipped = _read(path)
    assert [d.id for d in docs] == ["https://a.example.com/one", "https://b.example.com/two"]
    assert [s.id for s in skipped] == ["https://a.example.com/long"]
    assert "corrupt" in skipped[0].reason


def test_text_of_unicode_spaces_only_is_empty(tmp_path):
    # Found by the fuzz suite: bytes.strip() keeps U+2028 and U+3000, so this was a document without text.
    path = tmp_path / "spaces.txt"
    path.write_text("\u2028 \u3000\n", encoding="utf-8")
    docs, skipped = _read(path)
    assert docs == [] and "empty" in skipped[0].reason


def test_warc_junk_inside_a_cut_gzip_member_is_skipped_once_and_reading_ends(tmp_path):
    # Found by the fuzz suite: warcio gives an offset before the member that holds the junk; resuming
    # there read the record before the junk again, forever.
    one = _response("https://a.example.com/one", _page("One", 1).encode(), 1)
    two = _response("https://b.example.com/two", _page("Two", 2).encode(), 2)
    cut_member = gzip.compress(two + b"s tkunvos nn-b\r\n\r\n" + story(5, 300).encode())[:-20]
    path = tmp_path / "junk.warc.gz"
    path.write_bytes(gzip.compress(one) + cut_member)
    with _deadline(20):
        items = []
        for item in read_inputs([path], FIELDS):
            items.append(item)
            assert len(items) < 10, items
    assert [i.id for i in items if isinstance(i, Document)] == ["https://a.example.com/one", "https://b.example.com/two"]
    assert len([i for i in items if isinstance(i, Skipped)]) == 1


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_csv_line_endings_of_every_platform(tmp_path, ending):
    # Streaming splits lines on LF; CR-only files (Excel's "CSV (Macintosh)") must still give one row per line.
    path = tmp_path / "rows.csv"
    quoted = story(28, 60).replace("\n\n", ending)  # a multi-line cell
    first = story(29, 60).replace("\n\n", " ")
    path.write_bytes(ending.join(["id,text", f"a,{first}", f'b,"{quoted}"', "c,third row", ""]).encode())
    docs, skipped = _read(path)
    assert skipped == [] and [d.id for d in docs] == ["a", "b", "c"]
    assert docs[1].text == quoted and docs[2].text == "third row"


def test_utf16_text_with_its_bom_is_text_not_binary(tmp_path):
    title = "Caf\u00e9 owners \u201crelieved\u201d"
    (tmp_path / "notepad.txt").write_bytes((title + "\r\n" + story(30)).encode("utf-16"))
    docs, skipped = _read(tmp_path / "notepad.txt")
    assert skipped == [] and docs[0].title == title and docs[0].text.endswith(story(30))


def test_standard_input_from_a_terminal_is_not_waited_for(monkeypatch):
    class Terminal(io.TextIOWrapper):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(io.BufferedReader(io.BytesIO(b"never read"))))
    with _deadline(10):
        docs, skipped = _read("-")
    assert docs == [] and "terminal" in skipped[0].reason
