"""model.<provider>: every verdict against the loopback fakes (did-you-mean, retired, access, aliases,
deprecation, fallbacks, defaults)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.anthropic_fake import anthropic_fake
from tests.fakes.openai_fake import openai_fake
from tests.provider_checks.conftest import Probe, verdict
from tests.provider_checks.fleet import FleetOpenAI, key_for

OPENAI_ENV = {"OPENAI_API_KEY": key_for("openai")}


def _openai(probe: Probe, **config: Any) -> Any:
    with openai_fake(api_key=OPENAI_ENV["OPENAI_API_KEY"]) as fake:
        return probe("openai", {"provider": "openai", "provider_endpoints": {"openai": fake.base_url}, **config},
                     OPENAI_ENV)["model.openai"]


def test_configured_model_is_available(probe: Probe) -> None:
    row = verdict(_openai(probe, model="gpt-4o-mini"), "model", "ok",
                  "gpt-4o-mini (config-0.json: model) is available", None)
    assert row.result.facts["available"] == 5


def test_default_model_when_none_is_configured(probe: Probe) -> None:
    verdict(_openai(probe), "model", "ok", "gpt-4o-mini (default model of openai) is available", None)


@pytest.mark.parametrize("name", ["GPT-4O-Mini", "gpt4o-mini", "gpt-4o_mini"])
def test_case_and_hyphens(probe: Probe, name: str) -> None:
    row = verdict(_openai(probe, model=name), "model", "fail", f"{name!r} (config-0.json: model) is not a model name; "
                  "'gpt-4o-mini' is", "model names are exact, with their case and hyphens: write gpt-4o-mini in "
                  "config-0.json")
    assert row.result.facts["suggestions"][name][0] == "gpt-4o-mini"
    assert row.result.fix_commands == ["perspt models --provider openai"]


def test_typo(probe: Probe) -> None:
    verdict(_openai(probe, model="gpt-4-turob"), "model", "fail", "'gpt-4-turob' (config-0.json: model) is not "
            "offered; did you mean 'gpt-4-turbo'", "use gpt-4-turbo in config-0.json: model")


def test_retired_model(probe: Probe) -> None:
    verdict(_openai(probe, model="text-davinci-003"), "model", "fail", "'text-davinci-003' (config-0.json: model) "
            "was retired by OpenAI", "use gpt-4o-mini (or another model from `perspt models --provider openai`)")


def test_model_the_account_cannot_use(probe: Probe) -> None:
    verdict(_openai(probe, model="o1-pro"), "model", "fail", "'o1-pro' (config-0.json: model) is not among the 5 "
            "models this key can use", "higher usage tier or a verified organization")


def test_fallback_models_are_checked_too(probe: Probe) -> None:
    row = verdict(_openai(probe, model="gpt-4o", fallback_chain=[{"provider": "openai", "model": "gpt-4o-mini"},
                                                                 {"provider": "openai", "model": "gpt-4-turob"}]),
                  "model", "fail", "'gpt-4-turob' (fallback_chain[1].model) is not offered", "use gpt-4-turbo in "
                  "fallback_chain[1].model")
    assert row.result.facts["models"] == {"gpt-4o": "ok", "gpt-4o-mini": "ok", "gpt-4-turob": "fail"}


def test_all_fallbacks_fine(probe: Probe) -> None:
    verdict(_openai(probe, model="gpt-4o", fallback_provider="openai"), "model", "ok",
            "gpt-4o (config-0.json: model) is available; 1 fallback model(s) too", None)


def test_unconfigured_provider_with_a_missing_default_only_warns(probe: Probe) -> None:
    with FleetOpenAI(prefix="/openai/v1", api_key=key_for("groq"), models=["llama-3.3-70b-versatile"]).start() as fake:
        rows = probe("groq", {"provider": "openai", "provider_endpoints": {"groq": fake.base_url}},
                     {"GROQ_API_KEY": key_for("groq")})
    verdict(rows["model.groq"], "model", "warn", "'llama-3.1-8b-instant' (perspt's default model for groq) is not "
            "among the 1 models", "perspt uses llama-3.1-8b-instant for groq when no model is set")


def test_no_model_configured_for_a_local_server(probe: Probe) -> None:
    with openai_fake(api_key=None, models=["qwen2.5-7b-instruct"]) as fake:
        rows = probe("openai-compatible", {"provider": "openai-compatible",
                                           "provider_endpoints": {"openai-compatible": fake.base_url}})
    verdict(rows["model.openai-compatible"], "model", "ok", "no model is configured for openai-compatible; it serves "
            "1: qwen2.5-7b-instruct", "set \"model\" (or --model) before using this provider")


def test_anthropic_alias_of_a_dated_model(probe: Probe) -> None:
    key = key_for("anthropic")
    with anthropic_fake(api_key=key, models=["claude-3-5-haiku-20241022", "claude-sonnet-4-6"]) as fake:
        rows = probe("anthropic", {"provider": "anthropic", "model": "claude-3-5-haiku-latest",
                                   "provider_endpoints": {"anthropic": fake.base_url}}, {"ANTHROPIC_API_KEY": key})
    verdict(rows["model.anthropic"], "model", "ok", "claude-3-5-haiku-latest (config-0.json: model) is an alias of "
            "claude-3-5-haiku-20241022", None)


class MistralFake(FleetOpenAI):
    """Mistral's list carries aliases and deprecation dates."""

    def _model(self, name: str) -> dict[str, Any]:
        entry = {**super()._model(name), "aliases": [], "deprecation": None, "deprecation_replacement_model": None}
        if name == "mistral-small-2506":
            entry["aliases"] = ["mistral-small-latest"]
        if name == "open-mistral-7b":
            entry.update(deprecation="2026-03-30T12:00:00Z", deprecation_replacement_model="ministral-8b-latest")
        return entry


@pytest.mark.parametrize(("model", "status", "summary", "hint"), [
    ("mistral-small-latest", "ok", "is an alias of mistral-small-2506", None),
    ("open-mistral-7b", "warn", "is scheduled for retirement on 2026-03-30; use ministral-8b-latest",
     "switch before then"),
])
def test_mistral_aliases_and_deprecations(probe: Probe, model: str, status: str, summary: str,
                                          hint: str | None) -> None:
    key = key_for("mistral")
    with MistralFake(api_key=key, models=["mistral-small-2506", "open-mistral-7b"]).start() as fake:
        rows = probe("mistral", {"provider": "mistral", "model": model,
                                 "provider_endpoints": {"mistral": fake.base_url}}, {"MISTRAL_API_KEY": key})
    verdict(rows["model.mistral"], "model", status, summary, hint)
