"""The models probe: one authenticated models request per provider through the client's own adapter,
shared by the checks that read it (auth, model, ratelimit: `await ctx.service(MODELS)`), so the doctor
asks each provider once. Also what those checks share about it: the models the client would ask for
(`wanted_models`), and a provider's display name. The key itself is never kept: only where it came from
and its last 4 characters."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from perspt_doctor import catalog
from perspt_doctor.engine.check_model import CheckContext
from perspt_doctor.engine.services import ServiceKey
from perspt_doctor.redact import mask

if TYPE_CHECKING:  # the provider layer loads when a probe runs, not when a check module names PROBE_TIMEOUT
    from perspt_doctor.providers import errors as e
    from perspt_doctor.providers.base import ModelList

PROBE_TIMEOUT = 12.0
@dataclass
class ModelsProbe:
    """One authenticated models request and what came of it."""

    provider: str
    url: str
    key_origin: str
    key_source: str
    key_last4: str | None
    listing: ModelList | None = None
    error: e.ProviderError | None = None
    config_error: str | None = None
    config_hint: str | None = None
    elapsed_ms: float = 0.0
    key_info: dict[str, Any] | None = None
    """OpenRouter: GET /key (its models list is public, so only this proves the key)."""
    key_info_error: e.ProviderError | None = None

    @property
    def ok(self) -> bool:
        return self.listing is not None and self.key_info_error is None

    @property
    def model_ids(self) -> list[str]:
        return [m.id for m in self.listing.models] if self.listing is not None else []

    @property
    def headers(self) -> dict[str, str]:
        if self.listing is not None:
            return {k.lower(): v for k, v in self.listing.headers.items()}
        return dict(self.error.headers) if self.error is not None else {}

    def key_facts(self) -> dict[str, Any]:
        return {"key_source": self.key_source, "key_origin": self.key_origin, "key_last4": self.key_last4,
                "url": self.url}


def display_name(pid: str) -> str:
    spec = catalog.PROVIDERS.get(pid)
    return spec.display_name if spec else pid


def no_retries(adapter: Any, timeout: float) -> None:
    """The doctor reports the first answer as it is: no retry hides a 500, no wait on a 429."""
    adapter.retry = dataclasses.replace(adapter.retry, attempts=0, rate_limit_attempts=0, deadline=timeout)
    adapter.deadline = timeout
    adapter.limiter = None


def probe_timeout(ctx: CheckContext) -> float:
    return max(1.0, min(ctx.settings.number("timeout"), PROBE_TIMEOUT))


async def _fetch(ctx: CheckContext) -> ModelsProbe:
    assert ctx.provider is not None, "the models probe is a per-provider service"
    pid = ctx.provider
    from perspt_doctor.providers import errors as e
    from perspt_doctor.providers.registry import make_adapter
    from perspt_doctor.transport.trust import TransportConfigError

    spec = catalog.PROVIDERS[pid]
    lookup = await ctx.run_blocking(ctx.settings.key_lookup, pid)
    resolved = lookup.resolved
    key = str(resolved.value) if resolved.is_set else None
    base = ctx.settings.base_url_for(pid).value or spec.base_url
    probe = ModelsProbe(pid, base.rstrip("/") + spec.models_path, resolved.origin if key else "no key",
                        resolved.source.label if key else "none", mask(key) if key else None)
    timeout = ctx.bounded(probe_timeout(ctx), reserve=0.4)
    started = time.perf_counter()
    try:
        adapter = make_adapter(ctx.settings, pid, total_timeout=timeout)
    except TransportConfigError as exc:
        probe.config_error, probe.config_hint = exc.message, exc.hint
        return probe
    no_retries(adapter, timeout)
    try:
        probe.listing = await adapter.list_models()
        if pid == "openrouter":
            try:
                data, _response = await adapter.request_json("GET", "/key")
                info = data.get("data") if isinstance(data, dict) else None
                probe.key_info = info if isinstance(info, dict) else {}
            except e.ProviderError as exc:
                probe.key_info_error = exc
    except e.ProviderError as exc:
        probe.error = exc
    finally:
        await adapter.aclose()
    probe.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return probe


MODELS: ServiceKey[ModelsProbe] = ServiceKey("models", _fetch, per_provider=True)
"""The models probe of `ctx.provider`: `probe = await ctx.service(MODELS)`."""


@dataclass(frozen=True)
class Wanted:
    model: str
    origin: str
    configured: bool
    """False for the provider's built-in default when nothing names a model for it."""


def wanted_models(settings: Any, pid: str) -> list[Wanted]:
    """The models the client would ask `pid` for: the configured one, then the fallbacks'."""
    out: list[Wanted] = []
    default = catalog.PROVIDERS[pid].default_model if pid in catalog.PROVIDERS else ""
    if settings.provider.value == pid:
        model = settings.model
        if model.value:
            out.append(Wanted(str(model.value), model.origin, True))
    chain = settings.get("fallback_chain")
    for index, entry in enumerate(chain if isinstance(chain, list) else []):
        if not isinstance(entry, Mapping):
            continue
        name = entry.get("provider") or entry.get("provider_type")
        if isinstance(name, str) and catalog.canonical_id(name) == pid:
            model_name = entry.get("model")
            if isinstance(model_name, str) and model_name:
                out.append(Wanted(model_name, f"fallback_chain[{index}].model", True))
            elif default:
                out.append(Wanted(default, f"fallback_chain[{index}] (default model of {pid})", True))
    single = settings.get("fallback_provider")
    if isinstance(single, str) and catalog.canonical_id(single) == pid and default:
        out.append(Wanted(default, f"fallback_provider (default model of {pid})", True))
    if not out and default:
        out.append(Wanted(default, f"perspt's default model for {pid}", False))
    unique: dict[str, Wanted] = {}
    for item in out:
        unique.setdefault(item.model, item)
    return list(unique.values())
