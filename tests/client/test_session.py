from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from perspt_doctor.client.history_store import HistoryStore
from perspt_doctor.client.render import PlainSink
from perspt_doctor.client.session import ChatSession, TurnFailed
from perspt_doctor.providers.errors import AuthenticationError, ModelNotFoundError, NetworkError
from perspt_doctor.settings.resolve import Flags, load_settings
from perspt_doctor.transport.classify import Cause, Kind
from tests.client.fake_adapter import Factory, Script


class Collect:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def feed(self, text: str) -> None:
        self.parts.append(text)

    def finish(self) -> None:
        pass

    @property
    def text(self) -> str:
        return "".join(self.parts)


def settings_with(tmp_path: Path, config: dict[str, Any], **flags: Any) -> Any:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return load_settings(Flags(config=str(path), **flags), env={})


def session_for(settings: Any, factory: Factory, *, store: HistoryStore | None = None,
                streaming: bool = True) -> tuple[ChatSession, list[str]]:
    notices: list[str] = []
    return ChatSession(settings, streaming=streaming, store=store, adapter_factory=factory,
                       notify=notices.append), notices


def test_every_turn_sends_the_role_structured_history_and_the_settings(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {"provider": "openai", "model": "gpt-4o", "system_prompt": "Be terse.",
                                        "temperature": 0.2, "top_p": 0.9, "max_tokens": 64,
                                        "frequency_penalty": 0.5, "options": {"num_ctx": 8192}})
    factory = Factory({"openai": Script(chunks=["A", "B"])})
    session, _ = session_for(settings, factory)

    async def talk() -> None:
        await session.ask("first", Collect())
        await session.ask("second", Collect())

    asyncio.run(talk())
    second = factory.made["openai"].requests[1]
    assert [(m.role, m.content) for m in second.messages] == [("user", "first"), ("assistant", "AB"),
                                                              ("user", "second")]
    assert second.system == "Be terse."
    assert (second.model, second.temperature, second.top_p, second.max_tokens, second.frequency_penalty) == (
        "gpt-4o", 0.2, 0.9, 64, 0.5)
    assert second.options == {"num_ctx": 8192}


def test_history_limit_prunes_old_turns_and_starts_with_a_user_message(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {"provider": "openai", "conversation_history_limit": 3})
    factory = Factory({"openai": Script(chunks=["ok"])})
    session, _ = session_for(settings, factory)

    async def talk() -> None:
        for n in range(4):
            await session.ask(f"q{n}", Collect())

    asyncio.run(talk())
    last = factory.made["openai"].requests[-1]
    # three earlier messages fit (a2 q2 a2... ) but the window must not start with an assistant turn
    assert [(m.role, m.content) for m in last.messages] == [("user", "q2"), ("assistant", "ok"), ("user", "q3")]


def test_no_stream_uses_chat_and_feeds_the_whole_reply(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {"provider": "openai"})
    factory = Factory({"openai": Script(chunks=["one ", "piece"])})
    session, _ = session_for(settings, factory, streaming=False)
    sink = Collect()
    result = asyncio.run(session.ask("hi", sink))
    assert sink.parts == ["one piece"] and result.status == "complete"


def test_cancel_keeps_the_partial_reply_in_conversation_and_store(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {"provider": "openai"})
    factory = Factory({"openai": Script(chunks=["part one", " part two", " never"], delay=0.05)})
    store = HistoryStore(tmp_path / "h.sqlite3")
    session, _ = session_for(settings, factory, store=store)
    sink = Collect()

    async def talk() -> None:
        task = asyncio.create_task(session.ask("long please", sink))
        while len(sink.parts) < 2:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(talk())
    assert sink.text == "part one part two"
    assert session.conversation.messages[-1].content == "part one part two"
    assert session.conversation_id is not None
    stored = store.messages(session.conversation_id)
    assert [(m.role, m.content, m.status) for m in stored] == [
        ("user", "long please", "complete"), ("assistant", "part one part two", "interrupted")]


def test_error_mid_stream_keeps_partial_and_does_not_fall_back(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {"provider": "openai", "fallback_provider": "anthropic"})
    error = NetworkError("connection reset", provider="openai", cause=Cause(Kind.RESET, "the connection was reset"))
    factory = Factory({"openai": Script(chunks=["half", " more"], error=error, fail_after=1)})
    store = HistoryStore(tmp_path / "h.sqlite3")
    session, _ = session_for(settings, factory, store=store)
    with pytest.raises(TurnFailed) as failed:
        asyncio.run(session.ask("q", Collect()))
    result = failed.value.result
    assert result.text == "half" and result.status == "error"
    assert "anthropic" not in factory.made
    assert result.failure is not None
    assert result.failure.doctor == "perspt doctor --provider openai --only 'tls.*'"
    assert session.conversation_id is not None
    last = store.messages(session.conversation_id)[-1]
    assert (last.content, last.status) == ("half", "error") and last.error and "network" in last.error


def test_fallback_chain_moves_on_and_says_who_answered(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {"provider": "openai", "model": "gpt-4o-mini", "fallback_chain": [
        {"provider_type": "openai", "model": "gpt-4o-mini", "on_failure": "next"},
        {"provider_type": "anthropic", "model": "claude-3-5-haiku-20241022", "on_failure": "next"},
        {"provider_type": "ollama", "model": "llama3.2:8b", "on_failure": "fail"}]})
    auth = AuthenticationError("invalid api key", provider="openai", status=401)
    factory = Factory({"openai": Script(error=auth), "anthropic": Script(error=NetworkError(
        "refused", provider="anthropic", cause=Cause(Kind.REFUSED, "connection refused"))),
        "ollama": Script(chunks=["from ollama"])})
    session, notices = session_for(settings, factory)
    sink = Collect()
    result = asyncio.run(session.ask("q", sink))
    assert not any("answered by" in n for n in notices), "held back until the reply is finished"
    session.say_pending()
    assert sink.text == "from ollama"
    assert result.route is not None and (result.route.provider, result.route.model) == ("ollama", "llama3.2:8b")
    assert [s.route.provider for s in result.skipped] == ["openai", "anthropic"]
    assert any("trying anthropic/claude-3-5-haiku-20241022" in n for n in notices)
    assert "answered by ollama/llama3.2:8b" in notices[-1]
    assert "openai skipped: authentication" in notices[-1] and "anthropic skipped: network/tcp" in notices[-1]


def test_on_failure_fail_stops_the_chain(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {"provider": "openai", "fallback_chain": [
        {"provider": "openai", "on_failure": "fail"}, {"provider": "anthropic"}]})
    factory = Factory({"openai": Script(error=AuthenticationError("bad key", provider="openai", status=401))})
    session, _ = session_for(settings, factory)
    with pytest.raises(TurnFailed) as failed:
        asyncio.run(session.ask("q", Collect()))
    assert "anthropic" not in factory.made
    assert failed.value.result.failure is not None
    assert failed.value.result.failure.doctor == "perspt doctor --provider openai --only 'auth.*'"
    # the failed question does not stay in the context of the next turn
    assert session.conversation.messages == []


def test_unknown_model_is_an_error_with_did_you_mean_never_replaced(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {"provider": "openai", "model": "gpt-4o-mni"})
    missing = ModelNotFoundError("The model `gpt-4o-mni` does not exist", provider="openai", status=404)
    factory = Factory({"openai": Script(error=missing, models=["gpt-4o", "gpt-4o-mini", "o3-mini"])})
    session, _ = session_for(settings, factory)
    with pytest.raises(TurnFailed) as failed:
        asyncio.run(session.ask("q", Collect()))
    failure = failed.value.result.failure
    assert failure is not None
    assert failure.hint is not None and "gpt-4o-mini" in failure.hint
    assert "--only 'model.*'" in (failure.doctor or "")
    assert session.model == "gpt-4o-mni"
    assert [r.model for r in factory.made["openai"].requests] == ["gpt-4o-mni"]


def test_a_broken_store_does_not_stop_the_chat(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {"provider": "openai"})
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    session, notices = session_for(settings, Factory({}), store=HistoryStore(blocker / "h.sqlite3"))
    result = asyncio.run(session.ask("hi", Collect()))
    assert result.status == "complete"
    assert any("history disabled" in n for n in notices)


def test_plain_sink_writes_everything_and_ends_the_line(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    with path.open("w") as handle:
        sink = PlainSink(handle)
        for piece in ["a", "b ", "c"]:
            sink.feed(piece)
        sink.finish()
    assert path.read_text() == "ab c\n"


@pytest.mark.parametrize("url, area", [("http://127.0.0.1:11434/api/chat", "tcp"),
                                       ("https://api.example.test/v1/chat/completions", "tls")])
def test_a_reset_before_any_reply_points_at_tls_only_over_https(url: str, area: str) -> None:
    from perspt_doctor.client.failures import describe

    error = NetworkError("connection reset", provider="openai",
                         cause=Cause(Kind.RESET, "the connection was reset", url=url))
    failure = describe(error)
    assert failure.kind == f"network/{area}"
    assert failure.doctor == f"perspt doctor --provider openai --only '{area}.*'"


def test_the_session_adds_up_its_token_usage(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {"provider": "openai", "model": "gpt-4o"})
    factory = Factory({"openai": Script(chunks=["A", "B"])})
    session, _ = session_for(settings, factory)

    async def talk() -> None:
        await session.ask("first", Collect())
        await session.ask("second", Collect())

    asyncio.run(talk())
    assert (session.usage.input_tokens, session.usage.output_tokens, session.usage.replies) == (6, 4, 2)
    assert session.usage.line() == "6 input, 4 output tokens over 2 replies"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_failed_primary_rests_for_the_cooldown_and_is_said_once(tmp_path: Path) -> None:
    from perspt_doctor.client.fallback import Cooldown

    settings = settings_with(tmp_path, {"provider": "openai", "fallback_provider": "anthropic"})
    refused = NetworkError("refused", provider="openai", cause=Cause(Kind.REFUSED, "connection refused"))
    factory = Factory({"openai": Script(error=refused), "anthropic": Script(chunks=["from claude"])})
    clock = Clock()
    notices: list[str] = []
    session = ChatSession(settings, streaming=True, adapter_factory=factory, notify=notices.append,
                          cooldown=Cooldown(60, clock))

    def turn() -> None:
        asyncio.run(session.ask("q", Collect()))
        session.say_pending()

    turn()
    turn()
    clock.now += 59
    turn()
    assert len(factory.made["openai"].requests) == 1, "skipped while it rests"
    assert len(factory.made["anthropic"].requests) == 3
    assert sum("answered by anthropic" in n for n in notices) == 1
    assert "uses the fallback for 60 s" in next(n for n in notices if "answered by" in n)
    clock.now += 2
    turn()
    assert len(factory.made["openai"].requests) == 2, "tried again after the cool-down"
    assert sum("answered by anthropic" in n for n in notices) == 2
