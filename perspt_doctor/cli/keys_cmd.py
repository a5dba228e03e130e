"""`perspt keys set|get|delete|list`: API keys in the OS keyring (service `perspt`, user = provider id), or,
where no keyring backend is usable, in the private key file `keys.json` under the config directory.

A key is never taken from the command line: `set` reads it from a hidden prompt, or from stdin when
stdin is not a terminal (`perspt keys set openai < key.txt`)."""

from __future__ import annotations

import re
import sys
from typing import Any

import click

from perspt_doctor import catalog
from perspt_doctor.cli import complete
from perspt_doctor.cli.app_context import AppContext, pass_app
from perspt_doctor.cli.errors import echo
from perspt_doctor.cli.lazy import Group
from perspt_doctor.errors import UsageError, UserError


def _provider(name: str) -> catalog.ProviderSpec:
    return catalog.PROVIDERS[catalog.resolve_provider(name, "command line")]


def _keystore() -> Any:
    from perspt_doctor.settings import keystore

    return keystore


def _unavailable(exc: Exception, spec: catalog.ProviderSpec | None = None) -> UserError:
    own_hint = getattr(exc, "hint", None)
    env_hint = f"export {spec.key_env[0]} instead, or " if spec and spec.key_env else ""
    return UserError(f"the key store is not usable: {exc}",
                     hint=own_hint or f"{env_hint}run `perspt doctor --only 'keyring.*'` to see why")


def _in_keyring(spec: catalog.ProviderSpec, operation: str, *args: str) -> Any:
    """`keystore.<operation>(spec.id, *args)`, with an unusable key store as one clear UserError."""
    from perspt_doctor.errors import KeyringError

    store = _keystore()
    try:
        return getattr(store, operation)(spec.id, *args)
    except KeyringError as exc:
        raise _unavailable(exc, spec) from None


@click.group("keys", cls=Group, help="Store API keys in the OS keyring, or a private key file where there is none "
                          "(never in the shell history).")
def keys() -> None:
    pass


MAX_PIPED_KEY = 64 * 1024
"""Characters of standard input looked at for a key: enough for any key, and `yes | perspt keys set` ends."""


def _read_secret(spec: catalog.ProviderSpec) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        value = click.prompt(f"{spec.display_name} API key (input hidden)", hide_input=True, default="",
                             show_default=False)
    else:
        value = _one_piped_line(sys.stdin.read(MAX_PIPED_KEY) if sys.stdin is not None else "")
    return value.strip()


def _one_piped_line(text: str) -> str:
    """The key piped in: its one non-blank line. More than one (an `.env` file whose first line is a
    comment, two keys) is refused rather than storing the first line as the key."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        raise UsageError(f"standard input holds {len(lines)} lines; a key is one line, so nothing was stored",
                         hint='pipe the key alone: echo "$KEY" | perspt keys set PROVIDER')
    return lines[0] if lines else ""


def _shape_note(spec: catalog.ProviderSpec, key: str) -> str | None:
    if not spec.key_shapes:
        return None
    if any(re.fullmatch(shape.pattern, key) for shape in spec.key_shapes):
        return None
    for other in catalog.PROVIDERS.values():
        if other.id != spec.id and other.key_shapes_strict and any(
                re.fullmatch(s.pattern, key) for s in other.key_shapes):
            return f"this key has the format of {other.display_name} ({other.id}), not of {spec.display_name}"
    if spec.key_shapes_strict:
        return f"this key does not match the usual format ({spec.key_shapes[0].name}); check that it is complete"
    return None


@keys.command("set", help="Store the key for PROVIDER; it is read from a hidden prompt or from stdin.")
@click.argument("provider", shell_complete=complete.providers)
@click.argument("refused", nargs=-1, metavar="")
@pass_app
def set_cmd(app: AppContext, provider: str, refused: tuple[str, ...]) -> None:
    from perspt_doctor.redact import mask, register_secret

    if refused:
        for value in refused:
            register_secret(value, "key given on the command line")
        raise UsageError("`perspt keys set` does not take the key as an argument (it would stay in your "
                         "shell history and the process list); nothing stored",
                         hint=f"run `perspt keys set {provider}` and paste the key at the prompt, "
                              f"or pipe it: `perspt keys set {provider} < key.txt`")
    spec = _provider(provider)
    key = _read_secret(spec)
    if not key:
        raise UsageError("no key given; nothing stored", hint=f"echo \"$KEY\" | perspt keys set {spec.id}")
    register_secret(key, f"{spec.id} key")
    if any(ch.isspace() for ch in key):
        raise UsageError("the key contains blanks; nothing stored", hint="give the key alone, on one line")
    stored = _in_keyring(spec, "store_key", key)  # read back before it is reported
    echo(f"stored the {spec.id} key ({mask(key)}) in {stored.describe()}")
    note = _shape_note(spec, key)
    if note:
        echo(f"warning: {note}", err=True)
    import os

    shadowing = [name for name in spec.key_env if os.environ.get(name)]
    if shadowing:
        echo(f"note: {shadowing[0]} is set in the environment and takes precedence over the stored key", err=True)


@keys.command("get", help="Show the stored key for PROVIDER, masked (last 4 characters).")
@click.argument("provider", shell_complete=complete.providers)
def get_cmd(provider: str) -> None:
    from perspt_doctor.redact import mask, register_secret

    spec = _provider(provider)
    found = _in_keyring(spec, "find_key")
    if not found:
        raise UserError(f"no {spec.id} key in the OS keyring or the key file", hint=f"perspt keys set {spec.id}")
    key, stored = found
    register_secret(key, f"{spec.id} key")
    where = "keyring, service perspt" if stored.where == "keyring" else stored.detail
    echo(f"{spec.id}: {mask(key)} ({where})")


@keys.command("delete", help="Remove the stored key for PROVIDER.")
@click.argument("provider", shell_complete=complete.providers)
def delete_cmd(provider: str) -> None:
    spec = _provider(provider)
    removed = _in_keyring(spec, "forget_key")
    if not removed:
        raise UserError(f"no {spec.id} key in the OS keyring or the key file; nothing removed")
    for place in removed:
        echo(f"removed the {spec.id} key from {place.detail if place.where == 'file' else 'the OS keyring'}")


@keys.command("list", help="Every provider: the key in the keyring, and the key perspt would use.")
@pass_app
def list_cmd(app: AppContext) -> None:
    from perspt_doctor.redact import mask
    from perspt_doctor.settings import ConfigError

    store = _keystore()
    name, usable, why = store.backend_info()
    echo(f"keyring backend: {name}" + ("" if usable else f" (not usable: {why})"))
    if not usable:
        from perspt_doctor.settings.keyfile import key_file

        echo(f"key file: {key_file()} (used instead of the keyring)")
    try:
        settings = app.settings()
    except ConfigError as exc:
        echo(f"warning: config file ignored here: {exc}", err=True)
        settings = None
    width = max(len(pid) for pid in catalog.PROVIDERS)
    for pid, spec in catalog.PROVIDERS.items():
        from perspt_doctor.errors import KeyringError

        try:
            found = store.find_key(pid)
        except KeyringError:
            found = None
        stored = found[0] if found else None
        in_keyring = mask(stored) if stored else "-"
        used = ""
        if settings is not None:
            try:
                resolved = settings.key_for(pid)
            except (ConfigError, KeyringError) as exc:
                used = f"unusable: {exc}"
            else:
                if resolved.value:
                    used = f"uses {mask(resolved.value)} from {resolved.origin}"
        if not spec.key_required and not stored and not used:
            used = "no key needed"
        echo(f"  {pid.ljust(width)}  {in_keyring:<8}  {used}".rstrip())
