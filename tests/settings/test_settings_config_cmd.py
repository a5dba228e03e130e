"""`perspt config ...` and the guide's flags that alias it. Every write: atomic, dated backup, 0600 with a key."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from perspt_doctor import paths
from perspt_doctor.settings import keystore

BACKUP = re.compile(r"^config\.json\.backup\.\d{8}-\d{6}(-\d+)?$")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _backups(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if BACKUP.match(p.name))


def test_path_lists_every_location_and_the_reason(perspt: Callable[..., object], tmp_path: Path) -> None:
    result = perspt(["config", "path"])
    assert result.code == 0
    assert f"config file in use: {paths.default_config_file()} (chosen by default location; does not exist" in result.stdout
    for name, location in paths.all_locations().items():
        assert any(line.startswith(name) and line.endswith(str(location)) for line in result.stdout.splitlines()), name
    other = tmp_path / "x.json"
    assert "chosen by --config" in perspt(["config", "--config", str(other), "path"]).stdout
    assert "chosen by --config" in perspt(["--config", str(other), "config", "path"]).stdout


def test_create_then_refuse_then_force_with_backup(perspt: Callable[..., object], config_home: Path) -> None:
    target = config_home / "config.json"
    first = perspt(["--create-config"])
    assert first.code == 0, first.output
    data = json.loads(target.read_text())
    assert data["provider"] == "openai" and "api_key" not in data
    again = perspt(["--create-default-config"])
    assert again.code == 1 and "already exists" in again.stderr
    assert _backups(config_home) == []
    forced = perspt(["--provider-type", "groq", "config", "create", "--force"])
    assert forced.code == 0
    assert json.loads(target.read_text())["provider"] == "groq"
    [backup] = _backups(config_home)
    assert json.loads(backup.read_text())["provider"] == "openai"


def test_show_lists_sources_and_masks_keys(perspt: Callable[..., object], config_home: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    config_home.mkdir(parents=True)
    secret_file_key = "file-key-0123456789-ZZ"
    (config_home / "config.json").write_text(json.dumps(
        {"provider": "openai", "model": "gpt-4o", "timeout": 12, "api_key": secret_file_key}))
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-9876543210-YY")
    monkeypatch.setenv("PERSPT_TIMEOUT", "45")
    result = perspt(["--model", "gpt-4.1", "config", "show", "--json"])
    assert result.code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["settings"]["model"]["origin"] == "command line"
    assert doc["settings"]["timeout"] == {"value": 45, "source": "environment", "origin": "PERSPT_TIMEOUT (environment)"}
    [openai] = [k for k in doc["keys"] if k["provider"] == "openai"]
    assert openai["key"] == "…0-YY" and openai["origin"] == "OPENAI_API_KEY (environment)"
    assert openai["shadowed"] == [{"origin": "config.json: api_key", "differs": True}]
    text = perspt(["config", "show"])
    assert "PERSPT_TIMEOUT (environment)" in text.stdout
    for output in (result.output, text.output):
        assert secret_file_key not in output and "env-key-9876543210-YY" not in output


def test_validate_fix_issues_dry_run_then_apply(perspt: Callable[..., object], tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    key = "plain-file-key-000111222"
    original = json.dumps({"provider_type": "mistral", "default_model": "mistral-small-latest", "api_key": key})
    path.write_text(original)
    path.chmod(0o644)
    dry = perspt(["--config", str(path), "--validate-config", "--fix-issues", "--dry-run"])
    assert dry.code == 0, dry.output
    for step in ("would rename `provider_type` to `provider`", "would move the mistral key (api_key) into the OS keyring",
                 "would set the file mode to 600"):
        assert step in dry.stdout
    assert "renamed" not in dry.stdout and "removed" not in dry.stdout
    assert path.read_text() == original and _mode(path) == 0o644
    declined = perspt(["--config", str(path), "config", "validate", "--fix-issues"], input="n\n")
    assert "keys left in the file" in declined.stdout
    assert json.loads(path.read_text())["api_key"] == key and _mode(path) == 0o600
    applied = perspt(["--config", str(path), "config", "validate", "--fix-issues"], input="y\n")
    assert applied.code == 0, applied.output
    assert json.loads(path.read_text()) == {"provider": "mistral", "model": "mistral-small-latest"}
    assert keystore.get_key("mistral") == key
    assert len(_backups(tmp_path)) == 2
    assert all(_mode(b) == 0o600 for b in _backups(tmp_path))
    assert key not in dry.output + declined.output + applied.output
    clean = perspt(["--config", str(path), "config", "validate", "--fix-issues"])
    assert "nothing to fix" in clean.stdout


def test_fix_issues_only_chmods_when_nothing_else_is_wrong(perspt: Callable[..., object], tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"provider": "openai", "proxy": "http://me:pw-secret-77@127.0.0.1:3128"}))
    path.chmod(0o664)
    before = path.read_bytes()
    result = perspt(["--config", str(path), "config", "validate", "--fix-issues"])
    assert result.code == 0, result.output
    assert _mode(path) == 0o600 and path.read_bytes() == before
    assert "pw-secret-77" not in result.output


def test_validate_exit_codes(perspt: Callable[..., object], tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text('{"provider": "openai", "modle": "x"}')
    warned = perspt(["--config", str(good), "config", "validate"])
    assert warned.code == 0 and "did you mean `model`" in warned.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"timeout": "ten"}')
    assert perspt(["--config", str(bad), "config", "validate"]).code == 1
    assert "no config file" in perspt(["config", "validate"]).stdout


def test_migrate(perspt: Callable[..., object], tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"provider_type": "openai", "default_provider": "claude", "default_model": "gpt-4o",
                                "providers": {"openai": "https://api.openai.com/v1"}}))
    dry = perspt(["--config", str(path), "config", "migrate", "--dry-run"])
    assert "removed `default_provider` (already set as `provider_type`)" in dry.stdout
    assert "provider_type" in path.read_text()
    done = perspt(["--config", str(path), "--migrate-config"])
    assert done.code == 0, done.output
    assert json.loads(path.read_text()) == {"provider": "openai", "model": "gpt-4o",
                                            "provider_endpoints": {"openai": "https://api.openai.com/v1"}}
    assert len(_backups(tmp_path)) == 1
    assert "nothing to migrate" in perspt(["--config", str(path), "config", "migrate"]).stdout


def test_from_env_never_copies_keys(perspt: Callable[..., object], config_home: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-" + "q" * 93 + "AA")
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:11435")
    result = perspt(["--config-from-env"])
    assert result.code == 0, result.output
    text = (config_home / "config.json").read_text()
    data = json.loads(text)
    assert data["provider"] == "anthropic" and data["model"]
    assert data["provider_endpoints"] == {"ollama": "http://127.0.0.1:11435"}
    assert "q" * 93 not in text and "q" * 93 not in result.output
    assert "stays in the environment" in result.stdout


def test_reset_asks_and_keeps_a_backup(perspt: Callable[..., object], config_home: Path) -> None:
    config_home.mkdir(parents=True)
    target = config_home / "config.json"
    target.write_text('{"provider": "groq", "model": "mine"}')
    assert perspt(["config", "reset"], input="n\n").code == 1
    assert json.loads(target.read_text())["model"] == "mine"
    assert perspt(["config", "reset"], input="y\n").code == 0
    assert json.loads(target.read_text())["provider"] == "openai"
    [backup] = _backups(config_home)
    assert json.loads(backup.read_text())["model"] == "mine"


def test_setup_wizard_stores_key_in_keyring(perspt: Callable[..., object], config_home: Path) -> None:
    config_home.mkdir(parents=True)
    target = config_home / "config.json"
    target.write_text(json.dumps({"provider": "anthropic", "api_key": "old-plain-key-00000000"}))
    key = "sk-ant-api03-" + "w" * 93 + "AA"
    result = perspt(["--setup"], input=f"antropic\nclaude\nclaude-3-5-haiku-20241022\n{key}\n")
    assert result.code == 0, result.output
    assert "unknown provider 'antropic'; did you mean anthropic? known providers: openai," in result.stdout
    assert json.loads(target.read_text()) == {"provider": "anthropic", "model": "claude-3-5-haiku-20241022"}
    assert keystore.get_key("anthropic") == key
    assert key not in result.output
    assert len(_backups(config_home)) == 1


def test_reconfigure_for_ollama_asks_the_base_url(perspt: Callable[..., object], config_home: Path) -> None:
    result = perspt(["--reconfigure"], input="ollama\nllama3.2:3b\nhttp://127.0.0.1:11500\n")
    assert result.code == 0, result.output
    data = json.loads((config_home / "config.json").read_text())
    assert data == {"provider": "ollama", "model": "llama3.2:3b",
                    "provider_endpoints": {"ollama": "http://127.0.0.1:11500"}}
    assert _mode(config_home / "config.json") == 0o600


def test_a_key_in_the_file_means_mode_600(tmp_path: Path) -> None:
    from perspt_doctor.settings.writer import write_config

    path = tmp_path / "config.json"
    assert write_config(path, {"provider": "openai"}).mode == 0o600, "a new file is private from the start"
    path.chmod(0o644)
    assert write_config(path, {"provider": "ollama"}).mode == 0o644, "a file without a key keeps its mode"
    written = write_config(path, {"provider": "openai", "api_key": "k-0000000000"})
    assert written.mode == 0o600 and _mode(path) == 0o600
    assert written.backup is not None and json.loads(written.backup.read_text()) == {"provider": "ollama"}


def test_the_seed_flags_take_their_subcommands_modifiers(perspt: Callable[..., object], tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    key = "plain-file-key-333444555"
    path.write_text(json.dumps({"provider_type": "mistral", "api_key": key}))
    applied = perspt(["--config", str(path), "--validate-config", "--fix-issues", "-y"])
    assert applied.code == 0, applied.output
    assert json.loads(path.read_text()) == {"provider": "mistral"} and keystore.get_key("mistral") == key
    assert perspt(["--config", str(path), "--create-config"]).code != 0, "an existing file is kept without --force"
    forced = perspt(["--config", str(path), "--create-config", "--force"])
    assert forced.code == 0, forced.output
    assert json.loads(path.read_text())["provider"] == "openai" and len(_backups(tmp_path)) == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--force"], "--force only works with --create-config"),
    (["--yes"], "--yes only works with --validate-config"),
    (["--fix-issues"], "--fix-issues only works with --validate-config"),
    (["--create-config", "--fix-issues"], "--fix-issues only works with --validate-config"),
])
def test_a_modifier_without_its_flag_is_a_usage_error(perspt: Callable[..., object], args: list[str],
                                                     message: str) -> None:
    result = perspt(args)
    assert result.code == 2 and message in result.stderr


def test_created_file_names_its_schema_and_stays_private(perspt: Callable[..., object], config_home: Path) -> None:
    created = perspt(["config", "create"])
    assert created.code == 0, created.output
    target = config_home / "config.json"
    assert _mode(target) == 0o600, "a key added later must not be world-readable"
    document = json.loads(target.read_text())
    schema_uri = document["$schema"]
    assert schema_uri.startswith("file://")
    schema = json.loads(Path(schema_uri.removeprefix("file://")).read_text())
    assert "$schema" in schema["properties"] and "provider" in schema["properties"]
    validated = perspt(["config", "validate"])
    assert validated.code == 0 and "unknown key" not in validated.output, validated.output
    document["api_key"] = "sk-added-later-0000000000000000"
    target.write_text(json.dumps(document))
    doctor = perspt(["doctor", "--offline", "--only", "security.config_permissions"])
    assert doctor.code == 0, doctor.output


def test_an_unknown_dollar_key_is_still_unknown(perspt: Callable[..., object], tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"$schemas": "x", "provider": "openai"}))
    result = perspt(["--config", str(path), "config", "validate"])
    assert "unknown key `$schemas`" in result.output


def test_setup_answers_from_a_pipe_that_ends_are_a_usage_error(perspt: Callable[..., object],
                                                               config_home: Path) -> None:
    """Not the "Aborted." (130) of a Ctrl+C nobody pressed; nothing is written."""
    result = perspt(["config", "setup"], input="openai\n")
    assert result.code == 2, result.output
    assert "Error: standard input ended before the question 'Model' was answered" in result.output
    assert "Aborted" not in result.output
    assert not (config_home / "config.json").exists()


def test_setup_gives_up_after_five_answers_that_are_not_a_provider(perspt: Callable[..., object],
                                                                   config_home: Path) -> None:
    """`yes nope | perspt config setup` asked for ever."""
    result = perspt(["config", "setup"], input="nope\n" * 1000)
    assert result.code == 2, result.output
    assert result.output.count("Provider [") == 5
    assert "Error: unknown provider 'nope' (5 answers in a row were not a provider)" in result.output
    assert not (config_home / "config.json").exists()
