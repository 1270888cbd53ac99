"""wiretrace: find copied news and say where it came from.

The public API is small and flat::

    from wiretrace import scan
    report = scan(["crawl/"])
    for cluster in report.clusters:
        print(cluster["id"], cluster["members"])
    report.write("out/")  # report.html, report.json, pairs.csv, the provenance graph
"""

from wiretrace._version import __version__
from wiretrace.config import Config, load_config
from wiretrace.errors import ConfigError, InputError, WiretraceError
from wiretrace.html import HtmlOptions, render_html, write_html
from wiretrace.minhash import MinHasher, minhash_element_hash
from wiretrace.normalize import normalize_text
from wiretrace.pipeline import Extraction, extract, scan
from wiretrace.records import Document, Skipped
from wiretrace.report import Report
from wiretrace.shingles import shingle_hash, shingle_sets, tokenize

__all__ = [
    "__version__",
    "scan",
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
