"""The cluster stage: connected components of the verified-pair graph.

Clusters are stories. A *roundup* -- one page holding the top of several
stories -- contains a trimmed copy of each, and its contained pairs would
chain those stories into one cluster. So a document that *contains*
(is the larger side of contained pairs with) partners of two or more
stories that are apart without such pairs is a **hub**: its contained pairs
build no cluster (:func:`split_hubs`; they are passages of partial reuse,
:mod:`wiretrace.passages`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["connected_components", "component_labels", "union_find_components", "split_hubs"]


def connected_components(n: int, edges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Groups of at least two nodes joined by edges, deterministic order.

    Each component is sorted, and components are ordered by size (largest
    first), then by their smallest node. The labels come from
    :func:`component_labels` (order-free min-label propagation); a plain
    union-find, :func:`union_find_components`, is the reference it is
    pinned to by a property test.

    Example:
        >>> connected_components(6, [(0, 2), (4, 5), (2, 3)])
        [[0, 2, 3], [4, 5]]
    """
    return _groups(_edge_labels(n, edges))


def component_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each node's component label, the smallest node of its component, for
    the edges ``a[i]``-``b[i]``.

    Min-label propagation with pointer jumping: every edge hooks the larger
    of its two roots under the smaller, then every node jumps to its root;
    repeated until no edge joins two roots. Labels only fall, and a root
    only points at a smaller one, so there is no cycle, and the fixed point
    gives every node of a component its smallest node whatever the order of
    the edges. Whole-array steps (numpy), a few rounds on real graphs: the
    way a distributed executor takes components too.

    Example:
        >>> component_labels(6, np.array([0, 4, 2]), np.array([2, 5, 3])).tolist()
        [0, 1, 0, 0, 4, 4]
    """
    label = np.arange(n, dtype=np.int64)
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    while len(a):
        la, lb = label[a], label[b]
        apart = la != lb
        if not apart.any():
            break
        la, lb = la[apart], lb[apart]
        low = np.minimum(la, lb)
        np.minimum.at(label, np.maximum(la, lb), low)  # hook the larger root under the smaller
        while True:  # pointer jumping: every node to its root
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        a, b = a[apart], b[apart]  # edges inside one root already stay so
    return label


def _edge_labels(n: int, edges: Iterable[tuple[int, int]]) -> np.ndarray:
    """:func:`component_labels` of edges given as pairs."""
    pairs = np.fromiter((x for edge in edges for x in edge), dtype=np.int64)
    return component_labels(n, pairs[0::2], pairs[1::2])


def _groups(label: np.ndarray) -> list[list[int]]:
    """The components of two or more nodes of a label array, sorted as
    :func:`connected_components` returns them."""
    order = np.argsort(label, kind="stable")  # members of a component in node order
    ordered = label[order]
    starts = np.flatnonzero(np.diff(ordered, prepend=-1))
    sizes = np.diff(np.append(starts, len(ordered)))
    big = np.flatnonzero(sizes >= 2)
    # largest first, then by smallest node (the label): lexsort's last key is the primary one
    big = big[np.lexsort((ordered[starts[big]], -sizes[big]))]
    members = order.tolist()
    return [members[starts[g]: starts[g] + sizes[g]] for g in big.tolist()]


def union_find_components(n: int, edges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """The plain reference for :func:`connected_components`: union-find
    with path halving, the smaller root kept."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            if root_a < root_b:
                parent[root_b] = root_a
            else:
                parent[root_a] = root_b
    groups: dict[int, list[int]] = {}
    for node in range(n):
        groups.setdefault(find(node), []).append(node)
    components = [g for g in groups.values() if len(g) > 1]
    components.sort(key=lambda g: (-len(g), g[0]))
    return components


def split_hubs(n: int, verified: Sequence[Any], jaccard: float,
               shared: Sequence[tuple[int, int]] = ()) -> tuple[list[Any], list[Any]]:
    """The verified pairs that build clusters, and the contained pairs of hubs
    (module doc), each in the order of ``verified``.

    Duplicates (Jaccard at or above ``jaccard``) always build clusters. A
    contained pair's larger document is its container; a container whose
    contained partners fall in two or more components of the graph of the
    other pairs (duplicates, and the contained pairs of every document that
    is not itself such a candidate) -- components of two or more documents,
    stories already without it -- is a hub. ``shared`` pairs (rejected by
    verification but sharing a passage's worth of shingles) count too: a
    roundup holds a trimmed copy of one story and only the top of others.

    Example:
        >>> from wiretrace.verify import VerifiedPair
        >>> dup = VerifiedPair(0, 1, 90, 0.9, 0.95, 0.95, "lsh")      # one story: 0 and 1
        >>> dup2 = VerifiedPair(2, 3, 90, 0.9, 0.95, 0.95, "lsh")     # another: 2 and 3
        >>> a = VerifiedPair(1, 4, 30, 0.1, 0.9, 0.1, "anchors")      # 1 is inside roundup 4
        >>> b = VerifiedPair(3, 4, 30, 0.1, 0.9, 0.1, "anchors")      # and so is 3
        >>> story, hub = split_hubs(5, [dup, dup2, a, b], 0.5)
        >>> [(p.a, p.b) for p in story], [(p.a, p.b) for p in hub]
        ([(0, 1), (2, 3)], [(1, 4), (3, 4)])
    """
    containers: dict[int, list[Any]] = {}
    plain = []
    for p in verified:
        if p.jaccard >= jaccard:
            plain.append(p)
        else:
            larger = p.b if p.containment_a_in_b >= p.containment_b_in_a else p.a
            containers.setdefault(larger, []).append(p)

    sharing: dict[int, list[int]] = {}
    for a, b in shared:
        if a in containers:
            sharing.setdefault(a, []).append(b)
        if b in containers:
            sharing.setdefault(b, []).append(a)

    def spans_stories(edges: Iterable[Any], candidates: Iterable[int]) -> set[int]:
        label, size = _labels(n, ((p.a, p.b) for p in edges))
        out = set()
        for c in candidates:
            # partners that are a story already (a component of two or more
            # without this container): a single trimmed copy is just that
            partners = [p.a if p.b == c else p.b for p in containers[c]] + sharing.get(c, [])
            if len({label[x] for x in partners if size[label[x]] >= 2 and label[x] != label[c]}) >= 2:
                out.add(c)
        return out

    candidates = spans_stories(plain, containers)
    kept = plain + [p for c, pairs in containers.items() if c not in candidates for p in pairs]
    hubs = spans_stories(kept, candidates) if candidates else set()
    hub_pairs = {id(p) for c in hubs for p in containers[c]}
    return [p for p in verified if id(p) not in hub_pairs], [p for p in verified if id(p) in hub_pairs]


def _labels(n: int, edges: Iterable[tuple[int, int]]) -> tuple[list[int], dict[int, int]]:
    """Each node's component label (its smallest member), and each label's size."""
    label = _edge_labels(n, edges)
    values, counts = np.unique(label, return_counts=True)
    return label.tolist(), dict(zip(values.tolist(), counts.tolist()))
