"""REPL comforts (issue 15, item 11): completion, /retry, /undo, /provider's remembered model, /usage,
/resume, and -f/--file."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from perspt_doctor.client import slash_commands as commands
from perspt_doctor.client.session import ChatSession
from tests.client.fake_adapter import Factory, Script
from tests.client.test_e2e import openai_env, perspt
from tests.client.test_repl_tmux import Tmux
from tests.client.test_session import settings_with
from tests.fakes.openai_fake import OpenAIFake, openai_fake
from tests.infra.tools import need


def test_completion_of_commands_and_their_arguments(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {"provider": "openai", "roles": {"coder": {}, "critic": {}}})
    session = ChatSession(settings, streaming=True, adapter_factory=Factory({"openai": Script()}))
    assert commands.complete(session, "/mo") == ["/model"]
    assert "/retry" in commands.complete(session, "/re") and "/resume" in commands.complete(session, "/re")
    assert commands.complete(session, "/provider anth") == ["anthropic"]
    assert commands.complete(session, "/role c") == ["coder", "critic"]
    assert commands.complete(session, "hello /mo") == []
    session.models_seen = ["gpt-4o", "gpt-4o-mini", "o3-mini"]
    assert commands.complete(session, "/model gpt") == ["gpt-4o", "gpt-4o-mini"]


def test_file_contents_go_into_the_prompt_and_bad_files_are_usage_errors(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"\xef\xbb\xbfthe server runs on port 8443\n")  # saved by an editor that writes a BOM
    with openai_fake() as fake:
        result = perspt("-f", str(notes), "-q", "which port?", env=openai_env(fake))
        assert result.returncode == 0, result.stderr
        sent = fake.last("chat/completions").json["messages"][-1]["content"]
    assert sent.index("the server runs on port 8443") < sent.index("which port?")
    assert "notes.txt" in sent and "\ufeff" not in sent  # the mark is dropped, as for piped text

    missing = perspt("-f", str(tmp_path / "nope.txt"), "-q", "x", env={"OPENAI_API_KEY": "test-key"})
    assert missing.returncode == 2 and "nope.txt: no such file" in missing.stderr
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x7fELF\x00\x01\x02")
    refused = perspt("-f", str(binary), "-q", "x", env={"OPENAI_API_KEY": "test-key"})
    assert refused.returncode == 2 and f"-f {binary} is binary (a NUL byte at offset 4)" in refused.stderr
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"caf\xe9 au lait\n")
    foreign = perspt("-f", str(latin1), "-q", "x", env={"OPENAI_API_KEY": "test-key"})
    assert foreign.returncode == 2 and f"-f {latin1} is not UTF-8 text (an invalid byte at offset 3)" in foreign.stderr
    assert "Hint: convert it first, e.g. `iconv -f latin1 -t utf-8" in foreign.stderr
    assert "Traceback" not in missing.stderr + refused.stderr + foreign.stderr


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


def test_retry_undo_provider_usage_resume_in_the_repl(fake: OpenAIFake, tmp_path: Path) -> None:
    need("tmux")
    keep = ("PATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
            "PYTHON_KEYRING_BACKEND")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update({"TERM": "xterm-256color", "PYTHONPATH": os.getcwd(), "ANTHROPIC_API_KEY": "test-key",
                **openai_env(fake)})
    repl = Tmux([sys.executable, "-m", "perspt_doctor"], env, tmp_path)
    try:
        repl.wait_for(lambda s: "Ctrl+D to quit" in s and s.rstrip().endswith(">"))
        # Tab completes a command name
        repl.type("/usa")
        repl.keys("Tab")
        repl.wait_for(lambda s: "> /usage" in s)
        repl.keys("Enter")
        repl.wait_for(lambda s: "This session: no replies yet" in s)

        fake.reply = "First answer."
        repl.prompt("question one")
        repl.wait_for(lambda s: "First answer." in s)
        fake.reply = "Second answer."
        repl.prompt("/retry")
        repl.wait_for(lambda s: "Second answer." in s)
        sent = fake.last("chat/completions").json["messages"]
        assert [(m["role"], m["content"]) for m in sent] == [("user", "question one")], "the old answer is gone"

        repl.prompt("/usage")
        repl.wait_for(lambda s: "tokens over 2 replies" in s)

        repl.prompt("/undo")
        repl.wait_for(lambda s: "Dropped the last exchange (question one)" in s)
        fake.reply = "Third."
        repl.prompt("fresh start")
        repl.wait_for(lambda s: "Third." in s)
        assert [m["content"] for m in fake.last("chat/completions").json["messages"]] == ["fresh start"]

        # /provider X brings back the model last used with X
        repl.prompt("/model gpt-4o")
        repl.wait_for(lambda s: "Model: gpt-4o\n" in s or s.rstrip().endswith("Model: gpt-4o\n>"))
        repl.prompt("/provider anthropic")
        repl.wait_for(lambda s: "Provider: anthropic" in s)
        repl.prompt("/provider openai")
        repl.wait_for(lambda s: "Provider: openai, model gpt-4o " in s)

        # /resume: a new conversation, then back to the stored one
        repl.prompt("/clear")
        repl.wait_for(lambda s: "Conversation cleared" in s)
        repl.prompt("/resume")
        repl.wait_for(lambda s: "Resumed: continuing conversation" in s)
        fake.reply = "Resumed."
        repl.prompt("and then?")
        repl.wait_for(lambda s: "Resumed." in s)
        contents = [m["content"] for m in fake.last("chat/completions").json["messages"]]
        assert contents[:2] == ["fresh start", "Third."] and contents[-1] == "and then?", contents
        repl.keys("C-d")
        assert repl.exit_code() == 0
    finally:
        repl.kill()
