"""Names of environment variables perspt reads, and the near misses it does not: key variables under
another tool's or a misspelled name (OPENAI_KEY, CLAUDE_API_KEY), proxy and CA variables with a typo
(HTTP_PORXY, REQUEST_CA_BUNDLE). Read by the env and keys checks."""

from __future__ import annotations

from collections.abc import Mapping

from perspt_doctor import catalog
from perspt_doctor.suggest import did_you_mean

KEY_MISTAKES: dict[str, str] = {
    "OPENAI_KEY": "OPENAI_API_KEY", "OPENAI_APIKEY": "OPENAI_API_KEY", "OPENAI_TOKEN": "OPENAI_API_KEY",
    "OPEN_AI_API_KEY": "OPENAI_API_KEY", "OPENAI_SECRET_KEY": "OPENAI_API_KEY", "OPENAPI_KEY": "OPENAI_API_KEY",
    "OPENAI_API_TOKEN": "OPENAI_API_KEY",
    "CLAUDE_API_KEY": "ANTHROPIC_API_KEY", "CLAUDE_KEY": "ANTHROPIC_API_KEY", "ANTHROPIC_KEY": "ANTHROPIC_API_KEY",
    "ANTHROPIC_APIKEY": "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN": "ANTHROPIC_API_KEY",
    "GEMINI_KEY": "GEMINI_API_KEY", "GOOGLE_KEY": "GEMINI_API_KEY", "GOOGLE_GEMINI_API_KEY": "GEMINI_API_KEY",
    "GOOGLE_AI_API_KEY": "GEMINI_API_KEY", "GOOGLE_GENAI_API_KEY": "GEMINI_API_KEY",
    "GOOGLE_GENERATIVE_AI_API_KEY": "GEMINI_API_KEY",
    "GROQ_KEY": "GROQ_API_KEY", "GROK_API_KEY": "XAI_API_KEY", "GROK_KEY": "XAI_API_KEY", "XAI_KEY": "XAI_API_KEY",
    "X_AI_API_KEY": "XAI_API_KEY", "COHERE_KEY": "COHERE_API_KEY", "CO_KEY": "CO_API_KEY",
    "DEEPSEEK_KEY": "DEEPSEEK_API_KEY", "DEEP_SEEK_API_KEY": "DEEPSEEK_API_KEY", "MISTRAL_KEY": "MISTRAL_API_KEY",
    "MISTRALAI_API_KEY": "MISTRAL_API_KEY", "OPENROUTER_KEY": "OPENROUTER_API_KEY",
    "OPEN_ROUTER_API_KEY": "OPENROUTER_API_KEY",
}
PROXY_NAMES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
OTHER_PROXY_NAMES = frozenset({"FTP_PROXY", "SOCKS_PROXY", "SOCKS5_PROXY", "RSYNC_PROXY", "GIT_PROXY_COMMAND",
                               "WSS_PROXY", "WS_PROXY", "GOPROXY", "GONOPROXY", "NPM_CONFIG_PROXY",
                               "NPM_CONFIG_HTTPS_PROXY", "GIT_HTTP_PROXY"})
CA_NAMES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
CA_MISTAKES = {"REQUEST_CA_BUNDLE": "REQUESTS_CA_BUNDLE", "SSL_CERT": "SSL_CERT_FILE", "SSL_CERTFILE": "SSL_CERT_FILE",
               "SSL_CA_FILE": "SSL_CERT_FILE", "SSL_CERT_PATH": "SSL_CERT_FILE", "CA_BUNDLE": "REQUESTS_CA_BUNDLE"}


def key_variables() -> dict[str, str]:
    """Every key variable perspt reads -> provider id."""
    return {name: spec.id for spec in catalog.PROVIDERS.values() for name in spec.key_env}


def _known_names() -> set[str]:
    names = set(key_variables())
    for spec in catalog.PROVIDERS.values():
        names.update(spec.base_url_env)
    names.update(PROXY_NAMES)
    names.update(CA_NAMES)
    names.add("OLLAMA_API_KEY")
    return names


def _namespaced(upper: str, known: set[str] | dict[str, str] | tuple[str, ...]) -> bool:
    """`NIX_SSL_CERT_FILE`, `MY_OPENAI_API_KEY_2`: another tool's variable built on a known name."""
    return any(name in upper and name != upper for name in known)


def misspelled_key_variables(env: Mapping[str, str]) -> dict[str, str]:
    """Set variables that look like a provider key variable perspt does not read -> the right name."""
    known = key_variables()
    out: dict[str, str] = {}
    for name, value in env.items():
        if not value or name in known:
            continue
        upper = name.upper()
        if _namespaced(upper, known):
            continue
        if upper in known and upper != name:
            out[name] = upper
        elif upper in KEY_MISTAKES:
            out[name] = KEY_MISTAKES[upper]
        elif upper.endswith(("KEY", "TOKEN", "APIKEY")) and not upper.startswith("PERSPT_"):
            close = did_you_mean(upper, known, limit=1, cutoff=0.88)
            if close:
                out[name] = close[0]
    return out


def misspelled_network_variables(env: Mapping[str, str]) -> dict[str, str]:
    """Proxy and CA variables with a typo in the name (HTTP_PORXY, REQUEST_CA_BUNDLE) -> the right name."""
    out: dict[str, str] = {}
    for name in env:
        upper = name.upper()
        if upper in PROXY_NAMES or upper in CA_NAMES or upper in OTHER_PROXY_NAMES:
            continue
        if _namespaced(upper, PROXY_NAMES + CA_NAMES):
            continue
        if upper in CA_MISTAKES:
            out[name] = CA_MISTAKES[upper]
            continue
        if any(part in upper for part in ("PROX", "PORX", "PRXY", "PROY")):
            close = did_you_mean(upper, PROXY_NAMES, limit=1, cutoff=0.8)
            if close:
                out[name] = close[0] if name.isupper() else close[0].lower()
                continue
        if "CERT" in upper or "CA_BUNDLE" in upper:
            close = did_you_mean(upper, CA_NAMES, limit=1, cutoff=0.85)
            if close:
                out[name] = close[0]
    return out
