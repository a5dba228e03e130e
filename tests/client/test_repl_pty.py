"""Ctrl+C during a streamed reply, seen through a terminal emulator: the partial reply is on the
screen exactly once (issue 15, item 8)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.pty_screen import PtyScreen
from tests.fakes.openai_fake import OpenAIFake, openai_fake

WORDS = [f"w{n:03d}x" for n in range(1, 400)]


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


def _env(fake: OpenAIFake) -> dict[str, str]:
    keep = ("PATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
            "PYTHON_KEYRING_BACKEND")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update({"TERM": "xterm-256color", "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url,
                "PYTHONPATH": os.getcwd()})
    return env


def _slow_reply(fake: OpenAIFake, interval: float) -> None:
    """At 0.0006 s a byte, about one word every 0.15 s: the fake drips each streamed event byte by byte."""
    fake.reply = " ".join(WORDS)
    fake.fail("drip", path="chat", interval=interval)


def _counts(screen: str) -> dict[str, int]:
    shown = screen.split()
    return {word: shown.count(word) for word in WORDS if word in shown}


@pytest.mark.parametrize(("question_flag", "seconds", "interval"),
                         [(False, 1.0, 0.0006), (True, 1.0, 0.0006), (False, 4.0, 0.00005)],
                         ids=["repl", "one-shot", "repl-long-reply"])
def test_ctrl_c_shows_the_partial_reply_once(fake: OpenAIFake, tmp_path: Path, question_flag: bool,
                                             seconds: float, interval: float) -> None:
    """The long reply wraps over many lines, so the live region holds several when Ctrl+C arrives."""
    _slow_reply(fake, interval)
    argv = [sys.executable, "-m", "perspt_doctor"] + (["-q", "count slowly"] if question_flag else [])
    term = PtyScreen(argv, _env(fake))
    try:
        if not question_flag:
            term.wait_for(lambda s: "Ctrl+D to quit" in s)
            term.type("count slowly\r")
        term.wait_for(lambda s: "w003x" in s, timeout=30)
        term.settle(seconds)
        term.interrupt()
        screen = term.wait_for(lambda s: "interrupted" in s)
        term.settle(0.5)
        screen = term.text()
        counts = _counts(screen)
        assert counts, screen
        assert set(counts.values()) == {1}, f"{counts}\n{screen}"
        assert WORDS[-1] not in screen
        assert len(counts) >= 4
        if not question_flag:
            # the prompt comes back below the reply, and the REPL goes on
            term.wait_for(lambda s: s.rstrip().endswith(">"))
            fake.reply = "Still here."
            term.type("again\r")
            screen = term.wait_for(lambda s: "Still here." in s)
            assert set(_counts(screen).values()) == {1}, screen
    finally:
        term.close()
