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
