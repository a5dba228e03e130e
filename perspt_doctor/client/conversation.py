"""The conversation as the model sees it: real role-structured turns, pruned to a message budget."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from perspt_doctor.providers.base import ChatRequest, Message


@dataclass
class Sampling:
    """The request knobs from the settings, sent with every turn."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    frequency_penalty: float | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Any) -> Sampling:
        options = settings.get("options")
        max_tokens = settings.get("max_tokens")
        return cls(
            temperature=_number(settings.get("temperature")),
            top_p=_number(settings.get("top_p")),
            max_tokens=int(max_tokens) if isinstance(max_tokens, (int, float)) else None,
            frequency_penalty=_number(settings.get("frequency_penalty")),
            options=dict(options) if isinstance(options, Mapping) else {},
        )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class Conversation:
    def __init__(self, *, history_limit: int, system_prompt: str | None = None) -> None:
        self.system_prompt = system_prompt or None
        self.history_limit = max(int(history_limit), 0)
        self.messages: list[Message] = []

    def add(self, role: str, content: str) -> None:
        assert role in ("user", "assistant")
        self.messages.append(Message(role, content))  # type: ignore[arg-type]

    def extend_answered(self, turns: Iterable[tuple[str, str]]) -> None:
        """Stored (role, text) turns, keeping only questions that got an answer (as a live turn that fails
        drops its question)."""
        question: str | None = None
        for role, text in turns:
            if role == "user":
                question = text
            elif role == "assistant" and text and question is not None:
                self.add("user", question)
                self.add("assistant", text)
                question = None

    def drop_last_user(self) -> None:
        """A turn that failed before any reply: the question is not left dangling in the context."""
        if self.messages and self.messages[-1].role == "user":
            self.messages.pop()

    def clear(self) -> None:
        self.messages.clear()

    def drop_last_exchange(self) -> str | None:
        """Forget the last question and its answer; returns the question (None: nothing to drop)."""
        if self.messages and self.messages[-1].role == "assistant":
            self.messages.pop()
        if self.messages and self.messages[-1].role == "user":
            return self.messages.pop().content
        return None

    def window(self) -> list[Message]:
        """The last user message plus up to `history_limit` earlier ones, starting with a user turn."""
        if not self.messages:
            return []
        *earlier, current = self.messages
        kept = earlier[len(earlier) - self.history_limit:] if self.history_limit else []
        while kept and kept[0].role != "user":
            kept.pop(0)
        return [*kept, current]

    def request(self, model: str, sampling: Sampling) -> ChatRequest:
        return ChatRequest(model=model, messages=self.window(), system=self.system_prompt,
                           temperature=sampling.temperature, top_p=sampling.top_p, max_tokens=sampling.max_tokens,
                           frequency_penalty=sampling.frequency_penalty, options=dict(sampling.options))
