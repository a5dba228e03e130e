"""Retries: which errors, how long, server hints, caps; over the fakes and as a unit."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from perspt_doctor.providers import errors as e
from perspt_doctor.providers.base import ChatRequest, Message
from perspt_doctor.providers.errors import header_retry_after, parse_duration
from perspt_doctor.providers.retry import RetryPolicy
from tests.fakes.anthropic_fake import anthropic_fake
from tests.fakes.gemini_fake import gemini_fake
from tests.fakes.openai_fake import openai_fake
from tests.fakes.server import FakeServer
from tests.providers.conftest import build, collect, run


async def _chat(pid: str, fake: FakeServer, model: str, *, stream: bool = False, **settings: Any) -> Any:
    adapter = build(pid, fake.base_url, **settings)
    request = ChatRequest(model, [Message("user", "hi")])
    try:
        return (await collect(adapter, request))[0] if stream else (await adapter.chat(request)).text
    finally:
        await adapter.aclose()


def _posts(fake: FakeServer) -> int:
    return len([r for r in fake.requests if r.method == "POST"])


def test_retry_after_is_honoured_then_the_request_succeeds() -> None:
    with openai_fake() as fake:
        fake.fail("rate_limit", retry_after=0.4)
        started = time.monotonic()
        assert run(_chat("openai", fake, "gpt-4o-mini", retry_attempts=2)) == fake.reply
        assert time.monotonic() - started >= 0.4
        assert _posts(fake) == 2


def test_retry_after_ms_wins_over_retry_after() -> None:
    with openai_fake() as fake:
        fake.fail("rate_limit", retry_after=30, retry_after_ms=150)
        started = time.monotonic()
        assert run(_chat("openai", fake, "gpt-4o-mini", retry_attempts=1)) == fake.reply
        assert 0.15 <= time.monotonic() - started < 5


def test_anthropic_529_is_retried_in_streams_too() -> None:
    with anthropic_fake() as fake:
        fake.fail("overloaded", retry_after=0.1, times=2)
        assert run(_chat("anthropic", fake, "claude-sonnet-4-6", stream=True, retry_attempts=2)) == fake.reply
        assert _posts(fake) == 3


def test_gemini_retry_delay_from_the_body() -> None:
    with gemini_fake() as fake:
        fake.fail("rate_limit", retry_delay="0.3s")
        started = time.monotonic()
        assert run(_chat("google", fake, "gemini-2.5-flash", retry_attempts=1)) == fake.reply
        assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("kind", ["auth", "quota", "permission", "model_not_found", "context"])
def test_never_retried(kind: str) -> None:
    with openai_fake() as fake:
        fake.fail(kind, times=5)
        with pytest.raises(e.ProviderError):
            run(_chat("openai", fake, "gpt-4o-mini", retry_attempts=3))
        assert _posts(fake) == 1


def test_attempts_are_bounded() -> None:
    with openai_fake() as fake:
        fake.fail("server_error", times=10)
        with pytest.raises(e.ServerError):
            run(_chat("openai", fake, "gpt-4o-mini", retry_attempts=2))
        assert _posts(fake) == 3


def test_a_hint_beyond_the_cap_is_not_waited_out() -> None:
    with openai_fake() as fake:
        fake.fail("rate_limit", retry_after=600)
        started = time.monotonic()
        with pytest.raises(e.RateLimitError) as caught:
            run(_chat("openai", fake, "gpt-4o-mini", retry_attempts=3))
        assert time.monotonic() - started < 2 and caught.value.retry_after == 600
        assert _posts(fake) == 1


def test_x_should_retry_false_forbids() -> None:
    with openai_fake() as fake:
        fake.fail("server_error", headers={"x-should-retry": "false"}, times=3)
        with pytest.raises(e.ServerError):
            run(_chat("openai", fake, "gpt-4o-mini", retry_attempts=3))
        assert _posts(fake) == 1


def test_rate_limiting_max_retries_overrides_for_429() -> None:
    with openai_fake() as fake:
        fake.fail("rate_limit", retry_after=0.01, times=10)
        with pytest.raises(e.RateLimitError):
            run(_chat("openai", fake, "gpt-4o-mini", retry_attempts=0, **{"rate_limiting.max_retries": 2}))
        assert _posts(fake) == 3


def test_backoff_grows_with_jitter_and_stays_capped() -> None:
    policy = RetryPolicy(attempts=10, base=0.5, max_backoff=8.0)
    error = e.ServerError("boom", provider="openai", status=500)
    for n, upper in enumerate([0.5, 1, 2, 4, 8, 8]):
        delays = [policy.next_delay(error, n, 0) for _ in range(50)]
        assert all(d is not None and 0.75 * upper <= d <= upper for d in delays)
        assert len(set(delays)) > 1


def test_deadline_stops_retries() -> None:
    policy = RetryPolicy(attempts=5, deadline=10)
    error = e.RateLimitError("slow down", provider="openai", status=429, retry_after=4)
    assert policy.next_delay(error, 0, 1) == 4
    assert policy.next_delay(error, 0, 7) is None


def test_header_and_duration_parsing() -> None:
    assert header_retry_after({"retry-after": "2.5"}) == 2.5
    assert header_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 < (header_retry_after({"retry-after": later}) or 0) <= 30
    assert header_retry_after({"retry-after": "soon"}) is None
    assert parse_duration("47s") == 47 and parse_duration("120ms") == 0.12
    assert parse_duration("6m0s") == 360 and parse_duration("2m59.56s") == pytest.approx(179.56)
