"""Fuzzing every reader (issue 12): JSON, JSON Lines, CSV, TSV, text, HTML,
WARC (plain, gzipped per record, gzipped whole, WET) and Parquet, the text
formats compressed or not (gzip, bz2, xz, zstd), fed valid inputs built here
and then mutated — bytes flipped, cut, repeated, and hostile fragments (deep
nesting, NUL, BOMs, false lengths, markup floods) spliced in, before or
after compression; and random folder trees of files, symbolic links of every
kind, FIFOs and earlier outputs.

The promise tested: every input ends as documents and skips with a
reason; no exception escapes and nothing hangs (each input has a deadline).

CI runs a bounded number of inputs, the same ones every time. The long
run is opt-in: ``WIRETRACE_FUZZ_EXAMPLES=100000`` spreads that many inputs
over the tests here (random ones each run), and
``WIRETRACE_FUZZ_REPORT=FILE`` appends what each test read to FILE.
"""

from __future__ import annotations

import bz2
import csv
import faulthandler
import gzip
import io
import json
import lzma
import os
import signal
import tempfile
import time
from pathlib import Path

import pytest

from wiretrace import Config
from wiretrace.readers import Limits, read_inputs
from wiretrace.records import Document, Skipped

from conftest import story

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FIELDS = Config().fields
_TOTAL = int(os.environ.get("WIRETRACE_FUZZ_EXAMPLES", "0") or 0)
_TESTS = 9  # reader fuzz tests below (the long run's total is spread over them; folder trees come on top)
_LONG = _TOTAL > 0
# CI: this many inputs per test (about 10 s for the module).
_CI_EXAMPLES = 100
EXAMPLES = -(-_TOTAL // _TESTS) if _LONG else _CI_EXAMPLES
# Seconds one input may take before it counts as a hang (the slowest
# legitimate input here, a WARC of three pages, takes well under one).
DEADLINE = 20
# Small limits, so that the cap paths are fuzzed too.
LIMITS = Limits(document_bytes=200_000, json_file_bytes=400_000, page_bytes=200_000, page_elements=2_000)

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,  # the alarm below is the deadline; hypothesis's would be flaky on a loaded machine
    derandomize=not _LONG,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)

HOSTILE = [
    b"[" * 3000, b"{" * 1500 + b'"a":' * 10, b'{"text": ' + b"[" * 2000, b"\x00", b"\x00" * 64, b"\xff\xfe", b"\xfe\xff",
    b"\xef\xbb\xbf", b'"', b"\\", b"\r", b"\n", b"\r\n\r\n", b",", b"\t", b'"\\ud800"', b'"\\udfff\\ud800"',
    b"1e999999", b"-0", b"NaN", b"Infinity", b"<p>" * 1000, b"<div>" * 3000, b"<!--", b"<![CDATA[", b"<?xml version='1.0' encoding='utf-16'?>",
    b"<meta charset='utf-16'>", b"<meta charset='x-unknown'>", b"<script>", b"</html>", b"&#0;", b"&#x110000;",
    b"WARC/1.0\r\n", b"WARC/1.0\r\nWARC-Type: response\r\n\r\n", b"Content-Length: 99999999999999\r\n",
    b"Content-Length: -5\r\n", b"Content-Length: x\r\n", b"WARC-Target-URI: \r\n", b"Content-Encoding: br\r\n",
    b"Content-Encoding: gzip\r\n", b"Transfer-Encoding: chunked\r\n", b"HTTP/1.1 200 OK\r\n", b"\x1f\x8b\x08",
    b"BZh9", b"\xfd7zXZ\x00", b"(\xb5/\xfd", b"PAR1", "\u2028".encode(),
    "\ufeff\ufffe\uffff".encode("utf-8", "surrogatepass"), "é".encode("cp1252"), "\U0001f600".encode(),
]


def _compress(data: bytes, how: str) -> bytes:
    if how == "gz":
        return gzip.compress(data, compresslevel=1)
    if how == "bz2":
        return bz2.compress(data, 1)
    if how == "xz":
        return lzma.compress(data, preset=0)
    if how == "zst":
        import zstandard

        return zstandard.ZstdCompressor(level=1).compress(data)
    return data


COMPRESSIONS = ["", "gz", "bz2", "xz"]
try:
    import zstandard  # noqa: F401

    COMPRESSIONS.append("zst")
except ImportError:  # pragma: no cover
    pass


@st.composite
def mutations(draw):
    """A list of edits to apply to a byte string."""
    ops = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "delete", "insert", "hostile", "repeat", "cut", "swap"]))
        where = draw(st.floats(0, 1, allow_nan=False))
        size = draw(st.integers(1, 64))
        if kind == "insert":
            payload = draw(st.binary(min_size=1, max_size=32))
        elif kind == "hostile":
            payload = draw(st.sampled_from(HOSTILE))
        else:
            payload = b""
        ops.append((kind, where, size, payload, draw(st.integers(0, 255))))
    return ops


def _mutate(data: bytes, ops) -> bytes:
    for kind, where, size, payload, byte in ops:
        at = int(where * len(data))
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ (byte or 1)]) + data[at + 1 :]
        elif kind == "delete":
            data = data[:at] + data[at + size :]
        elif kind in ("insert", "hostile"):
            data = data[:at] + payload + data[at:]
        elif kind == "repeat":
            data = data[:at] + data[at : at + size] * min(byte, 50) + data[at:]
        elif kind == "cut":
            data = data[:at]
        elif kind == "swap" and data:
            other = int((byte / 255) * len(data))
            a, b = sorted((at, other))
            data = data[:a] + data[b : b + size] + data[a + size : b] + data[a : a + size] + data[b + size :]
    return data


# --- valid inputs, built here ----------------------------------------------------

def _records(n: int = 3) -> list[dict]:
    return [
        {"id": f"r{i}", "text": story(i, 120), "url": f"https://www.site{i}.example.com/a/{i}", "title": f"Title {i}",
         "published": "2026-03-0{}T10:00:00Z".format(i + 1), "author": "A. Writer"}
        for i in range(n)
    ]


def _page(i: int) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in story(i, 150).split("\n\n"))
    return (
        f"<html lang='en'><head><meta charset='utf-8'><title>Title {i}</title>"
        f"<meta property='article:published_time' content='2026-03-04T08:00:00Z'>"
        f"<script type='application/ld+json'>{{\"@type\": \"NewsArticle\", \"author\": {{\"name\": \"A\"}}}}</script>"
        f"</head><body><nav>Home | News</nav><article><h1>Title {i}</h1>{body}</article></body></html>"
    ).encode()


def _warc_record(headers: dict[str, str], block: bytes) -> bytes:
    lines = ["WARC/1.0"] + [f"{k}: {v}" for k, v in headers.items()] + [f"Content-Length: {len(block)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def _warc_records(wet: bool = False) -> list[bytes]:
    records = [_warc_record({"WARC-Type": "warcinfo", "Content-Type": "application/warc-fields"}, b"software: fuzz\r\n")]
    for i in range(3):
        uri = f"https://www.site{i}.example.com/story/{i}"
        if wet:
            block = f"Title {i}\n{story(i, 120)}".encode()
            headers = {"WARC-Type": "conversion", "Content-Type": "text/plain"}
        else:
            page = _page(i)
            block = f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(page)}\r\n\r\n".encode() + page
            headers = {"WARC-Type": "response", "Content-Type": "application/http; msgtype=response"}
        headers.update({"WARC-Target-URI": uri, "WARC-Date": "2026-03-04T10:00:00Z", "WARC-Record-ID": f"<urn:uuid:{i}>"})
        records.append(_warc_record(headers, block))
    return records


def _csv(delimiter: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["id", "text", "url", "title"])
    for r in _records():
        writer.writerow([r["id"], r["text"], r["url"], r["title"]])
    return out.getvalue().encode()


SEEDS = {
    "jsonl": lambda: "".join(json.dumps(r) + "\n" for r in _records()).encode(),
    "json": lambda: json.dumps(_records()).encode(),
    "csv": lambda: _csv(","),
    "tsv": lambda: _csv("\t"),
    "txt": lambda: story(1, 200).encode(),
    "html": lambda: _page(1),
    "jsonl-html": lambda: "".join(json.dumps({"id": f"h{i}", "html": _page(i).decode(), "url": f"https://x{i}.example.com/"})
                                  + "\n" for i in range(2)).encode(),
}
SEED_BYTES = {name: make() for name, make in SEEDS.items()}
WARC_PLAIN = b"".join(_warc_records())
WARC_MEMBERS = [gzip.compress(r, compresslevel=1) for r in _warc_records()]
WET_MEMBERS = [gzip.compress(r, compresslevel=1) for r in _warc_records(wet=True)]

# --- the harness ---------------------------------------------------------------------

_WORK = Path(tempfile.mkdtemp(prefix="wiretrace-fuzz-"))
_COUNTS: dict[str, dict[str, int]] = {}


class _Hang(BaseException):
    """Raised by the deadline alarm: a BaseException, so that no
    ``except Exception`` in the code under test can swallow it."""


def _expired(signum, frame):
    raise _Hang(f"an input took more than {DEADLINE} s: a hang")


def _check(name: str, path: Path) -> None:
    """Read ``path`` under a deadline; every item must be a document or a skip with a reason."""
    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(DEADLINE)
    # A hang inside C code never returns to the alarm's handler: past twice
    # the deadline, print where it is stuck and end the run.
    faulthandler.dump_traceback_later(2 * DEADLINE, exit=True)
    started = time.perf_counter()
    try:
        items = list(read_inputs([path], FIELDS, workers=1, limits=LIMITS))
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    _tally(name, items, started)


def _tally(name: str, items: list, started: float) -> None:
    """Check and count what one input gave."""
    counts = _COUNTS.setdefault(name, {"inputs": 0, "documents": 0, "skipped": 0, "slowest_ms": 0})
    counts["inputs"] += 1
    counts["slowest_ms"] = max(counts["slowest_ms"], int((time.perf_counter() - started) * 1000))
    for item in items:
        if isinstance(item, Document):
            assert isinstance(item.id, str) and item.id and isinstance(item.text, str) and item.text.strip()
            item.text.encode("utf-8")  # no lone surrogates reach the report
            counts["documents"] += 1
        else:
            assert isinstance(item, Skipped) and isinstance(item.reason, str) and item.reason, item
            counts["skipped"] += 1


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    target = os.environ.get("WIRETRACE_FUZZ_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            for name, counts in sorted(_COUNTS.items()):
                handle.write(json.dumps({"test": name, **counts}) + "\n")


def _write(name: str, data: bytes) -> Path:
    path = _WORK / name
    if path.exists():
        path.unlink()
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", sorted(SEEDS))
@SETTINGS
@given(ops=mutations(), compression=st.sampled_from(COMPRESSIONS), after=st.booleans())
def test_fuzz_file_readers(kind, ops, compression, after):
    """Text, HTML, JSON, JSON Lines, CSV and TSV; mutated before or after compression."""
    data = SEED_BYTES[kind]
    suffix = {"jsonl-html": "jsonl"}.get(kind, kind)
    data = _mutate(_compress(data, compression), ops) if after else _compress(_mutate(data, ops), compression)
    name = f"fuzz.{suffix}" + (f".{compression}" if compression else "")
    _check(f"file:{kind}", _write(name, data))


@SETTINGS
@given(ops=mutations(), form=st.sampled_from(["plain", "members", "one-member", "wet"]), drop=st.integers(0, 3))
def test_fuzz_warc(ops, form, drop):
    """WARC uncompressed, gzipped per record (as crawlers write), gzipped whole, and WET."""
    if form == "plain":
        data, name = _mutate(WARC_PLAIN, ops), "fuzz.warc"
    elif form == "members":
        members = list(WARC_MEMBERS)
        del members[drop : drop + (1 if drop % 2 else 0)]  # sometimes a member missing
        data, name = _mutate(b"".join(members), ops), "fuzz.warc.gz"
    elif form == "one-member":
        data, name = _mutate(gzip.compress(_mutate(WARC_PLAIN, ops[:1]), compresslevel=1), ops[1:]), "fuzz.warc.gz"
    else:
        data, name = _mutate(b"".join(WET_MEMBERS), ops), "fuzz.warc.wet.gz"
    _check(f"warc:{form}", _write(name, data))


def _parquet_seed() -> bytes:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(_records()), buffer, row_group_size=2)
    return buffer.getvalue()


@SETTINGS
@given(ops=mutations())
def test_fuzz_parquet(ops):
    _check("parquet", _write("fuzz.parquet", _mutate(_parquet_seed(), ops)))


def test_the_seeds_are_read_whole():
    """The inputs mutated above are valid: unmutated, each is read without a skip."""
    for kind, data in SEED_BYTES.items():
        suffix = {"jsonl-html": "jsonl"}.get(kind, kind)
        for compression in COMPRESSIONS:
            path = _write(f"seed.{suffix}" + (f".{compression}" if compression else ""), _compress(data, compression))
            items = list(read_inputs([path], FIELDS, limits=LIMITS))
            assert items and all(isinstance(i, Document) for i in items), (kind, compression, items)
    for name, data in (("seed.warc", WARC_PLAIN), ("seed.warc.gz", b"".join(WARC_MEMBERS)),
                       ("seed1.warc.gz", gzip.compress(WARC_PLAIN)), ("seed.warc.wet.gz", b"".join(WET_MEMBERS))):
        items = list(read_inputs([_write(name, data)], FIELDS, limits=LIMITS))
        assert [type(i) for i in items] == [Document] * 3, (name, items)
    if _parquet_seed():
        items = list(read_inputs([_write("seed.parquet", _parquet_seed())], FIELDS, limits=LIMITS))
        assert [type(i) for i in items] == [Document] * 3


# --- folders -----------------------------------------------------------------------

ENTRY_KINDS = ["text", "jsonl", "html", "empty", "unsupported", "fifo", "link-inside", "link-outside", "link-loop",
               "link-dangling", "link-folder", "folder", "own-output", "hidden"]


@settings(SETTINGS, max_examples=max(EXAMPLES // 4, 10))  # each example is a whole tree of inputs
@given(entries=st.lists(st.tuples(st.sampled_from(ENTRY_KINDS), st.integers(0, 3)), min_size=1, max_size=12))
def test_fuzz_folders(entries):
    """Random folder trees of files, links of every kind, FIFOs and earlier outputs: every entry not hidden
    ends as a document or a skip naming it (or its folder), without a hang."""
    root = Path(tempfile.mkdtemp(dir=_WORK))
    folders = [root]
    accounted: list[Path] = []  # entries that must appear in some item's source
    for n, (kind, depth) in enumerate(entries):
        parent = folders[min(depth, len(folders) - 1)]
        path = parent / f"e{n}"
        if kind == "text":
            path = path.with_suffix(".txt")
            path.write_text(story(n, 40), encoding="utf-8")
        elif kind == "jsonl":
            path = path.with_suffix(".jsonl")
            path.write_text(json.dumps({"text": story(n, 40)}) + "\n", encoding="utf-8")
        elif kind == "html":
            path = path.with_suffix(".html")
            path.write_bytes(_page(n))
        elif kind == "empty":
            path = path.with_suffix(".txt")
            path.write_bytes(b"")
        elif kind == "unsupported":
            path = path.with_suffix(".png")
            path.write_bytes(b"\x89PNG")
        elif kind == "fifo":
            path = path.with_suffix(".txt")
            os.mkfifo(path)
        elif kind == "link-inside":
            target = root / f"t{n}.txt"
            target.write_text(story(n, 40), encoding="utf-8")
            accounted.append(target)
            path = path.with_suffix(".txt")
            os.symlink(target, path)
        elif kind == "link-outside":
            path = path.with_suffix(".txt")
            os.symlink("/etc/hostname", path)
        elif kind == "link-loop":
            path = path.with_suffix(".txt")
            os.symlink(path.name, path)
        elif kind == "link-dangling":
            path = path.with_suffix(".txt")
            os.symlink(root / "nowhere.txt", path)
        elif kind == "link-folder":
            os.symlink(root, path)
        elif kind == "folder":
            path.mkdir()
            folders.append(path)
            continue  # a folder is accounted for by what it holds
        elif kind == "own-output":
            path.mkdir()
            (path / "report.json").write_text('{\n  "format": "wiretrace-report",\n  "documents": []\n}\n')
            (path / "pairs.csv").write_text("a,b\n")
        else:
            (parent / f".hidden{n}.txt").write_text(story(n, 40), encoding="utf-8")
            continue
        accounted.append(path)
    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(DEADLINE)
    started = time.perf_counter()
    try:
        items = list(read_inputs([root], FIELDS, workers=1, limits=LIMITS))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    _tally("folders", items, started)
    sources = [item.source for item in items]
    for path in accounted:
        assert any(s == str(path) or s.startswith(f"{path}:") or s.startswith(f"{path}#") for s in sources), (path, items)
    assert not any(".hidden" in s for s in sources)
