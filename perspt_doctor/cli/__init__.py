"""The `perspt` command line. `main()` answers `--version` and `--help` before importing anything heavy."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
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


def _answer_at_once(text: str) -> None:
    """Print `text` and exit 0. If it cannot be written (a closed pipe, a full disk), the command goes the
    usual way instead, whose guard reports that like any other command's failed output."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError:
        return
    raise SystemExit(0)
