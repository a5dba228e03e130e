"""OpenAI fakes whose streamed replies take their time: one that never ends, one that ends after a known
number of tokens."""

from __future__ import annotations

import time
from collections.abc import Iterator

from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import sse


class EndlessFake(OpenAIFake):
    """Streams ` tok` every `interval` seconds and never ends."""

    interval = 0.02

    def _events(self, model: str, include_usage: bool) -> Iterator[bytes]:
        yield sse(self._chunk(model, {"role": "assistant", "content": ""}))
        while True:
            yield sse(self._chunk(model, {"content": " tok"}))
            time.sleep(self.interval)


class SlowFake(OpenAIFake):
    """Streams `count` tokens (` t1` ... ` tN`), one every `interval` seconds, then ends the reply."""

    interval = 0.1
    count = 20

    def _events(self, model: str, include_usage: bool) -> Iterator[bytes]:
        yield sse(self._chunk(model, {"role": "assistant", "content": ""}))
        for n in range(1, self.count + 1):
            yield sse(self._chunk(model, {"content": f" t{n}"}))
            time.sleep(self.interval)
        yield sse(self._chunk(model, {}, "stop"))
        yield b"data: [DONE]\n\n"
