"""A fake Cohere API: Bearer auth, `/v1/models` (paginated), `/v2/chat` (JSON or SSE with `event:`
lines, `message-end`, then `data: [DONE]`), and Cohere's flat `{"id", "message"}` errors.

    with cohere_fake() as fake:
        fake.base_url            # http://127.0.0.1:PORT
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.fakes.server import HTML_PAGE, FakeServer, Fault, Recorded, Reply, bearer_ok, sse

_ERRORS: dict[str, tuple[int, str]] = {
    "auth": (401, "invalid api token"),
    "permission": (403, "You do not have access to this resource."),
    "model_not_found": (404, "model '{model}' not found, make sure the correct model ID was used and that you "
                             "have access to the model."),
    "rate_limit": (429, "You are using a Trial key, which is limited to 10 API calls / minute. You can continue "
                        "to use the Trial key for free or upgrade to a Production key with higher rate limits at "
                        "'https://dashboard.cohere.com/api-keys'."),
    "quota": (429, "You are using a Trial key, which is limited to 1000 API calls / month. You can continue to "
                   "use the Trial key for free or upgrade to a Production key with higher rate limits at "
                   "'https://dashboard.cohere.com/api-keys'."),
    "context": (400, "too many tokens: size limit exceeded by 11142 tokens. Try using shorter or fewer inputs, "
                     "or setting prompt_truncation='AUTO'."),
    "server_error": (500, "internal server error, this has been reported to our developers"),
    "overloaded": (503, "service unavailable"),
}


class CohereFake(FakeServer):
    page_size_max = 1000

    def default_models(self) -> list[str]:
        return ["command-a-03-2025", "command-r-plus-08-2024", "command-r-08-2024", "command-r7b-12-2024"]

    def route(self, request: Recorded) -> Reply:
        ok = bearer_ok(request, self.api_key)
        if ok is None and self.api_key is not None:
            return self._error(401, "no api key supplied")
        if ok is False:
            return self._error(401, "invalid api token")
        if request.method == "GET" and request.path == "/v1/models":
            return self._list(request)
        if request.method == "POST" and request.path == "/v2/chat":
            return self._chat(request)
        return self._error(404, f"route {request.path} not found")

    def _list(self, request: Recorded) -> Reply:
        size = min(int((request.query.get("page_size") or ["20"])[0]), self.page_size_max)
        start = int((request.query.get("page_token") or ["0"])[0])
        page = self.models[start:start + size]
        token = str(start + size) if start + size < len(self.models) else None
        return Reply(json={"models": [{
            "name": m, "endpoints": ["chat", "generate"], "finetuned": False, "context_length": 256000,
            "tokenizer_url": "https://storage.googleapis.com/cohere-public/tokenizers/fake.json",
            "default_endpoints": [], "features": ["tools", "strict_tools"], "is_deprecated": False}
            for m in page], "next_page_token": token})

    def _chat(self, request: Recorded) -> Reply:
        body = request.json or {}
        model = body.get("model")
        if not isinstance(body.get("messages"), list):
            return self._error(400, "invalid request: messages is required")
        if model not in self.models:
            return self.error_reply("model_not_found", Fault("model_not_found"), request)
        tokens = self.reply_tokens()
        usage = {"billed_units": {"input_tokens": 5, "output_tokens": len(tokens)},
                 "tokens": {"input_tokens": 71, "output_tokens": len(tokens)}}
        if body.get("stream"):
            return Reply(content_type="text/event-stream", stream=self._events(tokens, usage),
                         headers={"x-trial-endpoint-call-limit": "10"})
        return Reply(json={"id": "c14c80c3-18eb-4519-9460-6c92edd8cfb4", "finish_reason": "COMPLETE",
                           "message": {"role": "assistant", "content": [{"type": "text", "text": self.reply}]},
                           "usage": {**usage, "cached_tokens": 0}})

    def _events(self, tokens: list[str], usage: dict[str, Any]) -> Iterator[bytes]:
        yield sse({"id": "5c1f", "type": "message-start", "delta": {"message": {
            "role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}},
            "message-start")
        yield sse({"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text",
                                                                                           "text": ""}}}},
                  "content-start")
        for token in tokens:
            yield sse({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": token}}}},
                      "content-delta")
        yield sse({"type": "content-end", "index": 0}, "content-end")
        yield sse({"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage}}, "message-end")
        yield b"data: [DONE]\n\n"

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, json={"id": "7f1c4a52-0000-4000-8000-000000000000", "message": message},
                     headers=headers or {})

    def error_reply(self, kind: str, fault: Fault, request: Recorded) -> Reply:
        if kind == "html":
            return Reply(fault.status or 502, body=HTML_PAGE, content_type="text/html")
        if kind == "status":
            return Reply(fault.status or 500, json=fault.body, headers=fault.headers)
        status, message = _ERRORS[kind]
        body = request.json if request.method == "POST" and request.body else {}
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["retry-after"] = f"{fault.retry_after:g}"
        return self._error(fault.status or status, message.format(model=(body or {}).get("model")), headers)

    def stream_error_event(self, fault: Fault) -> bytes:
        return sse({"type": "message-end", "delta": {"finish_reason": "ERROR",
                                                     "error": "internal server error while generating"}},
                   "message-end")

    def broken_event(self) -> bytes:
        return b'event: content-delta\ndata: {"type": "content-delta", "index": 0, "delta": {\n\n'


@contextmanager
def cohere_fake(**kw: Any) -> Iterator[CohereFake]:
    with CohereFake(**kw).start() as fake:
        assert isinstance(fake, CohereFake)
        yield fake
