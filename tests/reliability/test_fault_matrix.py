"""The fault matrix: every fake provider, every fault, through the client as a user runs it
(`perspt --config FILE -q ...` in a fresh process). Each failure must be one line naming the right
class and a doctor command, a non-zero exit, no traceback, no wait past the configured timeout, and
for faults in the middle of a stream, the partial reply printed and kept in the history.

Classification by the adapters alone is covered for these fakes in
tests/providers/test_adapters_vs_fakes.py (every error class, stream faults, drip)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from tests.fakes.anthropic_fake import anthropic_fake
from tests.fakes.cohere_fake import cohere_fake
from tests.fakes.gemini_fake import gemini_fake
from tests.fakes.ollama_fake import ollama_fake
from tests.fakes.openai_fake import openai_fake
from tests.fakes.server import FakeServer
from tests.reliability.clienv import Home, last_reply, make_home, perspt

TIMEOUT = 2.0
"""`timeout` and `stream_timeout` in the config: the drip fault must be cut near it."""
MARGIN = 6.0
"""Process start-up and the error path; a correctness bound, not a benchmark."""

FAKES: dict[str, tuple[Callable[..., AbstractContextManager[Any]], str, str]] = {
    "openai": (openai_fake, "openai", "gpt-4o-mini"),
    "anthropic": (anthropic_fake, "anthropic", "claude-sonnet-4-6"),
    "gemini": (gemini_fake, "google", "gemini-2.5-flash"),
    "cohere": (cohere_fake, "cohere", "command-a-03-2025"),
}

# fault -> (fail() arguments, the class the one-line error must name, does text come before it?)
FAULTS: dict[str, tuple[dict[str, Any], str, bool]] = {
    "auth": ({}, "authentication", False),
    "permission": ({}, "permission", False),
    "model_not_found": ({}, "model_not_found", False),
    "rate_limit": ({"retry_after": 1}, "rate_limit", False),
    "quota": ({}, "quota", False),
    "server_error": ({}, "server_error", False),
    "overloaded": ({"retry_after": 1}, "overloaded", False),
    "html": ({}, "server_error", False),
    "invalid_json": ({"after": 5}, "bad_response", True),
    "reset": ({"after": 5}, "network/", True),
    "truncate": ({"after": 5}, "bad_response", True),
    "drip": ({"interval": TIMEOUT * 2}, "network/", False),
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return make_home(tmp_path_factory.mktemp("fault-home"))


def _config(home: Home, name: str, provider: str, base_url: str, model: str) -> str:
    path = home.root / f"{name}.json"
    path.write_text(json.dumps({
        "provider": provider, "model": model, "base_url": base_url, "api_key": "test-key",
        "retry_attempts": 0, "timeout": TIMEOUT, "stream_timeout": TIMEOUT,
        "network": {"read_timeout": TIMEOUT, "connect_timeout": TIMEOUT}}), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module", params=list(FAKES))
def fake(request: pytest.FixtureRequest) -> Iterator[tuple[str, FakeServer, str, str]]:
    factory, provider, model = FAKES[request.param]
    with factory() as server:
        yield request.param, server, provider, model


@pytest.mark.parametrize("fault", list(FAULTS))
def test_client_one_shot_under_each_fault(home: Home, fake: tuple[str, FakeServer, str, str], fault: str) -> None:
    name, server, provider, model = fake
    args, expected, partial = FAULTS[fault]
    server.clear_faults()
    server.fail(fault, path="/", times=5, **args)
    config = _config(home, name, provider, server.base_url, model)
    ran = perspt(home, "--config", config, "-q", "Hello", timeout=60)
    assert ran.returncode != 0, (ran.stdout, ran.stderr)
    assert "Traceback" not in ran.stderr and "Error: internal error" not in ran.stderr, ran.stderr
    errors = [line for line in ran.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, ran.stderr
    assert errors[0].startswith(f"Error ({expected}"), ran.stderr
    assert "perspt doctor" in errors[0], ran.stderr
    assert ran.seconds < TIMEOUT + MARGIN, f"{ran.seconds:.1f} s"
    if partial:
        assert ran.stdout.strip(), "the text that came before the fault was not printed"
        assert ran.stdout.strip() in server.reply
        assert "partial reply is kept" in ran.stderr
        kept = last_reply(home)
        assert kept["status"] == "error" and kept["content"].strip() == ran.stdout.strip()


OLLAMA_FAULTS: dict[str, tuple[Callable[[Any], None], str, bool]] = {
    "busy": (lambda f: f.busy("/api/chat"), "overloaded", False),
    "out_of_memory": (lambda f: f.out_of_memory("/api/chat"), "out_of_memory", False),
    "model_not_found": (lambda f: None, "model_not_found", False),
    "reset": (lambda f: f.reset("/api/chat"), "network/", False),
    "hang": (lambda f: f.hang("/api/chat"), "network/", False),
    "slow": (lambda f: f.slow("/api/chat", TIMEOUT * 3), "network/", False),
}


@pytest.mark.parametrize("fault", list(OLLAMA_FAULTS))
def test_client_one_shot_against_ollama_under_each_fault(home: Home, fault: str) -> None:
    setup, expected, _partial = OLLAMA_FAULTS[fault]
    with ollama_fake(["llama3.2"]) as server:
        setup(server)
        model = "llama3.3" if fault == "model_not_found" else "llama3.2"
        config = _config(home, "ollama", "ollama", server.base_url, model)
        ran = perspt(home, "--config", config, "-q", "Hello", timeout=60)
    assert ran.returncode != 0, (ran.stdout, ran.stderr)
    assert "Traceback" not in ran.stderr and "Error: internal error" not in ran.stderr, ran.stderr
    errors = [line for line in ran.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and errors[0].startswith(f"Error ({expected}"), ran.stderr
    assert "perspt doctor" in errors[0], ran.stderr
    assert ran.seconds < TIMEOUT + MARGIN, f"{ran.seconds:.1f} s"
