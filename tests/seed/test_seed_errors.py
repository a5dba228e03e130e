"""Every `Error: ...` of the seed guide, built against the loopback fakes: perspt says it in one line
with the cause and the doctor command, and that doctor command really checks the provider."""

from __future__ import annotations

import json
import shlex
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_fake import anthropic_fake
from tests.fakes.cohere_fake import cohere_fake
from tests.fakes.gemini_fake import gemini_fake
from tests.fakes.ollama_fake import ollama_fake
from tests.fakes.openai_fake import openai_fake
from tests.reliability.clienv import Home, Ran, make_home, perspt


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Case:
    seed: str
    """The guide's message."""
    provider: str
    args: tuple[str, ...]
    kind: str
    """What perspt's one line starts with: `Error (<kind>...`."""
    says: str
    """Words of the cause that must be in that line."""
    doctor: str
    """The `--only` pattern of the doctor command the line names."""
    fault: Callable[[Any], None] | None = None
    key: str = "test-key"
    models: tuple[str, ...] = ()


def _fake_for(provider: str, models: tuple[str, ...]) -> Any:
    kw: dict[str, Any] = {"models": list(models)} if models else {}
    if provider == "anthropic":
        return anthropic_fake(**kw)
    if provider == "google":
        return gemini_fake(**kw)
    if provider == "cohere":
        return cohere_fake(**kw)
    if provider == "ollama":
        return ollama_fake(models or ("llama3.2:8b",))
    return openai_fake(**kw)


ENV_NAMES = {"openai": ("OPENAI_API_KEY", "OPENAI_BASE_URL"), "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
             "google": ("GOOGLE_API_KEY", "GEMINI_BASE_URL"), "groq": ("GROQ_API_KEY", "GROQ_BASE_URL"),
             "cohere": ("COHERE_API_KEY", "COHERE_BASE_URL"), "xai": ("XAI_API_KEY", "XAI_BASE_URL")}

WRONG = "wrong-key-0000-1111"
OPENAI_MODELS = ("gpt-4o-mini", "gpt-4", "gpt-3.5-turbo", "gpt-4-turbo")

CASES = [
    Case("Authentication failed for provider 'openai'", "openai", ("-q", "hi"), "authentication",
         "Incorrect API key", "auth.*", key=WRONG),
    Case("Invalid API key for OpenAI", "openai", ("--list-models",), "", "Incorrect API key", "auth.*", key=WRONG),
    Case("Model 'gpt-4.1' not available for provider 'openai'", "openai", ("-m", "gpt-4.1", "-q", "hi"),
         "model_not_found", "gpt-4.1", "model.*", models=OPENAI_MODELS),
    Case("Model 'gpt-5' not found", "openai", ("-m", "gpt-5", "-q", "hi"), "model_not_found", "gpt-5", "model.*"),
    Case("Streaming connection interrupted / Connection reset by peer", "openai", ("-q", "hi", "--stream"),
         "network/stream", "the stream was interrupted after the reply began: the connection was reset", "live.*",
         fault=lambda f: f.fail("reset", after=3, path="chat")),
    Case("Rate limit exceeded for model gpt-4", "openai", ("-m", "gpt-4", "-q", "hi"), "rate_limit",
         "Rate limit reached for gpt-4", "ratelimit.*", models=OPENAI_MODELS,
         fault=lambda f: f.fail("rate_limit", retry_after=0, times=10)),
    Case("Insufficient quota for GPT-4", "openai", ("-m", "gpt-4", "-q", "hi"), "quota", "exceeded your current quota",
         "ratelimit.*", models=OPENAI_MODELS, fault=lambda f: f.fail("quota", times=10)),
    Case("Anthropic API key authentication failed", "anthropic", ("-q", "hi"), "authentication", "invalid x-api-key",
         "auth.*", key=WRONG),
    Case("Model 'claude-3-opus-20240229' not available", "anthropic", ("-m", "claude-3-opus-20240229", "-q", "hi"),
         "model_not_found", "claude-3-opus-20240229", "model.*"),
    Case("Google AI API key not valid", "google", ("-q", "hi"), "authentication", "API key not valid", "auth.*",
         key=WRONG),
    Case("Gemini model access denied", "google", ("-q", "hi"), "permission", "Permission denied", "auth.*",
         fault=lambda f: f.fail("permission", times=10)),
    Case("Groq service temporarily unavailable", "groq", ("-m", "llama-3.1-8b-instant", "-q", "hi"), "overloaded",
         "overloaded", "http.*", models=("llama-3.1-8b-instant",), fault=lambda f: f.fail("overloaded", times=10)),
    Case("Cohere API authentication failed", "cohere", ("-q", "hi"), "authentication", "invalid api token", "auth.*",
         key=WRONG),
    Case("Model 'command-r-plus' not accessible", "cohere", ("-m", "command-r-plus", "-q", "hi"), "model_not_found",
         "command-r-plus", "model.*", models=("command-r",)),
    Case("XAI API key invalid", "xai", ("-q", "hi"), "authentication", "Incorrect API key", "auth.*", key=WRONG,
         models=("grok-beta",)),
    Case("Grok model not available", "xai", ("-m", "grok-2", "-q", "hi"), "model_not_found", "grok-2", "model.*",
         models=("grok-beta",)),
    Case("Model not found in Ollama", "ollama", ("-m", "llama2:7b", "-q", "hi"), "model_not_found", "llama2:7b",
         "ollama.*"),
    Case("Out of memory when loading model", "ollama", ("-m", "llama3.2:8b", "-q", "hi"), "out_of_memory",
         "requires more system memory", "memory.*", fault=lambda f: f.out_of_memory("/api/chat")),
]


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path / "home", HOME=str(tmp_path / "home"), PERSPT_RETRY_ATTEMPTS="1")


@contextmanager
def serving(case: Case) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        fake = stack.enter_context(_fake_for(case.provider, case.models))
        if case.fault is not None:
            case.fault(fake)
        if case.provider == "ollama":
            yield {"OLLAMA_HOST": fake.base_url}
            return
        key_env, url_env = ENV_NAMES[case.provider]
        yield {key_env: case.key, url_env: fake.base_url}


def _error_line(ran: Ran) -> str:
    assert "Traceback" not in ran.stderr, ran.stderr
    errors = [line for line in ran.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, ran.stderr
    return errors[0]


def _doctor_args(line: str) -> list[str]:
    named = line.split("diagnose: ", 1)[1] if "diagnose: " in line else line.split("`perspt doctor", 1)[1]
    words = shlex.split(named.strip().rstrip("`"))
    return words[2:] if words[:2] == ["perspt", "doctor"] else words


@pytest.mark.parametrize("case", CASES, ids=[c.seed for c in CASES])
def test_seed_error_is_one_clear_line_with_its_doctor_command(case: Case, home: Home) -> None:
    with serving(case) as env:
        ran = perspt(home, "--provider-type", case.provider, *case.args, env=env)
    assert ran.returncode == 1, (ran.stdout, ran.stderr)
    line = _error_line(ran)
    assert line.startswith(f"Error ({case.kind}" if case.kind else "Error: "), line
    assert case.says in line, line
    hint = next((h for h in ran.stderr.splitlines() if h.startswith("Hint: ")), "")
    doctor = line if "perspt doctor" in line else hint
    assert f"--only '{case.doctor}'" in doctor, ran.stderr
    assert home.network_violations() == []


@pytest.mark.parametrize("provider,only", [("ollama", "ollama.*"), ("ollama", "memory.*"), ("anthropic", "auth.*")])
def test_the_doctor_command_an_error_names_checks_that_provider(provider: str, only: str, home: Home) -> None:
    """`perspt doctor --provider P --only X` is what the client tells users to run: it must not skip it all
    because P is not the configured provider."""
    case = Case("", provider, (), "", "", only, key=WRONG)
    with serving(case) as env:
        ran = perspt(home, "doctor", "--provider", provider, "--only", only, "--json", env=env)
    report = json.loads(ran.stdout)
    ran_checks = [c for c in report["checks"] if c["status"] != "skip"]
    assert ran_checks, [(c["id"], c["summary"]) for c in report["checks"]]


def test_ollama_not_running_names_the_address_and_how_to_start_it(home: Home) -> None:
    port = closed_port()
    ran = perspt(home, "--provider-type", "ollama", "-q", "hi", env={"OLLAMA_HOST": f"127.0.0.1:{port}"})
    line = _error_line(ran)
    assert line.startswith("Error (network/tcp)") and "connection refused" in line and f":{port}" in line
    assert "--only 'ollama.*'" in line
    assert "ollama serve" in ran.stderr and "--only 'tcp.*'" not in ran.stderr


def test_connection_failure_and_missing_config_file(home: Home, tmp_path: Path) -> None:
    port = closed_port()
    ran = perspt(home, "-q", "hi", env={"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1"})
    line = _error_line(ran)
    assert line.startswith("Error (network/tcp)") and "connection refused" in line and "--only 'tcp.*'" in line

    missing = tmp_path / "nowhere" / "config.json"
    ran = perspt(home, "--config", str(missing), "-q", "hi")
    assert ran.returncode == 2
    assert _error_line(ran) == (f"Error: {missing}: error: config file not found (hint: create one with "
                                "`perspt config create`, or check the path) | diagnose: perspt doctor --only 'config.*'")


def test_model_inference_timeout_names_the_setting(home: Home) -> None:
    with openai_fake(models=["llama-3.1-8b-instant"]) as fake:
        fake.fail("drip", interval=5, path="chat", times=10)
        ran = perspt(home, "--provider-type", "groq", "--model", "llama-3.1-8b-instant", "--no-stream", "-q", "hi",
                     env={"GROQ_API_KEY": "test-key", "GROQ_BASE_URL": fake.base_url, "PERSPT_TIMEOUT": "1",
                          "PERSPT_RETRY_ATTEMPTS": "0"})
    line = _error_line(ran)
    assert line.startswith("Error (network/http)") and "no complete reply within 1 s" in line
    assert "--only 'http.*'" in line


def test_a_python_that_cannot_load_libssl_is_diagnosed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's `error while loading shared libraries: libssl.so.1.1`, as Python meets it."""
    import asyncio
    import builtins

    from perspt_doctor.checks.runtime import python_version

    healthy = asyncio.run(python_version(None))  # type: ignore[arg-type]
    assert healthy.status.value == "ok" and healthy.facts["openssl"].startswith(("OpenSSL", "LibreSSL"))

    real_import = builtins.__import__

    def no_ssl(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "ssl":
            raise ImportError("libssl.so.1.1: cannot open shared object file: No such file or directory")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ssl)
    broken = asyncio.run(python_version(None))  # type: ignore[arg-type]
    assert broken.status.value == "fail" and "libssl.so.1.1" in broken.summary
    assert broken.hint and "libssl3" in broken.hint
