"""The outputs of `perspt triage`, written as the reports stream past: each report's part is written
as soon as it is read, the tables and the skipped files at the end; what is printed is the same as
if all reports had been held.

A writer's `render` makes a report's part of the output where the report is read (a worker
process, see `report.triage_stream`), redacted there, and for the outputs written as they come without
what a terminal would act on (`printable`) there too; the writer writes the batches of that text as
they come (`write_clean`) and redacts and cleans what it makes itself (tables, skipped files: `write`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import IO, Protocol

from perspt_doctor.report.triage import ReportSummary, Skipped, Tally, TriagedReport
from perspt_doctor.report.triage_records import records_text
from perspt_doctor.report.triage_render import report_json_text
from perspt_doctor.report.triage_stream import Batch, Render

MAX_FINDINGS_SHOWN = 5
BAR_WIDTH = 24
SPOOL_IN_MEMORY = 8 * 1024 * 1024
"""The per-report part waits, on disk past this size, until the ranking that comes first is known."""
Write = Callable[[str], None]
WriteClean = Callable[[bytes | str], None]
"""Writes text that is printable already (UTF-8 bytes, or a str)."""
_SUSPECT = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, 0xC2, 0xE2])
"""Every byte that starts the UTF-8 of a character `printable` removes: C0 but tab and line feed, DEL,
C1 (0xC2 0x80-0x9F), the bidi overrides and isolates (0xE2 ...)."""


class ReportWriter(Protocol):
    render: Render | None
    keep: bool
    """Whether the writer needs the reports' summaries (`Batch.summaries`)."""

    def reports(self, batch: Batch) -> None: ...

    def finish(self, tally: Tally, skipped: Sequence[Skipped]) -> None: ...


def make_writer(kind: str, write: Write, write_clean: WriteClean) -> ReportWriter:
    writers: dict[str, Callable[[Write, WriteClean], ReportWriter]] = {
        "json": JsonWriter, "csv": CsvWriter, "jsonl": JsonlWriter, "rich": lambda _write, _clean: RichWriter(),
        "text": lambda write, _clean: TextWriter(write)}
    return writers[kind](write, write_clean)


def printable_text(text: str) -> str:
    """`textsafe.printable(text)`, without its scan (a regex, slow on megabytes) when the text's UTF-8
    holds no byte that could start a character it removes: most reports hold none."""
    from perspt_doctor.textsafe import printable

    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        return printable(text)
    return text if len(raw.translate(None, _SUSPECT)) == len(raw) else printable(text)


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


def text_entry(summary: ReportSummary, report: TriagedReport, raw: bytes) -> str:
    """A report's lines of the plain-text output, redacted, each ending with a newline."""
    from perspt_doctor.redact import redact_lines

    return "".join(line + "\n" for line in redact_lines([*report_lines(summary), ""]))


def _as_text(data: bytes | str) -> str:
    return data.decode("utf-8") if isinstance(data, bytes) else data


def _spool() -> IO[str]:
    import tempfile

    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+", encoding="utf-8")


class TextWriter:
    """Plain text: the ranking first (for the person in a hurry), then each report's findings."""

    render: Render | None = staticmethod(text_entry)
    keep = False

    def __init__(self, write: Write) -> None:
        self._write = write
        self._reports = _spool()

    def reports(self, batch: Batch) -> None:
        self._reports.write(_as_text(batch.data))

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
    keep = True

    def __init__(self) -> None:
        from rich.console import Console

        self._console = Console()
        self._reports = _spool()

    def reports(self, batch: Batch) -> None:
        from perspt_doctor.redact import redact
        from perspt_doctor.textsafe import printable

        for report in batch.summaries:
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


def json_entry(summary: ReportSummary, report: TriagedReport, raw: bytes) -> str:
    """A report's entry of the `reports` list, after the separator that follows the entry before it."""
    return printable_text(",\n" + report_json_text(summary))


class JsonWriter:
    """One JSON document (indented by two), byte for byte what `json.dumps(..., indent=2)` of the whole
    would print, written a batch of reports at a time."""

    render: Render | None = staticmethod(json_entry)
    keep = False

    def __init__(self, write: Write, write_clean: WriteClean) -> None:
        from perspt_doctor.report.triage import SCHEMA_VERSION

        self._write = write
        self._write_clean = write_clean
        self._count = 0
        write('{\n  "schema_version": ' + json.dumps(SCHEMA_VERSION) + ',\n  "reports": [')

    def reports(self, batch: Batch) -> None:
        data = batch.data
        if self._count == 0:  # the first entry follows the list's opening bracket, not a comma
            data = b"\n" + data[2:] if isinstance(data, bytes) else "\n" + data[2:]
        self._write_clean(data)
        self._count += batch.tally.total

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


def csv_entry(summary: ReportSummary, report: TriagedReport, raw: bytes) -> str:
    from perspt_doctor.report.triage import csv_row

    return printable_text(_csv_line(csv_row(summary)))


class CsvWriter:
    """CSV, one row per report, then one per skipped file."""

    render: Render | None = staticmethod(csv_entry)
    keep = False

    def __init__(self, write: Write, write_clean: WriteClean) -> None:
        self._write = write
        self._write_clean = write_clean
        write(_csv_line(None))

    def reports(self, batch: Batch) -> None:
        self._write_clean(batch.data)

    def finish(self, tally: Tally, skipped: Sequence[Skipped]) -> None:
        from perspt_doctor.report.triage import csv_skipped_row

        self._write("".join(_csv_line(csv_skipped_row(item)) for item in skipped))


def jsonl_entry(summary: ReportSummary, report: TriagedReport, raw: bytes) -> str:
    return printable_text(records_text(report, raw))


class JsonlWriter:
    """One record per report and check (`report.triage_records`); skipped files only on stderr."""

    render: Render | None = staticmethod(jsonl_entry)
    keep = False

    def __init__(self, write: Write, write_clean: WriteClean) -> None:
        self._write_clean = write_clean

    def reports(self, batch: Batch) -> None:
        self._write_clean(batch.data)

    def finish(self, tally: Tally, skipped: Sequence[Skipped]) -> None:
        return None
