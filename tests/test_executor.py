"""The local executor (wiretrace.executor): results in submission order, an
error stops the window, and no worker outlives the process that forked it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from wiretrace.executor import LocalExecutor


def _slow_square(task, shared):
    time.sleep(0.01 * ((task * 7) % 5))  # finish out of order
    return task * task + shared


def test_a_window_gives_results_in_submission_order():
    with LocalExecutor(2).window(_slow_square, 1) as window:
        out = [r for t in range(20) for r in window.submit(t)]
        out += list(window.drain())
    assert out == [t * t + 1 for t in range(20)]
    assert LocalExecutor(2).map(len, ["a", "bb", "ccc"] * 10, min_items=1) == [1, 2, 3] * 10


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
