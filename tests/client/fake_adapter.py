"""A scripted in-process adapter for unit tests of the client (the real adapters have their own tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from perspt_doctor.providers.base import ChatChunk, ChatRequest, ChatResponse, ModelInfo, ModelList, Usage


@dataclass
class Script:
    chunks: list[str] = field(default_factory=lambda: ["Hello", " there."])
    error: BaseException | None = None
    fail_after: int | None = None
    """Raise `error` after this many chunks (None: before the first)."""
    delay: float = 0.0
    models: list[str] = field(default_factory=lambda: ["gpt-4o-mini", "gpt-4o"])


class FakeAdapter:
    def __init__(self, provider_id: str, script: Script) -> None:
        self.provider_id = provider_id
        self.script = script
        self.requests: list[ChatRequest] = []
        self.closed = False

    async def list_models(self) -> ModelList:
        return ModelList([ModelInfo(name) for name in self.script.models])

    async def chat(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        if self.script.error is not None:
            raise self.script.error
        return ChatResponse("".join(self.script.chunks), request.model, "stop", Usage(3, len(self.script.chunks)))

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        self.requests.append(request)
        script = self.script
        if script.error is not None and script.fail_after is None:
            raise script.error
        for index, text in enumerate(script.chunks):
            if script.error is not None and script.fail_after == index:
                raise script.error
            if script.delay:
                await asyncio.sleep(script.delay)
            yield ChatChunk(text)
        yield ChatChunk("", "stop", Usage(3, len(script.chunks)))

    async def aclose(self) -> None:
        self.closed = True


class Factory:
    def __init__(self, scripts: dict[str, Script]) -> None:
        self.scripts = scripts
        self.made: dict[str, FakeAdapter] = {}

    def __call__(self, _settings: Any, provider: str, _streaming: bool) -> FakeAdapter:
        adapter = FakeAdapter(provider, self.scripts.setdefault(provider, Script()))
        self.made[provider] = adapter
        return adapter
