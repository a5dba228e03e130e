"""The outputs of `perspt triage`, written as the reports stream past: each report's part is written
as soon as it is read, the tables and the skipped files at the end; what is printed is the same as
if all reports had been held.

A writer's `render` makes a report's part of the output where the report is read (a worker
process, see `report.triage_stream`), redacted there; the writer writes that text as it comes and
redacts what it makes itself (tables, skipped files).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import IO, Protocol

from perspt_doctor.report.triage import (
    ReportSummary,
    Skipped,
    Tally,
    TriagedReport,
    report_json_text,
    summarize,
)
from perspt_doctor.report.triage_records import records_text

MAX_FINDINGS_SHOWN = 5
BAR_WIDTH = 24
SPOOL_IN_MEMORY = 8 * 1024 * 1024
"""The per-report part waits, on disk past this size, until the ranking that comes first is known."""
Write = Callable[[str], None]
Render = Callable[[TriagedReport, bytes], str]


class ReportWriter(Protocol):
    render: Render | None

    def report(self, report: ReportSummary) -> None: ...

    def finish(self, tally: Tally, skipped: Sequence[Skipped]) -> None: ...


def make_writer(kind: str, write: Write) -> ReportWriter:
    writers: dict[str, Callable[[Write], ReportWriter]] = {
        "json": JsonWriter, "csv": CsvWriter, "jsonl": JsonlWriter, "rich": lambda _write: RichWriter(),
        "text": TextWriter}
    return writers[kind](write)


def report_lines(report: ReportSummary) -> list[str]:
    lines = [f"{report.path}: {report.status}, perspt {report.version}, {report.os_detail}"]
    if not report.findings:
        lines.append("  no failures or warnings")
    for rank, finding in enumerate(report.findings[:MAX_FINDINGS_SHOWN], start=1):
        label = "root cause" if rank == 1 and finding.status != "warn" else finding.status
        follows = f" (follows from {finding.consequence_of})" if finding.consequence_of else ""
        lines.append(f"  {rank}. [{finding.layer}] {finding.check_id} ({label}): {finding.summary}{follows}")
        if finding.hint:
            lines.append(f"     fix: {finding.hint}")
        for command in finding.fix_commands[:3]:
            lines.append(f"     $ {command}")
        lines.append(f"     runbook: {finding.docs}")
    hidden = len(report.findings) - MAX_FINDINGS_SHOWN
    if hidden > 0:
        lines.append(f"  ... and {hidden} more (use --json for all)")
    return lines


def _table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [title, fmt.format(*header).rstrip(), fmt.format(*("-" * w for w in widths)),
            *(fmt.format(*row).rstrip() for row in rows)]


def bar(count: int, largest: int, block: str = "#") -> str:
    """A bar as long as `count` is against `largest`, at least one block for any count."""
    return block * max(1, round(BAR_WIDTH * count / largest)) if count and largest else ""


def summary_tables(tally: Tally, block: str = "#") -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]]:
    total = tally.total
    causes = tally.root_causes()
    largest = max((n for _cause, _layer, n in causes), default=0)
    return [
        ("Most common root causes", ("reports", "", "root cause", "layer"),
         [(f"{n}/{total}", bar(n, largest, block), cause, layer) for cause, layer, n in causes]),
        ("perspt versions" + (f" ({tally.behind}/{total} behind the newest release)" if tally.behind else ""),
         ("reports", "version"), [(f"{n}/{total}", v) for v, n in tally.versions()]),
        ("Platforms", ("reports", "platform"), [(f"{n}/{total}", p) for p, n in tally.platforms()]),
    ]


def text_entry(report: TriagedReport, raw: bytes) -> str:
    """A report's lines of the plain-text output, redacted, each ending with a newline."""
    from perspt_doctor.redact import redact_lines

    return "".join(line + "\n" for line in redact_lines([*report_lines(summarize(report)), ""]))


def _spool() -> IO[str]:
    import tempfile

    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+", encoding="utf-8")


class TextWriter:
    """Plain text: the ranking first (for the person in a hurry), then each report's findings."""

    render: Render | None = staticmethod(text_entry)

    def __init__(self, write: Write) -> None:
        self._write = write
        self._reports = _spool()

    def report(self, report: ReportSummary) -> None:
        self._reports.write(report.text)

    def finish(self, tally: Tally, skipped: Sequence[Skipped]) -> None:
        from perspt_doctor.redact import redact_lines

        lines: list[str] = []
        for title, header, rows in summary_tables(tally):
            lines += [*_table(title, header, rows), ""]
        if skipped:
            lines += [f"{len(skipped)} file(s) skipped (reasons on standard error)", ""]
        self._write("\n".join(redact_lines(lines)).rstrip() + "\n\n")
        self._reports.seek(0)
        for chunk in iter(lambda: self._reports.read(1 << 16), ""):
            self._write(chunk)
        self._reports.close()


class RichWriter:
    """On a terminal: the ranking first, drawn by rich with a bar per cause, then each report's lines."""

    render: Render | None = None

    def __init__(self) -> None:
        from rich.console import Console

        self._console = Console()
        self._reports = _spool()

    def report(self, report: ReportSummary) -> None:
        from perspt_doctor.redact import redact
        from perspt_doctor.textsafe import printable

        self._reports.write("".join(printable(redact(line)) + "\n" for line in report_lines(report)) + "\n")

    def finish(self, tally: Tally, skipped: Sequence[Skipped]) -> None:
        from rich.table import Table
        from rich.text import Text

        from perspt_doctor.redact import redact
        from perspt_doctor.textsafe import printable

        for title, header, rows in summary_tables(tally, block="█"):
            table = Table(title=title, title_justify="left")
            for name in header:
                table.add_column(name, style="cyan" if name == "" else None, no_wrap=name == "")
            for row in rows:
                table.add_row(*(Text(printable(redact(cell), newlines=False)) for cell in row))
            self._console.print(table)
        if skipped:
            self._console.print(Text(f"{len(skipped)} file(s) skipped (reasons above)"))
        self._console.print()
        self._reports.seek(0)
        for line in self._reports:
            self._console.print(Text(line.rstrip("\n")))
        self._reports.close()


class JsonWriter:
    """One JSON document (indented by two), byte for byte what `json.dumps(..., indent=2)` of the whole
    would print, written a report at a time."""

    render: Render | None = staticmethod(report_json_text)

    def __init__(self, write: Write) -> None:
        from perspt_doctor.report.triage import SCHEMA_VERSION

        self._write = write
        self._count = 0
        write('{\n  "schema_version": ' + json.dumps(SCHEMA_VERSION) + ',\n  "reports": [')

    def report(self, report: ReportSummary) -> None:
        self._write(("\n" if self._count == 0 else ",\n") + report.text)
        self._count += 1

    def finish(self, tally: Tally, skipped: Sequence[Skipped]) -> None:
        from perspt_doctor.redact import redact_obj
        from perspt_doctor.report.triage import skipped_json, summary_json

        parts = ["\n  ]" if self._count else "]"]
        for key, value in (("skipped", skipped_json(skipped)), ("summary", summary_json(tally))):
            text = _indented(json.dumps(redact_obj(value), indent=2, ensure_ascii=False), "  ")
            parts.append(f',\n  "{key}": ' + text[2:])
        parts.append("\n}\n")
        self._write("".join(parts))


def _indented(text: str, prefix: str) -> str:
    """Every line of `text` indented (JSON strings hold no raw newline, so lines are safe to split)."""
    return prefix + text.replace("\n", "\n" + prefix)


def _csv_line(row: dict[str, str] | None) -> str:
    """One CSV line, its values redacted (None: the header)."""
    import csv
    import io

    from perspt_doctor.redact import redact
    from perspt_doctor.report.triage import CSV_FIELDS

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_FIELDS), lineterminator="\n")
    if row is None:
        writer.writeheader()
    else:
        writer.writerow({key: redact(value) for key, value in row.items()})
    return buffer.getvalue()


def csv_entry(report: TriagedReport, raw: bytes) -> str:
    from perspt_doctor.report.triage import csv_row

    return _csv_line(csv_row(summarize(report)))


class CsvWriter:
    """CSV, one row per report, then one per skipped file."""

    render: Render | None = staticmethod(csv_entry)

    def __init__(self, write: Write) -> None:
        self._write = write
        write(_csv_line(None))

    def report(self, report: ReportSummary) -> None:
        self._write(report.text)

    def finish(self, tally: Tally, skipped: Sequence[Skipped]) -> None:
        from perspt_doctor.report.triage import csv_skipped_row

        self._write("".join(_csv_line(csv_skipped_row(item)) for item in skipped))


class JsonlWriter:
    """One record per report and check (`report.triage_records`); skipped files only on stderr."""

    render: Render | None = staticmethod(records_text)

    def __init__(self, write: Write) -> None:
        self._write = write

    def report(self, report: ReportSummary) -> None:
        self._write(report.text)

    def finish(self, tally: Tally, skipped: Sequence[Skipped]) -> None:
        return None
