"""The per-check documentation: every built-in check's docstring says what it looks at, how, and each
verdict it can give; the verdicts it documents are the ones its code can return; the generator turns
them into lists with code spans and links; and every anchor the doctor computes exists."""

from __future__ import annotations

import ast
import inspect
import re
from functools import cache
from pathlib import Path
from typing import Any

from tests.docs.doclinks import all_checks, gen_docs

ROOT = Path(__file__).resolve().parents[2]
STATUSES = ("ok", "warn", "fail", "skip", "error")
UNREACHABLE = {
    # assess_places() skips an empty list, but the check always hands it three places
    "disk.space": {"skip"},
}


def _checks() -> list[Any]:
    checks = all_checks()
    assert len(checks) >= 30, "built-in checks not found"
    return checks


def _source_of(module: str, name: str) -> Path | None:
    """The file that defines `name` as `module` offers it: a check module, or what perspt_doctor.api re-exports."""
    if module == "perspt_doctor.checks":
        return ROOT / "checks" / f"{name}.py"
    if module.startswith("perspt_doctor.checks."):
        return ROOT / "checks" / f"{module.rsplit('.', 1)[1]}.py"
    if module == "perspt_doctor.api":
        import perspt_doctor.api as api

        defined = inspect.getmodule(getattr(api, name, None))
        found = getattr(defined, "__file__", None)
        return Path(found) if found and defined is not api else None
    return None


@cache
def _module(path: Path) -> tuple[dict[str, ast.AST], dict[str, tuple[str, Path, str]]]:
    """Top-level functions of a check module (or of a module whose helpers it imports), and where each
    imported helper is defined: another check module, or the module behind a `perspt_doctor.api` name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    funcs: dict[str, ast.AST] = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    imports: dict[str, tuple[str, Path, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("perspt_doctor"):
            continue
        if node.module == "perspt_doctor" and any(alias.name == "api" for alias in node.names):
            imports["api"] = ("api", path, "")  # `api.name(...)`: followed name by name in `returnable`
            continue
        for alias in node.names:
            source = _source_of(str(node.module), alias.name)
            if source is not None:
                kind = "module" if node.module == "perspt_doctor.checks" else "func"
                imports[alias.asname or alias.name] = (kind, source, alias.name)
    return funcs, imports


def returnable(module: str | Path, function: str, seen: set[tuple[Path, str]] | None = None) -> set[str]:
    """Every `Result.<status>` in `function` and in the functions it reaches in check modules and in the
    modules behind `perspt_doctor.api`."""
    path = ROOT / "checks" / f"{module}.py" if isinstance(module, str) else module
    seen = set() if seen is None else seen
    if (path, function) in seen:
        return set()
    seen.add((path, function))
    funcs, imports = _module(path)
    node = funcs.get(function)
    found: set[str] = set()
    if node is None:
        return found
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
            if sub.value.id == "Result" and sub.attr in STATUSES:
                found.add(sub.attr)
            target = imports.get(sub.value.id)
            if target and target[0] == "module":
                found |= returnable(target[1], sub.attr, seen)
            elif target and target[0] == "api":
                source = _source_of("perspt_doctor.api", sub.attr)
                if source is not None:
                    found |= returnable(source, sub.attr, seen)
        elif isinstance(sub, ast.Name):
            if sub.id in funcs:
                found |= returnable(path, sub.id, seen)
            target = imports.get(sub.id)
            if target and target[0] == "func":
                found |= returnable(target[1], target[2], seen)
    return found


def test_every_check_says_what_how_and_each_verdict() -> None:
    thin = []
    for declared in _checks():
        parsed = gen_docs().parse_check_doc(inspect.getdoc(declared.func) or "")
        statuses = [s for s, _ in parsed.verdicts]
        if not parsed.summary or not parsed.paragraphs or "ok" not in statuses:
            thin.append(declared.id)
        for status, text in parsed.verdicts:
            assert len(text) > 15, f"{declared.id}: empty {status} verdict"
            if status in ("warn", "fail") and "Fix:" not in text:
                assert status == "fail" and "cannot be built" in text, f"{declared.id}: {status} without a fix: {text}"
    assert not thin, f"checks without a summary, a how paragraph and an ok verdict: {thin}"


def test_documented_verdicts_are_the_ones_the_code_can_return() -> None:
    wrong = []
    for declared in _checks():
        module = declared.func.__module__.rsplit(".", 1)[1]
        code = returnable(module, declared.func.__name__) - UNREACHABLE.get(declared.id, set())
        if declared.applies or declared.needs_network or declared.depends_on:
            code_or_engine = code | {"skip"}
        else:
            code_or_engine = code
        documented = {s for s, _ in gen_docs().parse_check_doc(inspect.getdoc(declared.func) or "").verdicts}
        if not documented <= code_or_engine:
            wrong.append(f"{declared.id} documents {sorted(documented - code_or_engine)} it cannot return")
        if not code <= documented:
            wrong.append(f"{declared.id} can return {sorted(code - documented)} but does not document it")
    assert not wrong, "\n".join(wrong)


def test_the_reachability_scan_sees_helpers_and_other_check_modules() -> None:
    assert returnable("disk", "space") == {"ok", "warn", "fail", "skip"}  # all inside assess_places()
    assert "warn" in returnable("live", "live_chat")  # through auth_verdict() behind perspt_doctor.api
    assert "skip" in returnable("memory", "fit_check")
    assert returnable("security", "api_key_flag") == {"ok", "warn"}


def _declare(doc: str, **kw: Any) -> Any:
    from perspt_doctor.api import Result, check
    from perspt_doctor.engine.check_model import CHECK_ATTRIBUTE

    async def probe(ctx: Any) -> Result:
        return Result.ok("fine")

    probe.__doc__ = doc
    check("acme.{provider}", "Acme for {provider}", "http", per_provider=True, **kw)(probe)
    return getattr(probe, CHECK_ATTRIBUTE)


DOC = """Checks the acme endpoint.

    Sends `GET /ping` through the transport
    factory.

    ok: it answers `pong`.
    warn: it answers slowly.
      Fix: wait; see `dns.{provider}`.
    fail: nothing answers. Fix: `acme serve`.
    skip: no acme in use.
    """


def test_a_docstring_becomes_paragraphs_and_a_verdict_list() -> None:
    parsed = gen_docs().parse_check_doc(DOC)
    assert parsed.summary == "Checks the acme endpoint."
    assert parsed.paragraphs == ["Sends `GET /ping` through the transport factory."]
    assert parsed.verdicts == [("ok", "it answers `pong`."), ("warn", "it answers slowly. Fix: wait; see `dns.{provider}`."),
                               ("fail", "nothing answers. Fix: `acme serve`."), ("skip", "no acme in use.")]


def test_a_check_section_renders_verdicts_fixes_links_and_engine_skips() -> None:
    from perspt_doctor import catalog

    declared = _declare(DOC, depends_on=("tls.{provider}",), needs_network=True)
    known = {"dns.{provider}": "dns-provider", "tls.{provider}": "tls-provider"}
    text = "\n".join(gen_docs()._check_section(declared, catalog, known))
    assert "### `acme.{provider}`: Acme for PROVIDER {#acme-provider}" in text
    assert "Checks the acme endpoint.\n\nSends `GET /ping` through the transport factory.\n" in text
    assert "- **ok**: it answers `pong`.\n" in text
    assert "- **warn**: it answers slowly. **Fix:** wait; see [`dns.{provider}`](#dns-provider).\n" in text
    assert "- **fail**: nothing answers. **Fix:** `acme serve`.\n" in text
    assert "- **skip**: `--offline`, and the endpoint is not on this machine.\n" in text
    assert "- **skip**: [`tls.{provider}`](#tls-provider) failed or could not finish" in text
    verdicts, runs = text.split("**How it runs**")
    assert "**Verdicts**\n\n- **ok**" in verdicts and "Run it alone" in runs


def test_the_rendered_page_has_every_verdict_as_a_list_item() -> None:
    import markdown

    html = markdown.markdown((ROOT / "docs" / "checks.md").read_text(encoding="utf-8"),
                             extensions=["toc", "attr_list", "tables", "fenced_code", "admonition"])
    items = re.findall(r"<li><strong>(ok|warn|fail|skip)</strong>: ", html)
    documented = sum(len(gen_docs().parse_check_doc(inspect.getdoc(c.func) or "").verdicts) for c in _checks())
    assert len(items) >= documented
    section = html.split('id="tls-provider"', 1)[1].split("<h3", 1)[0]
    assert "<code>network.ca_bundle</code>" in section and "<strong>Fix:</strong>" in section
    assert '<a href="#tcp-provider"><code>tcp.{provider}</code></a>' in section


def test_the_anchor_triage_computes_for_every_planned_check_exists() -> None:
    from perspt_doctor import catalog
    from perspt_doctor.report.triage import check_anchor

    page = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    ids = set(re.findall(r"\{#([\w-]+)\}", page))
    missing = []
    for declared in _checks():
        if declared.per_provider:
            for pid in catalog.all_ids():
                concrete = declared.for_provider(pid)
                if check_anchor(concrete.id, pid) not in ids:
                    missing.append(concrete.id)
        elif check_anchor(declared.id) not in ids:
            missing.append(declared.id)
    assert not missing, f"triage would link to missing anchors for {missing}"
