"""Keys in the OS keyring, through a real file-backed backend (keyrings.alt), and `perspt keys`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import keyring
import pytest

from perspt_doctor.settings import Flags, keystore, load_settings

KEY = "gsk_" + "Ab3" * 17 + "x"  # a well-formed Groq key (56 characters)


def test_keystore_round_trip_uses_the_file_backend(isolated_env: Path) -> None:
    keystore.set_key("groq", KEY)
    assert keystore.get_key("groq") == KEY
    name, usable, _why = keystore.backend_info()
    assert name.endswith("PlaintextKeyring") and usable
    stored_file = Path(keyring.get_keyring().file_path)  # type: ignore[attr-defined]
    assert stored_file.is_file() and str(stored_file).startswith(str(isolated_env))
    assert keystore.delete_key("groq") is True
    assert keystore.get_key("groq") is None
    assert keystore.delete_key("groq") is False


def test_a_fresh_process_reads_what_was_stored(perspt: Callable[..., object]) -> None:
    keystore.set_key("anthropic", "sk-ant-api03-" + "k" * 93 + "AA")
    code = ("from perspt_doctor.settings import keystore;"
            "print(len(keystore.get_key('anthropic') or ''))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ))
    assert result.stdout.strip() == "108", result.stderr


def test_keys_set_reads_stdin_and_get_masks(perspt: Callable[..., object]) -> None:
    result = perspt(["keys", "set", "groq"], input=KEY + "\n")
    assert result.code == 0, result.output
    assert KEY not in result.output and "…333x" not in result.output
    assert keystore.get_key("groq") == KEY
    shown = perspt(["keys", "get", "groq"])
    assert shown.code == 0 and shown.stdout.strip() == f"groq: …{KEY[-4:]} (keyring, service perspt)"
    listing = perspt(["keys", "list"])
    assert listing.code == 0
    groq_line = next(line for line in listing.stdout.splitlines() if line.strip().startswith("groq"))
    assert f"…{KEY[-4:]}" in groq_line and "keyring" in groq_line
    assert KEY not in listing.output
    assert perspt(["keys", "delete", "groq"]).code == 0
    assert keystore.get_key("groq") is None
    missing = perspt(["keys", "get", "groq"])
    assert missing.code == 1 and "no groq key" in missing.stderr


def test_keys_set_refuses_a_key_on_the_command_line(perspt: Callable[..., object]) -> None:
    secret = "plain-secret-typed-in-argv-0001"
    result = perspt(["keys", "set", "openai", secret])
    assert result.code == 2
    assert secret not in result.output
    assert "shell history" in result.stderr
    assert keystore.get_key("openai") is None


def test_keys_set_through_a_real_pipe(isolated_env: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "perspt_doctor", "keys", "set", "gemini"], input="AIza" + "B" * 35 + "\n",
                            capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "stored the google key (…BBBB)" in result.stdout
    assert keystore.get_key("google") == "AIza" + "B" * 35


def test_keys_set_rejects_empty_and_blank_keys(perspt: Callable[..., object]) -> None:
    assert perspt(["keys", "set", "openai"], input="\n").code == 2
    assert perspt(["keys", "set", "openai"], input="two words-0000000\n").code == 2
    assert keystore.get_key("openai") is None


def test_keys_set_warns_about_a_key_of_another_provider(perspt: Callable[..., object]) -> None:
    result = perspt(["keys", "set", "openai"], input=KEY + "\n")
    assert result.code == 0
    assert "format of Groq" in result.stderr


def test_keys_set_says_when_the_environment_wins(perspt: Callable[..., object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "env-key-that-wins-000")
    result = perspt(["keys", "set", "groq"], input=KEY + "\n")
    assert "GROQ_API_KEY is set in the environment and takes precedence" in result.stderr


def test_unknown_provider_gets_did_you_mean(perspt: Callable[..., object]) -> None:
    result = perspt(["keys", "get", "antropic"])
    assert result.code == 2 and "Hint: did you mean anthropic? known providers: openai," in result.stderr


def test_unusable_keyring_is_a_one_line_error(perspt: Callable[..., object]) -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    result = perspt(["keys", "set", "openai"], input="sk-" + "a" * 40 + "\n")
    assert result.code == 1
    assert result.stderr.startswith("Error: the OS keyring is not usable")
    assert "Traceback" not in result.output and "a" * 40 not in result.output
    settings = load_settings(Flags(no_config=True), env={"OPENAI_API_KEY": "env-fallback-key-01"})
    assert settings.key_for("openai").origin == "OPENAI_API_KEY (environment)"


@pytest.mark.parametrize(("key", "what"), [
    ("sk-abcdefghijkl\nmnopqrstuvwxyz0123", "a line break at character 16 of 34"),
    ("sk-abcdefghijklmnopqrstuvwxyz0123\n", "a line break at its end"),
    ("sk-abc\x1b[2Jdefghijklmnop", "a control character (U+001B) at character 7"),
    ("sk-abc\u202edefghijklmnop", "a control character (U+202E) at character 7"),
])
def test_a_key_no_header_can_carry_is_refused_before_any_request(key: str, what: str) -> None:
    from perspt_doctor.settings import ConfigError

    settings = load_settings(Flags(no_config=True), env={"OPENAI_API_KEY": key}, use_keyring=False)
    with pytest.raises(ConfigError) as caught:
        settings.key_for("openai")
    message = str(caught.value)
    assert message.startswith("OPENAI_API_KEY (environment): error: the API key contains " + what), message
    assert "mnopqrstuvwxyz" not in message and "defghijklmnop" not in message
    # the doctor still sees every source, to report it
    assert settings.key_lookup("openai").resolved.value == key


def test_a_clean_key_with_surrounding_spaces_is_not_refused() -> None:
    settings = load_settings(Flags(no_config=True), env={"OPENAI_API_KEY": "sk-clean-key-0123456789"},
                             use_keyring=False)
    assert settings.key_for("openai").value == "sk-clean-key-0123456789"
