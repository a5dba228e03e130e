"""`perspt doctor --json` in a subprocess against loopback fakes for all 11 providers: a healthy fleet
gives no fail and no error; one fault per provider is named by the right row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fakes.server import Fault
from tests.infra import ports
from tests.provider_checks.fleet import KEY_ENV, PROVIDERS, Fleet, fleet, key_for

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_LAYERS = ("keys", "proxy", "dns", "tcp", "tls", "http", "auth", "model", "ratelimit", "live")
KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
            "XDG_CACHE_HOME", "PYTHON_KEYRING_BACKEND")
ALLOWED_WARNINGS = {
    # The tests' keyring is keyrings.alt's plaintext file (conftest), which the doctor rightly flags.
    "keyring.backend": "unencrypted",
}


def base_env() -> dict[str, str]:
    """Only what a process needs, and the isolated dirs and keyring of the conftest: nothing of this machine's
    own configuration (CA variables, proxies) leaks into the verdicts."""
    return {k: os.environ[k] for k in KEEP_ENV if k in os.environ}


def _doctor(fleet_: Fleet, tmp_path: Path, *args: str, env: dict[str, str] | None = None,
            **config: Any) -> tuple[int, dict[str, Any], dict[str, dict[str, Any]]]:
    path = fleet_.write_config(tmp_path / "config.json", **config)
    process = subprocess.run([sys.executable, "-m", "perspt_doctor", "doctor", "--json", "--config", str(path),
                              *args], env=env or fleet_.env(base_env()), capture_output=True, text=True,
                             cwd=ROOT, timeout=120)
    doc = json.loads(process.stdout)
    for secret in fleet_.keys.values():
        assert secret not in process.stdout and secret not in process.stderr
    return process.returncode, doc, {c["id"]: c for c in doc["checks"]}


def test_healthy_fleet_has_no_fail_and_no_error(tmp_path: Path) -> None:
    with fleet() as f:
        code, doc, rows = _doctor(f, tmp_path, "--live")
        models_requests = {pid: sum(1 for r in fake.requests if r.path.endswith(("/models", "/api/tags")))
                           for pid, fake in f.fakes.items() if pid != "ollama"}
    assert code == 0, [(r["id"], r["status"], r["summary"]) for r in rows.values() if r["status"] in ("fail", "error")]
    assert doc["summary"]["counts"]["fail"] == 0 and doc["summary"]["counts"]["error"] == 0
    for pid in PROVIDERS:
        for layer in PROVIDER_LAYERS:
            row = rows[f"{layer}.{pid}"]
            assert row["status"] in ("ok", "skip"), row
    warnings = {r["id"]: r["summary"] for r in rows.values() if r["status"] == "warn"}
    for check_id, summary in warnings.items():
        assert check_id in ALLOWED_WARNINGS and ALLOWED_WARNINGS[check_id] in summary, (check_id, summary)
    for pid in PROVIDERS:
        if pid == "ollama":
            assert rows["auth.ollama"]["status"] == "skip" and rows["model.ollama"]["status"] == "skip"
            assert rows["ollama.models"]["status"] == "ok"
            continue
        assert rows[f"auth.{pid}"]["status"] == "ok", rows[f"auth.{pid}"]
        assert rows[f"model.{pid}"]["status"] == "ok", rows[f"model.{pid}"]
        assert rows[f"live.{pid}"]["status"] == "ok" and rows[f"live.{pid}"]["facts"]["ttft_ms"] is not None
        # one unauthenticated probe (http.*) plus the one request auth, model and ratelimit share
        assert models_requests[pid] == 2, (pid, models_requests[pid])
    assert rows["live.openai"]["facts"]["billable"] is True and "billable" in rows["live.openai"]["summary"]
    assert rows["live.ollama"]["facts"]["billable"] is False
    assert rows["ratelimit.openai"]["status"] == "ok" and "499 of 500" in rows["ratelimit.openai"]["summary"]
    assert rows["ratelimit.xai"]["status"] == "skip" and "no rate-limit headers" in rows["ratelimit.xai"]["summary"]
    assert "key_origin" in rows["auth.openai"]["facts"] and rows["auth.openai"]["facts"]["key_origin"] == \
        "OPENAI_API_KEY (environment)"


def _inject_faults(f: Fleet, refused_port: int) -> tuple[dict[str, str], dict[str, Any]]:
    """One distinct fault per provider; returns (environment changes, config changes)."""
    fakes = f.fakes
    fakes["anthropic"].authed_fault = Fault("permission")
    fakes["groq"].rate_headers = {"x-ratelimit-limit-requests": "14400", "x-ratelimit-remaining-requests": "3",
                                  "x-ratelimit-reset-requests": "2m59.56s", "x-ratelimit-limit-tokens": "6000",
                                  "x-ratelimit-remaining-tokens": "5800", "x-ratelimit-reset-tokens": "2s"}
    fakes["cohere"].authed_fault = Fault("quota")
    fakes["xai"].authed_fault = Fault("status", status=400, body={
        "code": "Client specified an invalid argument",
        "error": "Incorrect API key provided: xa***62. You can obtain an API key from https://console.x.ai."})
    fakes["deepseek"].authed_fault = Fault("status", status=402, body={"error": {
        "message": "Insufficient Balance", "type": "unknown_error", "param": None, "code": "invalid_request_error"}})
    fakes["mistral"].authed_fault = Fault("html", status=200)
    fakes["openai-compatible"].authed_fault = Fault("server_error")
    env = {KEY_ENV["openrouter"]: key_for("openrouter", seed=2)}
    endpoints = dict(f.endpoints)
    endpoints["ollama"] = f"http://127.0.0.1:{refused_port}"
    config = {"model": "GPT-4O-Mini", "provider_endpoints": endpoints,
              "fallback_chain": [{"provider": "anthropic", "model": "claude-haiku-4-5"},
                                 {"provider": "google", "model": "gemini-2.5-flsh"},
                                 {"provider": "ollama", "model": "llama3.2"},
                                 {"provider": "openai-compatible", "model": "local-model"}]}
    return env, config


EXPECTED = {
    # provider: (check id, status, phrase of the summary, phrase of the hint)
    "openai": ("model.openai", "fail", "'gpt-4o-mini' is", "exact, with their case and hyphens"),
    "anthropic": ("auth.anthropic", "fail", "access to the models list (HTTP 403 permission_error)", "permissions"),
    "google": ("model.google", "fail", "did you mean 'gemini-2.5-flash'", "use gemini-2.5-flash"),
    "groq": ("ratelimit.groq", "warn", "requests nearly used up: 3 of 14400 left", "429"),
    "cohere": ("auth.cohere", "fail", "out of credits or quota (HTTP 429)", "retrying will not help"),
    "xai": ("auth.xai", "fail", "xAI rejected the key from XAI_API_KEY", "create a new key"),
    "deepseek": ("auth.deepseek", "fail", "out of credits or quota (HTTP 402", "platform.deepseek.com/top_up"),
    "mistral": ("auth.mistral", "fail", "did not answer like Mistral's API", "HTML page"),
    "openrouter": ("auth.openrouter", "fail", "OpenRouter rejected the key from OPENROUTER_API_KEY", "perspt keys set"),
    "ollama": ("tcp.ollama", "fail", "refuses connections", ""),
    "openai-compatible": ("auth.openai-compatible", "warn", "fault on its side (HTTP 500", "retry"),
}


def test_one_fault_per_provider_is_named(tmp_path: Path) -> None:
    with fleet() as f, ports.refusing_port() as refused:
        env_changes, config = _inject_faults(f, refused)
        code, doc, rows = _doctor(f, tmp_path, env=f.env(base_env(), **env_changes), **config)
    assert code == 1
    assert doc["summary"]["counts"]["error"] == 0, [r for r in rows.values() if r["status"] == "error"]
    for pid, (check_id, status, summary, hint) in EXPECTED.items():
        row = rows[check_id]
        assert row["status"] == status, (pid, row)
        assert summary.lower() in row["summary"].lower(), (pid, row["summary"])
        assert hint.lower() in (row["hint"] or "").lower(), (pid, row["hint"])
    # the fault stays where it is: every other provider-layer row of that provider is ok or a skip
    for pid, (check_id, _status, _summary, _hint) in EXPECTED.items():
        others = [r for r in rows.values() if r.get("provider") == pid and r["id"] != check_id
                  and r["category"] in PROVIDER_LAYERS and r["status"] in ("warn", "fail", "error")]
        if pid == "ollama":
            others = [r for r in others if r["id"] not in ("tcp.ollama",)]
        assert not others, (pid, [(r["id"], r["status"], r["summary"]) for r in others])
    # what the faults block is a skip that names the cause
    assert rows["model.anthropic"]["status"] == "skip" and "auth.anthropic" in rows["model.anthropic"]["summary"]
    assert rows["ratelimit.cohere"]["status"] == "skip"
    assert rows["ollama.daemon"]["status"] == "fail"
