"""The package's shape: folders by concept, no import cycles, the core free of typer and rich."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "quizgrad"
MODULES = sorted(PACKAGE.rglob("*.py"))
FOLDERS = ("math", "mistakes", "bank", "items", "grading", "formats", "kinds", "cli")


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_only: bool = True) -> set[str]:
    """The modules ``path`` imports when it is loaded (not under TYPE_CHECKING, not lazily)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    nodes = tree.body if top_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in [node, *(node.body if isinstance(node, ast.If) else [])]:
            if isinstance(sub, ast.ImportFrom) and sub.module:
                found.add(sub.module)
                found.update(f"{sub.module}.{a.name}" for a in sub.names)
            elif isinstance(sub, ast.Import):
                found.update(a.name for a in sub.names)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_package_is_laid_out_in_its_folders():
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "errors.py", "gcpause.py", "memo.py",
                     "registry.py", "textio.py", "workers.py"]  # shared plumbing only
    assert all((PACKAGE / folder / "__init__.py").is_file() for folder in FOLDERS)


def test_no_module_imports_itself_back_when_loaded():
    names = {_name(p): p for p in MODULES}
    graph = {name: {m for m in _imports(path) if m in names and m != name}
             for name, path in names.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("path", [p for p in MODULES if "cli" not in p.parts],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_core_imports_neither_typer_nor_rich(path):
    used = {m.split(".")[0] for m in _imports(path, top_only=False)}
    assert not used & {"typer", "rich"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_says_what_it_is(path):
    assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))


def test_help_loads_no_sympy():
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom quizgrad.cli.app import app\n"
            "result = CliRunner().invoke(app, ['--help'])\n"
            "print(result.exit_code, 'Usage' in result.output, 'sympy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "0 True False"
