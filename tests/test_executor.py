"""The local executor (wiretrace.executor): results in submission order, an
error stops the window, and no worker outlives the process that forked it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from wiretrace.executor import LocalExecutor, can_fork


def _slow_square(task, shared):
    time.sleep(0.01 * ((task * 7) % 5))  # finish out of order
    return task * task + shared


def test_a_window_gives_results_in_submission_order():
    with LocalExecutor(2).window(_slow_square, 1) as window:
        out = [r for t in range(20) for r in window.submit(t)]
        out += list(window.drain())
    assert out == [t * t + 1 for t in range(20)]
    assert LocalExecutor(2).map(len, ["a", "bb", "ccc"] * 10, min_items=1) == [1, 2, 3] * 10


def test_a_worker_trims_its_heap_at_most_every_trim_seconds_and_makes_up_a_trim_put_off(monkeypatch):
    # wiretrace.executor._call: the freed heap goes back to the OS after a task, but not
    # after every one of a quick run of tasks (the next would fault the pages in again);
    # a trim put off is made once TRIM_SECONDS have passed, with no task ending then
    import wiretrace.executor as executor

    trims = []
    monkeypatch.setattr(executor, "return_freed_memory", lambda: trims.append(time.monotonic()))
    monkeypatch.setattr(executor, "_TRIM", {"last": 0.0, "timer": None, "busy_since": None})
    monkeypatch.setattr(executor, "_JOB", (_slow_square, 1))
    monkeypatch.setattr(executor, "TRIM_SECONDS", 1.0)
    assert [executor._call(5) for _ in range(3)] == [26] * 3
    assert len(trims) == 1  # the first task's; the next two put one off
    deadline = time.monotonic() + 5
    while len(trims) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(trims) == 2 and trims[1] - trims[0] >= 1.0  # made up by the timer, no task ended
    time.sleep(1.2)
    assert len(trims) == 2  # nothing put off: no trim
    executor._call(5)
    assert len(trims) == 3  # a second has passed: at once
    # a trim put off is not made in the middle of a short task, but when it ends
    executor._call(5)
    assert len(trims) == 3
    monkeypatch.setattr(executor, "_JOB", (lambda task, shared: time.sleep(task), None))
    started = time.monotonic()
    executor._call(0.8)  # the timer fires ~1 s after the last trim, while this task runs
    assert len(trims) == 3 and executor._TRIM["timer"] is not None  # put off again: the task has run < 1 s
    deadline = time.monotonic() + 5
    while len(trims) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(trims) == 4 and trims[3] >= started + 0.8  # made after the task, by the timer
    # a long task is trimmed once it has run TRIM_SECONDS
    time.sleep(1.1)
    executor._call(0)  # trims at once (a second passed) ...
    executor._call(0)  # ... and puts the next off
    started = time.monotonic()
    executor._call(2.3)
    # once in it (it had run a second), and at its end (a second after that one)
    assert len(trims) == 7 and started + 1.0 <= trims[5] < started + 2.3 <= trims[6]


def test_an_error_in_a_task_reaches_the_caller():
    def boom(task, shared):
        if task == 3:
            raise ValueError("task 3 failed")
        return task

    with pytest.raises(ValueError, match="task 3 failed"):
        with LocalExecutor(2).window(boom) as window:
            for t in range(10):
                window.submit(t)
            list(window.drain())


@pytest.mark.skipif(not can_fork(), reason="no pool starts without fork")
def test_a_window_stopped_by_a_signal_has_no_pool_thread_left_when_it_closes():
    # Python 3.11's exit hook writes to the pool's wake-up pipe without a
    # lock while the pool's thread closes it: a thread still running at exit
    # can print a traceback (seen after Ctrl-C). A window stopped by a
    # signal's exception waits for it; one closed by another error does not.
    import threading

    def pool_threads():
        return {t for t in threading.enumerate() if type(t).__name__ == "_ExecutorManagerThread" and t.is_alive()}

    before = pool_threads()
    for stop, waits in ((KeyboardInterrupt, True), (RuntimeError, False)):
        with pytest.raises(stop):
            with LocalExecutor(2).window(lambda task, shared: time.sleep(0.4) or task) as window:
                for t in range(3):
                    window.submit(t)
                started = pool_threads() - before
                assert len(started) == 1  # the pool and its thread are there
                raise stop("stop here")
        assert (pool_threads() - before == set()) is waits
        for thread in started:
            thread.join()


_PARENT = """
import os, time
from wiretrace.executor import LocalExecutor
with LocalExecutor(2).window(lambda t, s: t) as window:
    window.submit(1)
    print(os.getpid(), flush=True)
    time.sleep(60)
"""


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    if int(handle.read().rsplit(b")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except OSError:
                continue
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_workers_die_with_a_parent_killed_by_sigkill():
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdout=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())
    workers = _children(pid)
    assert len(workers) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{w}") and _state(w) != "Z" for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(not os.path.exists(f"/proc/{w}") or _state(w) == "Z" for w in workers)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0].decode()
    except OSError:
        return "gone"


def _whoami(task, shared):
    return task, os.getpid(), os.getppid(), shared


def test_a_fresh_window_gives_results_in_order_from_workers_that_are_not_forks_of_this_process():
    with LocalExecutor(2).window(_whoami, {"shared": 1}, fresh=True) as window:
        out = [r for t in range(12) for r in window.submit(t)]
        out += list(window.drain())
    assert [task for task, *_ in out] == list(range(12))
    assert {shared["shared"] for *_, shared in out} == {1}  # pickled to each worker once
    workers = {(pid, parent) for _, pid, parent, _ in out}
    assert 1 <= len(workers) <= 2 and os.getpid() not in {pid for pid, _ in workers}
    assert os.getpid() not in {parent for _, parent in workers}  # the fork server's children, not ours
    with LocalExecutor(2).window(_whoami, None) as window:  # the default: forked from this process
        out = [r for t in range(4) for r in window.submit(t)] + list(window.drain())
    assert {parent for _, _, parent, _ in out} == {os.getpid()}


_FRESH_JOB = """
import os

def whoami(task, shared):
    return os.getpid()
"""

# no `if __name__ == "__main__":` guard: fresh workers do not run the main script again
_FRESH_PARENT = """
import os, sys, time
from wiretrace.executor import LocalExecutor
from fresh_job import whoami

with open(sys.argv[1], "a") as marks:
    marks.write(f"{os.getpid()}\\n")  # once per run of this script
with LocalExecutor(2).window(whoami, None, fresh=True) as window:
    pids = [p for t in range(8) for p in window.submit(t)] + list(window.drain())
    print(" ".join(str(p) for p in sorted(set(pids))), flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_fresh_workers_do_not_run_the_main_script_again(tmp_path):
    """A script without a main guard, or read from stdin, runs once."""
    (tmp_path / "fresh_job.py").write_text(_FRESH_JOB)
    script = tmp_path / "parent.py"
    script.write_text(_FRESH_PARENT)
    marks = tmp_path / "marks"
    done = subprocess.run([sys.executable, str(script), str(marks), "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() and len(marks.read_text().split()) == 1
    marks.unlink()
    done = subprocess.run([sys.executable, "-", str(marks), "0"], input=_FRESH_PARENT, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert len(marks.read_text().split()) == 1


def test_a_fresh_window_refuses_a_function_of_the_main_script():
    def job(task, shared):
        return task

    job.__module__ = "__main__"
    with pytest.raises(ValueError, match="main script"):
        with LocalExecutor(2).window(job, None, fresh=True):
            pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_fresh_workers_die_with_a_parent_killed_by_sigkill(tmp_path):
    (tmp_path / "fresh_job.py").write_text(_FRESH_JOB)
    script = tmp_path / "parent.py"
    script.write_text(_FRESH_PARENT)
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path / "marks"), "60"], stdout=subprocess.PIPE,
                              text=True)
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert workers and all(_state(w) not in ("gone", "Z") for w in workers)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_state(w) not in ("gone", "Z") for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_state(w) in ("gone", "Z") for w in workers)


def test_a_fresh_process_works_on_what_it_is_handed_and_reports_its_error_by_kind():
    import json

    from wiretrace.executor import FreshError, PassedFd, fresh_process

    read, write = os.pipe()
    with fresh_process(_count_into, PassedFd(write), list(range(100_000))) as fresh:  # answers through a passed fd
        fresh.wait()
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        assert answer.read() == b"100000 4999950000"
    with pytest.raises(FreshError, match="JSONDecodeError") as raised:
        with fresh_process(json.loads, "{not json") as fresh:
            fresh.wait()
    assert raised.value.kind == "JSONDecodeError"


def _count_into(out, values):
    os.write(out.fd, f"{len(values)} {sum(values)}".encode())
    os.close(out.fd)


def test_a_fresh_process_left_with_an_error_is_killed_and_one_that_dies_says_so():
    from wiretrace.executor import fresh_process

    with pytest.raises(KeyError):
        with fresh_process(time.sleep, 60) as fresh:
            process = fresh.process
            raise KeyError("here")
    assert not process.is_alive() and process.exitcode == -signal.SIGKILL
    with pytest.raises(ChildProcessError, match="died"):
        with fresh_process(os.abort) as fresh:  # as the out-of-memory killer ends a process: nothing said
            fresh.wait()


def test_a_fresh_process_s_long_error_is_cut_and_never_waited_on():
    # the pipe back holds 64 KB: a longer message had the process wait to send it while this one waited for it to end
    from wiretrace.executor import FreshError, fresh_process

    started = time.monotonic()
    with pytest.raises(FreshError, match="ValueError") as raised:
        with fresh_process(float, "x" * 200_000) as fresh:
            fresh.wait()
    assert time.monotonic() - started < 30
    assert len(raised.value.message) <= 8000 and "Traceback" in raised.value.details
