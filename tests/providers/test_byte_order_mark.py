"""A server that starts its body with a UTF-8 byte order mark (some Windows-hosted OpenAI-compatible
servers do). A streamed reply lost its first event behind it; a whole reply was read as "HTTP 200" server
error and retried, because the reply parser and the error classifier disagreed on whether it was JSON."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from tests.client.clirun import chat_bodies, openai_env
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import Recorded, Reply


class BomFake(OpenAIFake):
    """Every chat body, streamed or whole, begins with a byte order mark."""

    def _chat(self, request: Recorded) -> Reply:
        reply = super()._chat(request)
        if reply.json is not None:
            return Reply(reply.status, body=codecs.BOM_UTF8 + json.dumps(reply.json).encode(), headers=reply.headers)
        return reply

    def _events(self, model: str, include_usage: bool) -> Iterator[bytes]:
        events = super()._events(model, include_usage)
        next(events)  # the role-only first chunk: servers may leave it out, and the first words come first
        yield codecs.BOM_UTF8 + next(events)
        yield from events


def _ask(fake: OpenAIFake, *args: str) -> subprocess.CompletedProcess[str]:
    env: dict[str, Any] = {**os.environ, **openai_env(fake)}
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args, "-q", "hi"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, env=env)


def test_a_streamed_reply_behind_a_byte_order_mark_is_whole() -> None:
    with BomFake() as fake:
        fake.reply = "First words, then the rest."
        ran = _ask(fake)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "First words, then the rest.\n"


def test_a_whole_reply_behind_a_byte_order_mark_is_read_once() -> None:
    with BomFake() as fake:
        fake.reply = "First words, then the rest."
        ran = _ask(fake, "--no-stream")
        asked = len(chat_bodies(fake))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "First words, then the rest.\n" and ran.stderr == ""
    assert asked == 1, "a good reply is not asked for again"
