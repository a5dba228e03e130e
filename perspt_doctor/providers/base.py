"""The adapter contract shared by the chat client and the doctor.

Adapters speak one wire protocol each over an httpx client built by the transport layer; they
return plain data and raise the typed errors of `perspt_doctor.providers.errors`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass
class Message:
    role: Role
    content: str


@dataclass
class ChatRequest:
    model: str
    messages: list[Message]
    system: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    frequency_penalty: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """Provider-specific options (Ollama `options`: num_ctx, num_gpu, ...)."""

    def role_messages(self) -> list[dict[str, Any]]:
        """`{"role", "content"}` objects, `system` first: the list OpenAI, Cohere and Ollama take."""
        head = [{"role": "system", "content": self.system}] if self.system else []
        return head + [{"role": m.role, "content": m.content} for m in self.messages]

    def split_system(self) -> tuple[str | None, list[Message]]:
        """For protocols that take the system prompt apart (Anthropic, Gemini): `system` and every system
        message joined by a blank line (None if there are none), and the other messages."""
        system = [self.system] if self.system else []
        rest: list[Message] = []
        for m in self.messages:
            if m.role == "system":
                system.append(m.content)
            else:
                rest.append(m)
        return ("\n\n".join(system) if system else None), rest

    def sampling(self, temperature: str, top_p: str, max_tokens: str | None = None,
                 frequency_penalty: str | None = None) -> dict[str, Any]:
        """The sampling parameters that are set, under the protocol's names (None: the protocol has none)."""
        named = ((temperature, self.temperature), (top_p, self.top_p), (max_tokens, self.max_tokens),
                 (frequency_penalty, self.frequency_penalty))
        return {name: value for name, value in named if name is not None and value is not None}


@dataclass
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None

    @property
    def total_tokens(self) -> int | None:
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens or 0) + (self.output_tokens or 0)


@dataclass
class ChatChunk:
    """One streamed piece: text, and on the last chunk the finish reason and usage."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None


@dataclass
class ChatResponse:
    text: str
    model: str
    finish_reason: str | None = None
    usage: Usage | None = None
    raw: dict[str, Any] | None = None


@dataclass
class ModelInfo:
    id: str
    display_name: str | None = None
    owned_by: str | None = None
    context_length: int | None = None
    size_bytes: int | None = None
    """Ollama: the size of the model on disk."""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModelList:
    models: list[ModelInfo]
    headers: dict[str, str] = field(default_factory=dict)
    """Response headers (rate-limit headers live here)."""
    status_code: int = 200


class Adapter(Protocol):
    """Made by `perspt_doctor.providers.registry.make_adapter`. Every method raises only the typed
    errors of `perspt_doctor.providers.errors` (a missing key: AuthenticationError, code `missing_key`).

    `stream()` yields text chunks, then one last chunk with `finish_reason` and `usage`; it retries
    only until the first text chunk has been yielded. An unknown model raises ModelNotFoundError with
    `suggestions` filled from the live model list.
    """

    provider_id: str

    async def list_models(self) -> ModelList: ...

    async def chat(self, request: ChatRequest) -> ChatResponse: ...

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]: ...

    async def aclose(self) -> None: ...
