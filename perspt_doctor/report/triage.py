"""Support triage: read users' reports (the Markdown of `perspt report`, or the doctor's JSON),
rank each one's root causes by network layer, and count causes, versions and platforms across many.

The earliest failing layer is the root cause: a broken config explains a failed key check, a
refused proxy explains failed DNS, TLS and HTTP checks behind it, and so on down the stack.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from perspt_doctor import categories
from perspt_doctor.errors import UsageError
from perspt_doctor.textsafe import json_without_lone_surrogates

SCHEMA_VERSION = 1
MAX_REPORT_BYTES = 16 * 1024 * 1024
JSON_HEADING = "## Doctor JSON"

_STATUS_RANK = {"fail": 0, "error": 1, "warn": 2}


class ReportFormatError(UsageError, ValueError):
    """A file that is not a readable report; the message says why in one line."""


def layer_of(category: str | None) -> tuple[int, str]:
    """(rank, name) of the network layer a category belongs to (`categories.LAYERS`)."""
    return categories.layer_index(category)


def is_mapping(value: object) -> TypeGuard[Mapping[str, Any]]:
    """`isinstance(value, Mapping)`, without the ABC's cost for the plain dicts `json.loads` makes."""
    return type(value) is dict or isinstance(value, Mapping)


def cause_layer(item: Mapping[str, Any]) -> str | None:
    """The layer the failure classifier (`transport/classify.py`) gave a check's cause, when the check
    recorded one (`facts.cause`): an HTTP check failing at a refused proxy ranks with the proxy."""
    facts = item.get("facts")
    cause = facts.get("cause") if is_mapping(facts) else None
    layer = cause.get("layer") if is_mapping(cause) else None
    return layer if isinstance(layer, str) and layer in categories.BUILTIN_NAMES else None


def check_layer(item: Mapping[str, Any]) -> tuple[int, str]:
    """The layer triage ranks a check in: its classified cause's, else its category's."""
    return layer_of(cause_layer(item) or item.get("category"))


def check_anchor(check_id: str, provider: str | None = None) -> str:
    """The anchor of a check's section in docs/checks.md: `tls.openai` (provider openai) -> `tls-provider`."""
    declared = check_id
    if provider:
        parts = declared.split(".")
        declared = ".".join("{provider}" if part == provider else part for part in parts)
    slug = declared.lower().replace("{provider}", "provider")
    return re.sub(r"[^a-z0-9]+", "-", slug).strip("-")


@dataclass(frozen=True)
class Finding:
    check_id: str
    status: str
    layer: str
    layer_index: int
    summary: str
    hint: str = ""
    fix_commands: tuple[str, ...] = ()
    docs: str = ""
    provider: str | None = None
    consequence_of: str | None = None
    cause_kind: str | None = None
    """The classifier's kind of the failure (`facts.cause.kind`), when the check recorded one."""

    @property
    def cause_label(self) -> str:
        """What the ranking counts: the check, across providers, and the kind of failure in words, so that
        a proxy that refuses connections and one that does not answer are counted apart."""
        from perspt_doctor.transport.cause_words import words_for

        words = words_for(self.cause_kind)
        generic = generic_id(self.check_id, self.provider)
        return f"{generic}: {words}" if words else generic

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check_id, "status": self.status, "layer": self.layer, "summary": self.summary,
                "fix": self.hint, "fix_commands": list(self.fix_commands), "runbook": self.docs,
                "provider": self.provider, "consequence_of": self.consequence_of}


def rank(document: Mapping[str, Any], *, include_warnings: bool = True) -> list[Finding]:
    """Failed and crashed checks, earliest layer first, then warnings. A failure that depends on
    another failure is listed after the roots of its layer and names what it follows from."""
    checks = [c for c in document.get("checks") or [] if is_mapping(c)]
    flagged: list[tuple[int, Mapping[str, Any], str]] = []  # most checks passed: one look at each
    for position, item in enumerate(checks):
        status = item.get("status", "")
        status = status if type(status) is str else str(status)
        if status in _STATUS_RANK:
            flagged.append((position, item, status))
    failing = {str(c.get("id")) for _position, c, status in flagged if status != "warn"}
    conclusion = _conclusion(item for _position, item, _status in flagged)
    ranked: list[tuple[tuple[int, int, int, int, int], Finding]] = []
    for position, item, status in flagged:
        if status == "warn" and not include_warnings:
            continue
        index, layer = check_layer(item)
        check_id = str(item.get("id", "?"))
        depends = [str(d) for d in item.get("depends_on") or [] if isinstance(d, str)]
        cause = next((d for d in depends if d in failing), None) if status != "warn" else None
        if cause is None and conclusion and check_id != conclusion[0] and status == "fail" \
                and layer == conclusion[1]:
            cause = conclusion[0]  # one conclusion drawn across checks explains each row of its layer
        provider = item.get("provider") if isinstance(item.get("provider"), str) else None
        docs = str(item.get("docs") or "") or f"docs/checks.md#{check_anchor(check_id, provider)}"
        finding = Finding(
            check_id=check_id, status=status, layer=layer, layer_index=index,
            summary=_text(item.get("summary")), hint=_text(item.get("hint")),
            fix_commands=tuple(_text(c) for c in item.get("fix_commands") or [] if isinstance(c, str)),
            docs=docs, provider=provider, consequence_of=cause, cause_kind=_cause_kind(item))
        key = (1 if status == "warn" else 0, index, 1 if cause else 0, _STATUS_RANK[status], position)
        ranked.append((key, finding))
    return [finding for _key, finding in sorted(ranked, key=lambda pair: pair[0])]


def _cause_kind(item: Mapping[str, Any]) -> str | None:
    facts = item.get("facts")
    cause = facts.get("cause") if is_mapping(facts) else None
    kind = cause.get("kind") if is_mapping(cause) else None
    return kind if isinstance(kind, str) else None


CONCLUSIONS = ("no_public_dns",)
"""Causes that a check concludes across other checks of its layer (`dns.public`: no public name resolves);
such a check is the root of its layer, and the per-provider rows it explains are its consequences."""


def _conclusion(checks: Iterable[Mapping[str, Any]]) -> tuple[str, str] | None:
    """(check id, layer) of a failing check whose cause is a conclusion across checks, if any."""
    for item in checks:
        if item.get("status") == "fail" and _cause_kind(item) in CONCLUSIONS:
            return str(item.get("id")), check_layer(item)[1]
    return None


def root_cause(findings: Iterable[Finding]) -> Finding | None:
    return next((f for f in findings if f.status in ("fail", "error")), None)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


# ---- reading ---------------------------------------------------------------------------


def parse_report_text(text: str) -> tuple[dict[str, Any], dict[str, str]]:
    """(doctor document, facts from the Markdown such as `OS`). Raises ReportFormatError."""
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise ReportFormatError("the file is empty")
    if stripped.startswith("{"):
        return check_document(_loads(stripped, 1)), {}
    block, first_line = _json_block(stripped)
    return check_document(_loads(block, first_line)), _markdown_facts(stripped)


def _json_block(text: str) -> tuple[str, int]:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().lower() == JSON_HEADING.lower()), None)
    search_from = start + 1 if start is not None else 0
    fence = next((i for i in range(search_from, len(lines)) if lines[i].strip().startswith("```json")), None)
    if fence is None:
        if start is not None:
            raise ReportFormatError(f"line {start + 1}: the '{JSON_HEADING}' section has no ```json block "
                                    "(the report looks truncated)")
        raise ReportFormatError("no doctor JSON found: expected a perspt report (Markdown with a "
                                f"'{JSON_HEADING}' section) or the JSON of `perspt doctor --json`")
    end = next((i for i in range(fence + 1, len(lines)) if lines[i].strip() == "```"), None)
    if end is None:
        raise ReportFormatError(f"line {fence + 1}: the ```json block never closes (the report looks truncated)")
    return "\n".join(lines[fence + 1:end]), fence + 2


def _loads(text: str, first_line: int) -> Any:
    try:
        return json_without_lone_surrogates(json.loads(text), text)
    except json.JSONDecodeError as exc:
        line = first_line + exc.lineno - 1
        ending = " (the file looks truncated)" if exc.pos >= len(text.rstrip()) else ""
        raise ReportFormatError(f"line {line}, column {exc.colno}: invalid JSON: {exc.msg.lower()}{ending}") from None
    except RecursionError:
        raise ReportFormatError("the JSON is nested too deeply") from None


def check_document(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ReportFormatError("the JSON is not an object, so it is not a perspt doctor document")
    if "schema_version" not in data:
        raise ReportFormatError("no schema_version: this JSON is not a perspt doctor document")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ReportFormatError(f"schema_version is {version!r}, not a whole number")
    if version < SCHEMA_VERSION:
        raise ReportFormatError(f"schema version {version} is older than the one this perspt reads "
                                f"({SCHEMA_VERSION}); ask the user to upgrade perspt and run `perspt report` again")
    if version > SCHEMA_VERSION:
        raise ReportFormatError(f"schema version {version} is newer than the one this perspt reads "
                                f"({SCHEMA_VERSION}); upgrade perspt to triage it")
    checks = data.get("checks")
    if not isinstance(checks, list):
        raise ReportFormatError("the document has no list of checks")
    for index, item in enumerate(checks):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("status"), str):
            raise ReportFormatError(f"checks[{index}] lacks an id or a status")
    return data


_FACT_LINE = re.compile(r"^- (OS|perspt version|Installation method|Python|Provider|Model):\s*(.+)$")


def _markdown_facts(text: str) -> dict[str, str]:
    facts: dict[str, str] = {}
    for line in text.splitlines():
        match = _FACT_LINE.match(line.strip())
        if match and match.group(1) not in facts:
            facts[match.group(1)] = match.group(2).strip()
    return facts


@dataclass
class TriagedReport:
    path: str
    document: dict[str, Any]
    facts: dict[str, str]
    findings: list[Finding]

    @property
    def root(self) -> Finding | None:
        return root_cause(self.findings)

    @property
    def version(self) -> str:
        tool = self.document.get("tool")
        version = tool.get("version") if isinstance(tool, Mapping) else None
        return str(version or self.facts.get("perspt version") or "unknown")

    @property
    def platform(self) -> str:
        """Coarse, so that a Markdown report and a bare JSON document of one machine count together."""
        if self.facts.get("OS"):
            return _platform_family(self.facts["OS"])
        return _platform_from_document(self.document) or "unknown"

    @property
    def os_detail(self) -> str:
        return self.facts.get("OS") or self.platform

    @property
    def status(self) -> str:
        summary = self.document.get("summary")
        status = summary.get("status") if isinstance(summary, Mapping) else None
        return str(status or "unknown")


def _platform_from_document(document: Mapping[str, Any]) -> str:
    """`tool.platform` of the doctor's document: `Linux 6.1.0` -> `Linux`, `Darwin 23.1` -> `macOS 14`."""
    tool = document.get("tool")
    facts = tool.get("platform") if isinstance(tool, Mapping) else None
    if not isinstance(facts, Mapping) or not isinstance(facts.get("system"), str):
        return ""
    system, release = str(facts["system"]), str(facts.get("release") or "")
    major = release.split(".")[0]
    if system == "Darwin":
        return f"macOS {int(major) - 9}" if major.isdigit() and int(major) >= 20 else "macOS"
    if system == "Windows":
        return f"Windows {major}".strip()
    return system


def _platform_family(os_name: str) -> str:
    """`Linux 6.1.0 (Debian GNU/Linux 12, x86_64)` -> `Linux`, `macOS 14.1 (arm64)` -> `macOS 14`."""
    if os_name.startswith("Linux"):
        return "Linux"
    match = re.match(r"(macOS|Windows)\s+(\S+)", os_name)
    if match:
        return f"{match.group(1)} {match.group(2).split('.')[0]}"
    return os_name.split("(")[0].strip() or os_name


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class ReportSummary:
    """What triage keeps of one report once it is read: a few hundred bytes, never the document.

    The outputs' per-report text is made from it where the report was read (`triage_stream`)."""

    path: str
    status: str
    version: str
    platform: str
    os_detail: str
    findings: tuple[Finding, ...]
    newer_release: str | None = None
    """The newest release, when `runtime.version` found this report's perspt behind it."""

    @property
    def root(self) -> Finding | None:
        return root_cause(self.findings)

    @property
    def cause(self) -> tuple[str, str]:
        """(cause, layer) that the root-cause table counts: `tls.{provider}` for any provider's TLS check."""
        root = self.root
        return (root.cause_label, root.layer) if root else NO_FAILURE


NO_FAILURE = ("(no failure)", "-")


def summarize(report: TriagedReport) -> ReportSummary:
    """The per-report aggregate: everything the outputs and the tables need of one report."""
    platform = report.platform
    os_detail = report.facts.get("OS") or platform  # `report.os_detail`, without working out the platform again
    return ReportSummary(report.path, report.status, report.version, platform, os_detail, tuple(report.findings),
                         newer_release(report.document))


def newer_release(document: Mapping[str, Any]) -> str | None:
    for item in document.get("checks") or []:
        if (type(item) is dict or isinstance(item, Mapping)) and item.get("id") == "runtime.version" \
                and item.get("status") == "warn":
            facts = item.get("facts")
            newest = facts.get("newest") if isinstance(facts, Mapping) else None
            return newest if isinstance(newest, str) else None
    return None


@dataclass
class Tally:
    """Counts across reports, kept as reports stream past: the memory does not grow with their number
    (only with the number of distinct causes, versions and platforms)."""

    causes: Counter[tuple[str, str]] = field(default_factory=Counter)
    version_counts: Counter[str] = field(default_factory=Counter)
    platform_counts: Counter[str] = field(default_factory=Counter)
    total: int = 0
    behind: int = 0
    """Reports whose perspt is older than the newest release (`runtime.version`)."""

    def add(self, report: ReportSummary) -> None:
        self.behind += report.newer_release is not None
        self.causes[report.cause] += 1
        self.version_counts[report.version] += 1
        self.platform_counts[report.platform] += 1
        self.total += 1

    def merge(self, other: Tally) -> None:
        """Adds the counts of another tally (a worker's, for a run of reports)."""
        self.causes.update(other.causes)
        self.version_counts.update(other.version_counts)
        self.platform_counts.update(other.platform_counts)
        self.total += other.total
        self.behind += other.behind

    def root_causes(self) -> list[tuple[str, str, int]]:
        return [(cid, layer, n) for (cid, layer), n in sorted(self.causes.items(), key=lambda kv: (-kv[1], kv[0]))]

    def versions(self) -> list[tuple[str, int]]:
        return _most_common(self.version_counts)

    def platforms(self) -> list[tuple[str, int]]:
        return _most_common(self.platform_counts)


@dataclass
class Triage:
    """Every report of a run held at once: for a handful of files and for tests. The command streams
    (`report.triage_stream.iter_reports` + `Tally`)."""

    reports: list[ReportSummary] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def tally(self) -> Tally:
        tally = Tally()
        for report in self.reports:
            tally.add(report)
        return tally

    def root_causes(self) -> list[tuple[str, str, int]]:
        return self.tally().root_causes()

    def versions(self) -> list[tuple[str, int]]:
        return self.tally().versions()

    def platforms(self) -> list[tuple[str, int]]:
        return self.tally().platforms()


def generic_id(check_id: str, provider: str | None) -> str:
    """`tls.openai` -> `tls.{provider}`, so that the same cause counts once across providers."""
    if not provider:
        return check_id
    return ".".join("{provider}" if part == provider else part for part in check_id.split("."))


def _most_common(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def read_report_bytes(path: Path | str) -> bytes:
    """The file's bytes, within the size limit. Raises ReportFormatError with a one-line reason."""
    from perspt_doctor.fsutil import UserFileError, read_user_file

    try:
        return read_user_file(path, MAX_REPORT_BYTES)
    except UserFileError as exc:
        raise ReportFormatError(exc.reason) from None


def parse_report_bytes(path: str, raw: bytes) -> TriagedReport:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportFormatError(f"byte {exc.start}: not UTF-8 text (is it a report?)") from None
    document, facts = parse_report_text(text)
    return TriagedReport(path, document, facts, rank(document))


def load_report(path: Path) -> TriagedReport:
    """Read and rank one report. Raises ReportFormatError with a one-line reason."""
    return parse_report_bytes(str(path), read_report_bytes(path))


def report_json(report: ReportSummary) -> dict[str, Any]:
    """One entry of the `reports` list of `perspt triage --json`."""
    root = report.root
    return {"file": report.path, "status": report.status, "perspt_version": report.version,
            "platform": report.platform, "root_cause": root.as_dict() if root else None,
            "findings": [f.as_dict() for f in report.findings]}


def skipped_json(skipped: Iterable[Skipped]) -> list[dict[str, str]]:
    return [{"file": s.path, "reason": s.reason} for s in skipped]


def summary_json(tally: Tally) -> dict[str, Any]:
    return {
        "root_causes": [{"check": c, "layer": layer, "reports": n} for c, layer, n in tally.root_causes()],
        "perspt_versions": [{"version": v, "reports": n} for v, n in tally.versions()],
        "behind_newest_release": tally.behind,
        "platforms": [{"platform": p, "reports": n} for p, n in tally.platforms()],
    }


def to_json(result: Triage) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "reports": [report_json(r) for r in result.reports],
            "skipped": skipped_json(result.skipped), "summary": summary_json(result.tally())}


CSV_FIELDS = ("file", "status", "perspt_version", "platform", "root_cause", "layer", "summary", "fix", "runbook",
              "other_findings", "skipped_reason")


def csv_row(report: ReportSummary) -> dict[str, str]:
    root = report.root
    return {
        "file": report.path, "status": report.status, "perspt_version": report.version,
        "platform": report.platform, "root_cause": root.check_id if root else "",
        "layer": root.layer if root else "", "summary": root.summary if root else "",
        "fix": root.hint if root else "", "runbook": root.docs if root else "",
        "other_findings": " ".join(f.check_id for f in report.findings if f is not root),
        "skipped_reason": "",
    }


def csv_skipped_row(skipped: Skipped) -> dict[str, str]:
    return {name: "" for name in CSV_FIELDS} | {"file": skipped.path, "status": "skipped",
                                                 "skipped_reason": skipped.reason}


def csv_rows(result: Triage) -> list[dict[str, str]]:
    return [*(csv_row(r) for r in result.reports), *(csv_skipped_row(s) for s in result.skipped)]
