"""The client as users run it: a `perspt` process talking to the loopback provider fakes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from perspt_doctor.client.history_store import default_store
from tests.fakes.ollama_fake import ollama_fake
from tests.fakes.openai_fake import OpenAIFake, openai_fake


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


def perspt(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], input=stdin, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def openai_env(fake: OpenAIFake) -> dict[str, str]:
    return {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url}


def test_one_shot_to_a_pipe_prints_the_plain_reply_and_records_history(fake: OpenAIFake) -> None:
    result = perspt("-q", "What is TLS?", "--system", "Be terse.", env=openai_env(fake))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello! How can I help you today?\n"
    body = fake.last("chat/completions").json
    assert body["stream"] is True and body["model"] == "gpt-4o-mini"
    assert body["messages"] == [{"role": "system", "content": "Be terse."},
                                {"role": "user", "content": "What is TLS?"}]
    with default_store() as store:
        conversation = store.get(store.latest_id() or 0)
    assert conversation is not None
    assert [(m.role, m.content) for m in conversation.messages] == [
        ("user", "What is TLS?"), ("assistant", "Hello! How can I help you today?")]


def test_question_from_stdin_without_streaming(fake: OpenAIFake) -> None:
    result = perspt("--no-stream", env=openai_env(fake), stdin="Hello from a pipe\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Hello! How can I help you today?"
    body = fake.last("chat/completions").json
    assert not body.get("stream") and body["messages"][-1]["content"] == "Hello from a pipe\n"


def test_empty_stdin_is_a_one_line_usage_error(fake: OpenAIFake) -> None:
    result = perspt(env=openai_env(fake), stdin="")
    assert result.returncode == 2
    assert "standard input was empty" in result.stderr and "Traceback" not in result.stderr


def test_unknown_model_fails_with_did_you_mean_and_no_traceback(fake: OpenAIFake) -> None:
    result = perspt("-q", "hi", "-m", "gpt-4o-mni", env=openai_env(fake))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "model_not_found" in result.stderr and "gpt-4o-mni" in result.stderr
    assert "did you mean gpt-4o-mini" in result.stderr
    assert "perspt doctor --provider openai --only 'model.*'" in result.stderr
    assert "Traceback" not in result.stderr
    assert all(json.loads(r.body or b"{}").get("model") != "gpt-4o-mini"
               for r in fake.requests if r.path.endswith("chat/completions"))
    debug = perspt("-q", "hi", "-m", "gpt-4o-mni", "--debug", env=openai_env(fake))
    assert "Traceback" in debug.stderr


def test_refused_connection_names_the_root_cause_and_the_doctor_command() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = perspt("-q", "hi", env={"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
                                      "PERSPT_RETRY_ATTEMPTS": "0"})
    assert result.returncode == 1
    line = next(line for line in result.stderr.splitlines() if line.startswith("Error"))
    assert "network/tcp" in line and ("refused" in line.lower() or "connect" in line.lower())
    assert "perspt doctor --provider openai --only 'tcp.*'" in line


def test_fallback_to_ollama_says_who_answered_and_why(fake: OpenAIFake, tmp_path: Path) -> None:
    fake.fail("auth", times=5)
    with ollama_fake(models=["llama3.2"], reply="Answer from llama.") as ollama:
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"provider": "openai", "fallback_provider": "ollama",
                                      "provider_endpoints": {"ollama": ollama.base_url}}))
        result = perspt("-q", "hi", "--config", str(config), env=openai_env(fake))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Answer from llama."
    assert "trying ollama/llama3.2" in result.stderr
    assert "answered by ollama/llama3.2 (fallback_provider); openai skipped: authentication" in result.stderr
    assert "test-key" not in result.stderr


def test_connection_test_passes_step_by_step(fake: OpenAIFake) -> None:
    result = perspt("--test-connection", env=openai_env(fake))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    verdicts = [line.split("]")[0].strip(" [") + ":" + line.split("]")[1].split()[0]
                for line in lines if line.strip().startswith("[")]
    assert verdicts == ["ok:DNS", "skip:TLS", "ok:Authentication", "ok:Model", "ok:Stream"]
    assert "Connection test passed." in result.stdout
    sent = fake.last("chat/completions").json
    assert 1 in (sent.get("max_tokens"), sent.get("max_completion_tokens"))


def test_connection_test_stops_at_the_failing_step(fake: OpenAIFake) -> None:
    result = perspt("--test-connection", "-m", "gpt-4o-mni", env=openai_env(fake))
    assert result.returncode == 1
    assert "[FAIL] Model" in result.stdout and "did you mean gpt-4o-mini" in result.stdout
    assert "[skip] Stream          not run: Model failed" in result.stdout
    assert "perspt doctor --provider openai --only 'model.*'" in result.stdout
    bad_key = perspt("--test-connection", env={**openai_env(fake), "OPENAI_API_KEY": "sk-wrong-key-123456"})
    assert bad_key.returncode == 1
    assert "[FAIL] Authentication" in bad_key.stdout and "--only 'auth.*'" in bad_key.stdout
    assert "sk-wrong-key-123456" not in bad_key.stdout


def test_connection_test_takes_the_clients_proxy_decision(fake: OpenAIFake) -> None:
    with socket.socket() as dead:
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
    proxy = f"http://bob:s3cret-pw@127.0.0.1:{port}"
    bypassed = perspt("--test-connection", env={**openai_env(fake), "PERSPT_PROXY_HTTP": proxy,
                                                 "NO_PROXY": "127.0.0.1"})
    assert bypassed.returncode == 0, bypassed.stdout + bypassed.stderr
    assert "proxy " not in bypassed.stdout and "[ ok ] DNS" in bypassed.stdout
    proxied = perspt("--test-connection", env={**openai_env(fake), "HTTP_PROXY": proxy})
    assert proxied.returncode == 1
    proxy_line = next(line for line in proxied.stdout.splitlines() if line.startswith("  proxy "))
    assert proxy_line.endswith(f"@127.0.0.1:{port}")
    assert "[skip] DNS" in proxied.stdout and f"[FAIL] Proxy           openai: the proxy 127.0.0.1:{port} refuses" \
        in proxied.stdout
    assert "[FAIL] Authentication" not in proxied.stdout
    assert "s3cret-pw" not in proxied.stdout + proxied.stderr


@pytest.mark.parametrize("env,area", [
    ({"OLLAMA_HOST": "[::1"}, "ollama"),
    ({"HTTPS_PROXY": '"http://proxy.invalid:8080"', "OPENAI_API_KEY": "test-key"}, "proxy"),
])
def test_unusable_settings_are_one_line_naming_the_doctor_check(env: dict[str, str], area: str) -> None:
    provider = "ollama" if area == "ollama" else "openai"
    result = perspt("-p", provider, "-q", "hi", env=env, timeout=30)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    first, hint = result.stderr.strip().splitlines()[:2]
    assert first.startswith("Error (configuration): ")
    assert f"--only '{area}.*'" in first
    assert hint.startswith("Hint: ")


def test_a_dead_primary_is_not_paid_for_on_every_turn(fake: OpenAIFake, tmp_path: Path) -> None:
    """A primary that drops every connection: the first turn retries it and falls back; the next turns of
    the session go straight to the fallback (counted at the primary's socket), and it is said once."""
    import asyncio

    from perspt_doctor.client.session import ChatSession
    from perspt_doctor.settings.resolve import Flags, load_settings
    from tests.client.test_session import Collect

    fake.fail("reset", times=1000)
    with ollama_fake(models=["llama3.2"], reply="Answer from llama.") as ollama:
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"provider": "openai", "fallback_provider": "ollama",
                                      "provider_endpoints": {"ollama": ollama.base_url}}))
        settings = load_settings(Flags(config=str(config)), env=openai_env(fake))
        notices: list[str] = []
        session = ChatSession(settings, streaming=True, notify=notices.append)

        async def three_turns() -> list[int]:
            attempts = []
            try:
                for _ in range(3):
                    sink = Collect()
                    await session.ask("hi", sink)
                    session.say_pending()
                    assert sink.text == "Answer from llama."
                    attempts.append(len(fake.requests))
            finally:
                await session.aclose()
            return attempts

        attempts = asyncio.run(three_turns())
    assert attempts[0] >= 1 and attempts == [attempts[0]] * 3, attempts
    assert sum("answered by ollama" in n for n in notices) == 1, notices


def test_the_repl_says_a_key_is_missing_when_it_starts(tmp_path: Path) -> None:
    from tests.client.test_repl_tmux import Tmux
    from tests.infra.tools import need

    need("tmux")
    env = {k: os.environ[k] for k in ("PATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
                                      "XDG_CACHE_HOME", "PYTHON_KEYRING_BACKEND") if k in os.environ}
    env.update({"TERM": "xterm-256color", "PYTHONPATH": os.getcwd()})
    repl = Tmux([sys.executable, "-m", "perspt_doctor", "-p", "groq"], env, tmp_path)
    try:
        screen = repl.wait_for(lambda s: "no API key" in s)
        assert "Type a message" not in screen
        assert "perspt keys set groq" in " ".join(screen.split())
        assert repl.exit_code() == 1
    finally:
        repl.kill()
