"""The `perspt` command line. `main()` answers `--version` and `--help` before importing anything heavy."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if sys.stdin is None or sys.stdout is None or sys.stderr is None:
        _stand_in_for_closed_streams()
    if args == ["--version"] or args == ["-V"]:
        from perspt_doctor._version import __version__

        _answer_at_once(f"perspt {__version__}\n")
    if args == ["--help"] or args == ["-h"]:
        from perspt_doctor.cli.help_cache import cached_help

        text = cached_help()
        if text is not None:
            _answer_at_once(text)
    # httpx imports its own command line (click, rich, pygments: ~100 ms) unless that module is missing,
    # which httpx handles (its `[cli]` extra not installed). perspt never runs it: mark it missing.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    from perspt_doctor.cli.errors import run_guarded
    from perspt_doctor.cli.root import cli

    run_guarded(cli, args)


def _stand_in_for_closed_streams() -> None:
    """perspt was started with a standard stream closed (`perspt <&-`, `>&-`, `2>&-`), and Python left None
    in its place. Each closed descriptor gets the null device, read-only, so that no file perspt opens later
    takes its number (a child process would read or write that file as its own stdin or stdout). Then:
    no input reads as empty input; a write to the closed output fails (`errors.ClosedOutput`), so a command
    says so and exits 1 instead of exiting 0 having shown nothing; a closed error stream is let be closed."""
    import os

    from perspt_doctor.errors import ClosedOutput

    for fd, stream in ((0, sys.stdin), (1, sys.stdout), (2, sys.stderr)):
        if stream is None:
            null = os.open(os.devnull, os.O_RDONLY)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stdin is None:
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - it is the process's stdin
    if sys.stdout is None:
        sys.stdout = ClosedOutput("standard output")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - it is the process's stderr


def _answer_at_once(text: str) -> None:
    """Print `text` and exit 0. If it cannot be written (a closed pipe, a full disk), the command goes the
    usual way instead, whose guard reports that like any other command's failed output."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError:
        return
    raise SystemExit(0)
