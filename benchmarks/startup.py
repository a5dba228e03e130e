"""Start-up time of the `perspt` command: median wall time of `perspt --version` and `perspt --help`
next to `python -c pass` (the floor no Python program can beat). A figure, not a test.

    .venv/bin/python benchmarks/startup.py [--runs 20]

Goal: `perspt --version` and `perspt --help` each at most 60 ms median on a 2-core machine."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import goal  # noqa: E402


def _perspt() -> list[str]:
    script = Path(sys.executable).with_name("perspt")
    if script.exists():
        return [str(script)]
    found = shutil.which("perspt")
    return [found] if found else [sys.executable, "-m", "perspt_doctor"]


def _median_ms(command: list[str], runs: int) -> tuple[float, float]:
    env = dict(os.environ)
    # An installed perspt has bytecode (pip compiles on install); let the warm-up run write it here too.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(command, capture_output=True, check=False, env=env)  # warm the page cache
    samples: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False, env=env)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    perspt = _perspt()
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("perspt --version", [*perspt, "--version"]),
        ("perspt --help", [*perspt, "--help"]),
    ]
    print(f"{args.runs} runs each, {os.cpu_count()} CPUs, python {sys.version.split()[0]}, command {perspt[0]}")
    print(f"{'command':<20} {'median ms':>10} {'min ms':>8}")
    results: dict[str, float] = {}
    for name, command in rows:
        median, best = _median_ms(command, args.runs)
        results[name] = median
        print(f"{name:<20} {median:>10.1f} {best:>8.1f}")
    base = results["python -c pass"]
    goal("perspt --version median", results["perspt --version"], "ms", 60,
         note=f"{results['perspt --version'] - base:.0f} ms over python -c pass")
    goal("perspt --help median", results["perspt --help"], "ms", 60,
         note=f"{results['perspt --help'] - base:.0f} ms over python -c pass")


if __name__ == "__main__":
    main()
