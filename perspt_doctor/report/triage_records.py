"""`perspt triage --jsonl`: one flat JSON record per report and check, for the engines a fleet already
runs (DuckDB, BigQuery, Spark, Elasticsearch). The fields are a stable contract, described by
`perspt_doctor/schemas/triage-record.schema.json` and the table in docs/support.md; new fields may be
added, none renamed or removed without a new `record_version`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import lru_cache, partial
from json.encoder import encode_basestring
from typing import Any

from perspt_doctor.report.triage import TriagedReport, check_layer, generic_id, layer_of
from perspt_doctor.report.triage_render import Clean, RedactorKey, cached_redact, redact_cached, redactor_key

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
    """The records as JSON lines (each ends with a newline), every string redacted: `records` encoded
    compactly, written out a record at a time. Most checks of a fleet's reports passed and look alike,
    so the part of their record that follows the report's own fields is made once and remembered."""
    checks = report.document.get("checks") or []
    if not checks:
        encode = _ENCODER.encode
        return "".join(encode(row) + "\n" for row in records(report, raw, cached_redact()))
    key = redactor_key()
    clean = cached_redact()
    started = report.document.get("started_at")
    head = (f'{{"record_version":{RECORD_VERSION},"report_id":"{report_id(raw)}",'
            f'"file":{_quote(clean, report.path)},'
            f'"time":{_quote(clean, started) if isinstance(started, str) else "null"},'
            f'"version":{_quote(clean, report.version)},"platform":{_quote(clean, report.platform)},')
    ranked = {finding.check_id: (position, finding) for position, finding in enumerate(report.findings, start=1)}
    tails: list[str] = []
    for check in checks:
        check_id = str(check.get("id"))
        provider = check.get("provider")
        provider = provider if isinstance(provider, str) else None
        raw_category = check.get("category")
        category = raw_category if isinstance(raw_category, str) else None
        found = ranked.get(check_id)
        if found is None:
            facts = check.get("facts")
            if (facts is None or (type(facts) is dict and "cause" not in facts)) \
                    and (raw_category is None or type(raw_category) is str):
                layer = _category_layer(raw_category)  # no classified cause: what `check_layer` returns
            else:
                layer = check_layer(check)[1]
            tail = _plain_tail(key, check_id, provider, category, str(check.get("status")), layer)
        else:
            position, finding = found
            tail = (f'{_common_tail(clean, check_id, provider, category, str(check.get("status")))}'
                    f'"layer":{encode_basestring(finding.layer)},"cause":{_quote(clean, finding.cause_label)},'
                    f'"rank":{position},"consequence_of":{_follows(clean, finding.consequence_of)}}}\n')
        tails.append(tail)
    return head + head.join(tails)  # each tail ends its line, so the head starts the next


@lru_cache(maxsize=256)
def _category_layer(category: str | None) -> str:
    return layer_of(category)[1]


@lru_cache(maxsize=4096)
def _plain_tail(key: RedactorKey, check_id: str, provider: str | None, category: str | None, status: str,
                layer: str) -> str:
    """The fields after the report's own of a check that triage did not rank (passed, skipped): `key` is
    the redactor's (`triage_render.redactor_key`), the rest all that these fields depend on."""
    clean: Clean = partial(redact_cached, key)
    return (f'{_common_tail(clean, check_id, provider, category, status)}"layer":{encode_basestring(layer)},'
            f'"cause":{_quote(clean, generic_id(check_id, provider))},"rank":null,"consequence_of":null}}\n')


def _common_tail(clean: Clean, check_id: str, provider: str | None, category: str | None, status: str) -> str:
    return (f'"provider":{_maybe(clean, provider)},"check_id":{_quote(clean, check_id)},'
            f'"category":{_maybe(clean, category)},"status":{_quote(clean, status)},')


def _quote(clean: Clean, text: str) -> str:
    return encode_basestring(clean(text))


def _maybe(clean: Clean, text: str | None) -> str:
    """A string redacted and quoted; None (and, as `records` has it, an empty string) as they are."""
    return encode_basestring(clean(text)) if text else "null" if text is None else '""'


def _follows(clean: Clean, text: str | None) -> str:
    """`consequence_of`: null for no check (None or, as `records` has it, an empty string)."""
    return encode_basestring(clean(text)) if text else "null"


def _same(text: str) -> str:
    return text
