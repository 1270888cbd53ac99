"""Writing output files: all of a run's files or none, never through a link,
one scan at a time per folder.

Rule: every file is first written to a temporary file in its own folder
(created exclusively with ``O_NOFOLLOW``, so nothing planted there is
written through), flushed to disk (``fsync``), and only when every file of
the run is complete are they renamed over the old ones, ``report.json``
last, then the folder itself is flushed. A kill (even ``kill -9``) or a full
disk at any moment leaves either the previous outputs or the new ones, never
a truncated file; a ``report.json`` from this run means every other output
is from this run too (they carry its ``run_id``). ``rename`` replaces a
symbolic link planted at an output's name, it never writes into the link's
target; each replaced link is logged as a warning.

A lock file (``.wiretrace.lock``, held with ``fcntl.flock`` from before the
inputs are read until the outputs are in place) keeps a second scan out of a
folder while one is working there: it fails at once with
:class:`OutputLocked` instead of mixing its files with the first one's.
"""

from __future__ import annotations

import codecs
import errno
import logging
import os
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from wiretrace.errors import WiretraceError

__all__ = ["OutputError", "OutputLocked", "OutputFolder", "ReservedFiles", "atomic_write", "describe_os_error", "new_run_id", "LOCK_NAME",
           "scalar_text", "utf8", "xml_text"]

log = logging.getLogger("wiretrace")

LOCK_NAME = ".wiretrace.lock"
_TMP_PREFIX = ".wiretrace-tmp-"  # temporary files; a run cleans up the ones a killed run left
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class OutputError(WiretraceError):
    """The outputs could not be written; the previous ones, if any, are untouched."""


class OutputLocked(OutputError):
    """Another scan holds the output folder."""


def new_run_id() -> str:
    """A fresh id for one run: UTC time and 6 random hex digits.

    Example:
        >>> len(new_run_id().split("-"))
        2
    """
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the renames are still atomic
    finally:
        os.close(fd)


def _temp_file(folder: Path, name: str) -> tuple[Path, int]:
    """A new file in ``folder`` that nothing else can have planted (O_EXCL, O_NOFOLLOW)."""
    for _ in range(100):
        path = folder / f"{_TMP_PREFIX}{secrets.token_hex(6)}-{name}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o644)
        except FileExistsError:
            continue
        return path, fd
    raise OutputError(f"cannot create a temporary file in {folder}")  # pragma: no cover


def _replaced_link(path: Path) -> str | None:
    """The target of the symbolic link at ``path`` (about to be replaced), else None."""
    try:
        if path.is_symlink():
            return os.readlink(path)
    except OSError:
        pass
    return None


def describe_os_error(exc: OSError) -> str:
    """What an output error message says of ``exc``: its reason, and for a
    full disk or file-size limit, that it is one."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"{exc.strerror} (the disk or a file-size limit is full)"
    return exc.strerror or str(exc)


def atomic_write(path: str | Path, data: str | bytes | bytearray | memoryview | Iterable[bytes]) -> Path:
    """Write one file all or nothing: a temporary file beside it, fsync, rename.
    ``data``: the whole text or bytes, or bytes in pieces written as they
    come (:func:`utf8_pieces`: a page rendered piece by piece is never held
    whole).

    A symbolic link at ``path`` is replaced, never written through (and a
    warning logged).

    Raises:
        OutputError: The file could not be written (the old one is untouched).
        Whatever making the pieces raised, as it is (an ``OSError`` of the
        renderer is not a write's); the old file is untouched there too.
    """
    path = Path(path)
    folder = path.parent
    try:
        temp, fd = _temp_file(folder, path.name)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {describe_os_error(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, (str, bytes, bytearray, memoryview)):
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            else:
                for piece in _made(data):
                    handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        target = _replaced_link(path)
        os.replace(temp, path)
    except _Unmade as exc:
        _unlink(temp)
        raise exc.__cause__ from None
    except OSError as exc:
        _unlink(temp)
        raise OutputError(f"cannot write {path}: {describe_os_error(exc)}; the previous file is untouched") from None
    except BaseException:
        _unlink(temp)
        raise
    if target is not None:
        log.warning("%s was a symbolic link (to %s): replaced by the file, its target left untouched", path, target)
    _fsync_dir(folder)
    return path


class _Unmade(Exception):
    """An exception of the pieces' maker, carried past the writer's own (``__cause__``)."""


def _made(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``pieces``, with whatever making the next one raises carried as :class:`_Unmade`."""
    made = iter(pieces)
    while True:
        try:
            piece = next(made)
        except StopIteration:
            return
        except Exception as exc:
            raise _Unmade() from exc
        yield piece


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class OutputFolder:
    """An output folder held by this process: created, locked, checked writable.

    Use as a context manager (or call :meth:`open` and :meth:`close`); write
    a run's files with :meth:`batch`.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp, OutputFolder(tmp) as out:
        ...     with out.batch() as batch:
        ...         batch.write_text("a.txt", "one")
        ...     sorted(p.name for p in Path(tmp).iterdir())
        ['.wiretrace.lock', 'a.txt']
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock_fd: int | None = None

    def __enter__(self) -> OutputFolder:
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def held(self) -> bool:
        return self._lock_fd is not None

    def open(self) -> None:
        """Create the folder, take its lock and check a file can be created in it.

        Raises:
            OutputLocked: Another scan is writing into this folder.
            OutputError: It is not a folder, or cannot be created or written.
        """
        import fcntl

        if self.held:
            return
        path = self.path
        if path.exists() and not path.is_dir():
            raise OutputError(f"{path} exists and is not a folder")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the output folder {path}: {describe_os_error(exc)}") from None
        lock_path = path / LOCK_NAME
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutputError(f"{lock_path} is a symbolic link; remove it (wiretrace never writes through links)") from None
            raise OutputError(f"cannot write into the output folder {path}: {describe_os_error(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise OutputLocked(
                f"another wiretrace scan is writing into {path} (it holds {lock_path}); "
                "wait for it to finish or choose another --out"
            ) from None
        self._lock_fd = fd
        try:
            self._clean_temporaries()
            temp, probe = _temp_file(path, "probe")  # the folder is writable for files, not only the lock
            os.close(probe)
            os.unlink(temp)
        except OSError as exc:
            self.close()
            raise OutputError(f"cannot write into the output folder {path}: {describe_os_error(exc)}") from None

    def _clean_temporaries(self) -> None:
        """Remove temporary files a killed run left behind (we hold the lock: none is in use)."""
        for entry in os.scandir(self.path):
            if entry.name.startswith(_TMP_PREFIX) and entry.is_file(follow_symlinks=False):
                _unlink(Path(entry.path))

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock; the file stays (removing it would race)
            self._lock_fd = None

    @contextmanager
    def unnamed_file(self) -> Iterator[IO[bytes]]:
        """A temporary binary file in the folder with no name (``O_TMPFILE``);
        where the file system has none, a named one removed at once, named as
        the folder's temporaries are, so that a run killed in between leaves
        one the next run removes."""
        import tempfile

        if not self.held:
            raise RuntimeError("OutputFolder.unnamed_file() needs the folder open (use it as a context manager)")
        with tempfile.TemporaryFile(dir=self.path, prefix=_TMP_PREFIX) as handle:
            yield handle

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """Files written together: committed on a clean exit, discarded on an error."""
        if not self.held:
            raise RuntimeError("OutputFolder.batch() needs the folder open (use it as a context manager)")
        batch = Batch(self.path)
        try:
            yield batch
        except BaseException:
            batch.discard()
            raise
        batch.commit()


class _Writer:
    """Files written by name: ``open`` gives a binary handle, ``write_text`` a whole text."""

    def open(self, name: str) -> Any:  # pragma: no cover - every writer defines it
        raise NotImplementedError

    def write_text(self, name: str, text: str) -> None:
        with self.open(name) as handle:
            handle.write(text.encode("utf-8"))


class Batch(_Writer):
    """Temporary files that become a run's outputs together, on :meth:`commit`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._temps: dict[str, Path] = {}
        self.paths: dict[str, Path] = {}
        self.replaced_links: list[tuple[Path, str]] = []
        self.removed: list[Path] = []
        self._stale: list[str] = []
        self._reserved: list[int] = []  # descriptors of reserve()'s files, closed with the batch

    def _create(self, name: str) -> int:
        """The temporary file that becomes ``name``, created and registered; its descriptor."""
        if name in self._temps:
            raise ValueError(f"{name} written twice in one batch")
        try:
            temp, fd = _temp_file(self.folder, name)
        except OSError as exc:
            raise OutputError(f"cannot write {self.folder / name}: {describe_os_error(exc)}") from None
        self._temps[name] = temp
        return fd

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """A binary handle to the temporary file that becomes ``name``."""
        with _writing(self.folder, name, self._create(name)) as handle:
            yield handle

    def reserve(self, names: Iterable[str]) -> ReservedFiles:
        """Create the temporary files that become ``names`` now, to be
        written later -- by a process forked after this call, which inherits
        their descriptors, or one handed them (:attr:`ReservedFiles.fds`) --
        through the returned :class:`ReservedFiles`.
        They are committed or discarded with this batch's other files
        whatever becomes of that process (killed, out of memory)."""
        fds = {name: self._create(name) for name in names}
        self._reserved.extend(fds.values())
        return ReservedFiles(self.folder, fds)

    def _close_reserved(self) -> None:
        for fd in self._reserved:
            try:
                os.close(fd)
            except OSError:
                pass
        self._reserved.clear()

    def remove_stale(self, *names: str) -> None:
        """Outputs of an earlier run that this run does not write: removed on commit,
        so the folder never holds files of two runs."""
        self._stale.extend(names)

    def discard(self) -> None:
        self._close_reserved()
        for temp in self._temps.values():
            _unlink(temp)
        self._temps.clear()

    def commit(self, last: str = "report.json") -> dict[str, Path]:
        """Rename every temporary file into place, ``last`` last."""
        self._close_reserved()
        names = sorted(self._temps, key=lambda n: (n == last, n))
        blocked = [n for n in names if (self.folder / n).is_dir() and not (self.folder / n).is_symlink()]
        if blocked:  # checked before the first rename: none or all
            self.discard()
            raise OutputError(f"cannot write {self.folder / blocked[0]}: a folder has that name; "
                              f"the previous outputs in {self.folder} are untouched")
        try:
            for name in self._stale:
                target = self.folder / name
                if name not in self._temps and (target.is_symlink() or target.is_file()):
                    os.unlink(target)  # unlink removes a link itself, never its target
                    self.removed.append(target)
            for name in names:
                target = self.folder / name
                link = _replaced_link(target)
                os.replace(self._temps[name], target)
                if link is not None:
                    self.replaced_links.append((target, link))
                    log.warning("%s was a symbolic link (to %s): replaced by the output, its target left untouched",
                                target, link)
                self.paths[name] = target
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot put the outputs in place in {self.folder}: {describe_os_error(exc)}") from None
        self._temps.clear()
        _fsync_dir(self.folder)
        return self.paths


@contextmanager
def _writing(folder: Path, name: str, fd: int) -> Iterator[IO[bytes]]:
    """A binary handle on ``fd`` (closed after), flushed and synced to disk;
    a failure is an :class:`OutputError` that says the old outputs stand."""
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputError(
            f"cannot write {folder / name}: {describe_os_error(exc)}; the previous outputs in {folder} are untouched"
        ) from None


class ReservedFiles(_Writer):
    """Files of a :class:`Batch` created ahead (:meth:`Batch.reserve`),
    written by name as a batch's files are (``open``, ``write_text``), in
    this process or a forked one. Writing never creates, renames or removes
    anything: the batch that reserved them does."""

    def __init__(self, folder: Path, fds: Mapping[str, int]) -> None:
        self.folder = folder
        self._fds = dict(fds)

    @property
    def fds(self) -> dict[str, int]:
        """The descriptors of the files not yet written, by name (to hand to
        another process: :class:`wiretrace.executor.PassedFd`)."""
        return dict(self._fds)

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """A binary handle to the reserved file that becomes ``name``."""
        if name not in self._fds:
            raise ValueError(f"{name} was not reserved")
        with _writing(self.folder, name, os.dup(self._fds.pop(name))) as handle:
            yield handle



# Text every output format can carry. A lone surrogate (from a malformed
# "\ud800" escape in a JSON input) is no character at all: UTF-8 cannot
# encode it. XML 1.0 (GraphML, GEXF) also forbids the C0 controls but tab,
# newline and carriage return, and U+FFFE/U+FFFF. Each is replaced by
# U+FFFD, one character for one, so text offsets stay valid.
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def scalar_text(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (encodable as UTF-8).

    Example:
        >>> scalar_text("a\\ud800b")
        'a\ufffdb'
    """
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _one_fffd_each(error: UnicodeError) -> tuple[bytes, int]:
    # UTF-8 fails only on lone surrogates: each one becomes one U+FFFD, as in scalar_text
    # (as bytes: the UTF-8 encoder takes only ASCII from a handler that returns text)
    assert isinstance(error, UnicodeEncodeError)
    return _FFFD * (error.end - error.start), error.end


_FFFD = "\ufffd".encode("utf-8")


_SCALAR_ERRORS = "wiretrace-scalar"
codecs.register_error(_SCALAR_ERRORS, _one_fffd_each)


def utf8(text: str) -> bytes:
    r"""``scalar_text(text).encode("utf-8")`` in one pass of the C encoder: the
    outputs' encoder, which a regular expression searching every text first
    (scalar_text) made a sixth slower (writing report.json at 1M documents:
    3.4 of 22.5 s in the main process, ad hoc, py-spy).

    Example:
        >>> utf8("a\ud800é")
        b'a\xef\xbf\xbd\xc3\xa9'
    """
    return text.encode("utf-8", _SCALAR_ERRORS)


#: Characters of text encoded and written at a time by :func:`utf8_pieces`.
WRITE_PIECES_CHARS = 1 << 20


def utf8_pieces(pieces: Iterable[str], size: int | None = None) -> Iterator[bytes]:
    r"""``pieces`` of text as UTF-8 (lone surrogates replaced, as
    :func:`scalar_text` does), joined into about ``size`` characters
    (:data:`WRITE_PIECES_CHARS`) at a time: the bytes of
    ``scalar_text("".join(pieces))``, never all held.

    Example:
        >>> b"".join(utf8_pieces(["a", "\ud800", "\u00e9"], size=2))
        b'a\xef\xbf\xbd\xc3\xa9'
    """
    size = size or WRITE_PIECES_CHARS
    batch: list[str] = []
    held = 0
    for piece in pieces:
        batch.append(piece)
        held += len(piece)
        if held >= size:
            yield utf8("".join(batch))
            batch, held = [], 0
    if batch:
        yield utf8("".join(batch))


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold replaced by U+FFFD.

    Example:
        >>> xml_text("T\\x0bitle\\x1b\\uffff")
        'T\ufffditle\ufffd\ufffd'
    """
    return _NOT_XML.sub("\ufffd", text) if _NOT_XML.search(text) else text
