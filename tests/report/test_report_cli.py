from __future__ import annotations

import json
import os
import socket
import sys
import zipfile
from pathlib import Path

import pytest
from reportkit import check_row, document, run_perspt, write_json

from perspt_doctor.report.triage import load_report, parse_report_text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_on_a_terminal_the_user_sees_a_preview_can_read_it_all_and_decides(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    doc = write_json(tmp_path / "doc.json", document(check_row("tcp.openai", "tcp", "fail", "refused",
                                                               provider="openai")))
    out = tmp_path / "report.md"
    env = {**os.environ, "PAGER": "cat"}
    for answers, written in ((["n"], False), (["v", "y"], True)):
        child = pexpect.spawn(sys.executable, ["-m", "perspt_doctor", "report", "--from-json", str(doc), "-o", str(out)],
                              encoding="utf-8", timeout=60, dimensions=(50, 200), env=env)
        child.expect("## Summary")
        child.expect(r"characters, [\d,]+ lines in all")
        preview = child.before
        child.expect(r"Write it to .*report\.md.*\[v\]iew it all")
        assert "## Doctor JSON" not in preview and "tcp.openai" in preview
        assert not out.exists()
        for answer in answers:
            child.sendline(answer)
            if answer == "v":
                child.expect("## Doctor JSON")  # the whole text, through the pager
                child.expect(r"Write it to .*report\.md")
        child.expect(pexpect.EOF)
        child.close()
        assert out.exists() is written
        assert child.exitstatus == (0 if written else 1)
    assert load_report(out).root is not None


def test_without_output_and_not_a_terminal_the_report_goes_to_stdout(tmp_path: Path) -> None:
    doc = write_json(tmp_path / "doc.json", document(check_row("dns.openai", "dns", "fail", "no such host",
                                                               provider="openai")))
    result = run_perspt("report", "--from-json", str(doc), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    parsed, _facts = parse_report_text(result.stdout)
    assert parsed["checks"][0]["id"] == "dns.openai"
    assert not list(tmp_path.glob("perspt-report-*.md"))


def test_existing_output_is_replaced_without_leaving_a_backup_beside_it(tmp_path: Path) -> None:
    doc = write_json(tmp_path / "doc.json", document())
    out = tmp_path / "report.md"
    out.write_text("an earlier report\n", encoding="utf-8")
    result = run_perspt("report", "--from-json", str(doc), "-o", str(out), "--yes")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.json", "report.md"]
    assert out.read_text().startswith("# perspt issue report")


def test_bad_from_json_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "doc.json"
    bad.write_text('{"schema_version": 1, "checks": [', encoding="utf-8")
    result = run_perspt("report", "--from-json", str(bad), "-o", "-")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "invalid JSON" in result.stderr and "doctor --json" in result.stderr


def test_a_real_run_reports_a_broken_config_and_a_refusing_endpoint(tmp_path: Path, config_home: Path) -> None:
    config_home.mkdir(parents=True)
    port = _closed_port()
    (config_home / "config.json").write_text(
        '{\n  "provider": "openai",\n  "provider_endpoints": {"openai": "http://127.0.0.1:' + str(port) + '/v1"},\n}\n',
        encoding="utf-8")
    bundle = tmp_path / "b.zip"
    result = run_perspt("report", "--offline", "--timeout", "20", "-o", "-", "--bundle", str(bundle))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "- Config problem: " in text and "trailing comma" in text
    doc, _facts = parse_report_text(text)
    statuses = {row["id"]: row["status"] for row in doc["checks"]}
    assert statuses["config.file"] == "fail"
    assert "- Provider: <fill in>" in text, "an unreadable file may name another provider: no default stands in"
    with zipfile.ZipFile(bundle) as archive:
        assert json.loads(archive.read("doctor.json"))["schema_version"] == 1
        assert archive.read("report.md").decode().rstrip("\n") == text.rstrip("\n")


def test_an_invalid_but_readable_config_still_names_its_provider_and_model(config_home: Path) -> None:
    config_home.mkdir(parents=True)
    (config_home / "config.json").write_text(
        '{"provider": "groq", "model": "llama-3.1-8b-instant", "temperature": 9}', encoding="utf-8")
    result = run_perspt("report", "--offline", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert "- Provider: groq (from " in result.stdout and "- Model: llama-3.1-8b-instant (from " in result.stdout
    assert "- Config problem: " in result.stdout and "temperature" in result.stdout


def test_doctor_report_flag_passes_the_doctor_options_on(tmp_path: Path, config_home: Path) -> None:
    config_home.mkdir(parents=True)
    port = _closed_port()
    (config_home / "config.json").write_text(json.dumps(
        {"provider": "openai", "provider_endpoints": {"openai": f"http://127.0.0.1:{port}/v1"}}), encoding="utf-8")
    result = run_perspt("doctor", "--report", "--offline", "--timeout", "20", "--provider", "openai", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc, _facts = parse_report_text(result.stdout)
    assert doc["offline"] is True
    statuses = {row["id"]: row["status"] for row in doc["checks"]}
    assert statuses["tcp.openai"] == "fail"  # loopback endpoints are probed even offline
    assert all(row["provider"] in (None, "openai") for row in doc["checks"])
