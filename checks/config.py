"""The config file: found where, parsed (line:col on errors), and valid against the settings schema."""

from __future__ import annotations

from perspt_doctor import api
from perspt_doctor.api import (
    PROVIDERS,
    CheckContext,
    ConfigError,
    Diagnostic,
    Fix,
    LoadedConfig,
    Result,
    all_ids,
    canonical_id,
    check,
    locate_config,
    read_config,
    validate_loaded,
)

DOCS = "docs/troubleshooting.md#configuration"


def _content_fixes(loaded: LoadedConfig) -> list[Fix]:
    """The config file's own fixes (legacy keys renamed, the byte-order mark dropped, a plain-text key moved
    into the keyring, the file made private): the ones `perspt config validate --fix-issues` applies, so that
    `perspt doctor --fix` applies them too."""
    return api.config_fixes(loaded, lambda _line: None)


def _read(ctx: CheckContext) -> LoadedConfig:
    """The file as the settings layer read it; read again only when that failed (to get the error)."""
    if ctx.settings.config is not None:
        return ctx.settings.config
    where = locate_config(ctx.settings.flags.config, dict(ctx.env))
    return read_config(where.path, where.reason, required=where.reason != "default location")


@check("config.file", "Config file is found and parses", "config", timeout=3, docs=DOCS)
async def config_file(ctx: CheckContext) -> Result:
    """Finds the config file and parses it as JSON.

    Looks where the client looks (`--config`, then `$PERSPT_CONFIG`, then the platform's config directory) and
    reads the file with the client's own loader, which places every problem at a line and column. A missing
    file at the default location is normal: perspt then runs on environment variables and built-in defaults.

    ok: no file at the default location, or the file parses; the summary names the path and what chose it.
    warn: the file parses but starts with a UTF-8 byte-order mark.
      Fix: `perspt doctor --fix` (or `perspt config validate --fix-issues`) rewrites it without the BOM, with
      a dated backup (other JSON tools reject it).
    fail: the file named by `--config` or `PERSPT_CONFIG` does not exist.
      Fix: `perspt config create`, or correct the path.
    fail: the file cannot be read, is a directory, is too large, empty, binary, UTF-16 or not valid UTF-8,
      looks like YAML or TOML, has a JSON syntax error or a duplicate key, or is not one JSON object.
      Fix: the hint names the line and what to change (no command can guess it); `perspt config create`
      starts over (keeping a dated backup).
    skip: `--no-config` was given, so the file is not read.
    """
    if ctx.settings.flags.no_config:
        return Result.skip("--no-config: the config file is not read")
    where = locate_config(ctx.settings.flags.config, dict(ctx.env))
    facts: dict[str, object] = {"path": str(where.path), "chosen_by": where.reason}
    try:
        loaded = await ctx.run_blocking(_read, ctx)
    except ConfigError as exc:
        diag = exc.diagnostic
        facts.update({"code": diag.code, "line": diag.line, "column": diag.column})
        fixes = ["perspt config create"] if diag.code == "not-found" else []
        return Result.fail(f"{diag.location}: {diag.message}", facts=facts, fix_commands=fixes,
                           hint=diag.hint or "fix the file, or start again with `perspt config create` "
                                             "(it keeps a dated backup)")
    if not loaded.exists:
        return Result.ok(f"no config file at {where.path}; using the environment and built-in defaults",
                         facts={**facts, "exists": False},
                         details=["create one with `perspt config create` to keep settings between runs"])
    facts.update({"exists": True, "settings": len(loaded.data), "mode": oct(loaded.mode) if loaded.mode else None})
    notes = [d for d in loaded.diagnostics if d.severity != "error"]
    if notes:
        first = notes[0]
        return Result.warn(f"{first.location}: {first.message}", hint=first.hint, facts=facts,
                           details=[d.one_line() for d in notes], fixes=_content_fixes(loaded))
    return Result.ok(f"{where.path} ({where.reason}), {len(loaded.data)} settings", facts=facts)


@check("config.schema", "Config settings are valid", "config", depends_on=("config.file",), timeout=3, docs=DOCS)
async def config_schema(ctx: CheckContext) -> Result:
    """Checks every setting in the config file against the settings schema, and that the chosen provider has
    what it needs.

    Validates the parsed file with the same schema `perspt config validate` uses (types, allowed values,
    ranges, known keys, old spellings), then checks the resolved provider (from flags, environment or file):
    it must be a known provider, and a provider without a default model needs `model`.

    ok: no config file and the required settings are present, or every setting in the file is valid.
    warn: an unknown key (ignored; the summary suggests the likely spelling) or an old key name.
      Fix: rename or remove the key; old spellings are renamed (with a backup) by `perspt doctor --fix`,
      `perspt config validate --fix-issues` or `perspt config migrate`.
    fail: a value has the wrong type, is null, is not one of the allowed choices or is out of range; the
      provider is unknown; or the provider has no default model and `model` is not set.
      Fix: correct the value the summary names (with its line); `perspt config validate` lists all of them.
    """
    problems: list[Diagnostic] = []
    settings_count = 0
    fixes: list[Fix] = []
    if not ctx.settings.flags.no_config:
        loaded = await ctx.run_blocking(_read, ctx)
        if loaded.exists:
            problems = validate_loaded(loaded)
            settings_count = len(loaded.data)
            fixes = _content_fixes(loaded)
    problems.extend(_required(ctx))
    errors = [d for d in problems if d.severity == "error"]
    warnings = [d for d in problems if d.severity == "warning"]
    details = [_line(d) for d in errors + warnings]
    facts: dict[str, object] = {"errors": len(errors), "warnings": len(warnings), "codes": sorted({d.code for d in problems})}
    if errors:
        first = errors[0]
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        return Result.fail(f"{_line(first)}{more}", details=details, facts=facts,
                           hint=first.hint or "fix the value; `perspt config validate` lists every problem",
                           fixes=fixes if any(d.code == "legacy-key" for d in warnings) else [])
    if warnings:
        first = warnings[0]
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        legacy = any(d.code == "legacy-key" for d in warnings)
        return Result.warn(f"{_line(first)}{more}", details=details, facts=facts,
                           hint=first.hint or "these settings are ignored; remove or rename them",
                           fixes=fixes if legacy else [])
    if not settings_count:
        return Result.ok("nothing to validate: no config file; the required settings are present", facts=facts)
    return Result.ok(f"{settings_count} settings, all valid", facts=facts)


def _line(diag: Diagnostic) -> str:
    where = ""
    if diag.line is not None:
        where = f"line {diag.line}" + (f":{diag.column}" if diag.column is not None else "") + ": "
    text = f"{where}{diag.message}"
    if diag.code == "unknown-key" and diag.hint and diag.hint.startswith("did you mean"):
        text += f" ({diag.hint})"
    return text


def _required(ctx: CheckContext) -> list[Diagnostic]:
    """Settings that have no usable default for the chosen provider."""
    settings = ctx.settings
    provider = settings.provider
    spec = PROVIDERS.get(provider.value)
    if spec is None:
        if settings.provider_is_known or provider.source.label == "config file":
            return []  # the schema's own unknown-provider finding covers the file
        suggestion = canonical_id(provider.value)
        return [Diagnostic("error", "unknown-provider", f"unknown provider `{provider.value}` ({provider.origin})",
                           key_path="provider", hint=f"use one of: {', '.join(all_ids())}"
                           if suggestion is None else None)]
    out: list[Diagnostic] = []
    if not spec.default_model and not settings.model.value:
        out.append(Diagnostic("error", "required", f"`model` is required for {spec.display_name}: it has no default",
                              key_path="model", hint=f'name the model your server serves: "model": "..." '
                              f"(or `perspt --provider-type {spec.id} --model NAME`)"))
    return out
