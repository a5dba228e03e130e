"""A streamed request answered with a body that holds no event: a server's plain JSON error (some
OpenAI-compatible servers and gateways answer a stream that way) or a proxy's HTML page. The error it
holds is the one the user sees, as for any error reply; "the stream ended before the reply was complete"
said nothing of it. A body of keep-alive comments only is still that."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.client.clirun import openai_env
from tests.fakes.openai_fake import OpenAIFake

BODIES = {
    "json-error": (b'{"error": {"message": "The model `gpt-4o-mini` does not exist", '
                   b'"type": "invalid_request_error", "code": "model_not_found"}}\n',
                   "Error (model_not_found): openai: The model `gpt-4o-mini` does not exist"),
    "html-page": (b"<html><head><title>Blocked by the office proxy</title></head><body>...</body></html>",
                  "Error (bad_response): openai: expected JSON, got an HTML page (Blocked by the office proxy)"),
    "comments-only": (b": keep-alive\n\n: keep-alive\n\n",
                      "Error (bad_response): openai: the stream ended before the reply was complete"),
}


class SilentFake(OpenAIFake):
    """A chat stream (200, text/event-stream) whose body is `body`, sent in two pieces."""

    body = b""

    def _events(self, model: str, include_usage: bool) -> Iterator[bytes]:
        half = len(self.body) // 2
        yield self.body[:half]
        yield self.body[half:]


@pytest.mark.parametrize("name", list(BODIES))
def test_a_stream_without_events_reports_what_its_body_says(name: str) -> None:
    body, says = BODIES[name]
    with SilentFake() as fake:
        fake.body = body
        ran = subprocess.run([sys.executable, "-m", "perspt_doctor", "-q", "hi"], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=60, env={**os.environ, **openai_env(fake)})
    assert ran.returncode == 1, ran.stderr
    assert ran.stderr.splitlines()[0].startswith(says), ran.stderr
    assert "Traceback" not in ran.stderr
