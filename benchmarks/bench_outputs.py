"""Writing the outputs: each file of a scan's report timed alone, and report.json streamed against one string.

Usage::

    .venv/bin/python benchmarks/bench_outputs.py [--docs N] [--repeat R] [--json OUT]

Scans the synthetic corpus of ``bench_throughput.py`` (:mod:`wiretrace.evaluation.synthetic`)
once, then times, in this process, each writer of ``Report.write``: report.json as written
(:func:`wiretrace.report.write_report_json`, a stream of one line per item) and as one
``json.dumps(indent=2)`` string (how it was written before), pairs.csv, the provenance
graph's GraphML, GEXF and node-link JSON (each streamed, as written now by
:mod:`wiretrace.graphio`, and by networkx, as before), report.html -- and ``Report.write``
whole (the graph's files in a forked process beside the rest). Medians of ``R`` runs. For
report.json and the three graph files written both ways it also records the peak of Python's
allocations (``tracemalloc``, in a separate run, since tracing slows allocation), and
report.json's file sizes. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _context  # noqa: E402

from wiretrace import scan  # noqa: E402
from wiretrace.evaluation.synthetic import generate_corpus, write_jsonl  # noqa: E402
from wiretrace.graphio import write_gexf, write_graphml, write_node_link  # noqa: E402
from wiretrace.html import render_html  # noqa: E402
from wiretrace.outputs import scalar_text  # noqa: E402
from wiretrace.report import _write_pairs_csv, write_report_json  # noqa: E402
from wiretrace.trace import xml_safe_graph  # noqa: E402


def _median_seconds(work: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 2)


def _peak_mb(work: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        work()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wiretrace-outputs-") as tmp:
        folder = Path(tmp)
        corpus = folder / "corpus.jsonl"
        write_jsonl(generate_corpus(args.docs, seed=args.seed), corpus)
        report = scan([str(corpus)])
        data = report.to_dict()
        streamed, whole = folder / "streamed.json", folder / "whole.json"

        def json_streamed() -> None:
            with open(streamed, "wb") as handle:
                write_report_json(lambda text: handle.write(scalar_text(text).encode("utf-8")), data)

        def json_whole() -> None:
            text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
            streamed.with_name("whole.json").write_bytes((scalar_text(text) + "\n").encode("utf-8"))

        def pairs_csv() -> None:
            with open(folder / "pairs.csv", "wb") as handle:
                _write_pairs_csv(handle, report.pairs, report.documents)

        graph = report.graph

        def graphml_streamed() -> None:
            with open(folder / "s.graphml", "wb") as handle:
                write_graphml(xml_safe_graph(graph), handle)

        def graphml_networkx() -> None:
            nx.write_graphml(xml_safe_graph(graph), folder / "g.graphml")

        def gexf_streamed() -> None:
            with open(folder / "s.gexf", "wb") as handle:
                write_gexf(xml_safe_graph(graph), handle)

        def node_link_streamed() -> None:
            with open(folder / "s.json", "wb") as handle:
                write_node_link(graph, handle, scalar_text)

        def gexf_networkx() -> None:
            nx.write_gexf(xml_safe_graph(graph), folder / "g.gexf")

        def node_link_networkx() -> None:
            (folder / "g.json").write_text(json.dumps(nx.node_link_data(graph, edges="edges"), indent=1,
                                                      ensure_ascii=False), encoding="utf-8")

        outputs = {
            "report.json, streamed": json_streamed,
            "report.json, one json.dumps string": json_whole,
            "pairs.csv": pairs_csv,
            "provenance.graphml, streamed (wiretrace.graphio)": graphml_streamed,
            "provenance.graphml, networkx write_graphml": graphml_networkx,
            "provenance.gexf, streamed (wiretrace.graphio)": gexf_streamed,
            "provenance.gexf, networkx write_gexf": gexf_networkx,
            "provenance.json, streamed (wiretrace.graphio)": node_link_streamed,
            "provenance.json, networkx node_link_data + json.dumps": node_link_networkx,
            "report.html": lambda: render_html(data),
            "Report.write, all files": lambda: report.write(folder / "out"),
        }
        results: dict[str, Any] = {
            "machine": _context.machine_info(), "documents": len(report.documents),
            "clusters": len(report.clusters), "graph": [graph.number_of_nodes(), graph.number_of_edges()],
            "seconds": {name: _median_seconds(work, args.repeat) for name, work in outputs.items()},
            "report_json_peak_python_mb": {"streamed": _peak_mb(json_streamed), "one string": _peak_mb(json_whole)},
            "graph_files_peak_python_mb": {"graphml, streamed": _peak_mb(graphml_streamed),
                                           "graphml, networkx": _peak_mb(graphml_networkx),
                                           "gexf, streamed": _peak_mb(gexf_streamed),
                                           "gexf, networkx": _peak_mb(gexf_networkx),
                                           "node-link json, streamed": _peak_mb(node_link_streamed),
                                           "node-link json, networkx": _peak_mb(node_link_networkx)},
            "report_json_mb": {"streamed": round(streamed.stat().st_size / 2**20, 1),
                               "one string": round(whole.stat().st_size / 2**20, 1)},
        }
    print(f"{results['documents']:,} documents, {results['clusters']:,} clusters, graph "
          f"{results['graph'][0]:,} nodes / {results['graph'][1]:,} edges; medians of {args.repeat}")
    for name, seconds in results["seconds"].items():
        print(f"  {name:<56} {seconds:7.2f} s")
    print(f"  report.json peak Python allocations: {results['report_json_peak_python_mb']}")
    print(f"  report.json size (MB): {results['report_json_mb']}")
    print(f"  graph files peak Python allocations (MB): {results['graph_files_peak_python_mb']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
