"""``wiretrace eval``: scores against the user's own labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wiretrace.cli import main
from wiretrace.evaluation import adjusted_rand_index, evaluate, load_gold
from wiretrace.evaluation.gold import GoldError

from conftest import DEMO


def demo_gold(labels, path):
    """The demo corpus labels in the gold format."""
    lines = []
    for name, group in labels["groups"].items():
        origin = group["origin"] if group["origin"] in group["members"] else f"agency:{group['origin'].lower()}"
        for member in group["members"]:
            status = "origin" if member == group["origin"] else "uncredited" if member in labels["uncredited"] else "credited"
            lines.append({"id": member, "story": name, "origin": origin, "attribution": status})
    chains = {copy: source for source, copy in labels["chains"]}
    for line in lines:
        if line["id"] in chains:
            line["source"] = chains[line["id"]]
    for doc_id in labels["unrelated"]:
        lines.append({"id": doc_id, "story": None})
    for a, b in labels["independent"]:
        lines.append({"pair": [a, b], "copy": False})
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def test_demo_scores_are_perfect_against_its_labels(demo_report, labels, tmp_path):
    scores = evaluate(demo_report.to_dict(), load_gold(demo_gold(labels, tmp_path / "gold.jsonl")))
    assert scores["pairs_same_cluster"]["f1"] == 1.0 and scores["cluster_ari"] == 1.0
    assert scores["labelled_pairs"]["false_positive_rate"] == 0.0
    assert scores["origin_accuracy"] == {"accuracy": 1.0, "stories": 4}
    assert scores["copy_edge_accuracy"] == {"accuracy": 1.0, "copies": 2}
    assert scores["attribution_accuracy"]["accuracy"] == 1.0


def test_scores_drop_when_the_scan_is_wrong(demo_report, labels, tmp_path):
    report = demo_report.to_dict()
    # Break the scan: merge two clusters and drop a credit.
    moved = report["clusters"][1]["members"]
    for doc in report["documents"]:
        if doc["id"] in moved:
            doc["cluster"] = report["clusters"][0]["id"]
    scores = evaluate(report, load_gold(demo_gold(labels, tmp_path / "gold.jsonl")))
    assert scores["pairs_same_cluster"]["precision"] < 1.0
    assert scores["cluster_ari"] < 1.0


def test_adjusted_rand_index_matches_hand_computation():
    # Contingency [[2,0,0],[0,1,1],[0,0,2]]: index 2, rows 3, cols 4, expected 0.8, max 3.5.
    assert adjusted_rand_index([0, 0, 1, 1, 2, 2], [0, 0, 1, 2, 2, 2]) == round((2 - 0.8) / (3.5 - 0.8), 4)


@pytest.mark.parametrize(
    "line,message",
    [
        ("{not json", "invalid JSON"),
        ('{"story": "s"}', "needs a string 'id'"),
        ('{"id": "a", "attribution": "sort of"}', "attribution must be one of"),
        ('{"pair": ["a"], "copy": true}', "list of two document ids"),
        ('{"pair": ["a", "b"]}', 'needs "copy"'),
    ],
)
def test_invalid_gold_lines_say_where_and_why(tmp_path, line, message):
    path = tmp_path / "gold.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(GoldError, match=message):
        load_gold(path)


def test_eval_command(tmp_path, capsys, labels):
    assert main(["scan", str(DEMO), "--out", str(tmp_path), "-q"]) == 0
    gold = demo_gold(labels, tmp_path / "gold.jsonl")
    assert main(["eval", str(tmp_path / "report.json"), "--gold", str(gold), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cluster_ari"] == 1.0
    assert main(["eval", str(tmp_path / "report.json"), "--gold", str(gold)]) == 0
    assert "attribution accuracy" in capsys.readouterr().out
    assert main(["eval", str(tmp_path / "missing.json"), "--gold", str(gold)]) == 2
    assert main(["eval", str(tmp_path / "report.json"), "--gold", str(tmp_path / "nope.jsonl")]) == 2


def test_bench_runs_suites_and_reports_missing_data(tmp_path, capsys):
    out = tmp_path / "bench.json"
    data_suites = ["simulation", "bbc", "ecbplus", "clough", "reuters-wire", "peers", "zyte"]
    argv = ["bench", "--quick", "--data", str(tmp_path / "nowhere"), "--json", str(out)]
    assert main(argv + [arg for name in data_suites for arg in ("--suite", name)]) == 0
    results = json.loads(out.read_text())
    assert set(results) == set(data_suites)
    assert all(r["skipped"].startswith("data not found") for r in results.values())
    assert "skipped" in capsys.readouterr().out
    assert main(["bench", "--suite", "nonsense"]) == 2


def test_speed_suite_reports_every_stage():
    from wiretrace.evaluation.suites import suite_speed

    result = suite_speed(Path("unused"), quick=True, sizes=(400,))
    run = result["400 documents"]
    assert run["docs_per_second"] > 0 and run["peak_rss_mb"] > 0
    assert {"read", "fingerprint", "candidates", "verify", "provenance"} <= set(run["stages"])


def test_farm_ranking_auc():
    from wiretrace.evaluation.suites import roc_auc

    assert roc_auc([0.9, 0.1, 0.5, 0.5], [True, False, True, False]) == 0.875
    assert roc_auc([0.3], [True]) is None
