"""A fake OpenAI Chat Completions server (also Groq, xAI, DeepSeek, Mistral, OpenRouter, vLLM...).

    with openai_fake(models=["gpt-4o-mini"]) as fake:
        fake.base_url                  # http://127.0.0.1:PORT/v1
        fake.fail("rate_limit", retry_after=1)
        fake.bulk_chunks = 100_000     # the next streams send 100k one-token chunks at full speed

Run as a process for benchmarks: `python -m tests.fakes.openai_fake --bulk 100000` prints the base URL.
`--shape structured` makes those tokens real-looking Markdown (`STRUCTURED`: a heading, a list, bold and
inline code, a new block every dozen tokens or so) instead of one endless line of prose.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.fakes.server import HTML_PAGE, FakeServer, Fault, Recorded, Reply, batched, bearer_ok, sse

# One cycle of the structured bulk reply: 44 tokens, 6 blocks (a heading, two paragraphs with bold and
# inline code, a list of two items), as a chat model answers.
STRUCTURED: tuple[str, ...] = (
    "# Title", " of", " a", " section\n\n",
    "Some", " prose", " with", " **bold**", " words", " and", " `code`", " in", " it", " that", " goes", " on.\n\n",
    "- item", " one", " of", " the", " list", " with", " `code`", "\n",
    "- item", " two", " with", " **bold**", " text", " too", "\n\n",
    "More", " prose", " after", " the", " list", " with", " words", " and", " **bold**", " and", " `x`", ".\n\n",
)
BULK_SHAPES = ("prose", "structured")

_ERRORS: dict[str, tuple[int, str, str | None, str]] = {
    "auth": (401, "invalid_request_error", "invalid_api_key",
             "Incorrect API key provided: {masked}. You can find your API key at "
             "https://platform.openai.com/account/api-keys."),
    "permission": (403, "request_forbidden", "unsupported_country_region_territory",
                   "Country, region, or territory not supported"),
    "model_not_found": (404, "invalid_request_error", "model_not_found",
                        "The model `{model}` does not exist or you do not have access to it."),
    "rate_limit": (429, "requests", "rate_limit_exceeded",
                   "Rate limit reached for {model} in organization org-fake on requests per min (RPM): Limit 3, "
                   "Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/"
                   "rate-limits to learn more."),
    "quota": (429, "insufficient_quota", "insufficient_quota",
              "You exceeded your current quota, please check your plan and billing details. For more "
              "information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."),
    "context": (400, "invalid_request_error", "context_length_exceeded",
                "This model's maximum context length is 128000 tokens. However, your messages resulted in "
                "190000 tokens. Please reduce the length of the messages."),
    "server_error": (500, "server_error", None,
                     "The server had an error while processing your request. Sorry about that!"),
    "overloaded": (503, "service_unavailable_error", "server_is_overloaded",
                   "The server is overloaded, please try again later."),
}


class OpenAIFake(FakeServer):
    base_path = "/v1"

    def __init__(self, *, prefix: str = "/v1", echo_key_in_errors: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.base_path = prefix
        self.echo_key_in_errors = echo_key_in_errors
        self._bulk_cache: tuple[int, str, list[bytes]] | None = None
        self.bulk_shape = "prose"

    def default_models(self) -> list[str]:
        return ["gpt-4o-mini", "gpt-4o", "gpt-4-turbo", "gpt-3.5-turbo", "o3-mini"]

    # ---- routing --------------------------------------------------------------------------------
    def route(self, request: Recorded) -> Reply:
        path = request.path[len(self.base_path):] if request.path.startswith(self.base_path) else None
        if path is None:
            return self._error(404, "invalid_request_error", None, f"Invalid URL ({request.method} {request.path})")
        auth = self._check_auth(request)
        if auth is not None:
            return auth
        if request.method == "GET" and path == "/models":
            return Reply(json={"object": "list", "data": [self._model(m) for m in self.models]},
                         headers=self._headers())
        if request.method == "GET" and path.startswith("/models/"):
            name = path[len("/models/"):]
            if name in self.models:
                return Reply(json=self._model(name), headers=self._headers())
            return self.error_reply("model_not_found", Fault("model_not_found"), request, model=name)
        if request.method == "POST" and path == "/chat/completions":
            return self._chat(request)
        return self._error(404, "invalid_request_error", None, f"Invalid URL ({request.method} {request.path})")

    def _check_auth(self, request: Recorded) -> Reply | None:
        ok = bearer_ok(request, self.api_key)
        if ok is None and self.api_key is not None:
            return self._error(401, "invalid_request_error", None,
                               "You didn't provide an API key. You need to provide your API key in an Authorization "
                               "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password "
                               "field (i.e. sk-proj-key), when using HTTP Basic auth.")
        if ok is False:
            return self.error_reply("auth", Fault("auth"), request)
        return None

    def _chat(self, request: Recorded) -> Reply:
        body = request.json or {}
        model = body.get("model")
        if not isinstance(body.get("messages"), list) or not model:
            return self._error(400, "invalid_request_error", None, "Missing required parameter: 'messages'.")
        if model not in self.models:
            return self.error_reply("model_not_found", Fault("model_not_found"), request)
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return Reply(content_type="text/event-stream; charset=utf-8", headers=self._headers(),
                         stream=self._events(model, usage))
        text = self.reply
        return Reply(headers=self._headers(), json={
            "id": "chatcmpl-fake123", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None,
                                                 "annotations": []},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 13, "completion_tokens": len(self.reply_tokens()),
                      "total_tokens": 13 + len(self.reply_tokens()),
                      "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                    "accepted_prediction_tokens": 0,
                                                    "rejected_prediction_tokens": 0}},
            "service_tier": "default", "system_fingerprint": "fp_fake"})

    def _chunk(self, model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-fake123", "object": "chat.completion.chunk", "created": 1726012687,
                "model": model, "system_fingerprint": "fp_fake",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
                "usage": None, "obfuscation": "aB3"}

    def _events(self, model: str, include_usage: bool) -> Iterator[bytes]:
        yield sse(self._chunk(model, {"role": "assistant", "content": "", "refusal": None}))
        if self.bulk_chunks:
            count = self.bulk_chunks
            yield from batched(self._bulk_events(model, count))
        else:
            count = len(self.reply_tokens())
            for token in self.reply_tokens():
                yield sse(self._chunk(model, {"content": token}))
        yield sse(self._chunk(model, {}, "stop"))
        if include_usage:
            final = self._chunk(model, {})
            final["choices"] = []
            final["usage"] = {"prompt_tokens": 9, "completion_tokens": count, "total_tokens": 9 + count}
            yield sse(final)
        yield b"data: [DONE]\n\n"

    def _bulk_events(self, model: str, count: int) -> Iterable[bytes]:
        if self._bulk_cache is None or self._bulk_cache[:2] != (count, model + self.bulk_shape):
            tokens = STRUCTURED if self.bulk_shape == "structured" else (" tok",)
            events = [sse(self._chunk(model, {"content": token})) for token in tokens]
            self._bulk_cache = (count, model + self.bulk_shape, [events[i % len(events)] for i in range(count)])
        return self._bulk_cache[2]

    def _model(self, name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": 1721172741, "owned_by": "system"}

    def _headers(self) -> dict[str, str]:
        return {"x-request-id": "req_0123456789abcdef0123456789abcdef", "openai-version": "2020-10-01",
                "openai-processing-ms": "12", "x-ratelimit-limit-requests": "500",
                "x-ratelimit-remaining-requests": "499", "x-ratelimit-reset-requests": "120ms",
                "x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "29980",
                "x-ratelimit-reset-tokens": "6m0s"}

    # ---- errors ---------------------------------------------------------------------------------
    def _error(self, status: int, etype: str | None, code: str | None, message: str,
               headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, json={"error": {"message": message, "type": etype, "param": None, "code": code}},
                     headers={**self._headers(), **(headers or {})})

    def error_reply(self, kind: str, fault: Fault, request: Recorded, model: str | None = None) -> Reply:
        body = request.json if request.body and request.method == "POST" else None
        model = model or (body.get("model") if isinstance(body, dict) else None) or "gpt-4o"
        if kind == "html":
            return Reply(fault.status or 502, body=HTML_PAGE, content_type="text/html")
        if kind == "status":
            raw = fault.body if isinstance(fault.body, bytes) else None
            return Reply(fault.status or 500, json=None if raw else fault.body, body=raw, headers=fault.headers)
        status, etype, code, message = _ERRORS[kind]
        headers = dict(fault.headers)
        if kind in ("rate_limit", "overloaded") and fault.retry_after is not None:
            headers["retry-after"] = f"{fault.retry_after:g}"
        if fault.retry_after_ms is not None:
            headers["retry-after-ms"] = str(fault.retry_after_ms)
        if kind == "rate_limit":
            headers["x-ratelimit-remaining-requests"] = "0"
        auth = request.headers.get("authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else ""
        masked = key if self.echo_key_in_errors else (key[:8] + "****" + key[-4:] if len(key) > 12 else "****")
        return self._error(fault.status or status, etype, code, message.format(model=model, masked=masked), headers)

    def stream_error_event(self, fault: Fault) -> bytes:
        return sse({"error": {"message": "The server had an error while processing your request.",
                              "type": "server_error", "param": None, "code": None}})


@contextmanager
def openai_fake(**kw: Any) -> Iterator[OpenAIFake]:
    with OpenAIFake(**kw).start() as fake:
        assert isinstance(fake, OpenAIFake)
        yield fake


def main() -> None:
    import argparse
    import signal
    import sys

    parser = argparse.ArgumentParser(description="Serve the OpenAI fake on 127.0.0.1 until killed.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bulk", type=int, default=0, help="stream this many one-token chunks per reply")
    parser.add_argument("--shape", choices=BULK_SHAPES, default="prose", help="what the bulk tokens look like")
    parser.add_argument("--api-key", default="test-key")
    args = parser.parse_args()
    fake = OpenAIFake(api_key=args.api_key or None)
    fake.bulk_chunks = args.bulk
    fake.bulk_shape = args.shape
    fake.start(args.port)
    print(fake.base_url, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        fake.stop()


if __name__ == "__main__":
    main()
