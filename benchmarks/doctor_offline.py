"""Wall time of `perspt doctor --offline` as a user runs it (a fresh process each time, output to a
pipe), median of N runs, in an isolated home so nothing on this machine is read or written, with a fresh
user's environment (PATH, LANG, that home); the same runs in this shell's environment are printed beside
it (a sandbox's CA variables, for one, add the loading of their bundles).

    .venv/bin/python benchmarks/doctor_offline.py [--runs 15] [--dev-only]

Measured twice: in the development venv (editable install, ~150 distributions with the test extras,
which makes keyring's scan of every distribution's entry points slow), and in a clean venv holding
only perspt and its dependencies, installed from this checkout as a user would (built once, kept in
the user cache dir; needs the package index the first time). The goal applies to the clean install.

Goal: median at most 400 ms."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import goal  # noqa: E402

GOAL_MS = 400


ROOT = Path(__file__).resolve().parents[1]


def clean_python() -> Path | None:
    """A venv with only perspt (non-editable) and its dependencies; None if it cannot be built."""
    import hashlib

    stamp = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:12]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "perspt-bench"
    venv = base / f"clean-{stamp}"
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        # Reinstall each time: the code may have changed since the venv was made (the deps stay cached).
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(ROOT)],
                       check=True, timeout=600, env=env, capture_output=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", str(ROOT)], check=True, timeout=600, env=env,
                       capture_output=True)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"  clean install: could not build it ({exc}); skipped", file=sys.stderr)
        return None
    return python


def measure(python: str, runs: int, *, inherit: bool = False) -> tuple[list[float], list[float], set[int], int]:
    """A fresh user's environment (PATH, LANG and a new home), or with `inherit` this shell's (less keys and
    proxies): a sandbox's CA variables, for one, make the doctor load and check those bundles."""
    with tempfile.TemporaryDirectory() as home:
        if inherit:
            env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_PROXY", "_proxy"))}
        else:
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": os.environ.get("LANG", "C.UTF-8"),
                   "HOME": home}
        # An installed perspt has bytecode (pip compiles on install); let the warm-up run write it here too.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            env[var] = os.path.join(home, var.lower())
        command = [python, "-m", "perspt_doctor", "doctor", "--offline"]
        subprocess.run(command, env=env, capture_output=True, timeout=60, cwd=home)  # warm the OS file cache
        times, cpu, codes, rows = [], [], set(), 0
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=home)
            times.append((time.perf_counter() - started) * 1000)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
            codes.add(done.returncode)
        # the folded terminal view shares rows between checks: count them in the JSON document
        document = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, timeout=60, cwd=home)
        try:
            rows = len(json.loads(document.stdout)["checks"])
        except (ValueError, KeyError, TypeError):
            rows = 0
    return times, cpu, codes, rows


def floor(python: str, runs: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of the interpreter importing the two libraries any doctor run needs."""
    command = [python, "-c", "import click, asyncio"]
    subprocess.run(command, capture_output=True, timeout=60)
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, timeout=60)
        wall.append((time.perf_counter() - started) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--dev-only", action="store_true", help="skip the clean install")
    args = parser.parse_args()
    setups = [("development venv (editable, test extras)", sys.executable)]
    clean = None if args.dev_only else clean_python()
    if clean is not None:
        setups.append(("clean install (pip install .)", str(clean)))
    for label, python in setups:
        times, cpu, codes, rows = measure(python, args.runs)
        median = statistics.median(times)
        print(f"perspt doctor --offline, {label}: {args.runs} runs, {rows} checks, exit codes {sorted(codes)}")
        print(f"  median {median:.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms; CPU (user+sys) median "
              f"{statistics.median(cpu):.0f} ms")
        if python == setups[-1][1]:
            floor_wall, floor_cpu = floor(python, args.runs)
            shell_times, _cpu, _codes, _rows = measure(python, args.runs, inherit=True)
            shell = statistics.median(shell_times)
            print(f"  in this shell's environment (its CA variables included): median {shell:.0f} ms")
            goal("doctor --offline median" + (" (clean install)" if clean is not None else ""), median, "ms",
                 GOAL_MS, note=f"CPU {statistics.median(cpu):.0f} ms; floor `python -c 'import click, asyncio'` "
                               f"{floor_wall:.0f} ms wall, {floor_cpu:.0f} ms CPU; in this shell's environment "
                               f"{shell:.0f} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (wall time suffers when the "
          "machine is shared)")


if __name__ == "__main__":
    main()
