"""Hostile plugins against the run budget (issue 14, item 1): a check that blocks its event loop, spins,
returns facts no writer can serialise, raises KeyboardInterrupt, allocates a gigabyte, writes to stdout or
ends the process. `perspt doctor --json --timeout T` must always end within the budget plus one second
(asserted as a bound on the process, a correctness property, with slack for interpreter start-up only) and,
except for `os._exit`, print one valid document with an `error` row for the hostile check and an `ok` row
for its well-behaved neighbour."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from tests.reliability.clienv import Home, make_home

SCHEMA = json.loads(resources.files("perspt_doctor").joinpath("schemas/doctor.schema.json").read_text())

BUDGET = 3.0
CHECK_TIMEOUT = 1.5
STARTUP_SLACK = 20.0
"""Interpreter start-up and plugin discovery on a loaded CI machine; the budget starts after them."""
MEMORY_CAP = 1 << 30
"""RLIMIT_AS for the doctor process, so the gigabyte allocation fails safely on any machine."""

NEIGHBOUR = textwrap.dedent('''
    from perspt_doctor.api import CheckContext, Result, check

    @check("hostile.zz_neighbour", "a well-behaved check beside the hostile one", "runtime", timeout=5)
    async def neighbour(ctx: CheckContext) -> Result:
        return Result.ok("the neighbour finished")
''')

HEADER = "import asyncio, os, sys, time\nfrom perspt_doctor.api import CheckContext, Result, check\n"


def _plugin(body: str) -> str:
    return (HEADER + f'\n@check("hostile.check", "hostile", "runtime", timeout={CHECK_TIMEOUT})\n'
            "async def hostile(ctx: CheckContext) -> Result:\n" + textwrap.indent(body.strip(), "    ") + "\n")


HOSTILE: dict[str, tuple[str, str]] = {
    # name: (the check's body, what its error row says)
    "blocking_sleep": ("time.sleep(10**6)\nreturn Result.ok('never')", "timed out after"),
    "busy_loop": ("while True:\n    pass", "timed out after"),
    "deep_facts": ("facts = {}\nnode = facts\nfor _ in range(5000):\n    node['next'] = {}\n    node = node['next']\n"
                   "return Result.ok('deep', facts=facts)", "nested deeper than"),
    "cyclic_facts": ("facts = {'a': []}\nfacts['a'].append(facts)\nreturn Result.ok('cyclic', facts=facts)",
                     "a cycle"),
    "keyboard_interrupt": ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    "system_exit": ("sys.exit(3)", "sys.exit(3)"),
    "gigabyte": ("data = bytearray(10**9)\nreturn Result.ok(f'allocated {len(data)} bytes')", "MemoryError"),
    "stdout_writes": ("print('noise on stdout')\nos.write(1, b'fd noise\\n')\nraise RuntimeError('after the noise')",
                      "after the noise"),
    "sync_sleep_in_thread": ("await asyncio.to_thread(time.sleep, 10**6)\nreturn Result.ok('never')",
                             "timed out after"),
}


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _doctor(home: Home, checks: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], float]:
    args = [sys.executable, "-m", "perspt_doctor", "doctor", "--offline", "--json", "--checks-dir", str(checks),
            "--timeout", str(BUDGET), *extra]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=home.env,
                            cwd=home.root, preexec_fn=_cap_memory)
    try:
        # The bound is the property under test: a hang fails here instead of hanging the suite.
        out, err = proc.communicate(timeout=BUDGET + 1 + STARTUP_SLACK)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the doctor did not end within the run budget")
    return subprocess.CompletedProcess(args, proc.returncode, out, err), BUDGET


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return make_home(tmp_path_factory.mktemp("hostile-home"))


def _checks_dir(home: Home, name: str, body: str) -> Path:
    directory = home.root / f"checks-{name}"
    directory.mkdir(exist_ok=True)
    (directory / "hostile.py").write_text(_plugin(body), encoding="utf-8")
    (directory / "neighbour.py").write_text(NEIGHBOUR, encoding="utf-8")
    return directory


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_check_is_one_error_row_within_the_budget(home: Home, name: str) -> None:
    body, says = HOSTILE[name]
    ran, budget = _doctor(home, _checks_dir(home, name, body), "--only", "hostile.*")
    assert "Traceback" not in ran.stderr, ran.stderr[-2000:]
    doc = json.loads(ran.stdout)
    jsonschema.validate(doc, SCHEMA)
    rows = {row["id"]: row for row in doc["checks"]}
    assert rows["hostile.zz_neighbour"]["status"] == "ok"
    assert rows["hostile.check"]["status"] == "error", rows["hostile.check"]
    assert says in rows["hostile.check"]["summary"], rows["hostile.check"]
    assert doc["duration_ms"] <= (budget + 1) * 1000
    assert ran.returncode == 3


def test_every_hostile_check_at_once_beside_the_built_in_checks(home: Home) -> None:
    directory = home.root / "checks-all"
    directory.mkdir(exist_ok=True)
    for name, (body, _says) in HOSTILE.items():
        source = _plugin(body).replace('"hostile.check"', f'"hostile.{name}"').replace("def hostile", f"def {name}")
        (directory / f"{name}.py").write_text(source, encoding="utf-8")
    (directory / "neighbour.py").write_text(NEIGHBOUR, encoding="utf-8")
    ran, budget = _doctor(home, directory)
    doc = json.loads(ran.stdout)
    jsonschema.validate(doc, SCHEMA)
    rows = {row["id"]: row for row in doc["checks"]}
    assert {rows[f"hostile.{name}"]["status"] for name in HOSTILE} == {"error"}
    assert rows["hostile.zz_neighbour"]["status"] == "ok"
    assert rows["config.file"]["status"] != "error"
    assert doc["duration_ms"] <= (budget + 1) * 1000


@pytest.mark.parametrize("applies", ["time.sleep(10**6) or True", "(_ for _ in ()).throw(KeyboardInterrupt())"],
                         ids=["blocks", "keyboard_interrupt"])
def test_a_hostile_applies_test_is_an_error_row_within_the_budget(home: Home, applies: str) -> None:
    directory = home.root / f"checks-applies-{len(applies)}"
    directory.mkdir(exist_ok=True)
    (directory / "hostile.py").write_text(HEADER + textwrap.dedent(f'''
        @check("hostile.check", "hostile", "runtime", timeout={CHECK_TIMEOUT}, applies=lambda ctx: {applies})
        async def hostile(ctx: CheckContext) -> Result:
            return Result.ok("never asked")
    '''), encoding="utf-8")
    (directory / "neighbour.py").write_text(NEIGHBOUR, encoding="utf-8")
    ran, _budget = _doctor(home, directory, "--only", "hostile.*")
    rows = {row["id"]: row for row in json.loads(ran.stdout)["checks"]}
    assert rows["hostile.check"]["status"] == "error" and "applies()" in rows["hostile.check"]["summary"]
    assert rows["hostile.zz_neighbour"]["status"] == "ok"


def test_os_exit_ends_the_run_within_the_budget_as_documented(home: Home) -> None:
    """Plugins run in the doctor's process (docs/plugins.md, "Isolation"): `os._exit` ends it at once.
    The promise kept is the bound: the process ends, it does not hang."""
    ran, _budget = _doctor(home, _checks_dir(home, "os_exit", "os._exit(0)"), "--only", "hostile.*")
    assert ran.returncode == 0 and ran.stdout == ""
