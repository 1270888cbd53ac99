"""The command line: exit codes, outputs, configuration layering, and that
hostile input text cannot reach the terminal or a spreadsheet as code."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest

from wiretrace.cli import main

from conftest import DEMO, FIXTURES, story


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_scan_demo_writes_valid_report_and_pairs(tmp_path, capsys):
    code, out, err = run(capsys, "scan", DEMO, "--out", tmp_path)
    assert code == 0, err
    assert "4 clusters" in out and "Report:" in out
    report = json.loads((tmp_path / "report.json").read_text())
    schema = json.loads(resources.files("wiretrace").joinpath("schema/report.schema.json").read_text())
    jsonschema.validate(report, schema)
    with open(tmp_path / "pairs.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(report["pairs"]) > 0
    assert {r["a"] for r in rows} <= {d["id"] for d in report["documents"]}


def test_skipped_inputs_exit_0_and_1_only_with_strict(tmp_path, capsys):
    code, out, _ = run(capsys, "scan", FIXTURES / "broken", "--out", tmp_path)
    assert code == 0  # a completed scan is a success for set -e, make and CI
    assert "Skipped 4 inputs" in out and "invalid JSON" in out
    code, _, _ = run(capsys, "scan", FIXTURES / "broken", "--out", tmp_path, "--strict")
    assert code == 1
    code, _, _ = run(capsys, "scan", DEMO, "--out", tmp_path, "--strict", "-q")
    assert code == 0  # nothing skipped: strict changes nothing


@pytest.mark.parametrize(
    "argv,message",
    [
        (["scan"], "the following arguments are required: INPUT"),
        (["scan", "no/such/path"], "input not found: no/such/path"),
        (["scan", str(DEMO), "--jaccard", "7"], "verify.jaccard must be a number between 0 and 1"),
        (["scan", str(DEMO), "--bands", "4"], "set lsh.bands and lsh.rows together"),
        (["scan", str(DEMO), "--field", "body"], "--field expects NAME=FIELD"),
        (["scan", str(DEMO), "--num-perm", "many"], "invalid int value"),
        (["frobnicate"], "invalid choice"),
        ([], "usage:"),
    ],
)
def test_usage_errors_exit_2_and_say_what_is_wrong(argv, message, capsys, tmp_path):
    code, out, err = run(capsys, *argv, *(["--out", tmp_path] if argv[:1] == ["scan"] and len(argv) > 1 else []))
    assert code == 2
    assert message in err
    assert out == ""


def test_config_file_is_layered_and_flags_win(tmp_path, capsys):
    config = tmp_path / "wiretrace.toml"
    config.write_text("[verify]\njaccard = 0.9\ncontainment = 0.95\n[shingle]\nsize = 4\n")
    code, _, err = run(capsys, "scan", DEMO, "--out", tmp_path / "o", "--config", config, "--shingle-size", "6", "-q")
    assert code == 0, err
    used = json.loads((tmp_path / "o" / "report.json").read_text())["config"]
    assert used["verify"]["jaccard"] == 0.9 and used["verify"]["containment"] == 0.95
    assert used["shingle"]["size"] == 6
    assert used["minhash"]["num_perm"] == 128  # packaged default


def test_unknown_config_key_is_a_usage_error(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("[verify]\njacard = 0.9\n")
    code, _, err = run(capsys, "scan", DEMO, "--out", tmp_path, "--config", config)
    assert code == 2
    assert "unknown key 'verify.jacard'" in err and "verify.jaccard" in err
    config.write_text("[verify\n")
    assert run(capsys, "scan", DEMO, "--out", tmp_path, "--config", config)[0] == 2


def test_json_summary_is_machine_readable(tmp_path, capsys):
    code, out, _ = run(capsys, "scan", DEMO, "--out", tmp_path, "--json")
    summary = json.loads(out)
    assert summary["clusters"] == 4 and summary["exit_code"] == code == 0
    assert summary["report"].endswith("report.json")


def test_quiet_prints_nothing(tmp_path, capsys):
    code, out, err = run(capsys, "scan", DEMO, "--out", tmp_path, "-q")
    assert (code, out, err) == (0, "", "")


def test_field_flag_maps_record_fields(tmp_path, capsys):
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(json.dumps({"key": f"k{i}", "story": story(i % 2)}) for i in range(4)))
    code, out, err = run(capsys, "scan", data, "--out", tmp_path / "o", "--field", "text=story", "--field", "id=key", "--json")
    assert code == 0, err
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert sorted(d["id"] for d in report["documents"]) == ["k0", "k1", "k2", "k3"]
    assert [c["members"] for c in report["clusters"]] == [["k0", "k2"], ["k1", "k3"]]


def test_hostile_text_cannot_reach_the_terminal_or_spreadsheets(tmp_path, capsys):
    hostile_id = "=HYPERLINK(\"http://evil.example\")\x1b[2J\u202e[bold red]x[/]"
    text = story(9)
    records = [
        {"id": hostile_id, "title": "\x1b]0;pwned\x07[link=file:///etc/passwd]t[/link]", "text": text},
        {"id": "+cmd|' /C calc'!A0", "text": text},
    ]
    data = tmp_path / "hostile.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in records))
    code, out, _ = run(capsys, "scan", data, "--out", tmp_path / "o")
    assert code == 0
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "[link=file:///etc/passwd]t[/link]" in out  # shown literally, not interpreted as markup
    with open(tmp_path / "o" / "pairs.csv", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["a"].startswith("'+cmd") and row["b"].startswith("'=HYPERLINK")


def test_unwritable_output_is_a_usage_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, "scan", DEMO, "--out", blocker)
    assert code == 2 and "is not a folder" in err


def test_config_command_prints_effective_configuration(capsys):
    code, out, _ = run(capsys, "config")
    assert code == 0
    assert json.loads(out)["lsh"]["effective_bands"] > 0


def test_module_entry_point_and_version():
    result = subprocess.run([sys.executable, "-m", "wiretrace", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("wiretrace ")


def test_extract_writes_what_scan_fingerprints_and_is_rescannable(tmp_path, capsys):
    out = tmp_path / "extracted.jsonl"
    code, _, err = run(capsys, "extract", DEMO, "--out", out)
    assert code == 0 and "0 inputs skipped" in err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    direct = json.loads(run_scan_report(capsys, tmp_path / "direct", DEMO))
    assert sorted(r["id"] for r in records) == sorted(d["id"] for d in direct["documents"])
    assert {"id", "url", "site", "title", "author", "published", "published_source", "language", "links", "text"} <= set(records[0])
    again = json.loads(run_scan_report(capsys, tmp_path / "again", out))
    assert [c["members"] for c in again["clusters"]] == [c["members"] for c in direct["clusters"]]


def test_extract_lists_skipped_inputs_and_exits_1_with_strict(tmp_path, capsys):
    code, _, err = run(capsys, "extract", FIXTURES / "broken", "--out", "-")
    assert code == 0
    code, _, err = run(capsys, "extract", FIXTURES / "broken", "--out", "-", "--strict")
    assert code == 1
    assert "invalid JSON" in err and "empty file" in err


def run_scan_report(capsys, out_dir, *inputs) -> str:
    code, _, err = run(capsys, "scan", *inputs, "--out", out_dir, "-q")
    assert code == 0, err
    return (out_dir / "report.json").read_text()


def test_provenance_graph_is_exported_in_three_formats(tmp_path, capsys):
    import networkx as nx

    code, out, _ = run(capsys, "scan", DEMO, "--out", tmp_path)
    assert code == 0 and "Provenance graph:" in out
    report = json.loads((tmp_path / "report.json").read_text())
    edges = {(e["source"], e["copy"]) for c in report["provenance"] for e in c["edges"]}
    for graph in (
        nx.read_graphml(tmp_path / "provenance.graphml"),
        nx.read_gexf(tmp_path / "provenance.gexf"),
        nx.node_link_graph(json.loads((tmp_path / "provenance.json").read_text()), edges="edges"),
    ):
        copies = {(a, b) for a, b, kind in graph.edges(data="kind") if kind == "copy"}
        assert copies == edges
        assert {graph.nodes[n]["kind"] for n in graph.nodes} == {"document", "site", "agency"}
