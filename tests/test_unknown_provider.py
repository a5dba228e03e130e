"""One way to reject an unknown provider: every command that takes one says the same two lines and exits 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from perspt_doctor import catalog

EXPECTED = ("Error: unknown provider 'opnai' (from command line)\n"
            "Hint: did you mean openai? known providers: " + ", ".join(catalog.all_ids()) + "\n")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("args", [
    ("--provider", "opnai", "-q", "hi"),
    ("--provider", "opnai", "--test-connection"),
    ("doctor", "--offline", "--provider", "opnai"),
    ("report", "--offline", "--provider", "opnai"),
    ("models", "--provider", "opnai"),
    ("--provider-type", "opnai", "--list-models"),
    ("keys", "get", "opnai"),
    ("keys", "set", "opnai"),
])
def test_every_command_rejects_an_unknown_provider_alike(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert (result.returncode, result.stderr, result.stdout) == (2, EXPECTED, "")


def test_resolve_provider_accepts_ids_and_aliases_in_any_case() -> None:
    assert catalog.resolve_provider(" Gemini ") == "google"
    with pytest.raises(catalog.UnknownProviderError) as raised:
        catalog.resolve_provider("zzz", "a test")
    assert str(raised.value) == "unknown provider 'zzz' (from a test)" and raised.value.suggestions == []
    assert raised.value.hint == "known providers: " + ", ".join(catalog.all_ids())
