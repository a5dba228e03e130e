"""Typed provider errors, one class per kind of cause the transport's classifier finds in a reply.

Every error carries the provider id, the HTTP status, the provider's own error code or type, one
redacted line of message (error bodies sometimes echo the key), a hint saying what to do, and the
`Cause` (`transport/classify.py`) that says which layer failed and which doctor check explains it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from perspt_doctor import errors
from perspt_doctor.redact import redact
from perspt_doctor.transport.classify import Cause, Kind, cause_of, classify_reply, extract, parse_body

_MAX_MESSAGE = 300


class ProviderError(errors.ProviderError):
    kind: ClassVar[str] = "provider_error"
    cause_kind: ClassVar[Kind] = Kind.UNKNOWN
    """The classifier's kind for an error of this class made without a `Cause` (by an adapter itself)."""
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, provider: str, status: int | None = None, code: str | None = None,
                 hint: str | None = None, request_id: str | None = None,
                 headers: Mapping[str, str] | None = None, cause: Cause | None = None) -> None:
        self.message = one_line(message)
        super().__init__(self.message)
        self.provider = provider
        self.status = status
        self.code = code
        self.hint = redact(hint) if hint else None
        self.request_id = request_id
        self.headers: dict[str, str] = dict(headers or {})
        self.should_retry: bool | None = _should_retry(self.headers)
        self.cause = cause

    def classified(self) -> Cause:
        """The classifier's cause: the one found when the error was made, else this class's kind."""
        if self.cause is not None:
            return self.cause
        kind = Kind.MISSING_KEY if self.code == "missing_key" else self.cause_kind
        return cause_of(kind, self.message, status=self.status, provider=self.provider)

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{self.provider}: {self.message}{status}"

    def with_default_hint(self) -> ProviderError:
        if not self.hint:
            from perspt_doctor.providers.hints import hint_for

            self.hint = hint_for(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "provider": self.provider, "status": self.status, "code": self.code,
                "message": self.message, "hint": self.hint, "request_id": self.request_id}


class AuthenticationError(ProviderError):
    kind = "authentication"
    cause_kind = Kind.AUTH


class PermissionDeniedError(ProviderError):
    kind = "permission"
    cause_kind = Kind.FORBIDDEN


class QuotaExceededError(ProviderError):
    """Billing, credits, monthly or daily quota: waiting a few seconds will not help."""

    kind = "quota"
    cause_kind = Kind.QUOTA


class RateLimitError(ProviderError):
    kind = "rate_limit"
    cause_kind = Kind.RATE_LIMIT
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "retry_after": self.retry_after}


class ModelNotFoundError(ProviderError):
    kind = "model_not_found"
    cause_kind = Kind.MODEL_NOT_FOUND

    def __init__(self, message: str, *, model: str | None = None, suggestions: list[str] | None = None,
                 **kw: Any) -> None:
        super().__init__(message, **kw)
        self.model = model
        self.suggestions = list(suggestions or [])

    def with_suggestions(self, suggestions: list[str]) -> ModelNotFoundError:
        self.suggestions = list(suggestions)
        if suggestions:
            self.hint = f"did you mean {', '.join(suggestions)}? (`perspt models --provider {self.provider}` lists them)"
        if self.provider == "ollama" and self.model:
            self.hint = f"pull it: `ollama pull {self.model}`" + (f"; or did you mean {', '.join(suggestions)}?"
                                                                 if suggestions else "")
        return self

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "model": self.model, "suggestions": self.suggestions}


class ContextTooLongError(ProviderError):
    kind = "context_too_long"
    cause_kind = Kind.CONTEXT_TOO_LONG


class OutOfMemoryError(ProviderError):
    """A local model server could not load the model: it does not fit in RAM or GPU memory."""

    kind = "out_of_memory"
    cause_kind = Kind.OUT_OF_MEMORY


class BadRequestError(ProviderError):
    """The provider rejected the request itself (an unsupported parameter, a malformed field)."""

    kind = "bad_request"
    cause_kind = Kind.BAD_REQUEST


class EndpointNotFoundError(ProviderError):
    """404 for something other than a model: usually a base URL missing or repeating `/v1`."""

    kind = "endpoint_not_found"
    cause_kind = Kind.ENDPOINT_NOT_FOUND


class OverloadedError(ProviderError):
    kind = "overloaded"
    cause_kind = Kind.OVERLOADED
    retryable = True


class ServerError(ProviderError):
    kind = "server_error"
    cause_kind = Kind.SERVER
    retryable = True


class BadResponseError(ProviderError):
    """The reply is not what the protocol promises: invalid JSON, an HTML page, a truncated stream."""

    kind = "bad_response"
    cause_kind = Kind.BAD_RESPONSE


class NetworkError(ProviderError):
    """No usable HTTP reply: DNS, refused, reset, TLS, proxy, timeout. `cause` says which."""

    kind = "network"
    cause_kind = Kind.UNKNOWN
    retryable = True


class StreamInterruptedError(NetworkError):
    """The connection broke after the reply had begun to arrive: what came is kept, the rest is lost."""

    retryable = False
    cause_kind = Kind.STREAM_CUT

    @classmethod
    def after(cls, error: NetworkError) -> StreamInterruptedError:
        cause = error.cause
        if cause is None or cause.kind is not Kind.STREAM_CUT:
            from dataclasses import replace

            cause = replace(cause or cause_of(Kind.STREAM_CUT, error.message), kind=Kind.STREAM_CUT)
        return cls(f"the stream was interrupted after the reply began: {error.message}", cause=cause,
                   provider=error.provider, status=error.status,
                   hint="usually a proxy or load balancer that closes long connections, or a flaky network: ask "
                        "again, raise `stream_timeout`, or use `--no-stream`; `perspt doctor --live` sends a real "
                        "streamed request (one billable token) to test the stream end to end")


def one_line(text: str) -> str:
    text = redact(" ".join(str(text).split()))
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _should_retry(headers: Mapping[str, str]) -> bool | None:
    value = headers.get("x-should-retry")
    if value is None:
        return None
    return value.strip().lower() == "true"


# ---- reading error bodies -----------------------------------------------------------------

_HTML = re.compile(rb"^\s*(?:<!doctype html|<html|<head|<body|<\?xml)", re.I)
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$")
_TRY_AGAIN = re.compile(r"try again in ((?:\d+(?:\.\d+)?(?:h|ms|m|s))+)", re.I)


def parse_duration(text: str) -> float | None:
    """`47s`, `1.5s`, `120ms`, `6m0s`, `2m59.56s` -> seconds."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        return None
    h, m, s, ms = (float(g) if g else 0.0 for g in match.groups())
    return h * 3600 + m * 60 + s + ms / 1000


def gemini_retry_delay(err: Mapping[str, Any]) -> float | None:
    for detail in err.get("details") or ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            delay = detail.get("retryDelay")
            if isinstance(delay, str):
                return parse_duration(delay)
    return None


def header_retry_after(headers: Mapping[str, str]) -> float | None:
    """`retry-after-ms`, then `retry-after` (seconds or an HTTP date), in seconds."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    import datetime as dt

    now = dt.datetime.now(when.tzinfo or dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def retry_after_of(headers: Mapping[str, str], err: Mapping[str, Any], message: str) -> float | None:
    delay = header_retry_after(headers)
    if delay is None:
        delay = gemini_retry_delay(err)
    if delay is None:
        match = _TRY_AGAIN.search(message)
        if match:
            delay = parse_duration(match.group(1))
    return delay


# ---- the mapping ----------------------------------------------------------------------------

def from_response(provider: str, protocol: str, status: int, raw: bytes, headers: Mapping[str, str], *,
                  model: str | None = None, content_type: str = "", proxy: str | None = None,
                  url: str | None = None) -> ProviderError:
    """Turn an HTTP error reply (or an error event inside a 200 stream) into a typed error."""
    from perspt_doctor.providers.hints import hint_for

    lower_headers = {k.lower(): v for k, v in headers.items()}
    request_id = lower_headers.get("x-request-id") or lower_headers.get("request-id")
    body = parse_body(raw)
    message, code, etype, err = extract(body)
    html = body is None and bool(_HTML.match(raw[:200]))
    common: dict[str, Any] = {"provider": provider, "status": status or None, "request_id": request_id,
                              "headers": lower_headers}
    if body is None:
        snippet = _html_title(raw) if html else raw[:120].decode("utf-8", "replace")
        what = f"an HTML page ({snippet})" if html else f"a non-JSON reply ({snippet or 'empty body'})"
        message = f"HTTP {status} with {what}"
    cause = classify_reply(status, raw, lower_headers, protocol=protocol, proxy=proxy, url=url, provider=provider)
    if cause.is_proxy:
        return NetworkError(cause.message, cause=cause, hint=f"{cause.doctor_hint} (`perspt doctor --provider "
                                                             f"{provider}` checks it all)", **common)
    if protocol == "gemini" and isinstance(err, dict) and etype and not code:
        from perspt_doctor.transport.classify import gemini_reason

        code = gemini_reason(err) or etype
    label = code or etype
    cls = ERROR_OF_KIND.get(cause.kind, BadRequestError)
    if cls is BadResponseError and body is None and status < 400:
        message = f"expected JSON, got {message.split(' with ', 1)[-1]}"
    kw: dict[str, Any] = {}
    if cls is RateLimitError:
        kw["retry_after"] = retry_after_of(lower_headers, err, message)
    if cls is ModelNotFoundError:
        kw["model"] = model
    error = cls(message or f"HTTP {status}", code=label, cause=cause, **common, **kw)
    error.hint = hint_for(error, html=html)
    return error


def _html_title(raw: bytes) -> str:
    match = re.search(rb"<title>(.*?)</title>", raw[:4000], re.I | re.S)
    return match.group(1).decode("utf-8", "replace").strip()[:80] if match else "no title"


ERROR_OF_KIND: dict[Kind, type[ProviderError]] = {
    Kind.AUTH: AuthenticationError, Kind.FORBIDDEN: PermissionDeniedError, Kind.QUOTA: QuotaExceededError,
    Kind.RATE_LIMIT: RateLimitError, Kind.MODEL_NOT_FOUND: ModelNotFoundError,
    Kind.CONTEXT_TOO_LONG: ContextTooLongError, Kind.ENDPOINT_NOT_FOUND: EndpointNotFoundError,
    Kind.BAD_REQUEST: BadRequestError, Kind.BAD_RESPONSE: BadResponseError, Kind.SERVER: ServerError,
    Kind.OVERLOADED: OverloadedError, Kind.OUT_OF_MEMORY: OutOfMemoryError,
}
"""The typed error for each cause the classifier finds in a reply (proxy causes become NetworkError)."""
