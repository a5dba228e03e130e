"""A third-party plugin is a peer of the built-in checks: it reads a shared service, declares a fix that
`perspt doctor --fix` applies (after a yes, or with -y; `--dry-run` only says what it would do), and
brings its own category, which sorts after the built-in ones. All through the real command line."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema

from .conftest import perspt
from .test_cli import SCHEMA

CHECK = "example_plugin.marker"


def _doctor(marker: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "perspt_doctor", "doctor", "--offline", "--only", CHECK, *args],
                          input=stdin, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PERSPT_EXAMPLE_MARKER": str(marker)})


def test_dry_run_says_what_the_plugin_fix_would_do_and_does_nothing(with_plugin: Path, tmp_path: Path) -> None:
    marker = tmp_path / "sub" / "marker"
    result = _doctor(marker, "--fix", "--dry-run", stdin="y\n")
    assert f"{CHECK}: would create the empty file {marker} (mode 600): touch {marker}" in result.stdout
    assert "(asks first)" in result.stdout and "Dry run: nothing was changed" in result.stdout
    assert not marker.exists() and not marker.parent.exists()
    assert result.returncode == 0, result.stdout + result.stderr


def test_yes_applies_the_plugin_fix_and_reruns_its_check(with_plugin: Path, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    result = _doctor(marker, "--fix", "-y")
    assert marker.is_file() and stat.S_IMODE(marker.stat().st_mode) == 0o600
    assert f"✓ touch {marker} && chmod 600 {marker}" in result.stdout
    assert f"{CHECK}: warn -> ok" in result.stdout
    assert "Run `" not in result.stderr, "-y must not ask"
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_plugin_fix_asks_first_and_a_no_changes_nothing(with_plugin: Path, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    declined = _doctor(marker, "--fix", stdin="n\n")
    assert f"Run `touch {marker} && chmod 600 {marker}` (create the marker file {marker})?" in declined.stderr
    assert "skipped: touch" in declined.stdout and "Nothing was changed." in declined.stdout
    assert not marker.exists()
    accepted = _doctor(marker, "--fix", stdin="y\n")
    assert marker.is_file() and f"{CHECK}: warn -> ok" in accepted.stdout


def test_the_plugin_reads_the_shared_service_and_its_fix_is_in_the_json(with_plugin: Path, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    result = _doctor(marker, "--json", "--only", "runtime.python")
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    rows = {row["id"]: row for row in doc["checks"]}
    row = rows[CHECK]
    assert row["status"] == "warn" and row["category"] == "example_plugin"
    assert row["fix_commands"] == [f"touch {marker} && chmod 600 {marker}"]
    assert row["facts"]["ram_total"] > 0 and row["facts"]["same_snapshot"] is True
    assert [r["id"] for r in doc["checks"]] == ["runtime.python", CHECK], "a plugin category sorts after the built-ins"


def test_without_the_plugin_the_category_is_unknown_but_harmless(tmp_path: Path) -> None:
    result = perspt("doctor", "--list-checks", "--only", "runtime.python")
    assert result.returncode == 0 and "example_plugin" not in result.stdout
