"""auth.<provider>: every verdict against the loopback fakes and their error scripts."""

from __future__ import annotations

from typing import Any

import pytest

from perspt_doctor.redact import redact
from tests.fakes.anthropic_fake import anthropic_fake
from tests.fakes.gemini_fake import gemini_fake
from tests.fakes.openai_fake import openai_fake
from tests.fakes.server import Fault
from tests.provider_checks.conftest import Probe, verdict
from tests.provider_checks.fleet import FleetOpenAI, FleetOpenRouter, key_for

OPENAI_KEY = key_for("openai")
OPENAI_ENV = {"OPENAI_API_KEY": OPENAI_KEY}


def _openai(base_url: str, **config: Any) -> dict[str, Any]:
    return {"provider": "openai", "provider_endpoints": {"openai": base_url}, **config}


def test_accepted_key_says_where_it_came_from_and_never_shows_it(probe: Probe) -> None:
    with openai_fake(api_key=OPENAI_KEY) as fake:
        rows = probe("openai", _openai(fake.base_url), OPENAI_ENV)
        models_calls = [r for r in fake.requests if r.path == "/v1/models"]
    row = verdict(rows["auth.openai"], "auth", "ok", "OpenAI accepted the key from OPENAI_API_KEY (environment) "
                  f"(…{OPENAI_KEY[-4:]}); 5 models available", hint=None)
    assert row.result.facts["key_source"] == "environment" and row.result.facts["key_last4"] == "…" + OPENAI_KEY[-4:]
    assert OPENAI_KEY not in repr(row.result)
    assert len(models_calls) == 1, "auth, model and ratelimit share one request"


def test_key_from_the_config_file_is_named(probe: Probe) -> None:
    with openai_fake(api_key=OPENAI_KEY) as fake:
        rows = probe("openai", _openai(fake.base_url, api_key=OPENAI_KEY))
    verdict(rows["auth.openai"], "auth", "ok", "from config-0.json: api_key", hint=None)


def test_rejected_key(probe: Probe) -> None:
    with openai_fake(api_key="the-right-key") as fake:
        rows = probe("openai", _openai(fake.base_url), OPENAI_ENV)
    row = verdict(rows["auth.openai"], "auth", "fail", "OpenAI rejected the key from OPENAI_API_KEY (environment) "
                  "(…" + OPENAI_KEY[-4:] + ") (HTTP 401 invalid_api_key)",
                  "create a new key at https://platform.openai.com/api-keys")
    assert row.result.fix_commands == ["perspt keys set openai"]
    assert OPENAI_KEY not in redact(" ".join(row.result.details))


def test_missing_key_when_the_key_check_is_not_in_the_run(probe: Probe) -> None:
    with openai_fake(api_key=OPENAI_KEY) as fake:
        rows = probe("openai", _openai(fake.base_url))
    verdict(rows["auth.openai"], "auth", "fail", "no API key for OpenAI", "OPENAI_API_KEY")
    assert not fake.requests


def test_gemini_invalid_key_is_a_400(probe: Probe) -> None:
    with gemini_fake(api_key="right") as fake:
        rows = probe("google", {"provider": "google", "provider_endpoints": {"google": fake.base_url}},
                     {"GEMINI_API_KEY": key_for("google")})
    verdict(rows["auth.google"], "auth", "fail", "Google Gemini rejected the key from GEMINI_API_KEY (environment)",
            "create a new key at https://aistudio.google.com/app/apikey")
    assert rows["auth.google"].result.facts["code"] == "API_KEY_INVALID"


def test_gemini_leaked_key(probe: Probe) -> None:
    key = key_for("google")
    with gemini_fake(api_key=key) as fake:
        fake.fail("status", status=403, body={"error": {"code": 403, "status": "PERMISSION_DENIED", "message":
                  "Your API key was reported as leaked. Please use another API key."}})
        rows = probe("google", {"provider": "google", "provider_endpoints": {"google": fake.base_url}},
                     {"GEMINI_API_KEY": key})
    verdict(rows["auth.google"], "auth", "fail", "rejected", "disabled (expired or reported as leaked)")


def test_gemini_api_disabled_in_the_project(probe: Probe) -> None:
    key = key_for("google")
    with gemini_fake(api_key=key) as fake:
        fake.fail("status", status=403, body={"error": {"code": 403, "status": "PERMISSION_DENIED", "message":
                  "Generative Language API has not been used in project 123 before or it is disabled.",
                  "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}]}})
        rows = probe("google", {"provider": "google", "provider_endpoints": {"google": fake.base_url}},
                     {"GEMINI_API_KEY": key})
    verdict(rows["auth.google"], "auth", "fail", "Generative Language API turned off", "enable the Generative Language")


def test_mistral_401_mentions_the_plan(probe: Probe) -> None:
    with FleetOpenAI(api_key="right", models=["mistral-small-latest"]).start() as fake:
        rows = probe("mistral", {"provider": "mistral", "provider_endpoints": {"mistral": fake.base_url}},
                     {"MISTRAL_API_KEY": key_for("mistral")})
    verdict(rows["auth.mistral"], "auth", "fail", "Mistral rejected", "a plan whose quota is used up")


def test_region_block(probe: Probe) -> None:
    with FleetOpenAI(api_key=OPENAI_KEY).start() as fake:
        fake.authed_fault = Fault("permission")
        rows = probe("openai", _openai(fake.base_url), OPENAI_ENV)
    verdict(rows["auth.openai"], "auth", "fail", "OpenAI refuses requests from your country or region (HTTP 403 "
            "unsupported_country_region_territory)", "not a key problem")


def test_restricted_openai_key_without_the_models_scope(probe: Probe) -> None:
    with openai_fake(api_key=OPENAI_KEY) as fake:
        fake.fail("status", status=403, body={"error": {"message": "You have insufficient permissions for this "
                  "operation. Missing scopes: api.model.read.", "type": "invalid_request_error", "code": None}})
        rows = probe("openai", _openai(fake.base_url), OPENAI_ENV)
    verdict(rows["auth.openai"], "auth", "fail", "denies the key", "Read access to Models")


def test_permission_denied(probe: Probe) -> None:
    key = key_for("anthropic")
    with anthropic_fake(api_key=key) as fake:
        fake.fail("permission")
        rows = probe("anthropic", {"provider": "anthropic", "provider_endpoints": {"anthropic": fake.base_url}},
                     {"ANTHROPIC_API_KEY": key})
    verdict(rows["auth.anthropic"], "auth", "fail", "Anthropic denies the key from ANTHROPIC_API_KEY (environment)",
            "check the key's permissions")
    verdict(rows["model.anthropic"], "model", "skip", "blocked by auth.anthropic", None)


@pytest.mark.parametrize(("kind", "code"), [("quota", "insufficient_quota")])
def test_out_of_quota(probe: Probe, kind: str, code: str) -> None:
    with openai_fake(api_key=OPENAI_KEY) as fake:
        fake.fail(kind)
        rows = probe("openai", _openai(fake.base_url), OPENAI_ENV)
    verdict(rows["auth.openai"], "auth", "fail", f"out of credits or quota (HTTP 429 {code})",
            "retrying will not help: add credits or raise the spending limit "
            "(https://platform.openai.com/settings/organization/billing)")


def test_anthropic_low_credit_balance(probe: Probe) -> None:
    key = key_for("anthropic")
    with anthropic_fake(api_key=key) as fake:
        fake.fail("quota")
        rows = probe("anthropic", {"provider": "anthropic", "provider_endpoints": {"anthropic": fake.base_url}},
                     {"ANTHROPIC_API_KEY": key})
    verdict(rows["auth.anthropic"], "auth", "fail", "out of credits or quota (HTTP 400", "console.anthropic.com")


def test_rate_limited_now(probe: Probe) -> None:
    with openai_fake(api_key=OPENAI_KEY) as fake:
        fake.fail("rate_limit", retry_after=20)
        rows = probe("openai", _openai(fake.base_url), OPENAI_ENV)
    verdict(rows["auth.openai"], "auth", "warn", "did not reject the key, but rate limits it right now (HTTP 429 "
            "rate_limit_exceeded); retry in 20 s", "see ratelimit.openai")
    assert len([r for r in fake.requests if r.path == "/v1/models"]) == 1, "the doctor does not retry"


@pytest.mark.parametrize(("kind", "code"), [("server_error", "HTTP 500 api_error"),
                                            ("overloaded", "HTTP 529 overloaded_error")])
def test_provider_fault(probe: Probe, kind: str, code: str) -> None:
    key = key_for("anthropic")
    with anthropic_fake(api_key=key) as fake:
        fake.fail(kind)
        rows = probe("anthropic", {"provider": "anthropic", "provider_endpoints": {"anthropic": fake.base_url}},
                     {"ANTHROPIC_API_KEY": key})
    verdict(rows["auth.anthropic"], "auth", "warn", f"fault on its side ({code})",
            "retry in a minute; status page: https://status.anthropic.com")
    verdict(rows["model.anthropic"], "model", "skip", "no model list to compare with", None)


def test_wrong_base_url_path(probe: Probe) -> None:
    with openai_fake(api_key=OPENAI_KEY) as fake:
        root = fake.root_url
        rows = probe("openai", _openai(root), OPENAI_ENV)
    verdict(rows["auth.openai"], "auth", "fail", f"{root}/models does not exist (HTTP 404",
            "base URL is probably wrong")


def test_html_instead_of_json(probe: Probe) -> None:
    with openai_fake(api_key=OPENAI_KEY) as fake:
        fake.fail("html", status=200)
        rows = probe("openai", _openai(fake.base_url), OPENAI_ENV)
    verdict(rows["auth.openai"], "auth", "fail", "did not answer like OpenAI's API: expected JSON, got an HTML page",
            "captive portal")


def test_connection_reset(probe: Probe) -> None:
    with openai_fake(api_key=OPENAI_KEY) as fake:
        fake.fail("reset")
        rows = probe("openai", _openai(fake.base_url), OPENAI_ENV)
    verdict(rows["auth.openai"], "auth", "fail", "the models request failed", "perspt doctor")


def test_other_bad_request(probe: Probe) -> None:
    with openai_fake(api_key=OPENAI_KEY) as fake:
        fake.fail("status", status=400, body={"error": {"message": "Unknown parameter: 'limit'.",
                                                        "type": "invalid_request_error", "code": "unknown_parameter"}})
        rows = probe("openai", _openai(fake.base_url), OPENAI_ENV)
    verdict(rows["auth.openai"], "auth", "fail", "OpenAI refused the models request (HTTP 400 unknown_parameter)",
            "temperature")


def test_transport_settings_that_cannot_work(probe: Probe, tmp_path: Any) -> None:
    with openai_fake(api_key=OPENAI_KEY) as fake:
        rows = probe("openai", _openai(fake.base_url, network={"ca_bundle": str(tmp_path / "missing.pem")}),
                     OPENAI_ENV)
    verdict(rows["auth.openai"], "auth", "fail", "cannot build the HTTP client", "")
    assert not fake.requests


def test_keyless_local_server(probe: Probe) -> None:
    with openai_fake(api_key=None, models=["local-model"]) as fake:
        rows = probe("openai-compatible", {"provider": "openai-compatible", "model": "local-model",
                                           "provider_endpoints": {"openai-compatible": fake.base_url}})
    verdict(rows["auth.openai-compatible"], "auth", "ok", "answers without a key (1 model listed)", None)


def test_local_server_that_wants_a_key(probe: Probe) -> None:
    with openai_fake(api_key="server-secret", models=["local-model"]) as fake:
        rows = probe("openai-compatible", {"provider": "openai-compatible", "model": "local-model",
                                           "provider_endpoints": {"openai-compatible": fake.base_url}})
    verdict(rows["auth.openai-compatible"], "auth", "fail", "wants a key (HTTP 401 invalid_request_error)", "set OPENAI_COMPATIBLE_API_KEY")


def test_openrouter_key_is_proven_by_the_key_endpoint(probe: Probe) -> None:
    key = key_for("openrouter")
    with FleetOpenRouter(api_key=key, models=["openai/gpt-4o-mini"]).start() as fake:
        rows = probe("openrouter", {"provider": "openrouter", "provider_endpoints": {"openrouter": fake.base_url}},
                     {"OPENROUTER_API_KEY": key})
        paths = [r.path for r in fake.requests]
    row = verdict(rows["auth.openrouter"], "auth", "ok", "OpenRouter accepted the key", None)
    assert "GET /key" in row.result.details[0] and row.result.facts["key_info"]["limit_remaining"] == 18.75
    assert paths == ["/api/v1/models", "/api/v1/key"]


def test_openrouter_rejected_key(probe: Probe) -> None:
    with FleetOpenRouter(api_key="right", models=["openai/gpt-4o-mini"]).start() as fake:
        rows = probe("openrouter", {"provider": "openrouter", "provider_endpoints": {"openrouter": fake.base_url}},
                     {"OPENROUTER_API_KEY": key_for("openrouter")})
    verdict(rows["auth.openrouter"], "auth", "fail", "OpenRouter rejected the key", "https://openrouter.ai/keys")


def test_ollama_needs_no_key(probe: Probe) -> None:
    rows = probe("ollama", {"provider": "ollama", "provider_endpoints": {"ollama": "http://127.0.0.1:9"}})
    verdict(rows["auth.ollama"], "auth", "skip", "Ollama uses no API key", None)
    verdict(rows["model.ollama"], "model", "skip", "ollama.models checks", None)
    verdict(rows["ratelimit.ollama"], "ratelimit", "skip", "no rate limits", None)
