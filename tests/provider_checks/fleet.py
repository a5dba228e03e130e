"""A loopback fake for each of the 11 providers, each on its own port with its own key and models, plus
the config and environment that point perspt at them.

Faults are scripted per provider. `authed_fault` answers every request that carries credentials with one
of the fake's own error replies, so the unauthenticated http.<provider> probe still sees a healthy server
and the fault lands where a real provider puts it: behind authentication. `rate_headers` replaces the
rate-limit headers of successful replies.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes.anthropic_fake import AnthropicFake
from tests.fakes.cohere_fake import CohereFake
from tests.fakes.gemini_fake import GeminiFake
from tests.fakes.ollama_fake import OllamaFake
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import FakeServer, Fault, Recorded, Reply, bearer_ok

PROVIDERS = ("openai", "anthropic", "google", "groq", "cohere", "xai", "deepseek", "mistral", "openrouter",
             "ollama", "openai-compatible")
KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "google": "GEMINI_API_KEY",
           "groq": "GROQ_API_KEY", "cohere": "COHERE_API_KEY", "xai": "XAI_API_KEY", "deepseek": "DEEPSEEK_API_KEY",
           "mistral": "MISTRAL_API_KEY", "openrouter": "OPENROUTER_API_KEY",
           "openai-compatible": "OPENAI_COMPATIBLE_API_KEY"}
_OPENAI_RATE = ("x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
                "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens")


def key_for(pid: str, seed: int = 1) -> str:
    """A key shaped like `pid`'s real keys (so keys.<pid> is ok), random but reproducible."""
    rng = random.Random(f"{pid}-{seed}")
    alnum = string.ascii_letters + string.digits

    def pick(chars: str, n: int) -> str:
        return "".join(rng.choice(chars) for _ in range(n))

    return {
        "openai": lambda: "sk-proj-" + pick(alnum, 24) + "T3BlbkFJ" + pick(alnum, 24),
        "anthropic": lambda: "sk-ant-api03-" + pick(alnum + "_-", 93) + "AA",
        "google": lambda: "AIza" + pick(alnum, 35),
        "groq": lambda: "gsk_" + pick(alnum, 52),
        "cohere": lambda: pick(alnum, 40),
        "xai": lambda: "xai-" + pick(alnum, 80),
        "deepseek": lambda: "sk-" + pick("0123456789abcdef", 32),
        "mistral": lambda: pick(alnum, 32),
        "openrouter": lambda: "sk-or-v1-" + pick("0123456789abcdef", 64),
        "openai-compatible": lambda: "local-" + pick(alnum, 24),
    }[pid]()


def has_credentials(request: Recorded) -> bool:
    h = request.headers
    return bool(h.get("authorization") or h.get("x-api-key") or h.get("x-goog-api-key") or request.query.get("key"))


class Scripted(FakeServer):
    """Mixin: a persistent fault for authenticated requests, and replaceable rate-limit headers."""

    authed_fault: Fault | None = None
    rate_headers: dict[str, str] | None = None

    def route(self, request: Recorded) -> Reply:
        fault = self.authed_fault
        if fault is not None and has_credentials(request) and (fault.path is None or fault.path in request.path):
            return self.error_reply(fault.kind, fault, request)
        reply = super().route(request)
        if self.rate_headers is not None and reply.status < 400:
            reply.headers = {k: v for k, v in reply.headers.items() if k not in _OPENAI_RATE
                             and not k.startswith("anthropic-ratelimit-")}
            reply.headers.update(self.rate_headers)
        return reply


class FleetOpenAI(Scripted, OpenAIFake):
    pass


class FleetAnthropic(Scripted, AnthropicFake):
    pass


class FleetGemini(Scripted, GeminiFake):
    pass


class FleetCohere(Scripted, CohereFake):
    pass


class FleetOpenRouter(FleetOpenAI):
    """OpenRouter lists its models without a key; `GET /key` is where a key is proven."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(prefix="/api/v1", **kw)

    def route(self, request: Recorded) -> Reply:
        if request.method == "GET" and request.path == "/api/v1/models" and not (
                self.authed_fault is not None and has_credentials(request)):
            return Reply(json={"data": [{"id": m, "name": m, "context_length": 128000} for m in self.models]})
        if request.method == "GET" and request.path == "/api/v1/key":
            fault = self.authed_fault
            if fault is not None and has_credentials(request):
                return self.error_reply(fault.kind, fault, request)
            ok = bearer_ok(request, self.api_key)
            if not ok:
                return Reply(401, json={"error": {"code": 401, "message": "User not found."}})
            return Reply(json={"data": {"label": "sk-or-v1-abc...", "usage": 1.25, "limit": 20,
                                        "limit_remaining": 18.75, "is_free_tier": False}})
        return super().route(request)


@dataclass
class Fleet:
    fakes: dict[str, Any]
    keys: dict[str, str]
    ollama: OllamaFake
    endpoints: dict[str, str] = field(default_factory=dict)

    def env(self, base: dict[str, str], **overrides: str) -> dict[str, str]:
        env = dict(base)
        env.update({KEY_ENV[pid]: key for pid, key in self.keys.items()})
        env.update(overrides)
        return env

    def config(self, **overrides: Any) -> dict[str, Any]:
        config: dict[str, Any] = {
            "provider": "openai", "model": "gpt-4o-mini",
            "provider_endpoints": dict(self.endpoints),
            "fallback_chain": [{"provider": "anthropic", "model": "claude-haiku-4-5"},
                               {"provider": "google", "model": "gemini-2.5-flash"},
                               {"provider": "ollama", "model": "llama3.2"},
                               {"provider": "openai-compatible", "model": "local-model"}],
            "timeout": 8, "network": {"connect_timeout": 2},
        }
        config.update(overrides)
        return config

    def write_config(self, path: Path, **overrides: Any) -> Path:
        path.write_text(json.dumps(self.config(**overrides), indent=2))
        path.chmod(0o600)
        return path


MISTRAL_HEADERS = {"x-ratelimit-limit-req-minute": "60", "x-ratelimit-remaining-req-minute": "59",
                   "x-ratelimit-limit-tokens-minute": "500000", "x-ratelimit-remaining-tokens-minute": "499990"}


@contextmanager
def fleet() -> Iterator[Fleet]:
    """All 11 providers healthy, each behind its own loopback port."""
    keys = {pid: key_for(pid) for pid in KEY_ENV}
    with ExitStack() as stack:
        def start(pid: str, fake: Any) -> Any:
            stack.enter_context(fake.start())
            return fake

        fakes: dict[str, Any] = {
            "openai": start("openai", FleetOpenAI(api_key=keys["openai"])),
            "anthropic": start("anthropic", FleetAnthropic(api_key=keys["anthropic"])),
            "google": start("google", FleetGemini(api_key=keys["google"])),
            "groq": start("groq", FleetOpenAI(prefix="/openai/v1", api_key=keys["groq"],
                                              models=["llama-3.1-8b-instant", "llama-3.3-70b-versatile"])),
            "cohere": start("cohere", FleetCohere(api_key=keys["cohere"])),
            "xai": start("xai", FleetOpenAI(api_key=keys["xai"], models=["grok-3-mini", "grok-3", "grok-4"])),
            "deepseek": start("deepseek", FleetOpenAI(prefix="", api_key=keys["deepseek"],
                                                      models=["deepseek-chat", "deepseek-reasoner"])),
            "mistral": start("mistral", FleetOpenAI(api_key=keys["mistral"],
                                                    models=["mistral-small-latest", "mistral-large-latest"])),
            "openrouter": start("openrouter", FleetOpenRouter(api_key=keys["openrouter"],
                                                              models=["openai/gpt-4o-mini", "anthropic/claude-3.5-haiku"])),
            "openai-compatible": start("openai-compatible", FleetOpenAI(api_key=keys["openai-compatible"],
                                                                        models=["local-model"])),
        }
        for pid in ("xai", "deepseek", "openrouter", "openai-compatible"):
            fakes[pid].rate_headers = {}
        fakes["mistral"].rate_headers = dict(MISTRAL_HEADERS)
        ollama = OllamaFake(["llama3.2"], registry=["llama3.2", "qwen2.5:0.5b"])
        stack.enter_context(ollama.start())
        fakes["ollama"] = ollama
        endpoints = {pid: fake.base_url for pid, fake in fakes.items()}
        yield Fleet(fakes, keys, ollama, endpoints)
