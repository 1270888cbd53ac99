"""What every benchmark prints about where and how it ran."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import wiretrace

ROOT = Path(__file__).resolve().parents[1]


def git_revision() -> str | None:
    """Commit of the wiretrace checkout, with ``+dirty`` when ``src/`` has local changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def machine_info(**versions: Any) -> dict[str, Any]:
    """Date, machine, interpreter, wiretrace's version and commit, the given
    library versions, and the exact command."""
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "wiretrace": wiretrace.__version__,
        "wiretrace_git": git_revision(),
        **versions,
        "command": shlex.join(sys.orig_argv),
    }


def machine_memory_gb() -> float:
    """This machine's memory (``MemTotal``), GiB."""
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    return 0.0


def release_memory() -> None:
    """Hand memory freed by the corpus generation back to the OS (glibc
    ``malloc_trim``), so that the measuring process holds little of it
    beside what it measures."""
    import gc

    from wiretrace.stages import return_freed_memory

    gc.collect()
    return_freed_memory()


class TreePeak:
    """Peak resident memory of this process and all its descendants, MB,
    sampled from /proc every ``interval`` seconds while in a ``with`` block.
    (``/usr/bin/time -v`` and ru_maxrss miss it: wiretrace resets its own
    high-water mark between stages, and children's peaks do not add up.)"""

    def __init__(self, interval: float = 0.05, proportional: bool = False, root: int | None = None) -> None:
        import threading

        self.interval = interval
        # whose tree: this process's (None), or another's -- a child measured without
        # the memory of the process that measures it (set it once the child exists)
        self.root = root
        self.proportional = proportional  # PSS: a page shared by forked workers counted once, not per process
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def tree_pss_mb(root: int | None = None) -> float:
        """The tree's proportional set size (``/proc/PID/smaps_rollup``):
        pages shared by forked processes split among them, so the sum is
        the memory the tree really holds."""
        root = root or os.getpid()
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as handle:
                        parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
                except OSError:
                    continue
                children.setdefault(parent, []).append(int(entry))
        total_kb, todo = 0, [root]
        while todo:
            pid = todo.pop()
            try:
                with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
                    for line in handle:
                        if line.startswith(b"Pss:"):
                            total_kb += int(line.split()[1])
                            break
            except OSError:
                pass
            todo.extend(children.get(pid, ()))
        return total_kb / 1024

    @staticmethod
    def tree_rss_mb(root: int | None = None) -> float:
        root = root or os.getpid()
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry)
            children.setdefault(int(fields[1]), []).append(pid)  # fields[1]: the parent's pid
            rss[pid] = int(fields[21])  # resident pages
        total, todo = 0, [root]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo.extend(children.get(pid, ()))
        return total * os.sysconf("SC_PAGE_SIZE") / 2**20

    def _sample(self) -> float:
        return self.tree_pss_mb(self.root) if self.proportional else self.tree_rss_mb(self.root)

    def _run(self) -> None:
        import time

        while not self._stop.is_set():
            started = time.perf_counter()
            self.peak_mb = max(self.peak_mb, self._sample())
            # a sample of a large process (PSS walks its page tables) may take tens of
            # milliseconds: wait at least 20 times as long, so sampling takes under 5%
            # of one core away from what is measured
            self._stop.wait(max(self.interval, 20 * (time.perf_counter() - started)))

    def __enter__(self) -> "TreePeak":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = round(max(self.peak_mb, self._sample()), 1)
