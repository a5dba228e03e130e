"""A keyring that never answers: locked and waiting for its password, with no desktop to show the prompt (SSH,
a container). perspt asked it with no bound, so `perspt -q` and the doctor, `--timeout` or not, waited for
ever and printed nothing. Each keyring call is now bounded (keystore.KEYRING_TIMEOUT; the doctor: a quarter
of its budget), the user is told the keyring did not answer (not that there is no key: there may well be
one), and later calls fail at once instead of waiting as long again.

The keyring here is a real keyring backend class, named by PYTHON_KEYRING_BACKEND as a user would, whose
calls block; each call appends a line to a file, so the test can count them. Subprocess timeouts are hang
bounds, not performance assertions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BLOCKING_BACKEND = """
import os, threading
from keyring.backend import KeyringBackend

def _called(what):
    with open(os.environ["CALLS_FILE"], "a", encoding="utf-8") as calls:
        calls.write(what + "\\n")
    threading.Event().wait()  # a prompt nobody can answer

class Locked(KeyringBackend):
    priority = 1
    def get_password(self, service, username):
        _called(f"get {username}")
    def set_password(self, service, username, password):
        _called(f"set {username}")
    def delete_password(self, service, username):
        _called(f"delete {username}")
"""


@pytest.fixture
def locked_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "lockedring.py").write_text(BLOCKING_BACKEND, encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
            **{var: str(home / var.lower()) for var in
               ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")},
            "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path]),
            "PYTHON_KEYRING_BACKEND": "lockedring.Locked", "CALLS_FILE": str(tmp_path / "calls.txt"),
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}


def _perspt(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=90, env=env)


def _calls(env: dict[str, str]) -> list[str]:
    path = Path(env["CALLS_FILE"])
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_the_client_says_the_keyring_did_not_answer(locked_env: dict[str, str]) -> None:
    from perspt_doctor.settings.keystore import KEYRING_TIMEOUT

    done = _perspt("-q", "hi", env=locked_env)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[0] == (
        "Error: no API key for OpenAI was given, and the stored keys could not be read: the keyring did not "
        f"answer within {KEYRING_TIMEOUT:g} s when perspt asked it for a key: it may be locked and waiting for its "
        "password")
    assert "Hint: unlock the keyring" in done.stderr and "Traceback" not in done.stderr
    assert _calls(locked_env) == ["get openai"]


def test_the_doctor_keeps_its_budget_and_says_why(locked_env: dict[str, str]) -> None:
    done = _perspt("doctor", "--offline", "--json", "--timeout", "4", env=locked_env)
    rows = {row["id"]: row for row in json.loads(done.stdout)["checks"]}
    assert rows["keys.openai"]["status"] == "fail"
    assert rows["keys.openai"]["summary"].startswith(
        "no API key for OpenAI was given, and the stored keys could not be read: the keyring did not answer "
        "within 1 s"), rows["keys.openai"]
    assert rows["keyring.backend"]["status"] == "fail" and "did not answer" in rows["keyring.backend"]["summary"]
    # one call waited; every later one (other providers, the keyring check) failed at once
    assert _calls(locked_env) == ["get openai"], _calls(locked_env)


def test_a_bound_is_restored_after_the_doctor_and_an_unanswered_keyring_is_not_asked_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from perspt_doctor.settings import keystore

    before = keystore._waits["limit"]
    with keystore.waits_at_most(0.05):
        assert keystore._waits["limit"] == 0.05
        with keystore.waits_at_most(3):
            assert keystore._waits["limit"] == 0.05  # the tighter bound holds
    assert keystore._waits["limit"] == before

    import threading

    asked: list[str] = []
    monkeypatch.setattr(keystore, "_UNANSWERED", [])
    with keystore.waits_at_most(0.05):
        with pytest.raises(keystore.KeyringUnavailable, match="did not answer within 0.05 s"):
            keystore._answered(lambda: asked.append("first") or threading.Event().wait(), "a test")
        with pytest.raises(keystore.KeyringUnavailable, match="did not answer within 0.05 s"):
            keystore._answered(lambda: asked.append("second"), "a test")
    assert asked == ["first"]


def test_keys_list_shows_every_provider_when_the_keyring_does_not_answer(locked_env: dict[str, str]) -> None:
    done = _perspt("keys", "list", env=locked_env)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert "unusable: no API key for OpenAI was given, and the stored keys could not be read" in rows["openai"]
    assert rows["ollama"].endswith("no key needed")
    assert _calls(locked_env) == ["get openai"]


def test_only_a_provider_that_needs_a_key_is_stopped_by_an_unreadable_keyring() -> None:
    """Ollama needs no key: a keyring that cannot be read must not stand in its way."""
    from perspt_doctor.settings.keystore import KeyringUnavailable
    from perspt_doctor.settings.resolve import Flags, Settings

    def unanswered(provider: str) -> str | None:
        raise KeyringUnavailable("the keyring did not answer within 10 s when perspt asked it for a key",
                                 hint="unlock it")

    settings = Settings(flags=Flags(no_config=True), env={}, config=None, keyring_lookup=unanswered)
    assert settings.key_for("ollama").value is None
    with pytest.raises(KeyringUnavailable) as caught:
        settings.key_for("anthropic")
    assert str(caught.value).startswith("no API key for Anthropic was given, and the stored keys could not be read: "
                                        "the keyring did not answer within 10 s")
    assert caught.value.hint == "unlock it"
