"""ratelimit.<provider>: the requests and tokens left, read from the rate-limit headers of the models reply
that auth.<provider> fetched (OpenAI/Groq `x-ratelimit-*`, Anthropic `anthropic-ratelimit-*`, Mistral
`x-ratelimit-*-minute`, Cohere trial counters), with a warning when a budget is nearly spent and the
time it resets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Result,
    check,
)

DOCS = "docs/troubleshooting.md#rate-limits-and-quota"
NEARLY_SPENT = 0.10
"""Warn when at most this share of a budget is left."""


@dataclass(frozen=True)
class Window:
    name: str
    limit: float | None
    remaining: float | None
    reset_s: float | None = None
    """Seconds until the budget refills (None: the provider does not say)."""

    @property
    def spent_share(self) -> float | None:
        if self.limit is None or self.remaining is None or self.limit <= 0:
            return None
        return 1 - self.remaining / self.limit

    @property
    def nearly_spent(self) -> bool:
        if self.remaining is None:
            return False
        if self.remaining <= 0:
            return True
        return self.limit is not None and self.limit > 0 and self.remaining <= max(1, self.limit * NEARLY_SPENT)

    @property
    def left(self) -> str:
        left = _num(self.remaining) if self.remaining is not None else "?"
        return f"{left} of {_num(self.limit)} left" if self.limit is not None else f"{left} left"

    def describe(self) -> str:
        text = f"{self.name}: {self.left}"
        if self.reset_s is not None:
            text += f" (resets in {human(self.reset_s)})" if self.reset_s > 0 else " (resets now)"
        return text

    def facts(self, now: dt.datetime) -> dict[str, Any]:
        out: dict[str, Any] = {"limit": self.limit, "remaining": self.remaining}
        if self.reset_s is not None:
            out["reset_s"] = round(self.reset_s, 3)
            out["reset_at"] = (now + dt.timedelta(seconds=max(0.0, self.reset_s))).isoformat(timespec="seconds")
        return out


def human(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


def parse_reset(value: str | None, now: dt.datetime) -> float | None:
    """`6m0s`, `1.5s`, `120ms`, `20` (seconds), a Unix time, or an RFC 3339 time -> seconds from now."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if "T" in text and "-" in text:
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        return (when - now).total_seconds()
    seconds = api.parse_duration(text)
    if seconds is not None and seconds > 1_000_000_000:  # a Unix time
        return seconds - now.timestamp()
    return seconds


_OPENAI_KINDS = (("requests", "requests"), ("tokens", "tokens"))
_ANTHROPIC_KINDS = (("requests", "requests"), ("tokens", "tokens"), ("input-tokens", "input tokens"),
                    ("output-tokens", "output tokens"))
_MISTRAL_KINDS = (("req-minute", "requests per minute"), ("tokens-minute", "tokens per minute"),
                  ("tokens-month", "tokens per month"))


def parse_windows(headers: Mapping[str, str], now: dt.datetime) -> list[Window]:
    h = {k.lower(): v for k, v in headers.items()}
    out: list[Window] = []

    def add(name: str, limit: str | None, remaining: str | None, reset: float | None) -> None:
        if limit is None and remaining is None:
            return
        out.append(Window(name, _int(limit), _int(remaining), reset))

    for key, name in _OPENAI_KINDS:
        add(name, h.get(f"x-ratelimit-limit-{key}"), h.get(f"x-ratelimit-remaining-{key}"),
            parse_reset(h.get(f"x-ratelimit-reset-{key}"), now))
    for key, name in _ANTHROPIC_KINDS:
        prefix = f"anthropic-ratelimit-{key}"
        add(name, h.get(f"{prefix}-limit"), h.get(f"{prefix}-remaining"), parse_reset(h.get(f"{prefix}-reset"), now))
    for key, name in _MISTRAL_KINDS:
        add(name, h.get(f"x-ratelimit-limit-{key}"), h.get(f"x-ratelimit-remaining-{key}"), None)
    add("trial calls", h.get("x-trial-endpoint-call-limit"), h.get("x-trial-endpoint-call-remaining"), None)
    if not out:
        for prefix in ("x-ratelimit", "ratelimit"):
            add("requests", h.get(f"{prefix}-limit"), h.get(f"{prefix}-remaining"),
                parse_reset(h.get(f"{prefix}-reset"), now))
            if out:
                break
    return out


def credit_window(key_info: Mapping[str, Any] | None) -> Window | None:
    """OpenRouter's key info: a credit limit and what is left of it (None: no limit set)."""
    if not key_info:
        return None
    limit, remaining = key_info.get("limit"), key_info.get("limit_remaining")
    if not isinstance(limit, int | float) or not isinstance(remaining, int | float):
        return None
    return Window("credits (USD)", float(limit), float(remaining))


def ratelimit_verdict(pid: str, headers: Mapping[str, str], *, now: dt.datetime | None = None,
                      throttled: api.RateLimitError | None = None,
                      key_info: Mapping[str, Any] | None = None) -> Result:
    now = now or dt.datetime.now(dt.timezone.utc)
    name = api.display_name(pid)
    windows = parse_windows(headers, now)
    credits = credit_window(key_info)
    if credits is not None:
        windows.append(credits)
    facts: dict[str, Any] = {"windows": {w.name: w.facts(now) for w in windows}}
    details = [w.describe() for w in windows]
    if throttled is not None:
        facts["retry_after_s"] = throttled.retry_after
        wait = f"; retry in {human(throttled.retry_after)}" if throttled.retry_after else ""
        empty = [w for w in windows if w.remaining == 0]
        which = f" ({', '.join(w.name for w in empty)} used up)" if empty else ""
        return Result.fail(f"{name} is rate limiting this key right now (429{' ' + throttled.code if throttled.code else ''})"
                           f"{which}{wait}", details=details + [f"{name} said: {throttled.message}"], facts=facts,
                           hint="wait for the reset; to stay under the limit set `rate_limiting.requests_per_minute` "
                                "or `rate_limiting.delay_between_requests`, or raise the account's tier",
                           docs=DOCS)
    if not windows:
        return Result.skip(f"{name} sends no rate-limit headers; nothing to read", facts=facts, docs=DOCS)
    low = [w for w in windows if w.nearly_spent]
    if low:
        worst = min(low, key=lambda w: (w.remaining or 0))
        reset = (f"; it resets in {human(worst.reset_s)}" if worst.reset_s and worst.reset_s > 0
                 else "; it resets now" if worst.reset_s is not None else "")
        spent = "used up" if worst.remaining == 0 else "nearly used up"
        return Result.warn(f"{worst.name} {spent}: {worst.left}{reset}",
                           details=details, facts=facts, docs=DOCS,
                           hint="requests will soon get 429 until the reset; slow down with "
                                "`rate_limiting.requests_per_minute`, or add credits or raise the tier")
    return Result.ok("; ".join(details), facts=facts, docs=DOCS,
                     details=["read from the models reply; token limits for chat can differ per model"])


def not_ollama(ctx: CheckContext) -> bool | str:
    if ctx.provider == "ollama":
        return "a local Ollama server has no rate limits"
    return True


@check("ratelimit.{provider}", "Rate limits left at {provider}", "ratelimit", per_provider=True, needs_network=True,
       timeout=20, depends_on=("auth.{provider}",), applies=not_ollama, docs=DOCS)
async def ratelimit_check(ctx: CheckContext) -> Result:
    """Reads the requests and tokens left, and when they reset, from the rate-limit headers of the models
    reply `auth.{provider}` fetched.

    Understands OpenAI and Groq `x-ratelimit-*`, Anthropic `anthropic-ratelimit-*`, Mistral
    `x-ratelimit-*-minute`/`-month`, Cohere trial counters, generic `ratelimit-*` headers, and OpenRouter's
    credit limit from `GET /key`. No request of its own; limits for chat may differ per model.

    ok: every budget has more than 10% left; the summary lists them.
    warn: a budget is used up or nearly (10% or less left); the summary says when it resets. Fix: slow
      down with `rate_limiting.requests_per_minute`, or add credits or raise the tier.
    fail: the provider answered the models request with 429: it rate limits this key right now. Fix: wait
      for the reset; set `rate_limiting.requests_per_minute` or `rate_limiting.delay_between_requests`.
    skip: the provider sends no rate-limit headers; no reply to read them from (`auth.{provider}` got an
      error); or the provider is Ollama, which has no rate limits.
    """
    assert ctx.provider is not None
    probe = await ctx.service(api.MODELS)
    if isinstance(probe.error, api.RateLimitError):
        return ratelimit_verdict(ctx.provider, probe.headers, throttled=probe.error)
    if probe.listing is None:
        reason = probe.error.message if probe.error is not None else probe.config_error or "no reply"
        return Result.skip(f"no reply to read the limits from (auth.{ctx.provider}: {reason})", docs=DOCS)
    return ratelimit_verdict(ctx.provider, probe.headers, key_info=probe.key_info)
