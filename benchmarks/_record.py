"""Shared by the benchmark scripts: each one states its goals through `goal()`, which prints the
verdict line and, when `benchmarks/run_all.py` runs it, appends the figure to a JSON-lines file."""

from __future__ import annotations

import json
import os


def goal(name: str, value: float, unit: str, limit: float, note: str = "") -> bool:
    met = value <= limit
    print(f"  {name}: {value:.3g} {unit} (goal <= {limit:g} {unit}: {'met' if met else 'NOT met'})"
          + (f"; {note}" if note else ""))
    target = os.environ.get("PERSPT_BENCH_RECORD")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"name": name, "value": value, "unit": unit, "goal": limit, "met": met,
                                     "note": note}) + "\n")
    return met
