"""When and how long to wait before trying a request again.

Retried: rate limits (429), overload (503, 529), server faults (5xx), 408, 409, and network errors
(refused, reset, timeouts). Never retried: authentication, permission, quota and billing, unknown
model, context too long, bad request, or a reply that breaks the protocol. A server's
`x-should-retry: false` forbids a retry; `true` allows one for any status error.

The wait is exponential with jitter (`base * 2**n`, capped, minus up to 25 %), unless the server
says how long: `retry-after-ms`, `retry-after` (seconds or a date) or Gemini's `retryDelay`. A hint
longer than `max_hint` is not waited out: the error is raised at once, so the user learns "retry in
5 minutes" now instead of after a silent wait. No retry starts that would end after `deadline`.

Streams are retried only until the first piece of text has been handed to the caller; after that
a retry would print the start of the answer twice, so the error is raised instead.

Every wait goes through a `Waiter` (`plain_wait` by default): the client passes one that shows the
wait on screen; this layer never prints. Cancelling the waiter cancels the request.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from perspt_doctor.providers.errors import (
    BadResponseError,
    NetworkError,
    ProviderError,
    RateLimitError,
)
from perspt_doctor.settings.schema import schema_default
from perspt_doctor.transport.classify import Kind

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings

T = TypeVar("T")
_RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = field(default_factory=lambda: int(schema_default("retry_attempts")))
    """Retries after the first try."""
    rate_limit_attempts: int | None = None
    """Retries for 429 (`rate_limiting.max_retries`); `attempts` when None."""
    base: float = 0.5
    max_backoff: float = 8.0
    max_hint: float = 60.0
    deadline: float | None = None
    """Seconds from the first try after which no new try starts."""
    jitter: float = 0.25

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        attempts = max(0, settings.integer("retry_attempts"))
        rate = settings.get("rate_limiting.max_retries")
        timeout = settings.number("timeout")
        deadline = timeout if timeout > 0 else None
        return cls(attempts=attempts, rate_limit_attempts=_int(rate, attempts) if rate is not None else None,
                   max_hint=min(60.0, deadline) if deadline else 60.0, deadline=deadline)

    def limit_for(self, error: ProviderError) -> int:
        """How many retries a failure of this kind gets."""
        if isinstance(error, RateLimitError) and self.rate_limit_attempts is not None:
            return self.rate_limit_attempts
        return self.attempts

    def next_delay(self, error: BaseException, retries_done: int, elapsed: float) -> float | None:
        """Seconds to wait before the next try, or None to give up and raise `error`."""
        if not isinstance(error, ProviderError) or not self.is_retryable(error):
            return None
        if retries_done >= self.limit_for(error):
            return None
        hint = getattr(error, "retry_after", None)
        if hint is not None and hint > 0:
            if hint > self.max_hint:
                return None
            delay = float(hint)
        else:
            backoff = min(self.base * (2 ** retries_done), self.max_backoff)
            delay = backoff * (1 - self.jitter * random.random())
        if self.deadline is not None and elapsed + delay >= self.deadline:
            return None
        return delay

    @staticmethod
    def is_retryable(error: ProviderError) -> bool:
        if isinstance(error, BadResponseError):
            return False
        if error.should_retry is False:
            return False
        if error.should_retry is True and error.status is not None:
            return True
        if isinstance(error, NetworkError):
            # A proxy's own refusal (407, 403) is an answer, not a glitch: as final as a 401 or 403 from the API.
            return error.cause is None or error.cause.kind not in _PROXY_ANSWERS
        return type(error).retryable and (error.status is None or error.status in _RETRY_STATUSES
                                          or error.status >= 500 or error.status < 400)


_PROXY_ANSWERS = (Kind.PROXY_AUTH, Kind.PROXY_DENIED)


@dataclass(frozen=True)
class RetryWait:
    """One wait before trying again, for whoever shows it."""

    provider: str
    error: ProviderError
    delay: float
    """Seconds."""
    retry: int
    """Which retry comes after the wait: 1 for the first."""
    retries: int
    """How many retries this kind of failure gets."""

    def reason(self) -> str:
        if isinstance(self.error, RateLimitError):
            return f"rate limited by {self.provider}"
        if isinstance(self.error, NetworkError):
            return f"{self.provider} did not answer"
        if self.error.status is not None:
            return f"{self.provider} answered {self.error.status}"
        return f"{self.provider} failed"

    def line(self, remaining: float | None = None) -> str:
        """`rate limited by openai; retrying in 2 s (1/2)`."""
        left = self.delay if remaining is None else max(remaining, 0.0)
        shown = f"{left:.1f}" if left < 1 else f"{math.ceil(left - 1e-9)}"
        return f"{self.reason()}; retrying in {shown} s ({self.retry}/{self.retries})"


Waiter = Callable[[RetryWait], Awaitable[None]]
"""Sleeps out a wait (and may show it); cancelling it cancels the request."""


async def plain_wait(wait: RetryWait) -> None:
    await asyncio.sleep(wait.delay)


async def call_with_retries(policy: RetryPolicy, attempt: Callable[[], Awaitable[T]], *, provider: str = "",
                            wait: Waiter = plain_wait) -> T:
    started = time.monotonic()
    retries = 0
    while True:
        try:
            return await attempt()
        except ProviderError as exc:
            delay = policy.next_delay(exc, retries, time.monotonic() - started)
            if delay is None:
                raise
            retries += 1
            await wait(RetryWait(provider or exc.provider or "the provider", exc, delay, retries,
                                 policy.limit_for(exc)))


def _int(value: Any, default: int) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default
