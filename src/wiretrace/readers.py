"""The read stage: turn the user's inputs into documents, or skip reasons.

Inputs are files, folders (walked recursively) or, through the Python API,
in-memory records (mappings). Every record either becomes a
:class:`~wiretrace.records.Document` or a :class:`~wiretrace.records.Skipped`
that says why; nothing is dropped silently and no bad record stops a run.
Only the files the user named, or files inside the folders they named, are
read: symbolic links leading elsewhere are skipped.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import multiprocessing
import os
import re
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wiretrace.dates import parse_published
from wiretrace.errors import InputError
from wiretrace.records import Document, Skipped
from wiretrace.sites import site_of

__all__ = ["read_inputs", "record_to_document", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (
    ".txt", ".text", ".html", ".htm", ".xhtml", ".warc", ".jsonl", ".ndjson", ".json", ".csv", ".tsv",
)
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_TEXT_FALLBACKS = ("cp1252", "latin-1")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Real exports carry whole articles in one CSV cell.
csv.field_size_limit(64 * 1024 * 1024)

Item = Document | Skipped


def read_inputs(inputs: Iterable[Any], fields: Mapping[str, tuple[str, ...]], workers: int = 1) -> Iterator[Item]:
    """Read every input, yielding documents and skipped records.

    Args:
        inputs: Paths (str or Path) to files or folders, and/or mappings
            (records with a ``text`` field, as in a JSONL file).
        fields: Record field names to try for each document attribute (see
            ``[input.fields]`` in the configuration).

    Raises:
        InputError: A named path does not exist. Checked for every path
            before anything is read, so a typo fails fast.

    HTML pages (files, html fields, WARC records) are extracted on
    ``workers`` processes once there are enough of them to pay off.
    """
    items = list(inputs)
    for item in items:
        if isinstance(item, (str, os.PathLike)) and not os.path.lexists(item):
            raise InputError(f"input not found: {item}")
    return _resolve_html(_items(items, fields), workers)


def _items(items: list[Any], fields: Mapping[str, tuple[str, ...]]) -> Iterator[Item | HtmlPage]:
    for index, item in enumerate(items):
        if isinstance(item, Mapping):
            yield record_to_document(item, f"record[{index}]", f"record-{index}", fields)
        elif isinstance(item, (str, os.PathLike)):
            path = Path(item)
            if path.is_dir():
                yield from _read_folder(path, fields)
            else:
                yield from _read_file(path, path.parent, fields)
        else:
            yield Skipped(f"input[{index}]", f"not a path or a record mapping: {type(item).__name__}")


def _read_folder(root: Path, fields: Mapping[str, tuple[str, ...]]) -> Iterator[Item]:
    real_root = root.resolve()
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        # Hidden folders (.git, .cache) are not part of a crawl.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(folder, name)
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(real_root):
                    yield Skipped(str(path), "symbolic link to a file outside the input folder; not followed")
                    continue
            yield from _read_file(path, root, fields, prefix=real_root.name)


def _kind(path: Path) -> tuple[str, bool]:
    """(suffix without .gz, gzipped?)"""
    suffixes = [s.lower() for s in path.suffixes]
    gzipped = bool(suffixes) and suffixes[-1] == ".gz"
    if gzipped:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else ""), gzipped


def _read_file(path: Path, root: Path, fields: Mapping[str, tuple[str, ...]], prefix: str = "") -> Iterator[Item]:
    """Read one file. Derived ids are its path relative to ``root``, under
    ``prefix`` (the name of the folder the user named, so that two named
    folders holding files of the same name give distinct ids)."""
    source = str(path)
    suffix, gzipped = _kind(path)
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "(none)"
        supported = " ".join(SUPPORTED_SUFFIXES)
        yield Skipped(source, f"unsupported file type {shown}; supported: {supported} (each optionally .gz)")
        return
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.name
    if prefix:
        rel = f"{prefix}/{rel}"
    try:
        if suffix in (".txt", ".text"):
            data = _read_bytes(path, gzipped)
            yield _text_document(data, source, rel)
        elif suffix in _HTML_SUFFIXES:
            yield html_document(_read_bytes(path, gzipped), source, rel)
        elif suffix == ".warc":
            from wiretrace.warc import read_warc

            yield from read_warc(path, rel)  # warcio handles .warc.gz itself
        elif suffix in (".csv", ".tsv"):
            data = _read_bytes(path, gzipped)
            yield from _csv_records(data, source, rel, fields, "\t" if suffix == ".tsv" else ",")
        else:
            yield from _json_records(path, gzipped, source, rel, fields, whole=suffix == ".json")
    except (OSError, EOFError, zlib.error) as exc:
        yield Skipped(source, f"cannot read file: {exc.__class__.__name__}: {exc}")


def _read_bytes(path: Path, gzipped: bool) -> bytes:
    if gzipped:
        with gzip.open(path, "rb") as handle:
            return handle.read()
    return path.read_bytes()


def _decode(data: bytes) -> tuple[str, str | None]:
    """Decode UTF-8 (with or without BOM), else a legacy single-byte encoding."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    for encoding in _TEXT_FALLBACKS:
        try:
            return data.decode(encoding), f"not valid UTF-8; decoded as {encoding}"
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def _text_document(data: bytes, source: str, rel: str) -> Item:
    if not data.strip():
        return Skipped(source, "empty file", id=rel)
    if b"\x00" in data[:8192]:
        return Skipped(source, "binary content (NUL bytes), not text", id=rel)
    text, warning = _decode(data)
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    doc = Document(
        id=rel,
        text=text,
        title=first_line if len(first_line) <= 300 else None,
        source=source,
    )
    if warning:
        doc.warnings.append(warning)
    return doc


@dataclass
class HtmlPage:
    """A page waiting for extraction: extraction is the slow part of reading
    HTML, so pages are gathered and extracted in worker processes.

    ``overrides`` are record fields that win over what the page says about
    itself (a crawler's own metadata), applied after extraction.
    """

    data: bytes | str
    source: str
    doc_id: str
    url: str | None = None
    crawl_date: str | None = None
    charset: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def html_document(
    data: bytes | str,
    source: str,
    doc_id: str,
    url: str | None = None,
    crawl_date: str | None = None,
    charset: str | None = None,
) -> HtmlPage:
    """An HTML page to be extracted into a document (see :func:`extract_html`)."""
    return HtmlPage(data, source, doc_id, url, crawl_date, charset)


def extract_html(task: HtmlPage) -> Item:
    """Extract one page: the document (main text and metadata) or a skip reason."""
    from wiretrace.extract import ExtractionError, extract_page

    try:
        page = extract_page(task.data, url=task.url, crawl_date=task.crawl_date, charset=task.charset)
    except ExtractionError as exc:
        return Skipped(task.source, str(exc), id=task.doc_id)
    except (ValueError, TypeError, RecursionError, LookupError) as exc:  # a page must never stop a run
        return Skipped(task.source, f"HTML extraction failed: {exc.__class__.__name__}: {exc}", id=task.doc_id)
    doc = Document(
        id=task.doc_id,
        text=_valid_unicode(page.text),
        url=page.url,
        title=_optional_str(page.title),
        site=page.site,
        published=page.published,
        published_source=page.published_source,
        author=_optional_str(page.author),
        canonical_url=page.canonical_url,
        language=page.language,
        links=page.links,
        metadata=page.metadata or None,
        source=task.source,
        warnings=list(page.warnings) + task.warnings,
    )
    for name, value in task.overrides.items():
        setattr(doc, name, value)
    return doc


def _extract_chunk(tasks: list[HtmlPage]) -> list[Item]:
    return [extract_html(task) for task in tasks]


# Pages per task sent to a worker, and pages seen before a pool is started
# (small inputs are extracted in-process: a pool would cost more).
_HTML_CHUNK = 16


def _resolve_html(items: Iterable[Item | HtmlPage], workers: int) -> Iterator[Item]:
    """Extract the pages of a stream of items, on ``workers`` processes.

    Non-page items pass straight through. A bounded window of chunks is in
    flight, so memory stays flat however large the crawl.
    """
    pool = None
    pending: deque = deque()
    chunk: list[HtmlPage] = []
    try:
        for item in items:
            if not isinstance(item, HtmlPage):
                yield item
            elif workers <= 1:
                yield extract_html(item)
            else:
                chunk.append(item)
                if len(chunk) >= _HTML_CHUNK:
                    if pool is None:
                        methods = multiprocessing.get_all_start_methods()
                        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
                        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
                    pending.append(pool.submit(_extract_chunk, chunk))
                    chunk = []
                    while len(pending) >= 2 * workers:
                        yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
        yield from _extract_chunk(chunk)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _json_records(
    path: Path, gzipped: bool, source: str, rel: str, fields: Mapping[str, tuple[str, ...]], whole: bool
) -> Iterator[Item]:
    """Records of a JSON Lines file; for ``.json`` (``whole``), a file that is
    one JSON document (an array of records, or one record) is read as such."""
    opener = gzip.open if gzipped else open
    with opener(path, "rb") as handle:
        if whole:
            data = handle.read()
            try:
                document = json.loads(data.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                document = None  # not one document: try it as JSON Lines
            if isinstance(document, list):
                for index, record in enumerate(document):
                    yield _json_record(record, f"{source}#{index}", f"{rel}#{index}", fields)
                return
            if isinstance(document, dict):
                yield _json_record(document, source, rel, fields)
                return
            lines: Iterable[bytes] = io.BytesIO(data)
        else:
            lines = handle
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            where = f"{source}:{number}"
            try:
                record = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except UnicodeDecodeError:
                yield Skipped(where, "line is not valid UTF-8 (JSON must be UTF-8)")
                continue
            except json.JSONDecodeError as exc:
                yield Skipped(where, f"invalid JSON: {exc.msg} at column {exc.colno}")
                continue
            yield _json_record(record, where, f"{rel}:{number}", fields)


def _json_record(record: Any, where: str, default_id: str, fields: Mapping[str, tuple[str, ...]]) -> Item:
    if not isinstance(record, dict):
        return Skipped(where, f"record is a JSON {type(record).__name__}, not an object")
    return record_to_document(record, where, default_id, fields)


def _csv_records(
    data: bytes, source: str, rel: str, fields: Mapping[str, tuple[str, ...]], delimiter: str
) -> Iterator[Item]:
    text, warning = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        yield Skipped(source, "empty CSV file (no header row)")
        return
    except csv.Error as exc:
        yield Skipped(source, f"unreadable CSV header: {exc}")
        return
    header = [h.strip() for h in header]
    row_number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row_number += 1
            yield Skipped(f"{source}:row {row_number}", f"malformed CSV row: {exc}")
            continue
        row_number += 1
        where = f"{source}:row {row_number}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Skipped(where, f"row has {len(row)} cells but the header has {len(header)}")
            continue
        item = record_to_document(dict(zip(header, row)), where, f"{rel}:row {row_number}", fields)
        if warning and isinstance(item, Document):
            item.warnings.append(warning)
        yield item


def _first(record: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str | None, Any]:
    for name in names:
        if name in record and record[name] is not None and record[name] != "":
            return name, record[name]
    return None, None


def _valid_unicode(text: str) -> str:
    """Replace lone surrogates (JSON can carry them as escapes) by U+FFFD,
    so that every later encode to UTF-8 succeeds."""
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return None
    text = _valid_unicode(str(value)).strip()
    return text or None


def record_to_document(
    record: Mapping[str, Any], source: str, default_id: str, fields: Mapping[str, tuple[str, ...]]
) -> Item:
    """Map one record to a document, or say why it cannot be one.

    Example:
        >>> from wiretrace.config import Config
        >>> doc = record_to_document({"body": "Text", "link": "https://www.example.co.uk/a"}, "x", "x:1", Config().fields)
        >>> doc.id, doc.site, doc.text
        ('x:1', 'example.co.uk', 'Text')
    """
    # The text field counts as present even when empty, to say "empty text".
    name = next((n for n in fields["text"] if n in record and record[n] is not None), None)
    text = record[name] if name is not None else None
    id_name, raw_id = _first(record, fields["id"])
    doc_id = _optional_str(raw_id) if id_name else None
    doc_id = doc_id or default_id
    if name is None:
        html_name, html = _first(record, fields["html"])
        if html_name is not None:
            return _html_record(record, html_name, html, source, doc_id, fields)
        looked = ", ".join(fields["text"] + fields["html"])
        return Skipped(source, f"no text or html field (looked for: {looked})", id=doc_id)
    if not isinstance(text, str):
        return Skipped(source, f"text field '{name}' is a {type(text).__name__}, not a string", id=doc_id)
    if not text.strip():
        return Skipped(source, "empty text", id=doc_id)
    clean = _valid_unicode(text)
    url = _optional_str(_first(record, fields["url"])[1])
    site = _optional_str(_first(record, fields["site"])[1])
    published, warning = parse_published(_first(record, fields["published"])[1])
    doc = Document(
        id=doc_id,
        text=clean,
        url=url,
        title=_optional_str(_first(record, fields["title"])[1]),
        site=site.lower() if site else site_of(url),
        published=published,
        published_source="record" if published else None,
        author=_optional_str(_first(record, fields["author"])[1]),
        metadata=_metadata_field(record.get("metadata")),
        source=source,
    )
    if warning:
        doc.warnings.append(warning)
    if clean is not text:
        doc.warnings.append("invalid Unicode (lone surrogates) replaced by U+FFFD")
    return doc


def _metadata_field(value: Any) -> dict[str, list[str]] | None:
    """A record's ``metadata`` (as ``wiretrace extract`` writes it): string
    keys to lists of strings; anything else in it is left out."""
    if not isinstance(value, Mapping):
        return None
    out: dict[str, list[str]] = {}
    for key, values in list(value.items())[:64]:
        if isinstance(key, str) and isinstance(values, list):
            kept = [v for v in values[:16] if isinstance(v, str) and v]
            if kept:
                out[key] = kept
        elif isinstance(key, str) and isinstance(values, str) and values:
            out[key] = [values]
    return out or None


def _html_record(
    record: Mapping[str, Any], name: str, html: Any, source: str, doc_id: str, fields: Mapping[str, tuple[str, ...]]
) -> Item | HtmlPage:
    """A record carrying a page's HTML: extract it; record fields win over
    what the page says about itself (they are the crawler's own data)."""
    if not isinstance(html, str):
        return Skipped(source, f"html field '{name}' is a {type(html).__name__}, not a string", id=doc_id)
    url = _optional_str(_first(record, fields["url"])[1])
    published, warning = parse_published(_first(record, fields["published"])[1])
    task = html_document(_valid_unicode(html), source, doc_id, url=url)
    title = _optional_str(_first(record, fields["title"])[1])
    site = _optional_str(_first(record, fields["site"])[1])
    author = _optional_str(_first(record, fields["author"])[1])
    if title:
        task.overrides["title"] = title
    if site:
        task.overrides["site"] = site.lower()
    if author:
        task.overrides["author"] = author
    if published:
        task.overrides.update(published=published, published_source="record")
    if warning:
        task.warnings.append(warning)
    return task
