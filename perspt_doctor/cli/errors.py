"""The outermost layer: a `PersptError` becomes one clear line (its exit code: 2 for usage and config
errors), everything goes through the redactor, and a traceback appears only with --debug."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from typing import Any, NoReturn

from perspt_doctor.errors import ExitCode, PersptError, machine_write_error


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """One piece of a command's output, through the redactor and the terminal sanitizer: the way every
    command prints."""
    import click

    from perspt_doctor.redact import redact
    from perspt_doctor.textsafe import printable

    click.echo(printable(redact(text)), err=err, nl=nl)


def _debug_requested(args: list[str]) -> bool:
    return "--debug" in args or os.environ.get("PERSPT_DEBUG", "") not in ("", "0", "false")


def _emit(line: str) -> None:
    from perspt_doctor.redact import redact
    from perspt_doctor.textsafe import printable

    sys.stderr.write(printable(redact(line)).rstrip("\n") + "\n")


def run_guarded(command: Any, args: list[str]) -> NoReturn:
    import click

    debug = _debug_requested(args)
    try:
        returned = command.main(args=args, prog_name="perspt", standalone_mode=False)
    except click.exceptions.Abort:
        _emit("Aborted.")
        raise SystemExit(ExitCode.INTERRUPTED) from None
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.ClickException as exc:
        from perspt_doctor.redact import redact
        from perspt_doctor.textsafe import printable

        sys.stderr.write(printable(redact(_click_message(exc))))
        raise SystemExit(exc.exit_code) from None
    except PersptError as exc:
        if debug:
            _emit(traceback.format_exc())
        _emit(f"Error: {exc}" + (f" | diagnose: {exc.doctor}" if exc.doctor else ""))
        if exc.hint:
            _emit(f"Hint: {exc.hint}")
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        _emit("Interrupted.")
        raise SystemExit(ExitCode.INTERRUPTED) from None
    except BrokenPipeError:
        _quiet_broken_pipe()
        raise SystemExit(ExitCode.OK) from None
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if debug:
            _emit(traceback.format_exc())
        if isinstance(exc, OSError) and (line := machine_write_error(exc)):
            _emit(f"Error: {line}")
            _quiet_broken_pipe()  # what is still buffered for stdout is not written again at exit
            raise SystemExit(ExitCode.FAILURE) from None
        if isinstance(exc, ImportError):
            _broken_python(exc)
        _emit(f"Error: internal error: {type(exc).__name__}: {exc}")
        _emit("Hint: run again with --debug for details, and `perspt report` to file a bug")
        raise SystemExit(ExitCode.INTERNAL) from None
    # With standalone_mode=False, click returns ctx.exit(code)'s code instead of raising.
    raise SystemExit(int(returned) if isinstance(returned, int) else ExitCode.OK)


def _broken_python(exc: ImportError) -> None:
    """An import that failed because Python itself is broken (its TLS library does not load) is no bug of
    perspt's: say so, and name the doctor check that explains it."""
    from perspt_doctor.client.failures import describe
    from perspt_doctor.transport.classify import tls_library_fault

    if tls_library_fault() is None:
        return
    for line in describe(exc).lines():
        _emit(line)
    raise SystemExit(1) from None


def _click_message(exc: Any) -> str:
    import io

    buffer = io.StringIO()
    original = sys.stderr
    try:
        sys.stderr = buffer
        exc.show()
    finally:
        sys.stderr = original
    return buffer.getvalue()


def _quiet_broken_pipe() -> None:
    with contextlib.suppress(OSError):
        discard_writes(sys.stdout.fileno())


def discard_writes(fd: int) -> None:
    """Point `fd` at the null device, so that what is still buffered for an output that failed (a closed
    pipe, a full disk) is not written again, and fails again, when the process exits."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
