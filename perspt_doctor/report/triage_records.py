"""`perspt triage --jsonl`: one flat JSON record per report and check, for the engines a fleet already
runs (DuckDB, BigQuery, Spark, Elasticsearch). The fields are a stable contract, described by
`perspt_doctor/schemas/triage-record.schema.json` and the table in docs/support.md; new fields may be
added, none renamed or removed without a new `record_version`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from perspt_doctor.report.triage import TriagedReport, cached_redact, check_layer, generic_id

RECORD_VERSION = 1
FIELDS = ("record_version", "report_id", "file", "time", "version", "platform", "provider", "check_id",
          "category", "status", "layer", "cause", "rank", "consequence_of")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def report_id(raw: bytes) -> str:
    """Stable across machines and file names: the first 16 hex digits of the SHA-256 of the file."""
    return hashlib.sha256(raw).hexdigest()[:16]


def records(report: TriagedReport, raw: bytes, clean: Callable[[str], str] | None = None) -> list[dict[str, Any]]:
    """The report's records, in the order of its checks. A report without checks still has one
    record (its check fields null), so that it counts as a report with no failure. `clean` is
    applied to every string taken from the report (the redactor)."""
    text = clean or _same
    started = report.document.get("started_at")
    common: dict[str, Any] = {
        "record_version": RECORD_VERSION, "report_id": report_id(raw), "file": text(report.path),
        "time": text(started) if isinstance(started, str) else None, "version": text(report.version),
        "platform": text(report.platform),
    }
    ranked = {finding.check_id: (position, finding) for position, finding in enumerate(report.findings, start=1)}
    rows: list[dict[str, Any]] = []
    for check in report.document.get("checks") or []:
        check_id = str(check.get("id"))
        provider = check.get("provider") if isinstance(check.get("provider"), str) else None
        category = check.get("category") if isinstance(check.get("category"), str) else None
        position, finding = ranked.get(check_id, (None, None))
        follows = finding.consequence_of if finding else None
        rows.append({**common, "provider": text(provider) if provider else provider, "check_id": text(check_id),
                     "category": text(category) if category else category, "status": text(str(check.get("status"))),
                     "layer": finding.layer if finding else check_layer(check)[1], "cause": text(finding.cause_label if finding else generic_id(check_id, provider)), "rank": position,
                     "consequence_of": text(follows) if follows else None})
    if not rows:
        rows.append({**common, **{name: None for name in FIELDS if name not in common}})
    return rows


def records_text(report: TriagedReport, raw: bytes) -> str:
    """The records as JSON lines (each ends with a newline), every string redacted."""
    encode = _ENCODER.encode
    return "".join(encode(row) + "\n" for row in records(report, raw, cached_redact()))


def _same(text: str) -> str:
    return text
