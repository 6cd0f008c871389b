"""The shared kernel has no import cycle: each of its modules can be read, and imported, on its own terms.

The graph is read from the source with `ast`, so an import inside a function (often written to dodge a
cycle) is an edge like any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

KERNEL = Path(__file__).resolve().parents[2] / "services" / "kernel"
PACKAGE = "services.kernel"

# module -> {imported kernel module: line of the first such import}
Graph = dict[str, dict[str, int]]


def kernel_modules() -> set[str]:
    return {path.stem for path in KERNEL.glob("*.py") if path.stem != "__init__"}


def imported_kernel_modules(source: str, modules: set[str]) -> dict[str, int]:
    """The kernel modules one module's source imports, anywhere in it, with the line of each first import."""
    found: dict[str, int] = {}

    def add(name: str, line: int) -> None:
        if name in modules:
            found.setdefault(name, line)

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(f"{PACKAGE}."):
                    add(alias.name.split(".")[2], node.lineno)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:  # relative, within the kernel package
                module = f"{PACKAGE}.{module}" if module else PACKAGE
            if module == PACKAGE:  # from services.kernel import calendar
                for alias in node.names:
                    add(alias.name, node.lineno)
            elif module.startswith(f"{PACKAGE}."):
                add(module.split(".")[2], node.lineno)
    return found


def import_graph() -> Graph:
    modules = kernel_modules()
    return {
        module: imported_kernel_modules((KERNEL / f"{module}.py").read_text(encoding="utf-8"), modules)
        for module in sorted(modules)
    }


def find_cycles(graph: Graph) -> list[list[str]]:
    """Every elementary cycle reachable by depth-first search, each once, starting from its least module."""
    cycles: set[tuple[str, ...]] = set()

    def visit(module: str, path: list[str]) -> None:
        for imported in sorted(graph.get(module, {})):
            if imported in path:
                cycle = path[path.index(imported) :]
                start = cycle.index(min(cycle))
                cycles.add(tuple(cycle[start:] + cycle[:start]))
            elif imported > path[0]:  # each cycle is found from its least module
                visit(imported, [*path, imported])

    for module in sorted(graph):
        visit(module, [module])
    return [list(cycle) for cycle in sorted(cycles)]


def describe(cycle: list[str], graph: Graph) -> str:
    steps = zip(cycle, [*cycle[1:], cycle[0]], strict=True)
    return " -> ".join(f"{a} (services/kernel/{a}.py:{graph[a][b]} imports {b})" for a, b in steps)


def test_the_cycle_finder_names_a_cycle_through_an_import_inside_a_function() -> None:
    modules = {"a", "b", "c"}
    graph = {
        "a": imported_kernel_modules("from services.kernel.b import thing\n", modules),
        "b": imported_kernel_modules("def late():\n    from services.kernel import c\n", modules),
        "c": imported_kernel_modules("import services.kernel.a\nfrom .b import other\n", modules),
    }
    assert graph == {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 1, "b": 2}}
    assert find_cycles(graph) == [["a", "b", "c"], ["b", "c"]]


def test_the_kernel_has_no_import_cycle() -> None:
    graph = import_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles in services/kernel (move code so that no module needs the other):\n" + (
        "\n".join(describe(cycle, graph) for cycle in cycles)
    )
