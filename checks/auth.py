"""auth.<provider>: one authenticated models request through the client's own adapter, to learn whether
the key works. The same reply feeds model.<provider> and ratelimit.<provider> (`models_probe`), so the
doctor asks each provider once. The key itself is never shown: only where it came from and its last 4
characters."""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass
from typing import Any

from perspt_doctor.api import CheckContext, Result, check
from perspt_doctor.providers import catalog
from perspt_doctor.providers import errors as e
from perspt_doctor.providers.base import ModelList
from perspt_doctor.redact import mask

DOCS = "docs/troubleshooting.md#api-keys"
PROBE_TIMEOUT = 12.0
BILLING_URLS = {
    "openai": "https://platform.openai.com/settings/organization/billing",
    "anthropic": "https://console.anthropic.com/settings/billing",
    "google": "https://aistudio.google.com/usage",
    "groq": "https://console.groq.com/settings/billing",
    "cohere": "https://dashboard.cohere.com/billing",
    "xai": "https://console.x.ai",
    "deepseek": "https://platform.deepseek.com/top_up",
    "mistral": "https://console.mistral.ai/billing",
    "openrouter": "https://openrouter.ai/settings/credits",
}
_REGION = re.compile(r"unsupported_country|country, region|location is not supported|region not supported", re.I)
_API_DISABLED = re.compile(r"SERVICE_DISABLED|has not been used in project|is disabled", re.I)
_LEAKED = re.compile(r"reported as leaked|api key expired|key expired", re.I)
_MISSING_SCOPE = re.compile(r"insufficient permissions|missing scopes?", re.I)


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
    value = ctx.settings.get("timeout", 60)
    return max(1.0, min(float(value) if isinstance(value, int | float) else 60.0, PROBE_TIMEOUT))


async def models_probe(ctx: CheckContext) -> ModelsProbe:
    """The one models request for ctx.provider, shared by auth, model and ratelimit checks."""
    assert ctx.provider is not None
    pid = ctx.provider

    async def fetch() -> ModelsProbe:
        return await _fetch(ctx, pid)

    return await ctx.once(f"models:{pid}", fetch)


async def _fetch(ctx: CheckContext, pid: str) -> ModelsProbe:
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


def _key_phrase(probe: ModelsProbe) -> str:
    if probe.key_last4 is None:
        return "no key"
    return f"the key from {probe.key_origin} ({probe.key_last4})"


def _code(error: e.ProviderError) -> str:
    parts = [f"HTTP {error.status}" if error.status else None, error.code]
    return " ".join(p for p in parts if p) or error.kind


def auth_verdict(probe: ModelsProbe) -> Result:
    """The verdict on one models probe: does the key work, and if not, why."""
    pid = probe.provider
    name = display_name(pid)
    facts: dict[str, Any] = probe.key_facts()
    if probe.config_error is not None:
        return Result.fail(f"cannot build the HTTP client: {probe.config_error}", hint=probe.config_hint,
                           facts=facts, docs=DOCS)
    error = probe.key_info_error or probe.error
    if error is None:
        assert probe.listing is not None
        count = len(probe.listing.models)
        facts.update({"status": probe.listing.status_code, "models": count, "elapsed_ms": probe.elapsed_ms})
        plural = "s" if count != 1 else ""
        if probe.key_last4 is None:
            return Result.ok(f"{name} answers without a key ({count} model{plural} listed)", facts=facts, docs=DOCS)
        details = []
        if probe.key_info:
            facts["key_info"] = {k: probe.key_info.get(k) for k in ("label", "usage", "limit", "limit_remaining",
                                                                       "is_free_tier") if k in probe.key_info}
            details.append("the key was checked with GET /key: OpenRouter lists its models without a key")
        return Result.ok(f"{name} accepted {_key_phrase(probe)}; {count} model{plural} available", facts=facts,
                         details=details, docs=DOCS)
    facts.update({"status": error.status, "code": error.code, "error_kind": error.kind,
                  "cause": error.classified().as_dict(), "elapsed_ms": probe.elapsed_ms})
    if error.request_id:
        facts["request_id"] = error.request_id
    return _error_verdict(probe, error, facts)


def _error_verdict(probe: ModelsProbe, error: e.ProviderError, facts: dict[str, Any]) -> Result:
    pid = probe.provider
    name = display_name(pid)
    spec = catalog.PROVIDERS.get(pid)
    keys_url = spec.keys_url if spec and spec.keys_url else None
    details = [f"{name} said: {error.message}"] if error.message else []
    code = _code(error)
    text = f"{error.message} {error.code or ''}"
    fixes = [f"perspt keys set {pid}"] if spec and spec.key_env else []
    if isinstance(error, e.AuthenticationError):
        if error.code == "missing_key":
            return Result.fail(f"no API key for {name}", hint=error.hint, fix_commands=fixes, facts=facts, docs=DOCS)
        if probe.key_last4 is None:
            env = spec.key_env[0] if spec and spec.key_env else "the key variable"
            return Result.fail(f"the server at {probe.url} wants a key ({code})", details=details, facts=facts,
                               hint=f"set {env} (or `perspt keys set {pid}`) to the key the server was started with",
                               fix_commands=fixes, docs=DOCS)
        hint = (f"create a new key{' at ' + keys_url if keys_url else ''} and store it with `perspt keys set {pid}`; "
                f"check that {probe.key_origin} holds the key you think it does")
        if _LEAKED.search(text):
            hint = (f"this key was disabled (expired or reported as leaked): revoke it and create a new one"
                    f"{' at ' + keys_url if keys_url else ''}")
        elif pid == "mistral":
            hint += "; Mistral answers 401 both for a revoked key and for a plan whose quota is used up"
        return Result.fail(f"{name} rejected {_key_phrase(probe)} ({code})", details=details, hint=hint,
                           fix_commands=fixes, facts=facts, docs=DOCS)
    if isinstance(error, e.PermissionDeniedError):
        if _REGION.search(text):
            return Result.fail(f"{name} refuses requests from your country or region ({code})", details=details,
                               facts=facts, docs=DOCS,
                               hint="this is not a key problem: the provider does not serve the region your "
                                    "requests come from (check the VPN or egress location)")
        if _API_DISABLED.search(text):
            return Result.fail(f"the key's Google Cloud project has the Generative Language API turned off ({code})",
                               details=details, facts=facts, docs=DOCS,
                               hint="enable the Generative Language API for that project, or create the key in "
                                    "Google AI Studio")
        hint = "check the key's permissions in the provider's console (project, workspace, allowed models)"
        if pid == "openai" and _MISSING_SCOPE.search(text):
            hint = "a restricted key needs at least Read access to Models and Write access to Model capabilities"
        return Result.fail(f"{name} denies {_key_phrase(probe)} access to the models list ({code})", details=details,
                           hint=hint, facts=facts, docs=DOCS)
    if isinstance(error, e.QuotaExceededError):
        billing = BILLING_URLS.get(pid)
        return Result.fail(f"{name} refuses {_key_phrase(probe)}: out of credits or quota ({code})", details=details,
                           hint="retrying will not help: add credits or raise the spending limit"
                                + (f" ({billing})" if billing else "") + ", or set a `fallback_provider`",
                           facts=facts, docs=DOCS)
    if isinstance(error, e.RateLimitError):
        wait = f"; retry in {error.retry_after:.0f} s" if error.retry_after else ""
        return Result.warn(f"{name} did not reject the key, but rate limits it right now ({code}){wait}",
                           details=details, hint=f"see ratelimit.{pid} for the limits and when they reset",
                           facts=facts, docs="docs/troubleshooting.md#rate-limits-and-quota")
    if isinstance(error, e.ServerError | e.OverloadedError):
        status = f"; status page: {spec.status_url}" if spec and spec.status_url else ""
        return Result.warn(f"could not check the key: {name} answered with a fault on its side ({code})",
                           details=details, hint=f"retry in a minute{status}; nothing to change here",
                           facts=facts, docs="docs/troubleshooting.md#provider-unavailable-or-slow")
    if isinstance(error, e.EndpointNotFoundError) or (isinstance(error, e.ModelNotFoundError) and error.status == 404):
        # a models list names no model: its 404 is the URL (`Invalid URL (GET /models)`)
        return Result.fail(f"{probe.url} does not exist ({code}): the base URL is wrong", details=details,
                           hint=f"the base URL is probably wrong (a missing or doubled `/v1`?); `perspt config show` "
                                f"says where the base URL for {pid} comes from", facts=facts, docs=DOCS)
    if isinstance(error, e.BadResponseError):
        return Result.fail(f"{probe.url} did not answer like {name}'s API: {error.message}", hint=error.hint,
                           facts=facts, docs=DOCS)
    if isinstance(error, e.NetworkError):
        return Result.fail(f"the models request failed: {error.message}", hint=error.hint, facts=facts, docs=DOCS)
    return Result.fail(f"{name} refused the models request ({code})", details=details, hint=error.hint,
                       facts=facts, docs=DOCS)


def not_ollama(ctx: CheckContext) -> bool | str:
    if ctx.provider == "ollama":
        return "Ollama uses no API key; ollama.daemon and ollama.models check the server"
    return True


@check("auth.{provider}", "API key works with {provider}", "auth", per_provider=True, needs_network=True,
       timeout=PROBE_TIMEOUT + 3, depends_on=("keys.{provider}", "http.{provider}"), applies=not_ollama, docs=DOCS)
async def auth_check(ctx: CheckContext) -> Result:
    """Checks that the provider accepts the API key.

    Sends one authenticated models request (`GET .../models` or the provider's equivalent) through the
    client's own provider adapter, with retries off so the first answer is reported as it is. For
    OpenRouter, whose models list is public, it also asks `GET /key`. `model.{provider}` and
    `ratelimit.{provider}` read the same reply, so each provider is asked once. Only the key's source and
    last 4 characters are shown.

    ok: the provider lists its models for this key (the summary gives the count), or a keyless server
      such as a local OpenAI-compatible one answers without a key.
    warn: the provider rate limits the key right now (429), so it did not reject it. Fix: wait; see
      `ratelimit.{provider}`.
    warn: the provider answered with a fault on its side (5xx, overloaded), so the key could not be
      checked. Fix: retry in a minute; the provider's status page says more.
    fail: no key, or the key is rejected (401): invalid, revoked, expired or reported as leaked; or a
      server wants a key and none is set. Fix: create a new key and store it with
      `perspt keys set PROVIDER`; check that the source named in the summary holds the key you expect.
    fail: access denied (403): the provider does not serve your region, the key's Google Cloud project
      has the Generative Language API off, or the key lacks permissions (an OpenAI restricted key needs
      Models read access). Fix: as the hint says; the region case is not a key problem.
    fail: out of credits or quota. Fix: add credits or raise the spending limit (the hint links the
      billing page), or set a `fallback_provider`.
    fail: the models URL does not exist (404: the base URL is wrong, often a missing or doubled `/v1`),
      the reply is not the provider's API, the request fails on the network, or the HTTP client cannot
      be built from the settings. Fix: check the base URL with `perspt config show`; follow the hint.
    skip: the provider is Ollama, which uses no key (`ollama.daemon` and `ollama.models` check it).
    """
    return auth_verdict(await models_probe(ctx))
