"""The REPL in a real terminal: tmux runs `perspt`, the test types keys and reads the screen."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from perspt_doctor import paths
from perspt_doctor.client.history_store import default_store
from tests.fakes.openai_fake import OpenAIFake, openai_fake
from tests.infra.tools import need


@pytest.fixture(autouse=True)
def _tmux() -> None:
    need("tmux")


# Runs perspt as its child and records its exit status in a file; Ctrl+C reaches perspt (same
# process group) while the launcher ignores it, and the pane stays for reading the screen.
LAUNCHER = (
    "import signal, subprocess, sys, time\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "code = subprocess.call(sys.argv[2:], preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))\n"
    "open(sys.argv[1], 'w').write(str(code))\n"
    "time.sleep(60)\n"
)


class Tmux:
    def __init__(self, command: list[str], env: dict[str, str], tmp: Path) -> None:
        self.socket = f"perspt-{uuid.uuid4().hex[:8]}"
        self.status_file = tmp / "exit-status"
        exports = [f"{k}={v}" for k, v in env.items()]
        self._tmux("new-session", "-d", "-x", "100", "-y", "40", "-s", "t", "env", "-i", *exports,
                   sys.executable, "-c", LAUNCHER, str(self.status_file), *command)

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], capture_output=True,
                              text=True, timeout=10, check=True).stdout

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "t", "-l", text)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "t", "-S", "-400")

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
        while not self.status_file.exists() or not self.status_file.read_text().strip():
            if time.monotonic() > deadline:
                raise AssertionError(f"perspt did not exit; the screen shows:\n{self.screen()}")
            time.sleep(0.1)
        return int(self.status_file.read_text())

    def prompt(self, text: str) -> None:
        """Wait for the prompt, then type a line and Enter."""
        self.wait_for(lambda s: s.rstrip().endswith(">"))
        self.type(text)
        self.keys("Enter")

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
    repl.prompt("What is a proxy?")
    screen = repl.wait_for(lambda s: "How can I help you today?" in s)
    assert screen.count("How can I help you today?") == 1

    # a second turn carries the first one (real, role-structured history)
    fake.reply = "Second **answer** here."
    repl.prompt("And TLS?")
    screen = repl.wait_for(lambda s: "Second answer here." in s)
    assert "**" not in screen
    roles = [m["role"] for m in fake.last("chat/completions").json["messages"]]
    assert roles == ["user", "assistant", "user"]

    repl.prompt("/model gpt-4o-mni")
    repl.wait_for(lambda s: "the model stays gpt-4o-mini. Did you mean gpt-4o-mini" in " ".join(s.split()))
    repl.prompt("/modle")
    repl.wait_for(lambda s: "Unknown command /modle. Did you mean /model?" in " ".join(s.split()))

    saved = tmp_path / "chat.md"
    repl.prompt(f"/save {saved}")
    repl.wait_for(lambda s: "Saved 4 messages" in s)
    assert "## You\n\nAnd TLS?" in saved.read_text()

    # Esc+Enter inserts a new line instead of sending
    repl.wait_for(lambda s: s.rstrip().endswith(">"))
    repl.type("line one")
    repl.keys("Escape", "Enter")
    repl.type("line two")
    repl.keys("Enter")
    repl.wait_for(lambda s: s.count("Second answer here.") == 2)
    assert fake.last("chat/completions").json["messages"][-1]["content"] == "line one\nline two"

    repl.wait_for(lambda s: s.rstrip().endswith(">"))
    repl.keys("C-d")
    assert repl.exit_code() == 0
    assert "What is a proxy?" in paths.input_history_file().read_text()
    with default_store() as store:
        conversation = store.get(store.latest_id() or 0)
    assert conversation is not None and len(conversation.messages) == 6


def test_ctrl_c_stops_the_reply_keeps_what_arrived_and_the_repl_goes_on(repl: Tmux, fake: OpenAIFake) -> None:
    fake.reply = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda omega"
    fake.fail("drip", path="chat", interval=0.003)
    repl.prompt("count slowly")
    repl.wait_for(lambda s: "beta" in s, timeout=30)
    repl.keys("C-c")
    screen = repl.wait_for(lambda s: "interrupted" in s)
    assert "omega" not in screen
    with default_store() as store:
        messages = store.messages(store.latest_id() or 0)
    assert messages[-1].status == "interrupted"
    assert messages[-1].content.startswith("alpha beta") and "omega" not in messages[-1].content

    fake.reply = "Still here."
    repl.prompt("/history")
    repl.wait_for(lambda s: "assistant" in s and "alpha beta" in s)
    repl.prompt("are you there?")
    repl.wait_for(lambda s: "Still here." in s)
    sent = fake.last("chat/completions").json["messages"]
    assert sent[1]["role"] == "assistant" and sent[1]["content"].startswith("alpha beta")
    repl.prompt("/exit")
    assert repl.exit_code() == 0
