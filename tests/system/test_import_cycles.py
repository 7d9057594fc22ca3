"""No import cycle anywhere in tmdesk/, module by module, including a module that
imports a name from its own package's ``__init__`` while that ``__init__`` imports
it (which import-linter's acyclic_siblings contract does not see). Function-local
imports count: they are imports all the same, and hiding a cycle in one is what
this test is here to stop."""

from __future__ import annotations

import grimp


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other in a ring (Tarjan), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(groups, key=len, reverse=True)


def test_strongly_connected_finds_a_ring() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_tmdesk() -> None:
    graph = grimp.build_graph("tmdesk", cache_dir=None, exclude_type_checking_imports=True)
    edges = {
        m: {i for i in graph.find_modules_directly_imported_by(m) if i.startswith("tmdesk")}
        for m in graph.modules
    }
    rings = strongly_connected(edges)
    assert not rings, "import cycles (break each at one edge):\n" + "\n".join(
        " <-> ".join(ring) for ring in rings
    )
