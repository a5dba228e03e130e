"""No check reads a file, lists a directory, starts a process or resolves a name on the event loop's thread:
that work goes through `ctx.run_blocking`. Python's audit hooks (PEP 578) report each such call as it
happens, so this test sees a blocking call however quick it was on this machine (the slow-callback test
only sees the ones that took 50 ms). Imports are left to that test: a lazy import on the loop is the
documented way to keep start-up short.

The doctor runs in its own process with the hook installed; the hook records the events raised on the
thread of a running event loop (the engine's, or a plugin's own), with the perspt frame nearest the call;
the executor's worker threads, where blocking work belongs, run no loop."""

from __future__ import annotations

from pathlib import Path

from tests.provider_checks.fleet import PROVIDERS
from tests.provider_checks.test_slow_callbacks import full_fleet_doctor, one_plugin_check

HOOK = """import asyncio, json, sys, threading
from pathlib import Path
OUT = sys.argv[1]
BLOCKING = {"open", "os.listdir", "os.scandir", "subprocess.Popen", "os.posix_spawn", "socket.getaddrinfo",
            "socket.gethostbyname", "socket.gethostbyaddr", "sqlite3.connect", "shutil.copyfile"}
found = []
inside = threading.local()

def where():
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if "perspt_doctor" in name or "/checks/" in name:
            return f"{name.rsplit('/', 2)[-2]}/{name.rsplit('/', 1)[-1]}:{frame.f_lineno} {frame.f_code.co_name}"
        frame = frame.f_back
    return "?"

def hook(event, args):
    if event not in BLOCKING:
        return
    if getattr(inside, "on", False):
        return
    inside.on = True
    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # not a loop's thread
        target = str(args[0]) if args else ""
        if event == "open" and target.endswith((".py", ".pyc")):
            return  # an import
        found.append(f"{event} {target[-80:]} at {where()}")
    finally:
        inside.on = False

sys.addaudithook(hook)
sys.argv = ["perspt", *sys.argv[2:]]
try:
    from perspt_doctor.cli import main
    main()
finally:
    Path(OUT).write_text(json.dumps(found))
"""


def test_full_doctor_does_no_blocking_io_on_the_loop(tmp_path: Path) -> None:
    found, rows = full_fleet_doctor(HOOK, tmp_path)
    assert [pid for pid in PROVIDERS if rows[f"auth.{pid}"]["status"] != "ok"] == ["ollama"]  # it has no key
    assert rows["runtime.dependencies"]["status"] in ("ok", "skip")
    assert found == []


def test_the_hook_sees_a_check_that_reads_a_file_on_the_loop(tmp_path: Path) -> None:
    """The same hook flags a check that opens a file on the loop (so the test above can fail)."""
    found = one_plugin_check(HOOK, tmp_path, "test.reads", "    with open('/etc/hostname', 'rb') as handle:\n"
                                                           "        handle.read()\n")
    assert len(found) == 1 and found[0].startswith("open /etc/hostname at checks/plugin.py:6 probe"), found
