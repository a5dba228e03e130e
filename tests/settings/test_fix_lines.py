"""Fix lines that fix something (issue 13 item 10): no `fix:` line names a command that only reads;
`doctor --fix` applies the config file's own fixes (legacy renames) that `config validate --fix-issues`
applies; a dry run says "would" and changes nothing; a row that is ok gets no fix applied."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.settings.conftest import CliResult

Perspt = Callable[..., CliResult]


def doctor_rows(perspt: Perspt, *args: str) -> dict[str, Any]:
    done = perspt([*args, "doctor", "--offline", "--only", "config.*", "--json"])
    return {row["id"]: row for row in json.loads(done.stdout)["checks"]}


def commands(row: dict[str, Any]) -> list[str]:
    return list(row.get("fix_commands") or [])


def test_invalid_json_offers_no_read_only_fix(perspt: Perspt, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"provider": "openai",,}')
    rows = doctor_rows(perspt, "--config", str(path))
    assert rows["config.file"]["status"] == "fail"
    assert "perspt config validate" not in commands(rows["config.file"])


def test_schema_error_offers_no_read_only_fix(perspt: Perspt, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"provider": "openai", "temperature": "hot"}))
    rows = doctor_rows(perspt, "--config", str(path))
    assert rows["config.schema"]["status"] == "fail"
    assert "perspt config validate" not in commands(rows["config.schema"])


def test_doctor_fix_renames_legacy_keys_and_dry_run_says_would(perspt: Perspt, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    original = json.dumps({"provider_type": "openai", "default_model": "gpt-4o-mini"})
    path.write_text(original)
    path.chmod(0o600)
    dry = perspt(["--config", str(path), "doctor", "--offline", "--only", "config.*", "--fix", "--dry-run"])
    assert "would rename `provider_type` to `provider`" in dry.stdout, dry.output
    assert "renamed" not in dry.stdout
    assert path.read_text() == original
    done = perspt(["--config", str(path), "doctor", "--offline", "--only", "config.*", "--fix", "--yes"])
    assert json.loads(path.read_text()) == {"provider": "openai", "model": "gpt-4o-mini"}, done.output
    assert "config.schema: warn -> ok" in done.stdout, done.stdout
    assert list(tmp_path.glob("config.json.*")), "a dated backup"


def test_fix_leaves_ok_rows_alone(perspt: Perspt, tmp_path: Path) -> None:
    """A fresh home: disk.space is ok though its directories do not exist yet; --fix plans nothing for it."""
    dry = perspt(["--no-config", "doctor", "--offline", "--only", "disk.space", "--fix", "--dry-run"])
    assert "1 check passed: disk" in dry.stdout, dry.output
    assert "mkdir" not in dry.stdout and "would create" not in dry.stdout, dry.stdout
