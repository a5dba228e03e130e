"""model.<provider>: the configured model and every fallback model are in the live list this key gets
(from the models request auth.<provider> made). Misspellings get a did-you-mean; a missing model gets a
word on retired models and on models that need access the account may lack."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Result,
    check,
)

DOCS = "docs/troubleshooting.md#model-not-available"

RETIRED: dict[str, dict[str, str]] = {
    "openai": {"text-davinci-003": "gpt-4o-mini", "text-davinci-002": "gpt-4o-mini", "code-davinci-002": "gpt-4o",
               "gpt-3.5-turbo-0301": "gpt-4o-mini", "gpt-4-32k": "gpt-4o", "gpt-4-vision-preview": "gpt-4o",
               "gpt-4.5-preview": "gpt-4.1", "o1-preview": "o3", "o1-mini": "o4-mini"},
    "anthropic": {"claude-2": "claude-sonnet-4-6", "claude-2.0": "claude-sonnet-4-6",
                  "claude-2.1": "claude-sonnet-4-6", "claude-instant-1": "claude-haiku-4-5",
                  "claude-instant-1.2": "claude-haiku-4-5", "claude-3-sonnet-20240229": "claude-sonnet-4-6"},
    "google": {"gemini-pro": "gemini-2.5-flash", "gemini-1.0-pro": "gemini-2.5-flash",
               "gemini-pro-vision": "gemini-2.5-flash", "gemini-1.5-pro": "gemini-2.5-pro",
               "gemini-1.5-flash": "gemini-2.5-flash"},
    "xai": {"grok-beta": "grok-3", "grok-vision-beta": "grok-2-vision"},
    "groq": {"mixtral-8x7b-32768": "llama-3.3-70b-versatile", "llama2-70b-4096": "llama-3.3-70b-versatile",
             "gemma-7b-it": "llama-3.1-8b-instant", "llama3-70b-8192": "llama-3.3-70b-versatile",
             "llama3-8b-8192": "llama-3.1-8b-instant"},
    "cohere": {"command": "command-a-03-2025", "command-light": "command-r7b-12-2024",
               "command-nightly": "command-a-03-2025", "command-light-nightly": "command-r7b-12-2024"},
}
"""Model names the providers have retired, and what they suggest instead."""

ACCESS_NOTES: dict[str, str] = {
    "openai": "o-series and the newest OpenAI models can need a higher usage tier or a verified organization",
    "anthropic": "a workspace in the Anthropic Console can limit which models its keys may use",
    "google": "preview and experimental Gemini models come and go, and some are not offered in every region",
    "openrouter": "OpenRouter model ids are `vendor/model` (for example `openai/gpt-4o-mini`)",
    "cohere": "trial keys may not reach every Cohere model",
}
_DATED = re.compile(r"-\d{8}$")


def alias_target(pid: str, model: str, models: list[api.ModelInfo]) -> str | None:
    """A listed model that `model` is an accepted alias of (Anthropic `-latest`, Mistral `aliases`)."""
    for info in models:
        aliases = info.raw.get("aliases") if isinstance(info.raw, dict) else None
        if isinstance(aliases, list) and model in aliases:
            return info.id
    if pid == "anthropic":
        base = model[:-7] if model.endswith("-latest") else model
        dated = sorted((m.id for m in models if m.id.startswith(base + "-") and _DATED.search(m.id)), reverse=True)
        if dated and not _DATED.search(model):
            return dated[0]
    return None


def _deprecation(info: api.ModelInfo | None) -> str | None:
    raw = info.raw if info is not None and isinstance(info.raw, dict) else {}
    when = raw.get("deprecation")
    if not when:
        return None
    replacement = raw.get("deprecation_replacement_model")
    return f"is scheduled for retirement on {str(when)[:10]}" + (f"; use {replacement}" if replacement else "")


@dataclass
class ModelFinding:
    wanted: api.Wanted
    status: str  # ok, warn, fail
    line: str
    hint: str | None = None
    suggestions: tuple[str, ...] = ()


def assess(pid: str, wanted: api.Wanted, models: list[api.ModelInfo]) -> ModelFinding:
    ids = [m.id for m in models]
    name = wanted.model
    if api.is_available(name, ids):
        info = next((m for m in models if api.is_available(name, [m.id])), None)
        note = _deprecation(info)
        if note:
            return ModelFinding(wanted, "warn", f"{name} ({wanted.origin}) {note}",
                                hint=f"switch before then: set \"model\" in {wanted.origin.split(':')[0]}")
        return ModelFinding(wanted, "ok", f"{name} ({wanted.origin}) is available")
    target = alias_target(pid, name, models)
    if target:
        return ModelFinding(wanted, "ok", f"{name} ({wanted.origin}) is an alias of {target}")
    close = api.suggest(name, ids)
    status = "fail" if wanted.configured else "warn"
    where = f"in {wanted.origin}" if wanted.configured else "with `--model NAME` or \"model\" in the config"
    if close and api.normalise(close[0]) == api.normalise(name):
        return ModelFinding(wanted, status, f"{name!r} ({wanted.origin}) is not a model name; {close[0]!r} is",
                            hint=f"model names are exact, with their case and hyphens: write {close[0]} {where}",
                            suggestions=tuple(close))
    if close:
        return ModelFinding(wanted, status, f"{name!r} ({wanted.origin}) is not offered; did you mean "
                                            f"{_choices(close)}?",
                            hint=f"use {close[0]} {where}", suggestions=tuple(close))
    retired = RETIRED.get(pid, {}).get(name) or RETIRED.get(pid, {}).get(name.lower())
    if retired:
        return ModelFinding(wanted, status, f"{name!r} ({wanted.origin}) was retired by {api.display_name(pid)}",
                            hint=f"use {retired} (or another model from `perspt models --provider {pid}`) {where}")
    note = ACCESS_NOTES.get(pid)
    hint = (f"pick a model from `perspt models --provider {pid}` {where}; if {name} exists on "
            f"{api.display_name(pid)}'s model page, this key's account or project has no access to it"
            + (f" ({note})" if note else ""))
    if not wanted.configured:
        hint = f"perspt uses {name} for {pid} when no model is set; set one {where}"
    return ModelFinding(wanted, status, f"{name!r} ({wanted.origin}) is not among the {len(ids)} models this key "
                                        f"can use", hint=hint)


def _choices(names: tuple[str, ...] | list[str]) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def model_verdict(pid: str, wanted: list[api.Wanted], models: list[api.ModelInfo]) -> Result:
    ids = [m.id for m in models]
    facts: dict[str, Any] = {"available": len(ids), "wanted": [{"model": w.model, "origin": w.origin} for w in wanted]}
    if not wanted:
        sample = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
        return Result.ok(f"no model is configured for {pid}; it serves {len(ids)}: {sample}", facts=facts, docs=DOCS,
                         hint="set \"model\" (or --model) before using this provider" if ids else None)
    findings = [assess(pid, w, models) for w in wanted]
    facts["models"] = {f.wanted.model: f.status for f in findings}
    suggestions = {f.wanted.model: list(f.suggestions) for f in findings if f.suggestions}
    if suggestions:
        facts["suggestions"] = suggestions
    details = [f.line for f in findings]
    for status in ("fail", "warn"):
        bad = [f for f in findings if f.status == status]
        if bad:
            make = Result.fail if status == "fail" else Result.warn
            summary = bad[0].line + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else "")
            return make(summary, details=details, hint=bad[0].hint, facts=facts, docs=DOCS,
                        fix_commands=[f"perspt models --provider {pid}"])
    first = findings[0]
    more = f"; {len(findings) - 1} fallback model(s) too" if len(findings) > 1 else ""
    return Result.ok(f"{first.line}{more}", details=details, facts=facts, docs=DOCS)


def not_ollama(ctx: CheckContext) -> bool | str:
    if ctx.provider == "ollama":
        return "ollama.models checks the Ollama models"
    return True


@check("model.{provider}", "Configured models exist for {provider}", "model", per_provider=True,
       needs_network=True, timeout=20, depends_on=("auth.{provider}",), applies=not_ollama, docs=DOCS)
async def model_check(ctx: CheckContext) -> Result:
    """Checks that the configured model, and every fallback model for this provider, is in the list of
    models this key may use.

    Compares the names with the list `auth.{provider}` fetched (no second request). Names are matched
    exactly as the provider does; accepted aliases (Anthropic `-latest`, Mistral's `aliases`) count. When
    no model is configured for the provider, perspt's default model for it is checked.

    ok: every wanted model is listed (or is an alias of a listed one); or the provider has no default
      model and none is configured (the summary lists a few it serves).
    warn: a model is listed but the provider has scheduled its retirement. Fix: switch before the date;
      the summary names the replacement when the provider gives one.
    warn: perspt's default model for this provider (nothing configured) is not listed. Fix: set `model`
      or `--model NAME`.
    fail: a configured model is not listed: wrong case or punctuation, a near miss (with did-you-mean), a
      retired model (with its successor), or one this account cannot use. Fix: use a name from
      `perspt models --provider PROVIDER`.
    skip: there is no models list to compare with (`auth.{provider}` got an error), or the provider is
      Ollama (`ollama.models` checks it).
    """
    assert ctx.provider is not None
    probe = await ctx.service(api.MODELS)
    if probe.listing is None:
        reason = probe.error.message if probe.error is not None else probe.config_error or "no reply"
        return Result.skip(f"no model list to compare with (auth.{ctx.provider}: {reason})")
    return model_verdict(ctx.provider, api.wanted_models(ctx.settings, ctx.provider), probe.listing.models)
