"""Every error perspt raises for the user to see, and the exit codes, in one place at the bottom layer.

`PersptError` carries an exit code and an optional hint; the command line catches it once
(`cli/errors.py` `run_guarded`) and prints `Error: ...` plus `Hint: ...`, a traceback only with --debug.
The layers raise their own subclasses (`settings.diagnostics.ConfigError`,
`providers.errors.ProviderError`, `settings.keystore.KeyringUnavailable`, ...). This module imports
nothing from perspt_doctor, so every layer may import it.
"""

from __future__ import annotations

import errno
import io
from enum import IntEnum


class ExitCode(IntEnum):
    """What `perspt` exits with. The doctor's own meanings are in its `--help` epilog."""

    OK = 0
    FAILURE = 1
    """The command ran and what it was asked to do failed (a provider error, a doctor failure)."""
    USAGE = 2
    """A usage or config error: the command did not start."""
    CHECK_ERROR = 3
    """doctor: no check failed, but a check could not finish."""
    INTERNAL = 70
    """A bug (EX_SOFTWARE): an exception nobody expected."""
    HANGUP = 129
    """The terminal closed (128 + SIGHUP) during a reply: the partial reply is kept."""
    INTERRUPTED = 130
    """Ctrl+C (128 + SIGINT)."""
    TERMINATED = 143
    """`kill` (128 + SIGTERM) during a reply: the partial reply is kept."""

    def __str__(self) -> str:
        return str(self.value)  # "1", as on Python 3.11+, not "ExitCode.FAILURE"


class PersptError(Exception):
    """A problem the user can act on: printed as one line, with an optional hint, no traceback."""

    exit_code: int = ExitCode.FAILURE
    doctor: str | None = None
    """The doctor command whose checks explain this error; printed after the message as `| diagnose: ...`."""

    def __init__(self, message: str = "", hint: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code


UserError = PersptError
"""The command line's historical name for the base: a problem the user can fix."""


class UsageError(PersptError):
    """A wrong flag, argument or value on the command line: the command does not start."""

    exit_code = ExitCode.USAGE


class ConfigError(PersptError):
    """A config file perspt cannot use."""

    exit_code = ExitCode.USAGE
    doctor = "perspt doctor --only 'config.*'"


class KeyringError(PersptError):
    """The OS keyring cannot be used."""


class TransportError(PersptError):
    """The network path cannot be set up or used (a bad proxy URL, an unreadable CA file, a refused
    tunnel)."""


class ProviderError(PersptError):
    """A provider answered with an error, or could not be reached."""


class OutputClosed(OSError):
    """A write to an output that perspt was started without (`perspt models >&-`)."""


class ClosedOutput(io.TextIOBase):
    """What `sys.stdout` is when perspt starts with file descriptor 1 closed. Python leaves None there, and
    a print to None is silently dropped, so a command exited 0 having shown nothing. Every write here raises
    OutputClosed: a command fails at its first output, with one line and exit 1, as `ls >&-` does."""

    encoding = "utf-8"

    def __init__(self, name: str) -> None:
        super().__init__()
        self.stream_name = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OutputClosed(errno.EBADF, "it is closed", self.stream_name)


def machine_write_error(exc: OSError) -> str | None:
    """The line for a failed write that the machine caused, not perspt: a full disk or quota, a file
    grown past its limit, a failing device, an output perspt was started without. None for any other
    OSError."""
    if isinstance(exc, OutputClosed):
        return f"could not write to {exc.filename}: {exc.strerror}"
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO):
        return None
    return f"could not write {exc.filename or 'the output'}: {exc.strerror or exc}"
