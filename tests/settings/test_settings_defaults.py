"""A default lives in the schema only: no call site reads a setting with a second, literal default."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from perspt_doctor.settings import Flags
from perspt_doctor.settings.resolve import Settings
from perspt_doctor.settings.schema import SCHEMA, Field, schema_default

ROOT = Path(__file__).resolve().parents[2]


def _with_defaults(fields: tuple[Field, ...], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for spec in fields:
        path = prefix + spec.name
        if spec.default is not None:
            out.add(path)
        out |= _with_defaults(spec.children, path + ".")
    return out


DEFAULTED = _with_defaults(SCHEMA)


def second_defaults(path: Path) -> list[str]:
    """`x.get("network.connect_timeout", 10)`-style reads of a key the schema already gives a default."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in DEFAULTED):
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
            found.append(f"{name}:{node.lineno} {node.args[0].value}")
    return found


def test_the_schema_has_defaults_to_protect() -> None:
    assert {"timeout", "network.connect_timeout", "retry_attempts", "doctor.history_size"} <= DEFAULTED


def test_no_product_module_repeats_a_schema_default() -> None:
    files = sorted((ROOT / "perspt_doctor").rglob("*.py")) + sorted((ROOT / "checks").glob("*.py"))
    assert len(files) > 100 and any(path.parent.name == "checks" and path.name == "tcp.py" for path in files)
    assert [hit for path in files for hit in second_defaults(path)] == []


def test_the_scan_finds_a_repeated_default(tmp_path: Path) -> None:
    bad = tmp_path / "probe.py"
    bad.write_text('t = settings.get("network.connect_timeout", 10)\nu = settings.get("network.connect_timeout")\n'
                   'v = row.get("status", "ok")\n')
    assert second_defaults(bad) == ["probe.py:1 network.connect_timeout"]


@pytest.mark.parametrize("value", ["", "soon", "true"])
def test_typed_reads_fall_back_to_the_schema_default(value: str) -> None:
    settings = Settings(flags=Flags(), env={"PERSPT_NETWORK_CONNECT_TIMEOUT": value, "PERSPT_RETRY_ATTEMPTS": value},
                        config=None)
    assert settings.number("network.connect_timeout") == float(schema_default("network.connect_timeout"))
    assert settings.integer("retry_attempts") == schema_default("retry_attempts")


def test_typed_reads_take_a_set_value() -> None:
    settings = Settings(flags=Flags(), env={"PERSPT_NETWORK_CONNECT_TIMEOUT": "2.5", "PERSPT_RETRY_ATTEMPTS": "7"},
                        config=None)
    assert settings.number("network.connect_timeout") == 2.5 and settings.integer("retry_attempts") == 7
    assert settings.get("doctor.history_size") == schema_default("doctor.history_size") == 50
