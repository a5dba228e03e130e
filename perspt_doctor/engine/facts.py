"""What a check's `facts` may be: data the JSON document, the report and the run history can write.

A plugin may return anything; a cycle or a structure thousands of levels deep would crash every writer
with RecursionError. The engine turns such facts into one `error` row instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 32
"""Levels of nesting allowed below the facts dict itself."""
MAX_ITEMS = 100_000
"""Values in all, so that a huge structure cannot stall the writers either."""


def facts_problem(facts: Any) -> str | None:
    """None when `facts` can be written; otherwise what is wrong, as the end of a sentence."""
    seen_on_path: set[int] = set()
    count = 0
    # An explicit stack (value, depth, leaving): no recursion, so any depth is safe to inspect.
    stack: list[tuple[Any, int, bool]] = [(facts, 0, False)]
    while stack:
        value, depth, leaving = stack.pop()
        if leaving:
            seen_on_path.discard(id(value))
            continue
        count += 1
        if count > MAX_ITEMS:
            return f"facts with more than {MAX_ITEMS:,} values"
        if not isinstance(value, (Mapping, list, tuple, set, frozenset)):
            continue
        if id(value) in seen_on_path:
            return "facts that contain themselves (a cycle)"
        if depth > MAX_DEPTH:
            return f"facts nested deeper than {MAX_DEPTH} levels"
        seen_on_path.add(id(value))
        stack.append((value, depth, True))
        children = value.values() if isinstance(value, Mapping) else value
        stack.extend((child, depth + 1, False) for child in children)
    return None
