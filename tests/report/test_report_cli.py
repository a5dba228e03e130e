from __future__ import annotations

import json
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


def test_on_a_terminal_the_user_sees_the_report_and_decides(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    doc = write_json(tmp_path / "doc.json", document(check_row("tcp.openai", "tcp", "fail", "refused",
                                                               provider="openai")))
    out = tmp_path / "report.md"
    for answer, written in (("n", False), ("y", True)):
        child = pexpect.spawn(sys.executable, ["-m", "perspt_doctor", "report", "--from-json", str(doc), "-o", str(out)],
                              encoding="utf-8", timeout=60, dimensions=(50, 200))
        child.expect("## Doctor JSON")
        child.expect(r"Write it to .*report\.md\?")
        assert not out.exists()
        child.sendline(answer)
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


def test_existing_output_is_replaced_with_a_dated_backup(tmp_path: Path) -> None:
    doc = write_json(tmp_path / "doc.json", document())
    out = tmp_path / "report.md"
    out.write_text("my earlier notes\n", encoding="utf-8")
    result = run_perspt("report", "--from-json", str(doc), "-o", str(out), "--yes")
    assert result.returncode == 0, result.stderr
    backups = list(tmp_path.glob("report.md.backup.*"))
    assert len(backups) == 1 and backups[0].read_text() == "my earlier notes\n"
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
    with zipfile.ZipFile(bundle) as archive:
        assert json.loads(archive.read("doctor.json"))["schema_version"] == 1
        assert archive.read("report.md").decode().rstrip("\n") == text.rstrip("\n")


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
