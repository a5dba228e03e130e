"""`cat notes.txt | perspt -q "summarize this"`: the piped text, a blank line, then the question."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from perspt_doctor.client.stdin import MAX_PIPED_BYTES
from tests.client.clirun import chat_bodies, openai_env, perspt
from tests.fakes.openai_fake import OpenAIFake, openai_fake

NOTES = "TCP opens with a three-way handshake.\nUDP does not.\n"


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


def last_user(fake: OpenAIFake) -> str:
    content = chat_bodies(fake)[-1]["messages"][-1]  # type: ignore[index]
    assert content["role"] == "user"
    return str(content["content"])


def test_piped_text_then_the_question_of_q(fake: OpenAIFake) -> None:
    result = perspt("-q", "summarize this", env=openai_env(fake), stdin=NOTES)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello! How can I help you today?\n"
    assert last_user(fake) == "TCP opens with a three-way handshake.\nUDP does not.\n\nsummarize this"


def test_piped_text_then_the_question_given_as_arguments(fake: OpenAIFake) -> None:
    result = perspt("summarize", "this", env=openai_env(fake), stdin=NOTES)
    assert result.returncode == 0, result.stderr
    assert last_user(fake) == "TCP opens with a three-way handshake.\nUDP does not.\n\nsummarize this"


def test_empty_or_blank_pipe_leaves_the_question_alone(fake: OpenAIFake) -> None:
    for piped in ("", "  \n\n"):
        result = perspt("-q", "what is tcp", env=openai_env(fake), stdin=piped)
        assert result.returncode == 0, result.stderr
        assert last_user(fake) == "what is tcp"


def test_piped_text_alone_is_the_question(fake: OpenAIFake) -> None:
    result = perspt(env=openai_env(fake), stdin=NOTES)
    assert result.returncode == 0, result.stderr
    assert last_user(fake) == NOTES


def test_input_over_the_limit_is_refused_before_anything_is_sent(fake: OpenAIFake) -> None:
    exact = perspt("-q", "count", env=openai_env(fake), stdin="a" * MAX_PIPED_BYTES)
    assert exact.returncode == 0, exact.stderr
    over = perspt("-q", "count", env=openai_env(fake), stdin="a" * (MAX_PIPED_BYTES + 1))
    assert over.returncode == 2
    assert "standard input is larger than 1024 KiB, the limit for piped text" in over.stderr
    assert "Traceback" not in over.stderr
    assert len(chat_bodies(fake)) == 1


@pytest.mark.parametrize(("data", "says"), [
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "standard input is binary (a NUL byte at offset 8)"),
    (b"caf\xe9 au lait", "standard input is not UTF-8 text (an invalid byte at offset 3)"),
])
def test_binary_input_gets_one_clear_line(fake: OpenAIFake, data: bytes, says: str) -> None:
    result = perspt("-q", "describe this", env=openai_env(fake), stdin=data)
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr
    assert chat_bodies(fake) == []
