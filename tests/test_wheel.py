"""The built wheel: `python -m build --wheel` prints no warning, its metadata is what a package index
shows (license, URLs, classifiers, keywords), it ships the built-in checks only as
`perspt_doctor.checks` (no generic top-level `checks`) and the docs pages `perspt explain` reads, and it
installs into a fresh virtual environment where `perspt` works, `perspt explain` included.

Offline by construction: the wheel is built without build isolation (setuptools comes from the test
environment), installed with `--no-deps`, and the dependencies are made visible to the new venv by a
`.pth` file naming this environment's site-packages (tests/infra/venvs.py). The source tree is neither
on the path nor the cwd."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

from perspt_doctor import __version__
from tests.docs.doclinks import docs_links
from tests.infra.venvs import borrowing_venv

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
                                ".hypothesis", "site", "tests")
WARNING = re.compile(r"warn", re.I)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel, and everything `python -m build --wheel` printed while making it."""
    work = tmp_path_factory.mktemp("wheel-build")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    out = work / "dist"
    # PYTHONDONTWRITEBYTECODE makes setuptools warn that it skips byte-compiling: the caller's choice,
    # not the project's, so the build runs without it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
                             str(source)], capture_output=True, text=True, timeout=240, cwd=work, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    [wheel] = list(out.glob("perspt_doctor-*.whl"))
    return wheel, result.stdout + result.stderr


@pytest.fixture(scope="module")
def wheel_file(built: tuple[Path, str]) -> Path:
    return built[0]


def test_the_build_prints_no_warning(built: tuple[Path, str]) -> None:
    output = built[1]
    assert "Successfully built perspt_doctor-" in output
    noisy = [line for line in output.splitlines() if WARNING.search(line) and not line.startswith(("adding '", "copying "))]
    assert not noisy, "\n".join(noisy)


def test_the_warning_filter_sees_setuptools_warnings() -> None:
    sample = ("* Building wheel...\nadding 'perspt_doctor/warnings_example.py'\n"
              "WARNING `project.license` as a TOML table is deprecated\n"
              "warning: build_py: byte-compiling is disabled, skipping.\n")
    noisy = [line for line in sample.splitlines() if WARNING.search(line) and not line.startswith(("adding '", "copying "))]
    assert len(noisy) == 2


def test_wheel_metadata_is_what_an_index_shows(wheel_file: Path) -> None:
    with zipfile.ZipFile(wheel_file) as archive:
        info = f"perspt_doctor-{__version__}.dist-info"
        meta = HeaderParser().parsestr(archive.read(f"{info}/METADATA").decode())
        license_text = archive.read(f"{info}/licenses/LICENSE").decode()
    assert meta["Name"] == "perspt-doctor" and meta["Version"] == __version__
    assert meta["License-Expression"] == "MIT" and meta.get_all("License-File") == ["LICENSE"]
    assert license_text == (ROOT / "LICENSE").read_text() and "MIT License" in license_text
    assert "the perspt authors" in license_text
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert set(urls) >= {"Homepage", "Documentation", "Issues"}
    assert all(url.startswith("https://github.com/perspt/perspt-doctor") for url in urls.values()), urls
    classifiers = meta.get_all("Classifier")
    assert "Programming Language :: Python :: 3" in classifiers and "Environment :: Console" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the SPDX expression says it
    assert "llm" in meta["Keywords"].split(",")
    extras = meta.get_all("Provides-Extra")
    assert {"nvidia", "socks", "dev"} <= set(extras)


def test_wheel_contents(wheel_file: Path) -> None:
    names = zipfile.ZipFile(wheel_file).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert "checks" not in top_level and not any(n.startswith("checks/") for n in names)
    assert any(n.startswith("perspt_doctor/checks/") and n.endswith(".py") for n in names)
    assert "perspt_doctor/schemas/config.schema.json" in names
    assert "perspt_doctor/py.typed" in names
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"perspt_doctor"}
    sources = {f"perspt_doctor/{p.relative_to(ROOT / 'perspt_doctor').as_posix()}"
               for p in (ROOT / "perspt_doctor").rglob("*.py")}
    assert sources <= set(names), f"modules left out of the wheel: {sorted(sources - set(names))}"


def test_wheel_ships_the_docs_pages_as_they_are_in_docs(wheel_file: Path) -> None:
    with zipfile.ZipFile(wheel_file) as archive:
        shipped = sorted(n for n in archive.namelist() if n.startswith("perspt_doctor/docs/"))
        assert shipped == ["perspt_doctor/docs/checks.md", "perspt_doctor/docs/troubleshooting.md"]
        for name in shipped:
            assert archive.read(name) == (ROOT / "docs" / Path(name).name).read_bytes(), name


def test_installed_wheel_runs_in_a_fresh_venv(wheel_file: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = borrowing_venv(venv)
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
         str(wheel_file)], capture_output=True, text=True, timeout=240)
    assert install.returncode == 0, install.stdout + install.stderr
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
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

    explained = run(perspt, "explain", "dns.openai")
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith("### `dns.{provider}`: DNS for PROVIDER\n") and "**Verdicts**" in explained.stdout
    unknown = run(perspt, "explain", "dnss")
    assert unknown.returncode == 2 and "did you mean: dns?" in unknown.stderr
    links = [f"docs/{page}#{anchor}" for page, anchor in sorted(docs_links())]
    resolved = run(str(python), "-c", EVERY_LINK, json.dumps(links))
    assert resolved.returncode == 0, resolved.stderr
    shown = json.loads(resolved.stdout)
    assert shown["pages"] == [str(site / "perspt_doctor" / "docs" / f"{p}.md") for p in ("troubleshooting", "checks")]
    assert shown["missing"] == [] and shown["count"] == len(links) > 15


EVERY_LINK = """
import json, sys
from importlib import resources
from perspt_doctor.report import explain
missing = []
for link in json.loads(sys.argv[1]):
    page, anchor = link.removeprefix("docs/").split(".md#")
    command = explain.explain_command(link)
    shown = explain.find(command.removeprefix("perspt explain ")) if command else []
    if not any(s.page == page and anchor in s.anchors or any(s.contains(t) for t in explain.find(link))
               for s in shown):
        missing.append(link)
pages = [str(resources.files("perspt_doctor") / "docs" / f"{p}.md") for p in explain.PAGES]
print(json.dumps({"missing": missing, "count": len(json.loads(sys.argv[1])), "pages": pages}))
"""
