"""`perspt doctor` as users and scripts run it: exit codes, one JSON document valid against the
shipped schema, plain output off a TTY, read-only runs, suppressions, history and --diff."""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from .conftest import perspt

SCHEMA = json.loads(resources.files("perspt_doctor").joinpath("schemas/doctor.schema.json").read_text())


def doc_of(stdout: str) -> dict:
    doc = json.loads(stdout)  # exactly one document: json.loads rejects anything after it
    jsonschema.validate(doc, SCHEMA)
    return doc


def test_plugin_run_json_is_one_valid_document_with_every_outcome(with_plugin: Path) -> None:
    result = perspt("doctor", "--json", "--offline", "--only", "example.*", "--provider", "groq")
    assert result.returncode == 1, result.stderr
    doc = doc_of(result.stdout)
    rows = {c["id"]: c for c in doc["checks"]}
    assert rows["example.raises"]["status"] == "error"
    assert rows["example.hangs"]["status"] == "error"
    assert rows["example.blocking_hang"]["status"] == "error"
    assert rows["example.blocked"]["summary"] == "blocked by example.fails: NXDOMAIN for example.invalid"
    assert rows["example.chained"]["blocked_by"] == "example.fails"
    assert rows["example.hello.groq"]["provider"] == "groq"
    assert rows["example.ok"]["facts"] == {"answer": 42}
    assert [c["id"] for c in doc["checks"]] == sorted(rows)  # one category: ordered by id
    assert doc["summary"] == {"status": "fail", "counts": {"ok": 2, "warn": 1, "fail": 1, "skip": 2, "error": 3},
                              "suppressed": 0}
    assert "noise from a plugin" in result.stderr  # a printing plugin cannot corrupt stdout


@pytest.mark.parametrize("args, code", [
    (["--only", "example.ok"], 0), (["--only", "example.prints"], 0), (["--only", "example.prints", "--strict"], 1),
    (["--only", "example.fails"], 1), (["--only", "example.raises"], 3), (["--only", "exmple.ok"], 2),
    (["--provider", "opnai"], 2)])
def test_exit_codes(with_plugin: Path, args: list[str], code: int) -> None:
    result = perspt("doctor", "--offline", *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    if code == 2:
        assert "did you mean" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(("option", "pattern", "suggestion"), [
    ("--only", "dsn.*", "'dns.*'"), ("--skip", "tsl.*", "'tls.*'"), ("--skip", "keys.opnai", "'keys.openai'")])
def test_a_pattern_that_matches_no_check_is_a_usage_error_for_only_and_skip(option: str, pattern: str,
                                                                            suggestion: str) -> None:
    result = perspt("doctor", "--offline", option, pattern)
    assert result.returncode == 2, result.stdout
    assert f"Invalid value for {option}: {pattern!r} matches no check (did you mean {suggestion}?)" in result.stderr


def test_nothing_checked_is_said_and_never_called_no_problems() -> None:
    nothing = perspt("doctor", "--offline", "--skip", "*")
    assert nothing.returncode == 0
    assert "Nothing was checked: no check was selected" in nothing.stdout and "No problems" not in nothing.stdout
    skipped = perspt("doctor", "--offline", "--only", "tls.*")
    assert "Nothing was checked: every selected check was skipped" in skipped.stdout
    assert "No problems" not in skipped.stdout


def test_real_offline_run_is_valid_json_and_has_local_checks() -> None:
    result = perspt("doctor", "--json", "--offline")
    doc = doc_of(result.stdout)
    got = {c["id"] for c in doc["checks"]}
    assert {"config.file", "env.keys", "keys.openai", "keyring.backend", "disk.space", "runtime.python"} <= got
    assert doc["offline"] is True and result.returncode == 1  # no key for openai


def _snapshot(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else f"dir {oct(path.stat().st_mode)}"
    return out


def test_a_plain_run_changes_nothing_but_its_run_record(isolated_env: Path, config_home: Path) -> None:
    config_home.mkdir(parents=True)
    (config_home / "config.json").write_text('{"provider": "groq", "api_key": "gsk_' + "a" * 52 + '"}')
    os.chmod(config_home / "config.json", 0o644)
    before = _snapshot(isolated_env)
    result = perspt("doctor", "--offline")
    assert result.returncode == 1, result.stdout  # the world-readable key file fails security
    after = _snapshot(isolated_env)
    added = sorted(set(after) - set(before))
    assert all(p.startswith("state/perspt") for p in added), added
    assert [p for p in added if p.endswith(".json")] and len([p for p in added if p.endswith(".json")]) == 1
    assert {k: v for k, v in after.items() if k in before} == before
    assert "gsk_" not in result.stdout and "chmod 600" in result.stdout


def test_plain_output_off_a_tty_has_no_escape_codes_and_greppable_rows(with_plugin: Path) -> None:
    result = perspt("doctor", "--offline", "--only", "example.*", env={"NO_COLOR": "1"})
    assert "\x1b[" not in result.stdout
    assert "[FAIL] example.fails" in result.stdout
    assert "fix:  $ echo fix" in result.stdout
    assert "Summary: 2 ok, 1 warning, 1 failure, 2 skipped, 3 errors" in result.stdout


def test_suppressions_acknowledge_and_say_how_to_undo(with_plugin: Path, config_home: Path) -> None:
    config_home.mkdir(parents=True)
    (config_home / "config.json").write_text('{"doctor": {"suppress": ["example.fails", "example.prints"]}}')
    result = perspt("doctor", "--offline", "--only", "example.fails", "--only", "example.prints", "--only",
                    "example.ok", "--strict")
    assert result.returncode == 0, result.stdout
    assert "2 suppressed" in result.stdout and "remove those patterns" in result.stdout
    doc = doc_of(perspt("doctor", "--offline", "--json", "--only", "example.fails").stdout)
    assert doc["checks"][0]["suppressed"] is True and doc["summary"]["suppressed"] == 1


def test_history_is_bounded_and_diff_names_what_changed(with_plugin: Path, config_home: Path,
                                                        isolated_env: Path) -> None:
    config_home.mkdir(parents=True)
    (config_home / "config.json").write_text('{"doctor": {"history_size": 3}}')
    for _ in range(2):
        assert perspt("doctor", "--offline", "--only", "example.ok").returncode == 0
    (config_home / "config.json").write_text('{"doctor": {"history_size": 3}, "provider": "nonsense"}')
    result = perspt("doctor", "--offline", "--only", "example.ok", "--only", "config.*", "--diff")
    assert "Changes since the last run without failures" in result.stdout
    assert "config.schema: new (fail)" in result.stdout
    doc = doc_of(perspt("doctor", "--offline", "--json", "--diff", "--only", "example.ok").stdout)
    assert doc["diff"]["baseline"] is not None
    runs = list((isolated_env / "state" / "perspt" / "doctor-runs").glob("*.json"))
    assert len(runs) == 3


def test_list_checks_shows_instances_and_origins(with_plugin: Path) -> None:
    result = perspt("doctor", "--list-checks", "--provider", "groq", "--provider", "gemini")
    assert result.returncode == 0
    assert "keys.groq" in result.stdout and "keys.google" in result.stdout
    assert "[plugin:perspt-doctor-example-plugin]" in result.stdout
