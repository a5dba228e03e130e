"""Anthropic Messages API: `x-api-key` + `anthropic-version`, named SSE events, paginated models."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from perspt_doctor.providers.base import ChatChunk, ChatRequest, ChatResponse, ModelInfo, ModelList, Usage
from perspt_doctor.providers.http_base import HTTPAdapter
from perspt_doctor.providers.sse import SSEDecoder
from perspt_doctor.providers.sse import loads as sse_loads

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
        system = [request.system] if request.system else []
        messages: list[dict[str, Any]] = []
        for m in request.messages:
            if m.role == "system":
                system.append(m.content)
            else:
                messages.append({"role": m.role, "content": m.content})
        body: dict[str, Any] = {"model": request.model, "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
                                "messages": messages}
        if system:
            body["system"] = "\n\n".join(system)
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.top_p is not None:
            body["top_p"] = request.top_p
        body.update(request.options)
        if stream:
            body["stream"] = True
        return body

    async def _chat(self, request: ChatRequest) -> ChatResponse:
        data, _ = await self.request_json("POST", "/v1/messages", body=self.body(request, stream=False),
                                          model=request.model)
        blocks = data.get("content") if isinstance(data, dict) else None
        if not isinstance(blocks, list):
            raise self.invalid_event(json.dumps(data).encode())
        text = "".join(b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text")
        return ChatResponse(text=text, model=str(data.get("model") or request.model),
                            finish_reason=data.get("stop_reason"), usage=_usage(data.get("usage")), raw=data)

    async def _stream_once(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        loads = sse_loads
        input_tokens: int | None = None
        output_tokens: int | None = None
        finish: str | None = None
        done = False
        batches = self.stream_batches("/v1/messages", self.body(request, stream=True), request.model, SSEDecoder())
        async with aclosing(batches):
            async for batch in batches:
                for event, data in batch:
                    try:
                        obj = loads(data)
                    except ValueError:
                        raise self.invalid_event(data) from None
                    kind = obj.get("type") or event
                    if kind == "content_block_delta":
                        delta = obj.get("delta") or {}
                        if delta.get("type") == "text_delta" and delta.get("text"):
                            yield ChatChunk(delta["text"])
                    elif kind == "message_start":
                        usage = (obj.get("message") or {}).get("usage") or {}
                        input_tokens = usage.get("input_tokens", input_tokens)
                        output_tokens = usage.get("output_tokens", output_tokens)
                    elif kind == "message_delta":
                        finish = (obj.get("delta") or {}).get("stop_reason") or finish
                        output_tokens = (obj.get("usage") or {}).get("output_tokens", output_tokens)
                    elif kind == "message_stop":
                        done = True
                    elif kind == "error":
                        raise self.error_from(200, data.encode(), self.last_headers, request.model)
                if done:
                    break
        if not done:
            raise self.truncated()
        yield ChatChunk(finish_reason=finish, usage=Usage(input_tokens, output_tokens))


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(input_tokens=raw.get("input_tokens"), output_tokens=raw.get("output_tokens"))
