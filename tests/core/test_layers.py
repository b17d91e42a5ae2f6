"""The import contract: the package's folders are layers, and imports only point down.

``core/`` holds the rules and imports nothing of the project; ``store/`` keeps data; ``packs/``
and ``board/`` read and check packs and points; ``drill/`` holds the use cases; ``live/`` and
``web/`` are the edges, and only they (with the CLI and the app factory) may import Flask. No
module imports a private name from another, and no modules import each other in a circle. And
modules and functions stay small enough to read (400 and 60 lines).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "scoreboard"
# What each wing may import from the project (besides itself).
ALLOWED = {
    "core": set(),
    "store": {"core"},
    "packs": {"core", "store"},
    "board": {"core", "store"},
    "drill": {"core", "store", "board", "packs"},
    "live": {"core", "store", "board"},
    # The checker runner: a process of its own that forks the checks and records rounds.
    "runner": {"core", "store", "board", "packs", "drill"},
    "web": {"core", "store", "board", "packs", "drill", "live"},
    "cli": {"core", "store", "board", "packs", "drill", "live", "web", "runner"},
    "__init__": {"core", "store", "board", "packs", "drill", "live", "web", "cli", "runner"},
}
WEB_EDGE = {"web", "live", "cli", "__init__"}
FLASK = ("flask", "flask_babel", "flask_login", "flask_socketio", "flask_wtf", "werkzeug")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _wing(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(module: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import, relative ones resolved."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [alias.name for alias in node.names]
            submodules = [n for n in names if f"{base}.{n}" in MODULES]
            out += [(f"{base}.{n}", [], node.lineno) for n in submodules]
            rest = [n for n in names if n not in submodules]
            if rest or not submodules:
                out.append((base, rest, node.lineno))
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def test_only_the_web_edge_imports_flask() -> None:
    wrong = [f"{m}:{line} imports {target}" for m, found in GRAPH.items() for target, _, line in found
             if target.split(".")[0] in FLASK and _wing(m) not in WEB_EDGE]
    assert wrong == []


def test_imports_point_down() -> None:
    wrong = []
    for module, found in GRAPH.items():
        wing = _wing(module)
        for target, _, line in found:
            if not target.startswith("scoreboard.") or target == "scoreboard":
                continue
            other = _wing(target)
            if other != wing and other not in ALLOWED[wing]:
                wrong.append(f"{module}:{line} ({wing}) imports {target} ({other})")
    assert wrong == []


def test_no_private_name_is_imported_across_modules() -> None:
    wrong = [f"{m}:{line} takes {name} from {target}" for m, found in GRAPH.items() for target, names, line in found
             for name in names if target.startswith("scoreboard") and name.startswith("_")]
    assert wrong == []


def _cycles() -> list[list[str]]:
    edges = {m: {t for t, _, _ in found if t in MODULES and t != m} for m, found in GRAPH.items()}
    # Tarjan's strongly connected components: any component of more than one module is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return circles


def test_no_import_circles() -> None:
    assert _cycles() == []


@pytest.mark.parametrize("wing", ["core", "store", "packs", "board", "drill", "live", "web", "runner"])
def test_every_wing_is_a_folder_with_modules(wing: str) -> None:
    assert any(_wing(m) == wing and m.count(".") >= 2 for m in MODULES), f"scoreboard/{wing}/ holds no module"


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def test_modules_and_functions_stay_small() -> None:
    """A module does one job and a function one step: past these a reader loses the thread (the
    schema migrations are data and are not counted)."""
    long_modules, long_functions = [], []
    for module, path in MODULES.items():
        text = path.read_text()
        if text.count("\n") > MAX_MODULE_LINES:
            long_modules.append(f"{module}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions.append(f"{module}.{node.name} (line {node.lineno}): {length} lines")
    assert long_modules == [] and long_functions == []
