"""A fake Anthropic Messages API: `x-api-key` + `anthropic-version`, named SSE events, paginated models.

    with anthropic_fake() as fake:
        fake.base_url            # http://127.0.0.1:PORT (the SDK and the adapter add /v1/...)
        fake.fail("overloaded", retry_after=1)   # 529 overloaded_error
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.fakes.server import HTML_PAGE, FakeServer, Fault, Recorded, Reply, sse

_ERRORS: dict[str, tuple[int, str, str]] = {
    "auth": (401, "authentication_error", "invalid x-api-key"),
    "permission": (403, "permission_error", "Your API key does not have permission to use the specified resource."),
    "model_not_found": (404, "not_found_error", "model: {model}"),
    "rate_limit": (429, "rate_limit_error",
                   "Number of request tokens has exceeded your per-minute rate limit "
                   "(https://docs.claude.com/en/api/rate-limits); see the response headers for current usage. "
                   "Please reduce the prompt length or the maximum tokens requested, or try again later."),
    "quota": (400, "invalid_request_error",
              "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to "
              "upgrade or purchase credits."),
    "context": (400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum"),
    "server_error": (500, "api_error", "Internal server error"),
    "overloaded": (529, "overloaded_error", "Overloaded"),
}


class AnthropicFake(FakeServer):
    page_size_max = 1000

    def default_models(self) -> list[str]:
        return ["claude-sonnet-4-6", "claude-haiku-4-5-20251001", "claude-haiku-4-5", "claude-opus-4-1-20250805",
                "claude-3-haiku-20240307", "claude-sonnet-4-5-20250929"]

    def route(self, request: Recorded) -> Reply:
        auth = self._check_headers(request)
        if auth is not None:
            return auth
        if request.method == "GET" and request.path == "/v1/models":
            return self._list(request)
        if request.method == "GET" and request.path.startswith("/v1/models/"):
            name = request.path[len("/v1/models/"):]
            if name in self.models:
                return Reply(json=self._model(name), headers=self._headers())
            return self._error(404, "not_found_error", f"model: {name}")
        if request.method == "POST" and request.path == "/v1/messages":
            return self._messages(request)
        return self._error(404, "not_found_error", "Not found")

    def _check_headers(self, request: Recorded) -> Reply | None:
        key = request.headers.get("x-api-key")
        bearer = request.headers.get("authorization", "")
        if key is None and not bearer.startswith("Bearer "):
            return self._error(401, "authentication_error", "x-api-key header is required")
        if self.api_key is not None and key != self.api_key and bearer != f"Bearer {self.api_key}":
            return self._error(401, "authentication_error", "invalid x-api-key")
        if "anthropic-version" not in request.headers:
            return self._error(400, "invalid_request_error", "anthropic-version: header is required")
        return None

    def _list(self, request: Recorded) -> Reply:
        limit = min(int((request.query.get("limit") or ["20"])[0]), self.page_size_max)
        after = (request.query.get("after_id") or [None])[0]
        start = self.models.index(after) + 1 if after in self.models else 0
        page = self.models[start:start + limit]
        return Reply(headers=self._headers(), json={
            "data": [self._model(m) for m in page], "has_more": start + limit < len(self.models),
            "first_id": page[0] if page else None, "last_id": page[-1] if page else None})

    def _model(self, name: str) -> dict[str, Any]:
        return {"type": "model", "id": name, "display_name": name.replace("-", " ").title(),
                "created_at": "2025-09-29T00:00:00Z", "max_input_tokens": 200000, "max_tokens": 64000}

    def _messages(self, request: Recorded) -> Reply:
        body = request.json or {}
        model = body.get("model")
        if "max_tokens" not in body:
            return self._error(400, "invalid_request_error", "max_tokens: Field required")
        if not isinstance(body.get("messages"), list):
            return self._error(400, "invalid_request_error", "messages: Field required")
        if model not in self.models:
            return self._error(404, "not_found_error", f"model: {model}")
        tokens = self.reply_tokens()
        if body.get("stream"):
            return Reply(content_type="text/event-stream; charset=utf-8", headers=self._headers(),
                         stream=self._events(str(model), tokens))
        return Reply(headers=self._headers(), json={
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": self.reply}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": len(tokens), "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0, "service_tier": "standard"}})

    def _events(self, model: str, tokens: list[str]) -> Iterator[bytes]:
        yield sse({"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": model,
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 25, "output_tokens": 1}}},
            "message_start")
        yield sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                  "content_block_start")
        yield sse(b'{"type": "ping"}', "ping")
        for token in tokens:
            yield sse({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": token}},
                      "content_block_delta")
        yield sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        yield sse({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                   "usage": {"output_tokens": len(tokens)}}, "message_delta")
        yield sse({"type": "message_stop"}, "message_stop")

    def _headers(self) -> dict[str, str]:
        return {"request-id": "req_011CSHoEeqs5C35K2UUqR7Fy", "anthropic-organization-id": "org-fake",
                "anthropic-ratelimit-requests-limit": "1000", "anthropic-ratelimit-requests-remaining": "999",
                "anthropic-ratelimit-requests-reset": "2025-08-21T12:40:59Z"}

    def _error(self, status: int, etype: str, message: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, headers={**self._headers(), **(headers or {})}, json={
            "type": "error", "error": {"type": etype, "message": message},
            "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"})

    def error_reply(self, kind: str, fault: Fault, request: Recorded) -> Reply:
        if kind == "html":
            return Reply(fault.status or 502, body=HTML_PAGE, content_type="text/html")
        if kind == "status":
            return Reply(fault.status or 500, json=fault.body, headers=fault.headers)
        body = request.json if request.method == "POST" and request.body else {}
        status, etype, message = _ERRORS[kind]
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["retry-after"] = f"{fault.retry_after:g}"
        if fault.retry_after_ms is not None:
            headers["retry-after-ms"] = str(fault.retry_after_ms)
        return self._error(fault.status or status, etype, message.format(model=(body or {}).get("model")), headers)

    def stream_error_event(self, fault: Fault) -> bytes:
        return sse({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "error")

    def broken_event(self) -> bytes:
        return b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n'


@contextmanager
def anthropic_fake(**kw: Any) -> Iterator[AnthropicFake]:
    with AnthropicFake(**kw).start() as fake:
        assert isinstance(fake, AnthropicFake)
        yield fake
