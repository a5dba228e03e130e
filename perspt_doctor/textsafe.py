"""Text from outside (server replies and error bodies, model names, plugins' results, reports and
documents given to `triage` or `report --from-json`, the history) made safe to print on a terminal.

`printable()` is the one sanitizer every output uses: it removes terminal control sequences (CSI such as
`ESC[2J` and cursor moves, OSC such as window titles, hyperlinks and clipboard writes, DCS/APC/PM/SOS
strings, two-character escapes) and every other control character (C0 but tab and line feed, DEL, C1,
a carriage return that would draw over a line, backspace), plus the invisible characters that reorder
text (bidi overrides and isolates). perspt's own styling is added afterwards, by rich, to text that passed here;
untrusted text is never parsed as rich markup.
"""

from __future__ import annotations

import re
from typing import Any

_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b)[\x20-\x3f]*[\x40-\x7e]?          # CSI (7-bit and 8-bit), parameters, final byte
  | (?:\x1b[\]P^_X]|[\x9d\x90\x9e\x9f\x98])           # OSC, DCS, PM, APC, SOS ...
    [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?              # ... up to BEL or the string terminator
  | \x1b[\x20-\x2f]*[\x30-\x7e]?                        # any other escape (charset, keypad, RIS)
    """,
    re.VERBOSE,
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Right-to-left text keeps its marks (U+200E, U+200F); the overrides and isolates that reorder what a
line appears to say go."""


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""Half of a UTF-16 pair: a `"\\ud800"` escape in outside JSON, or a file name's undecodable byte
(`os.fsdecode`). No output encoding accepts it; it becomes U+FFFD."""
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def printable(text: str, *, newlines: bool = True) -> str:
    """`text` without anything that a terminal would act on instead of showing, and with U+FFFD for
    anything no output could encode (a lone surrogate). A line ending `\\r\\n` stays a line ending; with
    `newlines=False` line breaks become spaces (one-line fields: titles, model names)."""
    if text and _CONTROL.search(text) is not None:
        text = _CONTROL.sub("", _SEQUENCE.sub("", text.replace("\r\n", "\n")))
    if text and _LONE_SURROGATE.search(text) is not None:
        text = _LONE_SURROGATE.sub("\ufffd", text)
    return text if newlines or not text else text.replace("\n", " ").replace("\t", " ")


def json_without_lone_surrogates(value: Any, source: str) -> Any:
    """A JSON value parsed from `source` (outside text) with every lone surrogate in its strings, keys
    included, replaced by U+FFFD; a pair has already become one character. Cheap when `source` holds no
    such escape, the usual case."""
    if "\\u" not in source or _SURROGATE_ESCAPE.search(source) is None:
        return value
    return _replace_in(value)


def _replace_in(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_in(k): _replace_in(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_in(v) for v in value]
    return value


def has_control(text: str) -> bool:
    """True when `text` holds a character `printable()` would remove (line breaks and tabs included):
    for values that must be sent as they are, such as API keys in a header."""
    return re.search(r"[\x00-\x1f\x7f-\x9f]", text) is not None
