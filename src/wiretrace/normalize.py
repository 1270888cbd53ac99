"""Text normalisation that survives real scraped news text.

Two pages carrying the same story rarely carry the same bytes: one site
serves curly quotes and en dashes, another straight ASCII; one escapes
``&amp;`` twice, another uses non-breaking spaces and full-width digits.
Normalisation maps all of these to one form before shingling so that only
real wording differences change the fingerprint.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["normalize_text"]

# Typographic variants that NFKC leaves alone but that differ between sites
# reproducing the same story. Mapped to their ASCII equivalents.
_PUNCT_MAP = {
    # quotes and apostrophes
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u00b4": "'", "\u0060": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    # dashes and minus signs
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-", "\ufe58": "-", "\ufe63": "-", "\uff0d": "-",
    # invisible characters that scrapers leave inside words
    "\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
}
_PUNCT_TABLE = str.maketrans(_PUNCT_MAP)
_WHITESPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Return the canonical form of ``text`` used for fingerprinting.

    Steps, in order: decode HTML entities (twice, since scraped text is
    often double-escaped), Unicode NFKC, map curly quotes, dashes and
    invisible characters to plain forms, case-fold, collapse whitespace.

    Args:
        text: Raw document text.

    Returns:
        The normalised text.

    Example:
        >>> normalize_text("\u201cIt\u2019s  DONE\u201d \u2014 she said &amp;amp; left")
        '"it\\'s done" - she said & left'
    """
    if "&" in text:
        text = html.unescape(html.unescape(text))
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_PUNCT_TABLE).casefold()
    return _WHITESPACE.sub(" ", text).strip()
