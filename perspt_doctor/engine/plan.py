"""From declared checks to the concrete list a run executes: per-provider instances, --only/--skip,
dependency patterns resolved to ids, and report order."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence

from perspt_doctor import categories
from perspt_doctor.engine.check_model import Check


def matches(check_id: str, pattern: str) -> bool:
    """Glob on the id; a bare prefix also selects everything under it (`keys` = `keys.*`)."""
    pattern = pattern.strip()
    return fnmatch.fnmatchcase(check_id, pattern) or fnmatch.fnmatchcase(check_id, pattern + ".*")


def matches_any(check_id: str, patterns: Iterable[str]) -> bool:
    return any(matches(check_id, p) for p in patterns)


def instantiate(declared: Sequence[Check], providers: Sequence[str]) -> list[Check]:
    """Per-provider checks become one check per provider in scope; the others stay as they are."""
    out: list[Check] = []
    for item in declared:
        if item.per_provider:
            out.extend(item.for_provider(pid) for pid in providers)
        else:
            out.append(item)
    return out


def select(checks: Sequence[Check], only: Sequence[str], skip: Sequence[str]) -> list[Check]:
    chosen = [c for c in checks if not only or matches_any(c.id, only)]
    return [c for c in chosen if not matches_any(c.id, skip)]


def unmatched(patterns: Sequence[str], checks: Sequence[Check]) -> list[str]:
    return [p for p in patterns if not any(matches(c.id, p) for c in checks)]


def resolve_dependencies(check: Check, ids: Iterable[str], patterns: Sequence[str] | None = None) -> tuple[str, ...]:
    """Concrete ids this check waits for (`depends_on`, or the `patterns` given, such as its `after`).
    Patterns match only checks in this run; a dependency that is not part of the run (filtered out, or not
    applicable here) does not block."""
    present = [i for i in ids if i != check.id]
    out: list[str] = []
    for pattern in check.depends_on if patterns is None else patterns:
        for candidate in present:
            if (candidate == pattern or fnmatch.fnmatchcase(candidate, pattern)) and candidate not in out:
                out.append(candidate)
    return tuple(out)


def find_cycles(graph: dict[str, tuple[str, ...]]) -> set[str]:
    """Ids on a dependency cycle (they cannot run; the report says so)."""
    state: dict[str, int] = {}
    on_cycle: set[str] = set()
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, ()):
            if state.get(dep) == 1:
                on_cycle.update(stack[stack.index(dep):])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return on_cycle


def order_key(check_id: str, category: str) -> tuple[int, str, str]:
    """Report order: by category (`categories.sort_key`), then by id."""
    return (*categories.sort_key(category), check_id)
