"""`perspt triage FILE...`: for support staff. Ranks each report's root causes (earliest failing
layer first) and counts causes, versions and platforms across all of them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from perspt_doctor.cli.errors import echo

if TYPE_CHECKING:
    from perspt_doctor.report.triage import Triage, TriagedReport

MAX_FINDINGS_SHOWN = 5


@click.command("triage", help="Read users' reports (Markdown from `perspt report`, or `perspt doctor --json` output) "
                              "and rank their root causes, earliest failing layer first.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV, one row per report.")
def triage(files: tuple[Path, ...], as_json: bool, as_csv: bool) -> None:
    from perspt_doctor.report.triage import triage_files

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    result = triage_files(_expand(files))
    for skipped in result.skipped:
        _err(f"skipped {skipped.path}: {skipped.reason}")
    if as_json:
        _out(json.dumps(_redacted_json(result), indent=2, ensure_ascii=False))
    elif as_csv:
        _out(_csv_text(result), newline=False)
    elif sys.stdout.isatty():
        _rich_tables(result)
    else:
        _out(plain_text(result))
    raise SystemExit(0 if result.reports else 1)


def _expand(files: tuple[Path, ...]) -> list[Path]:
    """A directory stands for the reports in it (*.md and *.json), sorted by name."""
    out: list[Path] = []
    for path in files:
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.suffix in (".md", ".json") and p.is_file()))
        else:
            out.append(path)
    return out


def _redacted_json(result: Triage) -> object:
    from perspt_doctor.redact import redact_obj
    from perspt_doctor.report.triage import to_json

    return redact_obj(to_json(result))


def _csv_text(result: Triage) -> str:
    import csv
    import io

    from perspt_doctor.redact import redact
    from perspt_doctor.report.triage import CSV_FIELDS, csv_rows

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_FIELDS), lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(result):
        writer.writerow({key: redact(value) for key, value in row.items()})
    return buffer.getvalue()


def _report_lines(report: TriagedReport) -> list[str]:
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


def summary_tables(result: Triage) -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]]:
    total = len(result.reports)
    return [
        ("Most common root causes", ("reports", "root cause", "layer"),
         [(f"{n}/{total}", cause, layer) for cause, layer, n in result.root_causes()]),
        ("perspt versions", ("reports", "version"), [(f"{n}/{total}", v) for v, n in result.versions()]),
        ("Platforms", ("reports", "platform"), [(f"{n}/{total}", p) for p, n in result.platforms()]),
    ]


def plain_text(result: Triage) -> str:
    lines: list[str] = []
    for report in result.reports:
        lines += [*_report_lines(report), ""]
    for title, header, rows in summary_tables(result):
        lines += [*_table(title, header, rows), ""]
    if result.skipped:
        lines.append(f"{len(result.skipped)} file(s) skipped (reasons on standard error)")
    from perspt_doctor.redact import redact_lines

    return "\n".join(redact_lines(lines)).rstrip() + "\n"


def _rich_tables(result: Triage) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from perspt_doctor.redact import redact

    console = Console()
    for report in result.reports:
        for line in _report_lines(report):
            console.print(Text(redact(line)))
        console.print()
    for title, header, rows in summary_tables(result):
        table = Table(title=title, title_justify="left")
        for name in header:
            table.add_column(name)
        for row in rows:
            table.add_row(*(Text(redact(cell)) for cell in row))
        console.print(table)
    if result.skipped:
        console.print(Text(f"{len(result.skipped)} file(s) skipped (reasons above)"))


def _out(text: str, newline: bool = True) -> None:
    from perspt_doctor.redact import redact

    sys.stdout.write(redact(text) + ("\n" if newline else ""))


def _err(line: str) -> None:
    echo(line, err=True)
