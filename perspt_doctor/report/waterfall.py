"""`perspt doctor --verbose`: an HTTP check's phase timings drawn as a small waterfall, so a slow phase
(DNS, connect, TLS, waiting for the first byte) is seen at a glance rather than read from numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from perspt_doctor.report.colour import SYMBOLS
from perspt_doctor.report.lines import Line

if TYPE_CHECKING:
    from perspt_doctor.report.colour import Style

WIDEST_BAR = 32
NARROWEST_BAR = 8


def phases(facts: Mapping[str, Any]) -> list[tuple[str, float, float]]:
    """(name, start ms, duration ms) in order. `dns_ms`, `connect_ms` and `tls_ms` are durations;
    `ttfb_ms` runs from the request's start (after the DNS probe), so the wait is what is left of it."""
    def number(key: str) -> float | None:
        value = facts.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else None

    out: list[tuple[str, float, float]] = []
    at = 0.0
    dns = number("dns_ms")
    if dns is not None:
        out.append(("dns", at, dns))
        at += dns
    request_start = at
    for name, key in (("connect", "connect_ms"), ("proxy tls", "proxy_tls_ms"), ("tls", "tls_ms")):
        value = number(key)
        if value is not None:
            out.append((name, at, value))
            at += value
    ttfb = number("ttfb_ms")
    if ttfb is not None:
        wait = max(request_start + ttfb - at, 0.0)
        out.append(("wait", at, wait))
    return out if len(out) >= 2 else []


def waterfall_lines(facts: Mapping[str, Any], *, indent: int, style: Style) -> list[Line]:
    rows = phases(facts)
    if not rows:
        return []
    total = max(start + length for _, start, length in rows) or 1.0
    room = (style.width or 120) - indent - 9 - 10
    bar_width = max(NARROWEST_BAR, min(WIDEST_BAR, room))
    block = "█" if style.symbols is SYMBOLS else "#"
    out = []
    for name, start, length in rows:
        offset = min(int(start / total * bar_width), bar_width - 1)
        size = max(1, min(round(length / total * bar_width), bar_width - offset))
        bar = " " * offset + block * size + " " * (bar_width - offset - size)
        out.append(Line.text(f"{name:<9}{bar} {length:7.0f} ms", "dim", indent=indent))
    return out
