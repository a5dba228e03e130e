"""What arrives in one network read reaches the caller as one chunk, in order; an error event or an
invalid event after some text in that read still delivers the text before it, then raises."""

from __future__ import annotations

import json
from typing import Any

import pytest

from perspt_doctor.providers.base import ChatRequest, Message
from perspt_doctor.providers.errors import BadResponseError, ProviderError
from tests.infra.servers import Reply, http_server
from tests.providers.conftest import build, run


def _event(content: str) -> str:
    return "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": content}}]}) + "\n\n"


def _sse(*events: str) -> Reply:
    return Reply(200, "".join(events).encode(), {"Content-Type": "text/event-stream"})


REQUEST = ChatRequest(model="gpt-4o-mini", messages=[Message("user", "hi")])


async def _read(adapter: Any) -> tuple[list[str], BaseException | None]:
    texts: list[str] = []
    try:
        async for chunk in adapter.stream(REQUEST):
            if chunk.text:
                texts.append(chunk.text)
    except ProviderError as exc:
        return texts, exc
    finally:
        await adapter.aclose()
    return texts, None


def test_one_read_of_many_tokens_is_one_chunk_in_order() -> None:
    words = [f"w{i} " for i in range(50)]
    with http_server(_sse(*(_event(w) for w in words), "data: [DONE]\n\n")) as server:
        texts, failure = run(_read(build("openai", server.url + "/v1", streaming=True)))
    assert failure is None
    assert "".join(texts) == "".join(words)
    assert len(texts) < len(words)  # coalesced per read (a small body arrives in one or two reads)


@pytest.mark.parametrize("bad", [
    'data: {"error": {"message": "The server had an error", "type": "server_error"}}\n\n',
    "data: {not json\n\n",
])
def test_text_before_a_failing_event_in_the_same_read_is_delivered(bad: str) -> None:
    with http_server(_sse(_event("Hel"), _event("lo"), bad, _event(" never"))) as server:
        texts, failure = run(_read(build("openai", server.url + "/v1", streaming=True)))
    assert "".join(texts) == "Hello"
    assert failure is not None
    if "not json" in bad:
        assert isinstance(failure, BadResponseError)
    else:
        assert "The server had an error" in str(failure)
