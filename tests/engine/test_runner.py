"""The runner, in process, with checks declared in the test: concurrency, timeouts, the run budget,
dependencies, crash isolation, ordering and exit codes."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from perspt_doctor.api import Check, CheckContext, Result, Status, check
from perspt_doctor.engine.outcome import DoctorRun
from perspt_doctor.engine.runner import DoctorOptions, UnknownPattern, run_doctor
from perspt_doctor.settings.resolve import Flags, load_settings


def declared(func: Callable[..., Any]) -> Check:
    marker: Check = func.__perspt_check__  # type: ignore[attr-defined]
    return marker


def run(checks: list[Check], env: dict[str, str] | None = None, **options: Any) -> DoctorRun:
    settings = load_settings(Flags(), env=env or {})
    return run_doctor(settings, DoctorOptions(**options), checks=checks)


def test_async_checks_all_run_at_the_same_time() -> None:
    count = 25
    started = 0
    everyone: asyncio.Event | None = None

    def make(i: int) -> Check:
        @check(f"conc.c{i:02d}", "c", "runtime", timeout=5)
        async def waits_for_all(ctx: CheckContext) -> Result:
            nonlocal started, everyone
            everyone = everyone or asyncio.Event()
            started += 1
            if started == count:
                everyone.set()
            await everyone.wait()  # only returns if all `count` checks are in flight together
            return Result.ok("met the others")

        return declared(waits_for_all)

    result = run([make(i) for i in range(count)])
    assert [o.status for o in result.outcomes] == [Status.OK] * count


def test_blocking_work_runs_in_parallel_threads() -> None:
    barrier = threading.Barrier(8, timeout=5)

    def make(i: int) -> Check:
        @check(f"threads.t{i}", "t", "runtime", timeout=10)
        def blocking(ctx: CheckContext) -> Result:
            barrier.wait()  # raises BrokenBarrierError unless all 8 threads are here at once
            return Result.ok("in parallel")

        return declared(blocking)

    outcomes = run([make(i) for i in range(8)]).outcomes
    assert {o.status for o in outcomes} == {Status.OK}, [o.result.summary for o in outcomes]


def test_a_check_that_overruns_becomes_an_error_and_the_others_finish() -> None:
    @check("slow.hang", "hang", "runtime", timeout=0.2)
    async def hang(ctx: CheckContext) -> Result:
        await asyncio.Event().wait()
        return Result.ok("never")

    @check("slow.thread", "thread hang", "runtime", timeout=0.2)
    async def thread_hang(ctx: CheckContext) -> Result:
        await ctx.run_blocking(time.sleep, 600)
        return Result.ok("never")

    @check("slow.fine", "fine", "runtime")
    async def fine(ctx: CheckContext) -> Result:
        return Result.ok("fine")

    started = time.monotonic()
    by_id = run([declared(hang), declared(thread_hang), declared(fine)]).by_id()
    assert time.monotonic() - started < 5  # not the 600 s the thread sleeps
    assert by_id["slow.hang"].status is Status.ERROR
    assert by_id["slow.hang"].result.summary == "timed out after 0.2 s"
    assert "--only slow.hang" in (by_id["slow.hang"].result.hint or "")
    assert by_id["slow.thread"].status is Status.ERROR
    assert by_id["slow.fine"].status is Status.OK


def test_the_whole_run_budget_stops_long_checks_and_says_so() -> None:
    @check("budget.long", "long", "runtime", timeout=30)
    async def long(ctx: CheckContext) -> Result:
        await asyncio.sleep(30)
        return Result.ok("never")

    @check("budget.after", "after", "runtime", depends_on=("budget.long",), timeout=30)
    async def after(ctx: CheckContext) -> Result:
        return Result.ok("never")

    started = time.monotonic()
    by_id = run([declared(long), declared(after)], timeout=0.4).by_id()
    assert time.monotonic() - started < 5
    assert by_id["budget.long"].status is Status.ERROR
    assert "budget" in by_id["budget.long"].result.summary and "0.4" in by_id["budget.long"].result.summary
    assert by_id["budget.after"].status in (Status.SKIP, Status.ERROR)
    assert "budget" in by_id["budget.after"].result.summary


def test_a_failed_dependency_blocks_its_dependants_with_the_root_cause() -> None:
    @check("dns.x", "dns", "dns")
    async def dns(ctx: CheckContext) -> Result:
        return Result.fail("NXDOMAIN")

    @check("tls.x", "tls", "tls", depends_on=("dns.x",))
    async def tls(ctx: CheckContext) -> Result:
        return Result.ok("never")

    @check("http.x", "http", "http", depends_on=("tls.*",))
    async def http(ctx: CheckContext) -> Result:
        return Result.ok("never")

    @check("auth.x", "auth", "auth", depends_on=("http.x", "runtime.free"))
    async def auth(ctx: CheckContext) -> Result:
        return Result.ok("never")

    @check("runtime.free", "free", "runtime")
    async def free(ctx: CheckContext) -> Result:
        seen.update(ctx.results)
        return Result.ok("independent")

    seen: dict[str, Result] = {}
    by_id = run([declared(f) for f in (dns, tls, http, auth, free)]).by_id()
    assert by_id["tls.x"].result.summary == "blocked by dns.x: NXDOMAIN"
    assert by_id["http.x"].result.summary == "blocked by dns.x: NXDOMAIN"
    assert by_id["auth.x"].result.summary == "blocked by dns.x: NXDOMAIN"
    assert by_id["auth.x"].blocked_by == "dns.x"
    assert by_id["http.x"].depends_on == ("tls.x",)
    assert by_id["runtime.free"].status is Status.OK


def test_dependants_see_their_dependencies_results() -> None:
    @check("dns.y", "dns", "dns")
    async def dns(ctx: CheckContext) -> Result:
        await asyncio.sleep(0.05)
        return Result.ok("resolved", facts={"ip": "127.0.0.1"})

    @check("tcp.y", "tcp", "tcp", depends_on=("dns.y",))
    async def tcp(ctx: CheckContext) -> Result:
        return Result.ok(f"connected to {ctx.results['dns.y'].facts['ip']}")

    by_id = run([declared(dns), declared(tcp)]).by_id()
    assert by_id["tcp.y"].result.summary == "connected to 127.0.0.1"


def test_crashes_and_bad_return_values_are_error_rows() -> None:
    @check("crash.raise", "raise", "runtime")
    async def boom(ctx: CheckContext) -> Result:
        raise ValueError("bad value")

    @check("crash.exit", "exit", "runtime")
    def exits(ctx: CheckContext) -> Result:
        raise SystemExit(4)

    @check("crash.none", "none", "runtime")
    async def returns_none(ctx: CheckContext) -> Any:
        return None

    @check("crash.applies", "applies", "runtime", applies=lambda ctx: 1 / 0)  # type: ignore[arg-type,return-value]
    async def never(ctx: CheckContext) -> Result:
        return Result.ok("never")

    by_id = run([declared(f) for f in (boom, exits, returns_none, never)]).by_id()
    assert by_id["crash.raise"].result.summary == "the check crashed: ValueError: bad value"
    assert by_id["crash.exit"].status is Status.ERROR
    assert by_id["crash.none"].result.summary == "the check returned NoneType, not a Result"
    assert "ZeroDivisionError" in by_id["crash.applies"].result.summary


def test_report_order_is_category_then_id_not_completion_order() -> None:
    def make(check_id: str, category: str, delay: float) -> Check:
        @check(check_id, check_id, category)
        async def sleeper(ctx: CheckContext) -> Result:
            await asyncio.sleep(delay)
            return Result.ok("done")

        return declared(sleeper)

    checks = [make("runtime.b", "runtime", 0.0), make("runtime.a", "runtime", 0.05), make("tls.z", "tls", 0.1),
              make("config.z", "config", 0.15), make("config.a", "config", 0.0)]
    ids = [o.id for o in run(checks).outcomes]
    assert ids == ["config.a", "config.z", "tls.z", "runtime.a", "runtime.b"]


def test_applies_and_offline_skip_with_reasons() -> None:
    @check("gpu.cuda", "cuda", "gpu", applies=lambda ctx: "no NVIDIA GPU")
    async def cuda(ctx: CheckContext) -> Result:
        return Result.ok("never")

    @check("dns.{provider}", "dns", "dns", needs_network=True, per_provider=True)
    async def dns(ctx: CheckContext) -> Result:
        return Result.ok(f"ran for {ctx.provider}")

    by_id = run([declared(cuda), declared(dns)], offline=True, providers=("openai", "ollama")).by_id()
    assert by_id["gpu.cuda"].result.summary == "no NVIDIA GPU"
    assert by_id["dns.openai"].status is Status.SKIP
    assert by_id["dns.openai"].result.summary.startswith("offline")
    assert by_id["dns.ollama"].result.summary == "ran for ollama"  # its endpoint is loopback


@pytest.mark.parametrize("proxy, runs", [
    (None, True), ("http://127.0.0.1:3128", True), ("http://proxy.corp.example:3128", False)])
def test_offline_runs_a_loopback_endpoint_only_when_no_remote_proxy_is_on_the_way(proxy: str | None,
                                                                                runs: bool) -> None:
    """The one --offline rule (engine.check_model.offline_reason) for every needs_network check: a loopback endpoint
    reached through a proxy on another machine would still send traffic out."""
    @check("tcp.{provider}", "tcp", "tcp", needs_network=True, per_provider=True)
    async def tcp(ctx: CheckContext) -> Result:
        return Result.ok("ran")

    env = {"OLLAMA_HOST": "http://127.0.0.1:11434", **({"HTTP_PROXY": proxy, "NO_PROXY": ""} if proxy else {})}
    outcome = run([declared(tcp)], env=env, offline=True, providers=("ollama",)).by_id()["tcp.ollama"]
    if runs:
        assert outcome.result.summary == "ran"
    else:
        assert outcome.status is Status.SKIP
        assert outcome.result.summary == ("offline (--offline): this loopback endpoint goes through the proxy "
                                          "proxy.corp.example:3128")


@pytest.mark.parametrize("url, loopback", [
    ("http://127.0.0.1:11434", True), ("http://localhost:8000/v1", True), ("http://[::1]:80", True),
    ("127.0.0.2:11434", True), ("http://0.0.0.0:11434", True), ("https://api.openai.com/v1", False),
    ("http://10.0.0.5:11434", False), ("http://localhost.example.com", False), (":11434", True),
    ("http://localhost.localdomain:8000", True), ("http://ip6-localhost", True), ("http://app.localhost", True)])
def test_loopback_endpoints(url: str, loopback: bool) -> None:
    from perspt_doctor.transport.endpoint import is_loopback_host, parse_base_url

    assert is_loopback_host(parse_base_url(url)[1]) is loopback


def test_dependency_cycles_are_reported_not_hung() -> None:
    @check("cycle.a", "a", "runtime", depends_on=("cycle.b",))
    async def a(ctx: CheckContext) -> Result:
        return Result.ok("never")

    @check("cycle.b", "b", "runtime", depends_on=("cycle.a",))
    async def b(ctx: CheckContext) -> Result:
        return Result.ok("never")

    by_id = run([declared(a), declared(b)]).by_id()
    assert by_id["cycle.a"].status is Status.ERROR and "cycle" in by_id["cycle.a"].result.summary


def _statuses(*statuses: str, suppressed: tuple[str, ...] = ()) -> DoctorRun:
    checks = []
    for index, status in enumerate(statuses):
        def make(s: str, i: int) -> Check:
            @check(f"codes.c{i}", "c", "runtime")
            async def fixed(ctx: CheckContext) -> Result:
                return Result(Status(s), s)

            return declared(fixed)

        checks.append(make(status, index))
    return run(checks, suppress=suppressed)


@pytest.mark.parametrize("statuses, strict, code", [
    (("ok", "skip"), False, 0), (("ok", "warn"), False, 0), (("ok", "warn"), True, 1), (("fail", "error"), False, 1),
    (("ok", "error"), False, 3), (("warn", "error"), True, 3), ((), False, 0)])
def test_exit_codes(statuses: tuple[str, ...], strict: bool, code: int) -> None:
    assert _statuses(*statuses).exit_code(strict=strict) == code


def test_suppressed_failures_are_acknowledged_not_counted() -> None:
    result = _statuses("fail", "warn", "ok", suppressed=("codes.c0", "codes.c1", "codes.c2"))
    assert result.exit_code(strict=True) == 0
    assert result.suppressed_count == 2  # ok rows are never "suppressed"
    assert result.counts == {"ok": 1, "warn": 0, "fail": 0, "skip": 0, "error": 0}


def test_per_provider_checks_are_instantiated_for_each_provider() -> None:
    @check("keys.{provider}", "key", "keys", per_provider=True, depends_on=("env.{provider}",))
    async def key(ctx: CheckContext) -> Result:
        return Result.ok(ctx.provider or "")

    result = run([declared(key)], providers=("groq", "openai"))
    assert [(o.id, o.check.provider, o.result.summary) for o in result.outcomes] == [
        ("keys.groq", "groq", "groq"), ("keys.openai", "openai", "openai")]


def test_only_with_no_match_is_refused() -> None:
    @check("x.y", "x", "runtime")
    async def xy(ctx: CheckContext) -> Result:
        return Result.ok("x")

    with pytest.raises(UnknownPattern):
        run([declared(xy)], only=("nothing.*",))
    assert [o.id for o in run([declared(xy)], only=("x",)).outcomes] == ["x.y"]
    assert run([declared(xy)], skip=("x.*",)).outcomes == []


def test_a_check_knows_its_deadline_and_can_report_before_it() -> None:
    @check("deadline.own", "d", "runtime", timeout=5)
    async def own_timeout(ctx: CheckContext) -> Result:
        left = ctx.time_left()
        assert left is not None and 4.0 < left <= 5.0
        return Result.ok(f"{left:.1f}")

    @check("deadline.budget", "d", "runtime", timeout=30)
    async def waits_politely(ctx: CheckContext) -> Result:
        wait = ctx.bounded(30.0, reserve=0.3)
        try:
            await asyncio.wait_for(asyncio.Event().wait(), timeout=wait)
        except asyncio.TimeoutError:
            return Result.fail(f"no answer within {wait:.1f} s")
        return Result.ok("unexpected")

    own = run([declared(own_timeout)]).outcomes[0]
    assert own.status is Status.OK, own.result.summary
    budget = run([declared(waits_politely)], timeout=1.0).outcomes[0]
    assert budget.status is Status.FAIL, budget.result.summary
    assert "no answer within 0." in budget.result.summary


def test_bounded_outside_the_engine_is_the_plain_value() -> None:
    settings = load_settings(Flags(), env={})
    assert CheckContext(settings=settings, provider=None, offline=False).bounded(7.5) == 7.5


def test_a_check_declared_after_others_waits_for_them_is_never_skipped_and_reads_them() -> None:
    @check("dns.a", "dns", "dns")
    async def first(ctx: CheckContext) -> Result:
        await asyncio.sleep(0.05)
        return Result.fail("NXDOMAIN")

    @check("dns.b", "dns", "dns")
    async def second(ctx: CheckContext) -> Result:
        return Result.fail("NXDOMAIN")

    @check("dns.summary", "summary", "dns", after=("dns.*",))
    async def summary(ctx: CheckContext) -> Result:
        return Result.fail(f"{len(ctx.results)} failed: {', '.join(sorted(ctx.results))}")

    by_id = run([declared(f) for f in (summary, first, second)]).by_id()
    assert by_id["dns.summary"].status is Status.FAIL
    assert by_id["dns.summary"].result.summary == "2 failed: dns.a, dns.b"
    assert by_id["dns.summary"].blocked_by is None


def test_the_rerun_after_fixes_gets_a_budget_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget counts from when the command began loading checks (`begun_at`); the re-check after the
    user has answered the fixes' questions starts its own count, not the first run's."""
    from perspt_doctor.engine import fixes, runner
    from perspt_doctor.settings.resolve import Flags, load_settings

    seen: list[runner.DoctorOptions] = []
    monkeypatch.setattr(runner, "run_doctor", lambda settings, options: seen.append(options))
    monkeypatch.setattr(fixes, "_reread", lambda settings: settings)
    first = runner.DoctorOptions(timeout=10, begun_at=1.0)
    fixes._rerun(load_settings(Flags(no_config=True), env={}, use_keyring=False), first, ["config.file"])
    assert [(o.begun_at, o.only, o.timeout) for o in seen] == [(None, ("config.file",), 10)]
