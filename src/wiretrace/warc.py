"""WARC files (.warc, .warc.gz) as written by wget, Heritrix, browsertrix or
Common Crawl: HTML responses become documents, streamed one record at a
time, so a WARC of any size needs only the memory of one record.

Each HTML ``response`` (or ``resource``) record is extracted like a saved
page, with the record's target URI as its URL and its WARC date as the
crawl date (the publication date of last resort). Other responses (images,
scripts, redirects, errors) and ``revisit`` records are listed as skipped
with the reason; ``request``, ``metadata`` and ``warcinfo`` records describe
the crawl, not pages, and are passed over.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from wiretrace.records import Document, Skipped

__all__ = ["read_warc"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_NOT_PAGES = ("request", "metadata", "warcinfo", "conversion", "continuation")


def _content_type(record) -> tuple[str, str | None]:
    """(media type, charset) of a record's payload."""
    headers = record.http_headers
    raw = headers.get_header("Content-Type") if headers is not None else record.rec_headers.get_header("Content-Type")
    raw = raw or ""
    media = raw.split(";", 1)[0].strip().lower()
    charset = None
    for part in raw.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media, charset


def _looks_like_warc(path: Path) -> bool:
    """Whether the file starts like a WARC (or ARC) file, gzipped or not."""
    import gzip
    import zlib

    with open(path, "rb") as handle:
        head = handle.read(64)
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as handle:
                head = handle.read(64)
        except (OSError, EOFError, zlib.error):
            return False
    return head.startswith((b"WARC/", b"filedesc://"))


def read_warc(path: Path, rel: str) -> Iterator[Document | Skipped]:
    """Documents and skipped records of one WARC file.

    Args:
        path: The .warc or .warc.gz file.
        rel: Its path as shown in ids (``rel#offset`` locates a record).
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    from wiretrace.readers import html_document

    source = str(path)
    if not _looks_like_warc(path):
        yield Skipped(source, "not a WARC file (it does not start with a WARC/ or ARC header)")
        return
    with open(path, "rb") as handle:
        records = ArchiveIterator(handle)
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
                offset = records.offset if hasattr(records, "offset") else "?"
                yield Skipped(f"{source}#{offset}", f"WARC unreadable from here on (truncated or corrupt): {exc}")
                return
            kind = record.rec_type
            if kind in _NOT_PAGES:
                continue
            where = f"{source}#{records.offset}"
            uri = record.rec_headers.get_header("WARC-Target-URI")
            record_id = record.rec_headers.get_header("WARC-Record-ID") or f"{rel}#{records.offset}"
            if kind == "revisit":
                yield Skipped(where, f"revisit record of {uri} (duplicate capture, no content)", id=record_id)
                continue
            if kind not in ("response", "resource"):
                yield Skipped(where, f"unsupported WARC record type {kind!r}", id=record_id)
                continue
            status = record.http_headers.get_statuscode() if record.http_headers is not None else "200"
            if status and not str(status).startswith("2"):
                yield Skipped(where, f"HTTP status {status} for {uri}", id=record_id)
                continue
            media, charset = _content_type(record)
            if media not in _HTML_TYPES:
                yield Skipped(where, f"not an HTML page ({media or 'no content type'}): {uri}", id=record_id)
                continue
            try:
                payload = record.content_stream().read()
            except Exception as exc:  # decompression/chunking errors of one record
                yield Skipped(where, f"truncated or corrupt record payload: {exc.__class__.__name__}: {exc}", id=record_id)
                continue
            missing = getattr(record.raw_stream, "limit", 0)
            if missing:  # fewer bytes than the record's Content-Length: the file was cut
                yield Skipped(where, f"truncated record: {missing} of {record.length} bytes missing ({uri})", id=record_id)
                continue
            crawl_date = record.rec_headers.get_header("WARC-Date")
            yield html_document(payload, where, record_id, url=uri, crawl_date=crawl_date, charset=charset)
