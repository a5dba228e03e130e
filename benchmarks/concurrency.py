"""200 plugin checks that each sleep 100 ms, loaded through the entry point of the example plugin
(installed offline into a temp dir), run by `perspt doctor`. Run one after another they would take
20 s; the goal is at most 0.5 s, which proves they run concurrently.

    .venv/bin/python benchmarks/concurrency.py [--checks 200] [--sleep 0.1] [--runs 5]

Prints the engine's own duration (from the JSON document) and the wall time of the whole command."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import goal  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--sleep", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests" / "plugin_example"))
    from install import install_into

    with tempfile.TemporaryDirectory() as home:
        site = install_into(Path(home) / "site")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
                   PERSPT_EXAMPLE_SLEEPERS=str(args.checks), PERSPT_EXAMPLE_SLEEP_SECONDS=str(args.sleep))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            env[var] = os.path.join(home, var.lower())
        command = [sys.executable, "-m", "perspt_doctor", "doctor", "--json", "--only", "sleepers.*"]
        engine, wall = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
            wall.append(time.perf_counter() - started)
            doc = json.loads(done.stdout)
            assert doc["summary"]["counts"]["ok"] == args.checks, doc["summary"]
            engine.append(doc["duration_ms"] / 1000)
    serial = args.checks * args.sleep
    median = statistics.median(engine)
    print(f"{args.checks} plugin checks x {args.sleep:g} s sleep (serial would be {serial:.1f} s), {args.runs} runs")
    print(f"  run (engine) median {median:.3f} s, max {max(engine):.3f} s")
    goal(f"{args.checks} sleeping plugin checks", median, "s", GOAL_S)
    print(f"  whole command (process start, discovery, report) median {statistics.median(wall):.3f} s")


if __name__ == "__main__":
    main()
