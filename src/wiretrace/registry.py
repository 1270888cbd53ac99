"""Users' own agencies and outlets, merged with the packaged registries.

A user registry file is TOML holding ``[[agency]]`` tables (the fields of
``agencies.toml``) and/or ``[[outlet]]`` tables (the fields of
``outlets.toml``). Its entries are checked exactly as the packaged ones
are. An entry whose id is already in the packaged registry replaces it (to
add a name form, copy the entry and extend it); a new id is added after the
packaged ones. Files are named with ``--registry FILE`` or the config key
``registry.files``; later files win over earlier ones.

Rule: the registries are loaded, and cached, by :mod:`wiretrace.wire`
(agencies) and :mod:`wiretrace.credits` (outlets); they call
:func:`merged` on their packaged entries, and :func:`activate` clears
their caches whenever the set of user files changes. Forked worker
processes see the main process's registry; workers started afresh (a Ray
cluster's, a fork server's: :meth:`wiretrace.executor.LocalExecutor.window`)
are sent its :func:`snapshot` and :func:`restore` it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wiretrace.config import read_toml
from wiretrace.errors import ConfigError

__all__ = ["activate", "merged", "active_files", "check_file", "snapshot", "restore"]

_KINDS = {"agency": "agencies.toml", "outlet": "outlets.toml"}
_ACTIVE: tuple[str, ...] = ()
_ENTRIES: dict[str, list[dict[str, Any]]] = {"agency": [], "outlet": []}


def _read(path: str) -> dict[str, list[dict[str, Any]]]:
    data = read_toml(path, "registry file")
    unknown = sorted(set(data) - set(_KINDS))
    if unknown or not data:
        raise ConfigError(
            f"registry file {path} may only hold [[agency]] and [[outlet]] tables"
            + (f", found {', '.join(unknown)}" if unknown else "; it has none")
        )
    out = {}
    for kind in _KINDS:
        entries = data.get(kind, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ConfigError(f"registry file {path}: '{kind}' must be written as [[{kind}]] tables")
        out[kind] = entries
    return out


def merged(kind: str, packaged: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The packaged entries of ``kind`` (``agency`` or ``outlet``) with the
    active user files' entries merged in: same id replaces, new id appends."""
    entries = list(packaged)
    position = {e.get("id"): i for i, e in enumerate(entries)}
    for entry in _ENTRIES[kind]:
        at = position.get(entry.get("id"))
        if at is None:
            position[entry.get("id")] = len(entries)
            entries.append(entry)
        else:
            entries[at] = entry
    return entries


def active_files() -> tuple[str, ...]:
    return _ACTIVE


def _clear_caches() -> None:
    for name in ("wiretrace.wire", "wiretrace.credits", "wiretrace.attribution", "wiretrace.trace", "wiretrace.html"):
        module = sys.modules.get(name)
        for value in vars(module).values() if module else ():
            if isinstance(value, functools._lru_cache_wrapper):
                value.cache_clear()


def activate(files: Sequence[str | Path] = ()) -> None:
    """Use these user registry files (none: the packaged registries alone).

    Each file is read and its entries validated by loading the merged
    registries at once, so a mistake is a :class:`ConfigError` before a scan
    starts, naming the file.

    Example:
        >>> activate(())  # the packaged registries only
        >>> active_files()
        ()
    """
    global _ACTIVE, _ENTRIES
    files = tuple(str(f) for f in files)
    if files == _ACTIVE:
        return
    entries: dict[str, list[dict[str, Any]]] = {kind: [] for kind in _KINDS}
    for path in files:
        for kind, found in _read(path).items():
            entries[kind].extend(found)
    previous = (_ACTIVE, _ENTRIES)
    _ACTIVE, _ENTRIES = files, entries
    _clear_caches()
    try:
        from wiretrace.credits import load_outlets
        from wiretrace.wire import load_agencies

        load_agencies()
        load_outlets()
    except ValueError as exc:
        _ACTIVE, _ENTRIES = previous
        _clear_caches()
        raise ConfigError(f"registry file(s) {', '.join(files)}: {exc}") from None


def snapshot() -> tuple[tuple[str, ...], dict[str, list[dict[str, Any]]]]:
    """The active user registries: their file names and entries, for a
    process that cannot read those files (a worker of a Ray cluster)."""
    return _ACTIVE, _ENTRIES


def restore(state: tuple[tuple[str, ...], dict[str, list[dict[str, Any]]]]) -> None:
    """Use the registries of a :func:`snapshot` (entries already validated
    where the snapshot was taken; no file is read)."""
    global _ACTIVE, _ENTRIES
    files, entries = state
    if (files, entries) == (_ACTIVE, _ENTRIES):  # a file may have changed since the last snapshot
        return
    _ACTIVE, _ENTRIES = files, entries
    _clear_caches()


def check_file(path: str | Path) -> None:
    """Raise :class:`ConfigError` unless ``path`` is a readable registry file."""
    _read(str(path))
