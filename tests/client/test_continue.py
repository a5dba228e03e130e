"""`perspt --continue` and `--conversation ID`: the earlier turns are sent again (within
`conversation_history_limit`) and the new ones are appended to the same stored conversation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from perspt_doctor.client.history_store import default_store
from tests.client.clirun import chat_bodies, openai_env, perspt
from tests.fakes.openai_fake import OpenAIFake, openai_fake

REPLY = "Hello! How can I help you today?"


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


def sent(fake: OpenAIFake) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in chat_bodies(fake)[-1]["messages"]]  # type: ignore[attr-defined]


def stored(cid: int) -> list[tuple[str, str]]:
    with default_store() as store:
        conversation = store.get(cid)
    assert conversation is not None
    return [(m.role, m.content) for m in conversation.messages]


def ask(fake: OpenAIFake, *args: str, stdin: str = "", **env: str) -> None:
    result = perspt(*args, env=openai_env(fake, **env), stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert result.stdout == REPLY + "\n"


def test_continue_sends_the_earlier_turns_and_appends_to_the_same_conversation(fake: OpenAIFake) -> None:
    ask(fake, "-s", "Be terse.", "-q", "what is tcp")
    ask(fake, "--continue", "-q", "and udp?")
    assert sent(fake) == [("system", "Be terse."), ("user", "what is tcp"), ("assistant", REPLY),
                          ("user", "and udp?")]
    ask(fake, "-C", "summarize", stdin="notes\n")
    assert sent(fake)[-1] == ("user", "notes\n\nsummarize") and len(sent(fake)) == 6
    with default_store() as store:
        assert store.counts() == (1, 6)
        cid = store.latest_id()
    assert cid is not None
    assert stored(cid)[-2:] == [("user", "notes\n\nsummarize"), ("assistant", REPLY)]


def test_conversation_id_continues_an_older_one(fake: OpenAIFake) -> None:
    ask(fake, "-q", "first topic")
    ask(fake, "-q", "second topic")
    with default_store() as store:
        first, second = sorted(c.id for c in store.list_conversations())
    ask(fake, "--conversation", str(first), "-q", "more on the first")
    assert sent(fake) == [("user", "first topic"), ("assistant", REPLY), ("user", "more on the first")]
    assert len(stored(first)) == 4 and len(stored(second)) == 2


def test_the_history_limit_bounds_what_is_sent_again(fake: OpenAIFake) -> None:
    for question in ("one", "two", "three"):
        ask(fake, *(["--continue"] if question != "one" else []), "-q", question)
    ask(fake, "--continue", "-q", "four", PERSPT_CONVERSATION_HISTORY_LIMIT="2")
    assert sent(fake) == [("user", "three"), ("assistant", REPLY), ("user", "four")]


def test_a_failed_turn_is_not_sent_again(fake: OpenAIFake) -> None:
    ask(fake, "-q", "one")
    fake.fail("auth", times=1)
    failed = perspt("--continue", "-q", "lost question", env=openai_env(fake))
    assert failed.returncode == 1
    ask(fake, "--continue", "-q", "two")
    assert sent(fake) == [("user", "one"), ("assistant", REPLY), ("user", "two")]


@pytest.mark.parametrize(("args", "says"), [
    (("--continue",), "there is no conversation to continue yet"),
    (("--conversation", "7"), "no conversation with id 7"),
    (("--conversation", "abc"), "not a conversation id: 'abc'"),
    (("--continue", "--conversation", "1"), "--continue and --conversation contradict each other"),
])
def test_nothing_to_continue_is_a_usage_error(fake: OpenAIFake, args: tuple[str, ...], says: str) -> None:
    result = perspt(*args, "-q", "hi", env=openai_env(fake))
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr
    assert chat_bodies(fake) == []


def test_an_unknown_id_suggests_a_close_one(fake: OpenAIFake) -> None:
    ask(fake, "-q", "one")
    with default_store() as store:
        cid = store.latest_id()
    result = perspt("--conversation", f"{cid}0", "-q", "hi", env=openai_env(fake))
    assert result.returncode == 2
    assert f"no conversation with id {cid}0" in result.stderr and f"did you mean {cid}?" in result.stderr


def test_the_repl_session_resumes_and_says_so(fake: OpenAIFake, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from perspt_doctor.client.app import make_session
    from perspt_doctor.client.options import ChatOptions
    from perspt_doctor.settings.resolve import Flags, load_settings

    ask(fake, "-q", "what is tcp")
    for name, value in openai_env(fake).items():
        monkeypatch.setenv(name, value)
    session = make_session(ChatOptions(settings=load_settings(Flags()), resume="latest"), interactive=True)
    try:
        assert [(m.role, m.content) for m in session.conversation.messages] == [
            ("user", "what is tcp"), ("assistant", REPLY)]
        assert session.conversation_id is not None
    finally:
        assert session.store is not None
        session.store.close()
    assert "continuing conversation" in capsys.readouterr().err
