"""`--usage` prints each reply's tokens on stderr; `perspt history show` gives a conversation's totals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from perspt_doctor.client.history_store import StoredMessage
from perspt_doctor.client.usage import UsageTotals, totals_of
from tests.client.clirun import openai_env, perspt
from tests.fakes.openai_fake import OpenAIFake, openai_fake

REPLY = "Hello! How can I help you today?"


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


def test_usage_goes_to_stderr_after_the_reply_and_only_when_asked(fake: OpenAIFake) -> None:
    out = len(fake.reply_tokens())
    streamed = perspt("--usage", "-q", "hi", env=openai_env(fake))
    assert streamed.returncode == 0, streamed.stderr
    assert streamed.stdout == REPLY + "\n"
    assert f"perspt: token usage: 9 input, {out} output\n" in streamed.stderr
    whole = perspt("--usage", "--no-stream", "--continue", env=openai_env(fake), stdin="and then?")
    assert whole.returncode == 0, whole.stderr
    assert f"perspt: token usage: 13 input, {out} output\n" in whole.stderr
    quiet = perspt("-q", "hi", env=openai_env(fake))
    assert quiet.returncode == 0 and "token usage" not in quiet.stderr


def test_history_show_gives_the_conversations_totals(fake: OpenAIFake) -> None:
    out = len(fake.reply_tokens())
    assert perspt("-q", "one", env=openai_env(fake)).returncode == 0
    assert perspt("--no-stream", "--continue", "-q", "two", env=openai_env(fake)).returncode == 0
    shown = perspt("history", "show", "last", env=openai_env(fake))
    assert shown.returncode == 0, shown.stderr
    assert f"- Tokens: 22 input, {2 * out} output tokens over 2 replies\n" in shown.stdout


def test_totals_count_unreported_replies_apart() -> None:
    messages = [StoredMessage("user", "q"), StoredMessage("assistant", "a", input_tokens=5, output_tokens=7),
                StoredMessage("user", "q2"), StoredMessage("assistant", "partial", status="interrupted")]
    totals = totals_of(messages)
    assert (totals.input_tokens, totals.output_tokens, totals.replies, totals.unreported) == (5, 7, 1, 1)
    assert totals.line() == "5 input, 7 output tokens over 1 reply (1 not reported)"
    assert UsageTotals().line() == "no replies yet"
    assert UsageTotals(unreported=2).line() == "no token usage reported"
