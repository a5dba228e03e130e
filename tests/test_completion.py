"""Shell completion through click's own protocol, as bash asks for it: `_PERSPT_COMPLETE=bash_complete`
with COMP_WORDS and COMP_CWORD, in a fresh process. Providers, check ids and patterns, models and
conversation ids complete; nothing is created to answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def complete(line: str) -> list[str]:
    words = line.split(" ")
    env = {**os.environ, "_PERSPT_COMPLETE": "bash_complete", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    result = subprocess.run([sys.executable, "-m", "perspt_doctor"], capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return [row.split(",", 1)[1] for row in result.stdout.splitlines() if "," in row]


@pytest.mark.parametrize("line", ["perspt doctor --provider o", "perspt --provider o", "perspt models --provider o",
                                  "perspt report --provider o", "perspt keys set o", "perspt keys delete o"])
def test_providers_complete_wherever_a_provider_is_asked_for(line: str) -> None:
    assert complete(line) == ["openai", "openrouter", "ollama", "openai-compatible"]


def test_check_ids_and_category_patterns_complete_for_only_and_skip() -> None:
    got = complete("perspt doctor --only tl")
    assert got[0] == "tls.*" and "tls.openai" in got and "tls.groq" in got
    assert "dns.*" in complete("perspt doctor --skip d") and "disk.space" in complete("perspt doctor --skip d")
    assert complete("perspt doctor --only zzz") == []


def test_models_follow_the_provider_already_given() -> None:
    assert complete("perspt --provider groq --model ") == ["llama-3.1-8b-instant"]
    assert "gpt-4o-mini" in complete("perspt --model g")


def test_conversation_ids_complete_from_the_history(isolated_env: Path) -> None:
    from perspt_doctor import paths

    assert complete("perspt history show ") == [], "no history: nothing to offer"
    assert not paths.history_db().exists(), "completing created the history database"
    from perspt_doctor.client.history_store import StoredMessage, default_store

    with default_store() as store:
        first = store.start_conversation(provider="openai", model="gpt-4o-mini")
        store.add_message(first, StoredMessage(role="user", content="what is tcp"))
    got = complete("perspt history show ")
    assert got == ["last", str(first)]


def test_the_source_script_names_the_completion_variable() -> None:
    result = subprocess.run([sys.executable, "-m", "perspt_doctor"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "_PERSPT_COMPLETE": "bash_source"})
    assert "_PERSPT_COMPLETE=bash_complete" in result.stdout
