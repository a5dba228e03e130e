"""`perspt triage FILE...`: for support staff. Ranks each report's root causes (earliest failing
layer first) and counts causes, versions and platforms across all of them."""

from __future__ import annotations

import os
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
    from perspt_doctor.report.triage_stream import iter_batches

    if as_json + as_csv + as_jsonl > 1:
        raise click.UsageError("choose one of --json, --csv and --jsonl")
    tally, skipped = Tally(), []
    writer = _writer("json" if as_json else "csv" if as_csv else "jsonl" if as_jsonl
                     else "rich" if sys.stdout.isatty() else "text")
    for item in iter_batches(_expand(files), jobs=jobs, render=writer.render, keep=writer.keep):
        if isinstance(item, Skipped):
            skipped.append(item)
            _err(f"skipped {item.path}: {item.reason}")
        else:
            tally.merge(item.tally)
            writer.reports(item)
    writer.finish(tally, skipped)
    raise SystemExit(ExitCode.OK if tally.total else ExitCode.FAILURE)


def _writer(kind: str) -> ReportWriter:
    from perspt_doctor.cli import triage_output

    return triage_output.make_writer(kind, _out, _out_clean)


def _expand(files: tuple[Path, ...]) -> Iterator[str]:
    """A directory stands for the reports in it (*.md and *.json), sorted by name: the names of a
    fleet's directory, held as strings (a `Path` each would cost several times the memory and time)."""
    for path in files:
        if path.is_dir():
            prefix = "" if str(path) == "." else os.path.join(str(path), "")  # as `path / name` writes it
            with os.scandir(path) as entries:
                names = sorted(entry.name for entry in entries if _suffix(entry.name) in (".md", ".json")
                               and entry.is_file())
            for name in names:
                yield prefix + name
        else:
            yield str(path)


def _suffix(name: str) -> str:
    """`Path(name).suffix`: `.json` of `a.json`, nothing for `.json` (a hidden file) or `a.`."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _out(text: str) -> None:
    """Writes text the writers have redacted already, without the control sequences a user's report
    may carry (they must not drive the support person's terminal)."""
    from perspt_doctor.textsafe import printable

    sys.stdout.write(printable(text))


def _out_clean(data: bytes | str) -> None:
    """Writes text that is printable already (see `triage_output`): UTF-8 bytes go to the stream's
    bytes underneath when it writes UTF-8 and has no line endings to translate, as its text layer would."""
    if isinstance(data, bytes):
        if _utf8_bytes_stdout():
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            return
        data = data.decode("utf-8")
    sys.stdout.write(data)


def _utf8_bytes_stdout() -> bool:
    import codecs

    encoding = getattr(sys.stdout, "encoding", None)
    try:
        utf8 = encoding is not None and codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        utf8 = False
    return utf8 and os.linesep == "\n" and hasattr(sys.stdout, "buffer")


def _err(line: str) -> None:
    echo(line, err=True)
