"""Timing and counting of pipeline stages, and their peak memory.

Each stage is also reported as it runs: to the ``progress`` callback (the
command line draws it on a terminal) and to the ``wiretrace`` logger (at
``info``: ``wiretrace scan -v``).
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["StageLog", "reset_peak_rss", "rss_mb", "peak_rss_mb", "return_freed_memory"]

log = logging.getLogger("wiretrace")


def reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process's RSS (Linux >= 4.0).

    Returns False where that is not possible; :func:`peak_rss_mb` then
    reports the peak over the process's whole life.
    """
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


_TRIM: list[Any] = []


def return_freed_memory() -> None:
    """Hand the heap pages a stage freed back to the OS (glibc's
    ``malloc_trim``; nothing where there is none). Texts read back from a
    spill and other objects past pymalloc's size are freed into glibc's
    heap, which keeps the pages: a 300,000-document scan's process held
    1.4 GB after the scan, 0.8 GB once trimmed (measured ad hoc), and at 1M
    the writing phase kept the analysis's high-water mark throughout."""
    if not _TRIM:
        import ctypes

        try:  # CDLL(None): symbols already loaded (ctypes.util.find_library would start a process)
            _TRIM.append(getattr(ctypes.CDLL(None), "malloc_trim", None))
        except OSError:
            _TRIM.append(None)
    if _TRIM[0] is not None:
        _TRIM[0](0)


def _status_mb(field: str) -> float | None:
    """A memory field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``) in MB."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def rss_mb() -> float | None:
    """Current resident memory of this process, MB (None where unknown)."""
    return _status_mb("VmRSS")


def peak_rss_mb() -> float | None:
    """Peak resident memory since the last :func:`reset_peak_rss`, MB."""
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    # Elsewhere only the lifetime peak is known (kB on Linux, bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024 / (1024 if peak > 1 << 32 else 1), 1)


class StageLog:
    """Records, per named stage: wall seconds, items in/out, peak RSS.

    Example:
        >>> log = StageLog()
        >>> with log.stage("verify", items_in=10) as stage:
        ...     stage["items_out"] = 3
        >>> sorted(log.stages["verify"])
        ['items_in', 'items_out', 'peak_rss_mb', 'seconds']
    """

    def __init__(self, progress: Callable[[str, int, int | None], None] | None = None) -> None:
        self.stages: dict[str, dict[str, Any]] = {}
        self.progress = progress

    @contextmanager
    def stage(self, name: str, items_in: int | None = None) -> Iterator[dict[str, Any]]:
        record: dict[str, Any] = {"seconds": 0.0, "items_in": items_in, "items_out": None}
        self.stages[name] = record
        if self.progress:
            self.progress(name, 0, None)
        log.debug("%s: started (%s in)", name, "?" if items_in is None else items_in)
        exact_peak = reset_peak_rss()
        start = time.perf_counter()
        try:
            yield record
        finally:
            record["seconds"] = round(time.perf_counter() - start, 6)
            record["peak_rss_mb"] = peak_rss_mb()
            if not exact_peak:
                record["peak_rss_is_lifetime"] = True
            log.info("%s: %s in, %s out, %.2f s, peak %s MB", name, record["items_in"], record["items_out"],
                     record["seconds"], record["peak_rss_mb"])
            if self.progress:
                self.progress(name, 1, 1)
