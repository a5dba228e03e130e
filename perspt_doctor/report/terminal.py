"""The terminal report: grouped by category, one row per check, each problem's hint, fix commands and
docs link, then a summary line. Colour and symbols (rich) on a capable TTY; otherwise plain,
greppable text with status words, no spinner, no boxes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from perspt_doctor.engine.model import Status
from perspt_doctor.engine.outcome import DoctorRun, Outcome

WORDS = {Status.OK: "[ ok ]", Status.WARN: "[warn]", Status.FAIL: "[FAIL]", Status.SKIP: "[skip]",
         Status.ERROR: "[ERR ]"}
SYMBOLS = {Status.OK: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "–", Status.ERROR: "☠"}
ASCII_SYMBOLS = {Status.OK: "+", Status.WARN: "!", Status.FAIL: "x", Status.SKIP: "-", Status.ERROR: "E"}
STYLES = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red", Status.SKIP: "dim",
          Status.ERROR: "bold magenta"}


@dataclass(frozen=True)
class Style:
    rich: bool
    symbols: dict[Status, str]
    separator: str = "·"


def choose_style(stream: IO[str], env: dict[str, str] | None = None) -> Style:
    """Rich only on a TTY without NO_COLOR and with a real TERM; symbols only if the encoding has them."""
    environ = os.environ if env is None else env
    tty = _isatty(stream)
    plain = (not tty) or "NO_COLOR" in environ or environ.get("TERM", "") == "dumb"
    separator = "·" if can_encode(stream, "·") else "-"
    if plain:
        return Style(False, WORDS, separator)
    fancy = can_encode(stream, "".join(SYMBOLS.values()) + "…")
    return Style(True, SYMBOLS if fancy else ASCII_SYMBOLS, separator)


def can_encode(stream: IO[str], text: str) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def render(run: DoctorRun, *, verbose: bool = False, stream: IO[str] | None = None,
           style: Style | None = None, diff_lines: Sequence[str] | None = None, diff_baseline: str | None = None) -> None:
    stream = stream or sys.stdout
    style = style or choose_style(stream)
    lines = build_lines(run, verbose=verbose, style=style, diff_lines=diff_lines, diff_baseline=diff_baseline)
    if style.rich:
        from rich.console import Console

        console = Console(file=stream, highlight=False, soft_wrap=True, emoji=False)
        for markup in lines:
            console.print(markup)
    else:
        for text in lines:
            stream.write(text + "\n")
        stream.flush()


def build_lines(run: DoctorRun, *, verbose: bool, style: Style, diff_lines: Sequence[str] | None = None,
                diff_baseline: str | None = None) -> list[str]:
    """The report as lines: rich markup when `style.rich`, plain text otherwise. Redacted."""
    from perspt_doctor._version import __version__
    from perspt_doctor.redact import redact

    def esc(text: str) -> str:
        text = redact(text)
        if style.rich:
            from rich.markup import escape

            return escape(text)
        return text

    def paint(text: str, colour: str) -> str:
        return f"[{colour}]{text}[/]" if style.rich else text

    header = f"perspt doctor {__version__}"
    if run.offline:
        header += " (offline)"
    if run.providers:
        header += f" {style.separator} providers: {', '.join(run.providers)}"
    lines = [paint(esc(header), "bold"), ""]
    shown = [o for o in run.outcomes if verbose or not o.suppressed]
    width = max((len(o.id) for o in shown), default=10)
    category = None
    for group in _groups(shown, verbose):
        outcome = group[0]
        if outcome.check.category != category:
            category = outcome.check.category
            if len(lines) > 2:
                lines.append("")
            lines.append(paint(esc(category), "bold underline"))
        if len(group) == 1:
            lines.extend(_row_lines(outcome, verbose, style, width, esc, paint))
        else:
            mark = style.symbols[Status.SKIP]
            mark = paint(esc(mark), STYLES[Status.SKIP]) if style.rich else mark
            ids = ", ".join(o.id for o in group)
            lines.append(f"  {mark} {esc(ids.ljust(width))}  {esc(outcome.result.summary)}")
    lines.append("")
    lines.extend(_footer(run, style, esc, paint))
    if diff_lines is not None:
        lines.append("")
        if diff_baseline is None:
            lines.append(esc("Changes: no earlier run without failures to compare with (runs are kept in "
                             "the state dir; see `perspt config path`)."))
        elif not diff_lines:
            lines.append(esc(f"Changes since the last run without failures ({diff_baseline}): none."))
        else:
            lines.append(paint(esc(f"Changes since the last run without failures ({diff_baseline}):"), "bold"))
            lines.extend("  " + esc(line) for line in diff_lines)
    return lines


def _groups(outcomes: list[Outcome], verbose: bool) -> list[list[Outcome]]:
    """Rows in report order; without --verbose, neighbouring skips of one category that give the same
    reason (\"Ollama is not in use\") share one line that names every id, so the report stays short and
    every id stays greppable. Skips blocked by a failed check keep their own rows."""
    groups: list[list[Outcome]] = []
    for outcome in outcomes:
        last = groups[-1][-1] if groups else None
        if (not verbose and last is not None and outcome.status is Status.SKIP and last.status is Status.SKIP
                and not outcome.blocked_by and not last.blocked_by and not outcome.suppressed
                and not last.suppressed and outcome.check.category == last.check.category
                and outcome.result.summary == last.result.summary):
            groups[-1].append(outcome)
        else:
            groups.append([outcome])
    return groups


def _row_lines(outcome: Outcome, verbose: bool, style: Style, width: int, esc: Any, paint: Any) -> list[str]:
    result = outcome.result
    status = result.status
    mark = style.symbols[status]
    if style.rich:
        mark = paint(esc(mark), STYLES[status])
    summary = esc(result.summary)
    if outcome.suppressed:
        summary += " (suppressed)"
    label = esc(outcome.id.ljust(width))
    row = f"  {mark} {label}  {summary}"
    if verbose:
        row += paint(f"  [{outcome.duration_ms} ms]", "dim")
    out = [row]
    indent = " " * (4 + (len(style.symbols[status]) if not style.rich else 1))
    problem = status in (Status.WARN, Status.FAIL, Status.ERROR) and not outcome.suppressed
    if problem or verbose:
        for detail in result.details:
            out.append(f"{indent}{esc(detail)}")
    if problem:
        if result.hint:
            out.append(f"{indent}{paint('hint:', 'cyan')} {esc(result.hint)}")
        for command in result.fix_commands:
            out.append(f"{indent}{paint('fix:', 'cyan')}  {paint(esc('$ ' + command), 'bold')}")
        docs = result.docs or outcome.check.docs
        if docs:
            out.append(f"{indent}{paint('docs:', 'cyan')} {esc(docs)}")
    if verbose and result.facts:
        for key, value in result.facts.items():
            out.append(f"{indent}{paint(esc(str(key)) + ':', 'dim')} {esc(_fact_text(value))}")
    return out


def _fact_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "(none)"
    return str(value)


def _footer(run: DoctorRun, style: Style, esc: Any, paint: Any) -> list[str]:
    counts = run.counts
    parts = [f"{counts['ok']} ok", _plural(counts["warn"], "warning"), _plural(counts["fail"], "failure"),
             f"{counts['skip']} skipped", _plural(counts["error"], "error")]
    line = "Summary: " + ", ".join(parts)
    if run.suppressed_count:
        line += f", {run.suppressed_count} suppressed"
    line += f" ({run.duration_ms / 1000:.2f} s)"
    colour = {"ok": "green", "warn": "yellow", "fail": "bold red", "error": "bold magenta"}[run.summary_status]
    out = [paint(esc(line), colour)]
    if run.suppressed_count:
        where = run.config_path or "the config file"
        out.append(esc(f"{run.suppressed_count} suppressed by doctor.suppress ({', '.join(run.suppress_patterns)}) "
                       f"in {where}: remove those patterns to see them again, or use --verbose to list them."))
    if run.summary_status == "ok":
        out.append(esc("No problems found."))
    elif counts["error"] and not counts["fail"]:
        out.append(esc("Some checks could not finish (see the error rows); the rest found no failure."))
    return out


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def list_checks(rows: Sequence[tuple[str, str, str, str]], stream: IO[str] | None = None) -> None:
    """`--list-checks`: id, category, origin, title; plain text (it is for grepping)."""
    from perspt_doctor.redact import redact

    stream = stream or sys.stdout
    width = max((len(r[0]) for r in rows), default=10)
    for check_id, category, origin, title in rows:
        stream.write(redact(f"{check_id.ljust(width)}  {category:<9}  {title}  [{origin}]") + "\n")
    stream.flush()
