"""The cluster stage's components (wiretrace.cluster): the vectorised
min-label propagation is pinned to a plain union-find."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.cluster import component_labels, connected_components, union_find_components


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80))))
def test_components_equal_union_find_for_any_graph_and_edge_order(case):
    n, edges = case
    assert connected_components(n, edges) == union_find_components(n, edges)
    assert connected_components(n, list(reversed(edges))) == union_find_components(n, edges)


def test_every_node_is_labelled_with_its_components_smallest_node():
    # a long path given from its far end: many rounds of hooking and jumping
    n = 2000
    a = np.arange(n - 1, 0, -1)
    label = component_labels(n + 3, a, a - 1)
    assert label[:n].tolist() == [0] * n
    assert label[n:].tolist() == [n, n + 1, n + 2]  # nodes without edges keep their own label


def test_no_edges_no_components():
    assert connected_components(5, []) == []
    assert connected_components(0, []) == []
