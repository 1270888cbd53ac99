"""Command-line interface: a thin layer over the library.

Exit codes: 0 every input processed, 1 some inputs were skipped (listed in
the report with reasons), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wiretrace._version import __version__
from wiretrace.config import FIELD_NAMES, Config, load_config
from wiretrace.errors import ConfigError, InputError
from wiretrace.pipeline import extract, scan
from wiretrace.summary import print_summary, summary_dict

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_SKIPPED, EXIT_USAGE = 0, 1, 2

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
    ("--anchor-max-df", "anchor_max_df", int, "ignore anchors in more documents than this"),
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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wiretrace",
        description="Find copied news in a crawl and say where it came from.",
        epilog="Exit codes: 0 all inputs processed, 1 some inputs skipped, 2 usage or configuration error.",
    )
    parser.add_argument("--version", action="version", version=f"wiretrace {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    scan_cmd = commands.add_parser(
        "scan",
        help="find verified near-duplicate clusters in files and folders",
        description=(
            "Read documents (folders, .txt, .html, .warc, .jsonl/.json, .csv/.tsv, .parquet, optionally compressed, "
            "or - for standard input), find near-duplicate "
            "and contained copies (MinHash LSH + anchor candidates, every pair verified exactly), cluster "
            "them, trace who copied whom and whether copies credit their source, print a summary and write "
            "DIR/report.html (open it in a browser), DIR/report.json, DIR/pairs.csv and the provenance graph."
        ),
        epilog="Exit codes: 0 all inputs processed, 1 some inputs skipped (see 'skipped' in the report), 2 usage error.",
    )
    scan_cmd.add_argument("inputs", nargs="+", metavar="INPUT", help="file or folder to scan; - for standard input")
    scan_cmd.add_argument("-o", "--out", default="wiretrace-out", metavar="DIR",
                          help="folder for report.html, report.json and pairs.csv (default: wiretrace-out)")
    scan_cmd.add_argument("-c", "--config", metavar="FILE", help="TOML file layered over the packaged defaults")
    scan_cmd.add_argument(
        "--field", action="append", default=[], metavar="NAME=FIELD",
        help=f"record field holding NAME ({', '.join(FIELD_NAMES)}), e.g. --field text=body; repeatable",
    )
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

    extract_cmd = commands.add_parser(
        "extract",
        help="write what a scan would fingerprint, one JSON record per document",
        description=(
            "Read inputs as 'scan' does (HTML extraction, WARC records, site chrome removal) and write one JSON "
            "record per document: id, url, canonical_url, site, title, author, published, published_source, "
            "language, links, source, warnings, text. The output is valid input for 'wiretrace scan'."
        ),
        epilog="Exit codes: 0 all inputs processed, 1 some inputs skipped (listed on stderr), 2 usage error.",
    )
    extract_cmd.add_argument("inputs", nargs="+", metavar="INPUT", help="file or folder to read")
    extract_cmd.add_argument("-o", "--out", required=True, metavar="OUT.jsonl", help="JSON Lines file to write ('-' for stdout)")
    extract_cmd.add_argument("-c", "--config", metavar="FILE", help="TOML file layered over the packaged defaults")
    extract_cmd.add_argument("--field", action="append", default=[], metavar="NAME=FIELD",
                             help="record field holding NAME, as for scan; repeatable")
    extract_cmd.add_argument("--chrome-min-pages", dest="chrome_min_pages", type=int, default=None, metavar="N",
                             help="a line on this many pages of a site is chrome; 0 = off (default: %(default)s from config)")
    extract_cmd.add_argument("-q", "--quiet", action="store_true", help="do not list skipped inputs on stderr")

    eval_cmd = commands.add_parser(
        "eval",
        help="score a scan's report.json against your own labels",
        description=(
            "Score a report.json against gold labels (JSON Lines; format in docs/evaluation.md): copy-pair "
            "precision/recall/F1, cluster ARI, origin accuracy, copy-edge accuracy and attribution accuracy, "
            "whichever the labels allow."
        ),
        epilog="Exit codes: 0 scored, 2 usage error (missing or invalid report or gold file).",
    )
    eval_cmd.add_argument("report", metavar="REPORT", help="report.json written by 'wiretrace scan'")
    eval_cmd.add_argument("--gold", required=True, metavar="GOLD.jsonl", help="labels to score against")
    eval_cmd.add_argument("--json", action="store_true", help="print the scores as JSON")

    html_cmd = commands.add_parser(
        "html",
        help="render report.html again from a report.json",
        description=(
            "Render the browser report from a report.json written by 'wiretrace scan' (for instance one written "
            "with --no-html, or to bound the page differently), without scanning again."
        ),
        epilog="Exit codes: 0 written, 2 usage error (missing or invalid report, unwritable output).",
    )
    html_cmd.add_argument("report", metavar="REPORT", help="report.json written by 'wiretrace scan'")
    html_cmd.add_argument("-o", "--out", metavar="OUT.html", help="page to write (default: report.html beside REPORT)")
    html_cmd.add_argument("--max-text-mb", type=float, default=None, metavar="X",
                          help="compressed text the page may hold before smaller clusters' views go without "
                               "their texts (default: 60)")

    bench_cmd = commands.add_parser(
        "bench",
        help="run the accuracy benchmark suites (real corpora and a content-farm simulation)",
        description=(
            "Run benchmark suites and print one table per suite: the content-farm simulation (pair P/R/F1, "
            "ARI, origin, copy-edge and attribution accuracy, recall per transformation, farm ranking ROC AUC), "
            "BBC exact duplicates, ECB+ hard negatives, Clough-Stevenson graded reuse and Reuters-21578 wire "
            "recognition. Suites whose data is absent are reported as skipped, with the reason."
        ),
        epilog="Exit codes: 0 the suites ran (some may be skipped for missing data), 2 usage error.",
    )
    bench_cmd.add_argument("--suite", action="append", default=[], metavar="NAME",
                           help="run only this suite (repeatable); default: all")
    bench_cmd.add_argument("--quick", action="store_true", help="small versions of the suites (about a minute)")
    bench_cmd.add_argument("--data", default="../shared/data", metavar="DIR",
                           help="folder holding the corpora (default: ../shared/data)")
    bench_cmd.add_argument("--json", metavar="OUT.json", help="also write the results as JSON")

    config_cmd = commands.add_parser(
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
    try:
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
        return _scan(args)
    except (ConfigError, InputError) as exc:
        print(f"wiretrace: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _bench(args: argparse.Namespace) -> int:
    from rich.console import Console

    from wiretrace.evaluation.suites import SUITES, run_suites
    from wiretrace.summary import print_bench

    unknown = [name for name in args.suite if name not in SUITES]
    if unknown:
        raise ConfigError(f"unknown suite(s) {', '.join(unknown)}; available: {', '.join(SUITES)}")
    results = run_suites(args.suite or list(SUITES), Path(args.data), args.quick)
    print_bench(results, Console())
    if args.json:
        try:
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {args.json}: {exc}") from None
    return EXIT_OK


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
    try:
        write_html(report, out, options)
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc}") from None
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
        from rich.console import Console

        from wiretrace.summary import print_scores

        print_scores(scores, Console())
    return EXIT_OK


def _config_from(args: argparse.Namespace, **overrides: Any) -> Config:
    """Packaged defaults, then --config, then the parameter flags and --field."""
    config = load_config(args.config, **overrides)
    fields = _field_overrides(args.field, config.fields)
    return config.replace(fields=fields) if fields else config


def _extract(args: argparse.Namespace) -> int:
    config = _config_from(args, chrome_min_pages=args.chrome_min_pages)
    result = extract(args.inputs, config)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in result.records)
    if args.out == "-":
        sys.stdout.write(lines)
    else:
        try:
            Path(args.out).write_text(lines, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {args.out}: {exc}") from None
    if not args.quiet:
        from wiretrace.summary import safe_text

        print(f"wiretrace: {len(result.records)} documents written, {len(result.skipped)} inputs skipped", file=sys.stderr)
        for item in result.skipped:
            print(f"  {safe_text(item['source'], 100)}: {safe_text(item['reason'], 160)}", file=sys.stderr)
    return EXIT_SKIPPED if result.skipped else EXIT_OK


def _scan(args: argparse.Namespace) -> int:
    config = _config_from(args, **{attr: getattr(args, attr) for _, attr, _, _ in _PARAMETER_FLAGS})
    if args.show < 0:
        raise ConfigError("--show must be >= 0")
    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out {out_dir} exists and is not a folder")

    from rich.console import Console

    err = Console(stderr=True)
    show_progress = not args.quiet and not args.json and err.is_terminal
    if show_progress:
        from wiretrace.summary import progress_bar

        with progress_bar(err) as update:
            report = scan(args.inputs, config, progress=update)
    else:
        report = scan(args.inputs, config)
    try:
        paths = report.write(out_dir, html=args.html)
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {out_dir}: {exc}") from None
    if args.json:
        print(json.dumps(summary_dict(report, paths), indent=2, ensure_ascii=False))
    elif not args.quiet:
        print_summary(report, paths, Console(), show=args.show)
    return EXIT_SKIPPED if report.skipped else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
