"""Environment variables: which key variables are set, alternates that disagree, and variables
perspt never reads because their name is slightly wrong (OPENAI_KEY, CLAUDE_API_KEY, HTTP_PORXY)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from perspt_doctor.api import CheckContext, Result, check
from perspt_doctor.providers import catalog
from perspt_doctor.redact import mask
from perspt_doctor.suggest import did_you_mean

DOCS = "docs/troubleshooting.md#environment-variables"

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


@dataclass(frozen=True)
class Finding:
    message: str
    hint: str
    fix: str | None = None


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


def env_findings(env: Mapping[str, str]) -> tuple[list[Finding], dict[str, object]]:
    known = key_variables()
    findings: list[Finding] = []
    present = sorted(name for name in known if env.get(name))
    for name in sorted(n for n in known if n in env and not env[n].strip()):
        findings.append(Finding(f"{name} is set but empty", f"set it to your key or unset it: `unset {name}`",
                                f"unset {name}"))
    for spec in catalog.PROVIDERS.values():
        values = [(n, env[n]) for n in spec.key_env if env.get(n, "").strip()]
        if len(values) > 1 and len({v.strip() for _, v in values}) > 1:
            used, *others = values
            names = ", ".join(n for n, _ in others)
            findings.append(Finding(
                f"{used[0]} ({mask(used[1])}) and {names} are both set and differ; perspt uses {used[0]}",
                f"keep one: unset the other ({names}) or give both the same key", f"unset {others[0][0]}"))
    wrong_keys = misspelled_key_variables(env)
    for wrong, right in sorted(wrong_keys.items()):
        also = "" if env.get(right) else f" and {right} is not set"
        findings.append(Finding(f"{wrong} is set, but perspt reads {right}{also}",
                                f"rename it: export {right}=\"${wrong}\" (and unset {wrong})",
                                f'export {right}="${wrong}"'))
    wrong_net = misspelled_network_variables(env)
    for wrong, right in sorted(wrong_net.items()):
        findings.append(Finding(f"{wrong} looks like a typo of {right}; nothing reads {wrong}",
                                f"rename it: export {right}=\"${wrong}\" (and unset {wrong})",
                                f'export {right}="${wrong}"'))
    if env.get("NODE_EXTRA_CA_CERTS") and not any(env.get(n) for n in CA_NAMES):
        findings.append(Finding("NODE_EXTRA_CA_CERTS is set, but only Node.js reads it",
                                "for perspt, point SSL_CERT_FILE or network.ca_bundle at the same PEM file",
                                'export SSL_CERT_FILE="$NODE_EXTRA_CA_CERTS"'))
    facts: dict[str, object] = {"key_variables_set": present, "misspelled": {**wrong_keys, **wrong_net}}
    return findings, facts


@check("env.keys", "Key and network variables are spelled right", "env", timeout=2, docs=DOCS)
async def env_keys(ctx: CheckContext) -> Result:
    """Looks for environment variables that perspt would read if they were spelled right, and for key
    variables that disagree.

    Reads only the environment: the key variables of every provider in the catalog, the proxy variables
    (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) and the CA variables (`SSL_CERT_FILE`,
    `SSL_CERT_DIR`, `REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`). Values are never shown, only a key's last 4
    characters.

    ok: no problem found; the summary lists which key variables are set (none is fine when keys come from
      the keyring or the config file).
    warn: a key variable is set but empty. Fix: set it, or `unset` it.
    warn: two variables for the same provider (`GEMINI_API_KEY` and `GOOGLE_API_KEY`, say) hold different
      keys; perspt uses the first. Fix: unset one, or give both the same key.
    warn: a misspelled key variable (`OPENAI_KEY`, `CLAUDE_API_KEY`, wrong case) or proxy/CA variable
      (`HTTP_PORXY`, `REQUEST_CA_BUNDLE`) is set. Fix: the suggested `export RIGHT_NAME="$WRONG_NAME"`,
      then unset the wrong one.
    warn: `NODE_EXTRA_CA_CERTS` is set but no CA variable perspt reads. Fix: point `SSL_CERT_FILE` or
      `network.ca_bundle` at the same PEM file.
    """
    findings, facts = env_findings(ctx.env)
    present = list(facts["key_variables_set"])  # type: ignore[call-overload]
    if findings:
        first = findings[0]
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        return Result.warn(first.message + more, details=[f.message for f in findings[1:]], hint=first.hint,
                           fix_commands=[f.fix for f in findings if f.fix], facts=facts)
    if not present:
        return Result.ok("no provider key variables set (keys may come from the keyring or the config file)",
                         facts=facts)
    return Result.ok(f"set: {', '.join(present)}", facts=facts)
