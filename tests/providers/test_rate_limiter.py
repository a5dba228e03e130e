"""The client-side limiter from `rate_limiting`."""

from __future__ import annotations

import asyncio
import time

from perspt_doctor.providers.ratelimit import RateLimiter
from tests.fakes.openai_fake import openai_fake
from tests.providers.conftest import build, run


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_per_minute_window() -> None:
    clock = Clock()
    limiter = RateLimiter(requests_per_minute=3, clock=clock, sleep=clock.sleep)

    async def burst() -> list[float]:
        return [await limiter.acquire() for _ in range(5)]

    waits = asyncio.run(burst())
    assert waits[:3] == [0, 0, 0]
    assert waits[3] == 60
    assert waits[4] == 0  # the second slot frees at t+60 too


def test_minimum_interval() -> None:
    clock = Clock()
    limiter = RateLimiter(min_interval=1.5, clock=clock, sleep=clock.sleep)

    async def three() -> list[float]:
        return [await limiter.acquire() for _ in range(3)]

    assert asyncio.run(three()) == [0, 1.5, 1.5]


def test_inactive_without_settings() -> None:
    assert not RateLimiter().active
    assert RateLimiter().reserve() == 0


def test_delay_between_requests_spaces_real_requests() -> None:
    with openai_fake() as fake:
        async def twice() -> None:
            adapter = build("openai", fake.base_url, **{"rate_limiting.delay_between_requests": 0.3})
            try:
                await adapter.list_models()
                await adapter.list_models()
            finally:
                await adapter.aclose()

        started = time.monotonic()
        run(twice())
        assert time.monotonic() - started >= 0.3
        assert len(fake.requests) == 2
