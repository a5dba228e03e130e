"""The documentation: it builds with warnings as errors, the generated pages are current, every
check's docs link lands on an existing anchor, every error of the seed guide is covered, and the
plugin example in the guide really runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.doclinks import all_checks, docs_links, gen_docs, rendered_anchors
from tests.docs.seed_errors import SEED_ERRORS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def test_mkdocs_builds_strict(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f",
                             str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "checks" / "index.html").is_file()
    assert (tmp_path / "site" / "config.schema.json").is_file()


def test_generated_configuration_reference_and_schema_are_current() -> None:
    gen = gen_docs()
    assert (DOCS / "configuration.md").read_text(encoding="utf-8") == gen.configuration_md(), \
        "docs/configuration.md is stale: run scripts/gen_docs.py"
    assert (DOCS / "config.schema.json").read_text(encoding="utf-8") == gen.config_schema_json(), \
        "docs/config.schema.json is stale: run scripts/gen_docs.py"
    assert gen.SHIPPED_SCHEMA.read_text(encoding="utf-8") == gen.config_schema_json(), \
        "perspt_doctor/schemas/config.schema.json is stale: run scripts/gen_docs.py"


def test_generated_checks_and_benchmarks_pages_are_current() -> None:
    gen = gen_docs()
    assert (DOCS / "checks.md").read_text(encoding="utf-8") == gen.checks_md(), \
        "docs/checks.md is stale: run scripts/gen_docs.py"
    assert (DOCS / "benchmarks.md").read_text(encoding="utf-8") == gen.benchmarks_md(), \
        "docs/benchmarks.md is stale: run scripts/gen_docs.py"


def test_configuration_reference_lists_every_key_of_the_settings_model() -> None:
    from perspt_doctor.settings.schema import SCHEMA

    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for spec in SCHEMA:
        assert f"| `{spec.name}` |" in text
        for child in spec.children:
            assert f"| `{spec.name}.{child.name}` |" in text


def test_json_schema_accepts_the_guides_configs_and_rejects_wrong_types() -> None:
    import jsonschema

    schema = json.loads((DOCS / "config.schema.json").read_text(encoding="utf-8"))
    good = {"provider_type": "groq", "timeout": 30, "retry_attempts": 2, "fallback_provider": "openai",
            "proxy": {"http": "http://proxy.company.com:8080", "https": "https://proxy.company.com:8080"},
            "rate_limiting": {"requests_per_minute": 50, "delay_between_requests": 1.2, "max_retries": 3},
            "debug": {"enabled": True, "log_level": "trace", "log_file": "~/.config/perspt/debug.log"},
            "options": {"num_gpu": 0, "num_thread": 4}, "_comment": "notes are fine"}
    jsonschema.validate(good, schema)
    for bad in ({"timeout": "30"}, {"stream": "yes"}, {"retry_attempts": -1}, {"modle": "gpt-4o"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_every_check_has_a_section_in_checks_md() -> None:
    from perspt_doctor.report.triage import check_anchor

    anchors = rendered_anchors(DOCS / "checks.md")
    text = (DOCS / "checks.md").read_text(encoding="utf-8")
    checks = all_checks()
    assert checks, "no checks discovered"
    missing = [c.id for c in checks if check_anchor(c.id) not in anchors or f"`{c.id}`" not in text]  # type: ignore[attr-defined]
    assert not missing, f"docs/checks.md lacks {missing}: run scripts/gen_docs.py"


def test_every_docs_link_of_every_check_lands_on_an_existing_anchor() -> None:
    links = docs_links()
    assert links, "no check declares a docs link"
    broken = []
    cache: dict[str, set[str]] = {}
    for page, anchor in sorted(links):
        path = DOCS / page
        if not path.is_file():
            broken.append(f"docs/{page} (no such page)")
            continue
        anchors = cache.setdefault(page, rendered_anchors(path))
        if anchor not in anchors:
            broken.append(f"docs/{page}#{anchor}")
    assert not broken, f"broken docs links: {broken}"


def _sections(page: Path) -> list[tuple[str, str]]:
    parts = re.split(r"^(#{1,6} .+)$", page.read_text(encoding="utf-8"), flags=re.M)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def test_troubleshooting_covers_every_error_of_the_seed_guide() -> None:
    errors = sorted(set(SEED_ERRORS))
    assert len(errors) == len(SEED_ERRORS) >= 20
    sections = _sections(DOCS / "troubleshooting.md")
    uncovered = []
    for message in errors:
        home = [(title, body) for title, body in sections if f"Error: {message}`" in body]
        if not home:
            uncovered.append(message)
            continue
        title, body = home[0]
        assert "**Fix it.**" in body or "perspt " in body, f"section {title!r} quotes {message!r} but says nothing"
    assert not uncovered, f"docs/troubleshooting.md does not cover: {uncovered}"


def test_benchmarks_page_lists_every_benchmark_script() -> None:
    text = (DOCS / "benchmarks.md").read_text(encoding="utf-8")
    scripts = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py") if not p.name.startswith("_")) \
        if (ROOT / "benchmarks").is_dir() else []
    missing = [name for name in scripts if f"benchmarks/{name}" not in text]
    assert not missing, f"docs/benchmarks.md lacks {missing}: run scripts/gen_docs.py"


def test_the_plugin_guides_example_runs_as_written(tmp_path: Path) -> None:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S)
    assert code is not None
    checks_dir = tmp_path / "my-checks"
    checks_dir.mkdir()
    (checks_dir / "acme.py").write_text(code.group(1), encoding="utf-8")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"provider": "openai", "model": "gpt-4-turbo"}), encoding="utf-8")
    env = dict(os.environ, OPENAI_API_KEY="sk-" + "a" * 40)
    result = subprocess.run([sys.executable, "-m", "perspt_doctor", "doctor", "--config", str(config), "--checks-dir",
                             str(checks_dir), "--only", "acme.*", "--offline", "--json"],
                            capture_output=True, text=True, timeout=120, env=env)
    doc = json.loads(result.stdout)
    rows = {row["id"]: row for row in doc["checks"]}
    assert rows["acme.model_approved"]["status"] == "fail", rows
    assert "gpt-4-turbo" in rows["acme.model_approved"]["summary"]
    assert rows["acme.gateway.openai"]["status"] == "warn"
    assert "provider_endpoints" in rows["acme.gateway.openai"]["hint"]
    assert result.returncode == 1
