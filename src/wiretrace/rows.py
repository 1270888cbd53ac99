"""report.json's document rows, held compactly: one JSON string per row, texts left in the spill.

Rule: :class:`Rows` is a sequence of report.json's document rows that reads
like a list of dicts -- indexing, slicing and iterating give plain dicts,
equal to the rows a list would have held, each read a new one -- but holds
each row as the JSON array of its values (a str), its keys as one of the few
key orders the rows share, a text that is in a spill (:mod:`wiretrace.spill`)
as where it is, read again when its row is, and a ``key`` given as
:data:`KEY_OF_ID` as nothing: it is the id's key. A row whose values JSON
would not give back equal (a tuple, a key that is not a str, a NaN, a value
JSON cannot write) is held as a tuple of its values instead. A dict per row
cost ~1.9 KB at 100,000 documents, its text included; a tuple of its values
without the text ~0.8 KB, most of what a 1M report held while it was written;
a JSON string ~0.3 KB (measured ad hoc with tracemalloc: 810 and 298 bytes a
row of a 100,000-document report; 2.7 us to write a row and 2.5 us to read
one, against 5.0 and 2.1 us for a tuple). :meth:`Rows.by_id` looks rows up by
document id, through the ids' XXH3-64 keys (16 bytes a row), as read-only
mappings that read a spilled text only when asked for it.
"""

from __future__ import annotations

import copy
import json
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from wiretrace.records import doc_key, key_text
from wiretrace.spill import SpilledText

__all__ = ["Rows", "SpilledText", "KEY_OF_ID", "by_id"]


class _KeyOfId:
    """A row's ``key``: the key of its ``id`` (:func:`wiretrace.records.doc_key`),
    computed when read rather than held (65 bytes a row, ~65 MB of a 1M report)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "KEY_OF_ID"


#: Put as a row's ``key`` value: the row reads its id's key there.
KEY_OF_ID = _KeyOfId()

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_DECODE = json.JSONDecoder().decode


def _held(values: list[Any]) -> str | tuple[Any, ...]:
    """``values`` as a row holds them: their JSON array when it reads back
    equal, else a tuple of them."""
    try:
        encoded = _ENCODE(values)
    except (TypeError, ValueError, RecursionError):
        return tuple(values)
    return encoded if _DECODE(encoded) == values else tuple(values)


def _read(value: Any) -> Any:
    return value.read() if type(value) is SpilledText else value


class Rows(Sequence[dict[str, Any]]):
    """Document rows (module doc)."""

    __slots__ = ("_shapes", "_shape_of", "_shape", "_rows", "_texts", "_ids")

    def __init__(self, rows: Iterable[Mapping[str, Any]] = ()) -> None:
        # a shape: the keys, where KEY_OF_ID stands and where spilled texts stand
        self._shapes: list[tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]] = []
        self._shape_of: dict[tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]], int] = {}
        self._shape = array("I")  # each row's shape
        self._rows: list[str | tuple[Any, ...]] = []
        self._texts: dict[int, tuple[SpilledText, ...]] = {}  # a row's spilled texts, in key order
        self._ids: tuple[np.ndarray, np.ndarray] | None = None
        for row in rows:
            self.append(row)

    def append(self, row: Mapping[str, Any]) -> None:
        """Add a row (a value may be a :class:`SpilledText`, the ``key`` :data:`KEY_OF_ID`)."""
        values = list(row.values())
        of_id = tuple(i for i, v in enumerate(values) if v is KEY_OF_ID)
        spilled = tuple(i for i, v in enumerate(values) if type(v) is SpilledText)
        if spilled:
            self._texts[len(self._rows)] = tuple(values[i] for i in spilled)
        for i in (*of_id, *spilled):
            values[i] = None  # held apart
        shape = (tuple(row), of_id, spilled)
        number = self._shape_of.get(shape)
        if number is None:
            number = self._shape_of[shape] = len(self._shapes)
            self._shapes.append(shape)
        self._shape.append(number)
        self._rows.append(_held(values))
        self._ids = None

    def __len__(self) -> int:
        return len(self._rows)

    def _values(self, n: int) -> tuple[tuple[str, ...], list[Any]]:
        """Row ``n``'s keys and values, new objects, with the values held
        apart in their places (:data:`KEY_OF_ID`, spilled texts unread)."""
        held = self._rows[n]
        values = _DECODE(held) if type(held) is str else copy.deepcopy(list(held))
        keys, of_id, spilled = self._shapes[self._shape[n]]
        for i in of_id:
            values[i] = KEY_OF_ID
        if spilled:
            for i, text in zip(spilled, self._texts[n]):
                values[i] = text
        return keys, values

    def _dict(self, n: int) -> dict[str, Any]:
        keys, values = self._values(n)
        row = {key: _read(value) for key, value in zip(keys, values)}
        if row.get("key") is KEY_OF_ID:
            row["key"] = key_text(doc_key(row["id"]))
        return row

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._dict(n) for n in range(len(self))[i]]
        return self._dict(range(len(self))[i])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for n in range(len(self)):
            yield self._dict(n)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    def __repr__(self) -> str:
        return f"<wiretrace.Rows: {len(self)} document rows>"

    def __reduce__(self) -> tuple[Any, ...]:
        return Rows, (list(self),)

    def _id(self, n: int) -> str:
        keys, values = self._values(n)
        return values[keys.index("id")]

    def _find(self, doc_id: object) -> int | None:
        """The row of ``doc_id``, or None."""
        if not isinstance(doc_id, str):
            return None
        if self._ids is None:
            wanted = np.fromiter((doc_key(self._id(n)) for n in range(len(self))), dtype=np.uint64, count=len(self))
            order = np.argsort(wanted, kind="stable")
            self._ids = (wanted[order], order)
        keys, order = self._ids
        wanted = np.uint64(doc_key(doc_id))
        at = int(np.searchsorted(keys, wanted))
        while at < len(keys) and keys[at] == wanted:  # two ids of one key: each is read
            if self._id(int(order[at])) == doc_id:
                return int(order[at])
            at += 1
        return None

    def by_id(self) -> Mapping[str, Mapping[str, Any]]:
        """The rows by document id, each a read-only mapping that reads a
        spilled text only when asked for it (ids are unique in a report)."""
        return _ById(self)


class _ById(Mapping[str, Mapping[str, Any]]):
    __slots__ = ("_rows",)

    def __init__(self, rows: Rows) -> None:
        self._rows = rows

    def __getitem__(self, doc_id: str) -> Mapping[str, Any]:
        n = self._rows._find(doc_id)
        if n is None:
            raise KeyError(doc_id)
        return _Row(*self._rows._values(n))

    def __contains__(self, doc_id: object) -> bool:
        return self._rows._find(doc_id) is not None

    def __iter__(self) -> Iterator[str]:
        return (self._rows._id(n) for n in range(len(self._rows)))

    def __len__(self) -> int:
        return len(self._rows)


class _Row(Mapping[str, Any]):
    """One row, read-only; a spilled text is read when its key is."""

    __slots__ = ("_keys", "_values")

    def __init__(self, keys: tuple[str, ...], values: list[Any]) -> None:
        self._keys, self._values = keys, values

    def __getitem__(self, key: str) -> Any:
        try:
            value = _read(self._values[self._keys.index(key)])
        except ValueError:
            raise KeyError(key) from None
        return key_text(doc_key(self["id"])) if value is KEY_OF_ID else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __reduce__(self) -> tuple[Any, ...]:
        return dict, (dict(self),)


def by_id(documents: Sequence[Mapping[str, Any]]) -> Mapping[str, Mapping[str, Any]]:
    """Rows by document id: :meth:`Rows.by_id`, or a dict of a list's rows."""
    if isinstance(documents, Rows):
        return documents.by_id()
    return {d["id"]: d for d in documents}
