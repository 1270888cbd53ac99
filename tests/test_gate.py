"""The evaluation gate: the quick suites' key metrics stay within their
pinned bounds, on the data they were pinned on."""

from __future__ import annotations

import json

import pytest

from wiretrace.evaluation import gate
from wiretrace.evaluation.suites import run_suites

from conftest import SHARED_DATA


def _results(**values):
    results: dict = {}
    for path, value in values.items():
        node = results
        *parents, leaf = path.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return results


@pytest.mark.realdata
def test_quick_suites_stay_within_their_pinned_bounds():
    pinned = json.loads(gate.GATE_FILE.read_text())
    sums = gate.checksums(SHARED_DATA)
    missing = [name for name, digest in sums.items() if digest is None]
    if missing:
        pytest.skip(f"gate data not found in {SHARED_DATA}: {', '.join(missing)}")
    assert sums == pinned["checksums"], "the gate's data changed: re-pin with python -m wiretrace.evaluation.gate --pin"
    results = run_suites(list(gate.QUICK_SUITES), SHARED_DATA, quick=True)
    assert gate.check(results, pinned) == []


def test_gate_catches_a_drop_beyond_the_tolerance():
    pinned = {"tolerance": 0.01, "bounds": {"bbc.recall": 1.0, "ecbplus.pairs_across_events": 0}}
    assert gate.check(_results(bbc__recall=0.995, ecbplus__pairs_across_events=0), pinned) == []
    failures = gate.check(_results(bbc__recall=0.98, ecbplus__pairs_across_events=3), pinned)
    assert len(failures) == 2 and "below its floor" in failures[0] and "above its ceiling" in failures[1]


def test_lowering_a_floor_needs_the_explicit_flag(tmp_path, monkeypatch):
    monkeypatch.setattr(gate, "GATE_FILE", tmp_path / "gate.json")
    monkeypatch.setattr(gate, "METRICS", {"bbc.recall": "floor"})
    gate.GATE_FILE.write_text(json.dumps({"bounds": {"bbc.recall": 1.0}}))
    with pytest.raises(ValueError, match="--allow-lower"):
        gate.pin(_results(bbc__recall=0.9), tmp_path)
    assert gate.pin(_results(bbc__recall=0.9), tmp_path, allow_lower=True)["bounds"] == {"bbc.recall": 0.9}
    assert gate.pin(_results(bbc__recall=1.0), tmp_path)["bounds"] == {"bbc.recall": 1.0}  # raising is free
