"""The report's attachments: a zip with the report, the doctor's JSON and a bounded, redacted
excerpt of the log. Built in memory so that nothing is written unless every member passes the scan."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perspt_doctor import redact
from perspt_doctor.report import logtail

REPORT_NAME = "report.md"
DOCUMENT_NAME = "doctor.json"
LOG_NAME = "perspt-log-excerpt.txt"


@dataclass(frozen=True)
class Leak:
    member: str
    line: int
    excerpt: str
    """The line as it would read redacted, shortened: shows where, never what."""


def bundle_members(report: str, document: Mapping[str, Any], log_path: Path | None,
                   limit: int = logtail.EXCERPT_BYTES) -> dict[str, str]:
    members = {REPORT_NAME: report,
               DOCUMENT_NAME: json.dumps(redact.redact_obj(dict(document)), indent=2, ensure_ascii=False) + "\n"}
    text = logtail.excerpt(log_path, limit) if log_path is not None else ""
    members[LOG_NAME] = "\n".join(redact.redact_lines(text.splitlines())) + "\n" if text else "(no log file)\n"
    return members


def find_leaks(members: Mapping[str, str]) -> list[Leak]:
    """The final scan: any line that still holds a known secret or something secret-shaped."""
    scanner = redact.default_redactor()
    leaks: list[Leak] = []
    for name, text in members.items():
        for number, line in scanner.find_leaks(text):
            leaks.append(Leak(name, number, _masked(scanner.redact(line))))
    return leaks


def _masked(line: str, width: int = 100) -> str:
    line = line.strip()
    return line if len(line) <= width else line[: width - 3] + "..."


def zip_bytes(members: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
