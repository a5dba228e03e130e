"""The terminal report.

The default view puts what needs attention first: each problem with its details, hint, fix and the
`perspt explain` command that shows its docs, then one line naming the categories that passed, then at
most three lines that summarise the skipped checks by reason. `--verbose` shows every row, grouped by
category, as the JSON has them.

On a terminal the text is wrapped to its width with a hanging indent, so no word is cut at the edge;
colour follows the NO_COLOR / FORCE_COLOR conventions (`perspt_doctor/report/colour.py`). Off a terminal
each row stays one line, with status words instead of symbols, for grep.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO

from perspt_doctor.engine.check_model import Status
from perspt_doctor.engine.outcome import DoctorRun, Outcome
from perspt_doctor.report.colour import Style, choose_style
from perspt_doctor.report.explain import explain_command
from perspt_doctor.report.lines import Line, print_lines

__all__ = ["Style", "build_lines", "choose_style", "list_checks", "render"]

STYLES = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red", Status.SKIP: "dim",
          Status.ERROR: "bold magenta"}
SEVERITY = (Status.FAIL, Status.ERROR, Status.WARN)
"""The order problems are shown in: what breaks the client first."""
MAX_SKIP_LINES = 3


def render(run: DoctorRun, *, verbose: bool = False, stream: IO[str] | None = None,
           style: Style | None = None, diff_lines: Sequence[str] | None = None, diff_baseline: str | None = None) -> None:
    stream = stream or sys.stdout
    style = style or choose_style(stream)
    lines = build_lines(run, verbose=verbose, style=style, diff_lines=diff_lines, diff_baseline=diff_baseline)
    print_lines(lines, stream, style)


def build_lines(run: DoctorRun, *, verbose: bool, style: Style, diff_lines: Sequence[str] | None = None,
                diff_baseline: str | None = None) -> list[Line]:
    """The report as logical lines (each may wrap on a terminal). Redacted when printed."""
    lines = [_header(run, style)]
    lines.extend(_diff(diff_lines, diff_baseline))
    lines.append(Line.blank())
    if verbose:
        lines.extend(_every_row(run, style))
    else:
        lines.extend(_attention_first(run, style))
    lines.append(Line.blank())
    lines.extend(_footer(run))
    return lines


def _header(run: DoctorRun, style: Style) -> Line:
    from perspt_doctor._version import __version__

    header = f"perspt doctor {__version__}"
    if run.offline:
        header += " (offline)"
    if run.providers:
        header += f" {style.separator} providers: {', '.join(run.providers)}"
    return Line.text(header, "bold")


def _diff(diff_lines: Sequence[str] | None, baseline: str | None) -> list[Line]:
    """What changed since the last good run, right under the header: it is what the user came for."""
    if diff_lines is None:
        return []
    if baseline is None:
        return [Line.text("Changes: no earlier run without failures to compare with (runs are kept in the "
                          "state dir; see `perspt config path`).")]
    if not diff_lines:
        return [Line.text(f"Changes since the last run without failures ({baseline}): none.")]
    out = [Line.text(f"Changes since the last run without failures ({baseline}):", "bold")]
    out.extend(Line.text(change, indent=2) for change in diff_lines)
    return out


# ---- the default view ------------------------------------------------------------------------

def _attention_first(run: DoctorRun, style: Style) -> list[Line]:
    problems = sorted((o for o in run.outcomes if o.counts_as_problem),
                      key=lambda o: SEVERITY.index(o.status))
    width = max((len(o.id) for o in problems), default=0)
    out: list[Line] = []
    for outcome in problems:
        out.extend(_row(outcome, style, width, verbose=False))
    if problems:
        out.append(Line.blank())
    out.extend(_passed_line(run, style))
    out.extend(_skipped_lines(run, style))
    return out


def _passed_line(run: DoctorRun, style: Style) -> list[Line]:
    """One line for everything that passed: the count, and the categories in which nothing is wrong."""
    passed = [o for o in run.outcomes if o.status is Status.OK and not o.suppressed]
    if not passed:
        return []
    troubled = {o.check.category for o in run.outcomes if o.counts_as_problem}
    clean: list[str] = []
    for outcome in passed:
        category = outcome.check.category
        if category not in troubled and category not in clean:
            clean.append(category)
    noun = "check passed" if len(passed) == 1 else "checks passed"
    text = f"{len(passed)} {noun}" + (f": {', '.join(clean)}" if clean else "")
    return [_marked(Status.OK, style, text)]


def _skipped_lines(run: DoctorRun, style: Style) -> list[Line]:
    """Skipped checks, one line per reason, at most three lines; every id is in --verbose and the JSON."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in run.outcomes:
        if outcome.status is Status.SKIP and not outcome.suppressed:
            reason = f"blocked by {outcome.blocked_by}" if outcome.blocked_by else outcome.result.summary
            groups.setdefault(reason, []).append(outcome)
    if not groups:
        return []
    ranked = sorted(groups.items(), key=lambda item: -len(item[1]))
    shown = ranked if len(ranked) <= MAX_SKIP_LINES else ranked[:MAX_SKIP_LINES - 1]
    out = []
    for reason, members in shown:
        text = f"{len(members)} skipped: {reason}"
        room = style.width - len(text) - 6 if style.width else None
        names = _fitting_names(members, run, room=room)
        out.append(_marked(Status.SKIP, style, text, names=names))
    rest = ranked[len(shown):]
    if rest:
        count = sum(len(members) for _, members in rest)
        out.append(_marked(Status.SKIP, style, f"{count} more skipped for {len(rest)} other reasons "
                                               "(--verbose lists every check)"))
    return out


def _fitting_names(members: list[Outcome], run: DoctorRun, *, room: int | None) -> str:
    """The skipped checks in few words: `ollama.*` for a category skipped whole, the ids otherwise. On a
    terminal, nothing if that does not fit in `room` columns (--verbose names them); off a terminal always,
    so that every id can be found with grep."""
    ids_by_category: dict[str, list[str]] = {}
    for outcome in members:
        ids_by_category.setdefault(outcome.check.category, []).append(outcome.id)
    names: list[str] = []
    for category, ids in ids_by_category.items():
        size = sum(1 for o in run.outcomes if o.check.category == category)
        names.extend([f"{category}.*"] if len(ids) > 1 and len(ids) == size else ids)
    text = ", ".join(names)
    return text if room is None or len(text) <= room else ""


def _marked(status: Status, style: Style, text: str, *, names: str = "") -> Line:
    mark = style.symbols[status]
    line = Line.row(indent=0, mark=mark, mark_style=STYLES[status] if style.colour else "", label="", body=text)
    if names:
        line = line.with_tail(f" ({names})", "dim")
    return line


# ---- every row, by category (--verbose) ------------------------------------------------------

def _every_row(run: DoctorRun, style: Style) -> list[Line]:
    out: list[Line] = []
    width = max((len(o.id) for o in run.outcomes), default=10)
    category = None
    for outcome in run.outcomes:
        if outcome.check.category != category:
            category = outcome.check.category
            if out:
                out.append(Line.blank())
            out.append(Line.text(category, "bold underline"))
        out.extend(_row(outcome, style, width, verbose=True))
    return out


def _row(outcome: Outcome, style: Style, width: int, *, verbose: bool) -> list[Line]:
    result = outcome.result
    status = result.status
    summary = result.summary + (" (suppressed)" if outcome.suppressed else "")
    row = Line.row(indent=2, mark=style.symbols[status], mark_style=STYLES[status] if style.colour else "",
                   label=outcome.id.ljust(width), body=summary)
    if verbose:
        row = row.with_tail(f"  [{outcome.duration_ms} ms]", "dim")
    out = [row]
    indent = 4 + len(style.symbols[status])
    problem = outcome.counts_as_problem
    if problem or verbose:
        out.extend(Line.text(detail, indent=indent) for detail in result.details)
    if problem:
        if result.hint:
            out.append(Line.labelled("hint:", result.hint, indent=indent))
        for command in result.commands():
            out.append(Line.labelled("fix: ", "$ " + command, indent=indent, body_style="bold"))
        docs = result.docs or outcome.check.docs
        if docs:
            explain = explain_command(docs)
            out.append(Line.labelled("docs:", "$ " + explain, indent=indent, body_style="bold") if explain
                       else Line.labelled("docs:", docs, indent=indent))
    if verbose:
        from perspt_doctor.report.waterfall import waterfall_lines

        out.extend(waterfall_lines(result.facts, indent=indent, style=style))
        facts = outcome.public_facts if result.facts else {}
        for key, value in facts.items() if isinstance(facts, dict) else ():
            out.append(Line.labelled(f"{key}:", _fact_text(value), indent=indent, label_style="dim"))
    return out


def _fact_text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "(none)"
    return str(value)


# ---- the end ---------------------------------------------------------------------------------

def _footer(run: DoctorRun) -> list[Line]:
    counts = run.counts
    parts = [f"{counts['ok']} ok", _plural(counts["warn"], "warning"), _plural(counts["fail"], "failure"),
             f"{counts['skip']} skipped", _plural(counts["error"], "error")]
    line = "Summary: " + ", ".join(parts)
    if run.suppressed_count:
        line += f", {run.suppressed_count} suppressed"
    line += f" ({run.duration_ms / 1000:.2f} s)"
    colour = {"ok": "green", "warn": "yellow", "fail": "bold red", "error": "bold magenta"}[run.summary_status]
    out = [Line.text(line, colour)]
    if run.suppressed_count:
        where = run.config_path or "the config file"
        out.append(Line.text(f"{run.suppressed_count} suppressed by doctor.suppress "
                             f"({', '.join(run.suppress_patterns)}) in {where}: remove those patterns to see "
                             "them again, or use --verbose to list them."))
    checked = counts["ok"] + counts["warn"] + counts["fail"] + counts["error"]
    if not run.outcomes:
        out.append(Line.text("Nothing was checked: no check was selected (see --only and --skip)."))
    elif not checked:
        out.append(Line.text("Nothing was checked: every selected check was skipped (see the reasons above)."))
    elif run.summary_status == "ok":
        out.append(Line.text("No problems found."))
    elif counts["error"] and not counts["fail"]:
        out.append(Line.text("Some checks could not finish (see the error rows); the rest found no failure."))
    return out


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def list_checks(rows: Sequence[tuple[str, str, str, str]], stream: IO[str] | None = None) -> None:
    """`--list-checks`: id, category, origin, title; plain text (it is for grepping)."""
    from perspt_doctor.redact import redact
    from perspt_doctor.textsafe import printable

    stream = stream or sys.stdout
    width = max((len(r[0]) for r in rows), default=10)
    for check_id, category, origin, title in rows:
        stream.write(printable(redact(f"{check_id.ljust(width)}  {category:<9}  {title}  [{origin}]"),
                               newlines=False) + "\n")
    stream.flush()
