"""`perspt doctor --fix`: the fixes that are safe and local, shown first, then applied, then the affected
checks run again and their before -> after is printed.

Safe and local means: a file mode (`chmod 600` on a config file that holds a key and others can read),
the directories perspt keeps its data, state and logs in, and `ollama pull MODEL` for a configured model
that is not installed (only after a yes, since it downloads gigabytes). Nothing else is touched: keys,
config contents and network settings are the user's to change. `--dry-run` prints the plan and changes
nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from perspt_doctor import fsutil
from perspt_doctor.engine.model import Status
from perspt_doctor.redact import redact

if TYPE_CHECKING:
    from perspt_doctor.engine.outcome import DoctorRun
    from perspt_doctor.settings.resolve import Settings

Confirm = Callable[[str], bool]


@dataclass
class Fix:
    check_id: str
    title: str
    command: str
    """The shell command that does the same, shown to the user."""
    action: Callable[[], str | None]
    """Applies the fix; returns None on success, else why it failed."""
    reruns: tuple[str, ...]
    ask: bool = False
    """Ask before applying (downloads, anything slow or large)."""
    unavailable: str | None = None
    """Why this machine cannot apply it (then the command is only printed)."""


@dataclass
class FixReport:
    applied: list[Fix] = field(default_factory=list)
    declined: list[Fix] = field(default_factory=list)
    failed: list[tuple[Fix, str]] = field(default_factory=list)
    manual: list[Fix] = field(default_factory=list)


# ---- planning --------------------------------------------------------------------------------------
def plan_fixes(run: DoctorRun, settings: Settings) -> list[Fix]:
    outcomes = run.by_id()
    fixes: list[Fix] = []
    permissions = outcomes.get("security.config_permissions")
    if permissions is not None and permissions.status is Status.FAIL and permissions.result.facts.get("path"):
        fixes.append(_chmod_fix(Path(str(permissions.result.facts["path"]))))
    if "disk.space" in outcomes:
        fixes.extend(_mkdir_fixes())
    models = outcomes.get("ollama.models")
    if models is not None and models.status is Status.FAIL:
        missing = models.result.facts.get("missing") or []
        fixes.extend(_pull_fix(str(name), settings) for name in missing if isinstance(name, str))
    return fixes


def _chmod_fix(path: Path) -> Fix:
    def action() -> str | None:
        try:
            fsutil.make_private(path)
        except OSError as exc:
            return f"{exc.strerror or exc}"
        return None

    return Fix("security.config_permissions", f"make {path} readable by you only", f"chmod 600 {path}", action,
               ("security.config_permissions",))


def _mkdir_fixes() -> list[Fix]:
    from perspt_doctor import paths

    out = []
    for purpose, path in (("data", paths.data_dir()), ("state", paths.state_dir()), ("logs", paths.log_dir())):
        if path.exists():
            continue

        def action(path: Path = path) -> str | None:
            try:
                paths.ensure_dir(path)
            except OSError as exc:
                return f"{exc.strerror or exc}"
            return None

        out.append(Fix("disk.space", f"create the missing {purpose} directory {path}", f"mkdir -p -m 700 {path}",
                       action, ("disk.space",)))
    return out


def _pull_fix(model: str, settings: Settings) -> Fix:
    host = str(settings.base_url_for("ollama").value or "")
    binary = shutil.which("ollama", path=settings.env.get("PATH", os.defpath))
    prefix = f"OLLAMA_HOST={host} " if host and settings.base_url_for("ollama").source.label != "default" else ""
    command = f"{prefix}ollama pull {model}"

    def action() -> str | None:
        assert binary is not None
        env = dict(settings.env)
        if prefix:
            env["OLLAMA_HOST"] = host
        try:
            done = subprocess.run([binary, "pull", model], env=env, stdin=subprocess.DEVNULL, check=False)
        except OSError as exc:
            return f"could not run {binary}: {exc.strerror or exc}"
        return None if done.returncode == 0 else f"`ollama pull {model}` exited with {done.returncode}"

    return Fix("ollama.models", f"download the Ollama model {model}", command, action, ("ollama.models",),
               ask=True, unavailable=None if binary else "the `ollama` command is not on PATH here; run it where "
                                                         "Ollama is installed")


# ---- applying --------------------------------------------------------------------------------------
def _default_confirm(question: str) -> bool:
    import click

    try:
        return bool(click.confirm(question, default=False, err=True))
    except click.Abort:
        return False


def apply_fixes(app: Any, run: DoctorRun, *, dry_run: bool = False, assume_yes: bool | None = None,
                confirm: Confirm | None = None, out: IO[str] | None = None, settings: Settings | None = None) -> int:
    """Show the plan, apply it (unless dry_run), re-run the affected checks; returns the exit code."""
    params = _click_params()
    strict = bool(params.get("strict"))
    stream = out or (sys.stderr if params.get("as_json") else sys.stdout)
    yes = bool(params.get("yes")) if assume_yes is None else assume_yes
    settings = settings or app.settings()
    fixes = plan_fixes(run, settings)

    def say(text: str = "") -> None:
        stream.write(redact(text) + "\n")
        stream.flush()

    say()
    if not fixes:
        say("--fix: nothing here can be fixed automatically; follow the hints above.")
        return run.exit_code(strict=strict)
    say(f"--fix: {len(fixes)} safe local fix{'es' if len(fixes) != 1 else ''}"
        + (" (dry run: nothing will change)" if dry_run else "") + ":")
    for index, fix in enumerate(fixes, 1):
        note = " (asks first)" if fix.ask and not fix.unavailable else ""
        note = f" (not here: {fix.unavailable})" if fix.unavailable else note
        say(f"  {index}. {fix.check_id}: {fix.title}: {fix.command}{note}")
    if dry_run:
        say("Dry run: nothing was changed. Run again without --dry-run to apply.")
        return run.exit_code(strict=strict)
    report = _apply(fixes, yes, confirm or _default_confirm, say)
    rerun_ids = sorted({i for fix in report.applied for i in fix.reruns})
    if not rerun_ids:
        say("Nothing was changed.")
        return run.exit_code(strict=strict)
    after = _rerun(run, settings, rerun_ids)
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


def _apply(fixes: list[Fix], yes: bool, confirm: Confirm, say: Callable[[str], None]) -> FixReport:
    report = FixReport()
    for fix in fixes:
        if fix.unavailable:
            say(f"  - {fix.command}: {fix.unavailable}")
            report.manual.append(fix)
            continue
        if fix.ask and not yes and not confirm(f"Run `{fix.command}` ({fix.title})?"):
            say(f"  - skipped: {fix.command}")
            report.declined.append(fix)
            continue
        problem = fix.action()
        if problem is None:
            say(f"  ✓ {fix.command}")
            report.applied.append(fix)
        else:
            say(f"  ✗ {fix.command}: {problem}")
            report.failed.append((fix, problem))
    return report


def _rerun(run: DoctorRun, settings: Settings, check_ids: list[str]) -> DoctorRun:
    from perspt_doctor.engine.runner import DoctorOptions, run_doctor

    options = DoctorOptions(only=tuple(check_ids), providers=tuple(run.providers), offline=run.offline,
                            suppress=tuple(run.suppress_patterns))
    return run_doctor(settings, options)


def _click_params() -> dict[str, Any]:
    try:
        import click
    except ImportError:  # pragma: no cover - click is a dependency
        return {}
    ctx = click.get_current_context(silent=True)
    return dict(ctx.params) if ctx is not None else {}
