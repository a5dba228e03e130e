"""The official SDKs against our fakes, on loopback: if an SDK cannot parse a fake, the fake is wrong."""

from __future__ import annotations

import warnings

import pytest

from tests.fakes.anthropic_fake import anthropic_fake
from tests.fakes.cohere_fake import cohere_fake
from tests.fakes.gemini_fake import gemini_fake
from tests.fakes.openai_fake import openai_fake

HI = [{"role": "user", "content": "Hello"}]


def test_openai_sdk() -> None:
    openai = pytest.importorskip("openai")
    with openai_fake() as fake:
        client = openai.OpenAI(api_key="test-key", base_url=fake.base_url, max_retries=0)
        assert [m.id for m in client.models.list()] == fake.models
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=HI)
        assert reply.choices[0].message.content == fake.reply and reply.usage.completion_tokens == 7
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=HI, stream=True,
                                                stream_options={"include_usage": True})
        chunks = list(stream)
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == fake.reply
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7
        fake.fail("rate_limit", retry_after=3)
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="gpt-4o-mini", messages=HI)
        assert caught.value.code == "rate_limit_exceeded" and caught.value.response.headers["retry-after"] == "3"
        with pytest.raises(openai.NotFoundError) as missing:
            client.chat.completions.create(model="gpt-9", messages=HI)
        assert missing.value.code == "model_not_found"
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(api_key="wrong", base_url=fake.base_url, max_retries=0).models.list()
        fake.fail("stream_error", after=2)
        with pytest.raises(openai.APIError):
            list(client.chat.completions.create(model="gpt-4o-mini", messages=HI, stream=True))


def test_anthropic_sdk() -> None:
    anthropic = pytest.importorskip("anthropic")
    with anthropic_fake() as fake:
        client = anthropic.Anthropic(api_key="test-key", base_url=fake.base_url, max_retries=0)
        assert [m.id for m in client.models.list(limit=2)] == fake.models  # the SDK follows after_id pages
        reply = client.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=HI)
        assert reply.content[0].text == fake.reply and reply.usage.output_tokens == 7
        with client.messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=HI) as stream:
            assert "".join(stream.text_stream) == fake.reply
            final = stream.get_final_message()
        assert final.stop_reason == "end_turn" and final.usage.output_tokens == 7
        fake.fail("overloaded")
        with pytest.raises(anthropic.APIStatusError) as caught:
            client.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=HI)
        assert caught.value.status_code == 529 and type(caught.value).__name__ == "OverloadedError"
        with pytest.raises(anthropic.NotFoundError):
            client.messages.create(model="claude-none", max_tokens=64, messages=HI)
        with pytest.raises(anthropic.AuthenticationError):
            anthropic.Anthropic(api_key="wrong", base_url=fake.base_url, max_retries=0).models.list()
        fake.fail("stream_error", after=4)
        with pytest.raises(anthropic.APIStatusError), \
                client.messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=HI) as broken:
            list(broken.text_stream)


def test_google_genai_sdk() -> None:
    genai = pytest.importorskip("google.genai")
    from google.genai import errors, types

    with gemini_fake() as fake:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client = genai.Client(api_key="test-key",
                                  http_options=types.HttpOptions(base_url=fake.base_url, api_version="v1beta"))
        names = [m.name for m in client.models.list(config={"page_size": 2})]
        assert [n for n in names if "embedding" not in n] == [f"models/{m}" for m in fake.models]
        reply = client.models.generate_content(model="gemini-2.5-flash", contents="Hello")
        assert reply.text == fake.reply and reply.usage_metadata.candidates_token_count == 7
        streamed = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="Hello"))
        assert "".join(c.text or "" for c in streamed) == fake.reply
        assert fake.requests[-1].query["alt"] == ["sse"]
        fake.fail("rate_limit")
        with pytest.raises(errors.ClientError) as caught:
            client.models.generate_content(model="gemini-2.5-flash", contents="Hello")
        assert caught.value.code == 429 and caught.value.status == "RESOURCE_EXHAUSTED"
        fake.fail("auth")
        with pytest.raises(errors.ClientError) as bad_key:
            client.models.generate_content(model="gemini-2.5-flash", contents="Hello")
        assert bad_key.value.code == 400 and "API key not valid" in str(bad_key.value)
        with pytest.raises(errors.ClientError):
            client.models.generate_content(model="gemini-0", contents="Hello")


def test_cohere_sdk() -> None:
    cohere = pytest.importorskip("cohere")
    with cohere_fake() as fake:
        client = cohere.ClientV2(api_key="test-key", base_url=fake.base_url)
        assert [m.name for m in client.models.list().models] == fake.models
        reply = client.chat(model="command-a-03-2025", messages=HI)
        assert reply.message.content[0].text == fake.reply and reply.finish_reason == "COMPLETE"
        assert reply.usage.billed_units.output_tokens == 7
        events = list(client.chat_stream(model="command-a-03-2025", messages=HI))
        text = "".join(ev.delta.message.content.text for ev in events if ev.type == "content-delta")
        assert text == fake.reply and events[-1].type == "message-end"
        with pytest.raises(cohere.core.api_error.ApiError) as missing:
            client.chat(model="command-zzz", messages=HI)
        assert missing.value.status_code == 404
        with pytest.raises(cohere.core.api_error.ApiError) as bad_key:
            cohere.ClientV2(api_key="wrong", base_url=fake.base_url).models.list()
        assert bad_key.value.status_code == 401
