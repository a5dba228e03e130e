"""OpenAI Chat Completions and everything that copies it: OpenAI, Groq, xAI, DeepSeek, Mistral,
OpenRouter, and `openai-compatible` servers (vLLM, LM Studio, llama.cpp, Ollama's `/v1`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from perspt_doctor.providers.base import ChatChunk, ChatRequest, ChatResponse, ModelInfo, ModelList, Usage
from perspt_doctor.providers.http_base import HTTPAdapter, StreamMapper


class OpenAIAdapter(HTTPAdapter):
    protocol = "openai"

    async def list_models(self) -> ModelList:
        data, response = await self.request_json("GET", self.spec.models_path)
        items = data.get("data") if isinstance(data, dict) else data
        models = [_model_info(item) for item in items or () if isinstance(item, dict) and item.get("id")]
        return ModelList(models, dict(response.headers), response.status_code)

    def body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": request.model, "messages": request.role_messages(),
                                **request.sampling("temperature", "top_p", self.spec.max_tokens_param,
                                                   "frequency_penalty"),
                                **request.options}
        if stream:
            body["stream"] = True
            if self.spec.stream_usage_option:
                body["stream_options"] = {"include_usage": True}
        return body

    async def _chat(self, request: ChatRequest) -> ChatResponse:
        data, choices = await self.post_reply(self.spec.chat_path, self.body(request, stream=False), request.model,
                                              "choices", lambda c: bool(c) and isinstance(c[0], dict))
        message = choices[0].get("message") or {}
        text = message.get("content") or message.get("refusal") or ""
        return ChatResponse(text=text, model=str(data.get("model") or request.model),
                            finish_reason=choices[0].get("finish_reason"), usage=usage_of(data.get("usage")),
                            raw=data)

    def _stream_once(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        return self.stream_events(self.spec.chat_path, self.body(request, stream=True),
                                  OpenAIEvents(self, request.model))


def usage_of(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(input_tokens=raw.get("prompt_tokens"), output_tokens=raw.get("completion_tokens"))


def _model_info(item: dict[str, Any]) -> ModelInfo:
    context = item.get("context_window") or item.get("context_length") or item.get("max_model_len") \
        or item.get("max_context_length")
    return ModelInfo(id=str(item["id"]), display_name=item.get("name") if isinstance(item.get("name"), str) else None,
                     owned_by=item.get("owned_by"), context_length=context if isinstance(context, int) else None,
                     raw=item)


class OpenAIEvents(StreamMapper):
    """`choices[0].delta.content` is the text; `[DONE]` or a finish reason ends the reply; usage may come
    in a last chunk (or in Groq's `x_groq`)."""

    done_marker = True

    def __init__(self, adapter: HTTPAdapter, model: str) -> None:
        super().__init__(adapter, model)
        self.finish: str | None = None
        self.usage: Any = None

    def on_event(self, kind: str, obj: Any, data: str) -> str | None:
        text = None
        choices = obj.get("choices")
        if choices:
            choice = choices[0]
            delta = choice.get("delta")
            if delta:
                text = delta.get("content")
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
        if obj.get("usage"):
            self.usage = obj["usage"]
        elif "x_groq" in obj and isinstance(obj["x_groq"], dict) and obj["x_groq"].get("usage"):
            self.usage = obj["x_groq"]["usage"]
        return text

    def last(self) -> ChatChunk:
        if not self.done and self.finish is None:
            raise self.adapter.truncated()
        return ChatChunk(finish_reason=self.finish, usage=usage_of(self.usage))
