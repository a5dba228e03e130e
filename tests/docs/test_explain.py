"""`perspt explain`: every docs reference the doctor can print, and every check id, finds its section;
the sections are the ones Markdown renders (same anchors); the doctor's rows name the command; unknown
topics get a did-you-mean and exit 2; a terminal gets rich output, a pipe the plain text.
tests/test_wheel.py runs the same look-ups from an installed wheel."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from perspt_doctor.report import explain
from tests.docs.doclinks import all_checks, docs_links, rendered_anchors

ROOT = Path(__file__).resolve().parents[2]


def perspt(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **env})


def test_the_sections_are_the_ones_markdown_renders() -> None:
    for page in explain.PAGES:
        rendered = rendered_anchors(ROOT / "docs" / f"{page}.md")
        parsed = explain.sections(page)
        assert len(parsed) > 15
        ours = {anchor for section in parsed for anchor in section.anchors}
        assert ours <= rendered, f"{page}: anchors Markdown does not give: {sorted(ours - rendered)}"
        assert [s.anchors[0] for s in parsed] == _heading_ids(ROOT / "docs" / f"{page}.md"), page


def _heading_ids(page: Path) -> list[str]:
    import markdown

    html = markdown.markdown(page.read_text(encoding="utf-8"), extensions=["toc", "attr_list", "fenced_code"])
    return re.findall(r'<h[1-6] id="([^"]+)"', html)


def test_every_docs_reference_a_check_can_print_is_shown_by_its_explain_command() -> None:
    links = docs_links()
    assert len(links) > 15
    for page, anchor in sorted(links):
        link = f"docs/{page}#{anchor}"
        [exact] = explain.find(link)
        assert exact.page == page.removesuffix(".md") and anchor in exact.anchors, link
        command = explain.explain_command(link)
        assert command == f"perspt explain {anchor}", link
        shown = explain.find(command.removeprefix("perspt explain "))
        assert any(s == exact or s.contains(exact) for s in shown), (link, [s.link for s in shown])
        assert exact.text.splitlines()[0].lstrip("# ").split("{#")[0].strip() in explain.to_markdown(shown)


def test_every_check_id_finds_its_own_section() -> None:
    from perspt_doctor import catalog
    from perspt_doctor.report.triage import check_anchor

    checks = all_checks()
    assert len(checks) >= 30
    for declared in checks:
        concrete = [(declared.for_provider(pid).id, pid) for pid in catalog.all_ids()] if declared.per_provider \
            else [(declared.id, None)]
        for check_id, provider in [*concrete, (declared.id, None)]:
            [section] = explain.find(check_id)
            assert section.check_id == declared.id, check_id
            assert section.anchors[0] == check_anchor(check_id, provider), check_id


def test_topics_by_title_category_and_short_link() -> None:
    assert [s.link for s in explain.find("API keys")] == ["docs/troubleshooting.md#api-keys"]
    assert [s.link for s in explain.find("dns")] == ["docs/checks.md#dns"]
    assert [s.link for s in explain.find("checks#tls-provider")] == ["docs/checks.md#tls-provider"]
    assert [s.link for s in explain.find("GPU")] == ["docs/troubleshooting.md#gpu", "docs/checks.md#gpu"]
    assert [s.link for s in explain.find("docs/troubleshooting.md#gpu")] == ["docs/troubleshooting.md#gpu"]


@pytest.mark.parametrize("topic", ["dnss", "dns.opnai", "dns.nosuchprovider", "docs/checks.md#nowhere",
                                   "docs/index.md#dns", "keys.{provder}"])
def test_unknown_topics_raise_with_suggestions(topic: str) -> None:
    with pytest.raises(explain.UnknownTopic) as caught:
        explain.find(topic)
    assert caught.value.topic == topic


def test_suggestions_are_the_near_names() -> None:
    assert explain.suggest("dnss")[0] == "dns"
    assert "dns.openai" in explain.suggest("dns.opnai")
    assert "api-keys" in explain.suggest("api-key")
    assert explain.suggest("zzzzzzzz") == []


def test_explain_command_only_for_shipped_pages() -> None:
    assert explain.explain_command("docs/troubleshooting.md#api-keys") == "perspt explain api-keys"
    assert explain.explain_command("docs/checks.md#dns") == "perspt explain dns"
    assert explain.explain_command("https://acme.example/runbook#dns") is None
    assert explain.explain_command("docs/plugins.md#acme") is None
    assert explain.explain_command("checks#dns") is None


PAGE = """# Title

## First {#one}

<a id="old-name"></a>

Text [a link](#two) and [the web](https://example.com/x).

```bash
# a comment, not a heading
perspt doctor
```

### Inner `code` part

Inner text.

## Second Part: done

<!-- a note -->
End.
"""


def test_a_page_splits_at_headings_outside_code_fences() -> None:
    parsed = explain.parse_page("troubleshooting", PAGE)
    assert [(s.level, s.title, s.anchors) for s in parsed] == [
        (1, "Title", ("title",)), (2, "First", ("one", "old-name")), (3, "Inner `code` part", ("inner-code-part",)),
        (2, "Second Part: done", ("second-part-done",))]
    first, inner = parsed[1], parsed[2]
    assert "# a comment, not a heading" in first.text and "Inner text." in first.text
    assert "Second Part" not in first.text and first.contains(inner) and not inner.contains(first)
    text = explain.to_markdown([first, inner])
    assert text.startswith("## First\n\nText a link and the web (https://example.com/x).")
    assert text.count("Inner text.") == 1 and "<a id" not in text and "{#" not in text
    assert "<!--" not in explain.to_markdown([parsed[3]])


def test_cli_prints_the_section_as_plain_text_when_piped() -> None:
    shown = perspt("explain", "dns.openai")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("### `dns.{provider}`: DNS for PROVIDER\n")
    assert "**Verdicts**" in shown.stdout and "## tcp" not in shown.stdout and "\x1b[" not in shown.stdout
    two_words = perspt("explain", "api", "keys")
    assert two_words.returncode == 0 and two_words.stdout.startswith("## API keys and authentication\n")


def test_cli_unknown_topic_exits_2_with_did_you_mean() -> None:
    shown = perspt("explain", "dnss")
    assert shown.returncode == 2 and shown.stdout == ""
    assert shown.stderr.splitlines() == ["Error: no documentation section for `dnss`; `perspt explain` lists the topics",
                                         "Hint: did you mean: dns?"]
    assert "Traceback" not in shown.stderr


def test_cli_without_topic_lists_them() -> None:
    shown = perspt("explain")
    assert shown.returncode == 0
    assert "  api-keys " in shown.stdout and "  dns " in shown.stdout
    guide, checks = shown.stdout.split("Categories of checks")
    assert "  api-keys " in guide and "  gpu " in guide and "gpu.nvidia" not in guide
    assert re.search(r"^  gpu +gpu.amd, gpu.apple, gpu.nvidia$", checks, re.M)


def test_cli_renders_with_rich_on_a_terminal() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    child = pexpect.spawn(sys.executable, ["-m", "perspt_doctor", "explain", "api-keys"], env={**env, "TERM": "xterm-256color"},
                          dimensions=(200, 100), timeout=60, encoding="utf-8")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "\x1b[" in child.before  # styled
    assert "API keys and authentication" in child.before and "## API keys" not in child.before


PLUGIN = '''
from perspt_doctor.api import Result, check


@check("acme.runbook", "ACME runbook link", "model", docs="https://runbooks.acme.example/perspt#model")
async def runbook(ctx):
    """Always warns."""
    return Result.warn("see the runbook")
'''


def test_doctor_rows_name_the_explain_command_and_json_keeps_the_link(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    checks_dir = tmp_path / "checks"
    checks_dir.mkdir()
    (checks_dir / "acme.py").write_text(PLUGIN, encoding="utf-8")
    args = [sys.executable, "-m", "perspt_doctor", "--no-config", "doctor", "--offline", "--provider", "openai",
            "--checks-dir", str(checks_dir), "--only", "keys.openai", "--only", "acme.*"]
    text = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    assert "docs: $ perspt explain api-keys\n" in text.stdout, text.stdout
    assert "docs: https://runbooks.acme.example/perspt#model\n" in text.stdout
    assert "docs/troubleshooting.md" not in text.stdout
    doc = subprocess.run([*args, "--json"], capture_output=True, text=True, timeout=120, env=env)
    rows = {row["id"]: row for row in json.loads(doc.stdout)["checks"]}
    assert rows["keys.openai"]["docs"] == "docs/troubleshooting.md#api-keys"
    assert [s.link for s in explain.find(rows["keys.openai"]["docs"])] == ["docs/troubleshooting.md#api-keys"]
