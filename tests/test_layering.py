"""The layers import one way: errors, catalog -> settings -> transport -> providers -> client / checks ->
engine -> report, and cli on top.

Read from the source with `ast`, so a lazy import inside a function, or one under `TYPE_CHECKING`, counts
as much as one at the top. Besides the layer rules: no two product files import each other (directly or
round a longer loop), nothing below cli/ reaches for the command line or click's context, and every
import is absolute.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "perspt_doctor"
CHECKS = ROOT / "checks"

BOTTOM = ("errors", "suggest", "catalog")
"""Modules that import nothing from perspt_doctor but each other, so that every layer may import them."""

FORBIDDEN = {
    "settings": ("transport", "providers", "client", "engine", "report", "cli", "checks"),
    "transport": ("providers", "client", "engine", "report", "cli", "checks"),
    "providers": ("client", "engine", "report", "cli", "checks"),
    "client": ("engine", "report", "cli", "checks"),
    "system": ("settings", "transport", "providers", "client", "engine", "report", "cli", "checks"),
    "engine": ("client", "report", "cli", "checks"),
    "report": ("client", "cli", "checks"),
    "probes": ("client", "report", "cli", "checks"),
}

ENTRY_POINTS = ("perspt_doctor/__main__.py",)
"""Above the command line: they may import it."""


def product_files() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *CHECKS.glob("*.py")])


def module_of(path: Path) -> str:
    """The dotted name a product file is imported as (checks/ is installed as perspt_doctor.checks)."""
    if path.is_relative_to(CHECKS):
        parts = ["perspt_doctor", "checks", *path.relative_to(CHECKS).with_suffix("").parts]
    else:
        parts = ["perspt_doctor", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def imported_modules(path: Path) -> set[str]:
    """Every perspt_doctor name the file imports, as `module.name` for `from module import name`."""
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("perspt_doctor.")}


def relative_imports(path: Path) -> list[str]:
    """`from . import x` and the like: the layer rules and the cycle check read absolute names only."""
    return [f"{_name(path)}:{node.lineno}: relative import from {'.' * node.level}{node.module or ''}"
            for node in ast.walk(_tree(path)) if isinstance(node, ast.ImportFrom) and node.level > 0]


def uses_click_context(path: Path) -> list[str]:
    """Reads of click's current context (`click.get_current_context()`, or the name imported from click)."""
    out = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Attribute) and node.attr == "get_current_context":
            out.append((node.lineno, "click.get_current_context"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("click") and any(
                alias.name == "get_current_context" for alias in node.names):
            out.append((node.lineno, f"from {node.module} import get_current_context"))
    return [f"{_name(path)}:{line}: {what}" for line, what in sorted(out)]


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def violations(files: Iterable[Path], allowed: Callable[[str], bool]) -> list[str]:
    return [f"{_name(path)} imports {module}" for path in files
            for module in sorted(imported_modules(path)) if not allowed(module)]


# ---- the file import graph ---------------------------------------------------------------------------
def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the modules among `modules` it imports. `from a import b` is an edge to `a.b` when that is
    a module, else to `a` (the module or package that defines `b`); an import inside a function counts."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported in imported_modules(path):
            target = imported
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One loop for each group of modules that import each other (Tarjan's strongly connected
    components), as [a, b, ..., a]."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_loop_in(group, graph) for group in sorted(groups, key=min)]


def _loop_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """The shortest loop through the group's first module (breadth-first inside the group)."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & group):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no loop in {group}")


# ---- the rules -------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_layers_below_it(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no modules in perspt_doctor/{layer}"
    banned = FORBIDDEN[layer]
    assert violations(files, lambda m: layer_of(m) not in banned) == []


def check_violations(files: list[Path]) -> list[str]:
    """A built-in check is written like a third-party plugin: of perspt_doctor it imports only
    `perspt_doctor.api` (function-level and TYPE_CHECKING imports included), so never another check."""
    out = []
    for path in files:
        for module in sorted(imported_modules(path) | _bare_imports(path)):
            if module == "perspt_doctor.api" or module.startswith("perspt_doctor.api."):
                continue
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            out.append(f"{name} imports {module}")
    return out


def _bare_imports(path: Path) -> set[str]:
    """`from perspt_doctor import x` is recorded as `perspt_doctor.x`; `import perspt_doctor` itself too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
            if alias.name == "perspt_doctor"}


def test_checks_import_only_the_public_api() -> None:
    files = sorted(CHECKS.glob("*.py"))
    assert len(files) > 10
    assert check_violations(files) == []


def test_the_checks_rule_catches_internal_and_cross_check_imports(tmp_path: Path) -> None:
    bad = tmp_path / "bad_check.py"
    bad.write_text("from perspt_doctor.api import check\nfrom perspt_doctor.checks.auth import x\n"
                   "from perspt_doctor import paths\nimport perspt_doctor\nif TYPE_CHECKING:\n"
                   "    from perspt_doctor.settings.resolve import Settings\n"
                   "def f():\n    from perspt_doctor.transport.route import route_for\n")
    assert check_violations([bad]) == [f"{bad} imports {m}" for m in (
        "perspt_doctor", "perspt_doctor.checks.auth.x", "perspt_doctor.paths",
        "perspt_doctor.settings.resolve.Settings", "perspt_doctor.transport.route.route_for")]


@pytest.mark.parametrize("module", BOTTOM)
def test_the_bottom_modules_import_only_each_other(module: str) -> None:
    assert violations([PACKAGE / f"{module}.py"], lambda m: layer_of(m) in BOTTOM) == []


def test_no_two_files_import_each_other() -> None:
    loops = cycles(import_graph({module_of(path): path for path in product_files()}))
    assert [" -> ".join(loop) for loop in loops] == []


def test_nothing_below_the_command_line_reaches_for_it() -> None:
    below = [path for path in product_files()
             if not path.is_relative_to(PACKAGE / "cli") and _name(path) not in ENTRY_POINTS]
    assert len(below) > 50
    assert violations(below, lambda m: layer_of(m) != "cli") == []
    assert [hit for path in below for hit in uses_click_context(path)] == []


def test_every_import_is_absolute() -> None:
    assert [hit for path in product_files() for hit in relative_imports(path)] == []


# ---- the rules catch what they are for -------------------------------------------------------------
def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from perspt_doctor.client.app import run_chat\n"
                   "from perspt_doctor import engine\n")
    assert imported_modules(bad) == {"perspt_doctor.client.app.run_chat", "perspt_doctor.engine"}
    assert violations([bad], lambda m: layer_of(m) not in FORBIDDEN["providers"]) == [
        f"{bad} imports perspt_doctor.client.app.run_chat", f"{bad} imports perspt_doctor.engine"]


def test_the_client_rule_catches_an_import_of_the_command_line(tmp_path: Path) -> None:
    bad = tmp_path / "app.py"
    bad.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                   "    from perspt_doctor.cli.app_context import AppContext\n")
    assert violations([bad], lambda m: layer_of(m) not in FORBIDDEN["client"]) == [
        f"{bad} imports perspt_doctor.cli.app_context.AppContext"]


def test_the_click_context_rule_catches_both_spellings(tmp_path: Path) -> None:
    bad = tmp_path / "fixes.py"
    bad.write_text("import click\n\ndef params():\n    return click.get_current_context(silent=True).params\n\n"
                   "def other():\n    from click import get_current_context\n    return get_current_context()\n")
    assert uses_click_context(bad) == [f"{bad}:4: click.get_current_context",
                                       f"{bad}:7: from click import get_current_context"]
    fine = tmp_path / "fine.py"
    fine.write_text("import click\n\ndef ask():\n    return click.confirm('go?')\n")
    assert uses_click_context(fine) == []


def test_the_relative_import_rule(tmp_path: Path) -> None:
    bad = tmp_path / "rel.py"
    bad.write_text("from . import sibling\n\ndef f():\n    from ..pkg.mod import name\n")
    assert relative_imports(bad) == [f"{bad}:1: relative import from .", f"{bad}:4: relative import from ..pkg.mod"]
    assert imported_modules(bad) == set()


def test_the_cycle_rule_finds_a_long_loop_through_function_level_and_type_checking_imports(
        tmp_path: Path) -> None:
    files = {
        "a.py": "def f():\n    from perspt_doctor.b import x\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from perspt_doctor import c\n",
        "c.py": "import perspt_doctor.a.thing\n",
        "d.py": "from perspt_doctor.a import f\n",
        "e.py": "from perspt_doctor.e import itself\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    modules = {f"perspt_doctor.{name[:-3]}": tmp_path / name for name in files}
    graph = import_graph(modules)
    assert graph == {"perspt_doctor.a": {"perspt_doctor.b"}, "perspt_doctor.b": {"perspt_doctor.c"},
                     "perspt_doctor.c": {"perspt_doctor.a"}, "perspt_doctor.d": {"perspt_doctor.a"},
                     "perspt_doctor.e": set()}
    assert cycles(graph) == [["perspt_doctor.a", "perspt_doctor.b", "perspt_doctor.c", "perspt_doctor.a"]]
    graph["perspt_doctor.c"] = set()
    assert cycles(graph) == []


def test_the_cycle_rule_resolves_a_submodule_and_a_package(tmp_path: Path) -> None:
    """`from pkg import sub` is an edge to pkg.sub, not to pkg/__init__: a package's __init__ that imports
    its own submodule lazily is not a loop, but a submodule that imports a name from its package is."""
    graph = {"perspt_doctor.cli": {"perspt_doctor.cli.help_cache"},
             "perspt_doctor.cli.help_cache": {"perspt_doctor.cli._help_text"},
             "perspt_doctor.cli._help_text": set()}
    assert cycles(graph) == []
    graph["perspt_doctor.cli.help_cache"].add("perspt_doctor.cli")
    assert cycles(graph) == [["perspt_doctor.cli", "perspt_doctor.cli.help_cache", "perspt_doctor.cli"]]
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("def main():\n    from perspt_doctor.pkg.sub import run\n")
    (package / "sub.py").write_text("from perspt_doctor.pkg import data\n")
    (package / "data.py").write_text("")
    graph = import_graph({"perspt_doctor.pkg": package / "__init__.py", "perspt_doctor.pkg.sub": package / "sub.py",
                       "perspt_doctor.pkg.data": package / "data.py"})
    assert graph["perspt_doctor.pkg.sub"] == {"perspt_doctor.pkg.data"}
    assert cycles(graph) == []

