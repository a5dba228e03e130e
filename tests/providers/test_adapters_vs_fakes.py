"""Each adapter, built by the real factory, against its protocol's fake over loopback: model lists,
chat in both modes, the headers on the wire, and every error class."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from perspt_doctor.providers import errors as e
from perspt_doctor.providers.base import ChatRequest, Message
from tests.fakes.anthropic_fake import anthropic_fake
from tests.fakes.cohere_fake import cohere_fake
from tests.fakes.gemini_fake import gemini_fake
from tests.fakes.openai_fake import openai_fake
from tests.fakes.server import FakeServer
from tests.providers.conftest import build, collect, run

CASES: dict[str, tuple[Callable[..., AbstractContextManager[Any]], str]] = {
    "openai": (openai_fake, "gpt-4o-mini"),
    "anthropic": (anthropic_fake, "claude-sonnet-4-6"),
    "google": (gemini_fake, "gemini-2.5-flash"),
    "cohere": (cohere_fake, "command-a-03-2025"),
}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> Iterator[tuple[str, FakeServer, str]]:
    factory, model = CASES[request.param]
    with factory() as fake:
        yield request.param, fake, model


def ask(model: str, text: str = "Hello") -> ChatRequest:
    return ChatRequest(model=model, messages=[Message("user", text)], system="Be brief.", temperature=0.2,
                       max_tokens=50)


async def _chat(pid: str, fake: FakeServer, request: ChatRequest, *, stream: bool, **kw: Any) -> Any:
    adapter = build(pid, fake.base_url, **kw)
    try:
        if stream:
            return await collect(adapter, request)
        return await adapter.chat(request)
    finally:
        await adapter.aclose()


def test_list_models(case: tuple[str, FakeServer, str]) -> None:
    pid, fake, _model = case

    async def go() -> Any:
        adapter = build(pid, fake.base_url)
        try:
            return await adapter.list_models()
        finally:
            await adapter.aclose()

    listing = run(go())
    assert [m.id for m in listing.models] == fake.models  # Gemini's embedding-only model is left out
    assert listing.status_code == 200 and listing.headers


def test_model_pagination_is_followed() -> None:
    for pid, make in (("anthropic", anthropic_fake), ("cohere", cohere_fake)):
        with make(models=[f"{pid}-m{i}" for i in range(7)]) as fake:
            fake.api_key = "test-key"
            fake.page_size_max = 3
            listing = run(_list(pid, fake))
            assert [m.id for m in listing.models] == [f"{pid}-m{i}" for i in range(7)]
            assert len([r for r in fake.requests if "models" in r.path]) == 3
    with gemini_fake(models=[f"gemini-m{i}" for i in range(5)]) as gfake:
        gfake.page_size_default = 2
        listing = run(_list("google", gfake))
        assert [m.id for m in listing.models] == [f"gemini-m{i}" for i in range(5)]


async def _list(pid: str, fake: FakeServer) -> Any:
    adapter = build(pid, fake.base_url)
    try:
        return await adapter.list_models()
    finally:
        await adapter.aclose()


def test_chat_non_streaming(case: tuple[str, FakeServer, str]) -> None:
    pid, fake, model = case
    response = run(_chat(pid, fake, ask(model), stream=False))
    assert response.text == fake.reply
    assert response.usage is not None and response.usage.output_tokens == 7
    assert response.finish_reason


def test_chat_streaming(case: tuple[str, FakeServer, str]) -> None:
    pid, fake, model = case
    text, chunks = run(_chat(pid, fake, ask(model), stream=True))
    assert text == fake.reply
    assert len([c for c in chunks if c.text]) == 7
    last = chunks[-1]
    assert last.finish_reason and last.usage is not None and last.usage.output_tokens == 7


EXPECTED_AUTH = {
    "openai": {"authorization": "Bearer test-key"},
    "anthropic": {"x-api-key": "test-key", "anthropic-version": "2023-06-01"},
    "google": {"x-goog-api-key": "test-key"},
    "cohere": {"authorization": "Bearer test-key"},
}


def test_wire_request(case: tuple[str, FakeServer, str]) -> None:
    pid, fake, model = case
    run(_chat(pid, fake, ask(model), stream=True))
    sent = fake.requests[-1]
    for name, value in EXPECTED_AUTH[pid].items():
        assert sent.headers[name] == value
    assert sent.headers["user-agent"].startswith("perspt/")
    body = sent.json
    if pid == "google":
        assert sent.path == f"/v1beta/models/{model}:streamGenerateContent" and sent.query["alt"] == ["sse"]
        assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
        assert body["contents"] == [{"role": "user", "parts": [{"text": "Hello"}]}]
        assert body["generationConfig"] == {"temperature": 0.2, "maxOutputTokens": 50}
    elif pid == "anthropic":
        assert body["system"] == "Be brief." and body["max_tokens"] == 50 and body["stream"] is True
        assert body["messages"] == [{"role": "user", "content": "Hello"}]
    else:
        assert body["messages"][0] == {"role": "system", "content": "Be brief."}
        assert body["stream"] is True and body["model"] == model
    if pid == "openai":
        assert body["max_completion_tokens"] == 50 and body["stream_options"] == {"include_usage": True}


ERROR_KINDS: dict[str, type[e.ProviderError]] = {
    "auth": e.AuthenticationError,
    "permission": e.PermissionDeniedError,
    "model_not_found": e.ModelNotFoundError,
    "rate_limit": e.RateLimitError,
    "quota": e.QuotaExceededError,
    "context": e.ContextTooLongError,
    "server_error": e.ServerError,
    "overloaded": e.OverloadedError,
    "html": e.ServerError,
}


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
@pytest.mark.parametrize("kind", list(ERROR_KINDS))
def test_error_classes(case: tuple[str, FakeServer, str], kind: str, stream: bool) -> None:
    pid, fake, model = case
    fake.fail(kind, retry_after=7, retry_delay="7s", times=5)
    with pytest.raises(ERROR_KINDS[kind]) as caught:
        run(_chat(pid, fake, ask(model), stream=stream))
    error = caught.value
    assert error.provider == pid and error.status and error.status >= 400
    assert error.hint and error.message and "\n" not in error.message
    if kind == "rate_limit":
        assert isinstance(error, e.RateLimitError) and error.retry_after == 7
    if kind == "html":
        assert "HTML page" in error.message and "Bad Gateway" in error.message


def test_unknown_model_is_an_error_with_suggestions(case: tuple[str, FakeServer, str]) -> None:
    pid, fake, model = case
    wrong = model.upper().replace("-", "", 1)
    with pytest.raises(e.ModelNotFoundError) as caught:
        run(_chat(pid, fake, ask(wrong), stream=False))
    assert caught.value.suggestions[0] == model
    assert model in (caught.value.hint or "")
    assert not any(r.json and r.json.get("model") == model for r in fake.requests if r.method == "POST")


@pytest.mark.parametrize("fault,error", [
    ("reset", e.NetworkError), ("truncate", e.BadResponseError), ("invalid_json", e.BadResponseError),
    ("stream_error", e.ProviderError)])
def test_faults_in_the_middle_of_a_stream(case: tuple[str, FakeServer, str], fault: str,
                                          error: type[e.ProviderError]) -> None:
    pid, fake, model = case
    fake.fail(fault, after=5, path="/")
    seen: list[str] = []

    async def go() -> None:
        adapter = build(pid, fake.base_url, retry_attempts=3)
        try:
            async for chunk in adapter.stream(ask(model)):
                seen.append(chunk.text)
        finally:
            await adapter.aclose()

    with pytest.raises(error) as caught:
        run(go())
    assert not isinstance(caught.value, e.BadRequestError)
    if fault == "stream_error":
        assert isinstance(caught.value, e.OverloadedError | e.ServerError)
    assert "".join(seen), "text came before the fault"
    posts = [r for r in fake.requests if r.method == "POST"]
    assert len(posts) == 1, "a stream that already delivered text must not be retried"


def test_a_stream_that_fails_before_any_text_is_retried(case: tuple[str, FakeServer, str]) -> None:
    pid, fake, model = case
    fake.fail("reset", after=0, path="/")
    text, _chunks = run(_chat(pid, fake, ask(model), stream=True, retry_attempts=1))
    assert text == fake.reply
    assert len([r for r in fake.requests if r.method == "POST"]) == 2


def test_invalid_json_and_html_with_status_200(case: tuple[str, FakeServer, str]) -> None:
    pid, fake, model = case
    fake.fail("invalid_json")
    with pytest.raises(e.BadResponseError):
        run(_chat(pid, fake, ask(model), stream=False))
    fake.fail("html", status=200)
    with pytest.raises(e.BadResponseError) as caught:
        run(_chat(pid, fake, ask(model), stream=False))
    assert "HTML" in caught.value.message and "captive portal" in (caught.value.hint or "")


def test_slow_drip_is_cut_by_the_timeout() -> None:
    with openai_fake() as fake:
        fake.fail("drip", interval=0.2, times=3)
        started = time.monotonic()
        with pytest.raises(e.NetworkError) as caught:
            run(_list_with("openai", fake, timeout=0.6))
        assert time.monotonic() - started < 3
        assert "0.6" in caught.value.message


async def _list_with(pid: str, fake: FakeServer, **settings: Any) -> Any:
    adapter = build(pid, fake.base_url, **settings)
    try:
        return await adapter.list_models()
    finally:
        await adapter.aclose()


def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(e.NetworkError) as caught:
        run(_list_with("openai", _Nowhere(port)))
    assert caught.value.cause is not None and caught.value.hint


class _Nowhere(FakeServer):
    def __init__(self, port: int) -> None:
        super().__init__()
        self._port = port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"


def test_missing_key_fails_before_any_request() -> None:
    with openai_fake() as fake:
        with pytest.raises(e.AuthenticationError) as caught:
            run(_list_with_key(fake, None))
        assert caught.value.code == "missing_key" and "OPENAI_API_KEY" in (caught.value.hint or "")
        assert fake.requests == []


async def _list_with_key(fake: FakeServer, key: str | None) -> Any:
    adapter = build("openai", fake.base_url, key=key)
    try:
        return await adapter.list_models()
    finally:
        await adapter.aclose()


def test_a_key_echoed_by_the_provider_is_redacted() -> None:
    secret = "plain-secret-value-0042"
    with openai_fake(echo_key_in_errors=True, api_key="another") as fake, \
            pytest.raises(e.AuthenticationError) as caught:
        run(_list_with_key(fake, secret))
    assert fake.requests[-1].headers["authorization"] == f"Bearer {secret}"
    rendered = f"{caught.value} {caught.value.hint} {caught.value.to_dict()}"
    assert secret not in rendered and "[REDACTED]" in rendered


def test_groq_style_prefix_and_openai_compatible_without_key() -> None:
    with openai_fake(prefix="/openai/v1", api_key=None) as fake:
        listing = run(_list_with("openai-compatible", fake, key=None))
        assert [m.id for m in listing.models] == fake.models
        assert "authorization" not in fake.requests[-1].headers
        assert fake.requests[-1].path == "/openai/v1/models"
