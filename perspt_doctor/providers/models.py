"""Model names: did-you-mean suggestions and availability checks (Ollama tags, Gemini `models/`)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[\s\-_.:/]+")


def normalise(name: str) -> str:
    """Case and separators removed: `GPT-4O-Mini`, `gpt4o_mini` and `gpt-4o-mini` all read `gpt4omini`."""
    name = name.strip()
    if name.startswith("models/"):
        name = name[7:]
    if name.endswith(":latest"):
        name = name[:-7]
    return _SEPARATORS.sub("", name.lower())


def is_available(name: str, available: Iterable[str]) -> bool:
    """Exact match, allowing Ollama's implicit `:latest` and Gemini's `models/` prefix."""
    wanted = _plain(name)
    return any(_plain(candidate) == wanted for candidate in available)


def _plain(name: str) -> str:
    name = name.strip()
    if name.startswith("models/"):
        name = name[7:]
    return name[:-7] if name.endswith(":latest") else name


def suggest(name: str, available: Iterable[str], limit: int = 3) -> list[str]:
    """The closest available names: same name in another spelling first, then typos, then prefixes."""
    names = list(dict.fromkeys(a for a in available if a))
    if not name.strip() or not names:
        return []
    key = normalise(name)
    by_key: dict[str, list[str]] = {}
    for candidate in names:
        by_key.setdefault(normalise(candidate), []).append(candidate)
    out: list[str] = []

    def add(items: Iterable[str]) -> None:
        for item in items:
            if item not in out and item != name:
                out.append(item)

    add(by_key.get(key, []))
    for close in difflib.get_close_matches(key, list(by_key), n=limit, cutoff=0.75):
        add(by_key[close])
    if len(out) < limit:
        prefixed = sorted((k for k in by_key if k.startswith(key) or key.startswith(k)),
                          key=lambda k: abs(len(k) - len(key)))
        for k in prefixed:
            add(by_key[k])
    return out[:limit]
