"""Install the example plugin without pip or network: copy the package into a directory and write
the `.dist-info` (METADATA + entry_points.txt) that importlib.metadata reads. Put that directory on
sys.path / PYTHONPATH and the entry points are live, exactly as after `pip install`.

The entry points come from this folder's pyproject.toml, so the two cannot drift apart."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "perspt_example_plugin"


def _project() -> tuple[str, str, dict[str, dict[str, str]]]:
    text = (HERE / "pyproject.toml").read_text(encoding="utf-8")
    name = re.search(r'^name\s*=\s*"([^"]+)"', text, re.M)
    version = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    assert name and version
    groups: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        header = re.match(r'^\[project\.entry-points\."([^"]+)"\]\s*$', line)
        if header:
            current = groups.setdefault(header.group(1), {})
            continue
        if line.startswith("["):
            current = None
            continue
        entry = re.match(r'^\s*([\w.-]+)\s*=\s*"([^"]+)"', line)
        if current is not None and entry:
            current[entry.group(1)] = entry.group(2)
    return name.group(1), version.group(1), groups


def install_into(target: Path) -> Path:
    """Returns `target`, now holding the package and its dist-info."""
    name, version, groups = _project()
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(HERE / PACKAGE, target / PACKAGE, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    info = target / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    lines = []
    for group, entries in groups.items():
        lines.append(f"[{group}]")
        lines.extend(f"{key} = {value}" for key, value in entries.items())
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    (info / "INSTALLER").write_text("perspt-tests\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    import sys

    print(install_into(Path(sys.argv[1])))
