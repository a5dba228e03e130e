"""Safe file writes: atomic replace, a dated backup beside the file before any change, and the one
`chmod 600` (`make_private`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

PRIVATE_MODE = 0o600
"""Read and write for the owner only: files that hold a secret, backups of them, reports."""


def backup_path_for(path: Path, now: float | None = None) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    candidate = path.with_name(f"{path.name}.backup.{stamp}")
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.backup.{stamp}-{counter}")
        counter += 1
    return candidate


def make_backup(path: Path) -> Path | None:
    """Copy `path` to `path.backup.YYYYMMDD-HHMMSS` (mode and times kept). None if it does not exist."""
    if not path.exists():
        return None
    target = backup_path_for(path)
    shutil.copy2(path, target)
    return target


def atomic_write(path: Path, data: bytes | str, *, mode: int | None = None, backup: bool = True) -> Path | None:
    """Write `data` to `path` so that readers see the old file or the new one, never a mix.

    Returns the backup's path when an existing file was backed up first.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = make_backup(path) if backup else None
    if mode is None and path.exists():
        mode = path.stat().st_mode & 0o777
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)
    return saved


def make_private(path: Path) -> bool:
    """`chmod 600` when group or others may read the file (POSIX only). True if the mode changed;
    OSError when the file cannot be changed."""
    if os.name != "posix":
        return False
    if path.stat().st_mode & 0o077 == 0:
        return False
    os.chmod(path, PRIVATE_MODE)
    return True


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
