"""The client-side rate limiter: at most `requests_per_minute` requests in any 60 s window and at
least `delay_between_requests` seconds between two starts. One limiter per provider per process,
so a fallback chain or a retry loop shares the same budget.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings

WINDOW = 60.0


class RateLimiter:
    def __init__(self, requests_per_minute: float | None = None, min_interval: float | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.requests_per_minute = int(requests_per_minute) if requests_per_minute else None
        self.min_interval = float(min_interval) if min_interval else 0.0
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()

    @property
    def active(self) -> bool:
        return bool(self.requests_per_minute) or self.min_interval > 0

    def reserve(self) -> float:
        """Book the next free slot and return how long to wait for it (no await: safe without a lock)."""
        now = self._clock()
        slot = now
        if self._starts and self.min_interval:
            slot = max(slot, self._starts[-1] + self.min_interval)
        if self.requests_per_minute:
            while self._starts and self._starts[0] <= slot - WINDOW:
                self._starts.popleft()
            if len(self._starts) >= self.requests_per_minute:
                slot = max(slot, self._starts[-self.requests_per_minute] + WINDOW)
        self._starts.append(slot)
        if self.requests_per_minute:
            while len(self._starts) > self.requests_per_minute:
                self._starts.popleft()
        return max(0.0, slot - now)

    async def acquire(self) -> float:
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)
        return wait


_shared: dict[tuple[str, int | None, float], RateLimiter] = {}


def limiter_for(settings: Settings, provider: str) -> RateLimiter | None:
    """The process-wide limiter for this provider, or None when `rate_limiting` sets no limit."""
    rpm = settings.get("rate_limiting.requests_per_minute")
    delay = settings.get("rate_limiting.delay_between_requests")
    rpm_value = int(rpm) if isinstance(rpm, int | float) and rpm > 0 else None
    delay_value = float(delay) if isinstance(delay, int | float) and delay > 0 else 0.0
    if rpm_value is None and not delay_value:
        return None
    key = (provider, rpm_value, delay_value)
    if key not in _shared:
        _shared[key] = RateLimiter(rpm_value, delay_value)
    return _shared[key]
