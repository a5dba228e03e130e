from __future__ import annotations

import json
import re

import pytest
from reportkit import check_row, document

from perspt_doctor.report.markdown import (
    FILL_IN,
    MAX_BODY,
    TRIM_LEVELS,
    build_report,
    embedded_document,
    infer_network,
    preview,
)
from perspt_doctor.report.report_context import ReportContext, sanitize_config
from perspt_doctor.report.triage import JSON_HEADING, parse_report_text

TEMPLATE_HEADINGS = ("## Environment", "## Configuration", "## Error details", "## Steps to reproduce",
                     "## Expected vs actual behavior", "## Additional context", "## Doctor results",
                     "## Doctor JSON")


def _context(**kw: object) -> ReportContext:
    base = dict(os="Linux 6.1 (Debian GNU/Linux 12, x86_64)", python="CPython 3.11.2", install_method="pipx",
                provider="openai (from config.json: provider)", model="gpt-4o-mini (from default)",
                config_path="~/.config/perspt/config.json", log_path="~/.local/state/perspt/log/perspt.log")
    base.update(kw)
    return ReportContext(**base)  # type: ignore[arg-type]


def test_report_follows_the_issue_template_in_order() -> None:
    doc = document(check_row("config.file", "config", "ok", "parses"),
                   check_row("tls.openai", "tls", "fail", "certificate verify failed", provider="openai",
                             hint="set network.ca_bundle"))
    text = build_report(doc, _context())
    positions = [text.index(h) for h in TEMPLATE_HEADINGS]
    assert positions == sorted(positions)
    for label in ("- OS: Linux 6.1", "- perspt version: 0.1.0", "- Installation method: pipx",
                  "- Python: CPython 3.11.2", "- Provider: openai", "- Model: gpt-4o-mini"):
        assert label in text
    for question in ("Steps to reproduce", "- Expected:", "- Actual:", "Recent changes", "Workarounds tried"):
        line = next(line for line in text.splitlines() if question in line or line.startswith("1."))
        assert FILL_IN in line or question == "Steps to reproduce"
    assert text.count(FILL_IN) >= 8
    assert "<details><summary>perspt doctor: 2 checks, overall fail</summary>" in text
    assert "| fail | `tls.openai` | certificate verify failed |" in text
    assert "earliest failing layer: tls (`tls.openai`" in text
    assert "    - Fix: set network.ca_bundle" in text


def test_the_json_block_is_the_document_and_triage_reads_it_back() -> None:
    doc = document(check_row("dns.openai", "dns", "fail", "no such host", provider="openai"))
    text = build_report(doc, _context())
    parsed, facts = parse_report_text(text)
    assert parsed == doc
    assert facts["OS"].startswith("Linux 6.1")
    assert facts["perspt version"] == "0.1.0"


def test_long_details_and_pipes_stay_bounded_and_do_not_break_the_table() -> None:
    details = tuple(f"frame {i}" for i in range(40))
    doc = document(check_row("runtime.x", "runtime", "error", "a | b", details=details))
    text = build_report(doc, _context())
    row = next(line for line in text.splitlines() if line.startswith("| error |"))
    assert "a \\| b" in row
    assert "frame 11" in row and "frame 12" not in row
    assert "[... 28 more lines ...]" in row


def test_config_is_sanitized_keys_show_only_their_last_four_characters() -> None:
    raw = {"provider": "openai", "api_key": "cfg-secret-value-0042xyz",
           "api_keys": {"groq": "groq-secret-value-7788"},
           "proxy": {"https": "http://alice:hunter22pw@proxy.example:3128"},
           "provider_endpoints": {"google": "https://g.example/v1beta?key=querysecretvalue9"},
           "timeout": 30}
    clean = sanitize_config(raw)
    dumped = json.dumps(clean)
    for secret in ("cfg-secret-value-0042xyz", "groq-secret-value-7788", "hunter22pw", "querysecretvalue9"):
        assert secret not in dumped
    assert clean["api_key"] == "<set, 24 characters, ends …2xyz>"
    assert clean["timeout"] == 30
    assert "proxy.example:3128" in clean["proxy"]["https"]


def test_network_environment_is_inferred_from_the_checks() -> None:
    doc = document(
        check_row("proxy.env", "proxy", "warn", "HTTPS_PROXY set but NO_PROXY misses localhost"),
        check_row("tls.openai", "tls", "fail", "certificate signed by an unknown issuer", provider="openai",
                  facts={"issuer": "CN=Corp Inspection CA"}),
        check_row("dns.openai", "dns", "ok", "resolves", provider="openai",
                  facts={"addresses": ["10.20.30.40"], "nameservers": ["192.168.1.1"]}),
    )
    notes = infer_network(doc, {"HTTPS_PROXY": "http://[REDACTED]@proxy.corp:8080"})
    joined = "\n".join(notes)
    assert "proxy variables set: HTTPS_PROXY=http://[REDACTED]@proxy.corp:8080" in joined
    assert "proxy check `proxy.env` (warn)" in joined
    assert "TLS interception suspected by `tls.openai`" in joined
    assert "10.20.30.40" in joined and "VPN" in joined
    assert "192.168.1.1" not in joined


def test_quiet_network_says_so() -> None:
    doc = document(check_row("tls.openai", "tls", "ok", "verified", provider="openai",
                             facts={"addresses": ["93.184.216.34"]}))
    notes = infer_network(doc, {})
    assert notes == ["no proxy configured", "TLS: certificates verified, no interception seen"]


def test_log_errors_appear_in_a_text_block() -> None:
    ctx = _context(log_errors=["2025-01-01 10:00:00,000 ERROR perspt.client: boom\nTraceback ...\n```evil"])
    text = build_report(document(), ctx)
    block = re.search(r"```text\n(.*?)\n```", text, re.S)
    assert block is not None
    assert "ERROR perspt.client: boom" in block.group(1)
    assert "```evil" not in text


def _fleet_document(providers: int, checks_per_provider: int = 14) -> dict:
    """A doctor document as large as real ones get: every per-provider check, long details and facts."""
    rows = []
    categories = ["keys", "proxy", "dns", "tcp", "tls", "http", "auth", "model", "ratelimit"]
    for p in range(providers):
        pid = f"provider{p}"
        for c in range(checks_per_provider):
            category = categories[c % len(categories)]
            status = "fail" if (category == "dns" and c < len(categories)) else ("skip" if c > 9 else "ok")
            rows.append(check_row(f"{category}.{pid}.{c}", category, status,
                                  f"{category} for {pid}: " + "words " * 20, provider=pid,
                                  details=tuple(f"detail line {i} " + "x" * 60 for i in range(8)),
                                  hint="check the DNS server" if status == "fail" else None,
                                  facts={"addresses": [f"10.0.{p}.{i}" for i in range(20)], "ms": 12.5}))
    return document(*rows)


@pytest.mark.parametrize("providers", [1, 5, 11, 40])
def test_the_report_fits_an_issue_body_and_triage_reads_it_back(providers: int) -> None:
    doc = _fleet_document(providers)
    text = build_report(doc, ReportContext(provider="openai", model="gpt-4o-mini"))
    assert len(text) <= MAX_BODY
    parsed, _facts = parse_report_text(text)
    failing = sorted(c["id"] for c in doc["checks"] if c["status"] == "fail")
    assert sorted(c["id"] for c in parsed["checks"] if c["status"] == "fail") == failing
    assert parsed["summary"] == doc["summary"]
    json_block = text[text.index(JSON_HEADING):]
    assert "<details>" in json_block.split("```json")[0], "the JSON sits in a collapsed block"
    if providers == 1:
        assert "trimmed" not in parsed and parsed["checks"] == doc["checks"], "a small report keeps everything"
    else:
        assert "--bundle" in parsed["trimmed"]


def test_each_trim_level_keeps_what_triage_ranks_by() -> None:
    doc = _fleet_document(2)
    for level in range(TRIM_LEVELS):
        embedded = embedded_document(doc, level)
        failing = [c for c in embedded["checks"] if c["status"] == "fail"]
        assert len(failing) == sum(1 for c in doc["checks"] if c["status"] == "fail")
        for row in failing:
            assert {"id", "status", "category", "provider", "summary", "hint", "depends_on"} <= set(row)
    assert "facts" in embedded_document(doc, 0)["checks"][0]
    assert "facts" not in embedded_document(doc, 1)["checks"][0]
    assert all(c["status"] == "fail" for c in embedded_document(doc, 3)["checks"])


def test_the_preview_is_the_summary_not_the_whole_document() -> None:
    text = build_report(_fleet_document(11), ReportContext(provider="openai", model="gpt-4o-mini"))
    shown = preview(text)
    assert "## Summary" in shown and "## Configuration" in shown
    assert JSON_HEADING not in shown and "## Doctor results" not in shown
    assert f"{len(text):,} characters" in shown
    assert len(shown.splitlines()) < 60


def test_unknown_keys_show_their_value_only_when_plainly_safe() -> None:
    raw = {"provider": "openai", "model": "gpt-4o-mini", "api_kye": "sk-abcdefnotashape12", "theme": "dark",
           "verbose_mode": True, "retries_x": 3, "mystery": {"nested": "abc123XYZ-long-value-here", "flag": False},
           "fallback_chain": [{"provider": "groq", "model": "llama-3.1-8b-instant", "wat": "Zzzz-hidden-1234567"}],
           "options": {"num_ctx": 4096, "stop": "free-text-under-an-open-object"},
           "provider_type": "openai"}
    clean = sanitize_config(raw)
    assert clean["api_kye"] == "<set, 20 characters: not shown, `api_kye` is not a known setting>"
    assert clean["mystery"]["nested"].startswith("<set, 25 characters: not shown, `mystery.nested`")
    assert clean["fallback_chain"][0]["wat"].startswith("<set, 19 characters: not shown")
    assert clean["fallback_chain"][0]["model"] == "llama-3.1-8b-instant"  # known setting: shown
    assert clean["options"]["stop"] == "free-text-under-an-open-object"  # free keys of a known object
    assert (clean["theme"], clean["verbose_mode"], clean["retries_x"], clean["mystery"]["flag"]) == (
        "dark", True, 3, False)
    assert (clean["model"], clean["provider_type"]) == ("gpt-4o-mini", "openai")
