"""The documentation that ships with perspt: the troubleshooting guide and the checks reference, split
into sections that `perspt explain TOPIC` finds by check id (`dns.openai`), topic or anchor (`dns`,
`api-keys`, `API keys`) or docs link (`docs/checks.md#dns`).

docs/ is the one source: the wheel installs docs/checks.md and docs/troubleshooting.md as
`perspt_doctor/docs/` (pyproject's package-dir); a source checkout reads docs/ itself. The doctor's
problem rows print `explain_command(docs link)`, so what a row points at is on every machine perspt
is installed on, offline.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from perspt_doctor import catalog
from perspt_doctor.suggest import did_you_mean

PAGES = ("troubleshooting", "checks")
"""The shipped pages, in the order a bare topic is looked up in (the guide first, then the reference)."""

DOCS_LINK = re.compile(r"(?:docs/)?(troubleshooting|checks)(?:\.md)?#([\w.{}-]+)")
"""A docs reference as checks declare it (`docs/troubleshooting.md#api-keys`), or shortened (`checks#dns`)."""

_HEADING = re.compile(r"(#{1,6})\s+(.+?)\s*$")
_EXPLICIT_ID = re.compile(r"\s*\{#([\w.-]+)\}$")
_INLINE_ANCHOR = re.compile(r'<a id="([\w.-]+)"></a>')
_CHECK_TITLE = re.compile(r"`([\w.{}-]+)`:")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


@dataclass(frozen=True)
class Section:
    page: str
    title: str
    """The heading's text, without its `{#id}`."""
    level: int
    anchors: tuple[str, ...]
    """Its heading's id first, then the `<a id>` anchors of its own text (the old names of a check's section)."""
    text: str
    """The Markdown from its heading to the next heading of the same or a higher level."""
    start: int
    end: int

    @property
    def link(self) -> str:
        return f"docs/{self.page}.md#{self.anchors[0]}"

    @property
    def check_id(self) -> str | None:
        """`dns.{provider}` for a check's section of the reference."""
        match = _CHECK_TITLE.match(self.title) if self.page == "checks" else None
        return match.group(1) if match else None

    def contains(self, other: Section) -> bool:
        return self.page == other.page and self.start <= other.start and other.end <= self.end


class UnknownTopic(LookupError):
    def __init__(self, topic: str, suggestions: list[str]) -> None:
        super().__init__(f"no documentation section for `{topic}`")
        self.topic = topic
        self.suggestions = suggestions


def slugify(text: str) -> str:
    """The id Markdown's toc extension gives a heading (and the way a typed topic is normalised)."""
    value = unicodedata.normalize("NFKD", re.sub(r"[`*]", "", text)).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def page_text(page: str) -> str:
    """A shipped page: from the installed package, else from the source checkout it runs from."""
    shipped = resources.files("perspt_doctor") / "docs" / f"{page}.md"
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "docs" / f"{page}.md").read_text(encoding="utf-8")


def parse_page(page: str, text: str) -> list[Section]:
    lines = text.splitlines()
    heads: list[tuple[int, int, str, str]] = []
    fenced = False
    for number, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            title = match.group(2)
            explicit = _EXPLICIT_ID.search(title)
            if explicit:
                title = title[:explicit.start()]
            heads.append((number, len(match.group(1)), title, explicit.group(1) if explicit else slugify(title)))
    sections = []
    for index, (start, level, title, anchor) in enumerate(heads):
        later = heads[index + 1:]
        end = next((n for n, lvl, _, _ in later if lvl <= level), len(lines))
        own_end = later[0][0] if later else len(lines)
        inline = tuple(m.group(1) for line in lines[start + 1:own_end] for m in _INLINE_ANCHOR.finditer(line))
        sections.append(Section(page, title, level, (anchor, *inline), "\n".join(lines[start:end]).strip() + "\n",
                                start, end))
    return sections


@cache
def sections(page: str) -> tuple[Section, ...]:
    return tuple(parse_page(page, page_text(page)))


def _with_anchor(page: str, anchor: str) -> Section | None:
    return next((s for s in sections(page) if anchor in s.anchors), None)


def _for_check(topic: str) -> Section | None:
    """The reference section of a check: `dns.openai` and `dns.{provider}` both find `dns.{provider}`."""
    for section in sections("checks"):
        declared = section.check_id
        if declared is None:
            continue
        if topic == declared:
            return section
        if "{provider}" in declared:
            pattern = re.escape(declared).replace(re.escape("{provider}"), r"(?P<provider>[\w-]+)")
            match = re.fullmatch(pattern, topic)
            if match and match.group("provider") in catalog.all_ids():
                return section
    return None


def find(topic: str) -> list[Section]:
    """The sections for a topic; UnknownTopic (with did-you-mean suggestions) when there are none."""
    wanted = topic.strip()
    link = DOCS_LINK.fullmatch(wanted)
    if link:
        found = _with_anchor(link.group(1), link.group(2))
        if found:
            return [found]
    elif (check := _for_check(wanted.lower())) is not None:
        return [check]
    else:
        slug = slugify(wanted).replace("_", "-")
        matches = [s for page in PAGES if (s := _with_anchor(page, slug)) is not None]
        if matches:
            return matches
    raise UnknownTopic(wanted, suggest(wanted))


def topics() -> list[str]:
    """Every topic `find` knows: anchors, declared check ids, and check ids for each provider."""
    names: list[str] = []
    for page in PAGES:
        for section in sections(page):
            names += section.anchors
            declared = section.check_id
            if declared:
                names.append(declared)
                if "{provider}" in declared:
                    names += [declared.replace("{provider}", pid) for pid in catalog.all_ids()]
    return list(dict.fromkeys(names))


def suggest(topic: str, limit: int = 3) -> list[str]:
    return did_you_mean(topic, topics(), limit=limit)


def explain_command(docs: str) -> str | None:
    """`docs/troubleshooting.md#api-keys` -> `perspt explain api-keys`; None for another kind of link.

    A bare topic finds its section on every page, so the command always shows the linked one."""
    link = DOCS_LINK.fullmatch(docs)
    return f"perspt explain {link.group(2)}" if link and docs.startswith("docs/") else None


def to_markdown(found: list[Section]) -> str:
    """The sections as Markdown for a terminal: no anchor markup, links reduced to their text."""
    kept = [s for s in found if not any(o is not s and o.contains(s) for o in found)]
    parts = []
    for section in kept:
        lines = []
        for line in section.text.splitlines():
            if _INLINE_ANCHOR.fullmatch(line.strip()) or line.strip().startswith("<!--"):
                continue
            if _HEADING.match(line):
                line = _EXPLICIT_ID.sub("", line)
            lines.append(_LINK.sub(_link_text, line))
        parts.append(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())
    return "\n\n---\n\n".join(parts) + "\n"


def _link_text(match: re.Match[str]) -> str:
    text, target = match.group(1), match.group(2)
    return f"{text} ({target})" if target.startswith(("http://", "https://")) else text


def index() -> dict[str, list[tuple[str, str]]]:
    """For `perspt explain` alone: (topic, title) of the guide's sections, and (category, its check ids)
    of the reference."""
    guide = [(s.anchors[0], s.title) for s in sections("troubleshooting") if s.level == 2]
    categories = [(s.anchors[0], _category_checks(s)) for s in sections("checks") if s.level == 2]
    return {"troubleshooting": guide, "checks": categories}


def _category_checks(category: Section) -> str:
    return ", ".join(s.check_id for s in sections("checks") if s.level > 2 and category.contains(s) and s.check_id)
