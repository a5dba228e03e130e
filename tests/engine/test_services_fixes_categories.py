"""The plugin-facing parts of the check model: typed services shared by the checks of a run, declared
fixes and their declarative actions, and categories (built-in order, plugin categories, name rules)."""

from __future__ import annotations

import asyncio
import stat
import sys
from pathlib import Path

import pytest

from perspt_doctor import categories
from perspt_doctor.api import CheckContext, Fix, Result, ServiceKey, check
from perspt_doctor.engine import plan
from perspt_doctor.engine.check_model import CHECK_ATTRIBUTE
from perspt_doctor.engine.runner import _normalise
from perspt_doctor.report.triage import layer_of
from perspt_doctor.settings.resolve import Flags, load_settings


def _ctx(provider: str | None = None, **kw: object) -> CheckContext:
    settings = load_settings(Flags(no_config=True), env={}, use_keyring=False)
    return CheckContext(settings=settings, provider=provider, offline=False, **kw)  # type: ignore[arg-type]


# ---- services ---------------------------------------------------------------------------------------
def test_a_service_is_computed_once_for_concurrent_checks() -> None:
    calls: list[str | None] = []

    async def provide(ctx: CheckContext) -> list[str]:
        calls.append(ctx.provider)
        await asyncio.sleep(0.01)
        return ["value"]

    key: ServiceKey[list[str]] = ServiceKey("test.once", provide)
    first = _ctx()

    async def main() -> list[list[str]]:
        others = [CheckContext(settings=first.settings, provider=None, offline=False, stash=first.stash)
                  for _ in range(5)]
        return await asyncio.gather(*(c.service(key) for c in [first, *others]))

    values = asyncio.run(main())
    assert calls == [None] and all(v is values[0] for v in values)


def test_a_per_provider_service_keeps_one_value_per_provider() -> None:
    async def provide(ctx: CheckContext) -> str:
        return f"models of {ctx.provider}"

    key: ServiceKey[str] = ServiceKey("test.per_provider", provide, per_provider=True)
    openai = _ctx("openai")
    groq = CheckContext(settings=openai.settings, provider="groq", offline=False, stash=openai.stash)
    assert asyncio.run(openai.service(key)) == "models of openai"
    assert asyncio.run(groq.service(key)) == "models of groq"
    assert openai.stash.get(key, "openai") == "models of openai" and openai.stash.get(key, "mistral") is None


def test_a_seeded_value_wins_and_a_key_without_provider_must_be_seeded() -> None:
    async def provide(ctx: CheckContext) -> int:
        raise AssertionError("a seeded value must not be recomputed")

    key: ServiceKey[int] = ServiceKey("test.seeded", provide)
    ctx = _ctx()
    ctx.stash[key] = 7
    assert asyncio.run(ctx.service(key)) == 7 and key in ctx.stash and ctx.stash[key] == 7
    bare: ServiceKey[int] = ServiceKey("test.bare")
    with pytest.raises(LookupError, match="test.bare"):
        asyncio.run(ctx.service(bare))


def test_once_by_name_shares_the_value_of_the_service_of_that_name() -> None:
    async def provide(ctx: CheckContext) -> str:
        return "from the service"

    key: ServiceKey[str] = ServiceKey("test.named", provide)
    ctx = _ctx()

    async def never() -> str:
        raise AssertionError("the named cache must reuse the service's value")

    assert asyncio.run(ctx.service(key)) == "from the service"
    assert asyncio.run(ctx.once("test.named", never)) == "from the service"


# ---- fixes -------------------------------------------------------------------------------------------
def test_chmod_fix(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{}")
    path.chmod(0o644)
    fix = Fix.chmod(path)
    assert fix.command == f"chmod 600 {path}" and fix.would == f"would set the mode of {path} to 600"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644, "declaring a fix changes nothing"
    assert fix.apply is not None and fix.apply() is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    missing = Fix.chmod(tmp_path / "gone")
    assert missing.apply is not None and "No such file" in (missing.apply() or "")

    secret = tmp_path / "secret.json"
    secret.write_text("{}")
    secret.chmod(0o640)
    private = Fix.private(secret)
    assert private.command == f"chmod 600 {secret}" and private.apply is not None and private.apply() is None
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert Fix.private(tmp_path / "gone").apply() is not None  # type: ignore[misc]


def test_mkdir_fix(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    fix = Fix.mkdir(target)
    assert fix.command == f"mkdir -p -m 700 {target}" and not target.exists()
    assert fix.apply is not None and fix.apply() is None
    assert target.is_dir() and stat.S_IMODE(target.stat().st_mode) == 0o700
    blocked = tmp_path / "file"
    blocked.write_text("")
    bad = Fix.mkdir(blocked / "sub")
    assert bad.apply is not None and bad.apply() is not None


def test_run_fix_reports_the_exit_status(tmp_path: Path) -> None:
    ok = Fix.run([sys.executable, "-c", "pass"], "do nothing", command="true")
    assert ok.ask and ok.would == "would run `true`" and ok.apply is not None and ok.apply() is None
    bad = Fix.run([sys.executable, "-c", "raise SystemExit(3)"], "fail", command="false")
    assert bad.apply is not None and bad.apply() == "`false` exited with 3"
    absent = Fix.run([str(tmp_path / "no-such-program")], "run nothing")
    assert absent.apply is not None and (absent.apply() or "").startswith("could not run")


def test_fix_commands_include_the_fixes_without_repeats_and_survive_the_engine() -> None:
    fix = Fix("do it", "do-it", lambda: None)
    result = Result.fail("broken", fix_commands=["by-hand", "do-it"], fixes=[fix])
    assert result.commands() == ["by-hand", "do-it"]
    normalised = _normalise(result)
    assert normalised.fixes == [fix] and normalised.commands() == ["by-hand", "do-it"]
    assert _normalise(Result.ok("fine", fixes="not a list")).fixes == []  # type: ignore[arg-type]


# ---- categories --------------------------------------------------------------------------------------
def test_builtin_categories_are_one_list_in_report_order() -> None:
    names = categories.BUILTIN_NAMES
    assert names[0] == "config" and names[-1] == "runtime" and len(set(names)) == len(names) == 19
    assert all(c.layer in categories.LAYERS and c.note for c in categories.BUILTIN)
    assert [layer_of(n)[1] for n in ("security", "keyring", "ratelimit", "gpu")] == ["config", "keys", "model",
                                                                                      "runtime"]


def test_a_plugin_category_sorts_after_the_builtins() -> None:
    ids = [("zeta.x", "zeta"), ("runtime.python", "runtime"), ("alpha.x", "alpha"), ("config.file", "config")]
    ordered = sorted(ids, key=lambda item: plan.order_key(*item))
    assert [i for i, _ in ordered] == ["config.file", "runtime.python", "alpha.x", "zeta.x"]


def test_a_new_category_needs_no_declaration_and_a_declared_one_has_a_layer() -> None:
    async def probe(ctx: CheckContext) -> Result:
        return Result.ok("fine")

    declared = getattr(check("vpn_test.up", "VPN", "vpn_test")(probe), CHECK_ATTRIBUTE)
    assert declared.category == "vpn_test" and layer_of("vpn_test") == (len(categories.LAYERS) - 1, "runtime")
    categories.declare("vpn_declared", layer="tcp", note="VPN tunnels")
    assert layer_of("vpn_declared")[1] == "tcp" and categories.get("vpn_declared").note == "VPN tunnels"
    with pytest.raises(ValueError, match="built in"):
        categories.declare("dns")
    with pytest.raises(ValueError, match="layer"):
        categories.declare("vpn_bad", layer="nowhere")


@pytest.mark.parametrize("name", ["VPN", "my-plugin", "", "1st", "a b"])
def test_a_category_must_be_a_lowercase_identifier(name: str) -> None:
    with pytest.raises(ValueError, match="lowercase identifier"):
        check("x.y", "X", name)


def test_the_json_schema_accepts_exactly_the_category_names_the_engine_accepts() -> None:
    import json
    import re
    from importlib import resources

    schema = json.loads(resources.files("perspt_doctor").joinpath("schemas/doctor.schema.json").read_text())
    pattern = schema["$defs"]["check"]["properties"]["category"]["pattern"]
    for name in ("config", "my_plugin", "VPN", "my-plugin", "a1"):
        assert bool(re.match(pattern, name)) == bool(categories.NAME.match(name)), name


def test_the_plan_takes_every_declared_fix_once_whatever_the_check(tmp_path: Path) -> None:
    import datetime as dt

    from perspt_doctor.engine.check_model import Check
    from perspt_doctor.engine.fixes import plan_fixes
    from perspt_doctor.engine.outcome import DoctorRun, Outcome

    def outcome(check_id: str, result: Result) -> Outcome:
        return Outcome(Check(check_id, check_id, "runtime", lambda ctx: result), result)

    chmod = Fix.chmod(tmp_path / "config.json")
    advice = Fix("read the manual", "man perspt")
    run = DoctorRun(dt.datetime.now(dt.timezone.utc), 0, False, [
        outcome("a.first", Result.fail("loose", fixes=[chmod, advice])),
        outcome("b.second", Result.warn("also loose", fixes=[Fix.chmod(tmp_path / "config.json")])),
        outcome("c.plugin", Result.ok("fine, but tidy up", fixes=[Fix.mkdir(tmp_path / "d")])),
        outcome("d.none", Result.fail("nothing to offer")),
    ])
    planned = plan_fixes(run)
    # an ok row needs no fix, whatever it declares (issue 13 item 10)
    assert [(p.check_id, p.fix.command) for p in planned] == [("a.first", f"chmod 600 {tmp_path / 'config.json'}")]
    assert planned[0].reruns == ("a.first",)
