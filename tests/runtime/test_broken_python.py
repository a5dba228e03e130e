"""A broken OpenSSL (issue 13 item 6): with `_ssl` failing to import, the doctor runs and blames
`runtime.python`, the client names a doctor command whose checks exist, and nothing races."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BROKEN_SSL = 'raise ImportError("libssl.so.3: cannot open shared object file: No such file or directory")\n'


@pytest.fixture
def broken_env(tmp_path: Path) -> dict[str, str]:
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "_ssl.py").write_text(BROKEN_SSL)
    return {**os.environ, "PYTHONPATH": str(shadow), "OPENAI_API_KEY": "sk-test-" + "x" * 40,
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}


def perspt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], capture_output=True, text=True,
                          timeout=60, env=env)


def test_the_shadow_really_breaks_ssl(broken_env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-c", "import ssl"], capture_output=True, text=True, env=broken_env,
                          timeout=30)
    assert done.returncode != 0 and "libssl.so.3" in done.stderr


@pytest.mark.parametrize("home", range(4))
def test_doctor_reports_runtime_python_in_every_fresh_home(broken_env: dict[str, str], tmp_path: Path,
                                                          home: int) -> None:
    """Each run is a fresh home (the race showed in about half of them); none may crash."""
    from tests.infra.home import home_env

    env = {**broken_env, **home_env(tmp_path / f"home{home}")}
    done = perspt(env, "doctor", "--json")
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    doc = json.loads(done.stdout)
    rows = {row["id"]: row for row in doc["checks"]}
    assert rows["runtime.python"]["status"] == "fail", rows.keys()
    assert "cannot load its TLS library" in rows["runtime.python"]["summary"]
    assert not [i for i in rows if i.startswith("runtime.load.")], "one cause, not one load error per module"
    assert done.returncode == 1


def test_client_names_a_doctor_command_that_exists(broken_env: dict[str, str]) -> None:
    done = perspt(broken_env, "-q", "hello")
    assert done.returncode == 1 and "internal error" not in done.stderr, done.stderr
    assert "Error (runtime): Python cannot load its TLS library" in done.stderr
    assert "diagnose: perspt doctor --only 'runtime.*'" in done.stderr
    doctor = perspt(broken_env, "doctor", "--only", "runtime.*", "--json")
    assert "matches no check" not in doctor.stderr, doctor.stderr
    rows = {row["id"]: row for row in json.loads(doctor.stdout)["checks"]}
    assert rows["runtime.python"]["status"] == "fail"
