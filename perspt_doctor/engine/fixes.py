"""Applying fixes: `perspt doctor --fix` and `perspt config validate --fix-issues`.

Both take the `Fix` objects the checks declared on their results (`Result.fixes`), show the plan, apply
each fix (after a yes for those that ask first, such as a download), and say what happened; the doctor
then runs the affected checks again and prints their before -> after. Nothing here knows which check
offers what: a plugin's fixes are applied exactly like the built-in ones. `--dry-run` prints what each
fix would do and changes nothing.

The caller decides how to ask (`confirm`) and whether the answer is already yes (`assume_yes`); nothing
here reads the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, TYPE_CHECKING

from perspt_doctor.fix import Fix
from perspt_doctor.redact import redact
from perspt_doctor.textsafe import printable

if TYPE_CHECKING:
    from perspt_doctor.engine.outcome import DoctorRun
    from perspt_doctor.engine.runner import DoctorOptions
    from perspt_doctor.settings.resolve import Settings

Confirm = Callable[[str], bool]
Say = Callable[[str], None]


@dataclass(frozen=True)
class Planned:
    """A fix and the check that declared it."""

    check_id: str
    fix: Fix

    @property
    def reruns(self) -> tuple[str, ...]:
        return self.fix.reruns or (self.check_id,)


@dataclass
class FixReport:
    applied: list[Planned] = field(default_factory=list)
    declined: list[Planned] = field(default_factory=list)
    failed: list[tuple[Planned, str]] = field(default_factory=list)
    manual: list[Planned] = field(default_factory=list)


# ---- planning --------------------------------------------------------------------------------------
def plan_fixes(run: DoctorRun) -> list[Planned]:
    """Every fix the run's results declare, in report order, each command once (two checks may offer the
    same chmod); advice-only fixes are left to the report. A row that is ok needs no fix, whatever it
    declares."""
    from perspt_doctor.engine.check_model import Status

    planned: dict[str, Planned] = {}
    for outcome in run.outcomes:
        if outcome.status in (Status.OK, Status.SKIP):
            continue
        for fix in outcome.result.fixes:
            if fix.apply is not None:
                planned.setdefault(fix.command, Planned(outcome.id, fix))
    return list(planned.values())


# ---- applying --------------------------------------------------------------------------------------
def show_plan(planned: Sequence[Planned], say: Say, *, dry_run: bool) -> None:
    for index, item in enumerate(planned, 1):
        fix = item.fix
        note = f" (not here: {fix.unavailable})" if fix.unavailable else " (asks first)" if fix.ask else ""
        what = fix.would if dry_run else fix.description
        say(f"  {index}. {item.check_id}: {what}: {fix.command}{note}")


def apply_planned(planned: Sequence[Planned], *, assume_yes: bool, confirm: Confirm, say: Say) -> FixReport:
    """Apply each fix in turn; one that fails does not stop the others."""
    report = FixReport()
    for item in planned:
        fix = item.fix
        if fix.unavailable or fix.apply is None:
            say(f"  - {fix.command}: {fix.unavailable or 'apply it by hand'}")
            report.manual.append(item)
            continue
        if fix.ask and not assume_yes and not confirm(f"Run `{fix.command}` ({fix.description})?"):
            say(f"  - skipped: {fix.command}")
            report.declined.append(item)
            continue
        problem = fix.apply()
        if problem is None:
            say(f"  ✓ {fix.command}")
            report.applied.append(item)
        else:
            say(f"  ✗ {fix.command}: {problem}")
            report.failed.append((item, problem))
    return report


def apply_fixes(run: DoctorRun, settings: Settings, options: DoctorOptions, *, dry_run: bool = False,
                assume_yes: bool = False, confirm: Confirm, out: IO[str], strict: bool = False) -> int:
    """`doctor --fix`: show the plan, apply it (unless dry_run), re-run the affected checks; the exit code."""
    planned = plan_fixes(run)

    def say(text: str = "") -> None:
        out.write(printable(redact(text)) + "\n")
        out.flush()

    say()
    if not planned:
        say("--fix: nothing here can be fixed automatically; follow the hints above.")
        return run.exit_code(strict=strict)
    say(f"--fix: {len(planned)} safe local fix{'es' if len(planned) != 1 else ''}"
        + (" (dry run: nothing will change)" if dry_run else "") + ":")
    show_plan(planned, say, dry_run=dry_run)
    if dry_run:
        say("Dry run: nothing was changed. Run again without --dry-run to apply.")
        return run.exit_code(strict=strict)
    report = apply_planned(planned, assume_yes=assume_yes, confirm=confirm, say=say)
    rerun_ids = sorted({i for item in report.applied for i in item.reruns})
    if not rerun_ids:
        say("Nothing was changed.")
        return run.exit_code(strict=strict)
    after = _rerun(settings, options, rerun_ids)
    say("Re-ran the affected checks:")
    before = run.by_id()
    for check_id in rerun_ids:
        old = before[check_id].status.value if check_id in before else "?"
        new = after.by_id().get(check_id)
        summary = f"  ({new.result.summary})" if new is not None else ""
        say(f"  {check_id}: {old} -> {new.status.value if new is not None else '?'}{summary}")
    merged = {o.id: o for o in run.outcomes}
    merged.update({o.id: o for o in after.outcomes})
    from perspt_doctor.engine.outcome import DoctorRun as Run

    final = Run(run.started_at, run.duration_ms, run.offline, list(merged.values()), providers=run.providers)
    return final.exit_code(strict=strict)


def _rerun(settings: Settings, options: DoctorOptions, check_ids: list[str]) -> DoctorRun:
    """The run's own options (its providers, plugins, --offline), narrowed to the checks that changed, on the
    settings read again: a fix may have rewritten the config file the first run read."""
    from perspt_doctor.engine.runner import run_doctor

    return run_doctor(_reread(settings), replace(options, only=tuple(check_ids), skip=(), progress=None,
                                                 begun_at=None))  # a budget of its own, from now


def _reread(settings: Settings) -> Settings:
    """The settings as the config file now says (the old ones when it cannot be read as valid)."""
    from perspt_doctor.settings.diagnostics import ConfigError
    from perspt_doctor.settings.resolve import load_settings

    if settings.flags.no_config:
        return settings
    try:
        return load_settings(settings.flags, env=settings.env, use_keyring=settings._keyring_lookup is not None)
    except (ConfigError, OSError):
        return settings
