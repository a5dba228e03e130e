from __future__ import annotations

import json
import re

from reportkit import check_row, document

from perspt_doctor.report.context import ReportContext, sanitize_config
from perspt_doctor.report.markdown import FILL_IN, build_report, infer_network
from perspt_doctor.report.triage import parse_report_text

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
