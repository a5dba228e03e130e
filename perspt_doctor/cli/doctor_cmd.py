"""`perspt doctor`: run the checks, print the report (or one JSON document), keep a run record."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from perspt_doctor.cli import complete
from perspt_doctor.cli.app_context import AppContext, config_option, pass_app
from perspt_doctor.cli.params import SECONDS
from perspt_doctor.errors import UsageError
from perspt_doctor.suggest import did_you_mean

if TYPE_CHECKING:
    from perspt_doctor.engine.outcome import DoctorRun
    from perspt_doctor.engine.runner import DoctorOptions
    from perspt_doctor.settings.resolve import Settings

EPILOG = """\b
Exit codes: 0 no failure (warnings allowed), 1 a failure (or a warning with --strict),
2 usage error, 3 no failure but a check could not finish.
\b
Examples:
  perspt doctor                      everything, for the providers in use
  perspt doctor --only 'keys.*'      just the key checks
  perspt doctor --offline --json     no network, one JSON document on stdout
  perspt doctor --diff               what changed since the last good run
"""


@click.command(epilog=EPILOG, short_help="Find out why perspt does not work here, and how to fix it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout (progress goes to stderr).")
@click.option("--only", multiple=True, metavar="PATTERN", shell_complete=complete.check_patterns, help="Run only checks whose id matches (glob; repeatable).")
@click.option("--skip", multiple=True, metavar="PATTERN", shell_complete=complete.check_patterns, help="Skip checks whose id matches (glob; repeatable).")
@click.option("--list-checks", is_flag=True, help="List the checks that would run, and exit.")
@click.option("--provider", "providers", multiple=True, metavar="ID", shell_complete=complete.providers,
              help="Check this provider (repeatable; default: the ones in use).")
@click.option("--offline", is_flag=True, help="No network traffic, except to servers on this machine.")
@click.option("--timeout", type=SECONDS, metavar="SECONDS",
              help="Budget for the whole run (default: doctor.timeout, else 60).")
@click.option("-v", "--verbose", is_flag=True, help="Show details, facts and per-check times for every row.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@config_option
@click.option("--live", is_flag=True,
              help="Also run checks that send a real request to the provider (billable: uses a few tokens).")
@click.option("--checks-dir", "checks_dirs", multiple=True, metavar="DIR",
              type=click.Path(path_type=Path), help="Also load check modules (*.py) from DIR (repeatable).")
@click.option("--diff", "show_diff", is_flag=True, help="Show what changed since the last run without failures.")
@click.option("--report", "write_report", is_flag=True, help="Write a sanitized issue report (same as `perspt report`).")
@click.option("--fix", is_flag=True, help="Apply the safe fixes for the problems found.")
@click.option("--dry-run", is_flag=True, help="With --fix: show what would change, change nothing.")
@click.option("-y", "--yes", is_flag=True, help="With --fix: apply the fixes that ask first (downloads) without asking.")
@pass_app
@click.pass_context
def doctor(ctx: click.Context, app: AppContext, as_json: bool, only: tuple[str, ...], skip: tuple[str, ...],
           list_checks: bool, providers: tuple[str, ...], offline: bool, timeout: float | None, verbose: bool,
           strict: bool, live: bool, checks_dirs: tuple[Path, ...], show_diff: bool, write_report: bool,
           fix: bool, dry_run: bool, yes: bool) -> None:
    """Run independent checks on the config, keys, network path, provider and machine, and say what is
    wrong and how to fix it. A plain run changes nothing except adding its own run record."""
    if write_report:
        _invoke_report(ctx, providers=providers, offline=offline, timeout=timeout)
        return
    if dry_run and not fix:
        raise click.UsageError("--dry-run only makes sense with --fix")
    if yes and not fix:
        raise click.UsageError("--yes only makes sense with --fix")
    if fix:
        _fixes_module()
    app.file_logging = False
    verbose = verbose or app.verbose
    _warm_keyring()
    settings = _settings(app)
    options = _options(settings, only, skip, providers, offline, timeout, verbose or False, live, checks_dirs)
    if list_checks:
        _list(settings, options, as_json)
        return
    with _report_stream() as out:
        run = _run(settings, options, as_json)
        code = _finish(settings, run, as_json=as_json, verbose=verbose, strict=strict, show_diff=show_diff,
                       out=out)
        if fix:
            code = int(_fixes_module().apply_fixes(run, settings, options, dry_run=dry_run, assume_yes=yes,
                                                   confirm=_confirm, out=sys.stderr if as_json else out,
                                                   strict=strict))
    ctx.exit(code)


def _warm_keyring() -> None:
    """Start the keyring's backend detection (slow: it probes every backend, some via subprocesses)
    in the background, so that it overlaps with loading the checks instead of following it.

    What the run needs is imported here first, before the thread starts: two threads importing asyncio while
    `ssl` fails to load race (a half-imported module, `ssl` with no `SSLWantReadError`)."""
    import asyncio  # noqa: F401
    import threading

    from perspt_doctor.transport.classify import tls_library_fault

    if tls_library_fault() is not None:
        return  # Python is broken: runtime.python says so, and nothing needs the keyring

    def detect() -> None:
        try:
            from perspt_doctor.settings.keystore import backend_info

            backend_info()
        except Exception:  # noqa: BLE001 - the keyring checks report it properly
            pass

    threading.Thread(target=detect, name="perspt-keyring-warmup", daemon=True).start()


def _settings(app: AppContext) -> Settings:
    """The settings the client would use. A broken config file does not stop the doctor: it runs
    on environment and defaults, and `config.file` reports the problem with line and column."""
    settings, error = app.settings_despite_config_error()
    if error is not None:
        app._settings = settings
        app.setup_logging()
    return settings


def _options(settings: Settings, only: tuple[str, ...], skip: tuple[str, ...], providers: tuple[str, ...],
             offline: bool, timeout: float | None, verbose: bool, live: bool,
             checks_dirs: tuple[Path, ...]) -> DoctorOptions:
    from perspt_doctor import catalog, paths
    from perspt_doctor.engine.runner import DoctorOptions

    canonical = [catalog.resolve_provider(name, "command line") for name in providers]
    for directory in checks_dirs:
        if not directory.is_dir():
            raise click.BadParameter(f"{directory} is not a directory", param_hint="--checks-dir")
    return DoctorOptions(only=only, skip=skip, providers=tuple(canonical), offline=offline, timeout=timeout,
                         live=live, verbose=verbose, checks_dirs=checks_dirs, user_checks_dir=paths.checks_dir())


def _plan(settings: Settings, options: DoctorOptions) -> tuple[list[Any], list[Any], list[str]]:
    """(declared checks, planned checks, disabled sources); an --only typo is a usage error."""
    from perspt_doctor.engine.runner import UnknownPattern, load_checks, plan_checks

    declared, found = load_checks(settings, options)
    try:
        planned, _providers = plan_checks(settings, options, declared)
        return declared, planned, found.disabled
    except UnknownPattern as exc:
        pattern = exc.patterns[0]
        close = did_you_mean(pattern, exc.known, limit=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else " (see `perspt doctor --list-checks`)"
        raise click.BadParameter(f"{pattern!r} matches no check{hint}", param_hint=exc.option) from None


def _list(settings: Settings, options: DoctorOptions, as_json: bool) -> None:
    _declared, planned, _disabled = _plan(settings, options)
    if as_json:
        from perspt_doctor.redact import redact_obj
        from perspt_doctor.report.json_doc import dumps

        rows = [{"id": c.id, "title": c.title, "category": c.category, "provider": c.provider,
                 "depends_on": list(c.depends_on), "timeout": c.timeout, "needs_network": c.needs_network,
                 "origin": c.origin} for c in planned]
        click.echo(dumps(redact_obj({"schema_version": 1, "checks": rows})))
        return
    from perspt_doctor.report.terminal import list_checks

    list_checks([(c.id, c.category, c.origin, c.title) for c in planned])


def _run(settings: Settings, options: DoctorOptions, as_json: bool) -> DoctorRun:
    from perspt_doctor.engine.progress import LiveProgress, wants_progress
    from perspt_doctor.engine.runner import run_doctor

    declared, planned, disabled = _plan(settings, options)  # usage errors before anything runs
    progress_cm: Any = contextlib.nullcontext()
    if wants_progress(sys.stderr):
        progress_cm = LiveProgress(len(planned), sys.stderr)
        options.progress = progress_cm
    with progress_cm:
        run = run_doctor(settings, options, checks=declared)
    run.disabled_sources = list(disabled)
    return run


@contextlib.contextmanager
def _report_stream() -> Any:
    """Yields the stream the report or JSON document goes to. Inside, `sys.stdout` and file descriptor 1
    point at stderr, so a check that prints (at import, through fd 1, from a child process) cannot corrupt
    the output. In a real process they stay there afterwards: a thread a plugin left behind cannot write
    after the document either. (Under click's CliRunner there is no fd 1 to move: only sys.stdout moves.)"""
    try:
        sys.stdout.flush()
        fd = sys.stdout.fileno()
        saved = os.dup(fd)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        real = sys.stdout
        with contextlib.redirect_stdout(sys.stderr):
            yield real
        return
    os.dup2(2, fd)
    out = os.fdopen(saved, "w", encoding=getattr(sys.stdout, "encoding", None) or "utf-8", errors="replace")
    sys.stdout = sys.stderr
    try:
        yield out
    except BaseException:
        with contextlib.suppress(OSError, ValueError):
            out.flush()
        raise
    try:
        out.flush()
    except OSError:  # a report that could not be written (a full disk, a closed pipe) is an error, not lost quietly
        from perspt_doctor.cli.errors import discard_writes

        with contextlib.suppress(OSError):
            discard_writes(out.fileno())
        raise


def _finish(settings: Settings, run: DoctorRun, *, as_json: bool, verbose: bool, strict: bool, show_diff: bool,
            out: IO[str]) -> int:
    from perspt_doctor.report import run_history as history
    from perspt_doctor.report.json_doc import dumps, to_document

    doc = to_document(run)
    baseline = history.last_good_run() if show_diff else None
    changes: list[history.Change] = []
    if baseline is not None:
        changes = history.diff(baseline, doc, partial=bool(run.options.get("only") or run.options.get("skip")))
    try:
        history.record_run(doc, keep=settings.integer("doctor.history_size"))
    except OSError as exc:
        from perspt_doctor.redact import redact
        from perspt_doctor.textsafe import printable

        sys.stderr.write(printable(redact(f"perspt doctor: warning: could not keep this run's record: {exc}")) + "\n")
    if as_json:
        if show_diff:
            doc["diff"] = {"baseline": baseline.get("started_at") if baseline else None,
                           "changes": [{"id": c.id, "before": c.before, "after": c.after, "summary": c.summary}
                                       for c in changes]}
        from perspt_doctor.textsafe import printable

        click.echo(printable(dumps(doc)), file=out)
    else:
        from perspt_doctor.report.terminal import render

        render(run, verbose=verbose, stream=out,
               diff_lines=[c.line() for c in changes] if show_diff else None,
               diff_baseline=str(baseline.get("started_at")) if baseline else None)
    return run.exit_code(strict=strict)


def _confirm(question: str) -> bool:
    """Ask on stderr (stdout may be the JSON document); no answer (end of input) is a no."""
    try:
        return bool(click.confirm(question, default=False, err=True))
    except click.Abort:
        return False


def _fixes_module() -> Any:
    import importlib

    try:
        return importlib.import_module("perspt_doctor.engine.fixes")
    except ModuleNotFoundError:
        raise UsageError("--fix is not available in this version",
                         hint="run the fix commands the report shows") from None


def _invoke_report(ctx: click.Context, **doctor_options: Any) -> None:
    """`perspt doctor --report` is `perspt report`, with the doctor options that mean the same there."""
    try:
        from perspt_doctor.cli.report_cmd import report
    except ImportError:
        raise UsageError("`perspt report` is not available in this version") from None
    ctx.invoke(report, **doctor_options)
