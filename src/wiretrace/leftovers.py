"""Leftover generator text: what a chatbot says about itself, left in a page
that was rewritten with it ("As an AI language model, I cannot ...", "I
cannot fulfill this request").

Rule: a phrase of :data:`PHRASES` (case-insensitive, whitespace-tolerant) in
a document's text is *evidence* that the text went through a generator. It
is reported per document (``generator_text`` in report.json) and counted per
site, never used to call a pair a copy: investigations of farm networks found
such strings on pages that rewrote NYT, Reuters and CNN copy, and a news
story about chatbots may quote them too, so the report shows them for a
reader to judge. Phrases are kept to what a generator says of itself or of
the task it refuses; "rewrite" or "AI" alone are ordinary words, and a
generator's offer ("Here is a rewritten version") is not looked for.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["generator_leftovers", "PHRASES"]

#: What generators say of themselves or of the task they refuse. Each holds
#: one of :data:`_ANCHORS`, which a text must contain for the phrases to be
#: looked for at all (every document is checked: five substring tests of its
#: lowercased text, about 1.2 s of CPU at 100,000 documents in
#: benchmarks/bench_interleaved.py, spent on the workers with the wire markers).
PHRASES = (
    r"as an ai language model",
    r"as an ai (?:assistant|model|developed by)",
    r"i(?:'m|\u2019m| am) (?:just )?an ai (?:language model|assistant|model)",
    r"as a large language model",
    r"i cannot fulfill (?:this|that|your) request",
    r"i(?:'m|\u2019m| am) (?:sorry|unable)[^.]{0,40}\bfulfill",
    r"en tant que (?:mod\u00e8le de langage|ia)",
    r"als (?:ki-)?sprachmodell",
    r"como (?:un )?modelo de lenguaje",
)
_PHRASE = re.compile("|".join(p.replace(" ", r"\s+") for p in PHRASES), re.IGNORECASE)
_ANCHORS = ("model", "mod\u00e8le", "an ai", "fulfill", "en tant qu")  # no spaces at the ends: any whitespace may follow


def _anchored(lowered: str) -> bool:
    """Whether an anchor stands as words: "an ai" followed by a letter is
    "an aide", "an aim" (common; the regex would run for nothing)."""
    if any(anchor in lowered for anchor in _ANCHORS if anchor != "an ai"):
        return True
    at = lowered.find("an ai")
    while at >= 0:
        after = lowered[at + 5 : at + 6]
        if not after or not after.isalpha():
            return True
        at = lowered.find("an ai", at + 1)
    return False


def generator_leftovers(text: str) -> list[dict[str, Any]]:
    """Every leftover generator phrase in ``text``: ``text`` (as written),
    ``start`` and ``end`` (character offsets).

    Example:
        >>> generator_leftovers("Shares rose. As an AI language model, I cannot predict prices.")
        [{'text': 'As an AI language model', 'start': 13, 'end': 36}]
        >>> generator_leftovers("The firm said AI models would help it rewrite its rules.")
        []
    """
    lowered = text.lower()
    if not any(anchor in lowered for anchor in _ANCHORS) or not _anchored(lowered):
        return []
    return [{"text": m.group(), "start": m.start(), "end": m.end()} for m in _PHRASE.finditer(text)]
