"""Environment variables: which key variables are set, alternates that disagree, and variables
perspt never reads because their name is slightly wrong (OPENAI_KEY, CLAUDE_API_KEY, HTTP_PORXY)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from perspt_doctor import api
from perspt_doctor.api import (
    PROVIDERS,
    CheckContext,
    Result,
    check,
    env_diagnostics,
    mask,
)

DOCS = "docs/troubleshooting.md#environment-variables"

@dataclass(frozen=True)
class Finding:
    message: str
    hint: str
    fix: str | None = None


def env_findings(env: Mapping[str, str]) -> tuple[list[Finding], dict[str, object]]:
    known = api.key_variables()
    findings: list[Finding] = []
    present = sorted(name for name in known if env.get(name))
    for name in sorted(n for n in known if n in env and not env[n].strip()):
        findings.append(Finding(f"{name} is set but empty", f"set it to your key or unset it: `unset {name}`",
                                f"unset {name}"))
    for spec in PROVIDERS.values():
        values = [(n, env[n]) for n in spec.key_env if env.get(n, "").strip()]
        if len(values) > 1 and len({v.strip() for _, v in values}) > 1:
            used, *others = values
            names = ", ".join(n for n, _ in others)
            findings.append(Finding(
                f"{used[0]} ({mask(used[1])}) and {names} are both set and differ; perspt uses {used[0]}",
                f"keep one: unset the other ({names}) or give both the same key", f"unset {others[0][0]}"))
    wrong_keys = api.misspelled_key_variables(env)
    for wrong, right in sorted(wrong_keys.items()):
        also = "" if env.get(right) else f" and {right} is not set"
        findings.append(Finding(f"{wrong} is set, but perspt reads {right}{also}",
                                f"rename it: export {right}=\"${wrong}\" (and unset {wrong})",
                                f'export {right}="${wrong}"'))
    wrong_net = api.misspelled_network_variables(env)
    for wrong, right in sorted(wrong_net.items()):
        findings.append(Finding(f"{wrong} looks like a typo of {right}; nothing reads {wrong}",
                                f"rename it: export {right}=\"${wrong}\" (and unset {wrong})",
                                f'export {right}="${wrong}"'))
    if env.get("NODE_EXTRA_CA_CERTS") and not any(env.get(n) for n in api.CA_NAMES):
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


@check("env.settings", "PERSPT_* settings in the environment are valid", "env", timeout=2, docs=DOCS)
async def env_settings(ctx: CheckContext) -> Result:
    """Checks every `PERSPT_<SETTING>` variable against the same schema as the config file.

    The client refuses to start with a bad value (`PERSPT_TIMEOUT=abc`, `PERSPT_TIMEOUT=nan`,
    `PERSPT_NETWORK_CONNECTION_POOL_SIZE=0`); the doctor runs without it and says which one it is.

    ok: every `PERSPT_` setting that is set has a valid value (or none is set).
    fail: a value is the wrong type or out of range. Fix: correct it, or `unset` the variable.
    fail: a `PERSPT_` setting, a proxy variable, `OLLAMA_HOST` or a `*_BASE_URL` holds a byte that is not
      UTF-8 text (set in a shell with another encoding); the client refuses it with the same words. Fix:
      set it again as UTF-8 text, or `unset` it.
    """
    problems = env_diagnostics(ctx.env)
    if not problems:
        return Result.ok("no invalid PERSPT_ setting in the environment")
    names = list(dict.fromkeys(p.extra["variable"] for p in problems))
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return Result.fail(first.message + more, details=[p.message for p in problems[1:]], hint=first.hint,
                       fix_commands=[f"unset {name}" for name in names], facts={"invalid": names})
