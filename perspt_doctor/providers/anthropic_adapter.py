"""Anthropic Messages API: `x-api-key` + `anthropic-version`, named SSE events, paginated models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from perspt_doctor.providers.base import ChatChunk, ChatRequest, ChatResponse, ModelInfo, ModelList, Usage
from perspt_doctor.providers.http_base import HTTPAdapter, StreamMapper

DEFAULT_MAX_TOKENS = 4096


class AnthropicAdapter(HTTPAdapter):
    protocol = "anthropic"

    @staticmethod
    def normalise_base_url(url: str) -> str:
        url = url.strip().rstrip("/")
        return url[:-3] if url.endswith("/v1") else url

    async def list_models(self) -> ModelList:
        def page(data: Any) -> tuple[list[ModelInfo], dict[str, Any] | None]:
            found = [ModelInfo(id=item["id"], display_name=item.get("display_name"),
                               context_length=item.get("max_input_tokens"), raw=item)
                     for item in data.get("data") or () if isinstance(item, dict) and item.get("id")]
            more = data.get("has_more") and data.get("last_id")
            return found, ({"limit": 1000, "after_id": data["last_id"]} if more else None)

        return await self.list_pages("/v1/models", {"limit": 1000}, page)

    def body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        system, rest = request.split_system()
        body: dict[str, Any] = {"model": request.model, "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
                                "messages": [{"role": m.role, "content": m.content} for m in rest]}
        if system is not None:
            body["system"] = system
        body.update(request.sampling("temperature", "top_p"))
        body.update(request.options)
        if stream:
            body["stream"] = True
        return body

    async def _chat(self, request: ChatRequest) -> ChatResponse:
        data, blocks = await self.post_reply("/v1/messages", self.body(request, stream=False), request.model,
                                             "content", lambda b: isinstance(b, list))
        text = "".join(b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text")
        return ChatResponse(text=text, model=str(data.get("model") or request.model),
                            finish_reason=data.get("stop_reason"), usage=_usage(data.get("usage")), raw=data)

    def _stream_once(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        return self.stream_events("/v1/messages", self.body(request, stream=True), AnthropicEvents(self, request.model))


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(input_tokens=raw.get("input_tokens"), output_tokens=raw.get("output_tokens"))


class AnthropicEvents(StreamMapper):
    """`content_block_delta` carries the text, `message_start` and `message_delta` the usage and stop
    reason, `message_stop` ends the reply."""

    def __init__(self, adapter: HTTPAdapter, model: str) -> None:
        super().__init__(adapter, model)
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.finish: str | None = None

    def on_event(self, kind: str, obj: Any, data: str) -> str | None:
        kind = obj.get("type") or kind
        if kind == "content_block_delta":
            delta = obj.get("delta") or {}
            if delta.get("type") == "text_delta":
                return delta.get("text")
        elif kind == "message_start":
            usage = (obj.get("message") or {}).get("usage") or {}
            self.input_tokens = usage.get("input_tokens", self.input_tokens)
            self.output_tokens = usage.get("output_tokens", self.output_tokens)
        elif kind == "message_delta":
            self.finish = (obj.get("delta") or {}).get("stop_reason") or self.finish
            self.output_tokens = (obj.get("usage") or {}).get("output_tokens", self.output_tokens)
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            raise self.error(data)
        return None

    def last(self) -> ChatChunk:
        if not self.done:
            raise self.adapter.truncated()
        return ChatChunk(finish_reason=self.finish, usage=Usage(self.input_tokens, self.output_tokens))
