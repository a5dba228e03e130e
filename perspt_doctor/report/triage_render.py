"""The per-report text of `perspt triage --json`, made where the report is read (a worker process, see
`triage_stream`) at a small cost per report: every string through one cached redactor, the layout written
out rather than walked by `json.dumps(indent=2)` (whose indented form is pure Python), byte for byte the
same (`tests/report/test_triage_render.py` compares the two).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) quotes strings with

from perspt_doctor.report.triage import Finding, ReportSummary

Clean = Callable[[str], str]
RedactorKey = tuple[object, int]

REPORT_KEYS = ("file", "status", "perspt_version", "platform", "root_cause", "findings")
FINDING_KEYS = ("check", "status", "layer", "summary", "fix", "fix_commands", "runbook", "provider",
                "consequence_of")
"""The keys of `triage.report_json` and `Finding.as_dict`, in their order."""


def redactor_key() -> RedactorKey:
    """The default redactor and its number of known secrets: a cache keyed by it never serves an answer
    made before a secret was registered, nor one of a redactor since replaced (the key holds the redactor
    itself, so another cannot take its `id`)."""
    from perspt_doctor.redact import default_redactor

    redactor = default_redactor()
    return redactor, redactor.known_secret_count


def cached_redact() -> Clean:
    """`redact.redact`, remembering the strings it has seen: across a fleet's reports most of them
    repeat (check ids, summaries, fixes, runbooks)."""
    return partial(redact_cached, redactor_key())


@lru_cache(maxsize=8192)
def redact_cached(key: RedactorKey, text: str) -> str:
    """`redact.redact(text)`, remembered; `key` is `redactor_key()`."""
    from perspt_doctor.redact import redact

    return redact(text)


@lru_cache(maxsize=8)
def _quoted_keys(key: RedactorKey) -> dict[str, str]:
    """Each key, redacted like every string of the output (`redact.redact_obj` redacts keys) and quoted."""
    return {name: encode_basestring(redact_cached(key, name)) for name in {*REPORT_KEYS, *FINDING_KEYS}}


def report_json_text(report: ReportSummary) -> str:
    """The report's entry in `perspt triage --json`, redacted and indented as it sits in the document:
    `json.dumps(redact_obj(report_json(report)), indent=2, ensure_ascii=False)` with every line moved
    right by four spaces."""
    key = redactor_key()
    clean = partial(redact_cached, key)
    keys = _quoted_keys(key)
    root = report.root
    lines = ["    {"]
    for name, value in (("file", report.path), ("status", report.status), ("perspt_version", report.version),
                        ("platform", report.platform)):
        lines.append(f"      {keys[name]}: {encode_basestring(clean(value))},")
    if root is None:
        lines.append(f"      {keys['root_cause']}: null,")
    else:
        lines.append(f"      {keys['root_cause']}: {{")
        _finding_lines(lines, root, "        ", keys, clean)
        lines.append("      },")
    if not report.findings:
        lines.append(f"      {keys['findings']}: []")
    else:
        lines.append(f"      {keys['findings']}: [")
        last = len(report.findings) - 1
        for number, finding in enumerate(report.findings):
            lines.append("        {")
            _finding_lines(lines, finding, "          ", keys, clean)
            lines.append("        }," if number < last else "        }")
        lines.append("      ]")
    lines.append("    }")
    return "\n".join(lines)


def _finding_lines(lines: list[str], finding: Finding, pad: str, keys: dict[str, str], clean: Clean) -> None:
    """`Finding.as_dict`'s members, one per line at `pad` (the object's braces are the caller's)."""
    def text(value: str | None) -> str:
        return "null" if value is None else encode_basestring(clean(value))

    for name, value in (("check", finding.check_id), ("status", finding.status), ("layer", finding.layer),
                        ("summary", finding.summary), ("fix", finding.hint)):
        lines.append(f"{pad}{keys[name]}: {text(value)},")
    lines.append(f"{pad}{keys['fix_commands']}: {_list(finding.fix_commands, pad, text)},")
    lines.append(f"{pad}{keys['runbook']}: {text(finding.docs)},")
    lines.append(f"{pad}{keys['provider']}: {text(finding.provider)},")
    lines.append(f"{pad}{keys['consequence_of']}: {text(finding.consequence_of)}")


def _list(items: Sequence[str], pad: str, text: Callable[[str], str]) -> str:
    if not items:
        return "[]"
    inner = ",\n".join(f"{pad}  {text(item)}" for item in items)
    return f"[\n{inner}\n{pad}]"
