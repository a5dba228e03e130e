"""Every test runs with its own config, data, state and cache dirs, a file-backed keyring, and an
environment stripped of provider keys, proxies and CA settings, so nothing on the developer's
machine leaks in and nothing the tests do leaks out."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

STRIP_PREFIXES = ("PERSPT_",)
STRIP_EXACT = {
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN",
    "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GEMINI_BASE_URL", "GROQ_API_KEY",
    "GROQ_BASE_URL", "COHERE_API_KEY", "CO_API_KEY", "CO_API_URL", "COHERE_BASE_URL", "XAI_API_KEY",
    "XAI_BASE_URL", "DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL", "MISTRAL_API_KEY", "MISTRAL_BASE_URL",
    "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", "OLLAMA_HOST", "OLLAMA_BASE_URL", "OPENAI_COMPATIBLE_API_KEY",
    "OPENAI_COMPATIBLE_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy",
    "https_proxy", "all_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES",
}


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("perspt-home")
    for name in list(os.environ):
        if name in STRIP_EXACT or name.startswith(STRIP_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
                     ("XDG_CACHE_HOME", "cache")):
        (root / sub).mkdir()
        monkeypatch.setenv(var, str(root / sub))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    _reset_keyring()
    from perspt_doctor import redact

    redact.reset_default_redactor()
    yield root
    redact.reset_default_redactor()


def _reset_keyring() -> None:
    try:
        import keyring
        from keyrings.alt.file import PlaintextKeyring
    except ImportError:
        return
    keyring.set_keyring(PlaintextKeyring())


@pytest.fixture
def config_home(isolated_env: Path) -> Path:
    """`~/.config/perspt` of the isolated user (not created)."""
    return isolated_env / "config" / "perspt"
