"""The package's shape, checked: no import cycles, no upward imports between floors, every module importable alone.

A cycle works or breaks depending on which module happens to be imported first (the issue's
`compare` ↔ `compare_gates` bug imported only after the CLI had loaded `compare`), and an upward
import turns a library layer into a part of the tool above it. Both are read here from the source
with `ast`, so a new cycle fails before anybody meets it at runtime.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "gosupr"

# Floors, lowest first. A module may import from its own floor or any floor below, never from above.
# The base modules are the package's own tools that everything else stands on.
FLOORS: list[tuple[int, tuple[str, ...]]] = [
    (0, ("errors", "_exit", "_hold", "_pm4py", "_version", "fileio", "docload", "workdays", "stages", "eventlog",
         "regulation", "durations")),
    (1, ("ingest", "bpmn", "synth", "engines")),
    (2, ("mining",)),
    (3, ("report",)),
    (4, ("pipeline", "tobe_log", "api")),
    (5, ("batch",)),
    (6, ("cli", "__main__")),
]
TOP = 7  # the package root, gosupr/__init__.py: the public API, free to import anything below it


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(module: str) -> int | None:
    """The floor of a module (by its first component below `gosupr`), or None if no floor names it."""
    if module == "gosupr":
        return TOP
    first = module.split(".")[1]
    return next((level for level, names in FLOORS if first in names), None)


def type_checking_nodes(tree: ast.AST) -> set[int]:
    """Ids of the nodes under `if TYPE_CHECKING:` (imports there never run, so they make no edge)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def imported(module: str, path: Path, tree: ast.AST, modules: set[str]) -> set[str]:
    """The package's modules that `module` imports when it runs, function-level imports included."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    skip = type_checking_nodes(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target != "gosupr" and not target.startswith("gosupr."):
                continue
            for alias in node.names:  # `from pkg import sub` imports the module pkg.sub; otherwise a name of pkg
                out.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in modules)
    out.discard(module)
    return {m for m in out if m in modules}


def import_graph() -> nx.DiGraph:
    files = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph.add_edges_from((module, target) for target in imported(module, path, tree, set(files)))
    return graph


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    return import_graph()


def test_the_walker_sees_the_package(graph: nx.DiGraph) -> None:
    """Guards the two tests below against passing on an empty or edgeless graph."""
    assert {"gosupr", "gosupr.cli", "gosupr.errors", "gosupr.mining.discover"} <= set(graph)
    assert graph.has_edge("gosupr.cli", "gosupr.errors")
    assert graph.number_of_edges() > graph.number_of_nodes()


def test_walker_reads_relative_function_level_and_type_checking_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "from ..c import d\n"
        "if TYPE_CHECKING:\n"
        "    from gosupr.pkg.e import Thing\n"
        "def f():\n"
        "    import gosupr.pkg.f\n"
    )
    modules = {"gosupr.pkg.a", "gosupr.pkg.b", "gosupr.c", "gosupr.c.d", "gosupr.pkg.e", "gosupr.pkg.f"}
    edges = imported("gosupr.pkg.a", PACKAGE / "pkg" / "a.py", ast.parse(source), modules)
    assert edges == {"gosupr.pkg.b", "gosupr.c.d", "gosupr.pkg.f"}


def test_every_module_has_a_floor(graph: nx.DiGraph) -> None:
    unplaced = sorted(m for m in graph if floor(m) is None)
    assert not unplaced, f"modules on no floor (add them to FLOORS in {Path(__file__).name}): {unplaced}"


def test_no_import_cycles(graph: nx.DiGraph) -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, "import cycles: " + "; ".join(" ↔ ".join(c) for c in cycles)


def test_no_upward_imports(graph: nx.DiGraph) -> None:
    level = {m: floor(m) for m in graph}
    upward = sorted(
        f"{a} (floor {level[a]}) -> {b} (floor {level[b]})"
        for a, b in graph.edges
        if level[a] is not None and level[b] is not None and level[a] < level[b]
    )
    assert not upward, "upward imports:\n" + "\n".join(upward)


def _import_alone(module: str) -> tuple[str, str | None]:
    """Import one module in a fresh interpreter; the last line of its error if it fails."""
    p = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False)
    if p.returncode == 0:
        return module, None
    lines = (p.stderr or p.stdout).strip().splitlines()
    return module, lines[-1] if lines else f"exit {p.returncode}"


@pytest.mark.slow
def test_every_module_imports_in_a_fresh_interpreter(graph: nx.DiGraph) -> None:
    """`python -c "import gosupr.x.y"` for each module alone: an import that works only after another
    module has loaded first (a hidden cycle, an order dependence) fails here with the module named."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_import_alone, sorted(graph)))
    failed = [f"{m}: {why}" for m, why in results if why is not None]
    assert not failed, "modules that do not import alone:\n" + "\n".join(failed)
