"""Writing the config file: atomic, a dated backup beside it first, mode 0600 when it holds a secret."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from perspt_doctor.fsutil import PRIVATE_MODE, atomic_write, make_private
from perspt_doctor.settings.diagnostics import ConfigError, Diagnostic
from perspt_doctor.settings.schema import schema_default

SECRET_MODE = PRIVATE_MODE
PLAIN_MODE = PRIVATE_MODE
"""A new config file is private from the start: a key added to it later must not be world-readable."""


@dataclass(frozen=True)
class Written:
    path: Path
    backup: Path | None
    mode: int


def plaintext_keys(data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(provider id, key path, value) for every API key written in the file itself."""
    from perspt_doctor import catalog

    found: list[tuple[str, str, str]] = []
    main = data.get("api_key")
    if isinstance(main, str) and main.strip():
        owner = data.get("provider") or data.get("provider_type") or data.get("default_provider") \
            or schema_default("provider")
        pid = catalog.canonical_id(str(owner)) or str(owner)
        found.append((pid, "api_key", main))
    table = data.get("api_keys")
    if isinstance(table, Mapping):
        for name, value in table.items():
            if isinstance(value, str) and value.strip():
                found.append((catalog.canonical_id(str(name)) or str(name), f"api_keys.{name}", value))
    return found


def proxy_has_password(data: Mapping[str, Any]) -> bool:
    proxy = data.get("proxy")
    values = [proxy] if isinstance(proxy, str) else list(proxy.values()) if isinstance(proxy, Mapping) else []
    for value in values:
        if not isinstance(value, str):
            continue
        try:
            if urlsplit(value if "://" in value else "http://" + value).password:
                return True
        except ValueError:
            continue
    return False


def holds_secret(data: Mapping[str, Any]) -> list[str]:
    """The one secret test of a config: the entries that hold a secret (`api_key`, `api_keys.NAME`, a proxy
    URL with a password), empty when there is none. Serves the file mode the writer picks, `config validate`
    and the security check alike."""
    found = [key_path for _pid, key_path, _value in plaintext_keys(data)]
    if proxy_has_password(data):
        found.append("proxy (password in the URL)")
    return found


def render(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_config(path: Path, data: Mapping[str, Any]) -> Written:
    """Replace `path` with `data` as JSON. An existing file is copied to `NAME.backup.YYYYMMDD-HHMMSS` first."""
    try:
        if holds_secret(data):
            mode = SECRET_MODE
        elif path.exists():
            mode = path.stat().st_mode & 0o777
        else:
            mode = PLAIN_MODE
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
        backup = atomic_write(path, render(data), mode=mode)
        if backup is not None:
            make_private(backup)  # a private copy; it may hold the key the new file no longer does
    except OSError as exc:
        raise ConfigError(Diagnostic("error", "unwritable", f"cannot write the config file: {exc.strerror or exc}",
                                     file=str(path), hint="move the file aside, or name another with --config"
                                     )) from None
    return Written(path, backup, mode)
