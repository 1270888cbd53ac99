"""Columns kept on disk: a large scan's texts and shingle sets, written once
and read back by row, so that memory does not grow with the corpus.

Rule: a :class:`Spill` owns two unnamed temporary files (one of texts as
UTF-8, one of shingle sets as little-endian uint64), which the operating
system deletes when the last process holding them exits -- a killed scan
leaves nothing behind. A column (:class:`TextColumn`, :class:`SetColumn`)
is a list of (offset, length) rows into one file; rows are written once,
never changed, and several columns may share a row (a text the clean stage
left as it was, a free set equal to the whole set). Reads are ``pread``
calls: forked workers read the rows they need through the inherited file
instead of copying the parent's pages, and the page cache (reclaimable)
holds what is hot, not the process.

:class:`SpilledDocument` is a :class:`~wiretrace.records.Document` whose
text is a row of a text column, read on each use: its ``text`` field holds
a :class:`SpilledText` (where the text is) in place of the text, so a
spilled document is the size of any other. (A document held its fields in
an attribute dict, and taking the text out of it and adding two keys made
each dict a table of its own: 832 bytes instead of 184, two thirds of what
a 1M scan's documents held. Documents have slots now.) Anything that
pickles a spilled document or column (a Ray task) gets the plain values,
so a process without the file still gets the same data.

A scan spills once it has read ``run.spill_documents`` documents (a local
executor only: Ray workers on other machines cannot read this machine's
files); the report is the same either way (``tests/test_spill.py``).
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

import numpy as np

from wiretrace.errors import ConfigError, SpillError
from wiretrace.records import Document

__all__ = ["Spill", "TextColumn", "SetColumn", "SpilledDocument", "SpilledText", "TextsOf", "Blanked", "set_sizes", "Later", "later", "now"]

_SET_DTYPE = np.dtype("<u8")
#: Rows read in one ``pread`` when a column is walked in order.
_BLOCK_BYTES = 4 << 20
#: A column's rows are written in writes of about this many bytes.
_WRITE_BYTES = 1 << 20


class _File:
    """An unnamed file written at its end and read at any offset."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        try:
            self.fd = os.open(directory, os.O_TMPFILE | os.O_RDWR, 0o600)
        except (AttributeError, OSError):  # no O_TMPFILE here: a named file, unlinked at once
            fd, path = tempfile.mkstemp(prefix="wiretrace-spill-", dir=directory)
            os.unlink(path)
            self.fd = fd
        self.size = 0  # bytes written (and handed out as offsets)
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._flushed = 0
        self.broken = False  # set when forked writers may still be writing (Spill.shared_sets)

    def write(self, data: bytes) -> int:
        if self.broken:
            raise SpillError(f"a spill file of {self.directory} is no longer written: the step writing it "
                             "in other processes failed")
        offset = self.size
        self.size += len(data)
        if data:
            self._pending.append(data)
            self._pending_bytes += len(data)
            if self._pending_bytes >= _WRITE_BYTES:
                self.flush()
        return offset

    def flush(self) -> None:
        if self._pending:
            blob = b"".join(self._pending)
            _pwrite_all(self.fd, blob, self._flushed, self.directory)
            self._flushed += len(blob)
            self._pending, self._pending_bytes = [], 0

    def read(self, offset: int, length: int) -> bytes:
        if offset + length > self._flushed:
            # a forked worker flushes its copy of the buffer: the same bytes at the same offsets
            self.flush()
        data = os.pread(self.fd, length, offset)
        while len(data) < length:  # pread may return less than asked
            more = os.pread(self.fd, length - len(data), offset + len(data))
            if not more:
                raise OSError(f"spill file ended at {offset + len(data)} of {offset + length}")
            data += more
        return data

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        try:
            self.close()
        except OSError:
            pass


def _pwrite_all(fd: int, data: bytes | memoryview, offset: int, directory: str) -> None:
    written = 0
    while written < len(data):
        try:
            written += os.pwrite(fd, memoryview(data)[written:], offset + written)
        except OSError as exc:
            raise _cannot_write(directory, exc) from None


def _cannot_write(directory: str, exc: OSError) -> SpillError:
    return SpillError(
        f"cannot write the scan's spill files in {directory} ({exc.strerror}): free space "
        "there, set run.spill_dir to another folder, or run.spill_documents = 0 to hold the "
        "corpus in memory; no output was changed")


class SharedEnd:
    """Appends to a spill file from the processes forked while it is open.

    Each :meth:`write` reserves its bytes at the file's end and writes them
    there with ``pwrite``; it returns the offset, which the process that owns
    the file makes rows of (:meth:`_Column.add_rows`). The file's size is the
    end: a writer takes a POSIX record lock on the file (one process at a
    time, and none is left behind by a killed one), reads the size and
    extends the file past its bytes, and writes them after letting go. Forked
    workers write what they made where it lies, and only its place crosses
    back to the main process: a 1M-document scan's shingle sets (most of its
    5.6 GB of spill) were sent through pipes to the main process and written
    by it, which the fingerprint step waited on
    (:func:`wiretrace.fingerprint.fingerprint_all`).
    Made by :meth:`Spill.shared_sets` and :meth:`Spill.shared_texts`; nothing else writes to the file
    meanwhile, and no process writes through it twice at once (a lock of
    this kind excludes processes, not threads).
    """

    def __init__(self, file: _File) -> None:
        file.flush()
        self.fd, self.directory = file.fd, file.directory
        self._identity = _identity(self.fd)

    def write(self, parts: Sequence[bytes | memoryview | np.ndarray]) -> int:
        """Write ``parts`` one after the other at the file's end, reserved
        for them; the offset of the first. An array is written as a set is
        stored (little-endian uint64).

        Raises:
            SpillError: this process's ``fd`` is not the spill file (a
                process that did not inherit it: nothing is written).
        """
        import fcntl

        try:
            same = _identity(self.fd) == self._identity
        except OSError:
            same = False
        if not same:
            raise SpillError(f"a spill file of {self.directory} is written by a process that did not inherit it "
                             "(spilled sets and texts are written by forked workers only); nothing was written")
        views = [memoryview(np.ascontiguousarray(part, dtype=_SET_DTYPE) if isinstance(part, np.ndarray) else part)
                 .cast("B") for part in parts]
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX, 1, _LOCK_BYTE)
        except OSError as exc:  # no locks there (a network file system without a lock daemon)
            raise _cannot_write(self.directory, exc) from None
        try:
            offset = os.fstat(self.fd).st_size
            try:
                os.ftruncate(self.fd, offset + sum(view.nbytes for view in views))
            except OSError as exc:
                raise _cannot_write(self.directory, exc) from None
        finally:
            fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, _LOCK_BYTE)
        at = offset
        for view in views:
            _pwrite_all(self.fd, view, at, self.directory)
            at += view.nbytes
        return offset

    @property
    def end(self) -> int:
        return os.fstat(self.fd).st_size


def _identity(fd: int) -> tuple[int, int]:
    status = os.fstat(fd)
    return status.st_dev, status.st_ino


# The byte a SharedEnd's writers lock: far past any spill's end (a lock may lie past
# the end of a file; the bytes themselves are never written).
_LOCK_BYTE = 1 << 62


class _Column:
    """Rows (offset, length) into one :class:`_File`."""

    def __init__(self, file: _File) -> None:
        self._file = file
        self._offsets = array("q")
        self._lengths = array("q")
        self._last_row: int = -1  # the row read last, and its value (rows never change)
        self._last: Any = None

    def __len__(self) -> int:
        return len(self._offsets)

    def _add(self, offset: int, length: int) -> None:
        self._offsets.append(offset)
        self._lengths.append(length)

    def add_rows(self, offsets: np.ndarray, lengths: np.ndarray) -> None:
        """Append rows at these byte offsets and lengths, written already
        (by a :class:`SharedEnd`)."""
        self._offsets.frombytes(np.ascontiguousarray(offsets, dtype=np.int64).tobytes())
        self._lengths.frombytes(np.ascontiguousarray(lengths, dtype=np.int64).tobytes())

    def add_row_of(self, other: _Column, row: int) -> None:
        """Append ``other``'s row ``row`` (same file) without writing it again."""
        assert other._file is self._file, "rows are shared within one file only"
        self._add(other._offsets[row], other._lengths[row])

    def take(self, rows: Sequence[int]) -> _Column:
        """A column of these rows, in this order (nothing is written)."""
        out = type(self)(self._file)
        for row in rows:
            out._add(self._offsets[row], self._lengths[row])
        return out

    def _read(self, row: int) -> bytes:
        return self._file.read(self._offsets[row], self._lengths[row])

    def _decode(self, data: bytes | memoryview) -> Any:
        raise NotImplementedError

    def _walk(self, start: int, stop: int) -> Iterator[Any]:
        """Rows ``start``..``stop`` in order, read a block at a time."""
        for first, last, blob, base in self._blocks(start, stop):
            view = memoryview(blob)
            for row in range(first, last):
                at = self._offsets[row] - base
                yield self._decode(view[at:at + self._lengths[row]])

    def __getitem__(self, row):
        """Row ``row`` (a text, a set); a slice gives a list."""
        if isinstance(row, slice):
            start, stop, step = row.indices(len(self))
            return list(self._walk(start, stop)) if step == 1 else [self[i] for i in range(start, stop, step)]
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        if row != self._last_row:
            # the row read last is kept: a stage often reads one row several times in a row
            # (verification: one document's set for each of its pairs, which come sorted)
            self._last_row, self._last = row, self._decode(self._read(row))
        return self._last

    def __iter__(self) -> Iterator[Any]:
        return self._walk(0, len(self))

    def _blocks(self, row: int = 0, n: int | None = None) -> Iterator[tuple[int, int, bytes, int]]:
        """(first row, end row, bytes, base offset) for runs of rows
        ``row``..``n`` that lie one after the other in the file, read
        ``_BLOCK_BYTES`` at a time."""
        n = len(self) if n is None else n
        while row < n:
            start, end = self._offsets[row], self._offsets[row] + self._lengths[row]
            last = row + 1
            while last < n and self._offsets[last] == end and end - start < _BLOCK_BYTES:
                end += self._lengths[last]
                last += 1
            yield row, last, self._file.read(start, end - start), start
            row = last


class TextColumn(_Column, Sequence[str]):
    """Texts (module doc). ``column[i]`` reads row ``i``; a slice gives a list."""

    def append(self, text: str) -> int:
        data = text.encode("utf-8", "surrogatepass")  # lone surrogates survive the round trip
        self._add(self._file.write(data), len(data))
        return len(self) - 1

    def append_text_of(self, doc: Document) -> None:
        """Append ``doc``'s text: by reference when it is spilled in this file."""
        spilled = stored_text(doc)
        if type(spilled) is SpilledText and isinstance(spilled.column, TextColumn) and spilled.column._file is self._file:
            self.add_row_of(spilled.column, spilled.row)
        else:
            self.append(doc.text)

    def _decode(self, data: bytes | memoryview) -> str:
        return str(data, "utf-8", "surrogatepass")

    def __reduce__(self) -> tuple[Any, ...]:
        return list, (list(self),)


class SetColumn(_Column, Sequence[np.ndarray]):
    """Shingle sets (module doc): ``column[i]`` is a read-only uint64 array."""

    def extend(self, sets: Sequence[np.ndarray]) -> None:
        for values in sets:
            values = np.ascontiguousarray(values, dtype=_SET_DTYPE)
            self._add(self._file.write(values.tobytes()), len(values) * 8)

    def extend_aliased(self, sets: Sequence[np.ndarray], same: Sequence[np.ndarray], other: SetColumn) -> None:
        """Append ``sets``; one that *is* its counterpart in ``same`` (the
        last ``len(same)`` rows of ``other``) shares that row instead."""
        first = len(other) - len(same)
        for i, (values, twin) in enumerate(zip(sets, same)):
            if values is twin:
                self.add_row_of(other, first + i)
            else:
                self.extend([values])

    def sizes(self) -> np.ndarray:
        """Each row's number of shingles, without reading a row."""
        return np.frombuffer(self._lengths, dtype=np.int64) // 8

    def flat(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``start``..``stop`` as one array and each row's size (what
        ``np.concatenate`` of the rows gives), read in as few calls as the
        rows' places in the file allow."""
        sizes = self.sizes()[start:stop].copy()
        blocks = [self._decode(blob) for _, _, blob, _ in self._blocks(start, stop)]
        flat = blocks[0] if len(blocks) == 1 else np.concatenate(blocks) if blocks else np.empty(0, np.uint64)
        return flat, sizes

    def _decode(self, data: bytes | memoryview) -> np.ndarray:
        return np.frombuffer(data, dtype=_SET_DTYPE).view(np.uint64)  # read-only: rows never change

    def shares_row(self, other: SetColumn, row: int) -> bool:
        """Whether row ``row`` is the same stored set in both columns."""
        return self._offsets[row] == other._offsets[row] and self._lengths[row] == other._lengths[row]

    def __reduce__(self) -> tuple[Any, ...]:
        return list, ([np.array(s) for s in self],)


class SpilledText:
    """A text that is row ``row`` of a spill's text column."""

    __slots__ = ("column", "row")

    def __init__(self, column: Sequence[str], row: int) -> None:
        self.column, self.row = column, row

    def read(self) -> str:
        return self.column[self.row]


_TEXT = Document.__dict__["text"]  # the text field's slot, under SpilledDocument's property


def stored_text(doc: Document) -> str | SpilledText:
    """``doc``'s text as it is held: the text, or a :class:`SpilledText`
    naming where it is (read it with ``read()``)."""
    return _TEXT.__get__(doc)


class SpilledDocument(Document):
    """A document whose text is a row of a text column (module doc).

    Setting ``text`` keeps the new value in memory, as on any document."""

    __slots__ = ()  # the layout of a Document, so that a document can become one

    @property  # type: ignore[override]
    def text(self) -> str:
        value = _TEXT.__get__(self)
        return value.read() if type(value) is SpilledText else value

    @text.setter
    def text(self, value: str) -> None:
        _TEXT.__set__(self, value)

    def __reduce__(self) -> tuple[Any, ...]:
        return Document, tuple(getattr(self, f.name) for f in fields(Document))


class TextsOf(Sequence[str]):
    """The texts of a list of documents, read when asked for (a spilled
    document's text is not held by a list of all texts)."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self._documents = documents

    def __len__(self) -> int:
        return len(self._documents)

    def __getitem__(self, i):
        if isinstance(i, slice):
            documents = self._documents[i]
            stored = [stored_text(d) if isinstance(d, Document) else None for d in documents]  # or any object's .text
            first = stored[0] if stored else None
            if type(first) is SpilledText and all(type(t) is SpilledText and t.column is first.column for t in stored):
                # rows of one column, read a block at a time (one pread each, not one a text:
                # reading texts one by one was most of what the clean step's line keys cost at 1M)
                return first.column.take([t.row for t in stored])[:]
            return [d.text for d in documents]
        return self._documents[i].text


def _itself(value: Any) -> Any:
    return value


class Later:
    """Row ``row`` of a spilled column, read when a worker asks for it
    (:meth:`get`): a cluster step's items name their sets and texts instead
    of holding them, so the main process does not read every clustered
    document's set or text before its forked workers start. Pickled (a task
    for a worker elsewhere, Ray's), it is the value itself."""

    __slots__ = ("column", "row")

    def __init__(self, column: Sequence[Any], row: int) -> None:
        self.column, self.row = column, row

    def get(self) -> Any:
        return self.column[self.row]

    def __reduce__(self) -> tuple[Any, ...]:
        return _itself, (self.get(),)


def later(column: Sequence[Any], row: int) -> Any:
    """``column[row]``, or a :class:`Later` for it when that row is spilled
    (a spilled column's, or the text of a spilled document)."""
    if isinstance(column, _Column) or (isinstance(column, TextsOf)
                                       and type(stored_text(column._documents[row])) is SpilledText):
        return Later(column, row)
    return column[row]


def now(value: Any) -> Any:
    """The value of a :class:`Later`, or ``value`` itself."""
    return value.get() if type(value) is Later else value


class Spill:
    """The files of one scan's spilled columns (module doc)."""

    def __init__(self, directory: str | None = None) -> None:
        directory = directory or tempfile.gettempdir()
        if not os.path.isdir(directory):
            raise ConfigError(f"run.spill_dir {directory!r} is not a folder: name an existing folder "
                              "(or leave it empty for the system's temporary folder)")
        try:
            self._texts = _File(directory)
            self._sets = _File(directory)
        except OSError as exc:
            raise ConfigError(f"cannot write spill files in {directory!r} ({exc.strerror}): "
                              "set run.spill_dir to a writable folder") from None
        self.documents = TextColumn(self._texts)  # the documents' texts as read

    def keep(self, doc: Document) -> Document:
        """Move ``doc``'s text to the spill; the same object, now a :class:`SpilledDocument`."""
        if type(doc) is not Document:
            return doc
        _TEXT.__set__(doc, SpilledText(self.documents, self.documents.append(_TEXT.__get__(doc))))
        doc.__class__ = SpilledDocument
        return doc

    def adopt(self, doc: Document, row: int) -> Document:
        """``doc``, whose text is row ``row`` of the documents' text column
        (written by a worker: :meth:`shared_texts`), as a
        :class:`SpilledDocument` reading it from there."""
        _TEXT.__set__(doc, SpilledText(self.documents, row))
        doc.__class__ = SpilledDocument
        return doc

    @contextmanager
    def shared_texts(self) -> Iterator[SharedEnd]:
        """A :class:`SharedEnd` of the texts' file, for workers forked inside
        the block (the texts they read are written where they lie, and the
        documents' column gets rows for them: :meth:`_Column.add_rows`); this
        process writes no text meanwhile."""
        end = SharedEnd(self._texts)
        try:
            yield end
        except BaseException:
            self._texts.broken = True  # as for shared_sets: workers may still be writing past its end
            raise
        finally:
            self._texts.size = self._texts._flushed = end.end

    def texts(self) -> TextColumn:
        """A new text column in the texts' file (it may share the documents' rows)."""
        return TextColumn(self._texts)

    def sets(self) -> SetColumn:
        return SetColumn(self._sets)

    @contextmanager
    def shared_sets(self) -> Iterator[SharedEnd]:
        """A :class:`SharedEnd` of the sets' file, for workers forked inside
        the block; the file's end is where they left it after."""
        end = SharedEnd(self._sets)
        try:
            yield end
        except BaseException:
            # a failed window's workers may still be writing past its end: nothing more
            # is written to this file (the scan stops; a later write would overlap theirs)
            self._sets.broken = True
            raise
        finally:
            self._sets.size = self._sets._flushed = end.end

    def flush(self) -> None:
        """Write what is buffered (before workers fork, so they need not)."""
        self._texts.flush()
        self._sets.flush()

    def bytes_written(self) -> dict[str, int]:
        return {"texts": self._texts.size, "sets": self._sets.size}


def set_sizes(sets: Sequence[np.ndarray]) -> np.ndarray:
    """Each set's size, of a list or a spilled column (without reading it)."""
    if isinstance(sets, (SetColumn, Blanked)):
        return sets.sizes()
    return np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))


class Blanked(Sequence[np.ndarray]):
    """``sets`` with rows ``blank`` read as empty sets (a view: nothing is copied)."""

    _EMPTY = np.empty(0, dtype=np.uint64)

    def __init__(self, sets: Sequence[np.ndarray], blank: set[int]) -> None:
        self._sets, self._blank = sets, blank

    def __len__(self) -> int:
        return len(self._sets)

    def sizes(self) -> np.ndarray:
        sizes = set_sizes(self._sets).copy()
        sizes[sorted(self._blank)] = 0
        return sizes

    def __getitem__(self, i):
        if isinstance(i, slice):
            start, _, step = i.indices(len(self))
            return [self._EMPTY if start + k * step in self._blank else s for k, s in enumerate(self._sets[i])]
        return self._EMPTY if i in self._blank else self._sets[i]
