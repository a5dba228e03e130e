"""An environment variable holding bytes that are not UTF-8 (a variable set in a Latin-1 shell, or pasted
from a file in another encoding). Python keeps such bytes as lone surrogates, which no URL, header or log
line can carry: `HTTPS_PROXY` or `PERSPT_MODEL` with one was an internal error (exit 70, "surrogates not
allowed"), and the log file was switched off. perspt now names the variable and the byte, exit 2, and the
doctor says the same in `env.settings`. A file path may hold any bytes: those settings are left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from perspt_doctor.settings.resolve import env_diagnostics

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["PERSPT_MODEL", "HTTPS_PROXY", "no_proxy", "OLLAMA_HOST", "OPENAI_BASE_URL"])
def test_a_text_variable_with_a_stray_byte_is_an_error(name: str) -> None:
    found = env_diagnostics({name: "value-\udcff"})
    assert [d.message for d in found] == [f"{name} holds a byte that is not UTF-8 text (0xFF)"]
    assert found[0].hint == f"set {name} again as UTF-8 text, or unset it"


def test_utf8_text_and_file_paths_are_left_alone() -> None:
    assert env_diagnostics({"PERSPT_MODEL": "modèle-été", "PERSPT_DEBUG_LOG_FILE": "/tmp/journal-\udce9.log",
                            "PERSPT_NETWORK_CA_BUNDLE": "/etc/ssl/\udce9.pem", "PATH": "/bin:\udcff"}) == []


def _run(*args: str, env: dict[bytes, bytes]) -> subprocess.CompletedProcess[bytes]:
    base = {k.encode(): v.encode() for k, v in os.environ.items() if k in ("PATH", "HOME", "PYTHONPATH")
            or k.startswith("XDG_")}
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], env={**base, **env},
                          capture_output=True, timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("name", [b"HTTPS_PROXY", b"PERSPT_MODEL"])
def test_the_client_and_the_doctor_name_the_variable(name: bytes) -> None:
    env = {name: b"http://proxy-\xff:3128" if name == b"HTTPS_PROXY" else b"gpt-\xff", b"OPENAI_API_KEY": b"test-key"}
    client = _run("-q", "hi", env=env)
    assert client.returncode == 2, client.stderr
    said = client.stderr.decode()
    assert f"{name.decode()} holds a byte that is not UTF-8 text (0xFF)" in said
    assert "Traceback" not in said and "internal error" not in said and "surrogates" not in said
    doctor = _run("doctor", "--offline", "--json", "--only", "env.settings", env=env)
    row = json.loads(doctor.stdout)["checks"][0]
    assert row["status"] == "fail" and f"{name.decode()} holds a byte that is not UTF-8" in row["summary"]
