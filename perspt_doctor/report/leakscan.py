"""The report's final scan, independent of the redactor that built the report.

The first pass (`redact.py`) hides what it recognises; a scan that asked the same redactor again
would find nothing it missed. This one works differently: it takes every secret value perspt knows,
derives their common encodings itself, and looks for them (and for any 16-character piece of a value)
in the text with all blanks removed, so a value split over lines or cut short is found too; then it
looks for well-known token shapes. Whatever it finds is replaced, and the caller says where.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

REPLACEMENT = "[REDACTED]"
PIECE = 16
"""A piece of a known value this long is a leak (shorter ones: the masked `…abcd` endings, prefixes)."""
_STRIDE = 2

_SHAPES: tuple[tuple[str, str], ...] = (
    ("Anthropic key", r"sk-ant-[a-z]{2,6}\d{2}-[A-Za-z0-9_-]{20,}"),
    ("OpenAI-style key", r"sk-(?:proj-|svcacct-|admin-|None-|or-v1-)?[A-Za-z0-9_-]{32,}"),
    ("Google API key", r"AIza[A-Za-z0-9_-]{30,}"),
    ("Groq key", r"gsk_[A-Za-z0-9]{20,}"),
    ("xAI key", r"xai-[A-Za-z0-9_]{20,}"),
    ("GitHub token", r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("AWS access key", r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
    ("Slack token", r"xox[abposr]-[A-Za-z0-9-]{10,}"),
    ("Stripe key", r"[sr]k_(?:live|test)_[A-Za-z0-9]{10,}"),
    ("JSON Web Token", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ("private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    ("bearer token", r"(?i)\bbearer\s+(?!\[REDACTED\])[A-Za-z0-9._~+/-]{16,}=*"),
    ("password in a URL", r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@\"'\[]+:(?!\[REDACTED\])[^/\s@\"']+@"),
    ("password assignment", r"(?i)\b(?:password|passwd)\s*[:=]\s*[\"']?(?!\[REDACTED\])(?!\$)[^\s\"',;<>]{3,}"),
)
_SHAPE_RE = [(name, re.compile(pattern)) for name, pattern in _SHAPES]


@dataclass(frozen=True)
class Hit:
    member: str
    line: int
    section: str
    kind: str

    def describe(self) -> str:
        where = f"{self.member} line {self.line}"
        if self.section:
            where += f" (section {self.section!r})"
        return f"{where}: {self.kind}"


def forms(value: str) -> dict[str, str]:
    """The encodings of one value this scan looks for, derived here and not by the redactor."""
    raw = value.encode("utf-8", "surrogatepass")
    out = {value: "known secret", quote(value, safe=""): "known secret (URL-encoded)",
           quote(value): "known secret (URL-encoded)", quote_plus(value): "known secret (URL-encoded)",
           raw.hex(): "known secret (hex)", raw.hex().upper(): "known secret (hex)",
           json.dumps(value)[1:-1]: "known secret (JSON-escaped)"}
    for data, what in ((raw, "base64"), (b"Bearer " + raw, "base64 of a bearer header")):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(data).decode("ascii")
            for form in (text, text.rstrip("="), text[: len(data) // 3 * 4]):
                out.setdefault(form, f"known secret ({what})")
    return {form: kind for form, kind in out.items() if len(form) >= 6}


def scrub(members: Mapping[str, str], known: Iterable[str]) -> tuple[dict[str, str], list[Hit]]:
    """Every member with what the scan found replaced, and where it found it."""
    values = [v for v in {v.strip() for v in known} if len(v) >= 6]
    cleaned: dict[str, str] = {}
    hits: list[Hit] = []
    for name, text in members.items():
        spans = _find(text, values)
        cleaned[name] = _replace(text, [(start, end) for start, end, _kind in spans])
        hits += [Hit(name, text.count("\n", 0, start) + 1, _section(text, start), kind) for start, end, kind in spans]
    return cleaned, hits


def _find(text: str, values: Sequence[str]) -> list[tuple[int, int, str]]:
    kept = [index for index, char in enumerate(text) if not char.isspace()]
    squashed = "".join(text[index] for index in kept)
    found: list[tuple[int, int, str]] = []

    def add(start: int, end: int, kind: str) -> None:
        found.append((kept[start], kept[end - 1] + 1, kind))

    for value in values:
        for form, kind in forms(value).items():
            position = squashed.find(form)
            while position != -1:
                add(position, position + len(form), kind)
                position = squashed.find(form, position + 1)
        if len(value) > PIECE:
            for offset in range(0, len(value) - PIECE + 1, _STRIDE):
                piece = value[offset:offset + PIECE]
                position = squashed.find(piece)
                while position != -1:
                    start, end = _grow(squashed, position, value, offset)
                    add(start, end, "part of a known secret")
                    position = squashed.find(piece, end)
    for kind, pattern in _SHAPE_RE:
        found += [(m.start(), m.end(), kind) for m in pattern.finditer(text)]
    return _merge(found)


def _grow(squashed: str, position: int, value: str, offset: int) -> tuple[int, int]:
    """The whole run of `value` around a matching piece, as far as it matches on both sides."""
    start, begin = position, offset
    while start > 0 and begin > 0 and squashed[start - 1] == value[begin - 1]:
        start, begin = start - 1, begin - 1
    end, stop = position + PIECE, offset + PIECE
    while end < len(squashed) and stop < len(value) and squashed[end] == value[stop]:
        end, stop = end + 1, stop + 1
    return start, end


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans):
        if merged and start <= merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, kind))
    return merged


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    out: list[str] = []
    position = 0
    for start, end in spans:
        out += [text[position:start], REPLACEMENT]
        position = end
    out.append(text[position:])
    return "".join(out)


def _section(text: str, position: int) -> str:
    heading = text.rfind("\n## ", 0, position)
    if heading == -1:
        return ""
    line_end = text.find("\n", heading + 1)
    return text[heading + 4: line_end if line_end != -1 else len(text)].strip()
