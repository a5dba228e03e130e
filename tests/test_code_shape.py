"""Small modules with one job: no product file over 600 lines (perspt_doctor/ and the built-in checks)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 600


def long_files(files: list[Path], limit: int = LIMIT) -> list[str]:
    """`path: N lines` for each file longer than `limit` lines."""
    out = []
    for path in files:
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > limit:
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
            out.append(f"{name}: {count} lines")
    return out


def product_files() -> list[Path]:
    return sorted((ROOT / "perspt_doctor").rglob("*.py")) + sorted((ROOT / "checks").rglob("*.py"))


def test_no_product_file_is_over_600_lines() -> None:
    files = product_files()
    assert ROOT / "checks" / "ollama_server.py" in files and ROOT / "perspt_doctor" / "api.py" in files
    assert long_files(files) == []


def test_the_shape_rule_catches_a_long_file(tmp_path: Path) -> None:
    fine, long = tmp_path / "fine.py", tmp_path / "long.py"
    fine.write_text("x = 1\n" * LIMIT)
    long.write_text("x = 1\n" * (LIMIT + 1))
    assert long_files([fine, long]) == [f"long.py: {LIMIT + 1} lines"]
