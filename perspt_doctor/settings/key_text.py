"""Whether an API key can go into a request header as it is: the one test the client (before its first
request), the provider adapters and the doctor's `keys.*` check all ask. A key is one line of printable
ASCII with nothing around it; a line break, a control character, a typographic quote or a blank at either
end is a copying accident that a header would refuse (h11: "Illegal header value") or that the provider
would reject, and an error quoting the header would show the part after a break."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from perspt_doctor.settings.diagnostics import ConfigError, Diagnostic

CHARACTER_NAMES = {" ": "a space", "\n": "a line break", "\r": "a carriage return", "\t": "a tab",
                   "\x00": "a NUL byte"}
"""Words for the characters a copy or a file most often brings along (the proxy check names them too)."""
_CONTROL_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
_RETYPE_HINT = ("set the key again as one line (copy it afresh; `printf %s` rather than `echo`, and no line breaks "
                "inside quotes)")
_ASCII_HINT = "keys are plain ASCII: set it again, copied without typographic quotes, dashes or spaces"
_BLANK_HINT = "set the key again without the blank around it (it came with the copy, or from a space in the file)"


def undecodable_byte(text: str) -> int | None:
    """The first byte of `text` that was not UTF-8 where it came from (an environment variable, an argument
    typed in a Latin-1 terminal): Python keeps such bytes as lone surrogates (U+DC80 to U+DCFF), which no
    request, header or log line can carry. None when there is none."""
    return next((ord(ch) - 0xDC00 for ch in text if "\udc80" <= ch <= "\udcff"), None)


@dataclass(frozen=True)
class KeyTextProblem:
    what: str
    """`a line break at its end`, `a space at its start`, `a character that is not ASCII (U+2019) at
    character 7 of 40`: what the key contains, and where (never the key's own characters)."""
    hint: str


def key_text_problem(key: str) -> KeyTextProblem | None:
    """The first thing in `key` that stops it from being sent as it is, or None."""
    for index, char in enumerate(key):
        where = "at its end" if index == len(key) - 1 else f"at character {index + 1} of {len(key)}"
        byte = undecodable_byte(char)
        if byte is not None:
            return KeyTextProblem(f"a byte that is not UTF-8 text (0x{byte:02X}) {where}", _ASCII_HINT)
        if unicodedata.category(char) in _CONTROL_CATEGORIES:
            what = CHARACTER_NAMES.get(char, f"a control character (U+{ord(char):04X})")
            return KeyTextProblem(f"{what} {where}", _RETYPE_HINT)
        if not char.isascii() or not char.isprintable():
            return KeyTextProblem(f"a character that is not ASCII (U+{ord(char):04X}) {where}", _ASCII_HINT)
    if key[:1] == " " or key[-1:] == " ":
        return KeyTextProblem(f"a space {'at its start' if key[:1] == ' ' else 'at its end'}", _BLANK_HINT)
    return None


def check_key_text(key: str, origin: str) -> None:
    """ConfigError naming `origin` when `key` cannot be sent as it is."""
    problem = key_text_problem(key)
    if problem is not None:
        raise ConfigError(Diagnostic("error", "key-control-character",
                                     f"the API key contains {problem.what}; it cannot be sent", file=origin,
                                     hint=problem.hint))
