"""Exceptions raised by wiretrace's public API."""

from __future__ import annotations

__all__ = ["WiretraceError", "ConfigError", "InputError", "StoreError", "IndexBusy"]


class WiretraceError(Exception):
    """Base class of every error wiretrace raises on purpose."""


class ConfigError(WiretraceError, ValueError):
    """A parameter or configuration file is invalid; the message says how to fix it."""


class InputError(WiretraceError):
    """An input named by the user cannot be used at all (missing, unreadable)."""


class StoreError(WiretraceError):
    """An index cannot be opened or used: missing, not an index, made by a
    newer wiretrace, or built with other fingerprint settings (the message
    names them)."""


class IndexBusy(StoreError):
    """Another process is writing to the index: one writer at a time."""


class SpillError(WiretraceError):
    """A large scan's spill files (:mod:`wiretrace.spill`) could not be
    written (disk full, file-size limit); no output was changed."""
