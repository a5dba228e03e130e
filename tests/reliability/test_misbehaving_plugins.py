"""Plugins that raise, hang or print, loaded beside every built-in check: the JSON stays one valid
document and every other row is still there. tests/engine covers the same outcomes with `--only
example.*`; here the whole doctor runs, and the prints include those that bypass `sys.stdout`
(at import time, through the file descriptor, from a child process, from a thread that outlives
its check)."""

from __future__ import annotations

import json
import textwrap
from importlib import resources

import jsonschema
import pytest

from tests.reliability.clienv import Home, make_home, perspt

SCHEMA = json.loads(resources.files("perspt_doctor").joinpath("schemas/doctor.schema.json").read_text())

PLUGIN = textwrap.dedent('''
    import asyncio, os, subprocess, sys, threading, time
    from perspt_doctor.api import CheckContext, Result, check

    print("plugin import noise")

    @check("bad.raises", "raises", "runtime")
    async def raises(ctx: CheckContext) -> Result:
        raise RuntimeError("boom from a plugin")

    @check("bad.hangs", "hangs", "runtime", timeout=0.5)
    async def hangs(ctx: CheckContext) -> Result:
        await asyncio.Event().wait()
        return Result.ok("never")

    @check("bad.blocks", "blocks a thread", "runtime", timeout=0.5)
    async def blocks(ctx: CheckContext) -> Result:
        await ctx.run_blocking(time.sleep, 30)
        return Result.ok("never")

    @check("bad.prints", "prints", "runtime")
    def prints(ctx: CheckContext) -> Result:
        print("print() noise")
        sys.stdout.write("sys.stdout noise\\n")
        return Result.ok("printed")

    @check("bad.fd_prints", "writes to file descriptor 1", "runtime")
    def fd_prints(ctx: CheckContext) -> Result:
        os.write(1, b"fd 1 noise\\n")
        subprocess.run(["echo", "child process noise"], check=False)
        return Result.ok("wrote to fd 1")
''')

LATE_PLUGIN = textwrap.dedent('''
    import threading, time
    from perspt_doctor.api import CheckContext, Result, check

    @check("late.thread", "prints after its row is done", "runtime", timeout=0.3)
    async def late(ctx: CheckContext) -> Result:
        def later() -> None:
            time.sleep(0.6)
            print("late thread noise")
        threading.Thread(target=later, daemon=False).start()
        return Result.ok("left a thread behind")
''')

PLUGIN_IDS = {"bad.raises", "bad.hangs", "bad.blocks", "bad.prints", "bad.fd_prints"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, dict[str, object], dict[str, object], str]:
    home = make_home(tmp_path_factory.mktemp("plugin-home"))
    plugins = home.root / "plugins"
    plugins.mkdir()
    (plugins / "misbehaving.py").write_text(PLUGIN, encoding="utf-8")
    clean = perspt(home, "doctor", "--offline", "--json")
    dirty = perspt(home, "doctor", "--offline", "--json", "--checks-dir", str(plugins), timeout=90)
    terminal = perspt(home, "doctor", "--offline", "--checks-dir", str(plugins), timeout=90)
    assert "Traceback" not in dirty.stderr + terminal.stderr
    return home, json.loads(clean.stdout), {"stdout": dirty.stdout, "stderr": dirty.stderr,
                                            "code": dirty.returncode}, terminal.stdout


def test_stdout_is_exactly_one_valid_document(runs: tuple[Home, dict, dict, str]) -> None:
    _home, _clean, dirty, _terminal = runs
    doc = json.loads(str(dirty["stdout"]))  # raises on anything before or after the document
    jsonschema.validate(doc, SCHEMA)
    assert dirty["code"] == 3 or dirty["code"] == 1


def test_every_built_in_row_is_still_there_and_the_plugins_rows_say_what_happened(
        runs: tuple[Home, dict, dict, str]) -> None:
    _home, clean, dirty, _terminal = runs
    doc = json.loads(str(dirty["stdout"]))
    rows = {c["id"]: c for c in doc["checks"]}
    built_in = {c["id"]: c["status"] for c in clean["checks"]}
    assert set(built_in) <= set(rows)
    assert {i: rows[i]["status"] for i in built_in} == built_in
    assert {i: rows[i]["status"] for i in PLUGIN_IDS} == {
        "bad.raises": "error", "bad.hangs": "error", "bad.blocks": "error", "bad.prints": "ok",
        "bad.fd_prints": "ok"}
    assert "boom from a plugin" in json.dumps(rows["bad.raises"])


def test_the_noise_goes_to_stderr(runs: tuple[Home, dict, dict, str]) -> None:
    _home, _clean, dirty, terminal = runs
    for noise in ("plugin import noise", "print() noise", "sys.stdout noise", "fd 1 noise", "child process noise"):
        assert noise not in str(dirty["stdout"]) and noise not in terminal, noise
        assert noise in str(dirty["stderr"]), noise


def test_a_thread_left_behind_cannot_print_after_the_document(runs: tuple[Home, dict, dict, str]) -> None:
    home = runs[0]
    late = home.root / "late-plugin"
    late.mkdir(exist_ok=True)
    (late / "late.py").write_text(LATE_PLUGIN, encoding="utf-8")
    ran = perspt(home, "doctor", "--offline", "--json", "--checks-dir", str(late), "--only", "late.*")
    assert json.loads(ran.stdout)["checks"][0]["id"] == "late.thread"
    assert "late thread noise" in ran.stderr, "the thread must have run, and printed to stderr"
