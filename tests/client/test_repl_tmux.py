"""The REPL in a real terminal: tmux runs `perspt`, the test types keys and reads the screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from perspt_doctor import paths
from perspt_doctor.client.history import default_store
from tests.fakes.openai_fake import OpenAIFake, openai_fake

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, command: list[str], env: dict[str, str], tmp: Path) -> None:
        self.socket = f"perspt-{uuid.uuid4().hex[:8]}"
        # No shell in between: Ctrl+C must reach perspt alone. The pane stays after exit, for its status.
        exports = [f"{k}={v}" for k, v in env.items()]
        self._tmux("new-session", "-d", "-x", "100", "-y", "40", "-s", "t", "env", "-i", *exports, *command,
                   ";", "set-option", "-t", "t", "remain-on-exit", "on")

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], capture_output=True,
                              text=True, timeout=10, check=True).stdout

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "t", "-l", text)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "t", "-S", "-200")

    def wait_for(self, condition: Callable[[str], bool], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the screen shows:\n{screen}")
            time.sleep(0.1)

    def exit_code(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while True:
            dead, status, signal = (self._tmux("display-message", "-p", "-t", "t",
                                               "#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}")
                                    .strip().split("|"))
            if dead == "1" and status:
                return int(status)
            if dead == "1" and signal:
                return -int(signal)
            if time.monotonic() > deadline:
                raise AssertionError(f"perspt did not exit; the screen shows:\n{self.screen()}")
            time.sleep(0.1)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


@pytest.fixture
def repl(fake: OpenAIFake, tmp_path: Path) -> Iterator[Tmux]:
    keep = ("PATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
            "PYTHON_KEYRING_BACKEND", "PYTHONPATH")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update({"TERM": "xterm-256color", "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url,
                "PYTHONPATH": os.getcwd()})
    session = Tmux([sys.executable, "-m", "perspt_doctor"], env, tmp_path)
    try:
        session.wait_for(lambda s: "Ctrl+D to quit" in s and s.rstrip().endswith(">"))
        yield session
    finally:
        session.kill()


def test_chat_commands_and_quit(repl: Tmux, fake: OpenAIFake, tmp_path: Path) -> None:
    repl.type("What is a proxy?")
    repl.keys("Enter")
    screen = repl.wait_for(lambda s: "How can I help you today?" in s)
    assert screen.count("How can I help you today?") == 1

    # a second turn carries the first one (real, role-structured history)
    fake.reply = "Second **answer** here."
    repl.type("And TLS?")
    repl.keys("Enter")
    screen = repl.wait_for(lambda s: "Second answer here." in s)
    assert "**" not in screen
    roles = [m["role"] for m in fake.last("chat/completions").json["messages"]]
    assert roles == ["user", "assistant", "user"]

    repl.type("/model gpt-4o-mni")
    repl.keys("Enter")
    repl.wait_for(lambda s: "the model stays gpt-4o-mini. Did you mean gpt-4o-mini" in " ".join(s.split()))
    repl.type("/modle")
    repl.keys("Enter")
    repl.wait_for(lambda s: "Unknown command /modle. Did you mean /model?" in " ".join(s.split()))

    saved = tmp_path / "chat.md"
    repl.type(f"/save {saved}")
    repl.keys("Enter")
    repl.wait_for(lambda s: "Saved 4 messages" in s)
    assert "## You\n\nAnd TLS?" in saved.read_text()

    # Esc+Enter inserts a new line instead of sending
    repl.type("line one")
    repl.keys("Escape", "Enter")
    repl.type("line two")
    repl.keys("Enter")
    repl.wait_for(lambda s: s.count("Second answer here.") == 2)
    assert fake.last("chat/completions").json["messages"][-1]["content"] == "line one\nline two"

    repl.keys("C-d")
    assert repl.exit_code() == 0
    assert "What is a proxy?" in paths.input_history_file().read_text()
    with default_store() as store:
        conversation = store.get(store.latest_id() or 0)
    assert conversation is not None and len(conversation.messages) == 6


def test_ctrl_c_stops_the_reply_keeps_what_arrived_and_the_repl_goes_on(repl: Tmux, fake: OpenAIFake) -> None:
    fake.reply = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda omega"
    fake.fail("drip", path="chat", interval=0.003)
    repl.type("count slowly")
    repl.keys("Enter")
    repl.wait_for(lambda s: "beta" in s, timeout=30)
    repl.keys("C-c")
    screen = repl.wait_for(lambda s: "interrupted" in s)
    assert "omega" not in screen
    with default_store() as store:
        messages = store.messages(store.latest_id() or 0)
    assert messages[-1].status == "interrupted"
    assert messages[-1].content.startswith("alpha beta") and "omega" not in messages[-1].content

    fake.reply = "Still here."
    repl.type("/history")
    repl.keys("Enter")
    repl.wait_for(lambda s: "assistant" in s and "alpha beta" in s)
    repl.type("are you there?")
    repl.keys("Enter")
    repl.wait_for(lambda s: "Still here." in s)
    sent = fake.last("chat/completions").json["messages"]
    assert sent[1]["role"] == "assistant" and sent[1]["content"].startswith("alpha beta")
    repl.type("/exit")
    repl.keys("Enter")
    assert repl.exit_code() == 0
