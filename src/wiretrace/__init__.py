"""wiretrace: find copied news and say where it came from.

The public API is small and flat::

    from wiretrace import scan
    report = scan(["crawl/"])
    for cluster in report.clusters:
        print(cluster["id"], cluster["members"])
    report.write("out/")  # report.html, report.json, pairs.csv, the provenance graph
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from wiretrace._version import __version__

# Loaded on first use: `import wiretrace` (and the command line's start, which
# must be able to handle Ctrl-C at once) does not pay for numpy, lxml and the
# rest until a name is used.
_EXPORTS = {
    "scan": "wiretrace.pipeline", "extract": "wiretrace.pipeline", "Extraction": "wiretrace.pipeline",
    "Config": "wiretrace.config", "load_config": "wiretrace.config",
    "Report": "wiretrace.report", "Document": "wiretrace.records", "Skipped": "wiretrace.records",
    "MinHasher": "wiretrace.minhash", "minhash_element_hash": "wiretrace.minhash",
    "normalize_text": "wiretrace.normalize",
    "tokenize": "wiretrace.shingles", "shingle_hash": "wiretrace.shingles", "shingle_sets": "wiretrace.shingles",
    "render_html": "wiretrace.html", "write_html": "wiretrace.html", "HtmlOptions": "wiretrace.html",
    "WiretraceError": "wiretrace.errors", "ConfigError": "wiretrace.errors", "InputError": "wiretrace.errors",
    "StoreError": "wiretrace.errors", "Index": "wiretrace.index",
}

if TYPE_CHECKING:
    from wiretrace.config import Config, load_config
    from wiretrace.errors import ConfigError, InputError, StoreError, WiretraceError
    from wiretrace.index import Index
    from wiretrace.html import HtmlOptions, render_html, write_html
    from wiretrace.minhash import MinHasher, minhash_element_hash
    from wiretrace.normalize import normalize_text
    from wiretrace.pipeline import Extraction, extract, scan
    from wiretrace.records import Document, Skipped
    from wiretrace.report import Report
    from wiretrace.shingles import shingle_hash, shingle_sets, tokenize


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'wiretrace' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    "__version__",
    "scan",
    "Index",
    "StoreError",
    "extract",
    "Extraction",
    "Config",
    "load_config",
    "Report",
    "Document",
    "Skipped",
    "MinHasher",
    "minhash_element_hash",
    "normalize_text",
    "tokenize",
    "shingle_hash",
    "shingle_sets",
    "render_html",
    "write_html",
    "HtmlOptions",
    "WiretraceError",
    "ConfigError",
    "InputError",
]
