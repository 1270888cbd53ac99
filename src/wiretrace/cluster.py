"""The cluster stage: connected components of the verified-pair graph."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["connected_components"]


def connected_components(n: int, edges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Groups of at least two nodes joined by edges, deterministic order.

    Union-find with path halving; each component is sorted, and components
    are ordered by size (largest first), then by their smallest node.

    Example:
        >>> connected_components(6, [(0, 2), (4, 5), (2, 3)])
        [[0, 2, 3], [4, 5]]
    """
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            # The smaller index becomes the root, so roots do not depend on
            # the order edges arrive in.
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
