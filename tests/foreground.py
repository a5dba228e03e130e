"""Children that a test signals start as a shell starts a command in the foreground of a terminal: with
SIGHUP, SIGINT, SIGQUIT and SIGTERM at their defaults.

Signal dispositions set to "ignore" survive exec. A test runner started in the background of a script
(`pytest &`, `nohup pytest`) has SIGINT, SIGQUIT or SIGHUP ignored, and so would every child it starts; a
perspt started that way rightly ignores them too (tests/reliability/test_stream_limits.py shows it), and
a test that sends it Ctrl+C would then wait for nothing. GNU env (coreutils 8.31 or later) resets them
before it runs the command."""

from __future__ import annotations

import shutil

FOREGROUND: tuple[str, ...] = (shutil.which("env") or "env", "--default-signal=HUP,INT,QUIT,TERM")


def foreground(*argv: str) -> list[str]:
    """`argv`, started with the signals a terminal's foreground command gets at their defaults."""
    return [*FOREGROUND, *argv]
