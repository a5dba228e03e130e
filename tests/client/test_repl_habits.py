"""The REPL with `--continue` and `--usage`, in a real terminal (tmux)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from perspt_doctor.client.history_store import default_store
from tests.client.clirun import openai_env, perspt
from tests.client.test_repl_tmux import Tmux
from tests.fakes.openai_fake import openai_fake
from tests.infra.tools import need


@pytest.fixture(autouse=True)
def _tmux() -> None:
    need("tmux")


def test_the_repl_continues_the_latest_conversation_and_shows_usage(tmp_path: Path) -> None:
    with openai_fake() as fake:
        assert perspt("-q", "what is tcp", env=openai_env(fake)).returncode == 0
        keep = ("PATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
                "PYTHON_KEYRING_BACKEND")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env.update({"TERM": "xterm-256color", **openai_env(fake), "PYTHONPATH": os.getcwd()})
        repl = Tmux([sys.executable, "-m", "perspt_doctor", "--continue", "--usage"], env, tmp_path)
        try:
            screen = repl.wait_for(lambda s: "Ctrl+D to quit" in s and s.rstrip().endswith(">"))
            assert "continuing conversation" in screen and "(1 question): what is tcp" in screen
            repl.prompt("and udp?")
            screen = repl.wait_for(lambda s: "token usage: 9 input" in s)
            sent = [(m["role"], m["content"]) for m in fake.last("chat/completions").json["messages"]]
            assert sent == [("user", "what is tcp"), ("assistant", "Hello! How can I help you today?"),
                            ("user", "and udp?")]
            repl.wait_for(lambda s: s.rstrip().endswith(">"))
            repl.keys("C-d")
            assert repl.exit_code() == 0
        finally:
            repl.kill()
    with default_store() as store:
        assert store.counts() == (1, 4)
