"""Compact document rows (wiretrace.rows): they read as the list of dicts they
replace, and a spilled run writes the files a run held in memory writes."""

from __future__ import annotations

import json
import pickle

import numpy as np

from hypothesis import given
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.html import render_html
from wiretrace.records import doc_key, key_text
from wiretrace.rows import KEY_OF_ID, Rows, SpilledText, by_id

from conftest import ROOT

# values JSON gives back (held as a JSON string) and values it does not (a tuple, a key
# that is not a str: held as a tuple), side by side in one row
_values = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3),
                    st.floats(allow_nan=False), st.tuples(st.integers()), st.dictionaries(st.integers(0, 3) | st.text(max_size=2),
                                                                           st.booleans(), max_size=2))
_row = st.fixed_dictionaries({"id": st.text(max_size=4)},
                             optional={k: _values for k in ("url", "site", "cluster", "wire", "text")})


@given(st.lists(_row, max_size=12, unique_by=lambda r: r["id"]), st.integers(-15, 15), st.integers(-15, 15))
def test_rows_read_as_the_list_of_dicts_they_hold(rows, start, stop):
    held = Rows(rows)
    assert len(held) == len(rows) and list(held) == rows and held == rows
    assert held[start:stop] == rows[start:stop]
    if rows:
        assert held[start % len(rows)] == rows[start % len(rows)]
        assert [list(r) for r in held] == [list(r) for r in rows]  # each row's keys in their order
    ids = by_id(held)
    assert {k: dict(v) for k, v in ids.items()} == {r["id"]: r for r in rows}
    assert all(r["id"] in ids for r in rows) and "\x00absent" not in ids
    assert pickle.loads(pickle.dumps(held)) == rows
    assert held != rows + [{"id": "\x00more"}]


def test_a_row_is_held_as_the_json_of_its_values_and_read_as_new_objects():
    rows = Rows([{"id": "a", "links": [], "wire": {"markers": [1]}}, {"id": "b", "links": ["https://x.example/"]}])
    assert all(type(held) is str for held in rows._rows)  # what a report's rows are: the compact form
    first, again = rows[0], by_id(rows)["a"]
    assert first == {"id": "a", "links": [], "wire": {"markers": [1]}} and type(first["links"]) is list
    assert again["links"] == [] and again["links"] is not first["links"]
    first["links"].append("changed")  # a read row is the reader's own
    first["wire"]["markers"].append(2)
    assert rows[0] == {"id": "a", "links": [], "wire": {"markers": [1]}}
    assert rows[1]["links"] == ["https://x.example/"]


def test_a_row_json_would_change_is_held_as_given_and_read_as_a_copy():
    row = {"id": "t", "span": (1, 2), "counts": {3: "x"}, "score": float("nan"), "n": np.int64(4)}
    rows = Rows([row, {"id": "u"}])
    assert type(rows._rows[0]) is tuple and type(rows._rows[1]) is str
    read = rows[0]
    assert read["span"] == (1, 2) and read["counts"] == {3: "x"} and read["n"] == 4 and read["score"] != read["score"]
    read["counts"][3] = "changed"
    assert by_id(rows)["t"]["counts"] == {3: "x"}


def test_rows_find_each_id_among_ids_of_one_key():
    # two ids whose keys are equal cannot be made on purpose: the lookup's table is given one
    rows = Rows([{"id": "a"}, {"id": "b"}, {"id": "c"}])
    rows._ids = (np.full(3, doc_key("c"), dtype=np.uint64), np.arange(3))  # "a" and "b" read first
    ids = by_id(rows)
    assert ids["c"] == {"id": "c"} and "c" in ids and "d" not in ids


def test_a_key_given_as_key_of_id_reads_as_the_ids_key():
    rows = Rows([{"id": "a/b:1", "key": KEY_OF_ID, "site": None}, {"id": "c", "key": "given"}])
    assert rows[0] == {"id": "a/b:1", "key": key_text(doc_key("a/b:1")), "site": None}
    assert list(rows[0]) == ["id", "key", "site"]  # in its place
    assert by_id(rows)["a/b:1"]["key"] == "e23faa88dc9f0e53" and by_id(rows)["c"]["key"] == "given"


class _Counted(list):
    reads = 0

    def __getitem__(self, i):
        _Counted.reads += 1
        return super().__getitem__(i)


def test_a_spilled_text_is_read_only_when_its_row_or_key_is():
    column = _Counted(["the text"])
    rows = Rows([{"id": "a", "site": "x.example", "text": SpilledText(column, 0)}])
    row = by_id(rows)["a"]
    assert row["site"] == "x.example" and row.get("cluster") is None and _Counted.reads == 0
    assert row["text"] == "the text" and _Counted.reads == 1
    assert rows[0] == {"id": "a", "site": "x.example", "text": "the text"}
    assert pickle.loads(pickle.dumps(row)) == {"id": "a", "site": "x.example", "text": "the text"}


def test_a_spilled_demo_writes_the_files_of_one_held_in_memory(tmp_path):
    held = scan([ROOT / "data"], spill_documents=0)
    spilled = scan([ROOT / "data"], spill_documents=1, spill_dir=str(tmp_path))
    assert isinstance(spilled.documents, Rows) and isinstance(held.documents, list)
    assert spilled.documents == held.documents
    # the same run id, statistics and settings: the rest must be the same bytes
    spilled.run_id, spilled.stats, spilled.config = held.run_id, held.stats, held.config
    a, b = held.write(tmp_path / "held"), spilled.write(tmp_path / "spilled")
    for name in ("report", "pairs", "html"):
        assert a[name].read_bytes() == b[name].read_bytes(), name
    assert json.loads(a["report"].read_text(encoding="utf-8"))["documents"] == held.documents
    assert render_html(spilled._data()) == render_html(held.to_dict())
    assert spilled.to_json(indent=None) == held.to_json(indent=None)
