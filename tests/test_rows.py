"""Compact document rows (wiretrace.rows): they read as the list of dicts they
replace, and a spilled run writes the files a run held in memory writes."""

from __future__ import annotations

import json
import pickle

from hypothesis import given
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.html import render_html
from wiretrace.records import doc_key, key_text
from wiretrace.rows import KEY_OF_ID, Rows, SpilledText, by_id

from conftest import ROOT

_values = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3))
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
    pickled = {k: pickle.loads(pickle.dumps(v)) for k, v in ids.items()}  # as report.html's workers get them
    assert pickled == {r["id"]: r for r in rows} and all(type(v) is dict for v in pickled.values())
    assert [list(pickled[r["id"]]) for r in rows] == [list(r) for r in rows]
    assert all(r["id"] in ids for r in rows) and "\x00absent" not in ids
    assert pickle.loads(pickle.dumps(held)) == rows
    assert held != rows + [{"id": "\x00more"}]


def test_empty_lists_are_held_once_and_read_as_new_lists():
    rows = Rows([{"id": "a", "links": [], "wire": []}, {"id": "b", "links": ["https://x.example/"], "wire": []}])
    first, again = rows[0], by_id(rows)["a"]
    assert first == {"id": "a", "links": [], "wire": []} and type(first["links"]) is list
    assert again["links"] == [] and again["links"] is not first["links"]
    first["links"].append("changed")  # a read row is the reader's own
    assert rows[0]["links"] == [] and rows[1]["links"] == ["https://x.example/"]
    assert len({id(values[2]) for values in rows._rows[:1]} | {id(rows._rows[1][3])}) == 1  # one marker for all


def test_a_key_given_as_key_of_id_reads_as_the_ids_key():
    rows = Rows([{"id": "a/b:1", "key": KEY_OF_ID, "site": None}, {"id": "c", "key": "given"}])
    assert rows[0] == {"id": "a/b:1", "key": key_text(doc_key("a/b:1")), "site": None}
    assert list(rows[0]) == ["id", "key", "site"]  # in its place
    assert by_id(rows)["a/b:1"]["key"] == "e23faa88dc9f0e53" and by_id(rows)["c"]["key"] == "given"
    assert pickle.loads(pickle.dumps(by_id(rows)["a/b:1"])) == rows[0]


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
