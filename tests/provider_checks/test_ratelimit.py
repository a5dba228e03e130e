"""ratelimit.<provider>: header parsing and every verdict against the loopback fakes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from checks.ratelimit import parse_reset, parse_windows
from tests.fakes.gemini_fake import gemini_fake
from tests.fakes.openai_fake import openai_fake
from tests.provider_checks.conftest import Probe, verdict
from tests.provider_checks.fleet import (
    MISTRAL_HEADERS,
    FleetAnthropic,
    FleetCohere,
    FleetOpenAI,
    FleetOpenRouter,
    key_for,
)

NOW = dt.datetime(2025, 8, 21, 12, 40, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(("value", "seconds"), [
    ("6m0s", 360.0), ("1.5s", 1.5), ("120ms", 0.12), ("2m59.56s", 179.56), ("20", 20.0),
    ("2025-08-21T12:40:59Z", 59.0), ("2025-08-21T12:45:00+00:00", 300.0), (str(int(NOW.timestamp()) + 30), 30.0),
    ("soon", None), ("", None),
])
def test_reset_formats(value: str, seconds: float | None) -> None:
    result = parse_reset(value, NOW)
    assert result == pytest.approx(seconds) if seconds is not None else result is None


def test_every_header_family_is_read() -> None:
    windows = parse_windows({
        "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49",
        "anthropic-ratelimit-requests-reset": "2025-08-21T12:41:00Z",
        "anthropic-ratelimit-input-tokens-limit": "30000", "anthropic-ratelimit-input-tokens-remaining": "29000",
        "anthropic-ratelimit-output-tokens-limit": "8000", "anthropic-ratelimit-output-tokens-remaining": "8000",
        "x-trial-endpoint-call-limit": "10", "x-trial-endpoint-call-remaining": "9", **MISTRAL_HEADERS}, NOW)
    assert {w.name: (w.limit, w.remaining) for w in windows} == {
        "requests": (50, 49), "input tokens": (30000, 29000), "output tokens": (8000, 8000),
        "requests per minute": (60, 59), "tokens per minute": (500000, 499990), "trial calls": (10, 9)}
    assert windows[0].reset_s == pytest.approx(60.0)


def _openai(probe: Probe, headers: dict[str, str] | None = None, fault: tuple[str, dict[str, Any]] | None = None) -> Any:
    key = key_for("openai")
    with FleetOpenAI(api_key=key).start() as fake:
        fake.rate_headers = headers
        if fault:
            fake.fail(fault[0], **fault[1])
        return probe("openai", {"provider": "openai", "provider_endpoints": {"openai": fake.base_url}},
                     {"OPENAI_API_KEY": key})


def test_plenty_left(probe: Probe) -> None:
    row = verdict(_openai(probe)["ratelimit.openai"], "ratelimit", "ok", "requests: 499 of 500 left (resets in "
                  "120 ms); tokens: 29980 of 30000 left (resets in 6 min)", None)
    tokens = row.result.facts["windows"]["tokens"]
    assert tokens["limit"] == 30000 and tokens["reset_s"] == 360.0 and "reset_at" in tokens


def test_nearly_spent_tokens(probe: Probe) -> None:
    rows = _openai(probe, {"x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "480",
                           "x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "1200",
                           "x-ratelimit-reset-tokens": "47s"})
    verdict(rows["ratelimit.openai"], "ratelimit", "warn", "tokens nearly used up: 1200 of 30000 left; it resets "
            "in 47 s", "requests will soon get 429 until the reset")


def test_used_up(probe: Probe) -> None:
    rows = _openai(probe, {"x-ratelimit-limit-requests": "200", "x-ratelimit-remaining-requests": "0",
                           "x-ratelimit-reset-requests": "6m0s"})
    verdict(rows["ratelimit.openai"], "ratelimit", "warn", "requests used up: 0 of 200 left; it resets in 6 min",
            "rate_limiting.requests_per_minute")


def test_throttled_now(probe: Probe) -> None:
    rows = _openai(probe, fault=("rate_limit", {"retry_after": 20}))
    row = verdict(rows["ratelimit.openai"], "ratelimit", "fail", "OpenAI is rate limiting this key right now (429 "
                  "rate_limit_exceeded) (requests used up); retry in 20 s", "wait for the reset")
    assert row.result.facts["retry_after_s"] == 20


def test_no_headers(probe: Probe) -> None:
    key = key_for("google")
    with gemini_fake(api_key=key) as fake:
        rows = probe("google", {"provider": "google", "provider_endpoints": {"google": fake.base_url}},
                     {"GEMINI_API_KEY": key})
    verdict(rows["ratelimit.google"], "ratelimit", "skip", "Google Gemini sends no rate-limit headers", None)


def test_anthropic_reset_time(probe: Probe) -> None:
    key = key_for("anthropic")
    reset = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)).isoformat(timespec="seconds")
    with FleetAnthropic(api_key=key).start() as fake:
        fake.rate_headers = {"anthropic-ratelimit-requests-limit": "50",
                             "anthropic-ratelimit-requests-remaining": "2", "anthropic-ratelimit-requests-reset": reset}
        rows = probe("anthropic", {"provider": "anthropic", "provider_endpoints": {"anthropic": fake.base_url}},
                     {"ANTHROPIC_API_KEY": key})
    row = verdict(rows["ratelimit.anthropic"], "ratelimit", "warn", "requests nearly used up: 2 of 50 left; it resets "
                  "in 5 min", "429")
    assert row.result.facts["windows"]["requests"]["reset_at"][:16] == reset[:16]


def test_cohere_trial_calls(probe: Probe) -> None:
    key = key_for("cohere")
    with FleetCohere(api_key=key).start() as fake:
        fake.rate_headers = {"x-trial-endpoint-call-limit": "40", "x-trial-endpoint-call-remaining": "38"}
        rows = probe("cohere", {"provider": "cohere", "provider_endpoints": {"cohere": fake.base_url}},
                     {"COHERE_API_KEY": key})
    verdict(rows["ratelimit.cohere"], "ratelimit", "ok", "trial calls: 38 of 40 left", None)


def test_openrouter_credits_nearly_spent(probe: Probe) -> None:
    key = key_for("openrouter")

    class LowCredit(FleetOpenRouter):
        def route(self, request: Any) -> Any:
            reply = super().route(request)
            if request.path.endswith("/key") and reply.status == 200:
                reply.json["data"].update(limit=20, limit_remaining=0.5)
            return reply

    with LowCredit(api_key=key, models=["openai/gpt-4o-mini"]).start() as fake:
        fake.rate_headers = {}
        rows = probe("openrouter", {"provider": "openrouter", "provider_endpoints": {"openrouter": fake.base_url}},
                     {"OPENROUTER_API_KEY": key})
    verdict(rows["ratelimit.openrouter"], "ratelimit", "warn", "credits (USD) nearly used up: 0.50 of 20 left",
            "add credits")


def test_no_reply_to_read(probe: Probe) -> None:
    key = key_for("openai")
    with openai_fake(api_key=key) as fake:
        fake.fail("server_error")
        rows = probe("openai", {"provider": "openai", "provider_endpoints": {"openai": fake.base_url}},
                     {"OPENAI_API_KEY": key})
    verdict(rows["ratelimit.openai"], "ratelimit", "skip", "no reply to read the limits from (auth.openai:", None)
