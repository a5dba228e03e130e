"""`perspt triage FILE...`: for support staff. Ranks each report's root causes (earliest failing
layer first) and counts causes, versions and platforms across all of them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from perspt_doctor.cli.errors import echo
from perspt_doctor.errors import ExitCode

if TYPE_CHECKING:
    from perspt_doctor.cli.triage_output import ReportWriter


@click.command("triage", help="Read users' reports (Markdown from `perspt report`, or `perspt doctor --json` output) "
                              "and rank their root causes, earliest failing layer first.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV, one row per report.")
@click.option("--jsonl", "as_jsonl", is_flag=True,
              help="Print JSON lines, one record per report and check (schema in docs/support.md).")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes that read the reports (default: one per CPU).")
def triage(files: tuple[Path, ...], as_json: bool, as_csv: bool, as_jsonl: bool, jobs: int | None) -> None:
    from perspt_doctor.report.triage import Skipped, Tally
    from perspt_doctor.report.triage_stream import iter_reports

    if as_json + as_csv + as_jsonl > 1:
        raise click.UsageError("choose one of --json, --csv and --jsonl")
    tally, skipped = Tally(), []
    writer = _writer("json" if as_json else "csv" if as_csv else "jsonl" if as_jsonl
                     else "rich" if sys.stdout.isatty() else "text")
    for item in iter_reports(_expand(files), jobs=jobs, render=writer.render):
        if isinstance(item, Skipped):
            skipped.append(item)
            _err(f"skipped {item.path}: {item.reason}")
        else:
            tally.add(item)
            writer.report(item)
    writer.finish(tally, skipped)
    raise SystemExit(ExitCode.OK if tally.total else ExitCode.FAILURE)


def _writer(kind: str) -> ReportWriter:
    from perspt_doctor.cli import triage_output

    return triage_output.make_writer(kind, _out)


def _expand(files: tuple[Path, ...]) -> Iterator[Path]:
    """A directory stands for the reports in it (*.md and *.json), sorted by name."""
    for path in files:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix in (".md", ".json") and p.is_file())
        else:
            yield path


def _out(text: str) -> None:
    """Writes text the writers have redacted already, without the control sequences a user's report
    may carry (they must not drive the support person's terminal)."""
    from perspt_doctor.textsafe import printable

    sys.stdout.write(printable(text))


def _err(line: str) -> None:
    echo(line, err=True)
