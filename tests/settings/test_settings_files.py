"""Atomic writes with dated backups, the shipped JSON Schema, and the rotating, redacting log."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import jsonschema
import pytest

from perspt_doctor import fsutil, paths
from perspt_doctor.settings import Flags, load_settings
from perspt_doctor.settings.schema import config_json_schema

SEED_EXAMPLES = [
    {"provider_type": "openai", "default_model": "gpt-4o-mini", "stream_timeout": 30, "retry_attempts": 3,
     "buffer_size": 1024},
    {"provider": "openai", "api_key": "sk-...", "model": "gpt-4"},
    {"provider_type": "ollama", "base_url": "http://localhost:11434",
     "options": {"num_gpu": 1, "num_thread": 8, "num_ctx": 4096, "temperature": 0.7, "top_p": 0.9}},
    {"performance": {"max_tokens": 1000, "stream": True, "timeout": 15, "parallel_requests": 2,
                     "cache_responses": True}},
    {"debug": {"enabled": True, "log_level": "trace", "log_file": "~/.config/perspt/debug.log"}},
    {"fallback_chain": [{"provider_type": "openai", "model": "gpt-4o-mini", "on_failure": "next"},
                        {"provider_type": "ollama", "model": "llama3.2:8b", "on_failure": "fail"}]},
]


def test_atomic_write_keeps_a_dated_backup(tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    assert fsutil.atomic_write(target, "one") is None
    backup = fsutil.atomic_write(target, "two")
    assert backup is not None and re.fullmatch(r"config\.json\.backup\.\d{8}-\d{6}", backup.name)
    assert (backup.read_text(), target.read_text()) == ("one", "two")
    second = fsutil.atomic_write(target, "three")
    assert second is not None and second != backup and second.read_text() == "two"


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "config.json"
    target.write_text("old")

    def broken_replace(_src: str, _dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        fsutil.atomic_write(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_shipped_json_schema_is_valid() -> None:
    """Its being current is tests/docs/test_docs_site.py's test (scripts/gen_docs.py writes it)."""
    shipped = Path(paths.__file__).parent / "schemas" / "config.schema.json"
    jsonschema.Draft202012Validator.check_schema(json.loads(shipped.read_text(encoding="utf-8")))


@pytest.mark.parametrize("example", SEED_EXAMPLES)
def test_seed_examples_pass_the_schema_and_the_validator(example: dict[str, object]) -> None:
    from perspt_doctor.settings.schema import validate

    jsonschema.validate(example, config_json_schema(), cls=jsonschema.Draft202012Validator)
    assert [d for d in validate(example) if d.severity == "error"] == []


@pytest.mark.parametrize("bad", [{"timeout": "30"}, {"modle": "x"}, {"network": {"verify_tls": "no"}},
                                 {"retry_attempts": -1}, {"fallback_chain": ["openai"]}])
def test_schema_rejects_what_the_validator_flags(bad: dict[str, object]) -> None:
    from perspt_doctor.settings.schema import validate

    assert validate(bad)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, config_json_schema(), cls=jsonschema.Draft202012Validator)


def _app(tmp_path: Path, data: dict[str, object], **kw: object):  # type: ignore[no-untyped-def]
    from perspt_doctor.cli.app_context import AppContext

    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    app = AppContext(flags=Flags(config=str(path)))
    for name, value in kw.items():
        setattr(app, name, value)
    app._settings = load_settings(app.flags, env={}, use_keyring=False)
    return app


def test_log_file_rotates_by_size_and_is_redacted(tmp_path: Path) -> None:
    from perspt_doctor.logs import configure_logging, get_logger

    secret = "planted-log-secret-4242"
    app = _app(tmp_path, {"api_key": secret, "resource_limits": {"log_rotation_size": 4096}})
    configure_logging(app)
    log = get_logger("test")
    for n in range(200):
        log.info("request %d sent with key %s and Authorization: Bearer %s", n, secret, "abcdefghijklmnop")
    try:
        raise RuntimeError(f"boom {secret}")
    except RuntimeError:
        log.exception("failed")
    for handler in logging.getLogger("perspt").handlers:
        handler.flush()
    files = sorted(paths.log_dir().glob("perspt.log*"))
    assert paths.log_file() in files and len(files) >= 2
    assert all(f.stat().st_size <= 4096 + 300 for f in files)
    text = "".join(f.read_text() for f in files)
    assert secret not in text and "abcdefghijklmnop" not in text
    assert "[REDACTED]" in text and "RuntimeError: boom [REDACTED]" in text
    logging.getLogger("perspt").handlers.clear()


def test_log_level_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from perspt_doctor.logs import configure_logging, get_logger

    configure_logging(_app(tmp_path, {}, log_level="debug"))
    get_logger("t").debug("debug line visible")
    assert "perspt: DEBUG perspt.t: debug line visible" in capsys.readouterr().err
    configure_logging(_app(tmp_path, {}, verbose=True))
    get_logger("t").debug("hidden debug")
    get_logger("t").info("info line")
    err = capsys.readouterr().err
    assert "hidden debug" not in err and "info line" in err
    configure_logging(_app(tmp_path, {}))
    get_logger("t").warning("quiet console")
    assert "quiet console" not in capsys.readouterr().err
    assert "quiet console" in paths.log_file().read_text()
    logging.getLogger("perspt").handlers.clear()


def test_debug_log_file_from_config(tmp_path: Path) -> None:
    from perspt_doctor.logs import configure_logging, get_logger

    target = tmp_path / "debug.log"
    configure_logging(_app(tmp_path, {"debug": {"enabled": True, "log_level": "trace", "log_file": str(target)}}))
    get_logger("t").debug("traced detail")
    for handler in logging.getLogger("perspt").handlers:
        handler.flush()
    assert "traced detail" in target.read_text()
    logging.getLogger("perspt").handlers.clear()


@pytest.mark.parametrize(("data", "secrets"), [
    ({"provider": "openai"}, []),
    ({"api_key": "  "}, []),
    ({"api_key": "sk-x", "api_keys": {"groq": "gsk_y", "mistral": ""}}, ["api_key", "api_keys.groq"]),
    ({"proxy": "http://proxy.corp:3128"}, []),
    ({"proxy": "http://me@proxy.corp:3128"}, []),
    ({"proxy": {"https": "http://me:pw@proxy.corp:3128"}}, ["proxy (password in the URL)"]),
    ({"proxy": "me:pw@proxy.corp:3128"}, ["proxy (password in the URL)"]),
])
def test_one_secret_test_names_what_the_file_holds(data: dict[str, object], secrets: list[str],
                                                   tmp_path: Path) -> None:
    """The writer's file mode and the security check read the same answer."""
    from perspt_doctor.settings.writer import SECRET_MODE, holds_secret, write_config

    assert holds_secret(data) == secrets
    if os.name == "posix":
        existing = tmp_path / "config.json"
        existing.write_text("{}")
        os.chmod(existing, 0o644)
        written = write_config(existing, data)
        assert (written.mode == SECRET_MODE) is bool(secrets)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_make_private_is_the_one_chmod_600(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{}")
    os.chmod(path, 0o644)
    assert fsutil.make_private(path) is True and path.stat().st_mode & 0o777 == 0o600
    assert fsutil.make_private(path) is False
    os.chmod(path, 0o400)
    assert fsutil.make_private(path) is False and path.stat().st_mode & 0o777 == 0o400
