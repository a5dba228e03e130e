"""Helpers shared by the report and triage tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "corpus"


def check_row(check_id: str, category: str, status: str, summary: str, *, provider: str | None = None,
              depends_on: tuple[str, ...] = (), hint: str | None = None, details: tuple[str, ...] = (),
              facts: dict[str, Any] | None = None, docs: str | None = None) -> dict[str, Any]:
    return {"id": check_id, "title": check_id, "category": category, "provider": provider, "status": status,
            "summary": summary, "details": list(details), "hint": hint, "fix_commands": [], "docs": docs,
            "depends_on": list(depends_on), "duration_ms": 1, "facts": facts or {}}


def document(*checks: dict[str, Any], version: str = "0.1.0", system: str = "Linux") -> dict[str, Any]:
    counts = {s: sum(1 for c in checks if c["status"] == s) for s in ("ok", "warn", "fail", "skip", "error")}
    status = next((s for s in ("fail", "error", "warn") if counts[s]), "ok")
    return {"schema_version": 1, "tool": {"name": "perspt", "version": version,
                                          "platform": {"system": system, "release": "6.1.0"}},
            "started_at": "2025-01-01T00:00:00.000Z", "duration_ms": 5, "offline": False,
            "summary": {"status": status, "counts": counts}, "checks": list(checks)}


def run_perspt(*args: str, env: dict[str, str] | None = None, stdin: str = "",
               cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], capture_output=True, text=True,
                          input=stdin, env=env or dict(os.environ), timeout=120, cwd=cwd)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
