"""Typed provider errors, and the mapping from each provider's error replies to them.

Every error carries the provider id, the HTTP status, the provider's own error code or type, one
redacted line of message (error bodies sometimes echo the key) and a hint saying what to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from perspt_doctor.redact import redact

_MAX_MESSAGE = 300


class ProviderError(Exception):
    kind: ClassVar[str] = "provider_error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, provider: str, status: int | None = None, code: str | None = None,
                 hint: str | None = None, request_id: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.message = one_line(message)
        super().__init__(self.message)
        self.provider = provider
        self.status = status
        self.code = code
        self.hint = redact(hint) if hint else None
        self.request_id = request_id
        self.headers: dict[str, str] = dict(headers or {})
        self.should_retry: bool | None = _should_retry(self.headers)

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


class PermissionDeniedError(ProviderError):
    kind = "permission"


class QuotaExceededError(ProviderError):
    """Billing, credits, monthly or daily quota: waiting a few seconds will not help."""

    kind = "quota"


class RateLimitError(ProviderError):
    kind = "rate_limit"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "retry_after": self.retry_after}


class ModelNotFoundError(ProviderError):
    kind = "model_not_found"

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


class OutOfMemoryError(ProviderError):
    """A local model server could not load the model: it does not fit in RAM or GPU memory."""

    kind = "out_of_memory"


class BadRequestError(ProviderError):
    """The provider rejected the request itself (an unsupported parameter, a malformed field)."""

    kind = "bad_request"


class EndpointNotFoundError(ProviderError):
    """404 for something other than a model: usually a base URL missing or repeating `/v1`."""

    kind = "endpoint_not_found"


class OverloadedError(ProviderError):
    kind = "overloaded"
    retryable = True


class ServerError(ProviderError):
    kind = "server_error"
    retryable = True


class BadResponseError(ProviderError):
    """The reply is not what the protocol promises: invalid JSON, an HTML page, a truncated stream."""

    kind = "bad_response"


class NetworkError(ProviderError):
    """No usable HTTP reply: DNS, refused, reset, TLS, proxy, timeout. `cause` says which."""

    kind = "network"
    retryable = True

    def __init__(self, message: str, *, cause: Any = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.cause = cause


class StreamInterruptedError(NetworkError):
    """The connection broke after the reply had begun to arrive: what came is kept, the rest is lost."""

    retryable = False

    @classmethod
    def after(cls, error: NetworkError) -> StreamInterruptedError:
        return cls(f"the stream was interrupted after the reply began: {error.message}", cause=error.cause,
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

_QUOTA_CODES = {"insufficient_quota", "credit_balance_exhausted", "organization_spend_limit_exceeded",
                "project_spend_limit_exceeded", "organization_usage_limit_exceeded", "billing_error",
                "billing_hard_limit_reached", "enforced_spend_limit_reached"}
_QUOTA_TEXT = re.compile(
    r"credit balance is too low|insufficient (?:balance|credits?)|exceeded your current quota|"
    r"used all available credits|monthly spending limit|doesn't have any credits|billing|"
    r"limited to \d+ api calls / month|payment required", re.I)
_CONTEXT_TEXT = re.compile(
    r"context length|context window|maximum prompt length|prompt is too long|too many tokens|"
    r"exceed(?:s|ed)? (?:the )?(?:context|max(?:imum)? (?:number of )?tokens)|input is too long|request too large|"
    r"token count[^.]*exceeds", re.I)
_CONTEXT_CODES = {"context_length_exceeded", "exceed_context_size_error", "request_too_large",
                  "string_above_max_length"}
_MODEL_TEXT = re.compile(
    r"model[^.]*(?:does not exist|not found|not exist|is not supported for|no longer accessible|deprecated)|"
    r"invalid model|not a valid model|unknown model|no endpoints found|model not exist", re.I)
_AUTH_TEXT = re.compile(
    r"api key not valid|invalid api key|incorrect api key|invalid x-api-key|invalid api token|unauthori[sz]ed|"
    r"no auth credentials|api key not found|unregistered callers|reported as leaked|authentication fails", re.I)
_REGION_TEXT = re.compile(r"location is not supported|country, region, or territory|unsupported_country", re.I)
OUT_OF_MEMORY_MARKERS = ("out of memory", "cudamalloc failed", "insufficient memory", "not enough memory",
                         "failed to allocate", "requires more system memory", "unable to load full model",
                         "resource limitations")


def is_out_of_memory(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in OUT_OF_MEMORY_MARKERS)


_OVERLOAD_TEXT = re.compile(r"overloaded|server busy|capacity|unavailable", re.I)
_HTML = re.compile(rb"^\s*(?:<!doctype html|<html|<head|<body|<\?xml)", re.I)
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$")
_TRY_AGAIN = re.compile(r"try again in ((?:\d+(?:\.\d+)?(?:h|ms|m|s))+)", re.I)


def parse_body(raw: bytes) -> Any:
    """The JSON of an error body, or None when it is not JSON."""
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def extract(body: Any) -> tuple[str, str | None, str | None, dict[str, Any]]:
    """(message, code, type, error object) from any of the providers' error envelopes."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]  # Gemini array-wrapped errors
    if not isinstance(body, dict):
        return "", None, None, {}
    err = body.get("error")
    if isinstance(err, dict):
        code = err.get("code")
        etype = err.get("type") or err.get("status")
        details = err.get("details")
        if isinstance(details, dict) and isinstance(details.get("error_code"), str):
            code = details["error_code"]  # Anthropic spend limits
        return (str(err.get("message") or ""), str(code) if isinstance(code, str) else None,
                str(etype) if isinstance(etype, str) else None, err)
    if isinstance(err, str):  # xAI, Ollama, vLLM auth: flat string
        code = body.get("code")
        return err, str(code) if isinstance(code, str) else None, body.get("type"), body
    message = body.get("message") or body.get("detail") or ""
    if not isinstance(message, str):
        message = json.dumps(message)[:200]
    code = body.get("code")
    return (message, str(code) if code is not None and not isinstance(code, bool) else None,
            body.get("type") if isinstance(body.get("type"), str) else None, body)


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


def _gemini_reason(err: Mapping[str, Any]) -> str | None:
    for detail in err.get("details") or ():
        if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
            return str(detail["reason"])
    return None


def _gemini_daily(err: Mapping[str, Any]) -> bool:
    for detail in err.get("details") or ():
        if isinstance(detail, dict):
            for violation in detail.get("violations") or ():
                if isinstance(violation, dict) and "PerDay" in str(violation.get("quotaId", "")):
                    return True
    return False


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
                  model: str | None = None, content_type: str = "") -> ProviderError:
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
    if protocol == "gemini" and isinstance(err, dict) and etype and not code:
        code = _gemini_reason(err) or etype
    label = code or etype
    effective = status
    if status < 400 and body is not None:  # an error event inside a 200 stream
        numeric = err.get("code") if isinstance(err, dict) else None
        effective = numeric if isinstance(numeric, int) and numeric >= 400 else _TYPE_STATUS.get(label or "", 500)
    cls = _classify(protocol, effective, message, code, etype, err, body is None)
    if cls is BadResponseError and body is None and status < 400:
        message = f"expected JSON, got {message.split(' with ', 1)[-1]}"
    kw: dict[str, Any] = {}
    if cls is RateLimitError:
        kw["retry_after"] = retry_after_of(lower_headers, err, message)
    if cls is ModelNotFoundError:
        kw["model"] = model
    error = cls(message or f"HTTP {status}", code=label, **common, **kw)
    error.hint = hint_for(error, html=html)
    return error


_ENDPOINT_TEXT = re.compile(r"invalid url|unknown (?:request )?url|no route|unrecognized request url|"
                            r"page not found|path not found", re.I)


def _html_title(raw: bytes) -> str:
    match = re.search(rb"<title>(.*?)</title>", raw[:4000], re.I | re.S)
    return match.group(1).decode("utf-8", "replace").strip()[:80] if match else "no title"


def _classify(protocol: str, status: int, message: str, code: str | None, etype: str | None,
              err: Mapping[str, Any], not_json: bool) -> type[ProviderError]:
    codes = {c for c in (code, etype) if c}
    if not_json:
        if status in (401, 407):
            return AuthenticationError
        if status == 403:
            return PermissionDeniedError
        if status == 429:
            return RateLimitError
        if status == 529 or status == 503:
            return OverloadedError
        if status >= 500:
            return ServerError
        if status == 404:
            return EndpointNotFoundError
        return BadResponseError
    if codes & _QUOTA_CODES or status == 402:
        return QuotaExceededError
    if status == 401 or "API_KEY_INVALID" in codes or "authentication_error" in codes:
        return AuthenticationError
    if protocol == "cohere" and status == 498:
        return AuthenticationError
    if status == 429:
        if _QUOTA_TEXT.search(message) and not (protocol == "gemini" and not _gemini_daily(err)
                                                and "limit: 0" not in message):
            return QuotaExceededError
        return RateLimitError
    if status in (400, 403) and _QUOTA_TEXT.search(message) and "quota" not in message.lower():
        return QuotaExceededError
    if status in (400, 403) and _AUTH_TEXT.search(message):
        return AuthenticationError
    if status in (400, 403) and _REGION_TEXT.search(message + " " + " ".join(codes)):
        return PermissionDeniedError
    if codes & _CONTEXT_CODES or (status in (400, 413, 422) and _CONTEXT_TEXT.search(message)):
        return ContextTooLongError
    if "model_not_found" in codes or "invalid_model" in codes:
        return ModelNotFoundError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        if _ENDPOINT_TEXT.search(message):
            return EndpointNotFoundError
        if _MODEL_TEXT.search(message) or "model" in message.lower() or protocol == "anthropic":
            return ModelNotFoundError
        return EndpointNotFoundError
    if status == 400 and _MODEL_TEXT.search(message):
        return ModelNotFoundError
    if status >= 500 and is_out_of_memory(message):
        return OutOfMemoryError
    if status == 529 or status == 498 or "overloaded_error" in codes:
        return OverloadedError
    if status == 503 or (status >= 500 and _OVERLOAD_TEXT.search(message)):
        return OverloadedError
    if status >= 500 or status in (408, 409):
        return ServerError
    return BadRequestError


_TYPE_STATUS = {"overloaded_error": 529, "rate_limit_error": 429, "authentication_error": 401,
                "permission_error": 403, "not_found_error": 404, "invalid_request_error": 400,
                "billing_error": 402, "RESOURCE_EXHAUSTED": 429, "UNAVAILABLE": 503, "INVALID_ARGUMENT": 400,
                "PERMISSION_DENIED": 403, "NOT_FOUND": 404, "rate_limit_exceeded": 429}
