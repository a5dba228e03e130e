"""The config file: found where, parsed (line:col on errors), and valid against the settings schema."""

from __future__ import annotations

from perspt_doctor import paths
from perspt_doctor.api import CheckContext, Result, check
from perspt_doctor.providers import catalog
from perspt_doctor.settings.diagnostics import ConfigError, Diagnostic
from perspt_doctor.settings.loader import LoadedConfig, read_config, validate_loaded

DOCS = "docs/troubleshooting.md#configuration"


def _read(ctx: CheckContext) -> LoadedConfig:
    where = paths.locate_config(ctx.settings.flags.config, dict(ctx.env))
    return read_config(where.path, where.reason, required=where.reason != "default location")


@check("config.file", "Config file is found and parses", "config", timeout=3, docs=DOCS)
async def config_file(ctx: CheckContext) -> Result:
    if ctx.settings.flags.no_config:
        return Result.skip("--no-config: the config file is not read")
    where = paths.locate_config(ctx.settings.flags.config, dict(ctx.env))
    facts: dict[str, object] = {"path": str(where.path), "chosen_by": where.reason}
    try:
        loaded = await ctx.run_blocking(_read, ctx)
    except ConfigError as exc:
        diag = exc.diagnostic
        facts.update({"code": diag.code, "line": diag.line, "column": diag.column})
        fixes = ["perspt config create"] if diag.code == "not-found" else ["perspt config validate"]
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
                           details=[d.one_line() for d in notes])
    return Result.ok(f"{where.path} ({where.reason}), {len(loaded.data)} settings", facts=facts)


@check("config.schema", "Config settings are valid", "config", depends_on=("config.file",), timeout=3, docs=DOCS)
async def config_schema(ctx: CheckContext) -> Result:
    problems: list[Diagnostic] = []
    settings_count = 0
    if not ctx.settings.flags.no_config:
        loaded = await ctx.run_blocking(_read, ctx)
        if loaded.exists:
            problems = validate_loaded(loaded)
            settings_count = len(loaded.data)
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
                           fix_commands=["perspt config validate"])
    if warnings:
        first = warnings[0]
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        legacy = any(d.code == "legacy-key" for d in warnings)
        return Result.warn(f"{_line(first)}{more}", details=details, facts=facts,
                           hint=first.hint or "these settings are ignored; remove or rename them",
                           fix_commands=["perspt config migrate"] if legacy else [])
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
    spec = catalog.PROVIDERS.get(provider.value)
    if spec is None:
        if settings.provider_is_known or provider.source.label == "config file":
            return []  # the schema's own unknown-provider finding covers the file
        suggestion = catalog.canonical_id(provider.value)
        return [Diagnostic("error", "unknown-provider", f"unknown provider `{provider.value}` ({provider.origin})",
                           key_path="provider", hint=f"use one of: {', '.join(catalog.all_ids())}"
                           if suggestion is None else None)]
    out: list[Diagnostic] = []
    if not spec.default_model and not settings.model.value:
        out.append(Diagnostic("error", "required", f"`model` is required for {spec.display_name}: it has no default",
                              key_path="model", hint=f'name the model your server serves: "model": "..." '
                              f"(or `perspt --provider-type {spec.id} --model NAME`)"))
    return out
