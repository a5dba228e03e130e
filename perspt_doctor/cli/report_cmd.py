"""`perspt report`: run the doctor, then write a sanitized Markdown issue report (and, with
--bundle, a zip with the doctor's JSON and a log excerpt). `perspt doctor --report` calls
`write_report` with the document of the run it just made."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from perspt_doctor.cli import complete
from perspt_doctor.cli.app_context import AppContext, config_option, pass_app
from perspt_doctor.cli.errors import echo
from perspt_doctor.cli.params import SECONDS
from perspt_doctor.errors import ExitCode, UsageError, UserError

ISSUES_HINT = "replace every <fill in>, read it through once more, then attach it to your issue"


@click.command("report", help="Write a sanitized Markdown issue report: environment, configuration, recent "
                              "errors and the doctor's results, with every secret removed.")
@click.option("-o", "--output", metavar="FILE", help="Write the report here (`-` for standard output). Default: "
              "standard output when it is not a terminal, else ./perspt-report-<time>.md.")
@click.option("--bundle", metavar="FILE.zip", help="Also write a zip with the report, doctor.json and a log excerpt.")
@click.option("--from-json", "from_json", metavar="FILE", type=click.Path(dir_okay=False),
              help="Use the saved output of `perspt doctor --json` instead of running the checks now.")
@click.option("--provider", "providers", metavar="ID", multiple=True, shell_complete=complete.providers, help="Check this provider (repeatable).")
@click.option("--offline", is_flag=True, help="Skip checks that need the network (loopback still allowed).")
@click.option("--timeout", type=SECONDS, metavar="SECONDS", help="Time budget for the doctor run.")
@click.option("-y", "--yes", "assume_yes", is_flag=True, help="Write without the preview and the question.")
@config_option
@pass_app
def report(app: AppContext, output: str | None, bundle: str | None, from_json: str | None,
           providers: tuple[str, ...], offline: bool, timeout: float | None, assume_yes: bool) -> None:
    if from_json:
        document = read_document(Path(from_json))
    else:
        document = run_doctor_document(app, providers=providers, offline=offline, timeout=timeout)
    raise SystemExit(write_report(app, document, output, bundle, assume_yes))


def read_document(path: Path) -> dict[str, Any]:
    from perspt_doctor.report.triage import ReportFormatError, load_report

    try:
        return load_report(path).document
    except ReportFormatError as exc:
        raise UsageError(f"{path}: {exc}", hint="pass the output of `perspt doctor --json`") from None


def run_doctor_document(app: AppContext, *, providers: tuple[str, ...] = (), offline: bool = False,
                        timeout: float | None = None) -> dict[str, Any]:
    """Run every check once, through the engine, and return the doctor's JSON document."""
    import contextlib

    from perspt_doctor import catalog, paths
    from perspt_doctor.engine.runner import DoctorOptions, UnknownPattern, run_doctor
    from perspt_doctor.report.json_doc import to_document

    canonical = tuple(catalog.resolve_provider(name, "command line") for name in providers)
    app.file_logging = False
    settings, _error = app.settings_despite_config_error()  # the report states the config problem itself
    options = DoctorOptions(providers=canonical, offline=offline,
                            timeout=timeout, user_checks_dir=paths.checks_dir())
    try:
        with contextlib.redirect_stdout(sys.stderr):
            run = run_doctor(settings, options)
    except UnknownPattern as exc:
        raise UsageError(f"no check matches {exc}") from None
    return to_document(run)


def write_report(app: AppContext, document: Mapping[str, Any], output: str | None, bundle: str | None,
                 assume_yes: bool) -> int:
    """Build the report from `document`, scan it, preview it on a terminal, write it. Returns the exit code."""
    from perspt_doctor.report.bundle import REPORT_NAME, bundle_members
    from perspt_doctor.report.markdown import build_report

    context, log_path = gather_context(app)
    text = build_report(document, context)
    members = bundle_members(text, document, log_path) if bundle else {REPORT_NAME: text}
    return deliver(members, output, bundle, assume_yes)


def gather_context(app: AppContext) -> tuple[Any, Path]:
    from perspt_doctor import paths
    from perspt_doctor.report.report_context import gather
    from perspt_doctor.settings.diagnostics import ConfigError

    settings, error = app.settings_despite_config_error()  # a broken file's readable values still count
    problem = str(error) if isinstance(error, ConfigError) else None
    config_path: Path | None = None
    if problem and settings.config is None and not app.flags.no_config:
        config_path = paths.locate_config(app.flags.config).path
    log_path = paths.log_file()
    debug_log = settings.get("debug.log_file")
    if isinstance(debug_log, str) and debug_log:
        log_path = Path(debug_log).expanduser()
    context = gather(settings, os.environ, config_path=config_path, config_problem=problem, log_path=log_path)
    return context, log_path


def deliver(members: Mapping[str, str], output: str | None, bundle: str | None, assume_yes: bool) -> int:
    """The last steps: final scan of every member (what it finds is removed and named), preview and consent
    on a terminal, atomic writes."""
    from perspt_doctor import fsutil, redact
    from perspt_doctor.report.bundle import REPORT_NAME, final_scan, zip_bytes
    from perspt_doctor.textsafe import printable

    members, hits = final_scan({name: printable(text) for name, text in members.items()})
    text = members[REPORT_NAME]
    for hit in hits[:20]:
        _err(f"  {hit.describe()}")
    if hits:
        _err(f"Note: the final scan removed {len(hits)} more secret-looking value(s) that the first redaction pass "
             "missed (listed above); what is written has [REDACTED] in their place. This is a redaction bug in "
             "perspt: please report it, without attaching these files.")
    to_stdout = output == "-" or (output is None and not sys.stdout.isatty())
    target = None if to_stdout else Path(output or f"perspt-report-{time.strftime('%Y%m%d-%H%M%S')}.md")
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not assume_yes
    if interactive and not _consent(text, target, bundle):
        _err("Nothing was written.")
        return ExitCode.FAILURE
    try:
        if target is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
        else:
            # The user chose this file (and saw the preview): replacing it needs no backup beside it.
            fsutil.atomic_write(target, text, mode=fsutil.PRIVATE_MODE, backup=False, user_named=True)
            _err(f"Wrote {redact.redact(str(target))}: {ISSUES_HINT}.")
        if bundle:
            fsutil.atomic_write(Path(bundle), zip_bytes(members), mode=fsutil.PRIVATE_MODE, backup=False,
                                  user_named=True)
            _err(f"Wrote {redact.redact(bundle)} ({', '.join(members)}).")
    except OSError as exc:
        raise UserError(f"cannot write {exc.filename or output}: {exc.strerror or exc}") from None
    return ExitCode.OK


def _consent(text: str, target: Path | None, bundle: str | None) -> bool:
    """A short preview (the summary and the failing checks), the whole text in a pager on request,
    then yes or no."""
    from perspt_doctor.report.markdown import preview

    echo(preview(text))
    where = ", ".join(str(p) for p in (target or "standard output", bundle) if p)
    if target is not None and target.exists():
        where += " (replacing the file there)"
    while True:
        answer = click.prompt(f"Write it to {where}? [Y]es, [n]o, [v]iew it all", default="y",
                              show_default=False, type=click.Choice(["y", "n", "v", "yes", "no", "view"],
                                                                    case_sensitive=False), show_choices=False)
        if answer.lower().startswith("v"):
            click.echo_via_pager(text)
            continue
        return answer.lower().startswith("y")


def _err(line: str) -> None:
    echo(line, err=True)
