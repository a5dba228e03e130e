"""A reply with no text (a content filter, a zero token budget, a server's bug) is said on stderr, with
its finish reason: the user saw nothing at all and could not tell a hang from an empty answer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.client.clirun import openai_env
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import sse


class FilteredFake(OpenAIFake):
    """A streamed reply that ends at once, filtered."""

    def _events(self, model: str, include_usage: bool) -> Iterator[bytes]:
        yield sse(self._chunk(model, {"role": "assistant", "content": ""}))
        yield sse(self._chunk(model, {}, "content_filter"))
        yield b"data: [DONE]\n\n"


def _ask(fake: OpenAIFake, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args, "-q", "hi"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, env={**os.environ, **openai_env(fake)})


def test_an_empty_streamed_reply_is_said_with_its_finish_reason() -> None:
    with FilteredFake() as fake:
        ran = _ask(fake)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == ""
    assert ran.stderr == "perspt: openai/gpt-4o-mini sent an empty reply (finish reason: content_filter)\n"


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
def test_an_empty_reply_without_a_reason_is_said_and_a_reply_with_text_is_not(stream: bool) -> None:
    flags = () if stream else ("--no-stream",)
    with OpenAIFake() as fake:
        fake.reply = ""
        empty = _ask(fake, *flags)
        fake.reply = "Some text."
        full = _ask(fake, *flags)
    assert empty.returncode == 0 and empty.stdout == "", empty.stderr
    assert "perspt: openai/gpt-4o-mini sent an empty reply" in empty.stderr
    assert full.stdout == "Some text.\n" and "empty reply" not in full.stderr
