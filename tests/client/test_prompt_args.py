"""`perspt what is tcp`: arguments that are not a command are the question; a typo of a command is not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.client.clirun import chat_bodies, openai_env, perspt
from tests.fakes.openai_fake import OpenAIFake, openai_fake


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


def test_words_and_a_quoted_question_are_both_asked(fake: OpenAIFake) -> None:
    words = perspt("-m", "gpt-4o", "what", "is", "tcp", env=openai_env(fake))
    assert words.returncode == 0, words.stderr
    assert words.stdout == "Hello! How can I help you today?\n"
    quoted = perspt("what is udp", env=openai_env(fake))
    assert quoted.returncode == 0, quoted.stderr
    sent = chat_bodies(fake)
    assert [b["messages"][-1]["content"] for b in sent] == ["what is tcp", "what is udp"]  # type: ignore[index]
    assert sent[0]["model"] == "gpt-4o"


def test_an_ordinary_word_is_a_question_not_a_typo(fake: OpenAIFake) -> None:
    for word in ("hi", "tcp", "doc"):
        result = perspt(word, env=openai_env(fake))
        assert result.returncode == 0, (word, result.stderr)
    assert [b["messages"][-1]["content"] for b in chat_bodies(fake)] == ["hi", "tcp", "doc"]  # type: ignore[index]


@pytest.mark.parametrize(("typo", "command"), [
    (("doctr",), "doctor"), (("modles",), "models"), (("histroy",), "history"),
    (("histroy", "list"), "history"), (("keyz", "set", "openai"), "keys"), (("confg", "show"), "config"),
    (("doctr", "--offline"), "doctor"), (("reprot", "-o", "r.md"), "report")], ids=" ".join)
def test_a_near_miss_of_a_command_gets_did_you_mean(fake: OpenAIFake, typo: tuple[str, ...], command: str) -> None:
    """Alone, followed by an option, or followed by one of that command's own subcommands: a typo, never
    a question sent (and paid for)."""
    result = perspt(*typo, env=openai_env(fake))
    assert result.returncode == 2
    assert f"No such command '{typo[0]}'. Did you mean '{command}'?" in result.stderr
    assert chat_bodies(fake) == []


def test_a_question_that_starts_like_a_command_is_still_asked(fake: OpenAIFake) -> None:
    for words in (("docter", "who", "is", "the", "best"), ("explian", "quantum", "physics"), ("model", "ships")):
        result = perspt(*words, env=openai_env(fake))
        assert result.returncode == 0, (words, result.stderr)
    assert [b["messages"][-1]["content"] for b in chat_bodies(fake)] == [  # type: ignore[index]
        "docter who is the best", "explian quantum physics", "model ships"]


def test_commands_still_run_and_options_after_the_question_are_refused(fake: OpenAIFake) -> None:
    listed = perspt("history", "list", env=openai_env(fake))
    assert listed.returncode == 0 and "No conversations yet." in listed.stdout
    late = perspt("what", "is", "tcp", "-m", "gpt-4o", env=openai_env(fake))
    assert late.returncode == 2 and "-m after the question would be sent as part of it" in late.stderr
    twice = perspt("-q", "one", "two", env=openai_env(fake))
    assert twice.returncode == 2 and "give it once" in twice.stderr
    assert chat_bodies(fake) == []


def test_root_help_describes_every_command_and_the_question_forms() -> None:
    from perspt_doctor.cli.root import SHORT_HELP

    result = perspt("--help", env={"COLUMNS": "100"})
    assert result.returncode == 0
    commands = result.stdout.split("Commands:\n", 1)[1].splitlines()
    assert len(commands) == len(SHORT_HELP)
    for line in commands:
        name, _, text = line.strip().partition(" ")
        assert text.strip() == SHORT_HELP[name], line
    assert 'cat notes.txt | perspt -q "summarize this"' in result.stdout
    assert "[COMMAND [ARGS]... | QUESTION...]" in result.stdout


@pytest.mark.parametrize(("args", "suggested"), [
    (("config", "set", "provider", "openai"), "setup"),  # click's own offered `reset` first: it wipes the file
    (("history", "lsit"), "list"), (("keys", "sett", "openai"), "set")], ids=" ".join)
def test_a_subcommand_typo_is_suggested_through_the_one_did_you_mean(args: tuple[str, ...], suggested: str) -> None:
    result = perspt(*args)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"Error: No such command '{args[1]}'. Did you mean '{suggested}'?"


@pytest.mark.parametrize(("args", "where"), [
    ((b"-q", b"caf\xe9 au lait"), "-q"), ((b"caf\xe9", b"au", b"lait"), "the question"),
    ((b"-s", b"be terse \xe9", b"-q", b"hi"), "--system"), ((b"-m", b"gpt-\xe9", b"-q", b"hi"), "--model")],
    ids=["-q", "words", "--system", "--model"])
def test_a_byte_that_is_not_utf8_in_an_argument_is_a_usage_error(fake: OpenAIFake, args: tuple[bytes, ...],
                                                                  where: str) -> None:
    """Typed in a terminal set to Latin-1: an internal error before ('surrogates not allowed'), exit 70."""
    import os
    import subprocess
    import sys

    env = {k.encode(): v.encode() for k, v in {**os.environ, **openai_env(fake)}.items()}
    done = subprocess.run([sys.executable.encode(), b"-m", b"perspt_doctor", *args], env=env, capture_output=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode().splitlines()[-1] == (
        f"Error: {where} holds a byte that is not UTF-8 text (0xE9): set the terminal's encoding to UTF-8 "
        "(LANG=C.UTF-8) and type it again")
    assert chat_bodies(fake) == []
