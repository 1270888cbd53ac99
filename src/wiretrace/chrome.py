"""The clean stage: remove site chrome before fingerprinting.

Pages of one site repeat the same lines around every article: navigation,
"Latest news" teasers, newsletter boxes, cookie notices, copyright footers.
Left in, they make two different articles of one site look alike, and they
dilute the similarity of a story copied between sites with different
templates. The main-text extractor drops most of it from HTML, but exports
that are already text keep it all.

A line is chrome when, on one site, it appears in at least ``min_pages``
different documents, and it is short (fewer than ``long_line_words``
words) or it appears in at least ``long_line_share`` of the site's
documents. The length rule keeps a story's paragraphs when one site
publishes several versions of the same story: those repeat too, but in a
few pages only, while long boilerplate (a legal notice) is on most pages.

Only the text that is fingerprinted changes; the document keeps its full
text for everything that reads credits and datelines later.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import xxhash

from wiretrace.records import Document

__all__ = ["ChromeResult", "strip_chrome"]


@dataclass
class ChromeResult:
    """Texts to fingerprint (one per document) and what was removed."""

    texts: list[str]
    lines_removed: list[int]
    sites_with_chrome: int


def _key(line: str) -> int:
    # XXH3-64 of the line, edges stripped and case folded: the same key in
    # every process, run and machine (Python's hash() of a str is salted per
    # process), as fast as hash() here, and cheaper than normalising
    # whitespace inside lines (templates repeat their lines byte for byte).
    # Lone surrogates (from JSON escapes) are hashed as they are.
    return xxhash.xxh3_64_intdigest(line.strip().casefold().encode("utf-8", "surrogatepass")) or 1  # 0: a blank line


def strip_chrome(
    documents: Sequence[Document],
    min_pages: int = 3,
    long_line_words: int = 40,
    long_line_share: float = 0.5,
    min_words: int = 20,
) -> ChromeResult:
    """Texts of ``documents`` without the lines that are chrome of their site.

    Documents without a site are left as they are. A document whose text
    would fall below ``min_words`` words keeps its full text.

    Example:
        >>> from wiretrace.records import Document
        >>> nav = "Home | World | Sport"
        >>> docs = [Document(id=str(i), text=f"{nav}\\nStory number {i} " + "word " * 30, site="a.com") for i in range(3)]
        >>> strip_chrome(docs).texts[0].startswith("Story number 0")
        True
    """
    lines_of = [doc.text.split("\n") for doc in documents]
    keys_of: list[list[int]] = []
    per_site: dict[str, Counter] = defaultdict(Counter)
    docs_per_site: Counter = Counter()
    for doc, lines in zip(documents, lines_of):
        keys = [_key(line) if line and not line.isspace() else 0 for line in lines]
        keys_of.append(keys)
        if doc.site:
            docs_per_site[doc.site] += 1
            per_site[doc.site].update(set(keys) - {0})

    chrome: dict[str, set[int]] = {}
    for site, counts in per_site.items():
        if docs_per_site[site] < min_pages:
            continue
        frequent = {key for key, n in counts.items() if n >= min_pages}
        if frequent:
            chrome[site] = frequent
    widely = {
        site: {key for key in keys if per_site[site][key] >= long_line_share * docs_per_site[site]}
        for site, keys in chrome.items()
    }

    texts, removed = [], []
    for doc, lines, keys in zip(documents, lines_of, keys_of):
        site_chrome = chrome.get(doc.site) if doc.site else None
        if not site_chrome or site_chrome.isdisjoint(keys):
            texts.append(doc.text)
            removed.append(0)
            continue
        wide = widely[doc.site]
        kept, dropped = [], 0
        for line, key in zip(lines, keys):
            if key in site_chrome and (key in wide or len(line.split()) < long_line_words):
                dropped += 1
            else:
                kept.append(line)
        text = "\n".join(kept)
        if len(text.split()) < min_words:
            text, dropped = doc.text, 0
        texts.append(text)
        removed.append(dropped)
    return ChromeResult(texts, removed, len(chrome))
