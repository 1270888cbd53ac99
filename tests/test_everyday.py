"""Everyday use: the terminal summary at 80 columns and in pipes, progress and
logging, the notebook API, `wiretrace bench` tables and data folder, users'
own registries, and no library warning in the summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from rich.console import Console

from wiretrace import scan
from wiretrace.cli import main

from conftest import DEMO, ROOT, story

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}


def _cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "wiretrace", *map(str, args)]


# --- the terminal summary ------------------------------------------------------


def test_summary_in_a_pipe_at_80_columns_keeps_what_tells_ids_apart(tmp_path):
    text = story(12, 300)
    folder = "crawl/2026/03/04/" + "section-" * 4
    records = [{"id": f"{folder}story-{n:04d}.html", "text": text + f" variant {n}"} for n in (1, 2, 3)]
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in records))
    proc = subprocess.run(_cli("scan", data, "--out", tmp_path / "out"), env={**ENV, "COLUMNS": "80"},
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    for n in (1, 2, 3):
        assert any(f"story-{n:04d}" in line for line in lines), proc.stdout
    assert proc.stderr == ""  # no progress drawn into a pipe


def _summary(report, show: int = 10) -> str:
    from wiretrace.summary import print_summary

    console = Console(width=200, record=True, file=open(os.devnull, "w"))
    print_summary(report, {"report": Path("r.json"), "pairs": Path("p.csv")}, console, show=show)
    return console.export_text()


def test_the_summary_shows_each_members_closest_copy_and_counts_every_generator_page():
    # J and "in it" of every member shown are its closest copy over all the report's pairs
    # (the summary reads only the pairs of the clusters it shows), and the leftover
    # generator text is counted over every page, shown for the first few
    leftover = "As an AI language model, I cannot say more, but here is the story. "
    records = []
    for n in range(14):  # clusters of 2-4 pages, some with a chatbot's words left in
        text = story(300 + n, 120)
        for copy in range(2 + n % 3):
            records.append({"id": f"s{n:02d}-{copy}", "url": f"https://site{copy}.example/{n}",
                            "text": (leftover if (n + copy) % 4 == 0 else "") + text + " extra words" * copy})
    report = scan(records)
    assert len(report.clusters) == 14 and report.stats["generator_pages"] > 3
    best = {}
    for pair in report.pairs:
        for me, contained in ((pair["a"], pair["containment_a_in_b"]), (pair["b"], pair["containment_b_in_a"])):
            best[me] = max(best.get(me, (0.0, 0.0)), (pair["jaccard"], contained))
    text = _summary(report, show=3)
    shown = [m for cluster in report.clusters[:3] for m in cluster["members"]]
    for member in shown:
        [line] = [line for line in text.splitlines() if line.startswith(member + " ")]
        assert line.split()[-2:] == [f"{best[member][0]:.2f}", f"{best[member][1]:.2f}"], line
    pages = report.stats["generator_pages"]
    assert f"Leftover generator text ({pages} pages" in text
    listed = [line for line in text.splitlines() if line.startswith("  s") and "As an AI" in line]
    assert len(listed) == 3
    # a report without the count (an older report.json read back) says the same
    del report.stats["generator_pages"]
    assert _summary(report, show=3) == text
    # a show past what islice takes, or below 0 (a slice's end, as the clusters'): no error
    report.stats["generator_pages"] = pages
    assert f"Leftover generator text ({pages} pages" in _summary(report, show=2**63)
    assert len([line for line in _summary(report, show=-1).splitlines() if "As an AI" in line]) == pages - 1
    report.stats["generator_pages"] = 0
    assert "Leftover generator text" not in _summary(report, show=3)


def test_index_commands_refuse_a_negative_show_as_scan_does(tmp_path, capsys):
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"id": "a", "text": story(5, 100)}) + "\n")
    db = str(tmp_path / "idx.db")
    for args in (["scan", str(data)], ["index", "add", str(data), "--db", db],
                 ["index", "report", "--db", db]):
        assert main([*args, "--out", str(tmp_path / "out"), "--show", "-1"]) == 2
        assert "--show must be >= 0" in capsys.readouterr().err


def test_no_content_farm_table_when_nothing_was_copied(tmp_path, capsys):
    records = [{"id": f"d{i}", "url": f"https://site{i}.example/a", "text": story(100 + i, 200)} for i in range(3)]
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in records))
    assert main(["scan", str(data), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "0 clusters" in out and "content-farm" not in out


def test_a_site_that_credits_every_copy_is_not_shown_as_a_farm(tmp_path, capsys):
    text = story(8, 300)
    records = [
        {"id": "wire", "url": "https://www.reuters.com/a", "published": "2026-01-01T08:00:00Z",
         "text": "LONDON (Reuters) - " + text},
        {"id": "licensee", "url": "https://licensee.example/a", "published": "2026-01-01T10:00:00Z",
         "text": "LONDON (Reuters) - " + text + "\n\n(Reporting by Reuters)"},
        {"id": "farm", "url": "https://farm.example/a", "published": "2026-01-01T12:00:00Z", "text": text},
    ]
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in records))
    assert main(["scan", str(data), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    statuses = {d["id"]: (d["attribution"] or {}).get("status") for d in report["documents"]}
    assert statuses["licensee"] == "credited" and statuses["farm"] == "uncredited"
    farm_table = out.split("Sites copying without credit", 1)[1]
    assert "farm.example" in farm_table and "licensee.example" not in farm_table
    # report.html's overview says the same
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    overview = html.split("<h3>Content-farm ranking</h3>", 1)[1].split("</table>", 1)[0]
    assert "farm.example" in overview and "licensee.example" not in overview


def test_a_library_warning_does_not_reach_the_summary(tmp_path):
    # htmldate hands this date to dateutil without a zone table: "EST" made
    # dateutil print an UnknownTimezoneWarning into the middle of the summary.
    body = "".join(f"<p>{p}</p>" for p in story(21, 250).split("\n\n"))
    page = (f'<html><head><title>T</title><meta name="sailthru.date" content="2020-03-03 10:00 EST"></head>'
            f"<body><article><h1>T</h1>{body}</article></body></html>")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "p.html").write_text(page, encoding="utf-8")
    proc = subprocess.run(_cli("scan", tmp_path / "pages", "--out", tmp_path / "out"), env=ENV,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stdout + proc.stderr and "tzname" not in proc.stdout + proc.stderr


def test_exit_codes_are_one_table_in_help_readme_and_docs(capsys):
    from wiretrace.cli import EXIT_CODES

    assert main(["--help"]) == 0
    help_text = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    cli_doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for code, text in EXIT_CODES:
        assert f"{code:>3}  {text}" in help_text
        assert f"| {code} " in readme, code
        assert f"| {code} " in cli_doc or f"| {code}, " in cli_doc, code
    assert main(["scan", "--help"]) == 0 and "exit codes:" in capsys.readouterr().out


# --- progress and logging ------------------------------------------------------


@pytest.mark.parametrize("command,labels", [
    ("scan", ("Reading inputs", "Fingerprinting", "Tracing provenance", "Writing the outputs")),
    ("extract", ("Reading inputs", "Removing site chrome")),
])
def test_progress_on_a_terminal_names_every_long_stage(tmp_path, command, labels):
    import pty
    import select

    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(_cli(command, DEMO, "--out", tmp_path / ("out" if command == "scan" else "x.jsonl")),
                            env={**ENV, "TERM": "xterm"}, stdout=subprocess.DEVNULL, stderr=child_fd)
    os.close(child_fd)
    drawn = b""
    while True:
        ready, _, _ = select.select([main_fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    proc.wait(timeout=60)
    os.close(main_fd)
    assert proc.returncode == 0
    text = drawn.decode("utf-8", "replace")
    for label in labels:
        assert label in text, label


def test_verbose_logs_every_stage_through_logging(tmp_path, capsys):
    log_file = tmp_path / "run.log"
    assert main(["scan", str(DEMO), "--out", str(tmp_path / "out"), "-q", "-v", "--log-file", str(log_file)]) == 0
    err = capsys.readouterr().err
    for stage in ("read", "clean", "candidates", "verify", "provenance", "attribute", "report"):
        assert f"wiretrace: info: {stage}: " in err, stage
    assert "debug" not in err
    logged = log_file.read_text()
    assert "DEBUG wiretrace: read: started" in logged and "INFO wiretrace: verify:" in logged
    assert main(["scan", str(DEMO), "--out", str(tmp_path / "out"), "-q", "--log-level", "error"]) == 0
    assert capsys.readouterr().err == ""


def test_log_lines_are_inert_in_a_terminal(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").symlink_to(tmp_path / "x\x1b]0;pwned\x07\u202e")  # its target is logged
    assert main(["scan", str(DEMO), "--out", str(out), "-q"]) == 0
    err = capsys.readouterr().err
    assert "was a symbolic link (to " in err and "x\ufffd]0;pwned\ufffd\ufffd" in err
    assert not any(ch in err for ch in "\x1b\x07\u202e")


# --- the notebook API ----------------------------------------------------------


def test_report_repr_is_short_and_html_repr_escapes(demo_report):
    text = repr(demo_report)
    assert len(text) < 200 and "44 documents" in text and "4 clusters" in text
    records = [{"id": "<script>x</script>", "title": "<img src=x onerror=alert(1)>", "text": story(3)},
               {"id": "b", "text": story(3) + " more"}]
    html = scan(records)._repr_html_()
    assert "<script>" not in html and "<img" not in html and "&lt;img src=x" in html
    assert len(demo_report._repr_html_()) < 5000


def test_pairs_and_clusters_as_data_frames(demo_report):
    pd = pytest.importorskip("pandas")
    pairs = demo_report.pairs_frame()
    assert isinstance(pairs, pd.DataFrame) and len(pairs) == len(demo_report.pairs)
    assert {"a", "b", "jaccard", "a_title", "b_site", "b_url"} <= set(pairs.columns)
    clusters = demo_report.clusters_frame()
    assert list(clusters["id"]) == ["c1", "c2", "c3", "c4"]
    assert clusters.loc[0, "headline"].startswith("Feds order emergency inspections")


def test_data_frames_without_pandas_say_how_to_get_it(demo_report, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    with pytest.raises(ImportError, match="pip install pandas"):
        demo_report.pairs_frame()
    with pytest.raises(ImportError, match="pip install pandas"):
        demo_report.clusters_frame()


def test_the_package_ships_py_typed():
    assert resources.files("wiretrace").joinpath("py.typed").is_file()


# --- wiretrace bench -------------------------------------------------------------


def test_bench_tables_put_measures_over_the_same_things_side_by_side():
    from wiretrace.summary import print_bench

    results = {"sim": {"seconds": 1.5, "documents": 1200, "recall_by_transform": {"trim": 1.0, "reword": 0.75},
                       "accuracy_by_transform": {"trim": 0.5, "reword": 0.25},
                       "scores": {"pairs_verified": {"precision": 1.0, "recall": 0.5},
                                  "pairs_same_cluster": {"precision": 0.9, "recall": 0.6}}}}
    console = Console(width=80, record=True, file=open(os.devnull, "w"))
    print_bench(results, console)
    text = console.export_text()
    assert "by transform" in text and "recall_by_transform." not in text
    row = next(line for line in text.splitlines() if line.startswith("reword"))
    assert row.split() == ["reword", "0.75", "0.25"]
    row = next(line for line in text.splitlines() if line.startswith("precision"))
    assert row.split() == ["precision", "1.0", "0.9"]  # pairs_verified, pairs_same_cluster
    assert "1,200" in text


def test_bench_reads_its_corpora_from_data_or_the_environment(tmp_path, monkeypatch):
    from wiretrace import cli

    monkeypatch.delenv(cli.DATA_ENV, raising=False)
    assert cli.bench_data_folder(None) == Path("../shared/data")
    monkeypatch.setenv(cli.DATA_ENV, str(tmp_path))
    assert cli.bench_data_folder(None) == tmp_path
    assert cli.bench_data_folder("elsewhere") == Path("elsewhere")
    seen = {}

    def fake_suites(names, data, quick):
        seen["data"] = data
        return {"clough": {"seconds": 0.0, "skipped": f"data not found: {data}"}}

    import wiretrace.evaluation.suites as suites

    monkeypatch.setattr(suites, "run_suites", fake_suites)
    assert main(["bench", "--suite", "clough"]) == 0
    assert seen["data"] == tmp_path


# --- users' own registries -------------------------------------------------------


def test_users_add_agencies_and_outlets_from_their_own_file(tmp_path, capsys):
    from wiretrace.credits import load_outlets
    from wiretrace.registry import activate
    from wiretrace.wire import load_agencies

    registry = tmp_path / "mine.toml"
    registry.write_text(
        '[[agency]]\nid = "zetawire"\nname = "Zeta Wire"\naliases = ["Zetawire"]\n\n'
        '[[agency]]\nid = "ap"\nname = "AP (mine)"\naliases = ["Associated Press", "AP"]\nformal_only = ["AP"]\n\n'
        '[[outlet]]\nid = "example-gazette.com"\nname = "The Example Gazette"\naliases = ["Example Gazette"]\n'
    )
    text = "PARIS (Zetawire) - " + story(44, 300)
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"id": "a", "text": text}) + "\n" + json.dumps({"id": "b", "text": text + " x"}))
    try:
        assert main(["scan", str(data), "--out", str(tmp_path / "out"), "-q", "--registry", str(registry)]) == 0
        report = json.loads((tmp_path / "out" / "report.json").read_text())
        assert report["documents"][0]["wire"][0]["agency"] == "zetawire"
        assert report["config"]["registry"]["files"] == [str(registry)]
        agencies = load_agencies()
        assert agencies["ap"].name == "AP (mine)" and "reuters" in agencies  # replaced, and merged
        assert "example-gazette.com" in load_outlets() and "nytimes.com" in load_outlets()
        # the same through the config file, relative to it
        (tmp_path / "wiretrace.toml").write_text('[registry]\nfiles = ["mine.toml"]\n')
        assert main(["scan", str(data), "--out", str(tmp_path / "out"), "-q", "-c", str(tmp_path / "wiretrace.toml")]) == 0
        # without it, the packaged registries alone
        assert scan([{"id": "a", "text": text}]).documents[0]["wire"] == []
        assert "zetawire" not in load_agencies() and load_agencies()["ap"].name == "The Associated Press"
    finally:
        activate(())


def test_a_broken_registry_file_is_a_usage_error_naming_it(tmp_path, capsys):
    from wiretrace.wire import load_agencies

    bad = tmp_path / "bad.toml"
    for content, message in (('[[agency]]\nid = "X Y"\nname = "n"\naliases = ["a"]\n', "needs an id"),
                             ("[[agency]\n", "not valid TOML"), ('[other]\nx = 1\n', "may only hold")):
        bad.write_text(content)
        code = main(["scan", str(DEMO), "--out", str(tmp_path / "out"), "--registry", str(bad)])
        err = capsys.readouterr().err
        assert code == 2 and message in err and str(bad) in err
    assert main(["scan", str(DEMO), "--out", str(tmp_path / "out"), "--registry", str(tmp_path / "none.toml")]) == 2
    assert "registry file not found" in capsys.readouterr().err
    assert "ap" in load_agencies()  # the packaged registry is still in use
