"""report.json's document rows, held compactly: one tuple per row, texts left in the spill.

Rule: :class:`Rows` is a sequence of report.json's document rows that reads
like a list of dicts -- indexing, slicing and iterating give plain dicts,
equal to the rows a list would have held -- but holds each row as one tuple
of its values, its keys as one of the few key orders the rows share, and a
text that is in a spill (:mod:`wiretrace.spill`) as where it is, read again
when its row is, an empty list as one shared marker, read as a new list,
and a ``key`` given as :data:`KEY_OF_ID` as nothing: it is the id's key.
A dict per row cost ~1.9 KB at 100,000 documents, its text included; a
tuple without the text ~0.7 KB (measured ad hoc), which is most of what a
1M report held while it was written. :meth:`Rows.by_id` looks rows up by
document id as read-only mappings that read a spilled text only when
asked for it.

Tried and dropped: each row as the JSON array of its values (a str), 298
against 810 bytes a row when measured apart; in a 1M scan the peak did not
move (2,855 and 2,858 MB against 2,793 and 2,834 MB, tree PSS) and the report
step took 13 s against 7 s -- a tuple holds the documents' own strings, which
the JSON copied (ad hoc; commits fa7c42d..b53af86).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import compress, islice
from typing import Any

from wiretrace.records import doc_key, key_text
from wiretrace.spill import SpilledText

__all__ = ["Rows", "SpilledText", "KEY_OF_ID", "by_id"]


class _Empty:
    """An empty list, held once for every row (most rows' links and wire
    markers: 56 bytes a list, ~110 MB of a 1M report); read as a new list."""

    __slots__ = ()


_EMPTY = _Empty()


class _KeyOfId:
    """A row's ``key``: the key of its ``id`` (:func:`wiretrace.records.doc_key`),
    computed when read rather than held (65 bytes a row, ~65 MB of a 1M report)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "KEY_OF_ID"


#: Put as a row's ``key`` value: the row reads its id's key there (under
#: any name it is put, as :meth:`Rows.by_id`'s rows read it too).
KEY_OF_ID = _KeyOfId()


def _held(value: Any) -> Any:
    return _EMPTY if type(value) is list and not value else value


_MARKERS = frozenset((SpilledText, _Empty, _KeyOfId))  # the types of what a row holds in a value's place


def _value(value: Any) -> Any:
    kind = type(value)
    return value.read() if kind is SpilledText else [] if kind is _Empty else value


class Rows(Sequence[dict[str, Any]]):
    """Document rows (module doc)."""

    __slots__ = ("_shapes", "_marked", "_shape_of", "_rows", "_ids")

    def __init__(self, rows: Iterable[Mapping[str, Any]] = ()) -> None:
        # a shape: a key order and which of its values are held as markers (a spilled
        # text, an empty list, the id's key), so that a row is read back by one dict()
        # of its values and a look at those few (a call per value was most of what
        # reading a row cost): 200,000 rows of 18 values made and read in 0.60 + 0.54 s
        # against 0.36 + 0.90 s (best of five, ad hoc); report.json reads every row
        self._shapes: list[tuple[str, ...]] = []
        self._marked: list[tuple[str, ...]] = []
        self._shape_of: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
        self._rows: list[tuple[Any, ...]] = []
        self._ids: dict[str, int] | None = None
        for row in rows:
            self.append(row)

    def append(self, row: Mapping[str, Any]) -> None:
        """Add a row (a value may be a :class:`SpilledText`)."""
        keys = tuple(row)
        values = tuple(map(_held, row.values()))
        marked = tuple(compress(keys, map(_MARKERS.__contains__, map(type, values))))  # no Python call a value
        shape = self._shape_of.get((keys, marked))
        if shape is None:
            shape = self._shape_of[(keys, marked)] = len(self._shapes)
            self._shapes.append(keys)
            self._marked.append(marked)
        self._rows.append((shape, *values))
        self._ids = None

    def __len__(self) -> int:
        return len(self._rows)

    def _dict(self, values: tuple[Any, ...]) -> dict[str, Any]:
        shape = values[0]
        return _plain(self._shapes[shape], self._marked[shape], values)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._dict(values) for values in self._rows[i]]
        return self._dict(self._rows[i])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for values in self._rows:
            yield self._dict(values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    def __repr__(self) -> str:
        return f"<wiretrace.Rows: {len(self)} document rows>"

    def __reduce__(self) -> tuple[Any, ...]:
        return Rows, (list(self),)

    def by_id(self) -> Mapping[str, Mapping[str, Any]]:
        """The rows by document id, each a read-only mapping that reads a
        spilled text only when asked for it (ids are unique in a report)."""
        if self._ids is None:
            position = [shape.index("id") + 1 for shape in self._shapes]
            self._ids = {values[position[values[0]]]: n for n, values in enumerate(self._rows)}
        return _ById(self)


class _ById(Mapping[str, Mapping[str, Any]]):
    __slots__ = ("_rows",)

    def __init__(self, rows: Rows) -> None:
        self._rows = rows

    def __getitem__(self, doc_id: str) -> Mapping[str, Any]:
        rows = self._rows
        values = rows._rows[rows._ids[doc_id]]  # type: ignore[index]
        return _Row(rows._shapes[values[0]], values, rows._marked[values[0]])

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._rows._ids  # type: ignore[operator]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows._ids)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self._rows._ids)  # type: ignore[arg-type]


class _Row(Mapping[str, Any]):
    """One row, read-only; a spilled text is read when its key is."""

    __slots__ = ("_keys", "_values", "_marked")

    def __init__(self, keys: tuple[str, ...], values: tuple[Any, ...], marked: tuple[str, ...]) -> None:
        self._keys, self._values, self._marked = keys, values, marked

    def __getitem__(self, key: str) -> Any:
        try:
            value = _value(self._values[self._keys.index(key) + 1])
        except ValueError:
            raise KeyError(key) from None
        return key_text(doc_key(self["id"])) if value is KEY_OF_ID else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled (report.html's rows sent to its workers) as the plain dict, made as
        # Rows makes one: dict(self) looked each key up in turn (100,000 rows of 18
        # values pickled in 0.89-1.05 s against 1.42 s, ad hoc)
        return dict, (_plain(self._keys, self._marked, self._values),)


def _plain(keys: tuple[str, ...], marked: tuple[str, ...], values: tuple[Any, ...]) -> dict[str, Any]:
    """A row as a dict: its values under their keys, the marked ones read."""
    row = dict(zip(keys, islice(values, 1, None)))
    for key in marked:
        value = row[key]
        row[key] = key_text(doc_key(row["id"])) if value is KEY_OF_ID else _value(value)
    return row


def by_id(documents: Sequence[Mapping[str, Any]]) -> Mapping[str, Mapping[str, Any]]:
    """Rows by document id: :meth:`Rows.by_id`, or a dict of a list's rows."""
    if isinstance(documents, Rows):
        return documents.by_id()
    return {d["id"]: d for d in documents}
