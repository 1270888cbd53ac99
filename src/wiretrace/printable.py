"""Printable text of hostile input: what a terminal line may show of a
scraped title, id or message.

Kept apart from :mod:`wiretrace.summary` (which re-exports it) so that a
command that prints a few plain lines (``wiretrace check``) does not import
rich: ~0.06 s of its start-up, ad hoc (``-X importtime``).
"""

from __future__ import annotations

import unicodedata
from typing import Any

__all__ = ["safe_text"]

# Control, format (bidi overrides, zero-width) and surrogate (not encodable) characters.
_UNPRINTABLE = ("Cc", "Cf", "Cs")


def safe_text(value: Any, limit: int = 80, keep_end: bool = False) -> str:
    """Printable, single-line, bounded form of untrusted text.

    Control and format characters (ANSI escapes, bidi overrides, zero-width
    characters), lone surrogates and U+FFFE/U+FFFF are replaced by U+FFFD;
    long values are cut with an ellipsis: at the end, or, with ``keep_end``,
    in the middle (ids and paths differ at their ends: ``corpus/html/a-1``
    and ``corpus/html/a-2`` must stay apart).

    Example:
        >>> safe_text("Title\\x1b[31m red\\u202e")
        'Title\ufffd[31m red\ufffd'
        >>> safe_text("corpus/pages/riverbend-bridge-inspections", 24, keep_end=True)
        'corpus/pag\u2026e-inspections'
    """
    if value is None:
        return ""
    text = "".join(
        " " if ch in "\t\n\r" else ("\ufffd" if unicodedata.category(ch) in _UNPRINTABLE or ch in "\ufffe\uffff" else ch)
        for ch in str(value)
    )
    if len(text) <= limit:
        return text
    if keep_end:
        tail = (limit - 1) * 3 // 5  # the end tells ids apart; the start says where they come from
        return text[: limit - 1 - tail] + "\u2026" + text[len(text) - tail :]
    return text[: limit - 1] + "\u2026"
