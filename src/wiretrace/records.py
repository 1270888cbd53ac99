"""The units that flow through a scan: documents read, and inputs skipped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import xxhash

__all__ = ["Document", "Skipped", "doc_key", "key_text", "resolve_id", "shadowed"]


@dataclass(slots=True)  # no attribute dict: a 1M scan holds a million of these
class Document:
    """One article to fingerprint.

    Attributes:
        id: Unique, stable identifier (given by the record or derived from
            where it was read).
        text: The article text as read.
        url: Where the article was published, if known.
        title: Headline, if known.
        site: Publishing site (registered domain), if known.
        published: Publication time as ISO 8601, if known and parseable.
        published_source: Where ``published`` came from: ``"record"`` (a
            field of the input record), ``"metadata"`` (the page's own
            metadata), ``"htmldate"`` (found in the page by htmldate) or
            ``"crawl"`` (the crawl date, a last resort).
        author: Byline, if known.
        canonical_url: The page's declared canonical URL, if it differs.
        language: Declared language code, if known.
        links: URLs linked from the article body (HTML input only).
        metadata: Authorship and source statements of the page's markup
            (``canonical``, ``syndication_source``, JSON-LD ``based_on``, ...;
            see :func:`wiretrace.extract.page_metadata`), or of the record's
            ``metadata`` field; None when there is none.
        source: Where the record was read (``path`` or ``path:line``).
        warnings: Non-fatal problems met while reading it.
    """

    id: str
    text: str
    url: str | None = None
    title: str | None = None
    site: str | None = None
    published: str | None = None
    published_source: str | None = None
    author: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    links: list[str] = field(default_factory=list)
    metadata: dict[str, list[str]] | None = None  # None, not {}: most documents have none
    source: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    """An input that was not processed, and why."""

    source: str
    reason: str
    id: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"source": self.source, "id": self.id, "reason": self.reason}


def doc_key(doc_id: str) -> int:
    """The stable key of a document id: XXH3-64 of its UTF-8 bytes, the same
    in every process, run and machine (Python's ``hash()`` is not).

    Example:
        >>> doc_key("reuters-2026-01-05-001") == doc_key("reuters-2026-01-05-001")
        True
        >>> key_text(doc_key("a/b:1"))
        'e23faa88dc9f0e53'
    """
    return xxhash.xxh3_64_intdigest(doc_id.encode("utf-8", "surrogatepass"))


def key_text(key: int) -> str:
    """A key as report.json writes it: 16 lowercase hex digits."""
    return f"{key:016x}"


def resolve_id(group: list[Document]) -> tuple[Document, list[tuple[Document, Skipped]]]:
    """Of documents sharing one id: the one kept (the least by the hash of
    its text, then address, title, date and source; among documents equal
    in all of those, the first given), and each other with its skipped
    entry."""
    if len(group) == 1:
        return group[0], []
    ordered = sorted(group, key=lambda d: (xxhash.xxh3_64_intdigest(d.text.encode("utf-8", "surrogatepass")),
                                           d.url or "", d.title or "", d.published or "", d.source))
    winner = ordered[0]
    losers = []
    for other in ordered[1:]:
        what = "an identical record" if other.text == winner.text else "a different record"
        losers.append((other, Skipped(other.source, f"duplicate id {winner.id!r}: kept {what} from {winner.source}",
                                      id=winner.id)))
    return winner, losers


def shadowed(group: Sequence[tuple[int, Document]]) -> list[tuple[int, Document, Skipped]]:
    """Of an index's records of one id, ``(record key, document)`` in key
    order (the order a full report reads them in, which settles documents
    :func:`resolve_id`'s sort cannot tell apart): those another record
    shadows, each with its key and its entry among the skipped inputs."""
    keys = {id(doc): key for key, doc in group}
    return [(keys[id(doc)], doc, entry) for doc, entry in resolve_id([doc for _, doc in group])[1]]
