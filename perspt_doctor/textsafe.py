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


def printable(text: str, *, newlines: bool = True) -> str:
    """`text` without anything that a terminal would act on instead of showing. A line ending `\\r\\n`
    stays a line ending; with `newlines=False` line breaks become spaces (one-line fields: titles,
    model names)."""
    if text and _CONTROL.search(text) is not None:
        text = _CONTROL.sub("", _SEQUENCE.sub("", text.replace("\r\n", "\n")))
    return text if newlines or not text else text.replace("\n", " ").replace("\t", " ")


def has_control(text: str) -> bool:
    """True when `text` holds a character `printable()` would remove (line breaks and tabs included):
    for values that must be sent as they are, such as API keys in a header."""
    return re.search(r"[\x00-\x1f\x7f-\x9f]", text) is not None
