"""The built wheel installs into a fresh virtual environment, ships the built-in checks only as
`perspt_doctor.checks` (no generic top-level `checks`), and its `perspt` command works there.

Offline by construction: the wheel is built without build isolation (setuptools and wheel come from the
test environment), installed with `--no-deps`, and the dependencies are made visible to the new venv by a
`.pth` line naming this environment's site-packages. The source tree is neither on the path nor the cwd."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from perspt_doctor import __version__

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
                                ".hypothesis", "site", "tests", "docs")


@pytest.fixture(scope="module")
def wheel_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel-build")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    out = work / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=240, cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    [wheel] = list(out.glob("perspt_doctor-*.whl"))
    return wheel


def test_wheel_contents(wheel_file: Path) -> None:
    names = zipfile.ZipFile(wheel_file).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert "checks" not in top_level and not any(n.startswith("checks/") for n in names)
    assert any(n.startswith("perspt_doctor/checks/") and n.endswith(".py") for n in names)
    assert "perspt_doctor/schemas/config.schema.json" in names
    assert "perspt_doctor/py.typed" in names
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"perspt_doctor"}


def test_installed_wheel_runs_in_a_fresh_venv(wheel_file: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
         str(wheel_file)], capture_output=True, text=True, timeout=240)
    assert install.returncode == 0, install.stdout + install.stderr
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    assert not (site / "checks").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["HOME"] = str(tmp_path)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "cfg")
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), capture_output=True, text=True, timeout=120, cwd=run_dir, env=env)

    perspt = str(venv / "bin" / "perspt")
    version = run(perspt, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"perspt {__version__}", version.stderr
    located = run(perspt, "config", "path")
    assert located.returncode == 0, located.stderr
    assert f"config file in use: {tmp_path / 'cfg' / 'perspt' / 'config.json'}" in located.stdout.replace("~", str(tmp_path))
    probe = run(str(python), "-c", (
        "import importlib.util, perspt_doctor, perspt_doctor.checks;"
        "print(perspt_doctor.__file__);"
        "print(importlib.util.find_spec('checks'))"))
    assert probe.returncode == 0, probe.stderr
    where, checks_spec = probe.stdout.split()
    assert Path(where).is_relative_to(venv) and checks_spec == "None"
    as_module = run(str(python), "-m", "perspt_doctor", "--version")
    assert as_module.stdout.strip() == f"perspt {__version__}"
