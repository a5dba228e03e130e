"""Model names: did-you-mean suggestions and availability checks (Ollama tags, Gemini `models/`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from perspt_doctor.suggest import did_you_mean

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
    return did_you_mean(name, available, limit=limit, cutoff=0.75, key=normalise)
