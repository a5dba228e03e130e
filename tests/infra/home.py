"""A private home for one simulated user: XDG dirs under one folder, a file-backed keyring, and an
environment stripped of provider keys, proxies and CA settings. Used by the autouse fixture in
`tests/conftest.py` (for the test process) and by everything that runs `perspt` in a subprocess."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

XDG_DIRS = (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
            ("XDG_CACHE_HOME", "cache"))
TEST_KEYRING = "keyrings.alt.file.PlaintextKeyring"
NO_INDEX = "http://127.0.0.1:9/pypi"
"""`runtime.version` asks the package index for the newest release: in tests, a loopback port where
nothing listens, never the real index (a test that wants an answer points it at a fake)."""
STRIP_PREFIXES = ("PERSPT_",)
STRIP_EXACT = frozenset({
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN",
    "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GEMINI_BASE_URL", "GROQ_API_KEY",
    "GROQ_BASE_URL", "COHERE_API_KEY", "CO_API_KEY", "CO_API_URL", "COHERE_BASE_URL", "XAI_API_KEY",
    "XAI_BASE_URL", "DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL", "MISTRAL_API_KEY", "MISTRAL_BASE_URL",
    "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", "OLLAMA_HOST", "OLLAMA_BASE_URL", "OPENAI_COMPATIBLE_API_KEY",
    "OPENAI_COMPATIBLE_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy",
    "https_proxy", "all_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES",
})


def is_stripped(name: str) -> bool:
    return name in STRIP_EXACT or name.startswith(STRIP_PREFIXES)


def home_env(root: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) without what `is_stripped` names, with XDG dirs
    created under `root` and the test keyring."""
    environ = os.environ if base is None else base
    env = {k: v for k, v in environ.items() if not is_stripped(k)}
    for var, sub in XDG_DIRS:
        (root / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(root / sub)
    env["PYTHON_KEYRING_BACKEND"] = TEST_KEYRING
    env["PERSPT_DOCTOR_INDEX_URL"] = NO_INDEX
    return env
