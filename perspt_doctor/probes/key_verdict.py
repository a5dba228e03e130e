"""What a models request's answer says about the key: the verdict of `auth.<provider>`, and of a live
chat that failed for a reason that is not the model's (`live.<provider>`). One place, so both name a
rejected key, a region block or an empty balance the same way."""

from __future__ import annotations

import re
from typing import Any

from perspt_doctor import catalog
from perspt_doctor.engine.check_model import Result
from perspt_doctor.probes.models import ModelsProbe, display_name
from perspt_doctor.providers import errors as e

DOCS = "docs/troubleshooting.md#api-keys"
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
