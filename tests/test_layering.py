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
    "probes": ("client", "report", "cli", "checks"),
}

CHECKS_PENDING = {
    "checks/ollama_config.py": "the Ollama checks still reach the providers and transport layers directly",
    "checks/ollama_server.py": "the Ollama checks still reach the providers and transport layers directly",
    "checks/memory.py imports perspt_doctor.checks.ollama_config": "memory.fit reads the Ollama helpers",
    "checks/memory.py imports perspt_doctor.checks.ollama_server": "memory.fit reads the Ollama helpers",
}
"""Known exceptions to the checks rule, each with the change that removes it."""


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
    found = check_violations([f for f in files if str(f.relative_to(ROOT)) not in CHECKS_PENDING])
    assert [v for v in found if v not in CHECKS_PENDING] == []


def test_the_checks_rule_catches_internal_and_cross_check_imports(tmp_path: Path) -> None:
    bad = tmp_path / "bad_check.py"
    bad.write_text("from perspt_doctor.api import check\nfrom perspt_doctor.checks.auth import x\n"
                   "from perspt_doctor import paths\nimport perspt_doctor\nif TYPE_CHECKING:\n"
                   "    from perspt_doctor.settings.resolve import Settings\n"
                   "def f():\n    from perspt_doctor.transport.route import route_for\n")
    assert check_violations([bad]) == [f"{bad} imports {m}" for m in (
        "perspt_doctor", "perspt_doctor.checks.auth.x", "perspt_doctor.paths",
        "perspt_doctor.settings.resolve.Settings", "perspt_doctor.transport.route.route_for")]


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
