"""A reply with characters the output's encoding cannot hold (a locale of `C` without Python's UTF-8
coercion, `PYTHONIOENCODING=ascii` or `latin-1`) is shown, never a failed turn: an ASCII-only output is
taken as the misconfigured locale it is and gets UTF-8, as click gives every other command; any other
encoding shows `?` for what it lacks. The REPL starts and answers too (it failed at its banner)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.client.clirun import openai_env
from tests.client.pty_screen import PtyScreen
from tests.fakes.openai_fake import OpenAIFake, openai_fake

REPLY = "Ünïcödé ✓ 🎉 done"


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        server.reply = REPLY
        yield server


def _one_shot(fake: OpenAIFake, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", "-q", "hi"], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=60, env={**os.environ, **openai_env(fake), **env})


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"},
                                 {"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}],
                         ids=["PYTHONIOENCODING=ascii", "C-locale-uncoerced"])
def test_an_ascii_only_output_gets_the_reply_in_utf8(fake: OpenAIFake, env: dict[str, str]) -> None:
    ran = _one_shot(fake, **env)
    assert ran.returncode == 0, ran.stderr.decode(errors="replace")
    assert ran.stdout == (REPLY + "\n").encode("utf-8")
    assert ran.stderr == b""


def test_an_encoding_without_some_characters_shows_question_marks(fake: OpenAIFake) -> None:
    ran = _one_shot(fake, PYTHONIOENCODING="latin-1")
    assert ran.returncode == 0, ran.stderr.decode(errors="replace")
    assert ran.stdout == "Ünïcödé ? ? done\n".encode("latin-1")


def test_the_repl_starts_and_answers_on_an_ascii_terminal(fake: OpenAIFake) -> None:
    keep = ("PATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
            "PYTHON_KEYRING_BACKEND")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update({"TERM": "xterm-256color", "PYTHONIOENCODING": "ascii", "PYTHONPATH": os.getcwd(),
                **openai_env(fake)})
    term = PtyScreen([sys.executable, "-m", "perspt_doctor"], env)
    try:
        term.wait_for(lambda s: "Ctrl+D to quit" in s)
        term.type("hi\r")
        screen = term.wait_for(lambda s: "done" in s)
        assert REPLY in screen, screen
        assert "internal error" not in screen and "Error" not in screen, screen
    finally:
        term.close()
