from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from reportkit import CORPUS, check_row, document, run_perspt, write_json

from perspt_doctor.report.triage import ReportFormatError, check_anchor, load_report, rank
from perspt_doctor.report.triage_stream import triage_files

REAL = CORPUS / "real"
MALFORMED = CORPUS / "malformed"


def test_layers_rank_the_earliest_failure_first_then_consequences_then_warnings() -> None:
    doc = document(
        check_row("memory.ram", "memory", "warn", "low"),
        check_row("http.openai", "http", "fail", "no answer", provider="openai", depends_on=("tls.openai",)),
        check_row("tls.openai", "tls", "fail", "untrusted", provider="openai", depends_on=("tcp.openai",)),
        check_row("plugin.x", "mystery", "error", "crashed"),
        check_row("proxy.openai", "proxy", "fail", "proxy refuses", provider="openai"),
        check_row("tcp.openai", "tcp", "ok", "connected", provider="openai"),
        check_row("dns.groq", "dns", "error", "timed out", provider="groq"),
        check_row("keys.groq", "keys", "skip", "blocked"),
        check_row("env.keys", "env", "warn", "typo in OPENAI_KEY"),
    )
    ranked = rank(doc)
    assert [f.check_id for f in ranked] == ["proxy.openai", "dns.groq", "tls.openai", "http.openai", "plugin.x",
                                            "env.keys", "memory.ram"]
    assert ranked[0].layer == "proxy"
    assert ranked[3].consequence_of == "tls.openai"
    assert ranked[4].layer == "runtime"
    assert ranked[2].docs == "docs/checks.md#tls-provider"


def test_a_check_whose_cause_the_classifier_placed_in_an_earlier_layer_ranks_there() -> None:
    cause = {"kind": "proxy_refused", "layer": "proxy", "host": "127.0.0.1:3128", "message": "refused"}
    doc = document(check_row("dns.groq", "dns", "fail", "no answer", provider="groq"),
                   check_row("http.openai", "http", "fail", "GET failed", provider="openai", facts={"cause": cause}),
                   check_row("tls.groq", "tls", "fail", "odd", provider="groq",
                             facts={"cause": {"layer": "not-a-layer"}}))
    ranked = rank(doc)
    assert [(f.check_id, f.layer) for f in ranked] == [("http.openai", "proxy"), ("dns.groq", "dns"),
                                                       ("tls.groq", "tls")]


def test_every_layer_of_the_classifier_is_a_layer_triage_ranks() -> None:
    from perspt_doctor.report.triage import layer_of
    from perspt_doctor.transport.classify import LAYERS, Kind, cause_of

    assert {cause_of(kind, "x").layer for kind in Kind} <= set(LAYERS)
    for layer in LAYERS:
        expected = "runtime" if layer in ("live", "ollama", "memory") else ("model" if layer == "ratelimit" else layer)
        assert layer_of(layer)[1] == expected, layer


def test_a_failure_that_follows_from_another_in_the_same_layer_comes_second() -> None:
    doc = document(check_row("config.schema", "config", "fail", "bad value", depends_on=("config.file",)),
                   check_row("config.file", "config", "fail", "broken JSON"))
    assert [f.check_id for f in rank(doc)] == ["config.file", "config.schema"]


def test_check_anchor_maps_concrete_ids_to_their_declared_section() -> None:
    assert check_anchor("tls.openai", "openai") == "tls-provider"
    assert check_anchor("tls.{provider}") == "tls-provider"
    assert check_anchor("security.config_permissions") == "security-config-permissions"
    assert check_anchor("acme.gateway.openai-compatible", "openai-compatible") == "acme-gateway-provider"


@pytest.mark.parametrize("path", sorted(REAL.glob("*.*")), ids=lambda p: p.name)
def test_corpus_of_real_doctor_runs_gets_the_expected_root_cause(path: Path) -> None:
    expected = json.loads((CORPUS / "real_expected.json").read_text(encoding="utf-8"))
    report = load_report(path)
    assert report.root is not None, f"{path.name}: no root cause found"
    assert report.root.layer == expected[path.name], [f.check_id for f in report.findings]
    assert report.root.docs.startswith("docs/")
    assert report.version and report.platform == "Linux"


def test_corpus_covers_both_formats_and_every_expected_file_exists() -> None:
    expected = json.loads((CORPUS / "real_expected.json").read_text(encoding="utf-8"))
    assert len(expected) >= 5
    assert {Path(name).suffix for name in expected} == {".md", ".json"}
    for name in expected:
        assert (REAL / name).is_file()


def test_fresh_doctor_runs_in_failing_situations_are_triaged(tmp_path: Path) -> None:
    """The corpus generator run live (two scenarios): the engine as it is today, not a stored file."""
    sys.path.insert(0, str(Path(__file__).parent))
    import make_corpus

    wanted = {"config_syntax_error", "openai_port_refused"}
    expected = make_corpus.generate(tmp_path / "live", only=lambda s: s.name in wanted)
    assert len(expected) == 2
    for name, layer in expected.items():
        report = load_report(tmp_path / "live" / name)
        assert report.root is not None and report.root.layer == layer


def test_malformed_truncated_and_old_files_are_skipped_with_one_line_reasons() -> None:
    files = sorted(MALFORMED.iterdir())
    result = triage_files(files)
    assert not result.reports
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert set(reasons) == {p.name for p in files}
    assert "older than the one this perspt reads" in reasons["old_schema.json"]
    assert "upgrade perspt" in reasons["newer_schema.json"]
    assert "looks truncated" in reasons["truncated_json.json"]
    assert "never closes" in reasons["truncated_report.md"]
    assert reasons["empty.json"] == "the file is empty"
    assert "not UTF-8" in reasons["not_utf8.md"]
    assert all("\n" not in reason for reason in reasons.values())


def test_cli_skips_bad_files_without_a_traceback_and_still_triages_the_good_ones() -> None:
    good = REAL / "openai_port_refused.json"
    result = run_perspt("triage", str(good), *(str(p) for p in sorted(MALFORMED.iterdir())), str(MALFORMED / "nope.md"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"skipped {MALFORMED / 'old_schema.json'}: schema version 0" in result.stderr
    assert "nope.md: no such file" in result.stderr
    assert "tcp.openai (root cause)" in result.stdout
    assert "12 file(s) skipped" in result.stdout


def test_cli_exits_1_when_no_report_could_be_read() -> None:
    result = run_perspt("triage", str(MALFORMED / "empty.json"), str(MALFORMED / "not_a_report.md"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_aggregate_tables_count_causes_versions_and_platforms(tmp_path: Path) -> None:
    def refused(version: str, system: str, provider: str) -> dict[str, object]:
        return document(check_row(f"tcp.{provider}", "tcp", "fail", "refused", provider=provider), version=version,
                        system=system)

    paths = [write_json(tmp_path / "a.json", refused("0.1.0", "Linux", "openai")),
             write_json(tmp_path / "b.json", refused("0.1.0", "Darwin", "groq")),
             write_json(tmp_path / "c.json", refused("0.2.0", "Linux", "openai")),
             write_json(tmp_path / "d.json", document(check_row("config.file", "config", "fail", "broken")))]
    result = triage_files(paths)
    assert result.root_causes() == [("tcp.{provider}", "tcp", 3), ("config.file", "config", 1)]
    assert result.versions() == [("0.1.0", 3), ("0.2.0", 1)]
    assert result.platforms() == [("Linux", 3), ("macOS", 1)]
    plain = run_perspt("triage", str(tmp_path))
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert lines[0] == "Most common root causes", "the ranking comes first"
    table = lines[lines.index("Most common root causes"):]
    assert table[3].split() == ["3/4", "#" * 24, "tcp.{provider}", "tcp"]
    assert table[4].split() == ["1/4", "#" * 8, "config.file", "config"]
    first_report = next(i for i, line in enumerate(lines) if line.endswith(("fail, perspt 0.1.0, Linux",
                                                                            "fail, perspt 0.2.0, Linux")))
    assert first_report > lines.index("Platforms"), "each report's block comes after the tables"


def test_a_proxy_that_refuses_and_one_that_does_not_answer_are_counted_apart(tmp_path: Path) -> None:
    def proxy_failure(name: str, kind: str) -> Path:
        row = check_row("proxy.openai", "proxy", "fail", "the proxy is not reachable", provider="openai",
                        facts={"cause": {"kind": kind, "layer": "proxy"}})
        return write_json(tmp_path / name, document(row))

    paths = [proxy_failure("a.json", "proxy_refused"), proxy_failure("b.json", "proxy_refused"),
             proxy_failure("c.json", "proxy_unreachable"),
             proxy_failure("d.json", "a_kind_from_a_newer_perspt")]
    result = triage_files(paths)
    assert result.root_causes() == [("proxy.{provider}: proxy refuses connections", "proxy", 2),
                                    ("proxy.{provider}", "proxy", 1),
                                    ("proxy.{provider}: proxy does not answer", "proxy", 1)]
    records = [json.loads(line) for line in run_perspt("triage", "--jsonl", *map(str, paths)).stdout.splitlines()]
    assert {r["cause"] for r in records} == {"proxy.{provider}: proxy refuses connections",
                                             "proxy.{provider}: proxy does not answer", "proxy.{provider}"}


def test_triage_counts_reports_behind_the_newest_release(tmp_path: Path) -> None:
    behind = check_row("runtime.version", "runtime", "warn", "perspt 0.1.0 is installed; 0.2.0 is the newest",
                       facts={"newest": "0.2.0"})
    current = check_row("runtime.version", "runtime", "ok", "perspt 0.2.0 is the newest release",
                        facts={"newest": "0.2.0"})
    paths = [write_json(tmp_path / "old.json", document(behind)),
             write_json(tmp_path / "new.json", document(current, version="0.2.0"))]
    plain = run_perspt("triage", *map(str, paths))
    assert "perspt versions (1/2 behind the newest release)" in plain.stdout
    data = json.loads(run_perspt("triage", "--json", *map(str, paths)).stdout)
    assert data["summary"]["behind_newest_release"] == 1


def test_json_and_csv_outputs(tmp_path: Path) -> None:
    files = [str(p) for p in sorted(REAL.glob("*.*"))] + [str(MALFORMED / "old_schema.json")]
    as_json = run_perspt("triage", "--json", *files)
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert len(data["reports"]) == len(files) - 1
    assert data["skipped"][0]["reason"].startswith("schema version 0")
    assert sum(row["reports"] for row in data["summary"]["root_causes"]) == len(files) - 1
    for report in data["reports"]:
        assert report["root_cause"]["runbook"].startswith("docs/")
    as_csv = run_perspt("triage", "--csv", *files)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == len(files)
    assert rows[-1]["status"] == "skipped" and rows[-1]["skipped_reason"]
    assert {row["layer"] for row in rows[:-1]} >= {"config", "keys", "tcp"}
    both = run_perspt("triage", "--json", "--csv", files[0])
    assert both.returncode == 2 and "choose one" in both.stderr


def test_report_format_errors_name_the_line() -> None:
    from perspt_doctor.report.triage import parse_report_text

    text = "# perspt issue report\n\n## Doctor JSON\n\n```json\n{\"schema_version\": 1,\n  \"checks\": [}\n```\n"
    with pytest.raises(ReportFormatError, match=r"line 7, column 14"):
        parse_report_text(text)


def test_on_a_terminal_the_tables_are_drawn_with_rich(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(sys.executable, ["-m", "perspt_doctor", "triage", str(REAL)], encoding="utf-8",
                          timeout=60, dimensions=(50, 120))
    child.expect(pexpect.EOF)
    output = child.before or ""
    assert "Most common root causes" in output
    assert "━" in output or "─" in output
    assert "█" in output, "a bar per cause"
    assert output.index("Most common root causes") < output.index("openai_port_refused.json"), "ranking first"


@pytest.mark.parametrize("output", ["", "--json", "--csv", "--jsonl"])
def test_a_lone_surrogate_in_a_report_becomes_a_replacement_character(output: str, tmp_path: Path) -> None:
    data = json.loads((REAL / "model_typo.json").read_text(encoding="utf-8"))
    failing = next(c for c in data["checks"] if c["status"] == "fail")
    failing["summary"] = "half a pair \ud800 here"
    failing["category"] = "model\udc00"
    write_json(tmp_path / "report.json", data)  # json.dumps writes them as \ud800 and \udc00 escapes
    assert "\\ud800" in (tmp_path / "report.json").read_text(encoding="utf-8")
    done = run_perspt("triage", *([output] if output else []), str(tmp_path))
    assert done.returncode in (0, 1), done.stderr
    assert "internal error" not in done.stderr
    if output == "--json":
        entry = json.loads(done.stdout)["reports"][0]
        assert entry["root_cause"]["summary"] == "half a pair \ufffd here"
    elif output == "--jsonl":
        records = [json.loads(line) for line in done.stdout.splitlines()]
        assert any(r["category"] == "model\ufffd" for r in records)
    elif output == "--csv":
        row = next(csv.DictReader(io.StringIO(done.stdout)))
        assert row["summary"] == "half a pair \ufffd here"
    else:
        assert "half a pair \ufffd here" in done.stdout
