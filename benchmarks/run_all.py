"""Runs every benchmark script in turn (each prints its own figures as it goes), then prints one
table of every goal: figure, goal, met or not. Loopback only; nothing leaves this machine.

    .venv/bin/python benchmarks/run_all.py [--quick] [--skip-llm] [--triage-100k] [--only a.py,b.py]
                                          [--markdown benchmarks/measured.md]

--quick uses fewer repetitions (for a smoke run); the figures in the docs come from a full run.
--triage-100k adds the 100,000-report triage corpus (about a gigabyte in a temp dir, minutes).
--only runs some of the scripts; --markdown also writes the table, with the machine it ran on, to
a file (benchmarks/measured.md is the one docs/benchmarks.md shows).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(quick: bool, skip_llm: bool, triage_100k: bool = False) -> list[list[str]]:
    runs = ["--runs", "5"] if quick else []
    return [
        ["startup.py", *(["--runs", "10"] if quick else [])],
        ["doctor_offline.py", *runs],
        ["concurrency.py", *(["--runs", "3"] if quick else [])],
        ["network.py"],
        ["doctor_rss.py", *(["--runs", "3"] if quick else [])],
        ["streaming.py", *(["--skip-llm"] if skip_llm else [])],
        ["triage.py", *(["--also-100k"] if triage_100k else [])],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--triage-100k", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated script names")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "figures.jsonl"
        env = dict(os.environ, PERSPT_BENCH_RECORD=str(record))
        failed: list[str] = []
        for script, *options in scripts(args.quick, args.skip_llm, args.triage_100k):
            if only and script not in only:
                continue
            print(f"\n=== {script} {' '.join(options)}", flush=True)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, str(HERE / script), *options], env=env)
            print(f"=== {script}: {time.perf_counter() - started:.1f} s, exit {done.returncode}", flush=True)
            if done.returncode != 0:
                failed.append(script)
        rows = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    table = markdown_table(rows)
    print("\n" + "\n".join(table))
    if args.markdown:
        args.markdown.write_text("\n".join(table) + "\n", encoding="utf-8")
    if failed:
        print(f"scripts that failed: {', '.join(failed)}")
    return 1 if failed else 0


def machine() -> str:
    import platform

    model = ""
    with contextlib.suppress(OSError):
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} CPUs{' (' + model + ')' if model else ''}, {platform.system()} "
            f"{platform.release()}, Python {sys.version.split()[0]}, load average {load:.2f} at the end, "
            f"{time.strftime('%Y-%m-%d', time.gmtime())}")


def markdown_table(rows: list[dict[str, object]]) -> list[str]:
    command = " ".join(["benchmarks/run_all.py", *sys.argv[1:]])
    lines = [f"Measured on {machine()}, by `.venv/bin/python {command}`.", "",
             "| figure | measured | goal | met | beside it, same run |", "|---|---|---|---|---|"]
    for row in rows:
        measured = f"{float(str(row['value'])):.3g} {row['unit']}"
        lines.append(f"| {row['name']} | {measured} | <= {format(row['goal'], 'g')} {row['unit']} | "
                     f"{'yes' if row['met'] else 'NO'} | {row.get('note') or ''} |")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
