"""Whether output gets colour: one decision for the doctor's report, its progress line, the chat and the
`terminal.display` check; and the one test of what a stream is (`is_tty`) and can show (`can_encode`).

Conventions (no-color.org, force-color.org): a *non-empty* `NO_COLOR` turns colour off; a non-empty
`FORCE_COLOR` other than `0`/`false` turns it on even when the output is not a terminal (CI logs);
`FORCE_COLOR=0` turns it off; `TERM=dumb` turns it off; otherwise colour is on for a terminal only.
NO_COLOR wins over FORCE_COLOR.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO

_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class ColourChoice:
    on: bool
    forced: bool
    reason: str
    """In words, for the `terminal.display` check: `on`, `forced (FORCE_COLOR)`, `off (NO_COLOR)`, ..."""


def colour_choice(env: Mapping[str, str], is_tty: bool) -> ColourChoice:
    if env.get("NO_COLOR", ""):
        return ColourChoice(False, False, "off (NO_COLOR)")
    force = env.get("FORCE_COLOR", "")
    if force and force.strip().lower() in _FALSE:
        return ColourChoice(False, False, f"off (FORCE_COLOR={force})")
    if force:
        return ColourChoice(True, True, "forced (FORCE_COLOR)")
    if env.get("TERM", "") == "dumb":
        return ColourChoice(False, False, "off (TERM=dumb)")
    if is_tty:
        return ColourChoice(True, False, "on")
    return ColourChoice(False, False, "off (not a terminal)")


def is_tty(stream: IO[str] | None) -> bool:
    """True for a terminal; False for a pipe, a file, a closed stream or none."""
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def can_encode(stream: IO[str], text: str) -> bool:
    """True if `stream`'s encoding (ASCII when it names none) can write every character of `text`."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
