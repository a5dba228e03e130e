"""What the Ollama checks (and `memory.fit`) share, offered through the api: whether Ollama is in scope,
the address perspt will use (`ollama_host`, aware of containers), the configured models and options, and
the daemon itself as services (`OLLAMA`: a small client on the client's route, proxy and CA;
`OLLAMA_VERSION`, `OLLAMA_TAGS`, `OLLAMA_PS`: the answers of `/api/version`, `/api/tags` and `/api/ps`,
fetched once per run). Every call goes through the provider adapter (`providers/ollama_adapter.py`), so
failures are named by the one classifier (`transport/classify.py`) and never raise for network trouble."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from perspt_doctor import catalog
from perspt_doctor.engine.check_model import CheckContext
from perspt_doctor.engine.services import ServiceKey
from perspt_doctor.probes.machine import CONTAINER
from perspt_doctor.providers.ollama_reply import OllamaReply

if TYPE_CHECKING:
    from perspt_doctor.providers.ollama_host import OllamaHost
    from perspt_doctor.settings.resolve import Settings

HTTP_BUDGET = 4.0
"""Seconds for one question to the daemon (loading a model is given its own budget)."""


# ---- scope and configuration -------------------------------------------------------------------------
def ollama_in_scope(ctx: CheckContext) -> bool | str:
    """The `applies=` answer of every Ollama check."""
    if ctx.in_scope("ollama"):
        return True
    if ctx.scope and "ollama" in ctx.settings.providers_in_scope():
        return f"Ollama is in use but not checked in this run (--provider {' '.join(ctx.scope)})"
    return "Ollama is not in use (not the provider, not a fallback, OLLAMA_HOST not set)"


def ollama_model_key(name: str) -> str:
    """How Ollama matches names: no tag means `latest`; the default registry prefix is optional."""
    name = name.strip().lower()
    for prefix in ("registry.ollama.ai/library/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def configured_models(ctx: CheckContext) -> list[tuple[str, str]]:
    """(model, where it was configured) for the provider and each Ollama fallback, each once."""
    out: list[tuple[str, str]] = []
    if ctx.settings.provider.value == "ollama":
        chosen = ctx.settings.model
        out.append((str(chosen.value), chosen.origin))
    for pid, model in ctx.settings.fallback_providers():
        if pid == "ollama":
            out.append((model or catalog.PROVIDERS["ollama"].default_model, "fallback_chain"))
    seen: set[str] = set()
    unique = []
    for name, origin in out:
        if name and ollama_model_key(name) not in seen:
            seen.add(ollama_model_key(name))
            unique.append((name, origin))
    return unique


def ollama_options(ctx: CheckContext) -> dict[str, Any]:
    """The `options` setting (num_ctx, num_gpu, ...), or an empty dict."""
    value = ctx.settings.get("options")
    return dict(value) if isinstance(value, dict) else {}


# ---- the daemon ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OllamaClient:
    """The Ollama server perspt will use, and a way to ask it one question."""

    settings: Settings
    host: OllamaHost
    budget: float = HTTP_BUDGET
    """Seconds for one question (the answers of `/api/version`, `/api/tags`, `/api/ps`, `/api/show`)."""

    async def ask(self, question: str, *args: Any, budget: float | None = None) -> OllamaReply:
        """Ask the daemon one question through the provider adapter (`version`, `tags`, `ps`, `show`,
        `load` or `answer_one` of `OllamaAdapter`), on the client's route, proxy and CA; never raises for network trouble."""
        from perspt_doctor.providers.ollama_adapter import OllamaAdapter
        from perspt_doctor.providers.registry import make_adapter
        from perspt_doctor.transport.classify import classify

        url = self.host.url
        try:
            adapter = make_adapter(self.settings, "ollama", require_key=False,
                                   total_timeout=budget or self.budget, base_url=url)
        except ValueError as exc:  # TransportConfigError: a proxy or CA setting the client cannot use either
            return OllamaReply(url=url, cause=classify(exc, provider="ollama"), message=str(exc))
        assert isinstance(adapter, OllamaAdapter)
        async with adapter:
            reply: OllamaReply = await getattr(adapter, question)(url, *args)
        return reply

    async def show(self, model: str) -> OllamaReply:
        return await self.ask("show", model)

    async def load(self, model: str, options: dict[str, Any], budget: float) -> OllamaReply:
        return await self.ask("load", model, options, budget=budget)

    async def answer_one(self, model: str, options: dict[str, Any], budget: float) -> OllamaReply:
        return await self.ask("answer_one", model, options, budget=budget)


async def _client(ctx: CheckContext) -> OllamaClient:
    from perspt_doctor.providers.ollama_host import resolve_ollama_host

    container = await ctx.service(CONTAINER)
    return OllamaClient(ctx.settings, resolve_ollama_host(ctx.settings, container=container), HTTP_BUDGET)


def _answer(question: str) -> Callable[[CheckContext], Awaitable[OllamaReply]]:
    async def fetch(ctx: CheckContext) -> OllamaReply:
        return await (await ctx.service(OLLAMA)).ask(question)

    return fetch


OLLAMA: ServiceKey[OllamaClient] = ServiceKey("ollama.client", _client)
OLLAMA_VERSION: ServiceKey[OllamaReply] = ServiceKey("ollama.version", _answer("version"))
OLLAMA_TAGS: ServiceKey[OllamaReply] = ServiceKey("ollama.tags", _answer("tags"))
OLLAMA_PS: ServiceKey[OllamaReply] = ServiceKey("ollama.ps", _answer("ps"))


async def ollama_host(ctx: CheckContext) -> OllamaHost:
    """The address perspt will talk to Ollama at, with where it came from and its traps."""
    return (await ctx.service(OLLAMA)).host


# ---- reading the answers ---------------------------------------------------------------------------------
def installed_models(tags: OllamaReply) -> list[dict[str, Any]]:
    """The model entries of a `/api/tags` answer (none when it failed)."""
    models = tags.data.get("models") if isinstance(tags.data, dict) else None
    return [m for m in models if isinstance(m, dict)] if isinstance(models, list) else []


def find_model(models: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    wanted = ollama_model_key(name)
    for entry in models:
        if wanted in (ollama_model_key(str(entry.get("name", ""))), ollama_model_key(str(entry.get("model", "")))):
            return entry
    return None


def split_label(size: int, size_vram: int) -> str:
    """`100% GPU`, `100% CPU` or `48%/52% CPU/GPU`, as `ollama ps` prints it."""
    if size <= 0 or size_vram >= size:
        return "100% GPU"
    if size_vram <= 0:
        return "100% CPU"
    gpu = round(100 * size_vram / size)
    return f"{100 - gpu}%/{gpu}% CPU/GPU"


@dataclass
class LoadedModel:
    """One entry of `/api/ps`: a model Ollama holds in memory."""

    name: str
    size: int
    size_vram: int | None
    split: str
    context_length: int | None

    @classmethod
    def from_ps(cls, entry: dict[str, Any]) -> LoadedModel:
        size, vram = int(entry.get("size") or 0), entry.get("size_vram")
        label = split_label(size, vram) if isinstance(vram, int) else "split unknown"
        context = entry.get("context_length")
        return cls(str(entry.get("name") or entry.get("model")), size, vram if isinstance(vram, int) else None,
                   label, context if isinstance(context, int) else None)


def loaded_models(ps: OllamaReply) -> list[LoadedModel]:
    """The models of a `/api/ps` answer (none when it failed or is not Ollama's JSON object)."""
    running = ps.data.get("models") if isinstance(ps.data, dict) else None
    return [LoadedModel.from_ps(m) for m in running or [] if isinstance(m, dict)]
