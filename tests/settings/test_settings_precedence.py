"""flag > environment > keyring (keys only) > config file > default, for every combination of sources,
and each resolved value says where it came from."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from perspt_doctor.settings import Flags, Source, keystore, load_settings

SOURCES = ("flag", "env", "config")


def _write(tmp_path: Path, data: dict[str, object]) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("present", [c for n in range(4) for c in itertools.combinations(SOURCES, n)])
@pytest.mark.parametrize(("setting", "values", "env_text"), [
    ("timeout", {"flag": 11.0, "env": 22, "config": 33}, "22"),
    ("model", {"flag": "m-flag", "env": "m-env", "config": "m-config"}, "m-env"),
    ("network.connect_timeout", {"flag": 1, "env": 2, "config": 3}, "2"),
    ("stream", {"flag": False, "env": True, "config": False}, "yes"),
])
def test_generic_settings(tmp_path: Path, present: tuple[str, ...], setting: str, values: dict[str, object],
                          env_text: str) -> None:
    flags = Flags()
    if "flag" in present:
        if setting in ("timeout", "model", "stream"):
            setattr(flags, setting, values["flag"])
        else:
            flags.extra[setting] = values["flag"]
    env = {"PERSPT_" + setting.upper().replace(".", "_"): env_text} if "env" in present else {}
    data: dict[str, object] = {}
    if "config" in present:
        head, _, tail = setting.partition(".")
        data = {head: {tail: values["config"]}} if tail else {setting: values["config"]}
    flags.config = _write(tmp_path, data)
    settings = load_settings(flags, env=env, use_keyring=False)
    resolved = settings.resolved(setting)
    winner = next((s for s in SOURCES if s in present), None)
    if winner is None:
        assert resolved.source == Source.DEFAULT
        return
    assert resolved.source == {"flag": Source.FLAG, "env": Source.ENV, "config": Source.CONFIG}[winner]
    assert resolved.value == values[winner]
    losers = [s for s in SOURCES if s in present and s != winner]
    assert len(resolved.shadowed) == len(losers)
    expected_origin = {"flag": "command line", "env": f"PERSPT_{setting.upper().replace('.', '_')} (environment)",
                       "config": f"config.json: {setting}"}[winner]
    assert resolved.origin == expected_origin


KEY_SOURCES = ("flag", "env", "keyring", "config")


@pytest.mark.parametrize("present", [c for n in range(5) for c in itertools.combinations(KEY_SOURCES, n)])
def test_key_sources_in_every_order(tmp_path: Path, present: tuple[str, ...]) -> None:
    keys = {s: f"key-from-{s}-0123456789" for s in KEY_SOURCES}
    flags = Flags(provider="anthropic")
    if "flag" in present:
        flags.api_key = keys["flag"]
    env = {"ANTHROPIC_API_KEY": keys["env"]} if "env" in present else {}
    if "keyring" in present:
        keystore.set_key("anthropic", keys["keyring"])
    data: dict[str, object] = {"provider": "anthropic"}
    if "config" in present:
        data["api_key"] = keys["config"]
    flags.config = _write(tmp_path, data)
    settings = load_settings(flags, env=env)
    resolved = settings.key_lookup("anthropic").resolved
    winner = next((s for s in KEY_SOURCES if s in present), None)
    assert settings.key_for("anthropic").value == (keys[winner] if winner else None)
    if winner is None:
        assert resolved.value is None and resolved.origin == "not set"
        return
    assert resolved.value == keys[winner]
    assert resolved.origin == {
        "flag": "--api-key (command line)", "env": "ANTHROPIC_API_KEY (environment)",
        "keyring": "keyring (service perspt, user anthropic)", "config": "config.json: api_key"}[winner]
    assert [s.origin.split(" ")[0] for s in resolved.shadowed] == [
        {"flag": "--api-key", "env": "ANTHROPIC_API_KEY", "keyring": "keyring", "config": "config.json:"}[s]
        for s in KEY_SOURCES if s in present and s != winner]
    assert all(s.differs for s in resolved.shadowed)


def test_the_client_opens_the_keyring_only_when_no_flag_or_variable_has_the_key(tmp_path: Path) -> None:
    asked: list[str] = []

    def keyring_lookup(pid: str) -> str | None:
        asked.append(pid)
        return "key-from-keyring-0123456789"

    from perspt_doctor.settings.resolve import Settings

    with_env = Settings(flags=Flags(), env={"OPENAI_API_KEY": "key-from-env-0123456789"}, config=None,
                        keyring_lookup=keyring_lookup)
    assert with_env.key_for("openai").value == "key-from-env-0123456789" and asked == []
    complete = with_env.key_lookup("openai")
    assert asked == ["openai"] and complete.complete
    assert [s.origin for s in complete.resolved.shadowed] == ["keyring (service perspt, user openai)"]
    without_env = Settings(flags=Flags(), env={}, config=None, keyring_lookup=keyring_lookup)
    assert without_env.key_for("groq").value == "key-from-keyring-0123456789" and asked[-1] == "groq"


@pytest.mark.parametrize(("provider", "primary", "alternate"), [
    ("google", "GEMINI_API_KEY", "GOOGLE_API_KEY"), ("gemini", "GEMINI_API_KEY", "GOOGLE_API_KEY"),
    ("cohere", "COHERE_API_KEY", "CO_API_KEY")])
def test_alternate_env_vars(provider: str, primary: str, alternate: str) -> None:
    only_alt = load_settings(Flags(no_config=True), env={alternate: "alt-value-123456"}, use_keyring=False)
    assert only_alt.key_for(provider).origin == f"{alternate} (environment)"
    both_differ = load_settings(Flags(no_config=True), env={primary: "main-value-123456", alternate: "alt-value-123456"},
                                use_keyring=False)
    lookup = both_differ.key_lookup(provider)
    assert lookup.resolved.value == "main-value-123456"
    assert lookup.resolved.origin == f"{primary} (environment)"
    assert [(s.origin, s.differs) for s in lookup.resolved.shadowed] == [(f"{alternate} (environment)", True)]
    assert set(lookup.env_present) == {primary, alternate}
    both_same = load_settings(Flags(no_config=True), env={primary: "same-value-123456", alternate: "same-value-123456"},
                              use_keyring=False)
    assert [s.differs for s in both_same.key_for(provider).shadowed] == [False]


def test_provider_aliases_and_legacy_spellings(tmp_path: Path) -> None:
    path = _write(tmp_path, {"provider_type": "gemini", "default_model": "gemini-1.5-flash",
                             "providers": {"gemini": "http://127.0.0.1:9/v1beta"},
                             "api_keys": {"gemini": "file-gemini-key-123456"}})
    settings = load_settings(Flags(config=path), env={}, use_keyring=False)
    assert settings.provider.value == "google"
    assert settings.model.value == "gemini-1.5-flash"
    assert settings.key_for("google").origin == "config.json: api_keys.gemini"
    base = settings.base_url_for("gemini")
    assert (base.value, base.origin) == ("http://127.0.0.1:9/v1beta", "config.json: provider_endpoints.gemini")


def test_current_spelling_beats_legacy_one(tmp_path: Path) -> None:
    path = _write(tmp_path, {"provider_type": "groq", "provider": "mistral", "default_model": "x", "model": "y"})
    settings = load_settings(Flags(config=path), env={}, use_keyring=False)
    assert (settings.provider.value, settings.model.value) == ("mistral", "y")


def test_base_url_precedence(tmp_path: Path) -> None:
    path = _write(tmp_path, {"provider": "openai", "base_url": "http://127.0.0.1:1/file",
                             "provider_endpoints": {"openai": "http://127.0.0.1:1/endpoints"}})
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:1/env"}
    flagged = load_settings(Flags(config=path, base_url="http://127.0.0.1:1/flag"), env=env, use_keyring=False)
    assert flagged.base_url_for("openai").origin == "--base-url (command line)"
    assert len(flagged.base_url_for("openai").shadowed) == 3
    assert load_settings(Flags(config=path), env=env, use_keyring=False).base_url_for("openai").value.endswith("/env")
    from_file = load_settings(Flags(config=path), env={}, use_keyring=False).base_url_for("openai")
    assert (from_file.value, from_file.origin) == ("http://127.0.0.1:1/file", "config.json: base_url")
    default = load_settings(Flags(no_config=True), env={}, use_keyring=False).base_url_for("openai")
    assert (default.value, default.source) == ("https://api.openai.com/v1", Source.DEFAULT)


def test_config_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flag_file = _write(tmp_path, {"model": "from-flag-file"})
    env_file = tmp_path / "env.json"
    env_file.write_text('{"model": "from-env-file"}', encoding="utf-8")
    xdg = tmp_path / "xdg"
    (xdg / "perspt").mkdir(parents=True)
    (xdg / "perspt" / "config.json").write_text('{"model": "from-xdg"}', encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    env = {"PERSPT_CONFIG": str(env_file)}
    by_flag = load_settings(Flags(config=flag_file), env=env, use_keyring=False)
    assert (by_flag.model.value, by_flag.config.reason) == ("from-flag-file", "--config")  # type: ignore[union-attr]
    by_env = load_settings(Flags(), env=env, use_keyring=False)
    assert (by_env.model.value, by_env.config.reason) == ("from-env-file", "PERSPT_CONFIG (environment)")  # type: ignore[union-attr]
    by_xdg = load_settings(Flags(), env={}, use_keyring=False)
    assert (by_xdg.model.value, by_xdg.config.reason) == ("from-xdg", "default location")  # type: ignore[union-attr]
    assert by_xdg.config.path == xdg / "perspt" / "config.json"  # type: ignore[union-attr]
    ignored = load_settings(Flags(no_config=True), env=env, use_keyring=False)
    assert ignored.config is None and ignored.model.source == Source.DEFAULT


def test_keyring_key_puts_provider_in_scope() -> None:
    keystore.set_key("mistral", "Mistral0key0in0keyring0000000000")
    settings = load_settings(Flags(no_config=True), env={})
    assert "mistral" in settings.providers_in_scope()
    assert "mistral" not in load_settings(Flags(no_config=True), env={}, use_keyring=False).providers_in_scope()
