"""`keys.json`: API keys in a file only the user can read, for machines without a usable keyring (a server,
a container, an SSH session), as `llm` keeps its keys. The file is mode 0600 in a 0700 directory under
the config directory, written atomically; it maps provider ids to keys."""

from __future__ import annotations

import json
import os
from pathlib import Path

from perspt_doctor.errors import KeyringError

FILE_NAME = "keys.json"
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


class KeyFileError(KeyringError):
    """The key file cannot be read or written."""


def key_file() -> Path:
    from perspt_doctor import paths

    return paths.config_dir() / FILE_NAME


def read_keys(path: Path | None = None) -> dict[str, str]:
    target = path or key_file()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise KeyFileError(f"cannot read {target}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise KeyFileError(f"{target} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise KeyFileError(f"{target} should hold an object of provider ids and keys")
    return {str(k): v for k, v in data.items() if isinstance(v, str) and v}


def read_key(provider: str, path: Path | None = None) -> str | None:
    return read_keys(path).get(provider)


def write_key(provider: str, value: str | None, path: Path | None = None) -> Path:
    """Store (or, with None, remove) one key; the file stays 0600 in a 0700 directory."""
    from perspt_doctor.fsutil import atomic_write

    target = path or key_file()
    keys = read_keys(target)
    if value is None:
        keys.pop(provider, None)
    else:
        keys[provider] = value
    try:
        if not target.parent.exists():
            target.parent.mkdir(parents=True, mode=PRIVATE_DIR)
        if os.name == "posix" and target.parent.stat().st_mode & 0o077:
            os.chmod(target.parent, PRIVATE_DIR)
        atomic_write(target, json.dumps(keys, indent=2, sort_keys=True) + "\n", mode=PRIVATE_FILE, backup=False)
    except OSError as exc:
        raise KeyFileError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


def loose_permissions(path: Path | None = None) -> int | None:
    """The file's mode when group or others may read or write it (None: private, or no file)."""
    target = path or key_file()
    if os.name != "posix":
        return None
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        return None
    return mode if mode & 0o077 else None
