"""Cohere v2 Chat (`/v2/chat`, SSE with `event:` lines) and its v1 model list."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from perspt_doctor.providers.base import ChatChunk, ChatRequest, ChatResponse, ModelInfo, ModelList, Usage
from perspt_doctor.providers.http_base import HTTPAdapter, StreamMapper


class CohereAdapter(HTTPAdapter):
    protocol = "cohere"

    @staticmethod
    def normalise_base_url(url: str) -> str:
        url = url.strip().rstrip("/")
        return url[:-3] if url.endswith(("/v1", "/v2")) else url

    async def list_models(self) -> ModelList:
        def page(data: Any) -> tuple[list[ModelInfo], dict[str, Any] | None]:
            found = [ModelInfo(id=item["name"], context_length=item.get("context_length"), raw=item)
                     for item in data.get("models") or () if isinstance(item, dict) and item.get("name")]
            token = data.get("next_page_token")
            return found, ({"page_size": 1000, "endpoint": "chat", "page_token": token} if token else None)

        return await self.list_pages("/v1/models", {"page_size": 1000, "endpoint": "chat"}, page)

    def body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        return {"model": request.model, "messages": request.role_messages(), "stream": stream,
                **request.sampling("temperature", "p", "max_tokens", "frequency_penalty"), **request.options}

    async def _chat(self, request: ChatRequest) -> ChatResponse:
        data, message = await self.post_reply("/v2/chat", self.body(request, stream=False), request.model,
                                              "message", lambda m: isinstance(m, dict))
        content = message.get("content") or []
        text = "".join(c.get("text", "") for c in content if isinstance(c, dict) and c.get("type") == "text")
        return ChatResponse(text=text, model=request.model, finish_reason=data.get("finish_reason"),
                            usage=usage_of(data.get("usage")), raw=data)

    def _stream_once(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        return self.stream_events("/v2/chat", self.body(request, stream=True), CohereEvents(self, request.model))


def usage_of(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    units = raw.get("billed_units") or raw.get("tokens") or {}
    return Usage(input_tokens=units.get("input_tokens"), output_tokens=units.get("output_tokens"))


class CohereEvents(StreamMapper):
    """`content-delta` carries the text, `message-end` the finish reason, the usage or an error."""

    done_marker = True

    def __init__(self, adapter: HTTPAdapter, model: str) -> None:
        super().__init__(adapter, model)
        self.finish: str | None = None
        self.usage: Any = None
        self.ended = False

    def on_event(self, kind: str, obj: Any, data: str) -> str | None:
        kind = obj.get("type") or kind
        if kind == "content-delta":
            return (((obj.get("delta") or {}).get("message") or {}).get("content") or {}).get("text")
        if kind == "message-end":
            delta = obj.get("delta") or {}
            if delta.get("error"):
                raise self.adapter.error_from(200, json.dumps({"message": delta["error"]}).encode(),
                                              self.adapter.last_headers, self.model)
            self.finish = delta.get("finish_reason")
            self.usage = delta.get("usage")
            self.ended = True
            self.done = self.finish is not None
        elif obj.get("message") and not obj.get("delta") and kind not in ("message-start",):
            raise self.error(data)
        return None

    def last(self) -> ChatChunk:
        if not (self.ended or self.done):
            raise self.adapter.truncated()
        return ChatChunk(finish_reason=self.finish, usage=usage_of(self.usage))
