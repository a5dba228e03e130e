"""Bounded reads of perspt's log: the last error records for a report, and a head-and-tail
excerpt for a bundle. Nothing here reads more than a fixed number of bytes, however big the log."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TAIL_BYTES = 256 * 1024
EXCERPT_BYTES = 512 * 1024
HEAD_SHARE = 0.2
MAX_RECORDS = 5
TRACE_HEAD_LINES = 4
TRACE_TAIL_LINES = 12

_RECORD_START = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")
_ERROR_LEVEL = re.compile(r"^\S+ \S+ (ERROR|CRITICAL)\b|^\S+ (ERROR|CRITICAL)\b")


def log_files(current: Path) -> list[Path]:
    """The current log and its rotated copies (`.1`, `.2`, ...), newest first."""
    files = [current] if current.is_file() else []
    index = 1
    while index < 100:
        rotated = current.with_name(f"{current.name}.{index}")
        if not rotated.is_file():
            break
        files.append(rotated)
        index += 1
    return files


def read_tail(current: Path, limit: int = TAIL_BYTES) -> str:
    """The last `limit` bytes of the log, reaching into rotated files when the current one is short."""
    chunks: list[bytes] = []
    remaining = limit
    for path in log_files(current):
        if remaining <= 0:
            break
        try:
            with path.open("rb") as handle:
                size = handle.seek(0, 2)
                start = max(0, size - remaining)
                handle.seek(start)
                data = handle.read(remaining)
        except OSError:
            continue
        if start > 0:
            data = data.split(b"\n", 1)[1] if b"\n" in data else b""
        chunks.append(data)
        remaining -= len(data)
    return b"".join(reversed(chunks)).decode("utf-8", "replace")


@dataclass(frozen=True)
class LogRecord:
    first_line: str
    trace: tuple[str, ...] = ()

    def text(self) -> str:
        return "\n".join((self.first_line, *self.trace))


def error_records(text: str, limit: int = MAX_RECORDS) -> list[LogRecord]:
    """The last `limit` ERROR/CRITICAL records, each with its traceback cut to a bounded size."""
    records: list[LogRecord] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if _RECORD_START.match(line):
            if current is not None:
                records.append(_record(current))
            current = [line] if _ERROR_LEVEL.match(line) else None
        elif current is not None:
            current.append(line)
    if current is not None:
        records.append(_record(current))
    return records[-limit:]


def _record(lines: list[str]) -> LogRecord:
    return LogRecord(lines[0][:2000], tuple(cut_trace([line[:500] for line in lines[1:]])))


def cut_trace(lines: Iterable[str], head: int = TRACE_HEAD_LINES, tail: int = TRACE_TAIL_LINES) -> list[str]:
    """Keep the start and the end of a long stack trace, with a marker saying how much was cut."""
    items = list(lines)
    if len(items) <= head + tail + 1:
        return items
    cut = len(items) - head - tail
    return [*items[:head], f"    [... {cut} lines cut ...]", *items[-tail:]]


def excerpt(current: Path, limit: int = EXCERPT_BYTES, head_share: float = HEAD_SHARE) -> str:
    """Head and tail of the current log (plus rotated files when short), at most `limit` bytes."""
    files = log_files(current)
    if not files:
        return ""
    sizes = []
    for path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)
    total = sum(sizes)
    if total <= limit:
        return read_tail(current, limit)
    head_bytes = int(limit * head_share)
    oldest = files[-1]
    try:
        with oldest.open("rb") as handle:
            head = handle.read(head_bytes)
    except OSError:
        head = b""
    if b"\n" in head:
        head = head.rsplit(b"\n", 1)[0] + b"\n"
    tail = read_tail(current, limit - head_bytes)
    cut = total - len(head) - len(tail.encode("utf-8", "replace"))
    marker = f"\n[... {max(cut, 0)} bytes of log cut ...]\n\n"
    return head.decode("utf-8", "replace") + marker + tail
