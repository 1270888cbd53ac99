"""WARC files (.warc, .warc.gz) as written by wget, Heritrix, browsertrix or
Common Crawl, and Common Crawl's WET files (.warc.wet.gz): pages become
documents, streamed one record at a time, so a WARC of any size needs only
the memory of one record (at most ``limits.page_bytes`` or
``limits.document_bytes`` of it).

Each HTML ``response`` (or ``resource``) record is extracted like a saved
page, with the record's target URI as its URL and its WARC date as the
crawl date (the publication date of last resort); its id is that URL (made
unique within the run: ``URL#2`` for a second capture). Text ``conversion``
records (what WET files hold) are text documents. Other responses (images,
scripts, redirects, errors) and ``revisit`` records are listed as skipped
with the reason; ``request``, ``metadata`` and ``warcinfo`` records describe
the crawl, not pages, and are passed over.

A damaged file never stops a run: a record warcio cannot parse ends the
file with a skip that says where, and what was read before it is kept.
"""

from __future__ import annotations

import contextlib
import gzip
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wiretrace.dates import parse_published
from wiretrace.records import Document, Skipped
from wiretrace.sites import site_of

__all__ = ["read_warc"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = ("text/plain",)
_NOT_PAGES = ("request", "metadata", "warcinfo", "continuation")
# Content-Encodings warcio decodes itself; "br" only when brotli is importable.
_DECODED = ("gzip", "x-gzip", "deflate", "identity")
# A title is a line, not a paragraph (as for .txt files).
_TITLE_CHARS = 300


def _brotli_available() -> bool:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return False
    return True


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


def unique_id(uri: str, ids: dict[str, int]) -> str:
    """``uri`` the first time, then ``uri#2``, ``uri#3``... (never an id
    given before).

    Example:
        >>> ids = {}
        >>> [unique_id("https://a.example/x", ids) for _ in range(3)]
        ['https://a.example/x', 'https://a.example/x#2', 'https://a.example/x#3']
    """
    if uri not in ids:
        ids[uri] = 1
        return uri
    count = ids[uri]
    while True:
        count += 1
        candidate = f"{uri}#{count}"
        if candidate not in ids:
            ids[uri] = count
            ids[candidate] = 1
            return candidate


def read_warc(
    path: Path, rel: str, limits: Any = None, ids: dict[str, int] | None = None
) -> Iterator[Document | Skipped]:
    """Documents and skipped records of one WARC file.

    Args:
        path: The .warc, .warc.gz or .warc.wet.gz file.
        rel: Its path as shown in ids of records without a target URI
            (``rel#offset`` locates a record).
        limits: A :class:`wiretrace.readers.Limits` (packaged defaults when
            omitted).
        ids: Ids given so far in this run (URLs are made unique across files).
    """
    from wiretrace.readers import Limits

    limits = limits or Limits()
    ids = {} if ids is None else ids
    source = str(path)
    if ".wat" in [s.lower() for s in path.suffixes]:
        yield Skipped(source, "WAT file (metadata about pages, no article text): scan the WARC or WET files instead")
        return
    if not _looks_like_warc(path):
        yield Skipped(source, "not a WARC file (it does not start with a WARC/ or ARC header)")
        return
    seen: Counter[str] = Counter()
    produced = 0
    for item in _records(path, source, rel, limits, ids, seen):
        produced += 1
        yield item
    if not produced:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(seen.items())) or "none"
        yield Skipped(source, f"no page or text records in this WARC (records: {kinds})")


def _records(path: Path, source: str, rel: str, limits: Any, ids: dict[str, int], seen: Counter) -> Iterator[Any]:
    """Every record's document or skip. A record warcio cannot parse is
    skipped and reading resumes at the next record start found after it. A
    WARC compressed as one gzip member (``gzip crawl.warc``), of which warcio
    reads only the first record, is read again through Python's gzip."""
    gzipped = _looks_gzipped(path)
    state = _State()
    with open(path, "rb") as handle:
        start: int | None = 0
        while start is not None:
            handle.seek(start)
            start = yield from _iterate(handle, source, rel, limits, ids, seen, state, resync=gzipped, base=start)
        if not state.single_member:
            return
    with gzip.open(path, "rb") as stream:
        yield from _iterate(stream, source, rel, limits, ids, seen, _State(skip=state.records), resync=None, base=0)


def _looks_gzipped(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


# Where a record can start: a gzip member (per-record compression, as WARCs
# are written) or a WARC version line.
_GZIP_MEMBER = b"\x1f\x8b\x08"
_WARC_LINE = b"\nWARC/1."
_RESYNC_CHUNK = 1 << 20


def _next_start(handle, after: int, gzipped: bool) -> int | None:
    """Offset of the first possible record start after ``after``, or None."""
    marker = _GZIP_MEMBER if gzipped else _WARC_LINE
    skip = 0 if gzipped else 1  # the WARC line starts after its newline
    position = after + 1 - skip
    handle.seek(position)
    carry = b""
    while True:
        chunk = handle.read(_RESYNC_CHUNK)
        if not chunk:
            return None
        data = carry + chunk
        found = data.find(marker)
        if found >= 0:
            return position - len(carry) + found + skip
        carry = data[-(len(marker) - 1) :]
        position += len(chunk)


class _State:
    def __init__(self, skip: int = 0) -> None:
        self.records = 0  # records read so far
        self.skip = skip  # records already read in a first pass
        self.single_member = False
        self.read_ids: set[str] = set()


def _archive_iterator(stream):
    """warcio's iterator, with a loader that lets a record without a target
    URI through (warcio fails on it; the record is then skipped here)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.recordloader import ArcWarcRecordLoader

    class Loader(ArcWarcRecordLoader):
        def load_http_headers(self, rec_type, uri, stream, length):
            return super().load_http_headers(rec_type, uri or "", stream, length)

    records = ArchiveIterator(stream)
    records.loader = Loader()
    return records


def _iterate(stream, source: str, rel: str, limits: Any, ids: dict[str, int], seen: Counter, state: _State,
             resync: bool | None, base: int) -> Iterator[Any]:
    """Records from the stream's position (``base``) on; returns where to
    resume (after a record warcio could not parse: always past ``base``, so
    reading moves forward) or None at the end. ``resync``: whether the
    stream is gzipped, None not to resume."""
    try:
        records = _archive_iterator(stream)
    except Exception as exc:  # warcio raises assorted types on hostile input
        yield Skipped(source, f"WARC unreadable: {exc.__class__.__name__}: {_short(exc)}")
        return None
    last = base
    while True:
        try:
            with contextlib.redirect_stderr(io.StringIO()):  # warcio's warnings about the previous record's end
                record = next(records)
        except StopIteration:
            yield from _cut_header(stream, source, getattr(records, "offset", None), resync)
            return None
        except Exception as exc:  # warcio raises assorted types on hostile input
            # (Not after a resync: the records of the two passes would not line up.)
            if "non-chunked gzip" in str(exc) and not state.skip and base == 0:
                state.single_member = True
                return None
            # Resume past the last record read too: the failure can lie inside its gzip member.
            failed_at = getattr(records, "offset", None)
            return (yield from _unreadable(stream, source, failed_at, exc, resync, max(base, last)))
        state.records += 1
        if state.records <= state.skip:
            continue
        offset = last = records.offset
        warcio_says = io.StringIO()
        try:
            with contextlib.redirect_stderr(warcio_says):
                item = _record(record, records, source, rel, limits, ids, seen, state)
        except Exception as exc:  # a record warcio cannot read further
            return (yield from _unreadable(stream, source, offset, exc, resync, base))
        complaint = " ".join(warcio_says.getvalue().split())
        if complaint and not isinstance(item, Skipped) and item is not None:
            # warcio reports a body that stops decompressing on stderr and cuts it there
            item_id = item.id if isinstance(item, Document) else item.doc_id
            item = Skipped(item.source, f"corrupt record body: {complaint[:200]}", id=item_id)
        if item is not None:
            yield item


def _cut_header(stream, source: str, offset: int | None, resync: bool | None) -> Iterator[Skipped]:
    """warcio ends quietly when the file ends inside a record's header: say so."""
    if resync is None or not isinstance(offset, int):
        return
    try:
        stream.seek(offset)
        tail = stream.read(64)
    except (OSError, ValueError):
        return
    if tail.strip():
        yield Skipped(f"{source}#{offset}", "WARC cut inside a record header (the file ends in the middle of a record)")


def _unreadable(
    stream, source: str, offset: int | None, exc: Exception, resync: bool | None, base: int
) -> Iterator[Skipped]:
    """The skip of a record warcio failed on, and where to resume: the
    first record start after both the failure and ``base``."""
    where = f"{source}#{offset if offset is not None else '?'}"
    what = f"{exc.__class__.__name__}: {_short(exc)}"
    resume = None
    if resync is not None:
        after = max(offset, base) if isinstance(offset, int) else base
        resume = _next_start(stream, after, resync)
    if resume is None:
        yield Skipped(where, f"WARC unreadable from here on (truncated or corrupt): {what}")
    else:
        reason = f"WARC record unreadable (truncated or corrupt): {what}; reading resumed at offset {resume}"
        yield Skipped(where, reason)
    return resume


def _record(record, records, source: str, rel: str, limits: Any, ids: dict[str, int], seen: Counter, state: _State):
    """One record's document, page, skip, or None (not a page)."""
    from wiretrace.readers import html_document

    kind = record.rec_type
    seen[str(kind)] += 1
    if kind in _NOT_PAGES:
        return None
    where = f"{source}#{records.offset}"
    headers = record.rec_headers
    uri = headers.get_header("WARC-Target-URI")
    if not uri:
        reason = f"{kind} record without WARC-Target-URI (the page it holds is unknown)"
        return Skipped(where, reason, id=f"{rel}#{records.offset}")
    record_id = unique_id(uri, ids)
    if headers.get_header("Content-Length") is None:
        reason = f"{kind} record without Content-Length (truncated or corrupt header): {uri}"
        return Skipped(where, reason, id=record_id)
    if kind == "revisit":
        return Skipped(where, f"revisit record of {uri} (duplicate capture, no content)", id=record_id)
    if kind not in ("response", "resource", "conversion"):
        return Skipped(where, f"unsupported WARC record type {kind!r}", id=record_id)
    if kind == "conversion":
        refers = headers.get_header("WARC-Refers-To")
        if refers and refers in state.read_ids:
            return Skipped(where, f"text conversion of {uri}, whose page was read from this WARC", id=record_id)
    status = record.http_headers.get_statuscode() if record.http_headers is not None else "200"
    if status and not str(status).startswith("2"):
        return Skipped(where, f"HTTP status {status} for {uri}", id=record_id)
    media, charset = _content_type(record)
    is_text = kind == "conversion" and media in _TEXT_TYPES + ("",)
    if media not in _HTML_TYPES and not is_text:
        return Skipped(where, f"not an HTML page ({media or 'no content type'}): {uri}", id=record_id)
    encoding = (record.http_headers.get_header("Content-Encoding") or "").strip().lower() if record.http_headers else ""
    if encoding and encoding not in _DECODED:
        if encoding != "br" or not _brotli_available():
            need = " (install the brotli package to read it)" if encoding == "br" else ""
            reason = f"HTTP body encoded as {encoding!r}, which cannot be decoded{need}: {uri}"
            return Skipped(where, reason, id=record_id)
    cap, limit = (limits.document_bytes, "document_bytes") if is_text else (limits.page_bytes, "page_bytes")
    try:
        payload = _brotli_payload(record, cap) if encoding == "br" else record.content_stream().read(cap + 1)
    except Exception as exc:  # decompression/chunking errors of one record
        reason = f"truncated or corrupt record payload: {exc.__class__.__name__}: {_short(exc)}"
        return Skipped(where, reason, id=record_id)
    if len(payload) > cap:
        return Skipped(where, f"record payload larger than limits.{limit} = {cap:,} bytes: {uri}", id=record_id)
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:  # fewer bytes than the record's Content-Length: the file was cut
        return Skipped(where, f"truncated record: {missing} of {record.length} bytes missing ({uri})", id=record_id)
    warc_id = headers.get_header("WARC-Record-ID")
    if warc_id:
        state.read_ids.add(warc_id)
    crawl_date = headers.get_header("WARC-Date")
    if is_text:
        return _text_record(payload, where, record_id, uri, crawl_date, charset)
    return html_document(payload, where, record_id, url=uri, crawl_date=crawl_date, charset=charset)


_BROTLI_CHUNK = 1 << 16


def _brotli_payload(record, cap: int) -> bytes:
    """A brotli-encoded HTTP body, decoded as a stream: at most ``cap + 1``
    bytes come out, however much the input would inflate to. (warcio's own
    brotli support does not work with the brotli package's current API.)"""
    import brotli
    from warcio.bufferedreaders import ChunkedDataReader

    stream = record.raw_stream
    if (record.http_headers.get_header("Transfer-Encoding") or "").lower() == "chunked":
        stream = ChunkedDataReader(stream)
    decompressor = brotli.Decompressor()
    out: list[bytes] = []
    room = cap + 1
    while room > 0:
        chunk = stream.read(_BROTLI_CHUNK)
        if not chunk:
            break
        piece = decompressor.process(chunk, output_buffer_limit=room)
        out.append(piece)
        room -= len(piece)
        while room > 0 and not decompressor.can_accept_more_data():
            piece = decompressor.process(b"", output_buffer_limit=room)
            out.append(piece)
            room -= len(piece)
    if room > 0 and not decompressor.is_finished():
        raise ValueError("brotli stream ends before its end marker")
    return b"".join(out)[: cap + 1]


def _text_record(payload: bytes, where: str, record_id: str, uri: str, crawl_date: str | None, charset: str | None):
    """A text conversion (a WET record): the page's text as extracted by the crawler."""
    from wiretrace.readers import _valid_unicode

    try:
        text = payload.decode(charset or "utf-8")
    except (UnicodeDecodeError, LookupError):
        text = payload.decode("utf-8", "replace")
    text = _valid_unicode(text.replace("\x00", ""))
    if not text.strip():
        return Skipped(where, f"empty text conversion of {uri}", id=record_id)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    published = parse_published(crawl_date)[0] if crawl_date else None
    from wiretrace.extract import _clean_url

    return Document(
        id=record_id,
        text=text,
        url=_clean_url(uri),
        title=first if len(first) <= _TITLE_CHARS else None,
        site=site_of(uri),
        published=published,
        published_source="crawl" if published else None,
        source=where,
    )


def _short(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
