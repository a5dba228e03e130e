"""Error bodies from the reference (verbatim shapes) to typed errors, for providers without a fake."""

from __future__ import annotations

import json
from typing import Any

import pytest

from perspt_doctor import redact
from perspt_doctor.providers import errors as e


def classify(provider: str, protocol: str, status: int, body: Any, headers: dict[str, str] | None = None
             ) -> e.ProviderError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return e.from_response(provider, protocol, status, raw, headers or {}, model="m")


CASES = [
    ("xai", 400, {"code": "Client specified an invalid argument",
                  "error": "Incorrect API key provided: xa***62. You can obtain an API key from https://console.x.ai."},
     e.AuthenticationError),
    ("xai", 403, {"code": "The caller does not have permission to execute the specified operation",
                  "error": "Your team has either used all available credits or reached its monthly spending limit."},
     e.QuotaExceededError),
    ("xai", 404, {"code": "Some requested entity was not found",
                  "error": "The model grok-beta was deprecated on 2025-09-15 and is no longer accessible via the API."},
     e.ModelNotFoundError),
    ("deepseek", 402, {"error": {"message": "Insufficient Balance", "type": "unknown_error", "param": None,
                                 "code": "invalid_request_error"}}, e.QuotaExceededError),
    ("deepseek", 400, {"error": {"message": "Model Not Exist", "type": "invalid_request_error", "param": None,
                                 "code": "invalid_request_error"}}, e.ModelNotFoundError),
    ("mistral", 400, {"object": "error", "message": "Invalid model: foo", "type": "invalid_model", "param": None,
                      "code": "1500"}, e.ModelNotFoundError),
    ("mistral", 401, {"detail": "Unauthorized"}, e.AuthenticationError),
    ("mistral", 429, {"object": "error", "message": "Rate limit exceeded", "type": "rate_limited", "param": None,
                      "code": "1300"}, e.RateLimitError),
    ("openrouter", 402, {"error": {"code": 402, "message": "Insufficient credits. Add more using the credits page"}},
     e.QuotaExceededError),
    ("openrouter", 400, {"error": {"code": 400, "message": "xyz is not a valid model ID"}}, e.ModelNotFoundError),
    ("openai-compatible", 401, {"error": "Unauthorized"}, e.AuthenticationError),
    ("openai-compatible", 503, {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}},
     e.OverloadedError),
    ("openai", 429, {"error": {"message": "slow down", "type": "rate_limit_error", "code": "slow_down"}},
     e.RateLimitError),
    ("openai", 429, {"error": {"message": "Your credit balance is exhausted", "type": "insufficient_quota",
                               "code": "credit_balance_exhausted"}}, e.QuotaExceededError),
    ("openai", 404, {"error": {"message": "Invalid URL (POST /v1/chat/completion)", "type": "invalid_request_error",
                               "param": None, "code": None}}, e.EndpointNotFoundError),
    ("openai", 404, {"error": {"message": "Invalid URL (GET /v1/models)", "type": "invalid_request_error",
                               "param": None, "code": None}}, e.EndpointNotFoundError),
    ("groq", 498, {"error": {"message": "capacity exceeded", "type": "capacity_exceeded"}}, e.OverloadedError),
    ("openai", 422, {"error": {"message": "Unrecognized request argument supplied: foo"}}, e.BadRequestError),
]


@pytest.mark.parametrize("provider,status,body,expected", CASES)
def test_openai_protocol_dialects(provider: str, status: int, body: Any, expected: type[e.ProviderError]) -> None:
    error = classify(provider, "openai", status, body)
    assert type(error) is expected, error
    assert error.hint


def test_anthropic_spend_limit_is_quota_not_rate_limit() -> None:
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "spend limit reached",
                                       "details": {"error_code": "enforced_spend_limit_reached"}}}
    assert isinstance(classify("anthropic", "anthropic", 429, body), e.QuotaExceededError)


def test_gemini_quota_is_told_apart_from_a_minute_limit() -> None:
    daily = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "You exceeded your current quota",
                       "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                           {"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}
    minute = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "You exceeded your current quota",
                        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"}]}}
    assert isinstance(classify("google", "gemini", 429, [daily]), e.QuotaExceededError)
    limited = classify("google", "gemini", 429, minute)
    assert isinstance(limited, e.RateLimitError) and limited.retry_after == 12
    no_key = {"error": {"code": 403, "status": "PERMISSION_DENIED",
                        "message": "Method doesn't allow unregistered callers (callers without established identity)."}}
    assert isinstance(classify("google", "gemini", 403, no_key), e.AuthenticationError)
    region = {"error": {"code": 400, "status": "FAILED_PRECONDITION",
                        "message": "User location is not supported for the API use."}}
    assert isinstance(classify("google", "gemini", 400, region), e.PermissionDeniedError)


def test_ollama_bodies() -> None:
    assert isinstance(classify("ollama", "ollama", 404, {"error": "model 'llama9' not found"}), e.ModelNotFoundError)
    busy = {"error": "server busy, please try again.  maximum pending requests exceeded"}
    assert isinstance(classify("ollama", "ollama", 503, busy), e.OverloadedError)
    assert isinstance(classify("ollama", "ollama", 200, {"error": "an error was encountered while running the model"}),
                      e.ServerError)


def test_non_json_bodies() -> None:
    page = b"<html><head><title>Access denied</title></head><body>blocked</body></html>"
    blocked = classify("openai", "openai", 403, page)
    assert isinstance(blocked, e.PermissionDeniedError) and "Access denied" in blocked.message
    assert "proxy" in (blocked.hint or "")
    assert isinstance(classify("openai", "openai", 404, b"404 page not found"), e.EndpointNotFoundError)
    assert isinstance(classify("openai", "openai", 200, b"<!DOCTYPE html><html>"), e.BadResponseError)


def test_messages_are_one_redacted_line() -> None:
    redact.register_secret("my-very-secret-key-123", "test")
    body = {"error": {"message": "Incorrect API key provided: my-very-secret-key-123.\nSecond line",
                      "type": "invalid_request_error", "code": "invalid_api_key"}}
    error = classify("openai", "openai", 401, body)
    assert "my-very-secret-key-123" not in str(error) and "\n" not in error.message
    long = classify("openai", "openai", 500, {"error": {"message": "x" * 5000}})
    assert len(long.message) <= 300
