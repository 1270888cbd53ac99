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
from array import array
from collections.abc import MutableSequence, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import xxhash

from wiretrace.records import Document
from wiretrace.spill import TextsOf

__all__ = ["ChromeResult", "LineCounts", "count_lines", "has_words", "line_key", "line_keys", "strip_chrome"]


@dataclass
class ChromeResult:
    """Texts to fingerprint (one per document) and what was removed."""

    texts: Sequence[str]
    lines_removed: list[int]
    sites_with_chrome: int
    # site -> keys of its template lines: chrome on at least long_line_share of
    # its pages (a wire sign-off that recurs on a few is copied text, not the site's)
    template: dict[str, set[int]] = field(default_factory=dict)


def _key(line: str) -> int:
    # XXH3-64 of the line, edges stripped and case folded: the same key in
    # every process, run and machine (Python's hash() of a str is salted per
    # process), as fast as hash() here, and cheaper than normalising
    # whitespace inside lines (templates repeat their lines byte for byte).
    # Lone surrogates (from JSON escapes) are hashed as they are.
    return xxhash.xxh3_64_intdigest(line.strip().casefold().encode("utf-8", "surrogatepass")) or 1  # 0: a blank line


@dataclass
class LineCounts:
    """Per site: how many documents it has, and in how many of them each
    line appears (lines by :func:`line_key`). What the chrome rule reads;
    a scan counts its own documents, an index keeps the counts of every
    document it holds (:mod:`wiretrace.index`)."""

    pages: Counter
    lines: dict[str, Counter]

    def merge(self, other: LineCounts) -> LineCounts:
        lines = defaultdict(Counter, {site: Counter(c) for site, c in self.lines.items()})
        for site, counts in other.lines.items():
            lines[site].update(counts)
        return LineCounts(self.pages + other.pages, dict(lines))


def line_key(line: str) -> int:
    """The key of a line (0: a blank line): :func:`_key`, public for stores."""
    return _key(line) if line and not line.isspace() else 0


def _keys(text: str) -> array:
    return array("Q", [_key(line) if line and not line.isspace() else 0 for line in text.split("\n")])


def line_keys(documents: Sequence[Document]) -> list[array]:
    """Each document's line keys (:func:`line_key`, one per line); a caller
    that both counts and strips the same documents makes them once."""
    # Keys only, compact (8 bytes a line): the lines themselves are split again
    # for the few documents that lose some, so the corpus is never held twice.
    # Texts are read a part at a time: a spilled part is read in blocks (TextsOf).
    texts = TextsOf(documents)
    return [_keys(text) for start in range(0, len(texts), _KEYS_PART) for text in texts[start:start + _KEYS_PART]]


_KEYS_PART = 4096  # texts read at a time by line_keys (~10 MB of news)


def count_lines(documents: Sequence[Document], keys_of: Sequence[Sequence[int]] | None = None) -> LineCounts:
    """The line counts of ``documents`` (documents without a site are not
    counted). ``keys_of``: their lines' keys (:func:`line_keys`), if made."""
    return _count(documents, line_keys(documents) if keys_of is None else keys_of)


def _count(documents: Sequence[Document], keys_of: Sequence[Sequence[int]]) -> LineCounts:
    per_site: dict[str, Counter] = defaultdict(Counter)
    docs_per_site: Counter = Counter()
    for doc, keys in zip(documents, keys_of):
        if doc.site:
            docs_per_site[doc.site] += 1
            per_site[doc.site].update(set(keys) - {0})
    return LineCounts(docs_per_site, dict(per_site))


def has_words(lines: Sequence[str], least: int) -> bool:
    """Whether ``"\\n".join(lines)`` has at least ``least`` words (what
    ``len(text.split()) >= least`` says: a line break is whitespace, so the
    text's words are its lines' words), counted line by line until there
    are enough: a kept page needs a few dozen words, and splitting all of a
    600-word text into a list to count it was most of what stripping a page
    cost (14.7 against about 4 us a page, ad hoc, on the synthetic corpus).

    Example:
        >>> has_words(["two words", "", "three more words"], 5), has_words(["one"], 2)
        (True, False)
    """
    found = 0
    for line in lines:
        found += len(line.split())
        if found >= least:
            return True
    return least <= 0


def strip_chrome(
    documents: Sequence[Document],
    min_pages: int = 3,
    long_line_words: int = 40,
    long_line_share: float = 0.5,
    min_words: int = 20,
    counts: LineCounts | None = None,
    texts: MutableSequence[str] | None = None,
    executor: Any = None,
    keys_of: Sequence[Sequence[int]] | None = None,
) -> ChromeResult:
    """Texts of ``documents`` without the lines that are chrome of their site.

    Documents without a site are left as they are. A document whose text
    would fall below ``min_words`` words keeps its full text. ``counts``:
    the site line counts to judge by (an index's, which hold many more
    pages of each site than the documents at hand); by default those of
    ``documents``. On a remote ``executor`` (Ray's), the lines are counted
    and the pages stripped there (:func:`_strip_remote`; the same result).
    ``keys_of``: the documents' line keys (:func:`line_keys`), if made.

    Example:
        >>> from wiretrace.records import Document
        >>> nav = "Home | World | Sport"
        >>> docs = [Document(id=str(i), text=f"{nav}\\nStory number {i} " + "word " * 30, site="a.com") for i in range(3)]
        >>> strip_chrome(docs).texts[0].startswith("Story number 0")
        True
    """
    if getattr(executor, "remote", False) and texts is None:
        return _strip_remote(executor, documents, min_pages, long_line_words, long_line_share, min_words, counts)
    keys_of = line_keys(documents) if keys_of is None else keys_of
    if counts is None:
        counts = _count(documents, keys_of)
    per_site, docs_per_site = counts.lines, counts.pages

    chrome: dict[str, set[int]] = {}
    for site, site_counts in per_site.items():
        if docs_per_site[site] < min_pages:
            continue
        frequent = {key for key, n in site_counts.items() if n >= min_pages}
        if frequent:
            chrome[site] = frequent
    widely = {
        site: {key for key in keys if per_site[site][key] >= long_line_share * docs_per_site[site]}
        for site, keys in chrome.items()
    }

    texts = [] if texts is None else texts
    unchanged = getattr(texts, "append_text_of", None) or (lambda doc: texts.append(doc.text))
    removed = []
    for doc, keys in zip(documents, keys_of):
        site_chrome = chrome.get(doc.site) if doc.site else None
        if not site_chrome or site_chrome.isdisjoint(keys):
            unchanged(doc)
            removed.append(0)
            continue
        wide = widely[doc.site]
        kept, dropped = [], 0
        for line, key in zip(doc.text.split("\n"), keys):
            if key in site_chrome and (key in wide or len(line.split()) < long_line_words):
                dropped += 1
            else:
                kept.append(line)
        if not has_words(kept, min_words):
            unchanged(doc)
            removed.append(0)
            continue
        texts.append("\n".join(kept))
        removed.append(dropped)
    return ChromeResult(texts, removed, len(chrome), {site: keys for site, keys in widely.items() if keys})


# ---- on a remote executor (Ray): the same rule as three steps. A map makes each
# page's (site, line) rows, a group step (Ray Data) counts each site's lines where
# its rows meet, and a map strips each chunk of pages by the counts. tests/test_ray.py
# pins the result to strip_chrome's.

#: Pages per batch of the counting step, and per task of the stripping step.
REMOTE_BATCH = 4096


def _strip_remote(executor: Any, documents: Sequence[Document], min_pages: int, long_line_words: int,
                  long_line_share: float, min_words: int, counts: LineCounts | None) -> ChromeResult:
    """:func:`strip_chrome` on a remote executor (Ray's): no process holds
    every page's lines. Each site's lines are counted by a group step
    (``executor.group``) that keeps the lines on at least ``min_pages`` of
    its pages -- the only ones the rule reads -- and chunks of pages are
    stripped by those counts on the workers (``executor.map``). The result
    equals :func:`strip_chrome`'s."""
    if counts is None:
        counts = _grouped_counts(executor, documents, min_pages)
    chunks = [documents[i : i + REMOTE_BATCH] for i in range(0, len(documents), REMOTE_BATCH)]
    strip = partial(strip_chrome, min_pages=min_pages, long_line_words=long_line_words,
                    long_line_share=long_line_share, min_words=min_words, counts=counts)
    done = executor.map(strip, chunks, min_items=2)
    if not done:
        return strip_chrome([], min_pages, long_line_words, long_line_share, min_words, counts)
    # which sites have chrome, and their template lines, come from the counts alone: the same in every chunk
    return ChromeResult([text for part in done for text in part.texts],
                        [n for part in done for n in part.lines_removed], done[0].sites_with_chrome, done[0].template)


def _grouped_counts(executor: Any, documents: Sequence[Document], min_pages: int) -> LineCounts:
    parts = max(1, getattr(executor, "workers", 1))

    def batches() -> Any:
        for start in range(0, len(documents), REMOTE_BATCH):
            sited = [d for d in documents[start : start + REMOTE_BATCH] if d.site]  # pages without a site: not counted
            if sited:  # as UTF-8 bytes: a lone surrogate (a JSON escape) is no Arrow string
                yield {"site": np.array([_utf8(d.site) for d in sited], dtype=object),
                       "text": np.array([_utf8(d.text) for d in sited], dtype=object)}

    found = executor.group(batches(), _line_rows, _site_counts, shared=(parts, min_pages), parts=parts)
    pages: Counter = Counter()
    lines: dict[str, Counter] = defaultdict(Counter)
    if found:
        for site, key, n in zip(found["site"].tolist(), found["key"].tolist(), found["count"].tolist()):
            site = site.decode("utf-8", "surrogatepass")
            if key == 0:  # the page rows: how many pages the site has
                pages[site] = n
            else:
                lines[site][key] = n
    return LineCounts(pages, dict(lines))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _line_rows(batch: dict[str, Any], shared: tuple[int, int]) -> dict[str, np.ndarray]:
    """One row per page (key 0) and per distinct line of it, with its site."""
    parts = shared[0]
    sites, keys, part = [], [], []
    for site, text in zip(batch["site"].tolist(), batch["text"].tolist()):
        distinct = sorted(set(_keys(text.decode("utf-8", "surrogatepass"))) - {0})
        where = xxhash.xxh3_64_intdigest(site) % parts
        sites.extend([site] * (len(distinct) + 1))
        keys.extend([0, *distinct])
        part.extend([where] * (len(distinct) + 1))
    return {"part": np.array(part, dtype=np.int64), "site": np.array(sites, dtype=object),
            "key": np.array(keys, dtype=np.uint64)}


def _site_counts(rows: dict[str, np.ndarray], shared: tuple[int, int]) -> dict[str, np.ndarray]:
    """The pages of each site of one partition, and its lines on at least
    ``min_pages`` of them (each page's rows hold a line once)."""
    min_pages = shared[1]
    counted = Counter(zip(rows["site"].tolist(), rows["key"].tolist()))
    kept = sorted((site, key, n) for (site, key), n in counted.items() if key == 0 or n >= min_pages)
    return {"site": np.array([k[0] for k in kept], dtype=object),
            "key": np.array([k[1] for k in kept], dtype=np.uint64),
            "count": np.array([k[2] for k in kept], dtype=np.int64)}
