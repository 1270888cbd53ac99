"""Fault tests, on real processes: the command line killed with -9 while
writing, out of disk (a file-size limit, as ``ulimit -f``), raced by a second
scan into the same folder, stopped by SIGTERM or Ctrl-C, its stdout closed
early, or failing on a bug. What each one promises is in the README's
"Security and reliability" table."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pytest

from wiretrace.cli import EXIT_INTERNAL, EXIT_LOCKED, EXIT_PIPE, EXIT_WRITE, main
from wiretrace.outputs import LOCK_NAME

from conftest import DEMO, ROOT, story

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
OUTPUTS = ("report.json", "pairs.csv", "report.html", "provenance.graphml", "provenance.gexf", "provenance.json")
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def _cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "wiretrace", *map(str, args)]


def _pages(folder: Path, n: int) -> Path:
    """``n`` saved pages (ten stories, so there are clusters): enough HTML
    extraction for a worker pool to start and run for a few seconds."""
    folder.mkdir()
    for i in range(n):
        body = "".join(f"<p>{p}</p>" for p in story(i % 10, 300).split("\n\n"))
        (folder / f"p{i:04d}.html").write_text(
            f"<html><head><title>Story {i}</title></head><body><nav>Home | News</nav>"
            f"<article><h1>Story {i}</h1>{body}</article></body></html>", encoding="utf-8")
    return folder


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, process group, state) of every live process."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            out[int(entry)] = (int(fields[1]), int(fields[2]), fields[0])
    return out


def _children(pid: int) -> list[int]:
    return [p for p, (parent, _, state) in _processes().items() if parent == pid and state != "Z"]


def _group_alive(group: int) -> list[int]:
    return [p for p, (_, pgrp, state) in _processes().items() if pgrp == group and state != "Z"]


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _outputs_intact(out: Path) -> str:
    """Every output parses completely; returns report.json's run id."""
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (out / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    nx.read_graphml(out / "provenance.graphml")
    nx.read_gexf(out / "provenance.gexf")
    json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert (out / "pairs.csv").read_text(encoding="utf-8").endswith("\n")
    return report["run_id"]


def _html_run_id(out: Path) -> str:
    html = (out / "report.html").read_text(encoding="utf-8")
    marker = '<meta name="wiretrace-run-id" content="'
    return html[html.index(marker) + len(marker) :].split('"', 1)[0]


def _scan_and(tmp_path: Path, later: float, act) -> tuple[subprocess.Popen, list[int], str]:
    """A 600-page scan with two workers, in a session of its own; ``later``
    seconds after its workers start, ``act(proc, workers)``; then its end.
    Returns the process, its workers and what it printed on stderr."""
    pages = _pages(tmp_path / "pages", 600)
    proc = subprocess.Popen(_cli("scan", pages, "--out", tmp_path / "out", "--workers", "2"), env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        workers = _wait_for(lambda: _children(proc.pid), 60, "worker processes")
        time.sleep(later)
        act(proc, workers)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc, workers, err


@pytest.mark.parametrize("later", [0.0, 0.6], ids=["as-workers-start", "while-they-work"])
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_a_signal_stops_every_worker_and_exits_cleanly(tmp_path, stop, later):
    def send(proc, workers):
        if stop == "SIGTERM":
            os.kill(proc.pid, signal.SIGTERM)  # the main process only, as a service manager or `kill` does
        else:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole process group

    out = tmp_path / "out"
    proc, workers, err = _scan_and(tmp_path, later, send)
    assert proc.returncode == (143 if stop == "SIGTERM" else 130), err
    assert "Traceback" not in err
    assert ("terminated by SIGTERM" if stop == "SIGTERM" else "interrupted") in err
    assert "worker processes stopped" in err
    time.sleep(0.2)
    assert _wait_for(lambda: not _group_alive(proc.pid) or None, 10, "no process left") is True
    assert not any(p in _processes() and _processes()[p][2] != "Z" for p in workers)
    assert not (out / "report.json").exists()


def test_kill_9_while_writing_leaves_the_previous_report_or_the_new_one(tmp_path):
    out = tmp_path / "out"
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(json.dumps({"id": f"d{i}", "text": story(i % 3, 300)}) for i in range(6)))
    first = subprocess.run(_cli("scan", data, "--out", out, "-q"), env=ENV, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    old_run = _outputs_intact(out)
    old_bytes = {name: (out / name).read_bytes() for name in OUTPUTS}
    # Kill -9 right after the n-th file is flushed (all six still temporary),
    # then right after the n-th rename (report.json is renamed last).
    killer = (
        "import os, signal, sys\n"
        "import wiretrace.outputs as o\n"
        "what, n = sys.argv[1], int(sys.argv[2]); count = [0]\n"
        "real = getattr(os, what)\n"
        "def hook(*a):\n"
        "    real(*a)\n"
        "    count[0] += 1\n"
        "    if count[0] == n: os.kill(os.getpid(), signal.SIGKILL)\n"
        "setattr(o.os, what, hook)\n"
        "from wiretrace.cli import main\n"
        "sys.exit(main(sys.argv[3:]))\n"
    )
    data.write_text("\n".join(json.dumps({"id": f"e{i}", "text": story(i % 2, 250)}) for i in range(5)))
    seen = set()
    for what, n in [("fsync", k) for k in range(1, 7)] + [("replace", k) for k in range(1, 7)]:
        proc = subprocess.run([sys.executable, "-c", killer, what, str(n), "scan", str(data), "--out", str(out), "-q"],
                              env=ENV, capture_output=True, text=True)
        assert proc.returncode == -signal.SIGKILL, (what, n, proc.stderr)
        run_id = _outputs_intact(out)  # nothing truncated, whatever the moment
        if run_id == old_run:
            if what == "fsync":
                assert {name: (out / name).read_bytes() for name in OUTPUTS} == old_bytes
            seen.add("old")
        else:
            assert _html_run_id(out) == run_id  # a new report.json: every file is from its run
            seen.add("new")
        # restore the previous run for the next kill point
        for name, content in old_bytes.items():
            (out / name).write_bytes(content)
    assert seen == {"old", "new"}
    subprocess.run([sys.executable, "-c", killer, "fsync", "3", "scan", str(data), "--out", str(out), "-q"], env=ENV)
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".wiretrace-tmp-")]
    assert leftovers  # a killed run cannot clean up; the next one does
    done = subprocess.run(_cli("scan", data, "--out", out, "-q"), env=ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS, LOCK_NAME])


def test_a_full_disk_keeps_the_previous_report_and_exits_4(tmp_path):
    out = tmp_path / "out"
    assert subprocess.run(_cli("scan", DEMO, "--out", out, "-q"), env=ENV).returncode == 0
    before = {name: (out / name).read_bytes() for name in OUTPUTS}
    assert len(before["report.json"]) > 64 * 1024  # over the limit below
    # `ulimit -f 64`: no file of this process may grow past 64 KiB
    proc = subprocess.run(["bash", "-c", 'ulimit -f 64 && exec "$@"', "_", *_cli("scan", DEMO, "--out", out)],
                          env=ENV, capture_output=True, text=True)
    assert proc.returncode == EXIT_WRITE, proc.stderr
    assert "File too large" in proc.stderr and "untouched" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert {name: (out / name).read_bytes() for name in OUTPUTS} == before
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS, LOCK_NAME])


def test_a_spill_that_runs_out_of_disk_exits_4_and_keeps_the_previous_report(tmp_path):
    out = tmp_path / "out"
    assert subprocess.run(_cli("scan", DEMO, "--out", out, "-q"), env=ENV).returncode == 0
    before = {name: (out / name).read_bytes() for name in OUTPUTS}
    corpus = tmp_path / "big.jsonl"  # its texts alone pass the limit below
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": story(i % 40, 400)}) + "\n" for i in range(200)),
                      encoding="utf-8")
    config = tmp_path / "spill.toml"
    config.write_text(f'[run]\nspill_documents = 1\nspill_dir = "{tmp_path}"\n', encoding="utf-8")
    proc = subprocess.run(["bash", "-c", 'ulimit -f 256 && exec "$@"', "_",
                           *_cli("scan", corpus, "--out", out, "--config", config)],
                          env=ENV, capture_output=True, text=True)
    assert proc.returncode == EXIT_WRITE, proc.stderr
    assert "spill files" in proc.stderr and "run.spill_dir" in proc.stderr and "Traceback" not in proc.stderr
    assert {name: (out / name).read_bytes() for name in OUTPUTS} == before


def _lock_held(path: Path) -> bool:
    inode = os.stat(path).st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "FLOCK" in fields and any(f.endswith(f":{inode}") for f in fields):
            return True
    return False


def test_two_concurrent_scans_into_one_folder(tmp_path):
    pages = _pages(tmp_path / "pages", 400)
    out = tmp_path / "out"
    first = subprocess.Popen(_cli("scan", pages, "--out", out, "-q", "--workers", "1"), env=ENV, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: (out / LOCK_NAME).exists() and _lock_held(out / LOCK_NAME), 60, "the first scan's lock")
        second = subprocess.run(_cli("scan", DEMO, "--out", out), env=ENV, capture_output=True, text=True, timeout=120)
        assert first.poll() is None, "the first scan ended before the second started: the test proves nothing"
        assert second.returncode == EXIT_LOCKED
        assert "another wiretrace scan is writing into" in second.stderr
        _, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert len(report["documents"]) == 400 and _html_run_id(out) == report["run_id"]


@pytest.mark.parametrize("form", [["--json"], []])
def test_closing_stdout_early_is_not_a_traceback(tmp_path, form):
    proc = subprocess.Popen(_cli("scan", DEMO, "--out", tmp_path, *form), env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # `| head -c 0`: nobody reads the summary
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert proc.returncode == EXIT_PIPE, err
    assert "Traceback" not in err and "BrokenPipe" not in err
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["documents"]


def test_an_internal_error_has_its_own_code_a_line_and_a_log_file(tmp_path, capsys, monkeypatch):
    import wiretrace.plan

    def bug(*args, **kwargs):
        raise RuntimeError("boom \x1b[31m in a stage")

    monkeypatch.setattr(wiretrace.plan, "verify_pairs", bug)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    bystander = subprocess.Popen(["sleep", "60"])  # a child of the program calling main(), not a worker
    try:
        code = main(["scan", str(DEMO), "--out", str(tmp_path / "out")])
        assert bystander.poll() is None, "stopping the workers killed a process that was not one"
    finally:
        bystander.kill()
        bystander.wait()
    out, err = capsys.readouterr()
    assert code == EXIT_INTERNAL != 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "internal error: RuntimeError: boom" in lines[0] and "\x1b" not in err
    log = Path(lines[0].split("the traceback is in ")[1].split(";")[0])
    assert log.parent == tmp_path and "Traceback" in log.read_text() and "verify" in log.read_text()
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    assert not (tmp_path / "out" / "report.json").exists()
    code = main(["scan", str(DEMO), "--out", str(tmp_path / "out"), "--log-file", str(tmp_path / "run.log")])
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL and str(tmp_path / "run.log") in err
    assert "RuntimeError: boom" in (tmp_path / "run.log").read_text()


def test_a_worker_killed_by_the_system_is_said_to_have_died_not_reported_as_a_bug(tmp_path):
    # the out-of-memory killer or a stray `kill -9` ends one worker: the run stops with
    # EXIT_WORKER_DIED and says so (a bug's exit code and "please report it" would mislead),
    # the other workers are stopped and no output is written
    from wiretrace.cli import EXIT_WORKER_DIED

    out = tmp_path / "out"
    proc, _, err = _scan_and(tmp_path, 0.5, lambda proc, workers: os.kill(workers[0], signal.SIGKILL))
    assert proc.returncode == EXIT_WORKER_DIED, err
    assert "Traceback" not in err and "report it" not in err
    assert "a worker process died" in err
    assert _wait_for(lambda: not _group_alive(proc.pid) or None, 10, "no process left") is True
    assert not (out / "report.json").exists()
