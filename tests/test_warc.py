"""WARC input: a real multi-record WARC written with warcio, with non-HTML
records, an error page, a revisit, a legacy-encoded page and a truncated
record at the end."""

from __future__ import annotations

import io
import json

import pytest

from wiretrace import scan

from conftest import story

warcio = pytest.importorskip("warcio")
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402


def _page(title: str, paragraphs: list[str], head: str = "", charset: str = "utf-8") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html lang='en'><head><meta charset='{charset}'><title>{title}</title>{head}</head><body>"
        f"<nav>Home | News | Sport</nav><article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright 2026 Example Media</footer></body></html>"
    )


def _response(writer, uri, body: bytes, content_type="text/html; charset=utf-8", status="200 OK", date="2026-03-04T10:00:00Z"):
    headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        uri, "response", payload=io.BytesIO(body), http_headers=headers, warc_headers_dict={"WARC-Date": date}
    )
    writer.write_record(record)


def _write_warc(path, gzip: bool) -> None:
    original = story(21, 500).split("\n\n")
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test-crawler/1.0"}))
        request = writer.create_warc_record(
            "https://wire.example.com/story", "request", payload=io.BytesIO(b"GET /story HTTP/1.1\r\nHost: wire.example.com\r\n\r\n"),
            warc_headers_dict={"WARC-Date": "2026-03-04T09:59:59Z"},
        )
        writer.write_record(request)
        meta = '<meta property="article:published_time" content="2026-03-04T08:00:00Z">'
        _response(writer, "https://wire.example.com/story", _page("Cranes idle", original, meta).encode())
        legacy = _page("Caf\u00e9 owners \u201crelieved\u201d", original[:6], charset="windows-1252")
        _response(
            writer, "https://www.repost.example.org/cafe?utm_medium=social", legacy.encode("cp1252"),
            content_type="text/html; charset=windows-1252", date="2026-03-05T12:00:00Z",
        )
        _response(writer, "https://wire.example.com/logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
        _response(writer, "https://wire.example.com/missing", _page("Not found", ["Sorry."]).encode(), status="404 Not Found")
        revisit = writer.create_revisit_record(
            "https://wire.example.com/story", digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            refers_to_uri="https://wire.example.com/story", refers_to_date="2026-03-04T10:00:00Z",
        )
        writer.write_record(revisit)
        _response(writer, "https://third.example.net/late", _page("Third", story(22, 300).split("\n\n")).encode(), date="2026-03-06T00:00:00Z")


@pytest.mark.parametrize("gzip", [False, True])
def test_warc_html_responses_become_documents(tmp_path, gzip):
    path = tmp_path / ("crawl.warc.gz" if gzip else "crawl.warc")
    _write_warc(path, gzip)
    report = scan([path])
    docs = {d["url"]: d for d in report.documents}
    assert sorted(docs) == [
        "https://third.example.net/late",
        "https://wire.example.com/story",
        "https://www.repost.example.org/cafe",  # cleaned URL
    ]
    wire, repost = docs["https://wire.example.com/story"], docs["https://www.repost.example.org/cafe"]
    assert (wire["published"], wire["published_source"]) == ("2026-03-04T08:00:00+00:00", "metadata")
    assert repost["title"] == "Caf\u00e9 owners \u201crelieved\u201d"  # windows-1252 decoded
    assert repost["published_source"] in ("htmldate", "crawl")
    assert repost["site"] == "example.org"
    # Ids are the records' target URIs, made unique (the revisit of the story is its second capture).
    assert sorted(d["id"] for d in report.documents) == [
        "https://third.example.net/late",
        "https://wire.example.com/story",
        "https://www.repost.example.org/cafe?utm_medium=social",
    ]
    assert "https://wire.example.com/story#2" in {s["id"] for s in report.skipped}
    # The legacy-encoded repost holds the first six paragraphs of the wire story.
    assert [sorted(c["members"]) for c in report.clusters] == [sorted([wire["id"], repost["id"]])]
    reasons = sorted(s["reason"].split(" ")[0] + " " + s["reason"].split(" ")[1] for s in report.skipped)
    assert reasons == ["HTTP status", "not an", "revisit record"]


def test_truncated_warc_keeps_what_was_read_and_says_where_it_stopped(tmp_path):
    path = tmp_path / "cut.warc.gz"
    _write_warc(path, gzip=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])  # cut inside the last record
    report = scan([path])
    urls = {d["url"] for d in report.documents}
    assert "https://wire.example.com/story" in urls
    assert "https://third.example.net/late" not in urls
    assert any("truncated" in s["reason"] or "corrupt" in s["reason"] for s in report.skipped)


def test_garbage_with_warc_suffix_is_skipped(tmp_path):
    path = tmp_path / "junk.warc"
    path.write_bytes(b"this is not a WARC file at all\n" * 10)
    report = scan([path])
    assert report.documents == [] and len(report.skipped) == 1
    assert "WARC" in report.skipped[0]["reason"]


def test_field_id_url_is_accepted_for_warc_and_keeps_the_url_ids(tmp_path):
    from wiretrace.cli import main

    path = tmp_path / "crawl.warc.gz"
    _write_warc(path, True)
    assert main(["scan", str(path), "--field", "id=url", "--out", str(tmp_path / "out"), "-q"]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert sorted(d["id"] for d in report["documents"]) == sorted(d["id"] for d in scan([path]).documents)
    assert all(d["id"].startswith("https://") for d in report["documents"])
