"""Run history: every doctor run's (redacted) JSON document in the state dir, the newest N kept,
and the diff against the last run that had no failures (`perspt doctor --diff`)."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perspt_doctor import paths

_NAME = re.compile(r"^\d{8}T\d{6}\d*Z?-\d+\.json$")


def runs_dir() -> Path:
    return paths.doctor_runs_dir()


def record_run(doc: Mapping[str, Any], *, keep: int, directory: Path | None = None) -> Path:
    """Append one run record (the document is already redacted) and drop the oldest beyond `keep`."""
    from perspt_doctor.fsutil import PRIVATE_MODE, atomic_write

    directory = directory or runs_dir()
    paths.ensure_dir(directory)
    stamp = str(doc.get("started_at", "")).replace("-", "").replace(":", "").replace(".", "")
    stamp = re.sub(r"[^0-9TZ]", "", stamp) or "00000000T000000"
    target = directory / f"{stamp}-{os.getpid()}.json"
    atomic_write(target, json.dumps(doc, indent=1, ensure_ascii=False) + "\n", mode=PRIVATE_MODE, backup=False)
    prune(directory, max(1, keep))
    return target


def list_runs(directory: Path | None = None) -> list[Path]:
    directory = directory or runs_dir()
    try:
        return sorted(p for p in directory.iterdir() if _NAME.match(p.name))
    except OSError:
        return []


def prune(directory: Path, keep: int) -> None:
    for old in list_runs(directory)[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()


def load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("checks"), list) else None


def last_good_run(directory: Path | None = None) -> dict[str, Any] | None:
    """The newest recorded run with no failures (errors and warnings allowed)."""
    for path in reversed(list_runs(directory)):
        doc = load(path)
        if doc is None:
            continue
        counts = doc.get("summary", {}).get("counts", {})
        if isinstance(counts, Mapping) and not counts.get("fail"):
            return doc
    return None


@dataclass(frozen=True)
class Change:
    id: str
    before: str | None
    after: str | None
    summary: str | None = None

    def line(self) -> str:
        if self.before is None:
            return f"{self.id}: new ({self.after})"
        if self.after is None:
            return f"{self.id}: {self.before} -> not run"
        return f"{self.id}: {self.before} -> {self.after}"


def diff(baseline: Mapping[str, Any], current: Mapping[str, Any], *, partial: bool = False) -> list[Change]:
    """Status changes by check id. With `partial` (the current run used --only/--skip), checks missing
    from the current run are not reported as gone."""
    before = _statuses(baseline)
    after = _statuses(current)
    summaries = {c.get("id"): c.get("summary") for c in current.get("checks", []) if isinstance(c, Mapping)}
    changes: list[Change] = []
    for check_id in sorted(set(before) | set(after)):
        old, new = before.get(check_id), after.get(check_id)
        if old == new or (new is None and partial):
            continue
        changes.append(Change(check_id, old, new, summaries.get(check_id)))
    return changes


def _statuses(doc: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in doc.get("checks", []):
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            status = str(item.get("status"))
            out[item["id"]] = f"{status} (suppressed)" if item.get("suppressed") else status
    return out
