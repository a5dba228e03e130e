"""Peak memory (RSS) and wall time of a full `perspt doctor` run (every check, network included)
against healthy loopback fakes for all 11 providers plus Ollama. Nothing leaves this machine.

    .venv/bin/python benchmarks/doctor_rss.py [--runs 5]

Goal: peak RSS at most 80 MB."""

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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _record import goal  # noqa: E402

from tests.provider_checks.fleet import fleet  # noqa: E402


def _run_once(command: list[str], env: dict[str, str]) -> tuple[float, float, int, dict[str, int]]:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    output = process.stdout.read() if process.stdout else b""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    counts = json.loads(output)["summary"]["counts"]
    return wall, usage.ru_maxrss / 1024, process.returncode, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, fleet() as fakes:
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_PROXY", "_proxy"))}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            env[var] = os.path.join(home, var.lower())
        env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
        env = fakes.env(env)
        config = fakes.write_config(Path(home) / "config.json")
        command = [sys.executable, "-m", "perspt_doctor", "doctor", "--json", "--config", str(config)]
        walls, peaks = [], []
        counts: dict[str, int] = {}
        for _ in range(args.runs):
            wall, peak, _code, counts = _run_once(command, env)
            walls.append(wall)
            peaks.append(peak)
    print(f"perspt doctor (all checks, 11 providers + Ollama on loopback fakes): {args.runs} runs; "
          f"statuses of the last run: {counts}")
    print(f"  wall time median {statistics.median(walls) * 1000:.0f} ms, min {min(walls) * 1000:.0f} ms")
    goal("doctor peak RSS", max(peaks), "MB", 80, note=f"median {statistics.median(peaks):.1f} MB")


if __name__ == "__main__":
    main()
