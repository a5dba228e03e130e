"""Where each key of a valid JSON document sits (line and column), so that a wrong value can be
reported as `config.json:7:5 (network.ca_bundle)` and not only by its key path."""

from __future__ import annotations

import contextlib
import re
from json.decoder import scanstring  # type: ignore[attr-defined]

_SPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null|NaN|-?Infinity")


class _Walker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.found: dict[str, tuple[int, int]] = {}
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(self, offset: int) -> tuple[int, int]:
        import bisect

        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def skip(self, pos: int) -> int:
        match = _SPACE.match(self.text, pos)
        return match.end() if match else pos

    def value(self, pos: int, path: str, depth: int) -> int:
        pos = self.skip(pos)
        char = self.text[pos : pos + 1]
        if depth > 64:
            raise ValueError("too deep")
        if char == "{":
            return self.obj(pos + 1, path, depth)
        if char == "[":
            return self.arr(pos + 1, path, depth)
        if char == '"':
            return scanstring(self.text, pos + 1)[1]
        match = _SCALAR.match(self.text, pos)
        if not match:
            raise ValueError(f"unexpected {char!r} at {pos}")
        return match.end()

    def obj(self, pos: int, path: str, depth: int) -> int:
        pos = self.skip(pos)
        if self.text[pos : pos + 1] == "}":
            return pos + 1
        while True:
            pos = self.skip(pos)
            key, end = scanstring(self.text, pos + 1)
            child = f"{path}.{key}" if path else key
            self.found.setdefault(child, self.where(pos))
            pos = self.skip(end)
            pos = self.value(pos + 1, child, depth + 1)  # past the ':'
            pos = self.skip(pos)
            if self.text[pos : pos + 1] == ",":
                pos += 1
                continue
            return pos + 1

    def arr(self, pos: int, path: str, depth: int) -> int:
        pos = self.skip(pos)
        if self.text[pos : pos + 1] == "]":
            return pos + 1
        index = 0
        while True:
            start = self.skip(pos)
            item = f"{path}[{index}]"
            self.found.setdefault(item, self.where(start))
            pos = self.skip(self.value(start, item, depth + 1))
            index += 1
            if self.text[pos : pos + 1] == ",":
                pos += 1
                continue
            return pos + 1


def key_positions(text: str) -> dict[str, tuple[int, int]]:
    """`{"network.ca_bundle": (7, 5), "fallback_chain[0]": (12, 7), ...}` for a valid JSON text.

    Returns what it found so far if the text is not what it expects (it never raises)."""
    walker = _Walker(text)
    with contextlib.suppress(ValueError, IndexError):
        walker.value(0, "", 0)
    return walker.found


def position_of(positions: dict[str, tuple[int, int]], key_path: str) -> tuple[int, int] | None:
    """The position of `key_path`, or of its nearest ancestor that has one."""
    path = key_path
    while path:
        if path in positions:
            return positions[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
