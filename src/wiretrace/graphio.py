"""The provenance graph's GraphML, GEXF and node-link JSON files, written as streams.

Rule: a graph file is written a few thousand nodes or edges at a time, never
built whole in memory first (networkx's ``write_gexf`` builds the document's
whole element tree, and ``node_link_data`` + ``json.dumps`` the whole text:
at 100,000 documents 177 and 110 MB of Python objects, in the process that
writes them; its ``write_graphml`` streams, but makes an lxml element for
every node, edge and value). What a reader gets is what networkx writes:
``nx.read_graphml`` of :func:`write_graphml`'s file and ``nx.read_gexf`` of
:func:`write_gexf`'s equal networkx's readers of networkx's own files, and
``json.load`` of :func:`write_node_link`'s file equals
``nx.node_link_data(graph, edges="edges")`` (``tests/test_graphio.py``). One
difference on purpose: no ``lastmodifieddate`` in GEXF, so the same scan
writes the same file on any day.

Node ids and string values must already be XML-safe
(:func:`wiretrace.trace.xml_safe_graph`, or read through
:class:`wiretrace.trace.XmlSafeView`); every value is escaped here.

A graph can also be written out as a stream of pickled chunks
(:func:`dump_graph`) and read back by :class:`DumpedGraph`, which gives
these writers what they read of a networkx graph a chunk at a time: for
a process that writes the files without ever holding the whole graph.
"""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, Any

import networkx as nx

__all__ = ["DumpedGraph", "dump_graph", "write_graphml", "write_gexf", "write_node_link"]

#: Nodes or edges per write.
_ITEMS_PER_WRITE = 2000

# GEXF attribute types of Python values, as networkx names them.
_GEXF_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                    "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"})


def _attr(value: Any) -> str:
    # most values need no escape: a regular expression finds that ~5x faster than
    # translate takes to copy them (600,000 URLs, titles and figures: 0.12 against
    # 0.6 s, ad hoc), and the graph's files escape every value of every node and edge
    text = str(value)
    return text.translate(_ATTRIBUTE_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


_NEEDS_ESCAPE = re.compile("[&<>\"\r\n\t]")  # the keys of _ATTRIBUTE_ESCAPES (a test pins the two)


def _gexf_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if isinstance(value, float):
        text = {"inf": "INF", "-inf": "-INF", "nan": "NaN"}.get(text, text)
    return _attr(text)


def _declare(items: Iterable[dict[str, Any]], skip: frozenset[str], first: int = 0) -> dict[str, tuple[str, str]]:
    """Attribute name -> (id, GEXF type), typed by the first value seen; ids
    from ``first`` on (node and edge attributes are numbered apart, as networkx does)."""
    found: dict[str, tuple[str, str]] = {}
    for data in items:
        for key, value in data.items():
            if key in skip or key in found or value is None:
                continue
            kind = _GEXF_TYPES.get(type(value))
            if kind is None:
                raise TypeError(f"graph attribute {key!r}: a {type(value).__name__} cannot be written to GEXF")
            found[key] = (str(first + len(found)), kind)
    return found


def _in_writes(write: Callable[[bytes], Any], parts: Iterable[str]) -> None:
    buffer: list[str] = []
    for part in parts:
        buffer.append(part)
        if len(buffer) >= _ITEMS_PER_WRITE:
            write("".join(buffer).encode("utf-8"))
            buffer = []
    if buffer:
        write("".join(buffer).encode("utf-8"))


def _attvalues(data: dict[str, Any], declared: dict[str, tuple[str, str]], indent: str) -> str:
    values = [f'{indent}  <attvalue for="{declared[k][0]}" value="{_gexf_value(v)}" />\n'
              for k, v in data.items() if k in declared and v is not None]
    return f"{indent}<attvalues>\n{''.join(values)}{indent}</attvalues>\n" if values else ""


# GraphML's types of Python values, as networkx's writer names them (bool before int: a bool is an int)
_GRAPHML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def write_graphml(graph: nx.DiGraph, handle: IO[bytes]) -> None:
    """``graph`` as GraphML, streamed into ``handle`` (module doc); a graph
    this writer does not cover (a multigraph, default values, values other
    than str, int, float and bool) goes to networkx's writer.

    Example:
        >>> import io
        >>> g = nx.DiGraph()
        >>> g.add_edge("a", "b", kind="copy")
        >>> out = io.BytesIO()
        >>> write_graphml(g, out)
        >>> sorted(nx.read_graphml(io.BytesIO(out.getvalue())).edges(data="kind"))
        [('a', 'b', 'copy')]
    """
    keys: dict[tuple[str, str, str], str] = {}  # (name, type, scope) -> id, numbered as networkx numbers them

    def declared(data: dict[Any, Any], scope: str) -> bool:
        """Keys for ``data``'s values; False on a value of a type this writer does not cover."""
        for k, v in data.items():
            kind = _GRAPHML_TYPES.get(type(v))
            if kind is None:
                return False
            keys.setdefault((str(k), kind, scope), f"d{len(keys)}")
        return True

    graph_data = {k: v for k, v in graph.graph.items() if k != "id"}
    if (graph.is_multigraph() or {"node_default", "edge_default"} & set(graph.graph)
            or not declared(graph_data, "graph")
            or not all(declared(data, "node") for _, data in graph.nodes(data=True))
            or not all(declared(data, "edge") for _, _, data in graph.edges(data=True))):
        nx.write_graphml(graph if isinstance(graph, nx.Graph) else graph.to_networkx(), handle)
        return

    def data_of(data: dict[Any, Any], scope: str) -> str:
        return "".join(f'<data key="{keys[(str(k), _GRAPHML_TYPES[type(v)], scope)]}">'
                       f"{str(v).translate(_TEXT_ESCAPES)}</data>" for k, v in data.items())

    def parts() -> Iterable[str]:
        yield ("<?xml version='1.0' encoding='utf-8'?>\n"
               '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
               'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation='
               '"http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
        for (name, kind, scope), number in keys.items():
            yield f'<key id="{number}" for="{scope}" attr.name="{_attr(name)}" attr.type="{kind}"/>\n'
        graph_id = f' id="{_attr(graph.graph["id"])}"' if "id" in graph.graph else ""
        yield (f'<graph edgedefault="{"directed" if graph.is_directed() else "undirected"}"{graph_id}>\n'
               f"{data_of(graph_data, 'graph')}\n")
        for node, data in graph.nodes(data=True):
            yield f'<node id="{_attr(node)}">{data_of(data, "node")}</node>\n'
        for source, target, data in graph.edges(data=True):
            yield f'<edge source="{_attr(source)}" target="{_attr(target)}">{data_of(data, "edge")}</edge>\n'
        yield "</graph>\n</graphml>\n"

    _in_writes(handle.write, parts())


def write_gexf(graph: nx.DiGraph, handle: IO[bytes]) -> None:
    """``graph`` as GEXF 1.2 (Gephi), streamed into ``handle`` (module doc).

    Example:
        >>> import io
        >>> g = nx.DiGraph()
        >>> g.add_edge("a", "b", kind="copy")
        >>> out = io.BytesIO()
        >>> write_gexf(g, out)
        >>> sorted(nx.read_gexf(io.BytesIO(out.getvalue())).edges(data="kind"))
        [('a', 'b', 'copy')]
    """
    node_attrs = _declare((d for _, d in graph.nodes(data=True)), frozenset({"label"}))
    edge_attrs = _declare((d for _, _, d in graph.edges(data=True)), frozenset({"id", "label", "weight"}),
                          len(node_attrs))
    kind = "directed" if graph.is_directed() else "undirected"

    def declarations(klass: str, declared: dict[str, tuple[str, str]]) -> str:
        if not declared:
            return ""
        rows = "".join(f'      <attribute id="{i}" title="{_attr(k)}" type="{t}" />\n'
                       for k, (i, t) in declared.items())
        return f'    <attributes mode="static" class="{klass}">\n{rows}    </attributes>\n'

    def parts() -> Iterable[str]:
        yield ("<?xml version='1.0' encoding='utf-8'?>\n"
               '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
               'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n'
               f"  <meta>\n    <creator>wiretrace (networkx {nx.__version__} format)</creator>\n  </meta>\n"
               f'  <graph defaultedgetype="{kind}" mode="static" name="{_attr(graph.graph.get("name", ""))}">\n')
        yield declarations("node", node_attrs)
        yield declarations("edge", edge_attrs)
        yield "    <nodes>\n"
        for node, data in graph.nodes(data=True):
            label = data.get("label", node)
            body = _attvalues(data, node_attrs, "        ")
            opening = f'      <node id="{_attr(node)}" label="{_attr(label)}"'
            yield f"{opening}>\n{body}      </node>\n" if body else f"{opening} />\n"
        yield "    </nodes>\n    <edges>\n"
        for number, (source, target, data) in enumerate(graph.edges(data=True)):
            extra = "".join(f' {key}="{_attr(data[key])}"' for key in ("label", "weight") if data.get(key) is not None)
            body = _attvalues(data, edge_attrs, "        ")
            opening = (f'      <edge source="{_attr(source)}" target="{_attr(target)}" '
                       f'id="{_attr(data.get("id", number))}"{extra}')
            yield f"{opening}>\n{body}      </edge>\n" if body else f"{opening} />\n"
        yield "    </edges>\n  </graph>\n</gexf>\n"

    _in_writes(handle.write, parts())


def write_node_link(graph: nx.DiGraph, handle: IO[bytes], clean: Callable[[str], str] = str) -> None:
    """``nx.node_link_data(graph, edges="edges")`` as JSON, streamed into
    ``handle``: one node or edge per line. ``clean``: applied to the text of
    each line (the outputs' scalar-text rule, :func:`wiretrace.outputs.scalar_text`).

    Example:
        >>> import io
        >>> g = nx.DiGraph()
        >>> g.add_edge("a", "b", kind="copy")
        >>> out = io.BytesIO()
        >>> write_node_link(g, out)
        >>> json.loads(out.getvalue()) == nx.node_link_data(g, edges="edges")
        True
    """
    def dumps(value: Any) -> str:
        return clean(json.dumps(value, ensure_ascii=False, allow_nan=False))

    def parts() -> Iterable[str]:
        yield (f'{{\n "directed": {dumps(graph.is_directed())},\n "multigraph": {dumps(graph.is_multigraph())},\n'
               f' "graph": {dumps(graph.graph)},\n "nodes": [')
        for number, (node, data) in enumerate(graph.nodes(data=True)):
            yield ("\n  " if number == 0 else ",\n  ") + dumps({**data, "id": node})
        yield "\n ],\n \"edges\": ["
        for number, (source, target, data) in enumerate(graph.edges(data=True)):
            yield ("\n  " if number == 0 else ",\n  ") + dumps({**data, "source": source, "target": target})
        yield "\n ]\n}\n"

    _in_writes(handle.write, parts())


#: Nodes or edges per pickled chunk of :func:`dump_graph`.
_ITEMS_PER_CHUNK = 5000


def dump_graph(graph: nx.DiGraph, handle: IO[bytes]) -> None:
    """``graph`` (a ``DiGraph``) written into ``handle`` as pickles: its
    attributes, then its nodes and its edges in networkx's order,
    :data:`_ITEMS_PER_CHUNK` at a time (each chunk pickled alone, so that
    nothing holds them all). Read back by :class:`DumpedGraph`."""
    if type(graph) is not nx.DiGraph:
        raise TypeError(f"dump_graph writes a networkx DiGraph, not a {type(graph).__name__}")
    protocol = pickle.HIGHEST_PROTOCOL
    pickle.dump(dict(graph.graph), handle, protocol)
    for kind, items in (("nodes", graph.nodes(data=True)), ("edges", graph.edges(data=True))):
        iterator = iter(items)
        while chunk := list(islice(iterator, _ITEMS_PER_CHUNK)):
            pickle.dump((kind, chunk), handle, protocol)


class DumpedGraph:
    """A graph :func:`dump_graph` wrote into ``handle`` (seekable, binary),
    read back a chunk at a time each time its nodes or edges are asked
    for: what this module's writers and
    :func:`wiretrace.trace.xml_safe_graph` read of a networkx ``DiGraph``
    (``graph``, ``is_directed``, ``is_multigraph``, ``nodes()``,
    ``edges()``), never the whole graph in memory. One reader at a time:
    a new ``nodes()`` or ``edges()`` moves the handle. The file is
    unpickled: it must be one :func:`dump_graph` wrote (``Report.write``'s
    has no name and is read only by the process it starts).

    Example:
        >>> import io
        >>> g = nx.DiGraph(name="g")
        >>> g.add_edge("a", "b", kind="copy")
        >>> out = io.BytesIO()
        >>> dump_graph(g, out)
        >>> back = DumpedGraph(out)
        >>> back.graph, list(back.nodes()), list(back.edges(data=True))
        ({'name': 'g'}, ['a', 'b'], [('a', 'b', {'kind': 'copy'})])
    """

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        handle.seek(0)
        self.graph: dict[str, Any] = pickle.load(handle)
        self._start = handle.tell()
        self._edges_at: int | None = None

    def is_directed(self) -> bool:
        return True

    def is_multigraph(self) -> bool:
        return False

    def nodes(self, data: bool = False) -> Iterator[Any]:
        """The nodes, or with ``data`` (node, attributes) pairs, in the graph's order."""
        return (item if data else item[0] for item in self._items("nodes"))

    def edges(self, data: bool = False) -> Iterator[Any]:
        """The edges, or with ``data`` (source, target, attributes), in the graph's order."""
        return (item if data else item[:2] for item in self._items("edges"))

    def _items(self, kind: str) -> Iterator[Any]:
        handle = self._handle
        # the edges come after the nodes: where they start is kept once seen, so that
        # a pass over the edges does not read the nodes again
        handle.seek(self._edges_at if kind == "edges" and self._edges_at is not None else self._start)
        while True:
            at = handle.tell()
            try:
                got, chunk = pickle.load(handle)
            except EOFError:
                if self._edges_at is None:
                    self._edges_at = at
                return
            if got == "edges" and self._edges_at is None:
                self._edges_at = at
            if got == kind:
                yield from chunk
            elif kind == "nodes":  # the edges' chunks need not be read
                return

    def to_networkx(self) -> nx.DiGraph:
        """The whole graph, in memory (for networkx's own writers)."""
        graph = nx.DiGraph(**self.graph)
        graph.add_nodes_from(self.nodes(data=True))
        graph.add_edges_from(self.edges(data=True))
        return graph
