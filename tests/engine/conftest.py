"""The example plugin, installed the way pip would (a dist-info with entry points) but into a temp
dir, offline; tests that want it put that dir on sys.path and PYTHONPATH."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugin_example"))
from install import install_into  # noqa: E402


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_into(tmp_path_factory.mktemp("example-plugin-site"))


@pytest.fixture
def with_plugin(example_site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(example_site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(example_site), os.environ.get("PYTHONPATH")])))
    importlib.invalidate_caches()
    yield example_site


def perspt(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh process, as a user runs it (not a TTY)."""
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})
