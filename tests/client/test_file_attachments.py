"""`-f PATH` with what is not a plain file: the output of a command (`-f <(git diff)`, a pipe) goes into the
prompt like a file; an endless device is refused at the size limit instead of being read forever; a named
pipe nobody writes to is empty, not a hang. The subprocess timeouts are hang bounds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.clirun import openai_env
from tests.fakes.openai_fake import OpenAIFake, openai_fake

HANG_BOUND = 30


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


def _sent(fake: OpenAIFake) -> str:
    return str(fake.last("chat/completions").json["messages"][-1]["content"])


def test_a_commands_output_goes_into_the_prompt(fake: OpenAIFake) -> None:
    ran = subprocess.run(["bash", "-c", 'exec "$@" -f <(printf "line one\\nline two\\n") -q "what changed?"', "bash",
                          sys.executable, "-m", "perspt_doctor"], stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=HANG_BOUND, env={**os.environ, **openai_env(fake)})
    assert ran.returncode == 0, ran.stderr
    sent = _sent(fake)
    assert "line one\nline two" in sent and sent.index("line two") < sent.index("what changed?")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_is_refused_at_the_limit(device: str) -> None:
    ran = subprocess.run([sys.executable, "-m", "perspt_doctor", "-f", device, "-q", "x"], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=HANG_BOUND,
                         env={**os.environ, "OPENAI_API_KEY": "test-key"})
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.splitlines()[0] == f"Error: -f {device}: more than the 256 KiB a file may add to the prompt"


def test_a_named_pipe_nobody_writes_to_is_empty(fake: OpenAIFake, tmp_path: Path) -> None:
    fifo = tmp_path / "notes.fifo"
    os.mkfifo(fifo)
    ran = subprocess.run([sys.executable, "-m", "perspt_doctor", "-f", str(fifo), "-q", "x"],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=HANG_BOUND,
                         env={**os.environ, **openai_env(fake)})
    assert ran.returncode == 0, ran.stderr
    assert "notes.fifo:\n```\n\n```" in _sent(fake)
