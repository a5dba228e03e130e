"""The runner: every check that can run at once does, each under its own timeout and the whole run
under one budget; failures block dependants; a crash or overrun is one `error` row; the report
order is fixed (category, then id) whatever order the checks finish in."""

from __future__ import annotations

import asyncio
import datetime as _dt
import inspect
import re
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from perspt_doctor.engine import broken_python, plan
from perspt_doctor.engine.check_model import Check, CheckContext, Result, Status, offline_reason
from perspt_doctor.engine.discovery import PLUGIN_IMPORT_TIMEOUT, Discovered, LoadProblem, discover
from perspt_doctor.engine.facts import facts_problem
from perspt_doctor.engine.outcome import DoctorRun, Outcome
from perspt_doctor.engine.services import Stash
from perspt_doctor.engine.threads import DaemonThreadExecutor, interruptible, run_in_own_loop
from perspt_doctor.engine.warm import warm_up
from perspt_doctor.errors import UsageError
from perspt_doctor.fix import Fix
from perspt_doctor.settings import keystore

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings

DEFAULT_BUDGET = 60.0


class Progress(Protocol):
    """Live progress (a TTY spinner); the runner calls it from the event loop thread."""

    def started(self, check_id: str) -> None: ...

    def finished(self, check_id: str, status: Status) -> None: ...


@dataclass
class DoctorOptions:
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    offline: bool = False
    timeout: float | None = None
    """Whole-run budget in seconds; None: `doctor.timeout` from the settings, else 60."""
    live: bool = False
    verbose: bool = False
    checks_dirs: tuple[Path, ...] = ()
    user_checks_dir: Path | None = None
    """`<config dir>/checks`; None skips it (the CLI passes the real one)."""
    builtins: bool = True
    progress: Progress | None = None
    suppress: tuple[str, ...] | None = None
    """Patterns whose warnings and failures are acknowledged; None: `doctor.suppress` from the settings."""
    extra_options: dict[str, Any] = field(default_factory=dict)
    begun_at: float | None = None
    """`time.perf_counter()` when the command began loading and planning checks (the CLI does that before it
    calls run_doctor): the budget counts from then. None: from run_doctor's own start."""


class UnknownPattern(UsageError, ValueError):
    """An --only or --skip pattern that matches no check: a typo would otherwise silently run nothing,
    or silently skip nothing."""

    def __init__(self, patterns: list[str], known: list[str], option: str = "--only") -> None:
        super().__init__(", ".join(patterns))
        self.patterns = patterns
        self.known = known
        self.option = option


def load_checks(settings: Settings, options: DoctorOptions,
                budget: float | None = None) -> tuple[list[Check], Discovered]:
    """Discovered checks (declared form) plus a synthetic error check per source that failed to load. A
    plugin module may take PLUGIN_IMPORT_TIMEOUT to import, or half the run's budget when that is less."""
    budget = budget if budget is not None else run_budget(settings, options)
    if options.begun_at is None:
        options.begun_at = time.perf_counter()
    found = discover(env=settings.env, checks_dirs=options.checks_dirs, user_dir=options.user_checks_dir,
                     builtins=options.builtins, import_timeout=min(PLUGIN_IMPORT_TIMEOUT, budget / 2))
    problems = found.problems
    declared = list(found.checks)
    broken = broken_python.tls_library_fault()
    if broken is not None:
        # Python itself is broken: the built-in modules that failed, failed for that one reason, which
        # runtime.python says once (whether or not its own module could load).
        unloaded = [p.name for p in problems if p.origin == "builtin"]
        problems = [p for p in problems if p.origin != "builtin"]
        declared = [c for c in declared if c.id != "runtime.python"] + [broken_python.stand_in(broken, unloaded)]
    declared += [_problem_check(p, i) for i, p in enumerate(problems)]
    return declared, found


def plan_checks(settings: Settings, options: DoctorOptions, declared: Sequence[Check]) -> tuple[list[Check], list[str]]:
    # Which providers are in use depends on where keys are: a keyring that does not answer must not
    # hold the run past its budget before it starts.
    with keystore.waits_at_most(run_budget(settings, options) / 4):
        providers = settings.providers_in_scope(extra=list(options.providers))
    checks = plan.instantiate(declared, providers)
    for option, patterns in (("--only", options.only), ("--skip", options.skip)):
        missing = plan.unmatched(patterns, checks)
        if missing:
            known = sorted({c.id for c in checks} | {c.id.split(".")[0] + ".*" for c in checks})
            raise UnknownPattern(missing, known, option)
    selected = plan.select(checks, options.only, options.skip)
    selected.sort(key=lambda c: plan.order_key(c.id, c.category))
    return selected, providers


def run_doctor(settings: Settings, options: DoctorOptions | None = None,
               checks: Sequence[Check] | None = None) -> DoctorRun:
    """Discover (unless `checks` is given), plan and run. Blocking; owns its event loop."""
    options = options or DoctorOptions()
    budget = run_budget(settings, options)
    loading = options.begun_at if options.begun_at is not None else time.perf_counter()
    disabled: list[str] = []
    if checks is None:
        declared, found = load_checks(settings, options, budget)
        disabled = found.disabled
    else:
        declared = list(checks)
    planned, providers = plan_checks(settings, options, declared)
    started_at = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    # The budget bounds the whole command: a plugin that held up loading leaves the checks the rest of it.
    with keystore.waits_at_most(budget / 4):
        outcomes = _run_loop(settings, options, planned, max(budget - (t0 - loading), budget / 2))
    duration_ms = int((time.perf_counter() - t0) * 1000)
    suppress = list(options.suppress if options.suppress is not None else _suppress_from(settings))
    for outcome in outcomes:
        if outcome.status in (Status.WARN, Status.FAIL) and plan.matches_any(outcome.id, suppress):
            outcome.suppressed = True
    config = getattr(settings, "config", None)
    return DoctorRun(
        started_at=started_at, duration_ms=duration_ms, offline=options.offline, outcomes=outcomes,
        providers=providers, disabled_sources=disabled, suppress_patterns=suppress,
        config_path=str(config.path) if config is not None else None,
        options={"only": list(options.only), "skip": list(options.skip), "providers": list(options.providers),
                 "offline": options.offline, "live": options.live, "timeout": budget, **options.extra_options},
    )


def run_budget(settings: Settings, options: DoctorOptions) -> float:
    """Seconds the whole run may take: --timeout, else `doctor.timeout`, else DEFAULT_BUDGET."""
    if options.timeout is not None:
        return options.timeout
    value = settings.get("doctor.timeout")
    return float(value) if isinstance(value, (int, float)) and value > 0 else DEFAULT_BUDGET


def _suppress_from(settings: Settings) -> list[str]:
    value = settings.get("doctor.suppress")
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _run_loop(settings: Settings, options: DoctorOptions, planned: list[Check], budget: float) -> list[Outcome]:
    warm_up(settings, planned, options.offline)
    loop = asyncio.new_event_loop()
    executor = DaemonThreadExecutor()
    loop.set_default_executor(executor)
    try:
        return loop.run_until_complete(_Run(settings, options, planned, budget).execute())
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        # Give cancelled checks one short turn to clean up; a check that ignores cancellation is left behind.
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=0.05))
        executor.shutdown(wait=False, cancel_futures=True)
        loop.close()


class _Run:
    def __init__(self, settings: Settings, options: DoctorOptions, planned: list[Check], budget: float) -> None:
        self.settings = settings
        self.options = options
        self.planned = planned
        self.budget = budget
        ids = [c.id for c in planned]
        self.deps = {c.id: plan.resolve_dependencies(c, ids) for c in planned}
        self.after = {c.id: tuple(d for d in plan.resolve_dependencies(c, ids, c.after) if d not in self.deps[c.id])
                      for c in planned}
        self.cycles = plan.find_cycles({i: (*d, *self.after[i]) for i, d in self.deps.items()})
        self.scope = tuple(settings.providers_in_scope(extra=list(options.providers)))
        self.stash = Stash()
        self.futures: dict[str, asyncio.Future[Outcome]] = {}
        self.deadline = 0.0

    async def execute(self) -> list[Outcome]:
        loop = asyncio.get_running_loop()
        self.deadline = loop.time() + self.budget
        self.futures = {c.id: loop.create_future() for c in self.planned}
        tasks = []
        for number, check in enumerate(self.planned, 1):
            tasks.append(asyncio.ensure_future(self._run_one(check)))
            if number % 16 == 0:
                await asyncio.sleep(0)  # let the first checks start while the rest are created
        if tasks:
            await asyncio.wait(tasks, timeout=self.budget + 1.0)
        out: list[Outcome] = []
        for check in self.planned:
            future = self.futures[check.id]
            if future.done():
                out.append(future.result())
            else:
                out.append(Outcome(check, Result.error(f"did not finish within the run budget ({self.budget:g} s)"),
                                   depends_on=self.deps[check.id]))
        return out

    def _remaining(self) -> float:
        return self.deadline - asyncio.get_running_loop().time()

    async def _run_one(self, check: Check) -> None:
        started = time.perf_counter()
        deps = self.deps[check.id]
        try:
            outcome = await self._decide(check, deps)
        except Exception as exc:  # noqa: BLE001 - engine bugs must not sink the run either
            outcome = Outcome(check, _crash_result(exc, "the engine failed while running this check"))
        outcome.depends_on = deps
        if not outcome.duration_ms and outcome.status not in (Status.SKIP,):
            outcome.duration_ms = int((time.perf_counter() - started) * 1000)
        if not self.futures[check.id].done():
            self.futures[check.id].set_result(outcome)
        if self.options.progress is not None:
            self.options.progress.finished(check.id, outcome.status)

    async def _decide(self, check: Check, deps: tuple[str, ...]) -> Outcome:
        if check.id in self.cycles:
            cycle = ", ".join(sorted(self.cycles))
            return Outcome(check, Result.error(f"dependency cycle between {cycle}",
                                               hint="a check cannot wait for itself; fix its depends_on"))
        offline = offline_reason(self.settings, check.provider) if check.needs_network and self.options.offline else None
        if offline:
            return Outcome(check, Result.skip(offline))
        after = self.after.get(check.id, ())
        if deps or after:
            waiting = [self.futures[d] for d in (*deps, *after)]
            remaining = self._remaining()
            if remaining <= 0:
                return Outcome(check, Result.skip("not started: the run budget ran out"))
            done, pending = await asyncio.wait(waiting, timeout=remaining)
            if pending:
                names = ", ".join(d for d in (*deps, *after) if not self.futures[d].done())
                return Outcome(check, Result.skip(f"not started: the run budget ran out while waiting for {names}"))
        dep_outcomes = {d: self.futures[d].result() for d in deps}
        blocker = _blocker(dep_outcomes)
        if blocker is not None:
            root_id, reason = blocker
            return Outcome(check, Result.skip(reason), blocked_by=root_id)
        earlier = {d: self.futures[d].result().result for d in after}
        ctx = CheckContext(settings=self.settings, provider=check.provider, offline=self.options.offline,
                           live=self.options.live, verbose=self.options.verbose,
                           results={**earlier, **{d: o.result for d, o in dep_outcomes.items()}}, stash=self.stash,
                           scope=self.scope)
        if check.applies is not None:
            try:
                verdict = await self._applies(check, ctx)
            except asyncio.TimeoutError:
                return Outcome(check, Result.error("its applies() test did not answer in time",
                                                   hint="applies() must decide at once, without waiting"))
            except Exception as exc:  # noqa: BLE001
                return Outcome(check, _crash_result(exc, "its applies() test crashed"))
            if verdict is not True:
                reason = verdict if isinstance(verdict, str) and verdict else "not applicable here"
                return Outcome(check, Result.skip(reason))
        return await self._execute(check, ctx)

    async def _applies(self, check: Check, ctx: CheckContext) -> Any:
        """A built-in check's applies() runs here; a plugin's in a daemon thread, under the check's time."""
        assert check.applies is not None
        if check.origin == "builtin":
            return check.applies(ctx)
        limit = max(0.0, min(check.timeout, self._remaining()))
        work = asyncio.get_running_loop().run_in_executor(None, interruptible, check.applies, ctx)
        return await asyncio.wait_for(work, timeout=limit)

    async def _execute(self, check: Check, ctx: CheckContext) -> Outcome:
        progress = self.options.progress
        remaining = self._remaining()
        if remaining <= 0:
            return Outcome(check, Result.skip("not started: the run budget ran out"))
        limit = min(check.timeout, remaining)
        by_budget = remaining < check.timeout
        if progress is not None:
            progress.started(check.id)
        started = time.perf_counter()
        ctx.deadline = asyncio.get_running_loop().time() + limit
        task, cancel = self._start(check, ctx)
        try:
            done, _ = await asyncio.wait({task}, timeout=limit)
        except asyncio.CancelledError:
            cancel()
            raise
        elapsed = int((time.perf_counter() - started) * 1000)
        if not done:
            cancel()
            if by_budget:
                result = Result.error(f"stopped after {limit:.1f} s: the whole run's budget (--timeout "
                                      f"{self.budget:g}) ran out", hint="run again with a larger --timeout")
            else:
                result = Result.error(f"timed out after {check.timeout:g} s",
                                      hint="the check did not answer in time; run it alone with "
                                           f"`perspt doctor --only {check.id} --verbose`")
        else:
            try:
                result = _normalise(task.result())
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - crash isolation is the point
                result = _crash_result(exc, "the check crashed")
            except asyncio.CancelledError:
                result = Result.error("the check was cancelled")
        return Outcome(check, result, duration_ms=elapsed)

    def _start(self, check: Check, ctx: CheckContext) -> tuple[asyncio.Future[Any], Callable[[], None]]:
        """Start the check; returns its future and how to cancel it.

        Built-in checks run on the engine's loop. A plugin's check runs on its own loop in its own daemon
        thread (engine/threads.py), so one that blocks its loop (`time.sleep`, a busy loop) cannot stall
        the other checks or the run budget: at its timeout the engine reports it and leaves the thread.
        """
        if check.origin == "builtin":
            task = asyncio.get_running_loop().create_task(_call(check, ctx), name=f"check {check.id}")

            def cancel() -> None:
                task.cancel()

            return task, cancel
        own = replace(ctx, stash=ctx.stash.for_another_loop())  # asyncio locks belong to one loop
        future, cancel = run_in_own_loop(lambda: _call(check, own), name=f"perspt-check-{check.id}")
        wrapped = asyncio.wrap_future(future)
        # An outcome that arrives after the engine gave up on the check is read here, not logged as lost.
        wrapped.add_done_callback(lambda done: done.cancelled() or done.exception())
        return wrapped, cancel


class CheckExited(Exception):
    """A check called sys.exit(); asyncio would let SystemExit tear down the whole run."""


async def _call(check: Check, ctx: CheckContext) -> Any:
    func = check.func
    try:
        if inspect.iscoroutinefunction(func):
            return await func(ctx)
        value = await asyncio.get_running_loop().run_in_executor(None, _guard_exit, func, ctx)
        if inspect.isawaitable(value):
            return await value
        return value
    except SystemExit as exc:
        raise CheckExited(f"the check called sys.exit({exc.code!r})") from None


def _guard_exit(func: Any, ctx: CheckContext) -> Any:
    try:
        return func(ctx)
    except SystemExit as exc:
        raise CheckExited(f"the check called sys.exit({exc.code!r})") from None


def _blocker(dep_outcomes: Mapping[str, Outcome]) -> tuple[str, str] | None:
    """(root cause id, skip reason) when a dependency failed, errored, or was itself blocked."""
    for dep_id, outcome in dep_outcomes.items():
        if outcome.status in (Status.FAIL, Status.ERROR):
            return dep_id, f"blocked by {dep_id}: {outcome.result.summary}"
    for outcome in dep_outcomes.values():
        if outcome.status is Status.SKIP and outcome.blocked_by:
            return outcome.blocked_by, outcome.result.summary
    return None


def _normalise(value: Any) -> Result:
    if not isinstance(value, Result):
        return Result.error(f"the check returned {type(value).__name__}, not a Result",
                            hint="a check must return Result.ok(...), .warn(...), .fail(...), .skip(...) or .error(...)")
    status = value.status if isinstance(value.status, Status) else Status(str(value.status))
    summary = str(value.summary or status.value).strip().splitlines()
    details = [value.details] if isinstance(value.details, str) else [str(d) for d in value.details or []]
    commands = [value.fix_commands] if isinstance(value.fix_commands, str) else [str(f) for f in value.fix_commands or []]
    fixes = [f for f in value.fixes or [] if isinstance(f, Fix)] if isinstance(value.fixes, list | tuple) else []
    facts = dict(value.facts) if isinstance(value.facts, Mapping) else {"value": value.facts}
    problem = facts_problem(facts)
    if problem is not None:
        return Result.error(f"the check returned {problem}",
                            hint="facts must be plain JSON data: dicts, lists, strings, numbers")
    if len(summary) > 1:
        details = summary[1:] + details
    return Result(status, summary[0] if summary else status.value, details=details, hint=value.hint,
                  fix_commands=commands, docs=value.docs, facts=facts, fixes=fixes)


def _crash_result(exc: BaseException, what: str) -> Result:
    frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
    tail = "".join(frames).rstrip().splitlines()[-6:]
    message = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
    return Result.error(f"{what}: {message}", details=tail,
                        hint="this is a bug in the check, not in your set-up; run with --verbose and "
                             "report it (`perspt report`)")


def _problem_check(problem: LoadProblem, index: int) -> Check:
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", problem.name).strip("_").lower() or str(index)
    summary = f"could not load checks from {problem.origin}: {problem.message}"

    def report(_ctx: CheckContext) -> Result:
        return Result.error(summary, hint="fix or remove the plugin; PERSPT_DISABLE_PLUGINS=1 runs "
                                          "the built-in checks only")

    return Check(id=f"runtime.load.{slug}", title=f"Load {problem.name}", category="runtime", func=report,
                 origin=problem.origin)
