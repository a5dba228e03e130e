"""The doctor's JSON document (design.md, schema_version 1), redacted, JSON-safe, schema-valid."""

from __future__ import annotations

import enum
import json
import platform
import sys
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from perspt_doctor._version import __version__
from perspt_doctor.engine.outcome import DoctorRun, Outcome

SCHEMA_VERSION = 1


def to_document(run: DoctorRun, *, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The design.md document plus triage extras (`suppressed` per row, `tool.platform`,
    `environment`, `options`). Every string passes through the redactor."""
    from perspt_doctor.redact import redact_obj

    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "perspt", "version": __version__, "platform": platform_facts()},
        "started_at": run.started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "duration_ms": run.duration_ms,
        "offline": run.offline,
        "summary": {"status": run.summary_status, "counts": run.counts, "suppressed": run.suppressed_count},
        "checks": [row(o) for o in run.outcomes],
        "environment": {
            "providers": list(run.providers),
            "config_file": run.config_path,
            "suppress": list(run.suppress_patterns),
            "disabled_plugins": list(run.disabled_sources),
        },
        "options": dict(run.options),
    }
    if extra:
        doc.update(extra)
    redacted: dict[str, Any] = redact_obj(json_safe(doc))
    return redacted


def row(outcome: Outcome) -> dict[str, Any]:
    check, result = outcome.check, outcome.result
    return {
        "id": check.id,
        "title": check.title,
        "category": check.category,
        "provider": check.provider,
        "status": result.status.value,
        "summary": result.summary,
        "details": list(result.details),
        "hint": result.hint,
        "fix_commands": result.commands(),
        "docs": result.docs or check.docs,
        "depends_on": list(outcome.depends_on),
        "duration_ms": outcome.duration_ms,
        "facts": outcome.public_facts,
        "suppressed": outcome.suppressed,
        "blocked_by": outcome.blocked_by,
        "origin": check.origin,
    }


def platform_facts() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "executable_prefix": sys.prefix,
    }


def json_safe(value: Any) -> Any:
    """Facts come from plugins too: anything JSON cannot hold becomes a string."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [json_safe(v) for v in items]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return repr(value)


def dumps(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)
