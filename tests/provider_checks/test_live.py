"""live.<provider>: skipped without --live; a one-token streamed chat with it, timed, through the fakes."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.anthropic_fake import anthropic_fake
from tests.fakes.ollama_fake import ollama_fake
from tests.fakes.openai_fake import openai_fake
from tests.provider_checks.conftest import Probe, verdict
from tests.provider_checks.fleet import key_for

KEY = key_for("openai")
LIVE = ("live.*",)


def _openai(probe: Probe, fake: Any, live: bool = True, **config: Any) -> Any:
    return probe("openai", {"provider": "openai", "provider_endpoints": {"openai": fake.base_url}, **config},
                 {"OPENAI_API_KEY": KEY}, only=LIVE, live=live)["live.openai"]


def test_skipped_without_live(probe: Probe) -> None:
    with openai_fake(api_key=KEY) as fake:
        row = _openai(probe, fake, live=False)
        assert not fake.requests
    verdict(row, "model", "skip", "not run: --live sends one real chat request (one output token; billable", None)
    assert "billable" in row.check.title


def test_one_token_stream_is_timed_and_labelled_billable(probe: Probe) -> None:
    with openai_fake(api_key=KEY) as fake:
        row = _openai(probe, fake, model="gpt-4o-mini")
        body = fake.last("/chat/completions").json
    verdict(row, "model", "ok", "gpt-4o-mini answered: first token after", None)
    assert "(billable: one request" in row.result.summary
    facts = row.result.facts
    assert facts["billable"] is True and facts["model"] == "gpt-4o-mini" and facts["finish_reason"] == "stop"
    assert 0 < facts["ttft_ms"] <= facts["total_ms"]
    assert body["stream"] is True and body["max_completion_tokens"] == 1


def test_local_ollama_costs_nothing(probe: Probe) -> None:
    with ollama_fake(["llama3.2"]) as fake:
        rows = probe("ollama", {"provider": "ollama", "model": "llama3.2",
                                "provider_endpoints": {"ollama": fake.base_url}}, only=LIVE, live=True)
        sent = [r for r in fake.requests if r.path == "/api/chat"]
    verdict(rows["live.ollama"], "model", "ok", "llama3.2 answered", None)
    assert "(local: no cost)" in rows["live.ollama"].result.summary and rows["live.ollama"].result.facts["billable"] is False
    assert len(sent) == 1


def test_stream_without_text(probe: Probe) -> None:
    with openai_fake(api_key=KEY, reply="") as fake:
        row = _openai(probe, fake, model="o3-mini")
    verdict(row, "model", "ok", "o3-mini answered the stream without text within the 1-token limit (finish: stop", None)
    assert row.result.facts["ttft_ms"] is None and row.result.facts["first_chunk_ms"] is not None


def test_model_refused_for_chat(probe: Probe) -> None:
    with openai_fake(api_key=KEY) as fake:
        row = _openai(probe, fake, model="gpt-4o-mimi")
    verdict(row, "model", "fail", "OpenAI does not serve 'gpt-4o-mimi' to this key for chat; did you mean gpt-4o-mini",
            "did you mean gpt-4o-mini")


def test_key_rejected_on_chat(probe: Probe) -> None:
    with openai_fake(api_key=KEY) as fake:
        fake.fail("auth", path="/chat/completions")
        row = _openai(probe, fake, model="gpt-4o-mini")
    verdict(row, "model", "fail", "chat with gpt-4o-mini: OpenAI rejected the key from OPENAI_API_KEY", "create a new key")
    assert row.result.docs == "docs/troubleshooting.md#live-request"


def test_quota_on_chat(probe: Probe) -> None:
    key = key_for("anthropic")
    with anthropic_fake(api_key=key) as fake:
        fake.fail("quota", path="/v1/messages")
        rows = probe("anthropic", {"provider": "anthropic", "model": "claude-haiku-4-5",
                                   "provider_endpoints": {"anthropic": fake.base_url}}, {"ANTHROPIC_API_KEY": key},
                     only=LIVE, live=True)
    verdict(rows["live.anthropic"], "model", "fail", "chat with claude-haiku-4-5: Anthropic refuses the key",
            "retrying will not help")


def test_stream_cut_short(probe: Probe) -> None:
    with openai_fake(api_key=KEY) as fake:
        fake.fail("truncate", after=2, path="/chat/completions")
        row = _openai(probe, fake, model="gpt-4o-mini")
    verdict(row, "model", "fail", "the stream from OpenAI broke the protocol: the stream ended before the reply was "
            "complete", "")


def test_bad_request_on_chat(probe: Probe) -> None:
    with openai_fake(api_key=KEY) as fake:
        fake.fail("status", status=400, path="/chat/completions", body={"error": {
            "message": "Unsupported parameter: 'max_completion_tokens'.", "type": "invalid_request_error",
            "code": "unsupported_parameter"}})
        row = _openai(probe, fake, model="gpt-4o-mini")
    verdict(row, "model", "fail", "OpenAI refused the chat request with gpt-4o-mini: Unsupported parameter",
            "max_tokens")
    assert json.dumps(row.result.facts)  # facts stay serialisable for the JSON report
