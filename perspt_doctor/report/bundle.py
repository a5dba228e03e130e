"""The report's attachments: a zip with the report, the doctor's JSON and a bounded, redacted
excerpt of the log. Built in memory, so that every member passes the final scan before anything is written."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from perspt_doctor import redact
from perspt_doctor.report import leakscan, logtail

REPORT_NAME = "report.md"
DOCUMENT_NAME = "doctor.json"
LOG_NAME = "perspt-log-excerpt.txt"


def bundle_members(report: str, document: Mapping[str, Any], log_path: Path | None,
                   limit: int = logtail.EXCERPT_BYTES) -> dict[str, str]:
    members = {REPORT_NAME: report,
               DOCUMENT_NAME: json.dumps(redact.redact_obj(dict(document)), indent=2, ensure_ascii=False) + "\n"}
    text = logtail.excerpt(log_path, limit) if log_path is not None else ""
    members[LOG_NAME] = "\n".join(redact.redact_lines(text.splitlines())) + "\n" if text else "(no log file)\n"
    return members


def final_scan(members: Mapping[str, str]) -> tuple[dict[str, str], list[leakscan.Hit]]:
    """The last step before anything is written: the independent scan (`leakscan`) of every member for
    the secrets perspt knows, in their encodings, and for token shapes. What it finds is removed."""
    return leakscan.scrub(members, redact.default_redactor().known_secrets())


def zip_bytes(members: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
