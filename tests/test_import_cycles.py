"""No import circle between the project's modules.

Every import counts, wherever it is written: at the top, inside a function (a lazy import still ties the two
modules together) and under `TYPE_CHECKING` (a type-only import is still a dependency a reader has to follow).
`from package import name` is an edge to `package.name` when that is a module, else to `package`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "monitors", "storage")


def module_files(root: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(root: Path) -> dict[str, set[str]]:
    files = module_files(root)
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(name, path.name == "__init__.py", node)
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in files else source
                           for alias in node.names]
            for target in targets:
                if target in files and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_finds_a_circle_through_a_lazy_and_a_type_only_import(tmp_path):
    _write(tmp_path, {
        "monitors/__init__.py": "",
        "monitors/a.py": "def f():\n    from monitors.b import g\n",
        "monitors/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from monitors import c\n",
        "monitors/c.py": "from . import a\n",
        "monitors/d.py": "import monitors.a\n",
        "bot/__init__.py": "",
        "storage/__init__.py": "",
    })
    assert cycles(import_graph(tmp_path)) == [["monitors.a", "monitors.b", "monitors.c"]]


def test_a_tree_without_circles_has_none(tmp_path):
    _write(tmp_path, {
        "monitors/__init__.py": "",
        "monitors/a.py": "from monitors.b import g\n",
        "monitors/b.py": "import os\n",
        "bot/__init__.py": "",
        "storage/__init__.py": "",
    })
    assert cycles(import_graph(tmp_path)) == []


def test_the_project_has_no_import_circle():
    graph = import_graph(ROOT)
    assert len(graph) > 50
    found = cycles(graph)
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(group) for group in found)
