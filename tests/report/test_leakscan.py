"""The report's final scan (`report/leakscan.py`): independent of the redactor, it finds known values in
their encodings, pieces and split over lines, and token shapes; it removes them and says where."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from perspt_doctor.report.leakscan import scrub

KEY = "enc+Q1w2E3r4T5y6/U7i8O9p0==A1s2D3f4+G5h6"
DATA = KEY.encode()
ENCODED = {
    "raw": KEY, "url": quote(KEY, safe=""), "url-keep-slash": quote(KEY), "url-plus": quote_plus(KEY),
    "base64": base64.b64encode(DATA).decode(), "base64-unpadded": base64.b64encode(DATA).decode().rstrip("="),
    "base64-urlsafe": base64.urlsafe_b64encode(DATA).decode(),
    "base64-bearer": base64.b64encode(b"Bearer " + DATA).decode(),
    "base64-followed-by-more": base64.b64encode(DATA + b"\nmore").decode(),
    "hex": DATA.hex(), "json": json.dumps(KEY)[1:-1],
    "split-over-lines": KEY[:13] + "\n  " + KEY[13:], "cut-short": "prefix " + KEY[:19] + "...",
    "inside-a-word": "x" + KEY[3:30] + "y",
}


@pytest.mark.parametrize("form", sorted(ENCODED))
def test_known_values_are_found_in_every_form(form: str) -> None:
    text = f"# report\n\n## Error details\n\nthe server said: {ENCODED[form]} (401)\n"
    cleaned, hits = scrub({"report.md": text}, [KEY])
    assert [(h.member, h.line, h.section) for h in hits] == [("report.md", 5, "Error details")], hits
    assert cleaned["report.md"].startswith("# report\n\n## Error details\n\nthe server said: ")
    assert cleaned["report.md"].endswith(" (401)\n")
    remaining = cleaned["report.md"].replace(" ", "").replace("\n", "")
    for piece in (KEY[i:i + 12] for i in range(len(KEY) - 11)):
        assert piece not in remaining, form


@pytest.mark.parametrize("text", [
    "aws AKIAIOSFODNN7EXAMPLE", "xoxb-123456789012-1234567890123-AbCdEfGhIjKl", "ghp_" + "a1B2c3D4e5" * 4,
    "github_pat_11ABCDEFG0123456789_abcdefghijkl", "sk_live_" + "a1B2c3D4e5" * 3,
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "sk-ant-api03-" + "F" * 93 + "AA", "sk-proj-" + "x" * 60, "AIzaSy" + "B" * 33, "gsk_" + "Z9y8" * 12,
    "Authorization: Bearer opaque-token-value-123456", "http://alice:hunter22@proxy.example:3128",
    "password: hunter22", "-----BEGIN OPENSSH PRIVATE KEY-----",
])
def test_token_shapes_are_found_without_knowing_the_value(text: str) -> None:
    cleaned, hits = scrub({"doctor.json": f'{{"summary": "{text}"}}'}, [])
    assert len(hits) == 1 and hits[0].member == "doctor.json", hits
    assert "[REDACTED]" in cleaned["doctor.json"]


def test_the_scan_does_not_ask_the_redactor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A first pass that hides nothing (a bug) leaves the scan as sharp as ever."""
    from perspt_doctor import redact

    monkeypatch.setattr(redact.Redactor, "redact", lambda self, text: text)
    monkeypatch.setattr(redact.Redactor, "redact_known", lambda self, text: text)
    cleaned, hits = scrub({"perspt-log-excerpt.txt": f"one\ntwo {base64.b64encode(DATA).decode()}\n"}, [KEY])
    assert [(h.line, h.kind) for h in hits] == [(2, "known secret (base64)")]
    assert cleaned["perspt-log-excerpt.txt"] == "one\ntwo [REDACTED]\n"


@pytest.mark.parametrize("text", [
    "[REDACTED] and Authorization: Bearer [REDACTED] and http://[REDACTED]@proxy:3128",
    "password: [REDACTED], password: $DB_PASSWORD", "ends …Gh56 (<set, 40 characters, ends …G5h6>)",
    "sha256:" + "ab12" * 16, "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904", "sk-ant-api03- is the prefix",
    "enc+Q1w2E3r4 is only the start of the key",
])
def test_what_the_first_pass_left_is_not_reported(text: str) -> None:
    cleaned, hits = scrub({"report.md": text}, [KEY])
    assert hits == [] and cleaned["report.md"] == text


def test_a_clean_report_from_the_corpus_has_no_hits() -> None:
    from pathlib import Path

    corpus = Path(__file__).parent / "corpus"
    texts = {path.name: path.read_text(encoding="utf-8") for path in sorted((corpus / "real").iterdir())}
    assert texts
    _cleaned, hits = scrub(texts, [])
    assert hits == []
