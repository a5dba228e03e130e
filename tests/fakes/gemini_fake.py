"""A fake Gemini (Generative Language API v1beta): `x-goog-api-key` or `?key=`, `models/` names,
`:generateContent`, `:streamGenerateContent` (SSE with CRLF under `alt=sse`, else a streamed JSON
array), google.rpc.Status errors with ErrorInfo / RetryInfo / QuotaFailure details.

    with gemini_fake() as fake:
        fake.base_url            # http://127.0.0.1:PORT (clients add /v1beta)
        fake.fail("rate_limit", retry_delay="2s")
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.fakes.server import HTML_PAGE, FakeServer, Fault, Recorded, Reply, sse

_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


class GeminiFake(FakeServer):
    page_size_default = 50

    def default_models(self) -> list[str]:
        return ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash", "gemini-2.0-flash-lite"]

    def route(self, request: Recorded) -> Reply:
        if not request.path.startswith("/v1beta/"):
            return Reply(404, body=HTML_PAGE.replace(b"502 Bad Gateway", b"404 Not Found"), content_type="text/html")
        auth = self._check_auth(request)
        if auth is not None:
            return auth
        rest = request.path[len("/v1beta/"):]
        if request.method == "GET" and rest == "models":
            return self._list(request)
        if rest.startswith("models/") and ":" in rest:
            name, _, method = rest[len("models/"):].partition(":")
            if request.method != "POST" or method not in ("generateContent", "streamGenerateContent"):
                return self._status(404, "NOT_FOUND", f"Method not found: {method}")
            if name not in self.models:
                return self._not_found(name)
            return self._generate(request, name, stream=method == "streamGenerateContent")
        if request.method == "GET" and rest.startswith("models/"):
            name = rest[len("models/"):]
            return Reply(json=self._model(name)) if name in self.models else self._not_found(name)
        return self._status(404, "NOT_FOUND", "Requested entity was not found.")

    def _check_auth(self, request: Recorded) -> Reply | None:
        key = request.headers.get("x-goog-api-key") or (request.query.get("key") or [None])[0]
        if key is None:
            return self._status(403, "PERMISSION_DENIED",
                                "Method doesn't allow unregistered callers (callers without established identity). "
                                "Please use API Key or other form of API consumer identity to call this API.")
        if self.api_key is not None and key != self.api_key:
            return self.error_reply("auth", Fault("auth"), request)
        return None

    def _list(self, request: Recorded) -> Reply:
        size = int((request.query.get("pageSize") or [str(self.page_size_default)])[0])
        start = int((request.query.get("pageToken") or ["0"])[0])
        page = self.models[start:start + size]
        body: dict[str, Any] = {"models": [self._model(m) for m in page]}
        if start == 0:
            body["models"].append({"name": "models/text-embedding-004", "displayName": "Text Embedding 004",
                                   "supportedGenerationMethods": ["embedContent"]})
        if start + size < len(self.models):
            body["nextPageToken"] = str(start + size)
        return Reply(json=body)

    def _model(self, name: str) -> dict[str, Any]:
        return {"name": f"models/{name}", "baseModelId": name, "version": "001",
                "displayName": name.replace("-", " ").title(), "description": "A fake Gemini model.",
                "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
                "temperature": 1, "maxTemperature": 2, "topP": 0.95, "topK": 64}

    def _not_found(self, name: str) -> Reply:
        return self._status(404, "NOT_FOUND",
                            f"models/{name} is not found for API version v1beta, or is not supported for "
                            "generateContent. Call ListModels to see the list of available models and their "
                            "supported methods.")

    def _response(self, name: str, parts: list[dict[str, Any]], finish: str | None,
                  usage: dict[str, int] | None) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        body: dict[str, Any] = {"candidates": [candidate], "modelVersion": name, "responseId": "mAitaJfakeId"}
        if usage:
            body["usageMetadata"] = usage
        return body

    def _generate(self, request: Recorded, name: str, *, stream: bool) -> Reply:
        body = request.json or {}
        if not isinstance(body.get("contents"), list) or not body["contents"]:
            return self._status(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified")
        tokens = self.reply_tokens()
        usage = {"promptTokenCount": 4, "candidatesTokenCount": len(tokens), "totalTokenCount": 4 + len(tokens)}
        if not stream:
            return Reply(json=self._response(name, [{"text": self.reply}], "STOP", usage))
        sse_mode = (request.query.get("alt") or [""])[0] == "sse"
        events = [self._response(name, [{"text": t}], None, None) for t in tokens]
        events[-1] = self._response(name, [{"text": tokens[-1]}], "STOP", usage)
        if sse_mode:
            return Reply(content_type="text/event-stream", stream=(sse(e, crlf=True) for e in events))
        return Reply(content_type="application/json; charset=UTF-8", stream=_json_array(events))

    # ---- errors ---------------------------------------------------------------------------------
    def _status(self, code: int, status: str, message: str, details: list[dict[str, Any]] | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        error: dict[str, Any] = {"code": code, "message": message, "status": status}
        if details is not None:
            error["details"] = details
        return Reply(code, json={"error": error}, headers=headers or {})

    def error_reply(self, kind: str, fault: Fault, request: Recorded) -> Reply:
        model = request.path.rsplit("/", 1)[-1].split(":")[0]
        if kind == "html":
            return Reply(fault.status or 502, body=HTML_PAGE, content_type="text/html")
        if kind == "status":
            return Reply(fault.status or 500, json=fault.body, headers=fault.headers)
        if kind == "auth":
            return self._status(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
                {"@type": _ERROR_INFO, "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                 "metadata": {"service": "generativelanguage.googleapis.com"}},
                {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
                 "message": "API key not valid. Please pass a valid API key."}])
        if kind == "permission":
            return self._status(403, "PERMISSION_DENIED", "Permission denied on resource project fake-project.")
        if kind == "model_not_found":
            return self._not_found(model)
        if kind in ("rate_limit", "quota"):
            quota_id = "GenerateRequestsPerDayPerProjectPerModel-FreeTier" if kind == "quota" else \
                "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
            details: list[dict[str, Any]] = [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": quota_id, "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": "10"}]},
                {"@type": "type.googleapis.com/google.rpc.Help", "links": [{
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]}]
            if kind == "rate_limit":
                details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                "retryDelay": fault.options.get("retry_delay", "47s")})
            return self._status(429, "RESOURCE_EXHAUSTED",
                                "You exceeded your current quota, please check your plan and billing details. "
                                "For more information on this error, head to: "
                                "https://ai.google.dev/gemini-api/docs/rate-limits.", details)
        if kind == "context":
            return self._status(400, "INVALID_ARGUMENT",
                                "The input token count (1200000) exceeds the maximum number of tokens allowed "
                                "(1048576).")
        if kind == "server_error":
            return self._status(500, "INTERNAL", "An internal error has occurred. Please retry or report in "
                                "https://developers.generativeai.google/guide/troubleshooting")
        if kind == "overloaded":
            headers = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
            return self._status(503, "UNAVAILABLE", "The model is overloaded. Please try again later.",
                                headers=headers)
        raise ValueError(kind)

    def stream_error_event(self, fault: Fault) -> bytes:
        return sse({"error": {"code": 503, "message": "The model is overloaded. Please try again later.",
                              "status": "UNAVAILABLE"}}, crlf=True)

    def broken_event(self) -> bytes:
        return b'data: {"candidates": [{"content": \r\n\r\n'


def _json_array(events: list[dict[str, Any]]) -> Iterator[bytes]:
    for index, event in enumerate(events):
        yield (b"[" if index == 0 else b",\r\n") + json.dumps(event).encode()
    yield b"]"


@contextmanager
def gemini_fake(**kw: Any) -> Iterator[GeminiFake]:
    with GeminiFake(**kw).start() as fake:
        assert isinstance(fake, GeminiFake)
        yield fake
