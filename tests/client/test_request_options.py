"""`-o NAME VALUE` per request, `-s` for the system prompt, and PERSPT_ values: one schema checks them all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.client.clirun import chat_bodies, openai_env, perspt
from tests.fakes.openai_fake import OpenAIFake, openai_fake


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


def test_options_and_the_short_system_flag_are_sent(fake: OpenAIFake) -> None:
    result = perspt("-o", "temperature", "0.2", "-o", "top_p", "0.9", "-o", "max_tokens", "64",
                    "-o", "frequency_penalty", "-1.5", "-s", "Be terse.", "-q", "hi", env=openai_env(fake))
    assert result.returncode == 0, result.stderr
    body = chat_bodies(fake)[-1]
    assert body["temperature"] == 0.2 and body["top_p"] == 0.9 and body["frequency_penalty"] == -1.5
    assert 64 in (body.get("max_tokens"), body.get("max_completion_tokens"))
    assert body["messages"][0] == {"role": "system", "content": "Be terse."}  # type: ignore[index]


def test_an_option_beats_the_environment(fake: OpenAIFake) -> None:
    result = perspt("-o", "temperature", "1", "-q", "hi", env=openai_env(fake, PERSPT_TEMPERATURE="0.5"))
    assert result.returncode == 0, result.stderr
    assert chat_bodies(fake)[-1]["temperature"] == 1
    plain = perspt("-q", "hi", env=openai_env(fake, PERSPT_TEMPERATURE="0.5"))
    assert plain.returncode == 0, plain.stderr
    assert chat_bodies(fake)[-1]["temperature"] == 0.5


@pytest.mark.parametrize(("args", "says", "hint"), [
    (("temperature", "5"), "-o temperature 5: temperature is 5; it must be at most 2",
     "temperature takes a number from 0 to 2"),
    (("temperature", "-0.1"), "it must be at least 0", "temperature takes a number from 0 to 2"),
    (("temperature", "abc"), "temperature should be a number, not a string ('abc')", "from 0 to 2"),
    (("temperature", "nan"), "it must be a finite number", "from 0 to 2"),
    (("max_tokens", "0"), "max_tokens is 0; it must be at least 1", "a whole number of at least 1"),
    (("temprature", "1"), "-o temprature: not a request option", "did you mean temperature?"),
])
def test_a_bad_option_is_a_usage_error_naming_the_range(fake: OpenAIFake, args: tuple[str, str], says: str,
                                                         hint: str) -> None:
    result = perspt("-o", *args, "-q", "hi", env=openai_env(fake))
    assert result.returncode == 2
    assert says in result.stderr and hint in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert chat_bodies(fake) == []


@pytest.mark.parametrize(("value", "says"), [
    ("5", "`PERSPT_TEMPERATURE` is 5; it must be at most 2"),
    ("abc", "`PERSPT_TEMPERATURE` should be a number, not a string ('abc')"),
])
def test_a_bad_environment_value_is_a_clear_error_not_sent_nor_dropped(fake: OpenAIFake, value: str,
                                                                       says: str) -> None:
    result = perspt("-q", "hi", env=openai_env(fake, PERSPT_TEMPERATURE=value))
    assert result.returncode == 2
    assert says in result.stderr and "fix or unset PERSPT_TEMPERATURE" in result.stderr
    assert chat_bodies(fake) == []
