"""The Ollama adapter against the Ollama fake (NDJSON streaming, flat errors), and OLLAMA_HOST forms."""

from __future__ import annotations

from typing import Any

import pytest

from perspt_doctor.providers import errors as e
from perspt_doctor.providers.base import ChatRequest, Message
from perspt_doctor.providers.ollama_adapter import host_url
from tests.fakes.ollama_fake import Fault, ollama_fake
from tests.providers.conftest import build, collect, run


async def _go(fake: Any, what: str, model: str = "llama3.2", **settings: Any) -> Any:
    adapter = build("ollama", fake.base_url, key=None, **settings)
    request = ChatRequest(model, [Message("user", "Why is the sky blue?")], temperature=0.1,
                          options={"num_ctx": 4096})
    try:
        if what == "list":
            return await adapter.list_models()
        if what == "stream":
            return await collect(adapter, request)
        return await adapter.chat(request)
    finally:
        await adapter.aclose()


def test_list_chat_stream() -> None:
    with ollama_fake(models=["llama3.2", "mistral:7b"]) as fake:
        listing = run(_go(fake, "list"))
        assert [m.id for m in listing.models] == ["llama3.2:latest", "mistral:7b"]
        assert listing.models[0].size_bytes
        reply = run(_go(fake, "chat"))
        assert reply.text and reply.usage is not None and reply.usage.output_tokens
        text, chunks = run(_go(fake, "stream"))
        assert text == reply.text and chunks[-1].finish_reason == "stop"
        body = fake.requests[-1].body
        assert body["stream"] is True and body["options"] == {"temperature": 0.1, "num_ctx": 4096}
        assert "authorization" not in {k.lower() for k in fake.requests[-1].headers}


def test_unknown_model_suggests_installed_tags() -> None:
    with ollama_fake(models=["llama3.2", "mistral:7b"]) as fake:
        with pytest.raises(e.ModelNotFoundError) as caught:
            run(_go(fake, "chat", model="lama3.2"))
        assert caught.value.suggestions[:1] == ["llama3.2:latest"]


def test_busy_oom_and_mid_stream_errors() -> None:
    with ollama_fake() as fake:
        fake.busy(times=1)
        with pytest.raises(e.OverloadedError):
            run(_go(fake, "chat"))
        fake.out_of_memory(times=1)
        with pytest.raises(e.OutOfMemoryError) as oom:
            run(_go(fake, "stream"))
        assert "memory" in oom.value.message
        fake.fault("/api/chat", Fault(mid_stream="an error was encountered while running the model", times=1))
        with pytest.raises(e.ServerError):
            run(_go(fake, "stream"))
        fake.reset("/api/tags", times=1)
        with pytest.raises(e.NetworkError):
            run(_go(fake, "list"))


@pytest.mark.parametrize("value,url", [
    ("", "http://127.0.0.1:11434"),
    ("0.0.0.0", "http://127.0.0.1:11434"),
    (":56789", "http://127.0.0.1:56789"),
    ("example.com", "http://example.com:11434"),
    ("example.com:8080", "http://example.com:8080"),
    ("http://example.com", "http://example.com:80"),
    ("https://example.com", "https://example.com:443"),
    ("example.com/path/", "http://example.com:11434/path"),
    ("[::1]:5000", "http://[::1]:5000"),
])
def test_ollama_host_forms(value: str, url: str) -> None:
    assert host_url(value) == url
