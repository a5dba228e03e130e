"""Incremental decoders for the two streaming framings (server-sent events and NDJSON), and a
lean JSON reader for their payloads.

They work on raw byte chunks and return plain lists, so the per-event cost is one split, one
tuple and one C-level JSON scan: the adapters' streaming loops stay cheap (the benchmark streams
100k events).
"""

from __future__ import annotations

import codecs
import json
import json.scanner
from typing import Any

from perspt_doctor.textsafe import json_without_lone_surrogates

Event = tuple[str, str]


def _text_decoder() -> codecs.IncrementalDecoder:
    """Bytes of a stream to text: UTF-8, a byte order mark at its start dropped (the SSE standard says so,
    and the first event would otherwise be lost behind it), bad bytes replaced."""
    return codecs.getincrementaldecoder("utf-8-sig")("replace")


_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def loads(text: str) -> Any:
    """`json.loads` for one complete document, without its per-call Python overhead. A byte order mark
    before it is ignored, as `json.loads` ignores it in bytes (the error classifier reads bodies that way:
    the two must agree on what is JSON)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        obj, end = _scan(text, 0)
    except StopIteration:
        obj = json.loads(text)  # leading blanks, or invalid: json says which
    else:
        if end != len(text) and text[end:].strip():
            raise ValueError(f"extra data after the JSON value at {end}")
    # a lone surrogate escape from the server would make every output (and the history) fail to encode
    return json_without_lone_surrogates(obj, text) if "\\u" in text else obj


class SSEDecoder:
    """Blank-line separated events; `\\n`, `\\r\\n` and `\\r` line ends; `:` comments skipped; several
    `data:` lines joined with `\\n`; an event without data is dropped; a leading byte order mark ignored."""

    __slots__ = ("_buf", "_event", "_data", "_utf8")

    def __init__(self) -> None:
        self._buf = ""
        self._event = ""
        self._data: str | None = None
        self._utf8 = _text_decoder()

    def feed(self, chunk: bytes) -> list[Event]:
        text = self._utf8.decode(chunk)
        if self._buf:
            text = self._buf + text
        tail = ""
        if "\r" in text:
            if text.endswith("\r"):
                text, tail = text[:-1], "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        self._buf = lines.pop() + tail
        out: list[Event] = []
        data = self._data
        for line in lines:
            if not line:
                if data is not None:
                    out.append((self._event, data))
                    data = None
                self._event = ""
            elif line.startswith("data:"):
                value = line[6:] if line[5:6] == " " else line[5:]
                data = value if data is None else data + "\n" + value
            elif line.startswith("event:"):
                self._event = line[6:].strip()
        self._data = data
        return out

    def flush(self) -> list[Event]:
        """At end of stream: the last event even if its closing blank line never came."""
        rest = self._buf + self._utf8.decode(b"", final=True)
        self._buf = ""
        return self.feed(rest.rstrip("\r").encode() + b"\n\n") if rest.strip() or self._data is not None else []


class LineDecoder:
    """Newline-delimited JSON: one object per line, blank lines skipped."""

    __slots__ = ("_buf", "_utf8")

    def __init__(self) -> None:
        self._buf = ""
        self._utf8 = _text_decoder()

    def feed(self, chunk: bytes) -> list[str]:
        text = self._utf8.decode(chunk)
        if self._buf:
            text = self._buf + text
        lines = text.split("\n")
        self._buf = lines.pop()
        return [line for line in lines if line.strip()]

    def flush(self) -> list[str]:
        rest, self._buf = self._buf + self._utf8.decode(b"", final=True), ""
        return [rest] if rest.strip() else []
