"""How the doctor's report looks on this output: colour, symbols or status words, and the width to wrap
at (the terminal's, or none off a terminal so each row stays one greppable line)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO

from perspt_doctor.colour import can_encode, colour_choice, is_tty
from perspt_doctor.engine.check_model import Status

WORDS = {Status.OK: "[ ok ]", Status.WARN: "[warn]", Status.FAIL: "[FAIL]", Status.SKIP: "[skip]",
         Status.ERROR: "[ERR ]"}
SYMBOLS = {Status.OK: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "–", Status.ERROR: "☠"}
ASCII_SYMBOLS = {Status.OK: "+", Status.WARN: "!", Status.FAIL: "x", Status.SKIP: "-", Status.ERROR: "E"}


@dataclass(frozen=True)
class Style:
    colour: bool
    symbols: dict[Status, str]
    separator: str = "·"
    width: int | None = None
    """Wrap at this many columns (a terminal); None: one line per row (a pipe or a file)."""

    @property
    def rich(self) -> bool:
        return self.colour


def choose_style(stream: IO[str], env: Mapping[str, str] | None = None) -> Style:
    """Colour by the NO_COLOR/FORCE_COLOR conventions; symbols with colour when the encoding has them,
    status words without; wrapping whenever the output is a terminal, coloured or not."""
    environ = os.environ if env is None else env
    tty = is_tty(stream)
    separator = "·" if can_encode(stream, "·") else "-"
    width = _terminal_width(stream, environ) if tty else None
    if not colour_choice(environ, tty).on:
        return Style(False, WORDS, separator, width)
    fancy = can_encode(stream, "".join(SYMBOLS.values()) + "…")
    return Style(True, SYMBOLS if fancy else ASCII_SYMBOLS, separator, width)


def _terminal_width(stream: IO[str], env: Mapping[str, str]) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    if not columns:
        raw = env.get("COLUMNS", "")
        columns = int(raw) if raw.isdigit() else shutil.get_terminal_size().columns
    return max(columns, 20)
