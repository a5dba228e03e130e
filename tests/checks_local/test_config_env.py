from __future__ import annotations

from pathlib import Path

from perspt_doctor.api import Status
from perspt_doctor.settings.resolve import Flags

from .conftest import run_check, settings_with_file


def write(config_home: Path, text: str) -> Path:
    config_home.mkdir(parents=True, exist_ok=True)
    path = config_home / "config.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_file_missing_is_fine(config_home: Path) -> None:
    result = run_check("config.file")
    assert result.status is Status.OK and result.summary.startswith("no config file at")


def test_config_file_found(config_home: Path) -> None:
    write(config_home, '{"provider": "openai", "model": "gpt-4o-mini"}')
    result = run_check("config.file")
    assert result.status is Status.OK and "2 settings" in result.summary and "default location" in result.summary


def test_config_file_syntax_error_has_line_and_column(config_home: Path) -> None:
    path = write(config_home, '{\n  "provider": "openai",\n  "model": "gpt-4o-mini",\n}\n')
    result = run_check("config.file", settings=settings_with_file(path))
    assert result.status is Status.FAIL
    assert f"{path}:3:" in result.summary and "trailing comma" in result.summary
    assert result.hint and "comma" in result.hint
    assert "perspt config validate" not in result.commands(), "validate only reads: it fixes nothing"


def test_config_file_named_by_flag_but_missing(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = run_check("config.file", settings=settings_with_file(missing))
    assert result.status is Status.FAIL and "not found" in result.summary
    assert result.fix_commands == ["perspt config create"]


def test_config_file_bom_warns(config_home: Path) -> None:
    write(config_home, '\ufeff{"provider": "openai"}')
    result = run_check("config.file")
    assert result.status is Status.WARN and "byte-order mark" in result.summary
    assert result.hint and "BOM" in result.hint


def test_config_file_skipped_with_no_config(config_home: Path) -> None:
    write(config_home, "{")
    assert run_check("config.file", flags=Flags(no_config=True)).status is Status.SKIP


def test_config_schema_ok(config_home: Path) -> None:
    write(config_home, '{"provider": "groq", "timeout": 30}')
    result = run_check("config.schema")
    assert result.status is Status.OK and result.summary == "2 settings, all valid"


def test_config_schema_wrong_type_fails_with_position(config_home: Path) -> None:
    path = write(config_home, '{\n  "provider": "openai",\n  "timeout": "30"\n}\n')
    result = run_check("config.schema", settings=settings_with_file(path))
    assert result.status is Status.FAIL
    assert result.summary.startswith("line 3:")
    assert result.hint and "without quotes" in result.hint


def test_config_schema_unknown_key_suggests_and_legacy_key_migrates(config_home: Path) -> None:
    write(config_home, '{"provider_type": "openai", "modle": "gpt-4o"}')
    result = run_check("config.schema")
    assert result.status is Status.WARN
    text = " ".join([result.summary, *result.details])
    assert "did you mean `model`" in text and "provider_type" in text
    assert any("rename" in fix.description and "provider_type" in fix.description for fix in result.fixes), \
        "the legacy key is renamed by a declared fix (doctor --fix), not by a command to copy"


def test_config_schema_requires_a_model_for_openai_compatible(config_home: Path) -> None:
    write(config_home, '{"provider": "openai-compatible", "base_url": "http://127.0.0.1:8000/v1"}')
    result = run_check("config.schema")
    assert result.status is Status.FAIL and "`model` is required" in result.summary
    assert result.hint and '"model"' in result.hint


def test_env_keys_nothing_set() -> None:
    result = run_check("env.keys", env={})
    assert result.status is Status.OK and result.summary.startswith("no provider key variables set")


def test_env_keys_lists_what_is_set() -> None:
    result = run_check("env.keys", env={"OPENAI_API_KEY": "sk-proj-abc", "GROQ_API_KEY": "gsk_x"})
    assert result.status is Status.OK and result.summary == "set: GROQ_API_KEY, OPENAI_API_KEY"


def test_env_keys_misspelled_variables() -> None:
    for wrong, right in (("OPENAI_KEY", "OPENAI_API_KEY"), ("CLAUDE_API_KEY", "ANTHROPIC_API_KEY"),
                         ("ANTHROPIC_KEY", "ANTHROPIC_API_KEY"), ("openai_api_key", "OPENAI_API_KEY"),
                         ("GROK_API_KEY", "XAI_API_KEY")):
        result = run_check("env.keys", env={wrong: "sk-something-secret-123"})
        assert result.status is Status.WARN, wrong
        assert result.summary == f"{wrong} is set, but perspt reads {right} and {right} is not set"
        assert result.hint == f'rename it: export {right}="${wrong}" (and unset {wrong})'
        assert "secret" not in result.summary


def test_env_keys_gemini_and_google_disagree() -> None:
    result = run_check("env.keys", env={"GEMINI_API_KEY": "AIza" + "a" * 35, "GOOGLE_API_KEY": "AIza" + "b" * 35})
    assert result.status is Status.WARN
    assert result.summary \
        == "GEMINI_API_KEY (…aaaa) and GOOGLE_API_KEY are both set and differ; perspt uses GEMINI_API_KEY"
    assert result.hint and result.hint.startswith("keep one")


def test_env_keys_proxy_and_ca_typos_but_not_other_tools_variables() -> None:
    result = run_check("env.keys", env={"HTTP_PORXY": "http://127.0.0.1:3128", "NIX_SSL_CERT_FILE": "/x",
                                        "FTP_PROXY": "x", "REQUEST_CA_BUNDLE": "/ca.pem"})
    assert result.status is Status.WARN
    texts = [result.summary, *result.details]
    assert any(t.startswith("HTTP_PORXY looks like a typo of HTTP_PROXY") for t in texts)
    assert any(t.startswith("REQUEST_CA_BUNDLE looks like a typo of REQUESTS_CA_BUNDLE") for t in texts)
    assert not any("NIX_SSL_CERT_FILE" in t or "FTP_PROXY" in t for t in texts)


def test_env_keys_empty_variable() -> None:
    result = run_check("env.keys", env={"OPENAI_API_KEY": ""})
    assert result.status is Status.WARN and result.summary == "OPENAI_API_KEY is set but empty"
    assert result.hint == "set it to your key or unset it: `unset OPENAI_API_KEY`"


def test_config_checks_use_the_file_as_the_settings_layer_read_it(tmp_path: Path) -> None:
    from perspt_doctor.settings.loader import read_config
    from perspt_doctor.settings.resolve import Settings

    path = tmp_path / "config.json"
    path.write_text('{"provider": "openai", "modle": "gpt-4o"}', encoding="utf-8")
    loaded = read_config(path)
    path.unlink()  # a second read would now fail: the checks must not need one
    settings = Settings(flags=Flags(config=str(path)), env={}, config=loaded)
    file_result = run_check("config.file", settings=settings)
    schema_result = run_check("config.schema", settings=settings)
    assert file_result.status is Status.OK and "2 settings" in file_result.summary
    assert schema_result.status is Status.WARN and "modle" in schema_result.summary
    assert len(loaded.validation or []) == 1, "validated once, findings not repeated"
