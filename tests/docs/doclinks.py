"""Every docs reference the doctor can print, for the docs tests and the wheel test: the `docs` each
built-in check declares, and every `docs/<page>.md#<anchor>` written in the sources of the checks and of
perspt_doctor (a result may carry its own)."""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"docs/([\w./-]+\.md)#([\w{}.-]+)")


@cache
def gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def all_checks() -> list[Any]:
    return list(gen_docs().discover_builtin_checks())


def docs_links() -> set[tuple[str, str]]:
    """(page, anchor) of every docs link a check can show; `{provider}` anchors once per provider."""
    from perspt_doctor import catalog

    raw: set[str] = set()
    for declared in all_checks():
        if getattr(declared, "docs", None):
            raw.add(declared.docs)
    for source in [*(ROOT / "checks").glob("*.py"), *(ROOT / "perspt_doctor").rglob("*.py")]:
        raw.update(m.group(0) for m in LINK.finditer(source.read_text(encoding="utf-8")))
    links: set[tuple[str, str]] = set()
    for link in raw:
        match = LINK.fullmatch(link)
        if match is None or "{" in match.group(2).replace("{provider}", ""):
            continue  # an f-string's computed anchor (`#{check_anchor(...)}`): see test_check_docs
        variants = [match.group(2)]
        if "{provider}" in variants[0]:
            variants = [variants[0].replace("{provider}", pid) for pid in (*catalog.all_ids(), "provider")]
        links.update((match.group(1), anchor) for anchor in variants)
    return links


def rendered_anchors(page: Path) -> set[str]:
    """Every id the page will have once rendered, using the same Markdown extensions as mkdocs."""
    import markdown

    html = markdown.markdown(page.read_text(encoding="utf-8"), extensions=["toc", "attr_list", "tables",
                                                                           "fenced_code", "admonition"])
    return set(re.findall(r'\bid="([^"]+)"', html))
