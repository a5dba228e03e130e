"""The one did-you-mean: the names closest to a name that matched none. No imports from perspt_doctor,
so every layer (settings, providers, client, the checks, the command line) can use it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_SEPARATORS = re.compile(r"[\s_-]+")


def squash(name: str) -> str:
    """Case, blanks, `_` and `-` ignored: `api-key`, `API_KEY` and `apikey` read alike."""
    return _SEPARATORS.sub("", name.strip().lower())


def did_you_mean(name: str, candidates: Iterable[str], *, limit: int = 3, cutoff: float = 0.6,
                 key: Callable[[str], str] = squash, prefixes: bool = True) -> list[str]:
    """Up to `limit` candidates close to `name`, best first, never `name` itself.

    The same name in another spelling (equal under `key`) comes first, then typos (difflib's ratio of
    at least `cutoff` between the keys), then, while fewer than `limit` are found, names whose key
    begins with the other's (unless `prefixes` is False: `hi` is not a typo of `history`).
    """
    import difflib  # not at the top: the catalog imports this module, and `perspt --version` the catalog

    names = list(dict.fromkeys(c for c in candidates if c))
    wanted = key(name)
    if not wanted or not names:
        return []
    by_key: dict[str, list[str]] = {}
    for candidate in names:
        by_key.setdefault(key(candidate), []).append(candidate)
    found: list[str] = []

    def add(items: Iterable[str]) -> None:
        for item in items:
            if item not in found and item != name:
                found.append(item)

    add(by_key.get(wanted, []))
    for close in difflib.get_close_matches(wanted, list(by_key), n=limit, cutoff=cutoff):
        add(by_key[close])
    if prefixes and len(found) < limit:
        prefixed = sorted((k for k in by_key if k.startswith(wanted) or wanted.startswith(k)),
                          key=lambda k: abs(len(k) - len(wanted)))
        for k in prefixed:
            add(by_key[k])
    return found[:limit]
