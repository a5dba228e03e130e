"""The terminal perspt draws in: a TTY or a pipe, the output encoding, colour support and width."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from typing import IO, Any

from perspt_doctor.api import CheckContext, Result, check, colour_choice, is_tty

DOCS = "docs/troubleshooting.md#terminal"
SAMPLE = "✓✗…é€"
MIN_WIDTH = 60


def _encoding(stream: IO[str] | None) -> str | None:
    return getattr(stream, "encoding", None) if stream is not None else None


def assess_encoding(encoding: str | None, env: Mapping[str, str]) -> Result:
    facts = {"encoding": encoding, "LANG": env.get("LANG"), "LC_ALL": env.get("LC_ALL"),
             "PYTHONIOENCODING": env.get("PYTHONIOENCODING")}
    if not encoding:
        return Result.skip("no standard output to inspect")
    try:
        SAMPLE.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        fix = "chcp 65001" if os.name == "nt" else "export PYTHONIOENCODING=utf-8"
        return Result.warn(f"the terminal encoding {encoding} cannot show symbols or accented text",
                           hint="replies with such characters print as '?' or fail; switch the terminal to UTF-8 "
                                "(on Linux set LANG=C.UTF-8 or en_US.UTF-8; on Windows use Windows Terminal)",
                           fix_commands=[fix], facts=facts)
    return Result.ok(f"output encoding {encoding}", facts=facts)


@check("terminal.encoding", "Terminal encoding can show replies", "terminal", timeout=2, docs=DOCS)
async def encoding(ctx: CheckContext) -> Result:
    """Checks that the terminal's output encoding can show the symbols and accented text replies contain.

    Tries to encode a sample (`✓✗…é€`) in the encoding of Python's standard output.

    ok: the encoding can show them (UTF-8, usually).
    warn: it cannot (ASCII, latin-1, an old Windows code page): such characters print as `?` or fail.
      Fix: switch the terminal to UTF-8 (`LANG=C.UTF-8` on Linux, Windows Terminal or `chcp 65001` on
      Windows), or `export PYTHONIOENCODING=utf-8`.
    skip: there is no standard output to inspect.
    """
    return assess_encoding(_encoding(sys.__stdout__), ctx.env)


def assess_display(stdin_tty: bool, stdout_tty: bool, env: Mapping[str, str], width: int) -> Result:
    colour = colour_choice(env, stdout_tty).reason
    facts: dict[str, Any] = {"stdin_tty": stdin_tty, "stdout_tty": stdout_tty, "TERM": env.get("TERM"),
                             "colour": colour, "width": width}
    if not stdout_tty or not stdin_tty:
        piped = "output" if not stdout_tty else "input"
        return Result.ok(f"{piped} is not a terminal: plain output, no interactive chat (`perspt -q` works)",
                         facts=facts)
    if env.get("TERM") == "dumb":
        return Result.warn("TERM=dumb: no colours, no line editing in the chat", facts=facts,
                           hint="run perspt in a full terminal, or set TERM=xterm-256color if yours supports it")
    if width < MIN_WIDTH:
        return Result.warn(f"the terminal is {width} columns wide; replies and tables wrap badly under "
                           f"{MIN_WIDTH}", facts=facts, hint="widen the window")
    return Result.ok(f"interactive terminal, {width} columns, colour {colour}", facts=facts)


@check("terminal.display", "Terminal: TTY, colour and width", "terminal", timeout=2, docs=DOCS)
async def display(ctx: CheckContext) -> Result:
    """Reports whether perspt runs in an interactive terminal, whether it uses colour, and how wide it is.

    Looks at whether standard input and output are TTYs, at `TERM`, `NO_COLOR` and `FORCE_COLOR`, and at
    the terminal width.

    ok: an interactive terminal at least 60 columns wide; or input or output is not a terminal (a pipe),
      where perspt prints plain text and `perspt -q` works but the interactive chat does not.
    warn: `TERM=dumb`: no colours and no line editing. Fix: use a full terminal, or set
      `TERM=xterm-256color` if yours supports it.
    warn: narrower than 60 columns: replies and tables wrap badly. Fix: widen the window.
    """
    width = shutil.get_terminal_size((80, 24)).columns
    return assess_display(is_tty(sys.__stdin__), is_tty(sys.__stdout__), ctx.env, width)
