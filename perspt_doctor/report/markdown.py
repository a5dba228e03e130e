"""The issue report: Markdown laid out like the project's issue template, built from the doctor's
JSON document and a `ReportContext`. Every piece passes the redactor on the way in; the caller
still runs the final leak scan on the finished text."""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from perspt_doctor import redact
from perspt_doctor.report.report_context import ReportContext
from perspt_doctor.report.triage import JSON_HEADING, Finding, rank, root_cause

FILL_IN = "<fill in>"
MAX_DETAIL_LINES = 12
MAX_CELL = 300
MAX_BODY = 60_000
"""GitHub refuses an issue body over 65,536 characters; this leaves room for what the user adds."""
MAX_SECTION = 8_000
"""The config file and the log excerpt each take at most this much of the body."""
TRIM_LEVELS = 6
"""0: everything; 1: no facts, details only for problems; 2: also no titles, timings or docs, and the
results table lists only problems; 3: the passing and skipped checks are left out of the JSON too;
4: the lists of failing checks show the first LISTED of them; 5: the JSON keeps the first KEPT problems,
their summaries shortened."""
LISTED = {4: 20, 5: 10}
KEPT = 60
TRIMMED_NOTE = ("trimmed to fit an issue body: `perspt report --bundle` keeps the whole document "
                "(doctor.json)")
_INTERCEPTION_WORDS = ("intercept", "self-signed", "self signed", "unknown issuer", "local issuer",
                       "unable to get local issuer", "not a public ca", "corporate", "mitm")
_IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")


def build_report(document: Mapping[str, Any], context: ReportContext) -> str:
    """The report, trimmed step by step (facts, then details, then passing rows) until it fits in an
    issue body; the bundle keeps the whole document."""
    doc = redact.redact_obj(dict(document))
    findings = rank(doc)
    text = ""
    for level in range(TRIM_LEVELS):
        text = _assemble(doc, findings, context, level)
        if len(text) <= MAX_BODY:
            break
    return text


def _assemble(doc: Mapping[str, Any], findings: list[Finding], context: ReportContext, level: int) -> str:
    lines: list[str] = [
        "# perspt issue report",
        "",
        f"<!-- Written by `{context.command}` (perspt {context.perspt_version}) on "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}. Secrets and personal paths were removed; "
        "read it once more before you share it, and replace every <fill in>. -->",
        "",
        "## Summary",
        "",
        f"- What goes wrong: {FILL_IN}",
        f"- Doctor verdict: {_verdict(doc, findings)}",
        "",
        "## Environment",
        "",
        f"- OS: {_one(context.os)}",
        f"- perspt version: {_one(context.perspt_version)}{_newest_release(doc)}",
        f"- Installation method: {_one(context.install_method)}",
        f"- Python: {_one(context.python)}",
        "",
        "## Configuration",
        "",
        f"- Provider: {_one(context.provider) or FILL_IN}",
        f"- Model: {_one(context.model) or FILL_IN}",
        f"- Config file: `{_one(context.config_path)}`",
    ]
    if context.config_problem:
        lines.append(f"- Config problem: {_one(context.config_problem)}")
    if context.config_text is not None:
        lines += ["", "<details><summary>Config file (sanitized)</summary>", "", "```json",
                  _bounded(redact.redact(context.config_text)), "```", "", "</details>"]
    lines += ["", "## Error details", "", f"- Full error message: {FILL_IN}", "- Error code (exit status): "
              f"{FILL_IN}"]
    lines += _failing_checks(findings, LISTED.get(level))
    lines += _log_section(context)
    lines += [
        "",
        "## Steps to reproduce",
        "",
        f"1. {FILL_IN}",
        f"2. {FILL_IN}",
        f"3. {FILL_IN} (the error occurs)",
        "",
        "## Expected vs actual behavior",
        "",
        f"- Expected: {FILL_IN}",
        f"- Actual: {FILL_IN}",
        "",
        "## Additional context",
        "",
        "- Network environment (inferred from the checks):",
        *[f"  - {_one(item)}" for item in infer_network(doc, context.environment)],
        f"  - Corporate network, home, VPN? {FILL_IN}",
        f"- Recent changes (configuration, system updates): {FILL_IN}",
        f"- Workarounds tried: {FILL_IN}",
        "",
        "## Doctor results",
        "",
        *_results_table(doc, level),
        "",
        JSON_HEADING,
        "",
        "<!-- For support: `perspt triage` reads this block. -->",
        "",
        "<details><summary>The doctor's JSON document</summary>",
        "",
        "```json",
        json.dumps(embedded_document(doc, level), ensure_ascii=False, separators=(",", ":")),
        "```",
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)


def embedded_document(doc: Mapping[str, Any], level: int) -> dict[str, Any]:
    """The doctor's document as the report embeds it at trim `level` (see TRIM_LEVELS). What triage
    ranks by (id, status, category, provider, summary, hint, fixes, dependencies) stays at every level."""
    out = dict(doc)
    if level == 0:
        return out
    problems = ("warn", "fail", "error")
    dropped = ("facts",) if level == 1 else ("facts", "title", "duration_ms", "docs")
    checks = []
    for item in doc.get("checks") or []:
        if not isinstance(item, Mapping):
            continue
        problem = item.get("status") in problems
        if level >= 3 and not problem:
            continue
        kept = {k: v for k, v in item.items() if k not in dropped}
        if not problem or level >= 2:
            kept.pop("details", None)
        if level >= 5:
            kept["summary"] = _shortened(kept.get("summary"), 160)
        checks.append(kept)
    note = TRIMMED_NOTE + ("; passing and skipped checks are left out" if level >= 3 else "")
    if level >= 5 and len(checks) > KEPT:
        note += f"; {len(checks) - KEPT} more problems are left out"
        checks = checks[:KEPT]
    out["checks"] = checks
    out["trimmed"] = note
    return out


def _shortened(text: Any, limit: int) -> Any:
    return text[:limit] + "..." if isinstance(text, str) and len(text) > limit else text


def _bounded(text: str) -> str:
    if len(text) <= MAX_SECTION:
        return text
    return text[:MAX_SECTION] + f"\n[... {len(text) - MAX_SECTION} more characters in the bundle ...]"


def _newest_release(doc: Mapping[str, Any]) -> str:
    """What `runtime.version` found, the first question asked of every issue: is this the newest release?"""
    row = next((c for c in doc.get("checks") or [] if isinstance(c, Mapping) and c.get("id") == "runtime.version"), None)
    facts = _mapping(row.get("facts")) if row else {}
    newest = facts.get("newest")
    if not isinstance(newest, str):
        return " (newest release not known: the doctor could not ask the package index)" if row else ""
    if row and row.get("status") == "ok":
        return " (the newest release)"
    upgrade = facts.get("upgrade_command")
    return f" ({_one(newest)} is the newest release" + (f"; upgrade with `{_one(str(upgrade))}`)" if upgrade else ")")


def _one(text: str | None) -> str:
    return redact.redact(" ".join(str(text or "").split()))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _verdict(doc: Mapping[str, Any], findings: list[Finding]) -> str:
    summary = _mapping(doc.get("summary"))
    status = str(summary.get("status", "unknown"))
    counts = _mapping(summary.get("counts"))
    parts = [f"{counts.get(name, 0)} {name}" for name in ("ok", "warn", "fail", "skip", "error")]
    text = f"**{status}** ({', '.join(parts)})"
    root = root_cause(findings)
    if root is not None:
        text += f"; earliest failing layer: {root.layer} (`{root.check_id}`: {_one(root.summary)})"
    return text


def _failing_checks(findings: list[Finding], limit: int | None = None) -> list[str]:
    failing = [f for f in findings if f.status in ("fail", "error")]
    if not failing:
        return ["- Failing checks: none"]
    out = ["- Failing checks, earliest layer first:"]
    for finding in failing[:limit]:
        line = f"  - `{finding.check_id}` ({finding.status}, {finding.layer}): {_one(finding.summary)}"
        if finding.consequence_of:
            line += f" (follows from `{finding.consequence_of}`)"
        out.append(line)
        if finding.hint:
            out.append(f"    - Fix: {_one(finding.hint)}")
    if limit is not None and len(failing) > limit:
        out.append(f"  - and {len(failing) - limit} more (in the JSON below and the bundle)")
    return out


def _log_section(context: ReportContext) -> list[str]:
    if not context.log_errors:
        return [f"- Last errors in the log (`{_one(context.log_path)}`): none found"]
    body = _bounded("\n\n".join(redact.redact(record) for record in context.log_errors))
    return [f"- Last errors in the log (`{_one(context.log_path)}`), stack traces shortened:", "",
            "```text", body.replace("```", "'''"), "```"]


def _results_table(doc: Mapping[str, Any], level: int = 0) -> list[str]:
    checks = [c for c in doc.get("checks") or [] if isinstance(c, Mapping)]
    summary = _mapping(doc.get("summary"))
    out = [f"<details><summary>perspt doctor: {len(checks)} checks, overall {summary.get('status', 'unknown')}"
           "</summary>", "", "| Status | Check | Summary |", "| --- | --- | --- |"]
    problems = ("warn", "fail", "error")
    left_out = 0
    shown_problems = 0
    for item in checks:
        problem = item.get("status") in problems
        if (level >= 2 and not problem) or (problem and shown_problems >= LISTED.get(level, len(checks))):
            left_out += 1
            continue
        shown_problems += problem
        text = _one(item.get("summary"))
        details = [_one(d) for d in item.get("details") or [] if isinstance(d, str)] if problem or level == 0 else []
        if details:
            shown = details[:MAX_DETAIL_LINES]
            if len(details) > len(shown):
                shown.append(f"[... {len(details) - len(shown)} more lines ...]")
            text += "<br>" + "<br>".join(shown)
        out.append(f"| {_cell(str(item.get('status', '')))} | `{_cell(str(item.get('id', '')))}` | {_cell(text)} |")
    if left_out:
        out.append(f"| | {left_out} more | left out to fit an issue body; the bundle has every row |")
    out += ["", "</details>"]
    return out


def _cell(text: str) -> str:
    text = text.replace("|", "\\|")
    return text if len(text) <= MAX_CELL * 4 else text[: MAX_CELL * 4] + " [...]"


def infer_network(doc: Mapping[str, Any], environment: Mapping[str, str]) -> list[str]:
    """What the checks reveal about the network: proxy, TLS interception, VPN-like DNS."""
    checks = [c for c in doc.get("checks") or [] if isinstance(c, Mapping)]
    notes: list[str] = []
    if doc.get("offline"):
        notes.append("the doctor ran with --offline: network checks were skipped")
    proxies = [f"{name}={value}" for name, value in environment.items() if "proxy" in name.lower()]
    proxy_checks = [c for c in checks if c.get("category") == "proxy"]
    if proxies:
        notes.append("proxy variables set: " + ", ".join(proxies))
    for item in proxy_checks:
        if item.get("status") in ("ok", "warn", "fail", "error"):
            notes.append(f"proxy check `{item.get('id')}` ({item.get('status')}): {_one(item.get('summary'))}")
    if not proxies and not proxy_checks:
        notes.append("no proxy configured")
    tls = [c for c in checks if c.get("category") == "tls"]
    suspicious = [c for c in tls if _mentions(c, _INTERCEPTION_WORDS)]
    if suspicious:
        notes += [f"TLS interception suspected by `{c.get('id')}`: {_one(c.get('summary'))}" for c in suspicious]
    elif any(c.get("status") == "ok" for c in tls):
        notes.append("TLS: certificates verified, no interception seen")
    ca = [f"{name}={value}" for name, value in environment.items() if "proxy" not in name.lower()]
    if ca:
        notes.append("custom CA settings: " + ", ".join(ca))
    private = sorted({ip for c in checks if c.get("category") == "dns" for ip in _private_ips(c)})
    if private:
        notes.append("DNS answers with private addresses (" + ", ".join(private[:5]) + "): a VPN or split-horizon "
                     "DNS is likely")
    dns_failed = [c for c in checks if c.get("category") == "dns" and c.get("status") in ("fail", "error")]
    if dns_failed:
        notes.append(f"DNS failures: {len(dns_failed)} (" + ", ".join(f"`{c.get('id')}`" for c in dns_failed[:5]) + ")")
    return notes


def _mentions(item: Mapping[str, Any], words: tuple[str, ...]) -> bool:
    blob = json.dumps([item.get("summary"), item.get("details"), item.get("facts")], default=str).lower()
    return any(word in blob for word in words)


def _private_ips(item: Mapping[str, Any]) -> set[str]:
    """Private or CGNAT addresses among the DNS answers a check recorded (not its nameservers)."""
    found: set[str] = set()
    for text in _answer_values(item.get("facts"), False):
        for candidate in _IP.findall(text):
            try:
                address = ipaddress.ip_address(candidate)
            except ValueError:
                continue
            if address.is_loopback or address.is_unspecified:
                continue
            if address.is_private or address in ipaddress.ip_network("100.64.0.0/10"):
                found.add(candidate)
    return found


def _answer_values(value: Any, inside: bool) -> list[str]:
    if isinstance(value, Mapping):
        out: list[str] = []
        for key, child in value.items():
            name = str(key).lower()
            is_answer = any(word in name for word in ("address", "answer", "resolved", "ips"))
            out += _answer_values(child, inside or (is_answer and "server" not in name))
        return out
    if isinstance(value, list):
        return [text for child in value for text in _answer_values(child, inside)]
    return [str(value)] if inside and isinstance(value, str) else []


PREVIEW_SECTIONS = ("## Summary", "## Configuration", "## Error details")


def preview(text: str) -> str:
    """What `perspt report` shows before asking: the summary, configuration and error sections, and
    the size, not the whole document."""
    lines = text.splitlines()
    shown: list[str] = []
    keep = False
    for line in lines:
        if line.startswith("## "):
            keep = line.strip() in PREVIEW_SECTIONS
        if keep and not line.startswith("<details>"):
            shown.append(line)
        elif keep:
            keep = False
    shown.append("")
    shown.append(f"({len(text):,} characters, {len(lines):,} lines in all; GitHub takes up to 65,536.)")
    return "\n".join(shown)
