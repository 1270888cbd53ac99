"""The read stage: turn the user's inputs into documents, or skip reasons.

Inputs are files, folders (walked recursively), ``-`` for standard input
or, through the Python API, in-memory records (mappings). Every record
either becomes a :class:`~wiretrace.records.Document` or a
:class:`~wiretrace.records.Skipped` that says why; nothing is dropped
silently, no bad record stops a run and no input can hang it. Only the
files the user named, or regular files inside the folders they named, are
read: symbolic links leading elsewhere, links that loop, FIFOs, devices,
unreadable paths and wiretrace's own output folders are listed as skipped.

Compressed files (``.gz``, ``.bz2``, ``.xz``, ``.zst``) are streamed, and
what one document may take is bounded (``[limits]`` in the configuration):
a hostile or runaway input is skipped with the reason instead of exhausting
memory or time.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from wiretrace.config import Config
from wiretrace.dates import parse_published
from wiretrace.errors import InputError
from wiretrace.executor import LocalExecutor
from wiretrace.outputs import LOCK_NAME
from wiretrace.records import Document, Skipped
from wiretrace.sites import site_of

__all__ = ["read_inputs", "record_to_document", "Limits", "SUPPORTED_SUFFIXES", "COMPRESSED_SUFFIXES"]

SUPPORTED_SUFFIXES = (
    ".txt", ".text", ".html", ".htm", ".xhtml", ".warc", ".wet", ".wat", ".jsonl", ".ndjson", ".json", ".csv", ".tsv",
    ".parquet",
)
# suffix -> compression; files are decompressed as a stream.
COMPRESSED_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zstd": "zstd"}
# Leading bytes of each compression (standard input has no suffix to go by).
_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_TEXT_FALLBACKS = ("cp1252", "latin-1")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Start tags, counted to bound a page before extraction (whose time grows
# with the element count).
_START_TAG_BYTES = re.compile(rb"<[A-Za-z]")
_START_TAG_TEXT = re.compile(r"<[A-Za-z]")
# Real exports carry whole articles in one CSV cell.
csv.field_size_limit(64 * 1024 * 1024)
# Rows per Parquet batch: memory stays that of a few hundred records.
_PARQUET_BATCH = 256
# wiretrace's own outputs, recognised by their first bytes: report.json
# starts with its format marker (report.Report.to_dict), report.html names
# its generator in its head. This many bytes hold either.
_REPORT_HEAD = 1024
_OWN_REPORT_MARK = b'"format": "wiretrace-report"'
_OWN_HTML_MARK = b'<meta name="generator" content="wiretrace '
# Bytes of standard input looked at to tell JSON Lines from text or HTML.
_STDIN_SNIFF = 4096

Item = Document | Skipped


@dataclass(frozen=True)
class Limits:
    """What one input may take before it is skipped (``[limits]`` in the
    configuration; the defaults are the packaged ones)."""

    document_bytes: int = Config().max_document_bytes
    json_file_bytes: int = Config().max_json_file_bytes
    page_bytes: int = Config().max_page_bytes
    page_elements: int = Config().max_page_elements

    @classmethod
    def from_config(cls, config: Config) -> Limits:
        return cls(
            document_bytes=config.max_document_bytes,
            json_file_bytes=config.max_json_file_bytes,
            page_bytes=config.max_page_bytes,
            page_elements=config.max_page_elements,
        )


class _TooLarge(Exception):
    """A document is larger than a limit (the message says which)."""


def _too_large(limit: str, value: int, compressed: bool) -> _TooLarge:
    once = " once decompressed" if compressed else ""
    return _TooLarge(f"larger than limits.{limit} = {value:,} bytes{once}; not read")


@dataclass
class _Run:
    """State of one read_inputs call shared by its files."""

    fields: Mapping[str, tuple[str, ...]]
    limits: Limits
    warc_ids: dict[str, int] = field(default_factory=dict)
    stdin_read: bool = False
    spill: Callable[[], Any] | None = None  # where workers may write texts (read_inputs)


def read_inputs(
    inputs: Iterable[Any] | str | os.PathLike[str],
    fields: Mapping[str, tuple[str, ...]],
    workers: int = 1,
    limits: Limits | None = None,
    executor: Any = None,
    spill: Callable[[], Any] | None = None,
) -> Iterator[Item]:
    """Read every input, yielding documents and skipped records.

    Args:
        inputs: Paths (str or Path) to files or folders, ``"-"`` for standard
            input (JSON Lines, text or HTML, optionally compressed), and/or
            mappings (records with a ``text`` field, as in a JSONL file);
            or one path alone.
        fields: Record field names to try for each document attribute (see
            ``[input.fields]`` in the configuration).
        limits: What one input may take (``[limits]``); packaged defaults
            when omitted.

    Raises:
        InputError: A named path does not exist. Checked for every path
            before anything is read, so a typo fails fast.

    HTML pages (files, html fields, WARC records) are extracted on
    ``workers`` processes once there are enough of them to pay off, or on
    ``executor`` (:mod:`wiretrace.executor`; a Ray cluster's) when given.

    ``spill``: a function giving the :class:`~wiretrace.spill.Spill` the
    caller keeps its texts in (made on its first call). With it and two or
    more local workers, a JSON Lines file of :data:`PARALLEL_JSONL_BYTES`
    or more is read by the workers, each a range of its lines, writing the
    texts there (:func:`_json_lines_apart`): its documents come spilled.
    """
    items = [inputs] if isinstance(inputs, (str, bytes, os.PathLike)) else list(inputs)
    for item in items:
        if isinstance(item, (str, os.PathLike)) and not _is_stdin(item) and not os.path.lexists(item):
            raise InputError(f"input not found: {item}")
    executor = executor or LocalExecutor(workers)
    apart = spill is not None and getattr(executor, "workers", 1) > 1 and not getattr(executor, "remote", False)
    run = _Run(fields, limits or Limits(), spill=spill if apart else None)
    return _resolve_html(_items(items, run), executor, run)


def _is_stdin(item: Any) -> bool:
    return isinstance(item, str) and item == "-"


def _items(items: list[Any], run: _Run) -> Iterator[Item | HtmlPage]:
    for index, item in enumerate(items):
        if isinstance(item, Mapping):
            yield record_to_document(item, f"record[{index}]", f"record-{index}", run.fields)
        elif _is_stdin(item):
            yield from _read_stdin(run)
        elif isinstance(item, (str, os.PathLike)):
            path = Path(item)
            if path.is_dir():
                yield from _read_folder(path, run)
            else:
                yield from _read_named_file(path, run)
        else:
            yield Skipped(f"input[{index}]", f"not a path or a record mapping: {type(item).__name__}")


def _read_named_file(path: Path, run: _Run) -> Iterator[Item]:
    """A file the user named: FIFOs are read (``<(zcat ...)``), devices and
    sockets are not."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, RuntimeError) as exc:
        yield Skipped(str(path), f"cannot read file: {_os_reason(exc)}")
        return
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        yield Skipped(str(path), f"not a regular file ({_file_kind(mode)}); not read")
        return
    yield from _read_file(path, path.parent, run)


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.__class__.__name__}: {exc.strerror}"
    return f"{exc.__class__.__name__}: {exc}"


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _is_own_output_file(path: Path) -> bool:
    """Whether ``path`` is a report.json or report.html written by wiretrace."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".html", ".htm"):
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(_REPORT_HEAD)
    except OSError:
        return False
    if suffix == ".json":
        return _OWN_REPORT_MARK in b" ".join(head.split()).replace(b'":"', b'": "')
    return _OWN_HTML_MARK in head


def _is_own_output(folder: str, filenames: list[str]) -> bool:
    """A folder wiretrace writes its outputs into: it holds the lock file
    every scan leaves there, or a report.json or report.html of wiretrace's.
    Reading it back would scan a previous run's output."""
    if _OUTPUT_LOCK in filenames:
        return True
    return any(name in filenames and _is_own_output_file(Path(folder, name)) for name in ("report.json", "report.html"))


# What a scan leaves in its output folder: the lock file, and the files of
# report.Report.write.
_OUTPUT_LOCK = LOCK_NAME
_OUTPUT_FILES = ("report.json", "report.html", "pairs.csv", "provenance.graphml", "provenance.gexf", "provenance.json")


def _read_folder(root: Path, run: _Run) -> Iterator[Item]:
    try:
        real_root = root.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        yield Skipped(str(root), f"cannot read folder: {_os_reason(exc)}")
        return
    errors: list[OSError] = []
    for folder, dirnames, filenames in os.walk(root, followlinks=False, onerror=errors.append):
        yield from _walk_errors(errors)
        if _is_own_output(folder, filenames):
            if folder != str(root):
                dirnames[:] = []
                yield Skipped(folder, "wiretrace's own output folder; not read as input")
                continue
            # The folder the user named is itself the output folder (scan DIR --out DIR):
            # its other files are the input, the outputs are not.
            for name in sorted(set(filenames) & set(_OUTPUT_FILES)):
                yield Skipped(os.path.join(folder, name), "wiretrace's own output; not read as input")
            filenames = [name for name in filenames if name not in _OUTPUT_FILES]
        # Hidden folders (.git, .cache) are not part of a crawl.
        kept = []
        for name in sorted(d for d in dirnames if not d.startswith(".")):
            if os.path.islink(os.path.join(folder, name)):
                yield Skipped(os.path.join(folder, name), "symbolic link to a folder; not followed")
            else:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(folder, name)
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except RuntimeError:  # Python 3.11 reports a loop so
                    yield Skipped(str(path), "symbolic link loop; not followed")
                    continue
                except OSError as exc:
                    reason = "symbolic link loop" if exc.errno == 40 else f"broken symbolic link ({_os_reason(exc)})"
                    yield Skipped(str(path), f"{reason}; not followed")
                    continue
                if not target.is_relative_to(real_root):
                    yield Skipped(str(path), "symbolic link to a file outside the input folder; not followed")
                    continue
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                yield Skipped(str(path), f"cannot read file: {_os_reason(exc)}")
                continue
            if not stat.S_ISREG(mode):
                # A FIFO would block the scan forever, a device never end.
                yield Skipped(str(path), f"not a regular file ({_file_kind(mode)}); not read")
                continue
            yield from _read_file(path, root, run, prefix=real_root.name)
    yield from _walk_errors(errors)


def _walk_errors(errors: list[OSError]) -> Iterator[Skipped]:
    """os.walk's errors (folders it could not list) as skips."""
    while errors:
        exc = errors.pop(0)
        yield Skipped(str(exc.filename or "?"), f"cannot read folder: {_os_reason(exc)}")


def _kind(path: Path) -> tuple[str, str | None]:
    """(suffix without the compression suffix, compression or None)"""
    suffixes = [s.lower() for s in path.suffixes]
    compression = COMPRESSED_SUFFIXES.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else ""), compression


def _read_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "this file cannot be read (further)"."""
    errors: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, lzma.LZMAError, _TooLarge)
    try:
        import zstandard

        errors += (zstandard.ZstdError,)
    except ImportError:
        pass
    return errors


def _read_file(path: Path, root: Path, run: _Run, prefix: str = "") -> Iterator[Item]:
    """Read one file. Derived ids are its path relative to ``root``, under
    ``prefix`` (the name of the folder the user named, so that two named
    folders holding files of the same name give distinct ids)."""
    source = str(path)
    suffix, compression = _kind(path)
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "(none)"
        supported = " ".join(SUPPORTED_SUFFIXES)
        compressions = " ".join(COMPRESSED_SUFFIXES)
        yield Skipped(source, f"unsupported file type {shown}; supported: {supported} (each optionally {compressions})")
        return
    if compression is None and _is_own_output_file(path):
        yield Skipped(source, f"wiretrace's own {path.name}; not read as input")
        return
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.name
    if prefix:
        rel = f"{prefix}/{rel}"
    fields, limits = run.fields, run.limits
    compressed = compression is not None
    try:
        if suffix in (".warc", ".wet", ".wat"):
            from wiretrace.warc import read_warc

            yield from read_warc(path, rel, limits=limits, ids=run.warc_ids)  # warcio handles .warc.gz itself
            return
        if suffix == ".parquet":
            yield from _parquet_records(path, compression, source, rel, run)
            return
        if run.spill is not None and compression is None and suffix in (".jsonl", ".ndjson"):
            link = stat.S_ISLNK(os.lstat(path).st_mode)  # a link the user named (a folder's are not read)
            status = os.stat(path)
            if stat.S_ISREG(status.st_mode) and status.st_size >= PARALLEL_JSONL_BYTES:
                yield JsonLinesFile(source, rel, (status.st_dev, status.st_ino), link)
                return
        with _open(path, compression) as stream:
            if suffix in (".txt", ".text"):
                data = _read_capped(stream, limits.document_bytes, "document_bytes", compressed)
                yield _text_document(data, source, rel)
            elif suffix in _HTML_SUFFIXES:
                yield html_document(_read_capped(stream, limits.page_bytes, "page_bytes", compressed), source, rel)
            elif suffix in (".csv", ".tsv"):
                delimiter = "\t" if suffix == ".tsv" else ","
                yield from _csv_records(stream, source, rel, fields, delimiter, limits, compressed)
            else:
                yield from _json_records(stream, source, rel, fields, suffix == ".json", limits, compressed)
    except _read_errors() as exc:
        if isinstance(exc, _TooLarge):
            yield Skipped(source, str(exc), id=rel)
        else:
            yield Skipped(source, f"cannot read file: {_os_reason(exc)}")


#: Bytes read from an input file at a time: a JSON Lines file's lines were read
#: 8 KB at a time, 1.48 s for the 2.4 GB of 1M synthetic records against 0.51 s
#: 1 MB at a time (ad hoc, readline over the file in the page cache).
_READ_BUFFER = 1 << 20


def _open(path: Path, compression: str | None) -> IO[bytes]:
    """``path``'s content, decompressed as it is read."""
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bz2":
        return bz2.open(path, "rb")
    if compression == "xz":
        return lzma.open(path, "rb")
    handle = open(path, "rb", buffering=_READ_BUFFER)
    try:
        return _decompressed(handle, compression)
    except BaseException:
        handle.close()
        raise


class _Closing(io.BufferedReader):
    """A buffered decompressing reader that also closes the file under it."""

    def __init__(self, raw: Any, under: IO[bytes]) -> None:
        super().__init__(raw)
        self._under = under

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._under.close()


def _decompressed(handle: IO[bytes], compression: str | None) -> IO[bytes]:
    """A stream of ``handle``'s content, decompressed as it is read."""
    if compression is None:
        return handle
    if compression == "gzip":
        return _Closing(gzip.GzipFile(fileobj=handle, mode="rb"), handle)
    if compression == "bz2":
        return _Closing(bz2.BZ2File(handle), handle)
    if compression == "xz":
        return _Closing(lzma.LZMAFile(handle), handle)
    try:
        import zstandard
    except ImportError:
        raise OSError(0, "zstd-compressed input needs the zstandard package (pip install zstandard)") from None
    reader = zstandard.ZstdDecompressor().stream_reader(handle, read_across_frames=True, closefd=False)
    return _Closing(reader, handle)


def _read_capped(stream: IO[bytes], cap: int, limit: str, compressed: bool) -> bytes:
    """All of ``stream``, or _TooLarge past ``cap`` bytes."""
    chunks, size = [], 0
    while True:
        chunk = stream.read(min(cap + 1 - size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            raise _too_large(limit, cap, compressed)
    return b"".join(chunks)


def _lines(stream: IO[bytes], cap: int) -> Iterator[bytes | None]:
    """The lines of ``stream``; None for a line longer than ``cap`` bytes
    (read past, never held whole)."""
    while True:
        line = stream.readline(cap + 1)
        if not line:
            return
        if len(line) > cap and not line.endswith(b"\n"):
            while True:
                rest = stream.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
        else:
            yield line


def _read_stdin(run: _Run) -> Iterator[Item | HtmlPage]:
    """Standard input: JSON Lines (or one JSON array), HTML or text, told
    apart by the first character; optionally compressed (told by magic)."""
    source = "<stdin>"
    if run.stdin_read:
        yield Skipped(source, "standard input named twice; read once")
        return
    run.stdin_read = True
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:  # no standard input at all (a detached process)
        yield Skipped(source, "no standard input to read")
        return
    if sys.stdin.isatty():  # reading would wait for typing: a hang to whoever forgot the pipe
        yield Skipped(source, "standard input is a terminal: pipe or redirect data into it (... | wiretrace scan -)")
        return
    limits = run.limits
    try:
        head = raw.peek(8)[:8] if hasattr(raw, "peek") else b""
        compression = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
        stream = io.BufferedReader(_decompressed(raw, compression), _STDIN_SNIFF) if compression else raw
        if not hasattr(stream, "peek"):
            stream = io.BufferedReader(stream, _STDIN_SNIFF)  # type: ignore[arg-type]
        start = stream.peek(_STDIN_SNIFF)[:_STDIN_SNIFF].lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        compressed = compression is not None
        if start in (b"{", b"["):
            yield from _json_records(stream, source, "stdin", run.fields, start == b"[", limits, compressed)
        elif start == b"<":
            yield html_document(_read_capped(stream, limits.page_bytes, "page_bytes", compressed), source, "stdin")
        else:
            data = _read_capped(stream, limits.document_bytes, "document_bytes", compressed)
            yield _text_document(data, source, "stdin")
    except _read_errors() as exc:
        if isinstance(exc, _TooLarge):
            yield Skipped(source, str(exc), id="stdin")
        else:
            yield Skipped(source, f"cannot read standard input: {_os_reason(exc)}")


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
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its BOM (Windows "Unicode" text)
        text, warning = data.decode("utf-16", "replace"), None
    elif b"\x00" in data[:8192]:
        return Skipped(source, "binary content (NUL bytes), not text", id=rel)
    else:
        text, warning = _decode(data)
    if not text.strip():  # only Unicode spaces (U+2028, U+3000...), which bytes.strip() keeps
        return Skipped(source, "empty file (only white space)", id=rel)
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


def page_bounds(data: bytes | str, limits: Limits) -> str | None:
    """Why a page is too large to extract (``limits.page_bytes``,
    ``limits.page_elements``), or None. Extraction time grows with the
    element count; counting start tags is linear and stops at the limit."""
    if len(data) > limits.page_bytes:
        return f"HTML page larger than limits.page_bytes = {limits.page_bytes:,} bytes; not extracted"
    pattern = _START_TAG_BYTES if isinstance(data, bytes) else _START_TAG_TEXT
    for count, _ in enumerate(pattern.finditer(data), start=1):
        if count > limits.page_elements:
            return f"HTML page has more than limits.page_elements = {limits.page_elements:,} elements; not extracted"
    return None


def extract_html(task: HtmlPage, limits: Limits | None = None) -> Item:
    """Extract one page: the document (main text and metadata) or a skip reason."""
    from wiretrace.extract import ExtractionError, extract_page

    too_large = page_bounds(task.data, limits or Limits())
    if too_large:
        return Skipped(task.source, too_large, id=task.doc_id)
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


def _extract_chunk(tasks: list[HtmlPage], limits: Limits) -> list[Item]:  # (task, shared) for the executor
    return [extract_html(task, limits) for task in tasks]


# Pages per task sent to a worker, and pages seen before a pool is started
# (small inputs are extracted in-process: a pool would cost more).
_HTML_CHUNK = 16


def _resolve_html(items: Iterable[Item | HtmlPage | JsonLinesFile], executor: Any, run: _Run) -> Iterator[Item]:
    """Extract the pages of a stream of items, on the executor's workers
    (:mod:`wiretrace.executor`: a bounded window of chunks in flight, so
    memory stays flat however large the crawl), and have the large JSON
    Lines files met on the way read on them too (:func:`_json_lines_apart`).
    Non-page items pass straight through."""
    limits = run.limits
    chunk: list[HtmlPage] = []
    with executor.window(_extract_chunk, limits) as window:
        for item in items:
            if isinstance(item, JsonLinesFile):
                # what is pending is given first: the texts of the documents given
                # so far are in the spill before the workers write there
                for done in window.drain():
                    yield from done
                yield from _extract_chunk(chunk, limits)
                chunk = []
                yield from _json_lines_apart(item, executor, run)
            elif not isinstance(item, HtmlPage):
                yield item
            elif window.workers <= 1:
                yield extract_html(item, limits)
            else:
                chunk.append(item)
                if len(chunk) >= _HTML_CHUNK:
                    for done in window.submit(chunk):
                        yield from done
                    chunk = []
        for done in window.drain():
            yield from done
    yield from _extract_chunk(chunk, limits)


class JsonLinesFile(NamedTuple):
    """A large JSON Lines file for the workers to read (:func:`_json_lines_apart`)."""

    source: str  # its path, as the user gave it or the walk found it
    rel: str
    identity: tuple[int, int]  # (device, inode) when it was looked at: the file opened must be this one
    link: bool  # the path is a link the user named (followed); else it is opened without following one


#: A JSON Lines file of at least this many bytes is read by the workers, a
#: range of its lines each, when the run keeps its texts in a spill
#: (:func:`read_inputs`): parsing the records, checking their fields and
#: writing their texts took most of a 1M-document scan's read step, all of it
#: in the main process. Below it, a file is read here.
PARALLEL_JSONL_BYTES = 64 << 20
#: Bytes of a JSON Lines file in one worker's task (ranges end at a line's end).
JSONL_RANGE_BYTES = 8 << 20


def _json_lines_apart(item: JsonLinesFile, executor: Any, run: _Run) -> Iterator[Item]:
    """The records of a JSON Lines file, read by ``executor``'s forked
    workers a range of lines each, in order: the items a serial read gives
    (:func:`_json_records`), the documents with their texts in the spill
    (written by the workers, :meth:`~wiretrace.spill.Spill.shared_texts`).
    A record's line number (its default id, where it is read) comes from the
    newlines counted before its range. The file is opened once, here: the
    workers read the descriptor they inherit (``pread``), so a file swapped
    for a link meanwhile is not what they read."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (0 if item.link else os.O_NOFOLLOW)
    try:
        fd = os.open(item.source, flags)  # a FIFO put in its place does not block the open
    except OSError as exc:
        yield Skipped(item.source, f"cannot read file: {_os_reason(exc)}")
        return
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode) or (status.st_dev, status.st_ino) != item.identity:
        os.close(fd)
        yield Skipped(item.source, "the file was replaced by another between the walk and its read; not read")
        return
    try:
        try:
            ranges = _line_ranges(fd, JSONL_RANGE_BYTES)
            newlines = executor.map(partial(_newlines, fd), ranges, min_items=1)
        except OSError as exc:
            yield Skipped(item.source, f"cannot read file: {_os_reason(exc)}")
            return
        firsts = [1]
        for count in newlines[:-1]:
            firsts.append(firsts[-1] + count)
        spill = run.spill()
        with spill.shared_texts() as end:
            with executor.window(_read_range, (fd, item, run.limits, run.fields, end)) as window:
                for task in zip(ranges, firsts):
                    for done in window.submit(task):
                        yield from _adopted(done, spill)
                for done in window.drain():
                    yield from _adopted(done, spill)
    finally:
        os.close(fd)


def _line_ranges(fd: int, size: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``size`` bytes that cover the file (its size
    now), each ending at a line's end (or the file's)."""
    total = os.fstat(fd).st_size
    bounds = [0]
    while bounds[-1] < total:
        at = min(bounds[-1] + size, total)
        while at < total:  # to the end of the line there, read in bounded pieces
            piece = os.pread(fd, min(_READ_BUFFER, total - at), at)
            if not piece:
                total = at  # the file shrank
                break
            newline = piece.find(b"\n")
            if newline >= 0:
                at += newline + 1
                break
            at += len(piece)
        bounds.append(min(at, total))
    return list(zip(bounds[:-1], bounds[1:]))


def _newlines(fd: int, span: tuple[int, int]) -> int:
    """Newlines in bytes ``span`` of the file (a worker's task)."""
    count, at = 0, span[0]
    while at < span[1]:
        piece = os.pread(fd, min(span[1] - at, _READ_BUFFER), at)
        if not piece:
            break
        count += piece.count(b"\n")
        at += len(piece)
    return count


class _Span:
    """Bytes ``[start, stop)`` of a file, read by ``pread`` a line at a time
    (what :func:`_lines` asks of a stream: ``readline(limit)``)."""

    def __init__(self, fd: int, start: int, stop: int) -> None:
        self.fd, self.pos, self.stop = fd, start, stop
        self.buffer, self.at = b"", 0

    def readline(self, limit: int) -> bytes:
        while True:
            newline = self.buffer.find(b"\n", self.at, self.at + limit)
            if newline >= 0:
                line, self.at = self.buffer[self.at:newline + 1], newline + 1
                return line
            if len(self.buffer) - self.at >= limit or self.pos >= self.stop:
                line = self.buffer[self.at:self.at + limit]
                self.at += len(line)
                return line
            more = os.pread(self.fd, min(_READ_BUFFER, self.stop - self.pos), self.pos)
            if not more:  # the file shrank
                self.stop = self.pos
                continue
            self.pos += len(more)
            self.buffer, self.at = self.buffer[self.at:] + more, 0


_DOCUMENT_FIELDS = tuple(f.name for f in dataclass_fields(Document))


def _read_range(task: tuple[tuple[int, int], int], shared: tuple) -> tuple[list[Any], list[int], int]:
    """Worker: the items of one range of a JSON Lines file whose first line
    is number ``task[1]``, as :func:`_json_records` and :func:`_resolve_html`
    make them; each document's text written through the spill's shared end
    (all of the range's in one write) and taken out of it. Returns the
    items, their texts' byte lengths and the offset of the first."""
    (start, stop), number = task
    fd, item, limits, fields, end = shared
    items: list[Item] = []
    texts: list[bytes] = []
    try:
        for raw in _lines(_Span(fd, start, stop), limits.document_bytes):  # type: ignore[arg-type]
            found = _line_item(raw, item.source, item.rel, number, fields, limits, False)
            number += 1
            if found is None:
                continue
            if isinstance(found, HtmlPage):
                found = extract_html(found, limits)
            if isinstance(found, Document):  # sent as a tuple of its fields: pickled much faster
                texts.append(found.text.encode("utf-8", "surrogatepass"))
                found.text = ""
                found = tuple(getattr(found, name) for name in _DOCUMENT_FIELDS)
            items.append(found)
    except OSError as exc:  # the rest of the range is lost: said, with the first line not read
        items.append(Skipped(f"{item.source}:{number}", f"cannot read file from line {number} to byte {stop}: "
                                                       f"{_os_reason(exc)}"))
    base = end.write([b"".join(texts)]) if texts else 0
    return items, [len(t) for t in texts], base


def _adopted(done: tuple[list[Any], list[int], int], spill: Any) -> Iterator[Item]:
    """A range's items (:func:`_read_range`), its documents reading their
    texts from the spill."""
    items, lengths, base = done
    if lengths:
        sizes = np.array(lengths, dtype=np.int64)
        spill.documents.add_rows(base + np.cumsum(sizes) - sizes, sizes)
    row = len(spill.documents) - len(lengths)
    for found in items:
        if type(found) is tuple:
            found = spill.adopt(Document(*found), row)
            row += 1
        yield found


def _line_item(raw: bytes | None, source: str, rel: str, number: int, fields: Mapping[str, tuple[str, ...]],
               limits: Limits, compressed: bool) -> Item | HtmlPage | None:
    """What line ``number`` of a JSON Lines file gives (``raw`` None: a line
    over ``limits.document_bytes``, as :func:`_lines` gives it): its record
    (:func:`_parse_line`), or why it is skipped; None for a blank line."""
    if raw is None:
        return Skipped(f"{source}:{number}", str(_too_large("document_bytes", limits.document_bytes, compressed)))
    return _parse_line(raw, source, rel, number, fields) if raw.strip() else None


def _parse_line(raw: bytes, source: str, rel: str, number: int,
                fields: Mapping[str, tuple[str, ...]]) -> Item | HtmlPage:
    """Line ``number`` (from 1) of a JSON Lines file: its document (or HTML
    page to extract), or why it is skipped."""
    where = f"{source}:{number}"
    try:
        record = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
    except UnicodeDecodeError:
        return Skipped(where, "line is not valid UTF-8 (JSON must be UTF-8)")
    except json.JSONDecodeError as exc:
        return Skipped(where, f"invalid JSON: {exc.msg} at column {exc.colno}")
    except ValueError as exc:  # valid JSON Python will not read (an integer of more than 4,300 digits)
        return Skipped(where, f"JSON not read: {_short(exc).split('; use sys.')[0]}")
    except RecursionError:
        return Skipped(where, _TOO_DEEP)
    return _json_record(record, where, f"{rel}:{number}", fields)


def _json_records(
    stream: IO[bytes],
    source: str,
    rel: str,
    fields: Mapping[str, tuple[str, ...]],
    whole: bool,
    limits: Limits,
    compressed: bool,
) -> Iterator[Item]:
    """Records of a JSON Lines stream, one line at a time; for ``.json``
    (``whole``), a file that is one JSON document (an array of records, or
    one record) is read as such (up to ``limits.json_file_bytes``)."""
    if whole:
        data = _read_capped(stream, limits.json_file_bytes, "json_file_bytes", compressed)
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except RecursionError:
            yield Skipped(source, _TOO_DEEP)
            return
        except (UnicodeDecodeError, json.JSONDecodeError):
            document = None  # not one document: try it as JSON Lines
        except ValueError as exc:  # valid JSON Python will not read (an integer of more than 4,300 digits)
            yield Skipped(source, f"JSON not read: {_short(exc).split('; use sys.')[0]}")
            return
        if isinstance(document, list):
            for index, record in enumerate(document):
                yield _json_record(record, f"{source}#{index}", f"{rel}#{index}", fields)
            return
        if isinstance(document, dict):
            yield _json_record(document, source, rel, fields)
            return
        stream = io.BytesIO(data)
    for number, raw in enumerate(_lines(stream, limits.document_bytes), start=1):
        item = _line_item(raw, source, rel, number, fields, limits, compressed)
        if item is not None:
            yield item


# json.loads raises RecursionError on nesting deeper than Python's recursion
# limit (about 1,000 levels); no record of text is shaped like that.
_TOO_DEEP = "JSON nested too deeply to read (deeper than Python's recursion limit); not read"


def _json_record(record: Any, where: str, default_id: str, fields: Mapping[str, tuple[str, ...]]) -> Item:
    if not isinstance(record, dict):
        return Skipped(where, f"record is a JSON {type(record).__name__}, not an object")
    return record_to_document(record, where, default_id, fields)


class _LineDecoder:
    """Decode a byte stream line by line: UTF-8 (a BOM on the first line is
    dropped), else a legacy single-byte encoding, noted in ``warning``."""

    def __init__(self, stream: IO[bytes], cap: int, compressed: bool) -> None:
        self.stream, self.cap, self.compressed = stream, cap, compressed
        self.warning: str | None = None
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        for raw in _lines(self.stream, self.cap):
            self.line += 1
            if raw is None:
                once = " once decompressed" if self.compressed else ""
                raise _TooLarge(
                    f"line {self.line} is larger than limits.document_bytes = {self.cap:,} bytes{once}; "
                    "the rest of the file is not read"
                )
            try:
                text = raw.decode("utf-8-sig" if self.line == 1 else "utf-8")
            except UnicodeDecodeError:
                text, self.warning = _decode_legacy(raw)
            if "\r" in text:  # lines ended by CR alone (Excel's "CSV (Macintosh)")
                yield from (part for part in _CR_LINE_END.split(text) if part)
            else:
                yield text


_CR_LINE_END = re.compile(r"(?<=\r)(?!\n)")


def _decode_legacy(data: bytes) -> tuple[str, str]:
    for encoding in _TEXT_FALLBACKS:
        try:
            return data.decode(encoding), f"not valid UTF-8; decoded as {encoding}"
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def _csv_records(
    stream: IO[bytes],
    source: str,
    rel: str,
    fields: Mapping[str, tuple[str, ...]],
    delimiter: str,
    limits: Limits,
    compressed: bool,
) -> Iterator[Item]:
    lines = _LineDecoder(stream, limits.document_bytes, compressed)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        yield Skipped(source, "empty CSV file (no header row)")
        return
    except csv.Error as exc:
        yield Skipped(source, f"unreadable CSV header: {exc}")
        return
    header = [h.strip() for h in header]
    if not set(header) & set(fields["text"] + fields["html"]):
        yield Skipped(source, _unknown_columns(header, fields, "column"), id=rel)
        return
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
        if lines.warning and isinstance(item, Document):
            item.warnings.append(lines.warning)
        yield item


# Names shown when a record's fields or a file's columns are not recognised.
_SHOWN_NAMES = 12


def _unknown_columns(names: Iterable[Any], fields: Mapping[str, tuple[str, ...]], what: str) -> str:
    """Why a record (or a file's rows) has no text: the names it has, the
    names looked for, and the flag that names the right one."""
    found = [str(n) for n in names][: _SHOWN_NAMES + 1]
    shown = ", ".join(repr(n[:40]) for n in found[:_SHOWN_NAMES]) + (", ..." if len(found) > _SHOWN_NAMES else "")
    looked = ", ".join(fields["text"] + fields["html"])
    example = found[0][:40] if found and found[0] else "COLUMN"
    return (
        f"no text or html {what} (looked for: {looked}; {what}s found: {shown or 'none'}); "
        f"name the one holding the text with --field text={example}"
    )


def _parquet_records(path: Path, compression: str | None, source: str, rel: str, run: _Run) -> Iterator[Item]:
    """Rows of a Parquet file (as Hugging Face datasets ship), mapped like
    JSON records, read a batch at a time."""
    if compression:
        yield Skipped(source, "compressed Parquet file: Parquet compresses internally; decompress the file first")
        return
    try:
        import pyarrow
        import pyarrow.parquet as pq
    except ImportError:
        yield Skipped(source, "Parquet input needs the pyarrow package (pip install pyarrow)")
        return
    errors = (pyarrow.ArrowException, OSError, ValueError, TypeError, KeyError, IndexError, NotImplementedError,
              MemoryError, OverflowError)
    row = 0
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=_PARQUET_BATCH)
    except errors as exc:
        yield Skipped(source, f"unreadable Parquet file: {exc.__class__.__name__}: {_short(exc)}")
        return
    checked = False
    while True:
        try:
            batch = next(batches, None)
            records = batch.to_pylist() if batch is not None else []
        except errors as exc:
            yield Skipped(source, f"unreadable Parquet file after {row} rows: {exc.__class__.__name__}: {_short(exc)}")
            return
        if batch is None:
            return
        if not checked:
            checked = True
            names = batch.schema.names
            if not set(names) & set(run.fields["text"] + run.fields["html"]):
                yield Skipped(source, _unknown_columns(names, run.fields, "column"), id=rel)
                return
        for record in records:
            row += 1
            where = f"{source}:row {row}"
            if _record_bytes(record) > run.limits.document_bytes:
                yield Skipped(where, str(_too_large("document_bytes", run.limits.document_bytes, False)))
                continue
            record = {k: (v.isoformat() if isinstance(v, (datetime, date)) else v) for k, v in record.items()}
            yield record_to_document(record, where, f"{rel}:row {row}", run.fields)


def _record_bytes(record: Mapping[str, Any]) -> int:
    """About the size of a record's string and bytes values."""
    return sum(len(v) for v in record.values() if isinstance(v, (str, bytes)))


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        return Skipped(source, _unknown_columns(record.keys(), fields, "field"), id=doc_id)
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
