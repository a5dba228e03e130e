"""Every malformed config in tests/malformed_configs gets one line naming file, line and column, a
stable code, a hint where the mistake is a common one, no traceback, and the file stays byte-for-byte
the same whatever command reads it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from perspt_doctor.settings import Flags, load_settings
from perspt_doctor.settings.diagnostics import ConfigError
from perspt_doctor.settings.loader import MAX_CONFIG_BYTES, read_config, validate_loaded

CORPUS = Path(__file__).resolve().parent.parent / "malformed_configs"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["cases"]


def _materialise(name: str, tmp_path: Path) -> Path:
    if name == "GENERATED:too_large":
        target = tmp_path / "huge.json"
        target.write_bytes(b'{"system_prompt": "' + b"x" * (MAX_CONFIG_BYTES + 10) + b'"}')
        return target
    if name == "GENERATED:too_deep":
        target = tmp_path / "deep.json"
        target.write_text('{"a":' * 50_000 + "1" + "}" * 50_000, encoding="utf-8")
        return target
    target = tmp_path / name
    target.write_bytes((CORPUS / name).read_bytes())
    return target


def _first_diagnostic(path: Path):  # type: ignore[no-untyped-def]
    try:
        loaded = read_config(path)
    except ConfigError as exc:
        return exc.diagnostic
    validate_loaded(loaded)
    assert loaded.all_diagnostics, f"{path.name}: no diagnostic at all"
    return loaded.all_diagnostics[0]


def test_corpus_is_big_enough_and_every_file_is_listed() -> None:
    files = {p.name for p in CORPUS.glob("*.json")} - {"manifest.json"}
    assert len(MANIFEST) >= 40
    assert files == {name for name in MANIFEST if not name.startswith("GENERATED:")}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_diagnosis_names_code_and_location(name: str, tmp_path: Path) -> None:
    expected = MANIFEST[name]
    path = _materialise(name, tmp_path)
    diag = _first_diagnostic(path)
    assert (diag.code, diag.severity) == (expected["code"], expected["severity"])
    assert (diag.line, diag.column) == (expected["line"], expected["column"])
    if "key_path" in expected:
        assert diag.key_path == expected["key_path"]
    line = diag.one_line()
    assert "\n" not in line
    assert line.startswith(f"{path}:{expected['line']}:{expected['column']}")
    if "hint_contains" in expected:
        assert diag.hint and expected["hint_contains"] in diag.hint, line


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_cli_gives_one_line_and_leaves_the_file_alone(
        name: str, tmp_path: Path, perspt: Callable[..., object]) -> None:
    path = _materialise(name, tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    expected = MANIFEST[name]
    for args in (["config", "validate"], ["config", "show"], ["--validate-config", "--fix-issues", "--dry-run"]):
        result = perspt(["--config", str(path), *args])
        assert "Traceback" not in result.output, result.output
        location = f"{path.name}:{expected['line']}:{expected['column']}"
        matching = [ln for ln in result.output.splitlines() if location in ln]
        assert matching, (args, result.output)
        if expected["severity"] == "error":
            assert result.code in (1, 2), (args, result.code)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no backup, no temp file


def test_loading_settings_raises_one_line_config_error(tmp_path: Path) -> None:
    path = _materialise("trailing_comma_object.json", tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_settings(Flags(config=str(path)), env={}, use_keyring=False)
    assert str(caught.value).startswith(f"{path}:3:25: error: invalid JSON: trailing comma")


def test_several_errors_are_counted_in_the_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"timeout": "30", "stream": "yes", "retry_attempts": -4}', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(Flags(config=str(path)), env={}, use_keyring=False)
    assert "[and 2 more: run `perspt config validate`]" in str(caught.value)
    assert len(caught.value.all_diagnostics) == 3


def test_debug_adds_the_traceback_for_a_config_error(tmp_path: Path, perspt: Callable[..., object]) -> None:
    path = _materialise("missing_comma.json", tmp_path)
    plain = perspt(["--config", str(path), "config", "show"])
    debug = perspt(["--debug", "--config", str(path), "config", "show"])
    assert "Traceback" not in plain.output and plain.code == 2
    assert "Traceback" in debug.stderr


def test_no_config_ignores_a_broken_file(tmp_path: Path, perspt: Callable[..., object],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = _materialise("comment_line.json", tmp_path)
    monkeypatch.setenv("PERSPT_CONFIG", str(path))
    result = perspt(["--no-config", "config", "show", "--json"])
    assert result.code == 0, result.output
    assert json.loads(result.stdout)["config_file"] is None


def test_no_config_with_a_config_flag_is_a_usage_error(tmp_path: Path, perspt: Callable[..., object]) -> None:
    path = _materialise("comment_line.json", tmp_path)
    result = perspt(["--config", str(path), "--no-config", "config", "show"])
    assert result.code == 2
    assert "--no-config and --config contradict each other" in result.stderr


def test_unreadable_file_is_diagnosed(tmp_path: Path) -> None:
    """As root every file is readable, so there the reading runs as `nobody` (setpriv, util-linux)."""
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="perspt-unreadable-"))
    folder.chmod(0o755)
    path = folder / "config.json"
    path.write_text("{}", encoding="utf-8")
    os.chmod(path, 0)
    try:
        if not os.access(path, os.R_OK):
            with pytest.raises(ConfigError) as caught:
                read_config(path)
            assert caught.value.diagnostic.code == "unreadable"
            return
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to drop root for this test"
        # `nobody` may not be allowed into the checkout (a clone under /root): it imports a readable copy.
        import perspt_doctor

        shutil.copytree(Path(perspt_doctor.__file__).parent, folder / "lib" / "perspt_doctor",
                        ignore=shutil.ignore_patterns("__pycache__"))
        code = ("import sys\nfrom perspt_doctor.settings.loader import read_config\n"
                "from perspt_doctor.settings.diagnostics import ConfigError\n"
                "try:\n    read_config(__import__('pathlib').Path(sys.argv[1]))\n"
                "except ConfigError as exc:\n    print(exc.diagnostic.code, '|', exc)\n")
        done = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                               code, str(path)], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "HOME": str(folder), "PYTHONPATH": str(folder / "lib")})
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("unreadable | "), done.stdout
        assert "permission denied" in done.stdout and "chmod 600" in done.stdout
    finally:
        os.chmod(path, 0o600)
        shutil.rmtree(folder)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        read_config(tmp_path)
    assert caught.value.diagnostic.code == "is-directory"


def test_explicit_missing_file_is_an_error_default_missing_is_not(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(Flags(config=str(tmp_path / "nope.json")), env={}, use_keyring=False)
    assert caught.value.diagnostic.code == "not-found"
    settings = load_settings(Flags(), env={"XDG_CONFIG_HOME": str(tmp_path)}, use_keyring=False)
    assert settings.config is not None and not settings.config.exists
