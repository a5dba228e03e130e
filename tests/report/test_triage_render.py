"""The fast paths of triage's per-report outputs give, byte for byte, what the plain definitions give:
the JSON entry is `json.dumps(redact_obj(report_json(...)), indent=2)`, the JSON lines are `records`
encoded, `printable_text` is `printable`, the worker batches keep the order and the counts of the
reports, and the directory listing names the files as `Path` would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reportkit import CORPUS, check_row, document, run_perspt, write_json

from perspt_doctor import redact
from perspt_doctor.cli.triage_cmd import _expand, _suffix
from perspt_doctor.cli.triage_output import printable_text
from perspt_doctor.report.triage import (
    Skipped,
    Tally,
    TriagedReport,
    parse_report_bytes,
    report_json,
    summarize,
)
from perspt_doctor.report.triage_records import RECORD_VERSION, records, records_text
from perspt_doctor.report.triage_render import cached_redact, report_json_text
from perspt_doctor.report.triage_stream import Batch, iter_batches, iter_reports
from perspt_doctor.textsafe import printable

SECRET = "sk-proj-render0123456789abcdefghij"
REAL = CORPUS / "real"


def tricky_documents() -> list[dict[str, Any]]:
    """Documents that take every branch of the writers: no failure, several fix commands or none, a
    provider or none (or an empty one), a consequence, a classified cause, a category that is not a
    string, a repeated check id, a known secret, text a terminal would act on, and text beyond ASCII."""
    tcp = check_row("tcp.openai", "tcp", "fail", f"refused with key {SECRET}", provider="openai")
    tcp["fix_commands"] = ["perspt config set openai.base_url http://127.0.0.1:1", "echo \x1b]0;title\x07 é"]
    http = check_row("http.openai", "http", "fail", "no answer — \u202eevil", provider="openai",
                     depends_on=("tcp.openai",), hint="check the proxy \x9b2J")
    http["fix_commands"] = ["curl -v https://example.invalid"]
    proxy = check_row("http.groq", "http", "error", "proxy refused", provider="groq",
                      facts={"cause": {"kind": "proxy_refused", "layer": "proxy"}})
    odd = check_row("odd.check", "config", "ok", "fine", provider="")
    odd["category"] = 7
    repeated = [check_row("dns.public", "dns", "ok", "resolves"), check_row("dns.public", "dns", "warn", "slow")]
    passed = check_row("tls.openai", "tls", "ok", "verified", provider="openai",
                       facts={"cause": {"kind": "none", "layer": "tcp"}})
    return [document(tcp, http, proxy, odd, *repeated, passed, version="0.3.0", system="Darwin"),
            document(check_row("config.file", "config", "ok", "fine")),
            document(check_row("memory.ram", "memory", "warn", "low")),
            document()]


def reports(tmp_path: Path) -> list[tuple[TriagedReport, bytes]]:
    paths = [write_json(tmp_path / f"doc-{n}.json", doc) for n, doc in enumerate(tricky_documents())]
    paths += sorted(REAL.glob("*.*"))
    out = []
    for path in paths:
        raw = path.read_bytes()
        out.append((parse_report_bytes(str(path), raw), raw))
    return out


def test_the_json_entry_is_json_dumps_of_the_redacted_report(tmp_path: Path) -> None:
    redact.register_secret(SECRET, "test")
    for report, _raw in reports(tmp_path):
        summary = summarize(report)
        expected = json.dumps(redact.redact_obj(report_json(summary)), indent=2, ensure_ascii=False)
        assert report_json_text(summary) == "    " + expected.replace("\n", "\n    ")
    assert SECRET not in "".join(report_json_text(summarize(r)) for r, _raw in reports(tmp_path))


def test_the_json_lines_are_the_records_encoded_compactly(tmp_path: Path) -> None:
    redact.register_secret(SECRET, "test")
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    texts = []
    for _round in range(2):  # the second time from the remembered tails
        for report, raw in reports(tmp_path):
            expected = "".join(encoder.encode(row) + "\n" for row in records(report, raw, cached_redact()))
            texts.append(records_text(report, raw))
            assert texts[-1] == expected
            assert all(json.loads(line)["record_version"] == RECORD_VERSION for line in texts[-1].splitlines())
    assert SECRET not in "".join(texts)


def test_a_secret_registered_later_is_not_served_from_the_remembered_text(tmp_path: Path) -> None:
    late = "late-secret-value-0123456789"
    doc = document(check_row(late, "config", "ok", "fine"), check_row("keys.openai", "keys", "fail", f"uses {late}"))
    path = write_json(tmp_path / "late.json", doc)
    report = parse_report_bytes(str(path), path.read_bytes())
    assert late in records_text(report, b"") and late in report_json_text(summarize(report))
    redact.register_secret(late, "test")
    assert late not in records_text(report, b"") and late not in report_json_text(summarize(report))


@pytest.mark.parametrize("text", ["plain", "", "line\nnext\ttab", "é — “quotes” ✓", "esc \x1b[2J here", "osc \x1b]0;t\x07",
                                  "del \x7f", "c1 \x9b2J", "bidi \u202e txt", "iso \u2066x\u2069", "cr\r\nlf", "nul \x00",
                                  "lone \ud800 surrogate", "c2 not control ©"])
def test_printable_text_is_printable(text: str) -> None:
    assert printable_text(text) == printable(text)


def fleet(tmp_path: Path) -> list[Path]:
    """More files than the pool's threshold at chunk 4, skipped files first, between and last."""
    target = tmp_path / "fleet"
    target.mkdir()
    (target / "+empty.json").write_text("")  # sorts first
    for n in range(3):
        for path in sorted(REAL.glob("*.*")):
            shutil.copy(path, target / f"{n}-{path.name}")
    (target / "1-zz-broken.json").write_text("{")
    (target / "zz-broken.json").write_text("{")
    return sorted(target.iterdir())


@pytest.mark.parametrize("jobs", [1, 2])
def test_batches_keep_the_order_of_the_files_and_count_each_report_once(tmp_path: Path, jobs: int) -> None:
    paths = fleet(tmp_path)
    items = list(iter_batches(paths, jobs=jobs, keep=True, chunk=4))
    alone = list(iter_reports(paths, jobs=1))
    flat: list[object] = []
    for item in items:
        flat += [item] if isinstance(item, Skipped) else list(item.summaries)
    assert flat == alone
    assert [getattr(item, "path", None) for item in flat] == [str(p) for p in paths]
    batches = [item for item in items if isinstance(item, Batch)]
    assert all(batch.tally.total == len(batch.summaries) > 0 for batch in batches)
    assert len(batches) > 3  # chunks, and the runs that the skipped files cut
    merged, added = Tally(), Tally()
    for batch in batches:
        merged.merge(batch.tally)
    for summary in alone:
        if not isinstance(summary, Skipped):
            added.add(summary)
    assert merged == added and merged.total == len(paths) - 3


def test_batches_carry_the_text_as_utf8_or_as_the_str_that_utf8_cannot_encode(tmp_path: Path) -> None:
    good = write_json(tmp_path / "a.json", document(check_row("a.b", "config", "fail", "é")))
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps(document(check_row("a.b", "config", "fail", "x"))).replace('"x"', '"\\ud800"'))

    def render(summary: Any, report: Any, raw: bytes) -> str:
        return summary.findings[0].summary

    def render_half_pair(summary: Any, report: Any, raw: bytes) -> str:
        return summary.findings[0].summary + "\udfff"

    (first,) = iter_batches([good], jobs=1, render=render)
    (second,) = iter_batches([bad], jobs=1, render=render)
    (third,) = iter_batches([bad], jobs=1, render=render_half_pair)
    assert isinstance(first, Batch) and first.data == "é".encode()
    # a lone surrogate in the report is replaced when it is read; one a renderer makes travels as text
    assert isinstance(second, Batch) and second.data == "\ufffd".encode()
    assert isinstance(third, Batch) and third.data == "\ufffd\udfff"
    (unrendered,) = iter_batches([good], jobs=1)
    assert isinstance(unrendered, Batch) and unrendered.data == b"" and unrendered.summaries == ()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_json_with_skipped_files_first_and_between_is_the_whole_document(tmp_path: Path, jobs: str) -> None:
    paths = fleet(tmp_path)
    result = run_perspt("triage", "--json", "--jobs", jobs, str(paths[0].parent))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["file"] for r in data["reports"]] == [str(p) for p in paths[1:] if "broken" not in p.name]
    assert result.stdout == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert sum(line.startswith("skipped ") for line in result.stderr.splitlines()) == 3


def test_a_stream_that_does_not_write_utf8_gets_the_text_in_its_own_encoding(tmp_path: Path) -> None:
    write_json(tmp_path / "a.json", document(check_row("config.café", "config", "fail", "café")))

    def run(flag: str, encoding: str) -> bytes:
        env = dict(os.environ, PYTHONIOENCODING=encoding)
        result = subprocess.run([sys.executable, "-m", "perspt_doctor", "triage", flag, str(tmp_path)],
                                capture_output=True, env=env, timeout=120, check=True)
        return result.stdout

    for flag in ("--json", "--jsonl", "--csv"):
        utf8 = run(flag, "utf-8")
        assert "café".encode() in utf8
        assert run(flag, "latin-1") == utf8.decode("utf-8").encode("latin-1")


def test_the_listing_names_files_as_path_would(tmp_path: Path) -> None:
    for name in ("b.json", "a.md", ".json", "c.txt", "d.", "..json", "e.JSON"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "dir.json").mkdir()
    expected = [str(p) for p in sorted(p for p in tmp_path.iterdir() if p.suffix in (".md", ".json") and p.is_file())]
    assert list(_expand((tmp_path,))) == expected == [str(tmp_path / n) for n in ("..json", "a.md", "b.json")]
    here = os.getcwd()
    try:
        os.chdir(tmp_path)
        assert list(_expand((Path("."),))) == [str(Path(".") / n) for n in ("..json", "a.md", "b.json")]
        assert list(_expand((Path("b.json"),))) == ["b.json"]
    finally:
        os.chdir(here)
    for name in ("a.json", ".json", "a.", "..json", "a.b.md", "noext", ".", "a..b"):
        assert _suffix(name) == Path(name).suffix


@pytest.mark.parametrize("data", [b",\n    {1}", ",\n    {\ud800}"])
def test_the_json_writer_writes_the_first_entry_after_the_bracket_in_one_piece(data: bytes | str) -> None:
    from perspt_doctor.cli.triage_output import JsonWriter

    plain: list[str] = []
    clean: list[bytes | str] = []
    writer = JsonWriter(plain.append, clean.append)
    one = Tally(total=1)
    writer.reports(Batch(one, data))
    writer.reports(Batch(one, data))
    assert plain == ['{\n  "schema_version": 1,\n  "reports": [']
    assert clean == [data.replace(b",\n", b"\n", 1) if isinstance(data, bytes) else data.replace(",\n", "\n", 1),
                     data]
