"""Safe file access: bounded reads of files a user names, atomic replace, a dated backup beside the file
before any change, and the one `chmod 600` (`make_private`)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PRIVATE_MODE = 0o600
"""Read and write for the owner only: files that hold a secret, backups of them, reports."""

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


_STREAMS = tuple(name for test, name in _KINDS if test is not stat.S_ISBLK)
"""What `read_user_file(streams=True)` reads as it comes: all but a block device (a whole disk)."""


class UserFileError(OSError):
    """A file the user named cannot be read as one: `reason` is one line ("it is a FIFO (named pipe),
    not a regular file"); `code` is one of not-found, is-directory, not-regular, too-large, permission,
    unreadable."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def not_regular(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)"), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_user_file(path: Path | str, limit: int, *, streams: bool = False) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them, or UserFileError.

    Every file a user names (config, a report to triage, a history export, ...) is read through here:
    it opens without blocking (a FIFO at the path would otherwise wait for a writer forever), refuses
    what is not a regular file (/dev/zero, a FIFO, a directory), and counts the bytes it actually
    reads, never trusting `st_size`. With `streams`, a pipe or a character device is read too, as far as
    the limit (`-f <(git diff)`, `-f /dev/stdin`): /dev/zero is then too large, not a hang, and a FIFO
    nobody writes to is empty.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UserFileError("no such file", "not-found") from None
    except IsADirectoryError:
        raise UserFileError("it is a directory, not a file", "is-directory") from None
    except PermissionError:
        raise UserFileError("permission denied", "permission") from None
    except OSError as exc:
        raise UserFileError(f"cannot open it: {exc.strerror or exc}", "unreadable") from None
    try:
        kind = not_regular(os.fstat(fd).st_mode)
        if kind == "a directory":
            raise UserFileError("it is a directory, not a file", "is-directory")
        if kind is not None and not (streams and kind in _STREAMS):
            raise UserFileError(f"it is {kind}, not a regular file", "not-regular")
        if kind is not None:
            os.set_blocking(fd, True)  # opened without blocking; a stream is then read as it comes
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise UserFileError(f"it is larger than the limit of {limit:,} bytes", "too-large")
        return b"".join(chunks)
    except UserFileError:
        raise
    except IsADirectoryError:
        raise UserFileError("it is a directory, not a file", "is-directory") from None
    except OSError as exc:
        raise UserFileError(f"cannot read it: {exc.strerror or exc}", "unreadable") from None
    finally:
        os.close(fd)


def backup_path_for(path: Path, now: float | None = None) -> Path:
    """The first dated backup name beside `path` that nothing (not even a dangling symlink) holds."""
    return next(_backup_names(path, now))


def _backup_names(path: Path, now: float | None = None) -> Iterator[Path]:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    candidate = path.with_name(f"{path.name}.backup.{stamp}")
    counter = 0
    while True:
        if not os.path.lexists(candidate):
            yield candidate
        counter += 1
        candidate = path.with_name(f"{path.name}.backup.{stamp}-{counter}")


def make_backup(path: Path) -> Path | None:
    """Copy `path` to `path.backup.YYYYMMDD-HHMMSS` (mode and times kept). None if it does not exist.

    The backup is created, never opened: a name that exists, a symlink planted there included, is
    skipped for the next free one, so the copy (which may hold a key) goes nowhere but beside the file.
    """
    try:
        source = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    try:
        info = os.fstat(source)
        kind = not_regular(info.st_mode)
        if kind is not None:  # a FIFO would block the copy; /dev/zero would never end it
            raise UserFileError(f"cannot back it up: it is {kind}, not a regular file", "not-regular")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        for target in _backup_names(path):
            try:
                fd = os.open(target, flags, info.st_mode & 0o777)
            except FileExistsError:
                continue  # taken between the look and the create: try the next name
            break
        try:
            while chunk := os.read(source, 1 << 20):
                os.write(fd, chunk)
            if os.name == "posix":
                os.fchmod(fd, info.st_mode & 0o777)
            os.utime(fd, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(fd)
    finally:
        os.close(source)
    return target


def write_target(path: Path) -> Path:
    """Where writing `path` lands: a symlinked file (a dotfiles link) is written through to its target, so
    the link stays a link and the backup goes beside the real file."""
    return Path(os.path.realpath(path)) if os.path.islink(path) else path


def atomic_write(path: Path, data: bytes | str, *, mode: int | None = None, backup: bool = True,
                 user_named: bool = False) -> Path | None:
    """Write `data` to `path` so that readers see the old file or the new one, never a mix.

    A symlink at `path` is followed (see `write_target`). Returns the backup's path when an existing file
    was backed up first. What is at `path` is never replaced unless it is a regular file: run as root,
    replacing `/dev/null` with a file would break the machine. A path the user named as an output
    (`user_named`) is written as a shell's `>` would: a device, pipe or socket there is written into
    (`-o /dev/null`, `-o >(gzip > r.gz)`, `/dev/stdout`), and a directory that does not exist is an error,
    not created (a typo must not make directories). For perspt's own files, a special file there is a
    UserFileError and missing directories are made.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        info: os.stat_result | None = os.stat(path)  # through a symlink, as the write goes
    except OSError:
        info = None  # nothing there yet (or nothing to stat): the usual path says what is wrong
    kind = not_regular(info.st_mode) if info is not None else None
    if kind is not None and kind != "a directory":
        if not user_named:
            raise UserFileError(f"it is {kind}, not a regular file", "not-regular")
        _write_stream(Path(path), data, kind)
        return None
    path = write_target(Path(path))
    if not path.name or kind == "a directory":
        raise IsADirectoryError(errno.EISDIR, "it is a directory; name a file", str(path))
    if not user_named:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"no such directory: {path.parent}", str(path))
    saved = make_backup(path) if backup else None
    if mode is None and info is not None:
        mode = info.st_mode & 0o777
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


def _write_stream(path: Path, data: bytes, kind: str) -> None:
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO with no reader: opening it to write would wait for one forever
            raise UserFileError(f"it is {kind} that nothing reads", "not-regular") from None
        raise
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


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
