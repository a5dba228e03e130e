"""Security: keys in a file others can read, a key on the command line, TLS verification turned off."""

from __future__ import annotations

import os

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Fix,
    Result,
    Source,
    check,
    locate_config,
)

DOCS = "docs/troubleshooting.md#security"


def assess_permissions(path: str, mode: int, secrets: list[str]) -> Result:
    facts = {"path": path, "mode": oct(mode), "secrets": secrets}
    loose = mode & 0o077
    if loose and secrets:
        who = "group and others" if mode & 0o007 and mode & 0o070 else "others" if mode & 0o007 else "its group"
        return Result.fail(f"{path} holds {', '.join(secrets)} and is readable by {who} (mode {oct(mode)[2:]})",
                           hint="make it private to you; better still, move keys to the keyring "
                                "(`perspt keys set PROVIDER`)", fixes=[Fix.private(path)], facts=facts)
    if secrets:
        return Result.ok(f"{path} holds a key and only you can read it (mode {oct(mode)[2:]})", facts=facts)
    return Result.ok(f"{path} holds no keys (mode {oct(mode)[2:]})", facts=facts)


@check("security.config_permissions", "A config file with keys is private", "security",
       depends_on=("config.file",), timeout=2, docs=DOCS)
async def config_permissions(ctx: CheckContext) -> Result:
    """Checks that a config file holding a secret can be read by you alone.

    Looks at the POSIX mode of the config file the client loaded and at what it holds: `api_key`, any
    `api_keys.*` entry, or a proxy URL with a password.

    ok: the file holds no secret (whatever its mode), or holds one and only you can read it.
    fail: the file holds a secret and its group or others can read it.
      Fix: `chmod 600 FILE` (`perspt doctor --fix` offers it); better, move keys to the keyring with
      `perspt keys set PROVIDER`.
    skip: not a POSIX system, no config file, or the file cannot be stat'ed.
    """
    if os.name != "posix":
        return Result.skip("file modes are a POSIX notion; on Windows the profile directory is private")
    config = ctx.settings.config
    if config is None or not config.exists:
        return Result.skip("no config file")
    where = locate_config(ctx.settings.flags.config, dict(ctx.env))
    try:
        mode = where.path.stat().st_mode & 0o777
    except OSError as exc:
        return Result.skip(f"cannot stat {where.path}: {exc.strerror}")
    return assess_permissions(str(where.path), mode, api.holds_secret(config.data))


@check("security.api_key_flag", "No key on the command line", "security", timeout=2, docs=DOCS)
async def api_key_flag(ctx: CheckContext) -> Result:
    """Checks that no API key was passed on the command line.

    Reads the parsed flags: a key given with `--api-key` is visible to other users in the process list and
    stays in the shell history.

    ok: no `--api-key` flag.
    warn: `--api-key` was used. Fix: store the key once with `perspt keys set PROVIDER` (or export the
      provider's variable) and drop the flag.
    """
    if ctx.settings.flags.api_key:
        provider = ctx.settings.provider.value
        return Result.warn("an API key was passed with --api-key: other users can see it in the process list "
                           "and it stays in your shell history",
                           hint="store it once in the keyring (or export the provider's variable) and drop "
                                "--api-key", fix_commands=[f"perspt keys set {provider}"])
    return Result.ok("no key on the command line")


@check("security.tls_verify", "TLS certificates are verified", "security", timeout=2, docs=DOCS)
async def tls_verify(ctx: CheckContext) -> Result:
    """Checks that TLS certificate verification has not been switched off.

    Reads the resolved `network.verify_tls` setting (flag, environment or config file; the default is on) and
    the `PYTHONHTTPSVERIFY` environment variable.

    ok: certificates are verified.
    warn: `network.verify_tls` is set to false, or `PYTHONHTTPSVERIFY=0`; anyone on the path can read your
      key and the replies. Fix: turn verification back on; behind an inspecting corporate proxy, set
      `network.ca_bundle` to its CA file instead.
    """
    resolved = ctx.settings.resolved("network.verify_tls")
    problems = []
    if resolved.value is False and resolved.source is not Source.DEFAULT:
        problems.append(f"network.verify_tls is false ({resolved.origin})")
    if ctx.env.get("PYTHONHTTPSVERIFY", "").strip() == "0":
        problems.append("PYTHONHTTPSVERIFY=0 (environment)")
    if problems:
        return Result.warn(f"TLS certificate verification is OFF: {'; '.join(problems)}",
                           hint="anyone on the network path can read your key and replies; behind a corporate "
                                "proxy, trust its CA instead: set network.ca_bundle to its PEM file",
                           facts={"settings": problems})
    return Result.ok("TLS certificates are verified")


@check("security.ca_files", "The CA certificate files exist and hold certificates", "security", timeout=3,
       docs=DOCS)
async def ca_files(ctx: CheckContext) -> Result:
    """Checks every CA certificate setting on the disk, without the network (it runs under `--offline`).

    Reads `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, `SSL_CERT_DIR` and `network.ca_bundle`:
    each must name an existing file (a directory for `SSL_CERT_DIR`) that is not empty and holds at least
    one PEM certificate OpenSSL can load. The first CA variable set is the one the client uses.

    ok: no CA setting is made, or every one holds certificates.
    fail: the CA variable in effect or `network.ca_bundle` points at nothing, an empty file, a directory
      where a file is expected (or a file for `SSL_CERT_DIR`), or a file with no PEM certificate: every
      HTTPS request fails. Fix: correct the path the summary names, or unset the variable.
    warn: a CA variable that another one overrides is broken (perspt does not use it, but other tools do).
      Fix: correct or unset it.
    """
    sources = api.configured_ca_sources(ctx.settings)
    if not sources:
        return Result.ok("no CA variable or network.ca_bundle is set: the default certificates apply")
    plan = api.trust_plan(ctx.settings)
    used = {(s.name, s.location) for s in plan.sources} if plan.verify else set()
    broken: list[tuple[bool, str]] = []
    facts: dict[str, dict[str, object]] = {}
    problems = await ctx.run_blocking(lambda: [api.ca_source_problem(source) for source in sources])
    for source, problem in zip(sources, problems, strict=True):
        label = "network.ca_bundle" if source.name == "ca_bundle" else source.name
        in_effect = (source.name, source.location) in used
        facts[label] = {"path": source.location, "problem": problem, "in_effect": in_effect}
        if problem:
            broken.append((in_effect, f"{label} points at {source.location}, which {problem}"))
    if not broken:
        return Result.ok(f"{', '.join(facts)}: certificates found", facts={"sources": facts})
    fatal = [text for in_effect, text in broken if in_effect]
    others = [text + " (not used by perspt: another CA setting wins)" for in_effect, text in broken
              if not in_effect]
    hint = "fix the path, or unset the variable (`unset NAME`) / remove `network.ca_bundle` to use the defaults"
    if fatal:
        return Result.fail("; ".join(fatal), details=others, hint=hint, facts={"sources": facts})
    return Result.warn("; ".join(others), hint=hint, facts={"sources": facts})
