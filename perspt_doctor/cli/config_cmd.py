"""`perspt config path|show|validate|create|setup|migrate|from-env|reset`.

Every write goes through `settings.writer` (atomic, dated backup, 0600 when the file holds a secret);
every line printed goes through the redactor."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from perspt_doctor import catalog, paths
from perspt_doctor.cli.app_context import AppContext, config_option, pass_app
from perspt_doctor.cli.errors import echo
from perspt_doctor.cli.lazy import Group
from perspt_doctor.errors import ExitCode, KeyringError, UsageError, UserError
from perspt_doctor.settings.diagnostics import ConfigError, Diagnostic
from perspt_doctor.settings.loader import LoadedConfig, read_config, validate_loaded


def _target(app: AppContext) -> paths.ConfigLocation:
    return paths.locate_config(app.flags.config)


def _report_written(path: Path, backup: Path | None, mode: int) -> None:
    echo(f"wrote {path} (mode {mode:o})")
    if backup is not None:
        echo(f"backup of the previous file: {backup}")


@click.group("config", cls=Group, help="Show, check, create, migrate or reset the config file.")
@config_option
def config() -> None:
    pass


# ---- path -----------------------------------------------------------------------------------
@config.command("path", help="Print every place perspt reads or writes, and which config file is in use.")
@pass_app
def path_cmd(app: AppContext) -> None:
    where = _target(app)
    state = "exists" if where.path.is_file() else "does not exist: built-in defaults apply"
    if app.flags.no_config:
        echo(f"config file in use: none (--no-config); {where.path} is ignored")
    else:
        echo(f"config file in use: {where.path} (chosen by {where.reason}; {state})")
    locations = paths.all_locations()
    width = max(len(name) for name in locations)
    for name, location in locations.items():
        echo(f"{name.ljust(width)}  {location}")


# ---- show -----------------------------------------------------------------------------------
def _display(value: Any, secret: bool) -> str:
    from perspt_doctor.redact import mask, redact

    if value is None:
        return "(not set)"
    if secret and isinstance(value, str):
        return redact(value) if "://" in value else mask(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _trust_row(settings: Any) -> dict[str, Any]:
    """Which CA certificates the client trusts, and which setting or variable chose them."""
    from perspt_doctor.transport.trust import CA_VARIABLES, TransportConfigError, trust_plan

    try:
        plan = trust_plan(settings)
    except TransportConfigError as exc:  # pragma: no cover - trust_plan reads no file
        return {"key": "CA certificates", "value": exc.message, "source": "error", "origin": "", "secret": False}
    variable = plan.variable()
    if variable is not None:
        before = CA_VARIABLES[:CA_VARIABLES.index(variable.name)]
        origin = f"environment variable {variable.name}" + (f" ({', '.join(before)} unset)" if before else "")
        source = "env"
    elif not plan.verify:
        origin, source = "network.verify_tls", "config"
    else:
        origin, source = f"network.trust_store = {plan.mode}", "default" if plan.mode == "auto" else "config"
    return {"key": "CA certificates", "value": plan.describe(), "source": source, "origin": origin, "secret": False}


@config.command("show", help="Print every resolved setting and where it came from (keys masked).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@config_option
@pass_app
def show(app: AppContext, as_json: bool) -> None:
    from perspt_doctor.redact import mask, redact_obj
    from perspt_doctor.settings.resolve import describe_all

    settings = app.settings()
    loaded = settings.config
    rows: list[dict[str, Any]] = []
    provider = settings.provider
    model = settings.model
    for name, resolved in (("provider", provider), ("model", model)):
        rows.append({"key": name, "value": resolved.value, "source": resolved.source.label, "origin": resolved.origin,
                     "secret": False})
    for name, resolved in describe_all(settings):
        if name in ("provider", "model"):
            continue
        rows.append({"key": name, "value": resolved.value, "source": resolved.source.label,
                     "origin": resolved.origin, "secret": resolved.secret})
    base = settings.base_url_for(provider.value)
    rows.append({"key": f"base URL ({provider.value})", "value": base.value, "source": base.source.label,
                 "origin": base.origin, "secret": False})
    rows.append(_trust_row(settings))
    keys: list[dict[str, Any]] = []
    for pid in settings.providers_in_scope() or [provider.value]:
        lookup = settings.key_lookup(pid)
        entry: dict[str, Any] = {
            "provider": pid,
            "key": mask(lookup.resolved.value) if lookup.resolved.value else None,
            "source": lookup.resolved.source.label if lookup.resolved.value else None,
            "origin": lookup.resolved.origin,
            "shadowed": [{"origin": s.origin, "differs": s.differs} for s in lookup.resolved.shadowed],
        }
        if lookup.keyring_error:
            entry["keyring_error"] = lookup.keyring_error
        keys.append(entry)
    diagnostics = [d.one_line() for d in (loaded.all_diagnostics if loaded else [])]
    config_file = None if loaded is None else {"path": str(loaded.path), "chosen_by": loaded.reason,
                                               "exists": loaded.exists}
    if as_json:
        document = {
            "config_file": config_file,
            "settings": {r["key"]: {"value": _display(r["value"], True) if r["secret"] else r["value"],
                                    "source": r["source"], "origin": r["origin"]} for r in rows},
            "keys": keys,
            "diagnostics": diagnostics,
        }
        echo(json.dumps(redact_obj(document), indent=2, ensure_ascii=False))
        return
    if loaded is None:
        echo("config file: none (--no-config)")
    else:
        echo(f"config file: {loaded.path} (chosen by {loaded.reason}"
             f"{'' if loaded.exists else '; does not exist, defaults apply'})")
    width = max(len(r["key"]) for r in rows)
    for r in rows:
        shown = _display(r["value"], r["secret"])
        echo(f"  {r['key'].ljust(width)}  {shown:<30}  {r['origin']}")
    echo("API keys:")
    for k in keys:
        line = f"  {k['provider'].ljust(width)}  {(k['key'] or '(none)'):<30}  {k['origin']}"
        lost = [s["origin"] + (" (a different key)" if s["differs"] else " (same key)") for s in k["shadowed"]]
        if lost:
            line += "; also set: " + ", ".join(lost)
        if k.get("keyring_error"):
            line += f"; keyring error: {k['keyring_error']}"
        echo(line)
    for text in diagnostics:
        echo(text, err=True)


# ---- validate -------------------------------------------------------------------------------
def _extra_checks(loaded: LoadedConfig) -> list[Diagnostic]:
    from perspt_doctor.settings.writer import holds_secret, plaintext_keys

    shown = str(loaded.path)
    out: list[Diagnostic] = []
    keys = plaintext_keys(loaded.data)
    if keys:
        names = ", ".join(sorted({pid for pid, _path, _value in keys}))
        first = keys[0][1]
        where = loaded.positions.get(first)
        out.append(Diagnostic("warning", "plaintext-key", f"the file holds an API key in plain text ({names})",
                              file=shown, line=where[0] if where else None, column=where[1] if where else None,
                              key_path=first,
                              hint="move it into the OS keyring: perspt config validate --fix-issues"))
    if holds_secret(loaded.data) and loaded.mode is not None and loaded.mode & 0o077:
        out.append(Diagnostic("warning", "file-mode",
                              f"the file holds a secret but other users may read it (mode {loaded.mode:o})",
                              file=shown, hint=f"chmod 600 {loaded.path}  (or: perspt config validate --fix-issues)"))
    return out


@config.command("validate", help="Check the config file; --fix-issues applies the safe fixes.")
@click.option("--fix-issues", is_flag=True, help="Apply safe fixes: file mode, legacy keys, key into the keyring.")
@click.option("--dry-run", is_flag=True, help="With --fix-issues: show the changes, make none.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before moving a key into the keyring.")
@config_option
@pass_app
def validate_cmd(app: AppContext, fix_issues: bool, dry_run: bool, yes: bool) -> None:
    where = _target(app)
    if app.flags.no_config:
        raise UsageError("--no-config: there is no config file to validate")
    try:
        loaded = read_config(where.path, where.reason, required=where.reason != "default location")
    except ConfigError as exc:
        echo(str(exc))
        if fix_issues:
            echo("not fixed: --fix-issues makes only safe changes; correct this by hand (the file is unchanged)")
        raise SystemExit(ExitCode.FAILURE) from None
    if not loaded.exists:
        echo(f"{where.path}: no config file; perspt uses built-in defaults "
             "(create one with `perspt config create` or `perspt config setup`)")
        return
    validate_loaded(loaded)
    found = [*loaded.all_diagnostics, *_extra_checks(loaded)]
    for diag in found:
        echo(diag.one_line())
    errors = [d for d in found if d.severity == "error"]
    warnings = [d for d in found if d.severity == "warning"]
    if errors:
        echo(f"{where.path}: {len(errors)} error(s), {len(warnings)} warning(s)")
    else:
        echo(f"{where.path}: valid" + (f" ({len(warnings)} warning(s))" if warnings else ""))
    if fix_issues:
        _fix(loaded, dry_run, yes)
    if errors:
        raise SystemExit(ExitCode.FAILURE)


def _fix(loaded: LoadedConfig, dry_run: bool, yes: bool) -> None:
    """Apply the config file's fixes (settings.config_fixes) with the applier `doctor --fix` uses."""
    from perspt_doctor.engine.fixes import Planned, apply_planned, show_plan
    from perspt_doctor.settings.config_fixes import config_fixes

    planned = [Planned("config", fix) for fix in config_fixes(loaded, say=echo)]
    if not planned:
        echo("nothing to fix")
        return
    echo(f"safe fixes for {loaded.path}:")
    show_plan(planned, echo, dry_run=dry_run)
    if dry_run:
        echo("dry run: nothing changed")
        return
    apply_planned(planned, assume_yes=yes, confirm=_confirm, say=echo)


def _confirm(question: str) -> bool:
    try:
        return click.confirm(question, default=False)
    except click.exceptions.Abort:
        return False


# ---- create / reset -------------------------------------------------------------------------
def _default_document(provider: str | None, model: str | None) -> dict[str, Any]:
    from perspt_doctor.settings.schema import schema_default

    pid = catalog.resolve_provider(provider or schema_default("provider"), "command line")
    spec = catalog.PROVIDERS[pid]
    from perspt_doctor.settings.schema import SCHEMA_KEY, packaged_schema_uri

    document: dict[str, Any] = {SCHEMA_KEY: packaged_schema_uri(), "provider": pid,
                                "model": model or spec.default_model or "model-name"}
    if not spec.key_required or pid == "ollama":
        document["provider_endpoints"] = {pid: spec.base_url}
    document.update({key: schema_default(key) for key in ("timeout", "stream_timeout", "retry_attempts", "stream")})
    return document


@config.command("create", help="Write a config file with sensible defaults (no key: use `perspt keys set`).")
@click.option("--force", is_flag=True, help="Replace an existing file (a dated backup is kept).")
@click.option("--provider", "provider_opt", metavar="ID", help="Provider for the new file.")
@click.option("--model", "model_opt", metavar="NAME", help="Model for the new file.")
@config_option
@pass_app
def create(app: AppContext, force: bool, provider_opt: str | None, model_opt: str | None) -> None:
    from perspt_doctor.settings.writer import write_config

    where = _target(app)
    if where.path.exists() and not force:
        raise UserError(f"{where.path} already exists; nothing changed",
                        hint="`perspt config create --force` replaces it (a dated backup is kept); "
                             "`perspt config validate` checks it")
    document = _default_document(provider_opt or app.flags.provider, model_opt or app.flags.model)
    written = write_config(where.path, document)
    _report_written(written.path, written.backup, written.mode)
    _next_steps(document["provider"])


def _next_steps(pid: str) -> None:
    spec = catalog.PROVIDERS[pid]
    if spec.key_required:
        variables = " or ".join(spec.key_env)
        echo(f"next: store the {pid} key with `perspt keys set {pid}` (or export {variables}), "
             "then run `perspt doctor`")
    else:
        echo("next: run `perspt doctor`")


@config.command("reset", help="Replace the config file with the defaults (a dated backup is kept).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@config_option
@pass_app
def reset(app: AppContext, yes: bool) -> None:
    from perspt_doctor.settings.writer import write_config

    where = _target(app)
    if where.path.exists() and not yes and not _confirm(
            f"Replace {where.path} with the default settings? A dated backup is kept."):
        raise UserError("reset cancelled; nothing changed")
    document = _default_document(None, None)
    written = write_config(where.path, document)
    _report_written(written.path, written.backup, written.mode)
    echo("keys in the OS keyring are kept (`perspt keys list`; `perspt keys delete PROVIDER` removes one)")


# ---- migrate --------------------------------------------------------------------------------
@config.command("migrate", help="Rename old keys (provider_type, default_model, providers) to current ones.")
@click.option("--dry-run", is_flag=True, help="Show the changes, make none.")
@config_option
@pass_app
def migrate_cmd(app: AppContext, dry_run: bool) -> None:
    from perspt_doctor.settings.schema import migrate
    from perspt_doctor.settings.writer import write_config

    where = _target(app)
    loaded = read_config(where.path, where.reason, required=True)
    migration = migrate(loaded.data)
    if not migration.changes:
        echo(f"{where.path}: nothing to migrate")
        return
    echo(f"changes to {where.path}:")
    for change in migration.changes:
        echo(f"  - {change}")
    if dry_run:
        echo("dry run: nothing changed")
        return
    written = write_config(where.path, migration.data)
    _report_written(written.path, written.backup, written.mode)


# ---- from-env -------------------------------------------------------------------------------
def _from_environment(env: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Settings the environment implies. Keys are never copied into the file."""
    document: dict[str, Any] = {}
    notes: list[str] = []
    with_key = [pid for pid, spec in catalog.PROVIDERS.items() if any(env.get(n) for n in spec.key_env)]
    chosen = env.get("PERSPT_PROVIDER") or (with_key[0] if with_key else ("ollama" if env.get("OLLAMA_HOST") else None))
    if chosen:
        pid = catalog.canonical_id(chosen) or chosen
        document["provider"] = pid
        model = env.get("PERSPT_MODEL") or (catalog.PROVIDERS[pid].default_model if pid in catalog.PROVIDERS else "")
        if model:
            document["model"] = model
    for pid in with_key:
        found = next(n for n in catalog.PROVIDERS[pid].key_env if env.get(n))
        notes.append(f"{pid}: key in {found} (stays in the environment; not copied into the file)")
    endpoints: dict[str, str] = {}
    for pid, spec in catalog.PROVIDERS.items():
        for name in spec.base_url_env:
            value = env.get(name, "").strip()
            if value:
                endpoints[pid] = value
                break
    if endpoints:
        document["provider_endpoints"] = endpoints
    proxy = {scheme: env.get(f"{scheme.upper()}_PROXY") or env.get(f"{scheme}_proxy") for scheme in ("http", "https")}
    if any(proxy.values()):
        notes.append("proxy: HTTP(S)_PROXY is read from the environment at run time; not copied into the file")
    return document, notes


@config.command("from-env", help="Build the config file from the environment (keys stay in the environment).")
@click.option("--dry-run", is_flag=True, help="Print the result, write nothing.")
@config_option
@pass_app
def from_env(app: AppContext, dry_run: bool) -> None:
    from perspt_doctor.settings.writer import render, write_config

    document, notes = _from_environment(os.environ)
    if "provider" not in document:
        raise UserError("no provider settings found in the environment",
                        hint="export a key such as OPENAI_API_KEY or ANTHROPIC_API_KEY (or OLLAMA_HOST), "
                             "or run `perspt config setup`")
    where = _target(app)
    merged: dict[str, Any] = {}
    try:
        existing = read_config(where.path, where.reason)
        merged = dict(existing.data)
    except ConfigError as exc:
        echo(f"the current file cannot be read and will be replaced (a dated backup is kept): {exc}", err=True)
    for old in ("provider_type", "default_provider", "default_model"):
        merged.pop(old, None)
    merged.update({k: v for k, v in document.items() if k != "provider_endpoints"})
    if "provider_endpoints" in document:
        endpoints = merged.get("provider_endpoints")
        merged["provider_endpoints"] = {**(endpoints if isinstance(endpoints, dict) else {}),
                                        **document["provider_endpoints"]}
    for note in notes:
        echo(note)
    if dry_run:
        echo(render(merged).rstrip())
        echo(f"dry run: {where.path} not changed")
        return
    written = write_config(where.path, merged)
    _report_written(written.path, written.backup, written.mode)


# ---- setup (wizard) -------------------------------------------------------------------------
def _ask(question: str, **options: Any) -> str:
    """One answer. Answers may come from a pipe (a script); a pipe that ends before the question is
    answered is a usage error, not the "Aborted." (exit 130) of a Ctrl+C nobody pressed."""
    try:
        return str(click.prompt(question, **options))
    except click.exceptions.Abort:
        if sys.stdin.isatty():
            raise
        raise UsageError(f"standard input ended before the question {question!r} was answered",
                         hint="run `perspt config setup` in a terminal, or give one line per question") from None


PROVIDER_ATTEMPTS = 5
"""Wrong answers before the set-up gives up: answers piped in (`yes nope | perspt config setup`) would
otherwise be asked for forever."""


def _ask_provider(current: str | None) -> str:
    from perspt_doctor.settings.schema import schema_default

    ids = catalog.all_ids()
    echo("providers: " + ", ".join(ids))
    attempt = 0
    while True:
        attempt += 1
        answer = _ask("Provider", default=current or schema_default("provider"))
        try:
            return catalog.resolve_provider(answer)
        except catalog.UnknownProviderError as exc:
            if attempt == PROVIDER_ATTEMPTS:
                raise UsageError(f"{exc} ({attempt} answers in a row were not a provider)", hint=exc.hint) from None
            echo(f"{exc}; {exc.hint}")


@config.command("setup", help="Interactive set-up: provider, model, base URL and key (stored in the OS keyring).")
@config_option
@pass_app
def setup(app: AppContext) -> None:
    from perspt_doctor.settings import keystore
    from perspt_doctor.settings.schema import migrate
    from perspt_doctor.settings.writer import write_config

    where = _target(app)
    data: dict[str, Any] = {}
    try:
        data = migrate(read_config(where.path, where.reason).data).data
    except ConfigError as exc:
        echo(f"the current file cannot be read; set-up will replace it (a dated backup is kept): {exc}")
    current = catalog.canonical_id(str(app.flags.provider or data.get("provider") or "")) or None
    pid = _ask_provider(current)
    spec = catalog.PROVIDERS[pid]
    same = catalog.canonical_id(str(data.get("provider") or "")) == pid
    model_default = app.flags.model or (data.get("model") if same else None) or spec.default_model or None
    model = _ask("Model", default=model_default).strip()
    data["provider"] = pid
    data["model"] = model
    if pid in ("ollama", "openai-compatible"):
        endpoints = data.get("provider_endpoints") if isinstance(data.get("provider_endpoints"), dict) else {}
        assert isinstance(endpoints, dict)
        url = _ask("Base URL", default=endpoints.get(pid) or spec.base_url).strip()
        endpoints[pid] = url
        data["provider_endpoints"] = endpoints
    if spec.key_required or pid == "openai-compatible":
        _setup_key(pid, spec, data, keystore)
    written = write_config(where.path, data)
    _report_written(written.path, written.backup, written.mode)
    echo("next: run `perspt doctor` to check the whole path to the provider")


def _setup_key(pid: str, spec: catalog.ProviderSpec, data: dict[str, Any], keystore: Any) -> None:
    from perspt_doctor.redact import mask, register_secret

    prompt = f"API key for {spec.display_name} (input hidden; empty keeps the current one)"
    key = _ask(prompt, default="", show_default=False, hide_input=True).strip()
    if not key:
        echo("key unchanged")
        return
    register_secret(key, f"{pid} key")
    if any(ch.isspace() for ch in key):
        raise UserError("the key contains blanks; nothing was stored", hint="paste the key alone, on one line")
    try:
        stored = keystore.store_key(pid, key)  # read back before it is reported, or the file's key removed
    except KeyringError as exc:
        env_name = spec.key_env[0] if spec.key_env else "the key variable"
        echo(f"the key could not be stored ({exc}); the key was not stored. Export {env_name} instead.")
        return
    echo(f"stored the {pid} key ({mask(key)}) in {stored.describe()}")
    from perspt_doctor.settings.config_fixes import drop_key
    from perspt_doctor.settings.writer import plaintext_keys

    for owner, key_path, _value in plaintext_keys(data):
        if owner == pid:
            drop_key(data, key_path)
            echo(f"removed the plain-text {pid} key ({key_path}) from the file")
