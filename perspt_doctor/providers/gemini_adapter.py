"""Google Gemini (Generative Language API): `x-goog-api-key`, `generateContent`,
`streamGenerateContent?alt=sse`, `models/` names, google.rpc.Status errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from perspt_doctor.providers.base import ChatChunk, ChatRequest, ChatResponse, ModelInfo, ModelList, Usage
from perspt_doctor.providers.errors import BadRequestError
from perspt_doctor.providers.http_base import HTTPAdapter, StreamMapper


class GeminiAdapter(HTTPAdapter):
    protocol = "gemini"

    @staticmethod
    def normalise_base_url(url: str) -> str:
        """The API version root: `…/v1beta` unless the base URL already names a version."""
        url = url.strip().rstrip("/")
        tail = url.rsplit("/", 1)[-1]
        if tail in ("v1beta", "v1", "v1alpha"):
            return url
        return url + "/v1beta"

    async def list_models(self) -> ModelList:
        def page(data: Any) -> tuple[list[ModelInfo], dict[str, Any] | None]:
            found = []
            for item in data.get("models") or ():
                if not isinstance(item, dict) or not item.get("name"):
                    continue
                methods = item.get("supportedGenerationMethods")
                if isinstance(methods, list) and "generateContent" not in methods:
                    continue
                found.append(ModelInfo(id=model_id(item["name"]), display_name=item.get("displayName"),
                                       context_length=item.get("inputTokenLimit"), raw=item))
            token = data.get("nextPageToken")
            return found, ({"pageSize": 1000, "pageToken": token} if token else None)

        return await self.list_pages("/models", {"pageSize": 1000}, page)

    def body(self, request: ChatRequest) -> dict[str, Any]:
        system, rest = request.split_system()
        body: dict[str, Any] = {"contents": [{"role": "model" if m.role == "assistant" else "user",
                                              "parts": [{"text": m.content}]} for m in rest]}
        if system is not None:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        config = request.sampling("temperature", "topP", "maxOutputTokens", "frequencyPenalty")
        if config:
            body["generationConfig"] = config
        body.update(request.options)
        return body

    async def _chat(self, request: ChatRequest) -> ChatResponse:
        data, _ = await self.request_json("POST", f"/models/{model_id(request.model)}:generateContent",
                                          body=self.body(request), model=request.model)
        if not isinstance(data, dict):
            raise self.invalid_event(json.dumps(data).encode())
        text, finish = self._candidate(data)
        return ChatResponse(text=text, model=str(data.get("modelVersion") or request.model), finish_reason=finish,
                            usage=_usage(data.get("usageMetadata")), raw=data)

    def _candidate(self, data: dict[str, Any]) -> tuple[str, str | None]:
        candidates = data.get("candidates")
        if not candidates:
            reason = (data.get("promptFeedback") or {}).get("blockReason")
            if reason:
                raise BadRequestError(f"Gemini blocked the prompt ({reason})", provider=self.provider_id,
                                      status=200, code=str(reason),
                                      hint="rephrase the message; Gemini's safety filter refused it")
            return "", None
        first = candidates[0] or {}
        parts = (first.get("content") or {}).get("parts") or ()
        text = "".join(p.get("text", "") for p in parts if isinstance(p, dict) and not p.get("thought"))
        return text, first.get("finishReason")

    def _stream_once(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        path = f"/models/{model_id(request.model)}:streamGenerateContent?alt=sse"
        return self.stream_events(path, self.body(request), GeminiEvents(self, request.model))


def model_id(name: str) -> str:
    return name[7:] if name.startswith("models/") else name


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(input_tokens=raw.get("promptTokenCount"), output_tokens=raw.get("candidatesTokenCount"))


class GeminiEvents(StreamMapper):
    """Each event is a whole `GenerateContentResponse` (sometimes wrapped in a one-item list); the stream
    ends at EOF, complete once a candidate gave a finish reason."""

    adapter: GeminiAdapter

    def __init__(self, adapter: GeminiAdapter, model: str) -> None:
        super().__init__(adapter, model)
        self.finish: str | None = None
        self.usage: Any = None

    def on_event(self, kind: str, obj: Any, data: str) -> str | None:
        if isinstance(obj, list) and len(obj) == 1:
            obj = obj[0]
            if isinstance(obj, dict) and obj.get("error"):
                raise self.error(data)
        if not isinstance(obj, dict):
            raise self.adapter.invalid_event(data)
        text, reason = self.adapter._candidate(obj)
        if reason:
            self.finish = reason
        if obj.get("usageMetadata"):
            self.usage = obj["usageMetadata"]
        return text

    def last(self) -> ChatChunk:
        if self.finish is None:
            raise self.adapter.truncated()
        return ChatChunk(finish_reason=self.finish, usage=_usage(self.usage))
