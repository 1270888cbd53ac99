"""The streamed graph files (wiretrace.graphio) read back as networkx's own:
GraphML through ``nx.read_graphml``, GEXF through ``nx.read_gexf``, node-link
JSON through ``json.load``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.graphio import write_gexf, write_graphml, write_node_link
from wiretrace.outputs import scalar_text
from wiretrace.trace import xml_safe_graph

from conftest import hostile_records

DEMO = Path(__file__).resolve().parents[1] / "data" / "corpus"


def _gexf_both(graph: nx.DiGraph) -> tuple[nx.DiGraph, nx.DiGraph, bytes]:
    ours, theirs = io.BytesIO(), io.BytesIO()
    write_gexf(graph, ours)
    nx.write_gexf(graph, theirs)
    return nx.read_gexf(io.BytesIO(ours.getvalue())), nx.read_gexf(io.BytesIO(theirs.getvalue())), ours.getvalue()


def _graphml_both(graph: nx.DiGraph) -> tuple[nx.DiGraph, nx.DiGraph, bytes]:
    ours, theirs = io.BytesIO(), io.BytesIO()
    write_graphml(graph, ours)
    nx.write_graphml(graph.copy(), theirs)  # networkx's writer pops the graph's "id"
    return nx.read_graphml(io.BytesIO(ours.getvalue())), nx.read_graphml(io.BytesIO(theirs.getvalue())), ours.getvalue()


def _assert_same_graph(a: nx.DiGraph, b: nx.DiGraph) -> None:
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert sorted((u, v, sorted(d.items())) for u, v, d in a.edges(data=True)) == \
        sorted((u, v, sorted(d.items())) for u, v, d in b.edges(data=True))
    assert a.is_directed() == b.is_directed()
    assert a.graph == b.graph


def _node_link(graph: nx.DiGraph) -> dict:
    out = io.BytesIO()
    write_node_link(graph, out, scalar_text)
    return json.loads(out.getvalue().decode("utf-8"))


@pytest.fixture(scope="module")
def report_graphs():
    from wiretrace.evaluation.simulate import simulate

    from test_simulate import _invented_articles

    records = simulate(_invented_articles(40, seed=61), n_stories=24, seed=5).records
    return [scan([DEMO], workers=1).graph, scan(records, workers=1).graph, scan(hostile_records(), workers=1).graph]


def test_the_reports_graphs_read_back_as_networkx_writes_them(report_graphs):
    for graph in report_graphs:
        assert graph.number_of_edges() > 0
        safe = xml_safe_graph(graph)
        ours, theirs, raw = _gexf_both(safe)
        _assert_same_graph(ours, theirs)
        assert b"lastmodifieddate" not in raw  # the same bytes on any day
        again = io.BytesIO()
        write_gexf(safe, again)
        assert again.getvalue() == raw
        safe.graph["run_id"] = "run <1> & \"2\""  # as write_graph sets it
        ours, theirs, _ = _graphml_both(safe)
        _assert_same_graph(ours, theirs)
        assert ours.number_of_edges() == graph.number_of_edges() and ours.graph["run_id"] == safe.graph["run_id"]
        assert _node_link(graph) == nx.node_link_data(graph, edges="edges")


_xml_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("&<>\"'\n\t\r"),
                    max_size=12)
_values = _xml_text | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False, width=32)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_xml_text.filter(bool), st.dictionaries(st.sampled_from(["kind", "site", "n", "x"]), _values)),
                max_size=12, unique_by=lambda t: t[0]),
       st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11),
                          st.dictionaries(st.sampled_from(["kind", "basis", "w"]), _values)), max_size=20))
def test_random_graphs_read_back_as_networkx_writes_them(nodes, edges):
    graph = nx.DiGraph()
    # one type per attribute name, as the report's graphs have (GEXF declares one type per name)
    def typed(data: dict) -> dict:
        return {k: (len(str(v)) if k in ("n", "w") else v if k == "x" and isinstance(v, bool) else str(v))
                for k, v in data.items() if k != "x" or isinstance(v, bool)}
    for name, data in nodes:
        graph.add_node(name, **typed(data))
    names = [n for n, _ in nodes]
    for a, b, data in edges:
        if a < len(names) and b < len(names):
            graph.add_edge(names[a], names[b], **typed(data))
    safe = xml_safe_graph(graph)
    ours, theirs, _ = _gexf_both(safe)
    _assert_same_graph(ours, theirs)
    assert _node_link(graph) == json.loads(json.dumps(nx.node_link_data(graph, edges="edges")))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_xml_text.filter(bool), st.dictionaries(st.sampled_from(["kind", "site", "n", "x"]), _values)),
                max_size=12, unique_by=lambda t: t[0]),
       st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11),
                          st.dictionaries(st.sampled_from(["kind", "basis", "w"]), _values)), max_size=20),
       st.dictionaries(st.sampled_from(["run_id", "id", "n"]), _values, max_size=3))
def test_random_graphs_read_back_from_graphml_as_networkx_writes_them(nodes, edges, attributes):
    """GraphML declares a key per name and type, so values of one name may be of several types."""
    if "id" in attributes:  # the graph element's id attribute: networkx writes only a text
        attributes["id"] = str(attributes["id"])
    graph = nx.DiGraph(**attributes)
    for name, data in nodes:
        graph.add_node(name, **data)
    names = [n for n, _ in nodes]
    for a, b, data in edges:
        if a < len(names) and b < len(names):
            graph.add_edge(names[a], names[b], **data)
    safe = xml_safe_graph(graph)
    ours, theirs, _ = _graphml_both(safe)
    _assert_same_graph(ours, theirs)


def test_a_lone_surrogate_in_a_title_still_makes_valid_utf8_json_and_xml():
    graph = nx.DiGraph()
    graph.add_node("doc:a", label="bad \ud800 title", kind="document")
    graph.add_edge("doc:a", "doc:b", kind="copy")
    data = _node_link(graph)
    assert data["nodes"][0]["label"] == "bad \ufffd title"
    ours, theirs, _ = _gexf_both(xml_safe_graph(graph))
    _assert_same_graph(ours, theirs)
    ours, theirs, _ = _graphml_both(xml_safe_graph(graph))
    _assert_same_graph(ours, theirs)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(st.sampled_from(list('ab &<>"\r\n\t\'é')))), st.integers(), st.floats())
def test_an_attribute_is_escaped_as_the_plain_translation_escapes_it(text, number, real):
    """graphio._attr's fast path (a search first) against the plain rule, and
    the characters the search finds are exactly those the rule replaces."""
    from wiretrace.graphio import _ATTRIBUTE_ESCAPES, _NEEDS_ESCAPE, _attr

    for value in (text, number, real):
        assert _attr(value) == str(value).translate(_ATTRIBUTE_ESCAPES)
    assert {c for c in map(chr, range(0x3000)) if _NEEDS_ESCAPE.search(c)} == set(map(chr, _ATTRIBUTE_ESCAPES))


class _Files:
    """What write_graph writes into, in memory: name -> bytes."""

    def __init__(self) -> None:
        self.written: dict[str, bytes] = {}

    from contextlib import contextmanager

    @contextmanager
    def open(self, name):
        out = io.BytesIO()
        yield out
        self.written[name] = out.getvalue()


def _written(graph, run_id="r1"):
    from wiretrace.trace import write_graph

    files = _Files()
    try:
        write_graph(graph, files, run_id=run_id)
    except Exception as exc:  # noqa: BLE001 -- the two ways must fail alike
        return type(exc).__name__
    return files.written


# text XML cannot hold (controls, a lone surrogate, U+FFFF) beside text it can: ids that
# clash once cleaned ("a\x00", "a\x0b") are told apart by xml_safe_graph
_any_text = st.text(st.sampled_from(list("ab é&<#2\x00\x0b\ud800\uffff")), max_size=4)


def _graph_of(nodes, edges, **attributes) -> nx.DiGraph:
    """A graph of drawn nodes (id, attributes) and edges (two positions taken
    modulo the nodes, attributes)."""
    graph = nx.DiGraph(**attributes)
    for name, data in nodes:
        graph.add_node(name, **data)
    names = [n for n, _ in nodes]
    for a, b, data in edges:
        if names:
            graph.add_edge(names[a % len(names)], names[b % len(names)], **data)
    return graph


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_any_text, st.dictionaries(st.sampled_from(["kind", "label", "n"]),
                                                     _any_text | st.integers(-9, 9) | st.booleans())),
                max_size=14, unique_by=lambda t: t[0]),
       st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13),
                          st.dictionaries(st.sampled_from(["kind", "weight", "id"]),
                                          _any_text | st.floats(width=32, allow_nan=False))),
                max_size=24),
       st.integers(1, 5))
def test_a_dumped_graph_read_back_a_chunk_at_a_time_writes_the_same_files(nodes, edges, chunk):
    # what the process that writes the graph's files reads (Report.write): the same bytes
    # as the graph itself gives, unclean text included (renamed ids; "a#2" clean ids among them)
    import wiretrace.graphio as graphio

    graph = _graph_of(nodes, edges, name="g")
    was, graphio._ITEMS_PER_CHUNK = graphio._ITEMS_PER_CHUNK, chunk  # several chunks of nodes and of edges
    try:
        dumped = io.BytesIO()
        graphio.dump_graph(graph, dumped)
    finally:
        graphio._ITEMS_PER_CHUNK = was
    back = graphio.DumpedGraph(dumped)
    assert list(back.nodes(data=True)) == list(graph.nodes(data=True))
    assert list(back.edges(data=True)) == list(graph.edges(data=True))
    assert _written(back) == _written(graph)


def test_a_dumped_graph_networkx_writes_writes_the_same_graphml():
    import wiretrace.graphio as graphio

    graph = nx.DiGraph(node_default={"kind": "page"})  # defaults: networkx's own writer takes it
    graph.add_edge("a", "b", kind="copy")
    dumped = io.BytesIO()
    graphio.dump_graph(graph, dumped)
    ours, theirs = io.BytesIO(), io.BytesIO()
    graphio.write_graphml(graphio.DumpedGraph(dumped), ours)
    graphio.write_graphml(graph, theirs)
    assert ours.getvalue() == theirs.getvalue()
    assert b'\n  <data key="d0">copy</data>\n' in ours.getvalue()  # networkx's layout, not this module's


# ids that clash once cleaned, and clean ids that look like the names given to them ("a\ufffd#2")
_clashing_ids = st.builds(lambda base, bad, suffix: base + bad + suffix, st.sampled_from(["a", "b", ""]),
                          st.sampled_from(["", "\x00", "\x0b", "\ufffd"]), st.sampled_from(["", "#2", "#3"]))


def _plain_xml_safe_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """The reference: xml_safe_graph as it was written before XmlSafeView, a copy made whole."""
    from wiretrace.outputs import xml_text

    def clean(attrs: dict) -> dict:
        return {xml_text(str(k)): xml_text(v) if isinstance(v, str) else v for k, v in attrs.items()}

    names = {node: node for node in graph.nodes() if xml_text(str(node)) == node}
    used = set(names)
    for node in graph.nodes():
        if node not in names:
            base = name = xml_text(str(node))
            n = 1
            while name in used:
                n += 1
                name = f"{base}#{n}"
            names[node] = name
            used.add(name)
    safe = nx.DiGraph(**clean(graph.graph))
    for node, attrs in graph.nodes(data=True):
        safe.add_node(names[node], **clean(attrs))
    for a, b, attrs in graph.edges(data=True):
        safe.add_edge(names[a], names[b], **clean(attrs))
    return safe


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_clashing_ids | _any_text, st.dictionaries(st.sampled_from(["kind", "l\x00", "l\x0b"]),
                                                                     _any_text)),
                max_size=14, unique_by=lambda t: t[0]),
       st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13), st.dictionaries(st.sampled_from(["kind"]), _any_text)),
                max_size=24))
@example(nodes=[("a\x00", {}), ("a\ufffd", {}), ("a\ufffd#2", {})], edges=[(0, 2, {})])  # -> "a\ufffd#3"
def test_the_xml_safe_view_reads_as_the_plain_xml_safe_copy(nodes, edges):
    from wiretrace.trace import XmlSafeView

    graph = _graph_of(nodes, edges, name="g\x00")
    copy, view = _plain_xml_safe_graph(graph), XmlSafeView(graph)
    assert view.graph == copy.graph
    assert list(view.nodes(data=True)) == list(copy.nodes(data=True))
    assert list(view.edges(data=True)) == list(copy.edges(data=True))
    assert list(view.nodes()) == list(copy.nodes()) and list(view.edges()) == list(copy.edges())
    copied = xml_safe_graph(graph)  # the copy the view makes
    assert list(copied.nodes(data=True)) == list(copy.nodes(data=True))
    assert list(copied.edges(data=True)) == list(copy.edges(data=True)) and copied.graph == copy.graph
