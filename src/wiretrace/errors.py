"""Exceptions raised by wiretrace's public API."""

from __future__ import annotations

__all__ = ["WiretraceError", "ConfigError", "InputError"]


class WiretraceError(Exception):
    """Base class of every error wiretrace raises on purpose."""


class ConfigError(WiretraceError, ValueError):
    """A parameter or configuration file is invalid; the message says how to fix it."""


class InputError(WiretraceError):
    """An input named by the user cannot be used at all (missing, unreadable)."""
