"""Wall time of `perspt doctor --offline` as a user runs it (a fresh process each time, output to a
pipe), median of N runs, in an isolated home so nothing on this machine is read or written.

    .venv/bin/python benchmarks/doctor_offline.py [--runs 15]

Goal: median at most 400 ms."""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_PROXY", "_proxy"))}
        # An installed perspt has bytecode (pip compiles on install); let the warm-up run write it here too.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            env[var] = os.path.join(home, var.lower())
        command = [sys.executable, "-m", "perspt_doctor", "doctor", "--offline"]
        subprocess.run(command, env=env, capture_output=True, timeout=60)  # warm the OS file cache
        times, cpu, codes, rows = [], [], set(), 0
        for _ in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
            times.append((time.perf_counter() - started) * 1000)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
            codes.add(done.returncode)
            rows = sum(1 for line in done.stdout.splitlines() if line.startswith("  ["))
    median = statistics.median(times)
    print(f"perspt doctor --offline: {args.runs} runs, {rows} checks, exit codes {sorted(codes)}")
    print(f"  median {median:.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms")
    goal("doctor --offline median", median, "ms", GOAL_MS)
    print(f"  CPU time (user+sys) median {statistics.median(cpu):.0f} ms; load average now "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (wall time suffers when the machine is shared)")


if __name__ == "__main__":
    main()
