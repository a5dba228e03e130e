"""The event loop is never blocked: a full `perspt doctor --live` against loopback fakes for all 11
providers runs with asyncio's debug mode on and `slow_callback_duration` 0.05 s, and any "Executing ...
took" warning (a callback or task step that held the loop that long: an import, a file parse,
getaddrinfo, an SSL context built on the loop) fails the test. Blocking work belongs in
`ctx.run_blocking` or before the loop starts (engine/warm.py).

A correctness test, not a timed one. The doctor runs in its own process (the fakes' threads stay in this
one). On a shared machine the OS may keep the loop's thread waiting for a CPU in the middle of a quick
step, which asyncio counts too; so each step is also measured with the time the thread spent waiting on
the run queue taken off (Linux's /proc/thread-self/schedstat), and a warning fails the test only when
that held time is over the threshold as well. Blocking calls and CPU work on the loop count in full."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.provider_checks.fleet import PROVIDERS, fleet
from tests.provider_checks.test_doctor_e2e import ROOT, base_env

SLOW = 0.05

# Runs `perspt ARGS...` with every event loop in debug mode, and writes the slow steps to $OUT as JSON.
HOOK = """import asyncio, json, logging, sys, time
from pathlib import Path
SLOW, OUT = float(sys.argv[1]), sys.argv[2]
SCHEDSTAT = Path("/proc/thread-self/schedstat")

def queued():
    try:
        return int(SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0

found = {"loops": 0, "warned": [], "held": []}
class Warned(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("Executing "):
            found["warned"].append(record.getMessage()[:300])
logging.getLogger("asyncio").addHandler(Warned(logging.WARNING))
real_loop, run_step = asyncio.new_event_loop, asyncio.events.Handle._run

def new_event_loop():
    loop = real_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW
    found["loops"] += 1
    return loop

def measured(handle):
    started, waited = time.perf_counter(), queued()
    run_step(handle)
    spent = time.perf_counter() - started - (queued() - waited)
    if spent >= SLOW:
        found["held"].append(f"{handle!r}"[:300] + f" held the loop {spent:.3f} s")

asyncio.new_event_loop, asyncio.events.Handle._run = new_event_loop, measured
sys.argv = ["perspt", *sys.argv[3:]]
try:
    from perspt_doctor.cli import main
    main()
finally:
    Path(OUT).write_text(json.dumps(found))
"""


def hooked_doctor(hook: str, tmp_path: Path, *args: str, env: dict[str, str], hook_args: tuple[str, ...] = ()
                  ) -> tuple[Any, str]:
    """Runs `perspt doctor ARGS` under `hook` (a script that takes its own arguments, then the path to write
    its JSON findings, then perspt's arguments); returns (the findings, the doctor's stdout)."""
    out = tmp_path / "hook.json"
    done = subprocess.run([sys.executable, "-c", hook, *hook_args, str(out), "doctor", *args], env=env,
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    return json.loads(out.read_text()), done.stdout


def full_fleet_doctor(hook: str, tmp_path: Path, hook_args: tuple[str, ...] = ()) -> tuple[Any, dict[str, Any]]:
    """(the hook's findings, the rows by id) of `perspt doctor --live` against the 11 providers' fakes."""
    with fleet() as f:
        path = f.write_config(tmp_path / "config.json")
        found, stdout = hooked_doctor(hook, tmp_path, "--json", "--live", "--config", str(path),
                                      *[f"--provider={p}" for p in PROVIDERS], env=f.env(base_env()),
                                      hook_args=hook_args)
    return found, {c["id"]: c for c in json.loads(stdout)["checks"]}


def test_full_doctor_against_eleven_providers_never_blocks_the_loop(tmp_path: Path) -> None:
    found, rows = full_fleet_doctor(HOOK, tmp_path, hook_args=(str(SLOW),))
    for pid in PROVIDERS:  # the run really reached every provider
        assert rows[f"tcp.{pid}"]["status"] == "ok", rows[f"tcp.{pid}"]
    assert not [r for r in rows.values() if r["status"] == "error"]
    assert found["loops"] >= 1
    assert not (found["warned"] and found["held"]), (found["held"], found["warned"])


def one_plugin_check(hook: str, tmp_path: Path, check_id: str, body: str, hook_args: tuple[str, ...] = ()) -> Any:
    """The hook's findings for an offline run of one plugin check whose coroutine runs `body` (indented
    lines; `time` is imported), written to plugin.py in a checks directory."""
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "plugin.py").write_text(
        "import time\nfrom perspt_doctor.api import Result, check\n\n"
        f"@check({check_id!r}, 'a test check', 'runtime')\nasync def probe(ctx):\n{body}"
        "    return Result.ok('done')\n")
    found, _ = hooked_doctor(hook, tmp_path, "--offline", "--only", check_id, "--checks-dir", str(checks),
                             env=base_env(), hook_args=hook_args)
    return found


def test_the_detector_sees_a_blocking_check(tmp_path: Path) -> None:
    """The same hook flags a check that sleeps on the loop (so the test above can fail)."""
    found = one_plugin_check(HOOK, tmp_path, "test.blocks", f"    time.sleep({SLOW * 3})\n", hook_args=(str(SLOW),))
    assert len(found["warned"]) == 1 and "test.blocks" in found["warned"][0], found
    assert len(found["held"]) == 1, found
