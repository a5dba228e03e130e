"""Token usage as the user sees it: one reply's (`--usage`), a session's totals (the REPL's `/usage`)
and a stored conversation's (`perspt history show`). Providers report it; some do not."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perspt_doctor.client.history_store import StoredMessage
    from perspt_doctor.providers.base import Usage


@dataclass
class UsageTotals:
    input_tokens: int = 0
    output_tokens: int = 0
    replies: int = 0
    """Replies whose usage the provider reported."""
    unreported: int = 0
    """Replies without a usage report (an interrupted stream, a provider that sends none)."""

    def add(self, input_tokens: int | None, output_tokens: int | None) -> None:
        if input_tokens is None and output_tokens is None:
            self.unreported += 1
            return
        self.replies += 1
        self.input_tokens += input_tokens or 0
        self.output_tokens += output_tokens or 0

    def add_usage(self, usage: Usage | None) -> None:
        if usage is None:
            self.unreported += 1
        else:
            self.add(usage.input_tokens, usage.output_tokens)

    def line(self) -> str:
        """`22 input, 18 output tokens over 2 replies (1 not reported)`."""
        if not self.replies:
            return "no token usage reported" if self.unreported else "no replies yet"
        text = (f"{self.input_tokens} input, {self.output_tokens} output tokens over {self.replies} "
                f"repl{'ies' if self.replies != 1 else 'y'}")
        return text + (f" ({self.unreported} not reported)" if self.unreported else "")


def reply_line(usage: Usage | None, provider: str) -> str:
    """What `--usage` prints after one reply."""
    if usage is None or (usage.input_tokens is None and usage.output_tokens is None):
        return f"token usage: not reported by {provider}"
    return f"token usage: {_count(usage.input_tokens)} input, {_count(usage.output_tokens)} output"


def _count(tokens: int | None) -> str:
    return "?" if tokens is None else str(tokens)


def totals_of(messages: Iterable[StoredMessage]) -> UsageTotals:
    """The totals of a stored conversation's replies."""
    totals = UsageTotals()
    for message in messages:
        if message.role == "assistant":
            totals.add(message.input_tokens, message.output_tokens)
    return totals
