"""The shape of the code: no import cycles between the modules of bot/ and handlers/, every module
imports on its own, and no project import hides inside a function (the usual way to dodge a cycle).

The import graph is read from the source with `ast`; imports under `if TYPE_CHECKING:` are left out
(they never run), imports in function bodies are checked separately.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers")

# Function-local imports of project modules that exist today, as (module, what it imports). Each
# one hides a dependency (mostly to dodge an import cycle, or to keep `python -m bot --help` quick).
# Remove an entry when you fix it; the test fails on new ones and on entries no longer needed.
ALLOWED_LOCAL_IMPORTS: frozenset[tuple[str, str]] = frozenset({
    # the CLI loads each command's dependencies only when that command runs
    ("bot.cli", "bot.answers.check"),
    ("bot.cli", "bot.answers.library"),
    ("bot.cli", "bot.answers.texts"),
    ("bot.cli", "bot.app"),
    ("bot.cli", "bot.channels.local"),
    ("bot.cli", "bot.chat.inbound"),
    ("bot.cli", "bot.chat.payload"),
    ("bot.cli", "bot.chat.router"),
    ("bot.cli", "bot.recruitment.red_flags"),
    ("bot.cli", "bot.storage.models"),
    ("bot.cli", "bot.understanding.rasa"),
    ("bot.cli", "bot.understanding.understand"),
    ("bot.cli", "bot.web.server"),
})


@dataclass
class ImportGraph:
    """Module -> the project modules it imports when it is loaded, and the imports in its functions."""

    modules: dict[str, Path]
    edges: dict[str, set[str]] = field(default_factory=dict)
    local: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # (imported module, line)

    def cycles(self) -> list[list[str]]:
        """Groups of modules that import each other, directly or through others (Tarjan's SCCs)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        groups: list[list[str]] = []

        def visit(v: str) -> None:
            index[v] = low[v] = len(index)
            stack.append(v)
            on_stack.add(v)
            for w in sorted(self.edges[v]):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                group = []
                while (w := stack.pop()) != v:
                    on_stack.discard(w)
                    group.append(w)
                on_stack.discard(v)
                if group:
                    groups.append(sorted([v, *group]))

        for v in sorted(self.edges):
            if v not in index:
                visit(v)
        return groups

    def describe(self, group: list[str]) -> str:
        members = set(group)
        return "\n".join(f"  {m} -> {', '.join(sorted(self.edges[m] & members))}" for m in group)


def project_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted name -> file, for every module inside a regular package (migration scripts are not)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if not all((root / parent / "__init__.py").exists() for parent in relative.parents[:-1]):
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _ancestors(module: str) -> Iterator[str]:
    while "." in module:
        module = module.rpartition(".")[0]
        yield module


def _named(graph: ImportGraph, module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The project modules an import statement names (a name that is a module counts as that module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        prefix = node.module or ""
        if node.level:
            base = module.split(".") if graph.modules[module].name == "__init__.py" else module.split(".")[:-1]
            base = base[: len(base) - node.level + 1]
            prefix = ".".join([*base, *([node.module] if node.module else [])])
        names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in graph.modules else prefix for a in node.names]
    named: set[str] = set()
    for name in names:
        while name and name not in graph.modules:
            name = name.rpartition(".")[0]
        if name:
            named.add(name)
    return named - {module}


def _loaded(module: str, named: set[str]) -> set[str]:
    """What importing `named` runs: a.b.c runs a/b/__init__.py too, unless a.b is `module`'s own package
    (a module's packages are loaded before it)."""
    own_packages = set(_ancestors(module))
    return {t for name in named for t in (name, *_ancestors(name)) if t not in own_packages} - {module}


def _read(graph: ImportGraph, module: str) -> None:
    edges = graph.edges.setdefault(module, set())
    local = graph.local.setdefault(module, [])

    def visit(nodes: Iterable[ast.AST], in_function: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                named = _named(graph, module, node)
                if in_function:
                    local.extend((target, node.lineno) for target in sorted(named))
                else:
                    edges.update(_loaded(module, named))
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.orelse, in_function)  # the body only runs under a type checker
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(ast.iter_child_nodes(node), True)
            else:
                visit(ast.iter_child_nodes(node), in_function)

    path = graph.modules[module]
    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)).body, False)


def import_graph(root: Path, packages: Iterable[str]) -> ImportGraph:
    graph = ImportGraph(project_modules(root, packages))
    for module in graph.modules:
        _read(graph, module)
    return graph


# Each module imported in one fresh interpreter, with every project module unloaded before the next:
# an import that only works because something else was loaded first fails here.
_IMPORT_EACH = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in {packages!r}]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failed.append(name + ": " + traceback.format_exc(limit=-4))
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def import_each_alone(root: Path, packages: tuple[str, ...], modules: Iterable[str]) -> str:
    """Import every module on its own in a new interpreter; what failed, with tracebacks."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH.format(packages=packages), *modules],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    return "" if result.returncode == 0 else (result.stdout + result.stderr)


# ----------------------------------------------------------------------------------------- the code


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return import_graph(ROOT, PACKAGES)


def test_no_import_cycles_between_modules(graph: ImportGraph) -> None:
    cycles = graph.cycles()
    assert not cycles, "modules that import each other:\n" + "\n\n".join(graph.describe(c) for c in cycles)


def test_every_module_imports_on_its_own(graph: ImportGraph) -> None:
    runnable = [m for m in graph.modules if not m.endswith("__main__")]  # __main__ would run the CLI
    assert len(runnable) > 50
    failures = import_each_alone(ROOT, PACKAGES, runnable)
    assert failures == ""


def test_no_new_function_local_imports_of_project_modules(graph: ImportGraph) -> None:
    found = {(module, target): line for module, imports in graph.local.items() for target, line in imports}
    new = sorted(f"{graph.modules[m].relative_to(ROOT)}:{line} imports {t}" for (m, t), line in found.items()
                 if (m, t) not in ALLOWED_LOCAL_IMPORTS)
    assert not new, "import these at the top of the module (an import cycle is fixed, not hidden):\n" + "\n".join(new)
    fixed = sorted(ALLOWED_LOCAL_IMPORTS - set(found))
    assert not fixed, f"no longer imported inside a function, remove from ALLOWED_LOCAL_IMPORTS: {fixed}"


# ------------------------------------------------------------------- the checks catch what they should


def _package(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


def test_the_checks_find_a_cycle_a_hidden_import_and_a_module_that_fails_alone(tmp_path: Path) -> None:
    _package(tmp_path, {
        "app/__init__.py": "",
        "app/a.py": "from app.b import B\nA = 1\n",
        "app/b.py": "from app import a\nB = 2\n",
        "app/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.d import D\nC = 3\n",
        "app/d.py": "from app.c import C\nD = 4\n\ndef later():\n    from app.a import A\n    return A\n",
        "app/e.py": "from .f import F\nE = 5\n",
        "app/f.py": "from . import e\nF = e.E\n",
        "app/notes/x.py": "import app.a\n",  # not a package: skipped
    })
    graph = import_graph(tmp_path, ("app",))
    assert set(graph.modules) == {"app", "app.a", "app.b", "app.c", "app.d", "app.e", "app.f"}
    assert graph.cycles() == [["app.a", "app.b"], ["app.e", "app.f"]]  # c <-> d only under TYPE_CHECKING
    assert graph.local["app.d"] == [("app.a", 5)]
    failures = import_each_alone(tmp_path, ("app",), ["app.c", "app.d", "app.e"])
    assert "app.e: " in failures and "partially initialized" in failures
    assert "app.c: " not in failures and "app.d: " not in failures
