"""`perspt doctor --fix` in a real process: file modes, missing directories, `ollama pull` after a yes;
`--dry-run` changes nothing, byte for byte; a plain `perspt doctor` never fixes."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.ollama_fake import OllamaFake
from tests.provider_checks.test_doctor_e2e import ROOT, base_env

FAKE_OLLAMA = """#!{python}
import json, os, sys, urllib.request
with open({log!r}, "a") as log:
    log.write(" ".join(sys.argv[1:]) + " host=" + os.environ.get("OLLAMA_HOST", "") + "\\n")
host = os.environ.get("OLLAMA_HOST") or "127.0.0.1:11434"
url = (host if "://" in host else "http://" + host) + "/api/pull"
body = json.dumps({{"model": sys.argv[2], "stream": False}}).encode()
with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST")) as reply:
    print(json.loads(reply.read())["status"])
"""


@pytest.fixture
def ollama() -> Iterator[OllamaFake]:
    fake = OllamaFake(["llama3.2"], registry=["llama3.2", "qwen2.5:0.5b"])
    with fake.start():
        yield fake


@pytest.fixture
def fake_ollama_bin(tmp_path: Path) -> Path:
    """A stand-in `ollama` command: logs its arguments and pulls from OLLAMA_HOST like the real CLI."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "ollama"
    script.write_text(FAKE_OLLAMA.format(python=sys.executable, log=str(tmp_path / "ollama-calls.log")))
    script.chmod(0o755)
    return bin_dir


def _write_config(path: Path, data: dict[str, object], mode: int) -> Path:
    path.write_text(json.dumps(data))
    path.chmod(mode)
    return path


def _doctor(config: Path, *args: str, stdin: str = "", path_dirs: tuple[Path, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = base_env()
    env["PATH"] = os.pathsep.join([*(str(p) for p in path_dirs), env.get("PATH", "")])
    return subprocess.run([sys.executable, "-m", "perspt_doctor", "doctor", "--config", str(config), *args],
                          input=stdin, env=env, capture_output=True, text=True, cwd=ROOT, timeout=60)


def _snapshot(*roots: Path, exclude: tuple[Path, ...] = ()) -> dict[str, tuple[int, str]]:
    """Every file and directory under roots: mode and content hash."""
    out: dict[str, tuple[int, str]] = {}
    for root in roots:
        for path in [root, *root.rglob("*")]:
            if any(path == e or e in path.parents for e in exclude):
                continue
            info = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
            out[str(path)] = (stat.S_IMODE(info.st_mode), digest)
    return out


def _state_runs() -> Path:
    from perspt_doctor import paths

    return paths.doctor_runs_dir()


def test_chmod_fix_makes_the_config_private_and_reruns_the_check(tmp_path: Path) -> None:
    config = _write_config(tmp_path / "config.json", {"provider": "openai", "api_key": "sk-" + "a1" * 24}, 0o644)
    plain = _doctor(config, "--only", "security.config_permissions")
    assert plain.returncode == 1 and stat.S_IMODE(config.stat().st_mode) == 0o644, "a plain run must not fix"
    fixed = _doctor(config, "--only", "security.config_permissions", "--fix")
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert f"chmod 600 {config}" in fixed.stdout
    assert "security.config_permissions: fail -> ok" in fixed.stdout
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "a1a1a1a1" not in fixed.stdout + fixed.stderr


def test_an_ok_disk_row_offers_no_mkdir(tmp_path: Path) -> None:
    """A fresh home: the directories do not exist yet, and disk.space is ok (perspt makes them, private,
    when it first writes there); --fix has nothing to do for an ok row (issue 13: fix lines that fix)."""
    from perspt_doctor import paths

    config = _write_config(tmp_path / "config.json", {"provider": "openai"}, 0o600)
    assert not paths.data_dir().exists()
    result = _doctor(config, "--only", "disk.space", "--fix")
    assert not paths.data_dir().exists()
    assert "mkdir" not in result.stdout


def test_dry_run_changes_nothing_byte_for_byte(tmp_path: Path, isolated_env: Path, ollama: OllamaFake,
                                               fake_ollama_bin: Path) -> None:
    config = _write_config(tmp_path / "config.json", {
        "provider": "ollama", "model": "qwen2.5:0.5b", "api_keys": {"openai": "sk-" + "b2" * 24},
        "provider_endpoints": {"ollama": ollama.base_url}}, 0o644)
    _doctor(config, "--only", "config.file")  # the run-record directory exists from here on, as after any run
    before = _snapshot(tmp_path, isolated_env, exclude=(_state_runs(),))
    result = _doctor(config, "--only", "security.*", "--only", "disk.*", "--only", "ollama.models", "--fix",
                     "--dry-run", stdin="y\ny\ny\n", path_dirs=(fake_ollama_bin,))
    assert _snapshot(tmp_path, isolated_env, exclude=(_state_runs(),)) == before
    assert not (tmp_path / "ollama-calls.log").exists()
    assert not any(r.path == "/api/pull" for r in ollama.requests)
    out = result.stdout
    assert "dry run: nothing will change" in out and "Dry run: nothing was changed" in out
    assert f"chmod 600 {config}" in out and "mkdir" not in out
    assert f"OLLAMA_HOST={ollama.base_url} ollama pull qwen2.5:0.5b (asks first)" in out
    assert result.returncode == 1


def test_ollama_pull_runs_after_yes_and_the_model_check_turns_ok(tmp_path: Path, ollama: OllamaFake,
                                                                fake_ollama_bin: Path) -> None:
    config = _write_config(tmp_path / "config.json", {"provider": "ollama", "model": "qwen2.5:0.5b",
                                                      "provider_endpoints": {"ollama": ollama.base_url}}, 0o600)
    result = _doctor(config, "--only", "ollama.models", "--fix", stdin="y\n", path_dirs=(fake_ollama_bin,))
    calls = (tmp_path / "ollama-calls.log").read_text()
    assert calls == f"pull qwen2.5:0.5b host={ollama.base_url}\n"
    assert "ollama.models: fail -> ok" in result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Run `OLLAMA_HOST=" in result.stderr  # the question, on stderr


def test_ollama_pull_is_skipped_without_a_yes(tmp_path: Path, ollama: OllamaFake, fake_ollama_bin: Path) -> None:
    config = _write_config(tmp_path / "config.json", {"provider": "ollama", "model": "qwen2.5:0.5b",
                                                      "provider_endpoints": {"ollama": ollama.base_url}}, 0o600)
    result = _doctor(config, "--only", "ollama.models", "--fix", stdin="n\n", path_dirs=(fake_ollama_bin,))
    assert not (tmp_path / "ollama-calls.log").exists()
    assert "skipped: OLLAMA_HOST=" in result.stdout and "Nothing was changed." in result.stdout
    assert result.returncode == 1


def test_without_the_ollama_command_the_pull_is_only_shown(tmp_path: Path, ollama: OllamaFake) -> None:
    config = _write_config(tmp_path / "config.json", {"provider": "ollama", "model": "qwen2.5:0.5b",
                                                      "provider_endpoints": {"ollama": ollama.base_url}}, 0o600)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env_path = f"{empty}{os.pathsep}/usr/bin{os.pathsep}/bin"
    env = base_env()
    env["PATH"] = env_path
    result = subprocess.run([sys.executable, "-m", "perspt_doctor", "doctor", "--config", str(config), "--only",
                             "ollama.models", "--fix"], input="y\n", env=env, capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert "the `ollama` command is not on PATH here" in result.stdout
    assert not any(r.path == "/api/pull" for r in ollama.requests)
    assert result.returncode == 1


def test_json_output_stays_one_document(tmp_path: Path) -> None:
    config = _write_config(tmp_path / "config.json", {"provider": "openai", "api_key": "sk-" + "c3" * 24}, 0o640)
    result = _doctor(config, "--only", "security.config_permissions", "--fix", "--json")
    doc = json.loads(result.stdout)
    assert doc["checks"][0]["status"] == "fail"
    assert "security.config_permissions: fail -> ok" in result.stderr
    assert result.returncode == 0


def test_dry_run_needs_fix(tmp_path: Path) -> None:
    config = _write_config(tmp_path / "config.json", {"provider": "openai"}, 0o600)
    result = _doctor(config, "--dry-run")
    assert result.returncode == 2 and "--dry-run only makes sense with --fix" in result.stderr
