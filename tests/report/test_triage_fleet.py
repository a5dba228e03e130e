"""Triage at fleet scale: the streamed outputs equal the held ones, the worker pool gives the same
answers in the same order, and `--jsonl` follows its schema and the DuckDB query in docs/support.md
reproduces the root-cause ranking."""

from __future__ import annotations

import json
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest
from reportkit import CORPUS, check_row, document, run_perspt, write_json

from perspt_doctor.redact import redact_obj
from perspt_doctor.report.triage import to_json
from perspt_doctor.report.triage_stream import iter_reports, triage_files

ROOT = Path(__file__).resolve().parents[2]
REAL = CORPUS / "real"
MALFORMED = CORPUS / "malformed"
SCHEMA = json.loads(resources.files("perspt_doctor").joinpath("schemas/triage-record.schema.json").read_text())


def fleet(tmp_path: Path, copies: int = 9) -> Path:
    """Many reports: the real corpus several times over (more than the pool's threshold), reports
    made to tie and to have no failure or no checks, one malformed file and one file copied twice."""
    target = tmp_path / "fleet"
    target.mkdir()
    for n in range(copies):
        for path in sorted(REAL.glob("*.*")):
            shutil.copy(path, target / f"{n:02d}-{path.name}")
    for n, provider in enumerate(("openai", "groq", "mistral")):
        write_json(target / f"tcp-{n}.json", document(
            check_row(f"tcp.{provider}", "tcp", "fail", "refused", provider=provider),
            check_row(f"http.{provider}", "http", "fail", "no answer", provider=provider,
                      depends_on=(f"tcp.{provider}",)), version=f"0.{n}.0", system="Darwin"))
    write_json(target / "proxy-cause.json", document(
        check_row("tcp.openai", "tcp", "ok", "connected", provider="openai"),
        check_row("http.openai", "http", "fail", "proxy refused", provider="openai",
                  facts={"cause": {"kind": "proxy_refused", "layer": "proxy"}})))
    write_json(target / "all-ok.json", document(check_row("config.file", "config", "ok", "fine")))
    write_json(target / "warn-only.json", document(check_row("memory.ram", "memory", "warn", "low")))
    write_json(target / "no-checks.json", document())
    shutil.copy(MALFORMED / "truncated_json.json", target / "zz-truncated.json")
    return target


def test_the_worker_pool_gives_the_same_summaries_in_the_same_order(tmp_path: Path) -> None:
    paths = sorted(fleet(tmp_path).iterdir())
    alone = list(iter_reports(paths, jobs=1))
    pooled = list(iter_reports(paths, jobs=2, chunk=3))
    assert pooled == alone
    assert [item.path for item in pooled] == [str(p) for p in paths]
    assert sum(1 for item in pooled if not hasattr(item, "findings")) == 1  # the truncated file


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_streamed_json_is_byte_for_byte_the_document_of_all_reports(tmp_path: Path, jobs: str) -> None:
    target = fleet(tmp_path)
    paths = sorted(target.iterdir())
    expected = json.dumps(redact_obj(to_json(triage_files(paths))), indent=2, ensure_ascii=False) + "\n"
    result = run_perspt("triage", "--json", "--jobs", jobs, str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected
    assert "skipped" in result.stderr and "zz-truncated.json" in result.stderr


def test_json_with_every_file_skipped_is_still_one_valid_document() -> None:
    result = run_perspt("triage", "--json", str(MALFORMED / "empty.json"))
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["reports"] == [] and data["skipped"][0]["reason"] == "the file is empty"
    assert result.stdout == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def jsonl(target: Path) -> list[dict[str, object]]:
    result = run_perspt("triage", "--jsonl", str(target))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_jsonl_has_one_record_per_report_and_check_and_follows_its_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    target = fleet(tmp_path, copies=1)
    records = jsonl(target)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for record in records:
        validator.validate(record)
        assert list(record) == SCHEMA["required"]
    by_file: dict[str, list[dict[str, object]]] = {}
    for record in records:
        by_file.setdefault(str(record["file"]), []).append(record)
    readable = [p for p in sorted(target.iterdir()) if p.name != "zz-truncated.json"]
    assert list(by_file) == [str(p) for p in readable]
    port = by_file[str(target / "00-openai_port_refused.json")]
    doc = json.loads((REAL / "openai_port_refused.json").read_text())
    assert [r["check_id"] for r in port] == [c["id"] for c in doc["checks"]]
    assert len({r["report_id"] for r in port}) == 1
    root = next(r for r in port if r["rank"] == 1)
    assert (root["check_id"], root["status"], root["layer"], root["cause"]) == ("tcp.openai", "fail", "tcp",
                                                                                "tcp.{provider}")
    assert root["time"] == doc["started_at"] and root["version"] == "0.1.0" and root["platform"] == "Linux"
    assert all(r["rank"] is None for r in port if r["status"] in ("ok", "skip"))
    http = next(r for r in by_file[str(target / "tcp-1.json")] if r["check_id"] == "http.groq")
    assert (http["rank"], http["consequence_of"], http["provider"]) == (2, "tcp.groq", "groq")
    proxy = next(r for r in by_file[str(target / "proxy-cause.json")] if r["check_id"] == "http.openai")
    assert (proxy["layer"], proxy["category"], proxy["rank"]) == ("proxy", "http", 1)
    (empty,) = by_file[str(target / "no-checks.json")]
    assert empty["check_id"] is None and empty["rank"] is None and empty["status"] is None
    markdown = by_file[str(target / "00-missing_key.md")]
    assert markdown[0]["report_id"] != port[0]["report_id"]


def test_the_report_id_is_the_files_content_not_its_name(tmp_path: Path) -> None:
    target = tmp_path / "two"
    target.mkdir()
    shutil.copy(REAL / "model_typo.json", target / "a.json")
    shutil.copy(REAL / "model_typo.json", target / "b.json")
    write_json(target / "c.json", document(check_row("config.file", "config", "fail", "broken")))
    ids = {str(r["file"]): r["report_id"] for r in jsonl(target)}
    assert ids[str(target / "a.json")] == ids[str(target / "b.json")] != ids[str(target / "c.json")]


def docs_query() -> str:
    text = (ROOT / "docs" / "support.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 1, "docs/support.md should hold exactly one SQL block: the DuckDB query"
    return blocks[0]


def test_the_duckdb_query_in_the_docs_reproduces_triages_ranking(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    target = fleet(tmp_path, copies=2)
    shutil.copy(REAL / "model_typo.json", target / "zz-copy-of-model_typo.json")
    out = tmp_path / "triage.jsonl"
    result = run_perspt("triage", "--jsonl", str(target))
    assert result.returncode == 0, result.stderr
    out.write_text(result.stdout, encoding="utf-8")
    query = docs_query()
    assert "'triage.jsonl'" in query
    rows = duckdb.connect().execute(query.replace("'triage.jsonl'", f"'{out}'")).fetchall()

    as_json = run_perspt("triage", "--json", str(target))
    ranking = [(r["check"], r["layer"], r["reports"]) for r in json.loads(as_json.stdout)["summary"]["root_causes"]]
    assert [tuple(row) for row in rows] == ranking
    assert ("(no failure)", "-", 3) in ranking and ranking[0][2] > ranking[-1][2]
