"""Runs every benchmark script in turn (each prints its own figures as it goes), then prints one
table of every goal: figure, goal, met or not. Loopback only; nothing leaves this machine.

    .venv/bin/python benchmarks/run_all.py [--quick] [--skip-llm]

--quick uses fewer repetitions (for a smoke run); the figures in the docs come from a full run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(quick: bool, skip_llm: bool) -> list[list[str]]:
    runs = ["--runs", "5"] if quick else []
    return [
        ["startup.py", *(["--runs", "10"] if quick else [])],
        ["doctor_offline.py", *runs],
        ["concurrency.py", *(["--runs", "3"] if quick else [])],
        ["network.py"],
        ["doctor_rss.py", *(["--runs", "3"] if quick else [])],
        ["streaming.py", *(["--skip-llm"] if skip_llm else [])],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip-llm", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "figures.jsonl"
        env = dict(os.environ, PERSPT_BENCH_RECORD=str(record))
        failed: list[str] = []
        for script, *options in scripts(args.quick, args.skip_llm):
            print(f"\n=== {script} {' '.join(options)}", flush=True)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, str(HERE / script), *options], env=env)
            print(f"=== {script}: {time.perf_counter() - started:.1f} s, exit {done.returncode}", flush=True)
            if done.returncode != 0:
                failed.append(script)
        rows = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    load = os.getloadavg()[0]
    print(f"\nBenchmarks on {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average {load:.2f}")
    print(f"| {'figure':<48} | {'measured':>12} | {'goal':>10} | met |")
    print(f"|{'-' * 50}|{'-' * 14}|{'-' * 12}|-----|")
    for row in rows:
        measured = f"{row['value']:.3g} {row['unit']}"
        print(f"| {row['name']:<48} | {measured:>12} | {'<= ' + format(row['goal'], 'g'):>10} | "
              f"{'yes' if row['met'] else 'NO':<3} |")
    if failed:
        print(f"scripts that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
