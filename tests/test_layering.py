"""The layers import one way: settings -> transport -> providers -> client / checks -> engine -> report.

Read from the source with `ast`, so a lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "perspt_doctor"
CHECKS = ROOT / "checks"

CATALOG = "perspt_doctor.providers.catalog"
"""Provider data with no imports of its own: every layer may read it (settings needs the provider names)."""

FORBIDDEN = {
    "settings": ("transport", "providers", "client", "engine", "report", "cli", "checks"),
    "transport": ("providers", "client", "engine", "report", "cli", "checks"),
    "providers": ("client", "engine", "report", "cli", "checks"),
    "system": ("settings", "transport", "providers", "client", "engine", "report", "cli", "checks"),
    "engine": ("client", "report", "cli", "checks"),
    "report": ("client", "cli", "checks"),
}

CHECKS_MAY_IMPORT = ("api", "colour", "settings", "transport", "providers", "system", "checks",
                     "redact", "paths", "fsutil", "suggest", "_version", "__version__")
"""A check is written like a third-party plugin: the check API, the public layers and the small
shared modules, never the engine, the report, the client or the command line."""


def imported_modules(path: Path) -> set[str]:
    """Every perspt_doctor name the file imports, as `module.name` for `from module import name`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; the layer rules read absolute names"
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("perspt_doctor.")}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def violations(files: list[Path], allowed: Callable[[str], bool]) -> list[str]:
    out = []
    for path in files:
        for module in sorted(imported_modules(path)):
            if not module.startswith(CATALOG) and not allowed(module):
                name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                out.append(f"{name} imports {module}")
    return out


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_layers_below_it(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no modules in perspt_doctor/{layer}"
    banned = FORBIDDEN[layer]
    assert violations(files, lambda m: layer_of(m) not in banned) == []


def test_checks_import_like_a_plugin() -> None:
    files = sorted(CHECKS.glob("*.py"))
    assert len(files) > 10
    assert violations(files, lambda m: layer_of(m) in CHECKS_MAY_IMPORT) == []


def test_catalog_is_data() -> None:
    assert imported_modules(PACKAGE / "providers" / "catalog.py") <= {"perspt_doctor.suggest.did_you_mean"}
    assert imported_modules(PACKAGE / "suggest.py") == set()


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from perspt_doctor.client.app import run_chat\n"
                   "from perspt_doctor import engine\n")
    assert imported_modules(bad) == {"perspt_doctor.client.app.run_chat", "perspt_doctor.engine"}
    assert violations([bad], lambda m: layer_of(m) not in FORBIDDEN["providers"]) == [
        f"{bad} imports perspt_doctor.client.app.run_chat", f"{bad} imports perspt_doctor.engine"]
