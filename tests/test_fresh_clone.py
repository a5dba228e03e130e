"""The README's promise, `git clone` and then `scripts/test.sh`, kept by the suite itself: the committed
HEAD is cloned into an empty temporary directory (nothing beside the clone), installed in editable mode
into a virtual environment of its own (this environment's libraries, the clone's code), and the suites
that once read files outside the repository run there: the docs, the runtime and GPU tests, the
self-containment scan and the wheel. A future reference to something outside the repository then fails
CI here, not a user.

Only committed work is in a clone: this test checks HEAD, not the uncommitted changes of the work tree.
Deselect it while iterating with `-m 'not fresh_clone'`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.venvs import borrowing_venv

ROOT = Path(__file__).resolve().parents[1]
SUITES = ("tests/docs", "tests/runtime", "tests/test_self_contained.py", "tests/test_wheel.py")


def _git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.fresh_clone
@pytest.mark.timeout(900)
def test_a_fresh_clone_of_head_passes_the_suites_that_need_only_the_repository(tmp_path: Path) -> None:
    probe = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    if probe.returncode != 0:
        pytest.skip(f"not a git checkout: {probe.stderr.strip()}")
    head = probe.stdout.strip()
    alone = tmp_path / "alone"
    alone.mkdir()
    clone = alone / "perspt"
    _git("clone", "--quiet", "--no-hardlinks", "--no-checkout", str(ROOT), str(clone), cwd=tmp_path)
    _git("checkout", "--quiet", "--detach", head, cwd=clone)
    assert [p.name for p in alone.iterdir()] == ["perspt"]

    python = borrowing_venv(tmp_path / "venv")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
         "--no-build-isolation", "-q", "-e", str(clone)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    where = subprocess.run([str(python), "-c", "import perspt_doctor.checks as c; print(c.__file__)"],
                           capture_output=True, text=True, timeout=60, cwd=clone, env=env)
    assert Path(where.stdout.strip()).is_relative_to(clone), where.stdout + where.stderr
    suite = subprocess.run([str(python), "-m", "pytest", *SUITES, "-q", "-p", "no:cacheprovider",
                            "--basetemp", str(tmp_path / "pytest-in-clone")],
                           capture_output=True, text=True, timeout=840, cwd=clone, env=env)
    assert suite.returncode == 0, suite.stdout[-6000:] + suite.stderr[-2000:]
    assert " passed" in suite.stdout and " skipped" not in suite.stdout.splitlines()[-1], suite.stdout[-2000:]
