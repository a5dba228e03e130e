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


@pytest.mark.parametrize("piped", [f"# my keys\nGROQ_API_KEY={KEY}\n", f"{KEY}\n{KEY[:-1]}y\n"],
                         ids=["dotenv-file", "two-keys"])
def test_keys_set_refuses_more_than_one_line(perspt: Callable[..., object], piped: str) -> None:
    """Storing the first line would store a comment, or one key of two, as the key."""
    result = perspt(["keys", "set", "groq"], input=piped)
    assert result.code == 2, result.output
    assert "Error: standard input holds 2 lines; a key is one line, so nothing was stored" in result.output
    assert KEY not in result.output
    assert keystore.get_key("groq") is None


def test_keys_set_reads_a_key_among_blank_lines_and_stops_reading_an_endless_input(
        perspt: Callable[..., object]) -> None:
    assert perspt(["keys", "set", "groq"], input=f"\n\n  {KEY}\r\n\n").code == 0
    assert keystore.get_key("groq") == KEY
    endless = subprocess.run(["bash", "-c", 'yes | exec "$@"', "bash", sys.executable, "-m", "perspt_doctor", "keys",
                              "set", "groq"], capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert endless.returncode == 2 and "nothing was stored" in endless.stderr, endless.stderr


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


def test_without_a_usable_keyring_keys_set_uses_a_private_key_file(perspt: Callable[..., object]) -> None:
    from keyring.backends import fail

    from perspt_doctor.settings.keyfile import key_file

    keyring.set_keyring(fail.Keyring())
    result = perspt(["keys", "set", "openai"], input="sk-" + "a" * 40 + "\n")
    assert result.code == 0, result.stderr
    path = key_file()
    assert f"in {path} (readable only by you" in " ".join(result.stdout.split()).replace("~", str(Path.home()))
    assert "Traceback" not in result.output and "a" * 40 not in result.output
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    settings = load_settings(Flags(no_config=True), env={})
    resolved = settings.key_for("openai")
    assert resolved.value == "sk-" + "a" * 40 and resolved.origin == f"key file {path}"
    # precedence: the environment still wins over the key file
    settings = load_settings(Flags(no_config=True), env={"OPENAI_API_KEY": "env-fallback-key-01"})
    assert settings.key_for("openai").origin == "OPENAI_API_KEY (environment)"
    shown = perspt(["keys", "get", "openai"])
    assert shown.code == 0 and str(path.name) in shown.stdout
    removed = perspt(["keys", "delete", "openai"])
    assert removed.code == 0 and "keys.json" in removed.stdout
    assert load_settings(Flags(no_config=True), env={}).key_for("openai").value is None


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], input=stdin, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})


def test_the_null_backend_stores_nothing_so_the_key_goes_to_the_file(isolated_env: Path) -> None:
    from perspt_doctor.settings.keyfile import key_file

    null = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    result = _run(["keys", "set", "groq"], null, KEY + "\n")
    assert result.returncode == 0, result.stderr
    assert "keys.json" in result.stdout and "OS keyring" not in result.stdout
    shown = _run(["config", "show"], {**null, "PERSPT_PROVIDER": "groq"})
    assert "key file" in shown.stdout, shown.stdout
    assert key_file().is_file()


def test_config_fix_moves_a_key_only_after_reading_it_back(isolated_env: Path) -> None:
    """Issue 13 item 8: `--fix-issues -y` must not drop `api_key` from the config unless the key is
    stored somewhere it reads back from."""
    import json

    from perspt_doctor.settings.keyfile import key_file, read_key

    config = isolated_env / "c.json"
    config.write_text(json.dumps({"provider": "groq", "api_key": KEY}))
    config.chmod(0o600)
    null = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    moved = _run(["--config", str(config), "--validate-config", "--fix-issues", "-y"], null)
    assert moved.returncode in (0, 1), moved.stderr
    assert read_key("groq") == KEY, "the key read back from the key file before it left the config"
    assert "api_key" not in json.loads(config.read_text())

    # a key store that cannot keep it: the key stays in the config
    config.write_text(json.dumps({"provider": "groq", "api_key": KEY}))
    key_file().unlink()
    key_file().mkdir()  # a key file that cannot be written (a read-only directory would not stop root)
    kept = _run(["--config", str(config), "--validate-config", "--fix-issues", "-y"], null)
    assert "left the groq key in the file" in kept.stdout + kept.stderr
    assert json.loads(config.read_text())["api_key"] == KEY


def test_a_keyring_backend_variable_naming_a_missing_module_is_one_clear_error(isolated_env: Path) -> None:
    result = _run(["keys", "set", "groq"], {"PYTHON_KEYRING_BACKEND": "nosuch.module.Keyring"}, KEY + "\n")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "PYTHON_KEYRING_BACKEND=nosuch.module.Keyring cannot be loaded" in result.stderr
    assert "Hint: unset PYTHON_KEYRING_BACKEND" in result.stderr


@pytest.mark.parametrize(("key", "what"), [
    ("sk-abcdefghijkl\nmnopqrstuvwxyz0123", "a line break at character 16 of 34"),
    ("sk-abcdefghijklmnopqrstuvwxyz0123\n", "a line break at its end"),
    ("sk-abc\x1b[2Jdefghijklmnop", "a control character (U+001B) at character 7"),
    ("sk-abc\u202edefghijklmnop", "a control character (U+202E) at character 7"),
    ("sk-abc\u2019defghijklmnop", "a character that is not ASCII (U+2019) at character 7 of 20"),
    (" sk-abcdefghijklmnop", "a space at its start"),
    ("sk-abcdefghijklmnop ", "a space at its end"),
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


@pytest.mark.parametrize("key", ["sk-clean-key-0123456789", "sk-with inner-space"])
def test_a_key_a_header_can_carry_is_not_refused(key: str) -> None:
    """A space inside is legal in a header: the server decides (the doctor's key check fails it as a copying
    accident)."""
    settings = load_settings(Flags(no_config=True), env={"OPENAI_API_KEY": key}, use_keyring=False)
    assert settings.key_for("openai").value == key


def test_a_key_with_a_byte_that_is_not_utf8_names_the_byte() -> None:
    from perspt_doctor.settings.key_text import key_text_problem

    problem = key_text_problem("sk-\udcfe\udcff")  # what Python makes of the bytes 0xFE 0xFF in os.environ
    assert problem is not None and problem.what == "a byte that is not UTF-8 text (0xFE) at character 4 of 5"
