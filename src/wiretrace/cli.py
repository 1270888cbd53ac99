"""Command-line interface: a thin layer over the library.

Exit codes (one table, :data:`EXIT_CODES`, for ``--help``, the docs and the code):
a completed run exits 0 even when some inputs were skipped (they are listed
in the report with their reasons), so ``set -e``, make and CI treat it as
the success it is; ``--strict`` makes skipped inputs exit 1. Everything
that stops a run has its own code, and no code is a traceback: an internal
error prints one line and where the details were logged.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from wiretrace._version import __version__
from wiretrace.config import FIELD_NAMES, INDEX_WALKS, Config, load_config
from wiretrace.errors import ConfigError, IndexBusy, InputError, SpillError, StoreError
from wiretrace.logs import LEVELS, setup_logging, write_crash_log
from wiretrace.outputs import OutputError, OutputFolder, OutputLocked, atomic_write, scalar_text
from wiretrace.parallel import (
    SIGNAL_EXIT,
    Terminated,
    announce_stop,
    check_stop,
    stop_on_signals,
    stop_requested,
    stop_workers,
)
from wiretrace.printable import safe_text

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_SKIPPED, EXIT_USAGE, EXIT_LOCKED, EXIT_WRITE, EXIT_INTERNAL, EXIT_WORKER_DIED = 0, 1, 2, 3, 4, 70, 71
EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_PIPE = 130, 143, 141
EXIT_CODES = (
    (EXIT_OK, "the run completed (inputs that could not be used are listed as skipped, with reasons)"),
    (EXIT_SKIPPED, "--strict only: the run completed but some inputs were skipped"),
    (EXIT_USAGE, "usage or configuration error, missing input, unusable --out (checked before reading)"),
    (EXIT_LOCKED, "another scan is writing into the same --out"),
    (EXIT_WRITE, "the outputs, or a large scan's spill files, could not be written (disk full, ...): "
                 "the previous outputs are untouched"),
    (EXIT_INTERNAL, "internal error (a bug): one line on stderr, the traceback in a log file it names"),
    (EXIT_WORKER_DIED, "a worker process died (killed by the system, e.g. for lack of memory, or by a signal "
                       "sent to it alone): the others stopped, outputs untouched"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C); 143 terminated (SIGTERM), 129 (SIGHUP); workers stopped, "
                       "outputs untouched"),
    (EXIT_PIPE, "stdout was closed early (e.g. '| head'); the outputs are written"),
)

# flag -> Config attribute, for the parameters that have a flag.
_PARAMETER_FLAGS = (
    ("--shingle-size", "shingle_size", int, "words per shingle"),
    ("--min-words", "min_words", int, "skip documents with fewer words"),
    ("--chrome-min-pages", "chrome_min_pages", int, "a line on this many pages of a site is chrome; 0 = off"),
    ("--num-perm", "num_perm", int, "MinHash permutations"),
    ("--seed", "seed", int, "MinHash permutation seed"),
    ("--lsh-threshold", "lsh_threshold", float, "Jaccard the LSH banding is tuned for"),
    ("--bands", "lsh_bands", int, "LSH bands (with --rows)"),
    ("--rows", "lsh_rows", int, "LSH rows per band (with --bands)"),
    ("--anchor-rate", "anchor_rate", int, "1 in N shingles is a containment anchor"),
    ("--anchor-min-shared", "anchor_min_shared", int, "anchors shared to be a candidate"),
    ("--anchor-max-df", "anchor_max_df", int, "anchors in more documents than this pair each with the first only"),
    ("--jaccard", "jaccard_threshold", float, "verified near-duplicate at this Jaccard"),
    ("--containment", "containment_threshold", float, "verified copy at this containment"),
    ("--min-shared", "min_shared_shingles", int, "shingles a contained copy must share"),
    ("--workers", "workers", int, "fingerprinting processes; 0 = one per core on large inputs"),
    ("--batch-size", "batch_size", int, "documents per fingerprinting batch"),
)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() returns codes."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: error: {message}\n(see '{self.prog} --help')")


class _UsageError(Exception):
    pass


def _common_options() -> argparse.ArgumentParser:
    """-v, --log-level and --log-file, accepted by every command."""
    common = _Parser(add_help=False)
    group = common.add_argument_group("logging")
    group.add_argument("-v", "--verbose", action="count", default=0,
                       help="log what each stage does on stderr (-v: info, -vv: debug)")
    group.add_argument("--log-level", choices=LEVELS, default=None, metavar="LEVEL",
                       help=f"log level on stderr: {', '.join(LEVELS)} (default: warning, also with -q)")
    group.add_argument("--log-file", metavar="FILE",
                       help="also write every log record (debug and up) and any internal error's traceback to FILE")
    return common


class _Formatter(argparse.HelpFormatter):
    """Wraps descriptions as usual; keeps the exit-code table's lines as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("exit codes:"):
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    exit_table = "exit codes:\n" + "\n".join(f"  {code:>3}  {text}" for code, text in EXIT_CODES)
    parser = _Parser(
        prog="wiretrace",
        description="Find copied news in a crawl and say where it came from.",
        epilog=exit_table,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"wiretrace {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add_command(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[common], formatter_class=_Formatter, **kwargs)

    scan_cmd = add_command(
        "scan",
        help="find verified near-duplicate clusters in files and folders",
        description=(
            "Read documents (folders, .txt, .html, .warc, .jsonl/.json, .csv/.tsv, .parquet, optionally compressed, "
            "or - for standard input), find near-duplicate "
            "and contained copies (MinHash LSH + anchor candidates, every pair verified exactly), cluster "
            "them, trace who copied whom and whether copies credit their source, print a summary and write "
            "DIR/report.html (open it in a browser), DIR/report.json, DIR/pairs.csv and the provenance graph."
        ),
        epilog=exit_table,
    )
    scan_cmd.add_argument("inputs", nargs="+", metavar="INPUT", help="file or folder to scan; - for standard input")
    scan_cmd.add_argument("-o", "--out", default="wiretrace-out", metavar="DIR",
                          help="folder for report.html, report.json and pairs.csv (default: wiretrace-out)")
    scan_cmd.add_argument("-c", "--config", metavar="FILE", help="TOML file layered over the packaged defaults")
    scan_cmd.add_argument("--registry", action="append", default=[], metavar="FILE",
                          help="your own [[agency]]/[[outlet]] TOML file, merged with the packaged registries "
                               "(after registry.files of the config); repeatable")
    scan_cmd.add_argument("--strict", action="store_true",
                          help="exit 1 when some inputs were skipped (default: 0, the run completed)")
    scan_cmd.add_argument(
        "--field", action="append", default=[], metavar="NAME=FIELD",
        help=f"record field holding NAME ({', '.join(FIELD_NAMES)}), e.g. --field text=body; repeatable",
    )
    _engine_flags(scan_cmd)
    group = scan_cmd.add_argument_group("parameters (override the config file)")
    defaults = Config()
    for flag, attr, kind, text in _PARAMETER_FLAGS:
        value = getattr(defaults, attr)
        shown = "derived from --lsh-threshold" if attr in ("lsh_bands", "lsh_rows") else value
        group.add_argument(
            flag, dest=attr, type=kind, default=None, metavar="N" if kind is int else "X",
            help=f"{text} (default: {shown})",
        )
    output = scan_cmd.add_argument_group("output")
    output.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    output.add_argument("--json", action="store_true", help="print a machine-readable summary (JSON) on stdout")
    output.add_argument("--show", type=int, default=10, metavar="N", help="clusters to show in the summary")
    output.add_argument("--no-html", dest="html", action="store_false",
                        help="do not write report.html (the browser report)")

    extract_cmd = add_command(
        "extract",
        help="write what a scan would fingerprint, one JSON record per document",
        description=(
            "Read inputs as 'scan' does (HTML extraction, WARC records, site chrome removal) and write one JSON "
            "record per document: id, url, canonical_url, site, title, author, published, published_source, "
            "language, links, source, warnings, text. The output is valid input for 'wiretrace scan'."
        ),
        epilog=exit_table,
    )
    extract_cmd.add_argument("inputs", nargs="+", metavar="INPUT", help="file or folder to read")
    extract_cmd.add_argument("-o", "--out", required=True, metavar="OUT.jsonl", help="JSON Lines file to write ('-' for stdout)")
    extract_cmd.add_argument("-c", "--config", metavar="FILE", help="TOML file layered over the packaged defaults")
    extract_cmd.add_argument("--field", action="append", default=[], metavar="NAME=FIELD",
                             help="record field holding NAME, as for scan; repeatable")
    extract_cmd.add_argument("--chrome-min-pages", dest="chrome_min_pages", type=int, default=None, metavar="N",
                             help="a line on this many pages of a site is chrome; 0 = off (default: %(default)s from config)")
    extract_cmd.add_argument("-q", "--quiet", action="store_true", help="do not list skipped inputs on stderr")
    extract_cmd.add_argument("--strict", action="store_true",
                             help="exit 1 when some inputs were skipped (default: 0)")

    eval_cmd = add_command(
        "eval",
        help="score a scan's report.json against your own labels",
        description=(
            "Score a report.json against gold labels (JSON Lines; format in docs/evaluation.md): copy-pair "
            "precision/recall/F1, cluster ARI, origin accuracy, copy-edge accuracy and attribution accuracy, "
            "whichever the labels allow."
        ),
        epilog="Exit codes: 0 scored, 2 usage error (missing or invalid report or gold file). Also 70 internal error, 130/143 interrupted (see wiretrace --help).",
    )
    eval_cmd.add_argument("report", metavar="REPORT", help="report.json written by 'wiretrace scan'")
    eval_cmd.add_argument("--gold", required=True, metavar="GOLD.jsonl", help="labels to score against")
    eval_cmd.add_argument("--json", action="store_true", help="print the scores as JSON")

    html_cmd = add_command(
        "html",
        help="render report.html again from a report.json",
        description=(
            "Render the browser report from a report.json written by 'wiretrace scan' (for instance one written "
            "with --no-html, or to bound the page differently), without scanning again."
        ),
        epilog="Exit codes: 0 written, 2 usage error (missing or invalid report, unwritable output). Also 70 internal error, 130/143 interrupted (see wiretrace --help).",
    )
    html_cmd.add_argument("report", metavar="REPORT", help="report.json written by 'wiretrace scan'")
    html_cmd.add_argument("-o", "--out", metavar="OUT.html", help="page to write (default: report.html beside REPORT)")
    html_cmd.add_argument("--max-text-mb", type=float, default=None, metavar="X",
                          help="compressed text the page may hold before smaller clusters' views go without "
                               "their texts (default: 60)")

    bench_cmd = add_command(
        "bench",
        help="run the accuracy benchmark suites (real corpora and a content-farm simulation)",
        description=(
            "Run benchmark suites and print one table per suite: the content-farm simulation (pair P/R/F1, "
            "ARI, origin, copy-edge and attribution accuracy, recall per transformation, farm ranking ROC AUC), "
            "BBC exact duplicates, ECB+ hard negatives, Clough-Stevenson graded reuse and Reuters-21578 wire "
            "recognition. Suites whose data is absent are reported as skipped, with the reason."
        ),
        epilog="Exit codes: 0 the suites ran (some may be skipped for missing data), 2 usage error. Also 70 internal error, 130/143 interrupted (see wiretrace --help).",
    )
    bench_cmd.add_argument("--suite", action="append", default=[], metavar="NAME",
                           help="run only this suite (repeatable); default: all")
    bench_cmd.add_argument("--quick", action="store_true", help="small versions of the suites (about a minute)")
    bench_cmd.add_argument("--data", default=None, metavar="DIR",
                           help=f"folder holding the corpora (default: ${DATA_ENV} if set, else {DEFAULT_DATA})")
    bench_cmd.add_argument("--json", metavar="OUT.json", help="also write the results as JSON")

    index_cmd = add_command(
        "index",
        help="a persistent index that grows with each crawl: add, report, stats",
        description=(
            "Keep what was read in an index (a SQLite file): 'index add' stores new records (resumable: run it "
            "again after a crash), 'index report' writes everything 'scan' writes for all records stored, "
            "'index stats' prints counts. The report equals one scan of every input added."
        ),
        epilog="Exit codes: 0 done, 2 usage error (no index, other fingerprint settings), 3 another process is "
               "writing to the index (or to --out). Also 4, 70, 130/143 (see wiretrace --help).",
    )
    index_actions = index_cmd.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True,
                                             help="add, report, stats or compact")

    def add_action(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        action = index_actions.add_parser(name, parents=[common], formatter_class=_Formatter, **kwargs)
        action.add_argument("--db", required=True, metavar="PATH", help="the index: a SQLite file (created by 'add') or redis://HOST:PORT/DB?prefix=NAME")
        action.add_argument("-c", "--config", metavar="FILE", help="TOML file layered over the packaged defaults")
        action.add_argument("--field", action="append", default=[], metavar="ATTR=NAME[,NAME...]",
                            help="record field names for a document attribute (as for scan)")
        return action

    add_cmd = add_action("add", help="read inputs and store the records not stored yet")
    add_cmd.add_argument("inputs", nargs="*", metavar="INPUT", help="files or folders (as for scan), - for stdin")
    add_cmd.add_argument("--json", action="store_true", help="print what was added as JSON")
    add_cmd.add_argument("-o", "--out", metavar="DIR",
                         help="also write the report of what was added: the new pages and the stored pages linked to "
                              "them by copies (their whole clusters, origins, credit), without rescanning the index")
    add_cmd.add_argument("--no-html", dest="html", action="store_false", help="with --out: skip report.html")
    add_cmd.add_argument("-q", "--quiet", action="store_true", help="with --out: print no summary")
    add_cmd.add_argument("--show", type=int, default=10, metavar="N", help="with --out: clusters in the summary")
    add_cmd.add_argument("--walk", dest="index_walk", choices=INDEX_WALKS, default=None,
                         help="with --out: how the report walks a story on many sites (index.walk): wide (the "
                              "default) or linear (much faster on a large index, a few more pages placed otherwise "
                              "than by `index report`)")
    add_cmd.add_argument("--no-memo", dest="memo", action="store_false", help=_NO_MEMO)
    _engine_flags(add_cmd)
    report_cmd = add_action("report", help="write the report of everything stored (what scan writes)")
    report_cmd.add_argument("-o", "--out", default="out", metavar="DIR", help="output folder (default: out)")
    report_cmd.add_argument("--no-html", dest="html", action="store_false", help="skip report.html")
    report_cmd.add_argument("--json", action="store_true", help="print the summary as JSON")
    report_cmd.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    report_cmd.add_argument("--show", type=int, default=10, metavar="N", help="clusters to list in the summary")
    report_cmd.add_argument("--strict", action="store_true", help="exit 1 when some inputs were skipped")
    report_cmd.add_argument("--no-memo", dest="memo", action="store_false", help=_NO_MEMO)
    _engine_flags(report_cmd)
    stats_cmd = add_action("stats", help="print counts of what the index holds, as JSON")
    del stats_cmd
    compact_cmd = add_action("compact", help="give a SQLite index's free pages back to the disk (VACUUM), as after "
                                              "a migration from schema version 5; prints its size before and after")
    del compact_cmd

    check_cmd = add_command(
        "check",
        help="where did this text come from? look articles up in an index (read-only)",
        description=(
            "For each article (files, folders or - for stdin, as for scan): its copies in the index (each "
            "verified exactly), the origin of its story, whether it credits it, and the aligned passages."
        ),
        epilog="Exit codes: 0 checked, 2 usage error (no index, other fingerprint settings). Also 70, 130/143.",
    )
    check_cmd.add_argument("inputs", nargs="+", metavar="INPUT", help="articles to look up")
    check_cmd.add_argument("--db", required=True, metavar="PATH", help="the index (a SQLite file or a redis:// URL)")
    check_cmd.add_argument("-c", "--config", metavar="FILE", help="TOML file layered over the packaged defaults")
    check_cmd.add_argument("--field", action="append", default=[], metavar="ATTR=NAME[,NAME...]",
                           help="record field names for a document attribute (as for scan)")
    check_cmd.add_argument("--json", action="store_true", help="print the results as JSON")

    config_cmd = add_command(
        "config",
        help="print the effective configuration",
        description="Print the configuration a scan would use (packaged defaults, then FILE), as JSON.",
    )
    config_cmd.add_argument("-c", "--config", metavar="FILE", help="TOML file layered over the packaged defaults")
    return parser


def _field_overrides(pairs: list[str], base: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]] | None:
    if not pairs:
        return None
    fields = dict(base)
    for item in pairs:
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise ConfigError(f"--field expects NAME=FIELD (e.g. text=body), got {item!r}")
        if name not in FIELD_NAMES:
            raise ConfigError(f"--field {item!r}: NAME must be one of {', '.join(FIELD_NAMES)}")
        fields[name] = (value,)
    return fields


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of exiting."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    argv_list = list(sys.argv[1:] if argv is None else argv)
    try:
        level = args.log_level or {0: "warning", 1: "info"}.get(
            args.verbose, "debug")
        setup_logging(level, args.log_file)
    except ConfigError as exc:
        print(f"wiretrace: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # A file-size limit (ulimit -f) must be a write error we report, not a
    # signal that kills the process half-way through a file.
    if hasattr(signal, "SIGXFSZ"):
        try:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        except ValueError:  # not the main thread
            pass
    try:
        with stop_on_signals():
            code = _dispatch(args)
            check_stop()  # a stop signal whose exception Python swallowed
            return code
    except IndexBusy as exc:
        print(f"wiretrace: error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (ConfigError, InputError, StoreError) as exc:
        print(f"wiretrace: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OutputLocked as exc:
        print(f"wiretrace: error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (_WriteFailed, SpillError) as exc:
        print(f"wiretrace: error: {exc}", file=sys.stderr)
        return EXIT_WRITE
    except OutputError as exc:  # before reading: the --out folder cannot be used
        print(f"wiretrace: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        stop_workers()
        announce_stop("wiretrace: interrupted; worker processes stopped, no output changed")
        return EXIT_INTERRUPTED
    except Terminated as exc:
        stop_workers()
        announce_stop(f"wiretrace: {exc}; worker processes stopped, no output changed")
        return SIGNAL_EXIT.get(exc.signum, EXIT_TERMINATED)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE
    except Exception as exc:  # a bug: one line here, the traceback in a file
        stop_workers()
        stopped = stop_requested()
        if stopped is not None:  # not a bug: the pool broke because a signal stopped its workers
            announce_stop()
            return stopped
        if isinstance(exc, BrokenProcessPool):  # not a bug: the system (or someone) killed a worker
            _quiet_print("wiretrace: error: a worker process died before it finished (killed by the system, e.g. "
                         "for lack of memory, or by a signal sent to it alone); the other workers are stopped and no "
                         "output changed; fewer workers (--workers 1) or a smaller run take less memory")
            return EXIT_WORKER_DIED
        where = write_crash_log(exc, argv_list, args.log_file)
        detail = f"the traceback is in {where}" if where else "no log file could be written"
        _quiet_print(f"wiretrace: internal error: {type(exc).__name__}: {safe_text(exc, 200)} ({detail}; "
                     "please report it with that file)")
        return EXIT_INTERNAL


class _WriteFailed(OutputError):
    """The scan finished but its outputs could not be written."""


def _quiet_print(message: str) -> None:
    try:
        print(message, file=sys.stderr)
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so that Python's own
    flush at exit does not print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "config":
        config = load_config(args.config)
        print(json.dumps(config.to_dict(), indent=2))
        return EXIT_OK
    if args.command == "extract":
        return _extract(args)
    if args.command == "eval":
        return _eval(args)
    if args.command == "bench":
        return _bench(args)
    if args.command == "html":
        return _html(args)
    if args.command == "index":
        return _index(args)
    if args.command == "check":
        return _check(args)
    return _scan(args)


DATA_ENV = "WIRETRACE_DATA"
DEFAULT_DATA = "../shared/data"


def bench_data_folder(flag: str | None) -> Path:
    """Where ``wiretrace bench`` finds its corpora: ``--data``, else
    ``$WIRETRACE_DATA``, else ``../shared/data``."""
    return Path(flag or os.environ.get(DATA_ENV) or DEFAULT_DATA)


def _bench(args: argparse.Namespace) -> int:
    from wiretrace.evaluation.suites import SUITES, run_suites
    from wiretrace.summary import make_console, print_bench

    unknown = [name for name in args.suite if name not in SUITES]
    if unknown:
        raise ConfigError(f"unknown suite(s) {', '.join(unknown)}; available: {', '.join(SUITES)}")
    data = bench_data_folder(args.data)
    if not data.is_dir():
        logging.getLogger("wiretrace").warning(
            "corpus folder %s not found (set --data or $%s): suites that need data will be skipped", data, DATA_ENV)
    results = run_suites(args.suite or list(SUITES), data, args.quick)
    print_bench(results, make_console())
    if args.json:
        _write_file(args.json, json.dumps(results, indent=2) + "\n")
    return EXIT_OK


def _write_file(path: str, text: str) -> None:
    """A file named by the user, written all or nothing (never through a link)."""
    try:
        atomic_write(path, scalar_text(text))
    except OutputError as exc:
        raise _WriteFailed(str(exc)) from None


def _load_report(path: str) -> dict[str, Any]:
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"report not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read report {path}: {exc}") from None
    except RecursionError:
        raise InputError(f"cannot read report {path}: JSON nested too deeply to read") from None
    if not isinstance(report, dict) or report.get("format") != "wiretrace-report":
        raise InputError(f"{path} is not a wiretrace report.json")
    return report


def _html(args: argparse.Namespace) -> int:
    from wiretrace.html import HtmlOptions, write_html

    report = _load_report(args.report)
    options = HtmlOptions()
    if args.max_text_mb is not None:
        if not args.max_text_mb > 0:
            raise ConfigError(f"--max-text-mb must be > 0, got {args.max_text_mb}")
        options = HtmlOptions(max_text_bytes=int(args.max_text_mb * 1e6))
    out = Path(args.out) if args.out else Path(args.report).with_name("report.html")
    if not out.parent.is_dir():
        raise ConfigError(f"cannot write {out}: the folder {out.parent} does not exist")
    try:
        write_html(report, out, options)
    except OutputError as exc:
        raise _WriteFailed(str(exc)) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{args.report} does not have the shape of a report.json: {exc!r}") from None
    print(out)
    return EXIT_OK


def _eval(args: argparse.Namespace) -> int:
    from wiretrace.evaluation import GoldError, evaluate, load_gold

    report = _load_report(args.report)
    try:
        scores = evaluate(report, load_gold(args.gold))
    except GoldError as exc:
        raise InputError(str(exc)) from None
    if args.json:
        print(json.dumps(scores, indent=2))
    else:
        from wiretrace.summary import make_console, print_scores

        print_scores(scores, make_console())
    return EXIT_OK


def _config_from(args: argparse.Namespace, **overrides: Any) -> Config:
    """Packaged defaults, then --config, then the parameter flags and --field."""
    config = load_config(args.config, **overrides)
    fields = _field_overrides(args.field, config.fields)
    return config.replace(fields=fields) if fields else config


def _extract(args: argparse.Namespace) -> int:
    from wiretrace.pipeline import extract
    from wiretrace.summary import make_console, progress_bar

    config = _config_from(args, chrome_min_pages=args.chrome_min_pages)
    if args.out != "-":
        folder = Path(args.out).parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigError(f"cannot write {args.out}: {folder} is not a writable folder (checked before reading)")
    err = make_console(stderr=True)
    if not args.quiet and err.is_terminal:
        with progress_bar(err) as update:
            result = extract(args.inputs, config, progress=update)
    else:
        result = extract(args.inputs, config)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in result.records)
    if args.out == "-":
        sys.stdout.write(scalar_text(lines))
        sys.stdout.flush()
    else:
        _write_file(args.out, lines)
    if not args.quiet:
        print(f"wiretrace: {len(result.records)} documents written, {len(result.skipped)} inputs skipped", file=sys.stderr)
        for item in result.skipped:
            print(f"  {safe_text(item['source'], 100)}: {safe_text(item['reason'], 160)}", file=sys.stderr)
    return EXIT_SKIPPED if args.strict and result.skipped else EXIT_OK


def _scan(args: argparse.Namespace) -> int:
    from wiretrace.pipeline import scan
    from wiretrace.summary import make_console, progress_bar

    config = _config_from(args, **{attr: getattr(args, attr) for _, attr, _, _ in _PARAMETER_FLAGS})
    if args.registry:
        config = config.replace(registry_files=config.registry_files + tuple(args.registry))
    if args.show < 0:
        raise ConfigError("--show must be >= 0")
    _check_engine(args)  # before the output folder is taken: a usage error costs nothing

    err = make_console(stderr=True)
    show_progress = not args.quiet and not args.json and err.is_terminal
    # The output folder is taken (locked) and checked writable before a single
    # input is read: a mistake in --out costs nothing, and no other scan can
    # write into it until this one is done.
    # A Ray engine is left before the outputs are written (their writing forks workers).
    with OutputFolder(args.out) as folder:
        if show_progress:
            with progress_bar(err) as update:
                with _engine(args, config) as executor:
                    report = scan(args.inputs, config, progress=update, executor=executor)
                check_stop()  # stopped during the scan: write nothing
                update("write", 0, None)
                paths = _write_report(report, folder, args.html)
        else:
            with _engine(args, config) as executor:
                report = scan(args.inputs, config, executor=executor)
            check_stop()
            paths = _write_report(report, folder, args.html)
    return _summarise(report, paths, args)


def _engine_flags(parser: argparse.ArgumentParser) -> None:
    engine = parser.add_argument_group("engine (where the work runs; the result is the same)")
    engine.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="local: forked worker processes (default); ray: a Ray cluster "
                             "(pip install 'wiretrace[ray]')")
    engine.add_argument("--ray-address", default=None, metavar="ADDRESS",
                        help="with --engine ray: a running Ray ('auto', 'ray://HOST:10001'); "
                             "default: start a local Ray with run.workers CPUs (0: one per core), stopped at the end")


def _check_engine(args: argparse.Namespace) -> None:
    if getattr(args, "ray_address", None) and args.engine != "ray":
        raise ConfigError("--ray-address needs --engine ray")


@contextlib.contextmanager
def _engine(args: argparse.Namespace, config: Any) -> Iterator[Any]:
    """The executor ``--engine`` names: None (the local one, made by the
    scan), or a Ray cluster's, left (or stopped, if started here) at the end."""
    if args.engine != "ray":
        yield None
        return
    from wiretrace.ray_executor import connect

    with connect(args.ray_address, config.workers) as executor:
        yield executor


def _summarise(report: Any, paths: dict[str, Path], args: argparse.Namespace) -> int:
    """Print a written report's summary (or JSON, or nothing) and return the exit code."""
    from wiretrace.summary import make_console, print_summary, summary_dict

    code = report.exit_code(strict=args.strict)
    if args.json:
        print(json.dumps(summary_dict(report, paths, code), indent=2, ensure_ascii=False))
    elif not args.quiet:
        print_summary(report, paths, make_console(), show=args.show)
    sys.stdout.flush()
    return code


_NO_MEMO = ("do not keep or reuse what earlier reports computed (PATH.memo beside a SQLite index: wire markers, "
            "credits, alignments; the report is the same either way, and the file may be deleted at any time)")


def _index(args: argparse.Namespace) -> int:
    from wiretrace.index import Index

    config = _config_from(args, index_walk=getattr(args, "index_walk", None))
    if getattr(args, "show", 0) < 0:
        raise ConfigError("--show must be >= 0")
    _check_engine(args)  # before an output folder is taken
    if args.action == "stats":
        with Index.open(args.db, config, writer=False) as index:
            print(json.dumps({**index.stats(), "disk": index.space()}, indent=2))
        return EXIT_OK
    if args.action == "compact":
        with Index.open(args.db, config, memo=False, create=False) as index:
            print(json.dumps(index.compact(), indent=2))
        return EXIT_OK
    if args.action == "add":
        if args.out is None:
            return _index_add(args, config, None)
        with OutputFolder(args.out) as folder:
            return _index_add(args, config, folder)
    with OutputFolder(args.out) as folder:  # report
        with (_engine(args, config) as executor,
              Index.open(args.db, config, writer=False, executor=executor, memo=args.memo) as index):
            report = index.report()
            _memo_note(index, args)
        check_stop()
        paths = _write_report(report, folder, args.html)
    return _summarise(report, paths, args)


def _memo_note(index: Any, args: argparse.Namespace) -> None:
    """Say on stderr why a wanted memo was not used (the report is the same)."""
    if args.memo and index.memo_note:
        print(f"wiretrace: note: {safe_text(index.memo_note, 300)}", file=sys.stderr)


def _index_add(args: argparse.Namespace, config: Any, folder: OutputFolder | None) -> int:
    """``index add``; with ``--out``, the report of what was added (Index.delta)."""
    from wiretrace.index import Index
    from wiretrace.summary import make_console, print_summary, summary_dict

    with _engine(args, config) as executor, Index.open(args.db, config, executor=executor, memo=args.memo) as index:
        result = index.add(args.inputs)  # no input: only creates (or migrates) the index
        added, stats = result.to_dict(), index.stats()
        delta = index.delta(result) if folder is not None else None
        if delta is not None:
            _memo_note(index, args)
    # the Ray engine is left before the outputs are written (their writing forks workers)
    if args.json and delta is None:
        print(json.dumps({"added": added, "index": stats}, indent=2))
    elif not args.json:
        print(f"read {added['read']} records: {added['added']} added, {added['already_indexed']} already in "
              f"the index, {added['skipped']} inputs skipped; the index holds {stats['records']} documents")
    if delta is None:
        return EXIT_OK
    check_stop()
    paths = _write_report(delta, folder, args.html)
    if args.json:
        print(json.dumps({"added": added, "index": stats, "report": summary_dict(delta, paths, EXIT_OK)},
                         indent=2, ensure_ascii=False))
    elif not args.quiet:
        print_summary(delta, paths, make_console(), show=args.show)
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from wiretrace.index import Index

    with Index.open(args.db, _config_from(args), writer=False) as index:
        results = index.check(args.inputs)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return EXIT_OK
    for entry in results:
        name = safe_text(entry.get("id") or entry.get("source"), 120)
        if "skipped" in entry:
            print(f"{name}: skipped: {safe_text(entry['skipped'], 200)}")
            continue
        matches = entry["matches"]
        print(f"{name}: {len(matches)} cop{'y' if len(matches) == 1 else 'ies'} in the index"
              + (f" ({safe_text(entry['note'], 200)})" if entry.get("note") else ""))
        for m in matches:
            print(f"  {m['kind']:<9} jaccard {m['jaccard']:.2f}  {safe_text(m['id'], 120)}  "
                  f"{safe_text(m.get('site') or '', 60)}")
        origin = entry.get("origin") or {}
        if origin:
            what = origin.get("document") or origin.get("agency") or origin.get("outlet") or origin.get("kind")
            print(f"  origin: {safe_text(what, 120)}")
        attribution = entry.get("attribution") or {}
        if attribution:
            print(f"  credit: {safe_text(attribution.get('status'), 40)}")
    return EXIT_OK


def _write_report(report: Any, folder: OutputFolder, html: bool) -> dict[str, Path]:
    try:
        return report.write(folder, html=html, release=True)  # the summary after it reads no graph
    except OutputError as exc:
        raise _WriteFailed(str(exc)) from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
