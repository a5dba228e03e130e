"""The providers a turn may be answered by: the configured one, then `fallback_chain`, then
`fallback_provider`. Each says whether a failure moves on (`next`) or stops (`fail`). `Cooldown` remembers
the routes that failed in this session."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from perspt_doctor import catalog


@dataclass(frozen=True)
class FallbackRoute:
    provider: str
    model: str
    on_failure: str = "fail"
    origin: str = "configured"


def default_model(provider: str) -> str:
    spec = catalog.PROVIDERS.get(provider)
    return spec.default_model if spec else ""


def build_routes(settings: Any, provider: str, model: str) -> list[FallbackRoute]:
    extra: list[FallbackRoute] = []
    chain = settings.get("fallback_chain")
    if isinstance(chain, list):
        for index, entry in enumerate(chain):
            if not isinstance(entry, Mapping):
                continue
            name = entry.get("provider") or entry.get("provider_type")
            if not isinstance(name, str) or not name:
                continue
            pid = catalog.canonical_id(name) or name
            entry_model = entry.get("model")
            on_failure = str(entry.get("on_failure") or "next").lower()
            extra.append(FallbackRoute(pid, entry_model if isinstance(entry_model, str) and entry_model
                               else default_model(pid), "fail" if on_failure == "fail" else "next",
                               f"fallback_chain[{index}]"))
    single = settings.get("fallback_provider")
    if isinstance(single, str) and single:
        pid = catalog.canonical_id(single) or single
        extra.append(FallbackRoute(pid, default_model(pid), "next", "fallback_provider"))

    primary_on_failure = "next" if extra else "fail"
    if extra and extra[0].provider == provider and extra[0].model in (model, default_model(provider)):
        primary_on_failure = extra[0].on_failure
        extra = extra[1:]
        if not extra:
            primary_on_failure = "fail"
    routes = [FallbackRoute(provider, model, primary_on_failure, "configured")]
    seen = {(provider, model)}
    for route in extra:
        if (route.provider, route.model) not in seen:
            seen.add((route.provider, route.model))
            routes.append(route)
    last = routes[-1]
    if last.on_failure != "fail":
        routes[-1] = FallbackRoute(last.provider, last.model, "fail", last.origin)
    return routes


COOLDOWN_S = 60.0
"""How long a route that failed (and was stood in for by a fallback) is skipped in this session."""


class Cooldown:
    """The routes that failed in this session: skipped until their cool-down ends, so each turn does not
    pay the retries on a dead primary again. The last route is never skipped."""

    def __init__(self, seconds: float = COOLDOWN_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._until: dict[tuple[str, str], float] = {}

    def failed(self, route: FallbackRoute) -> None:
        self._until[(route.provider, route.model)] = self._clock() + self.seconds

    def answered(self, route: FallbackRoute) -> None:
        self._until.pop((route.provider, route.model), None)

    def resting(self, route: FallbackRoute) -> bool:
        until = self._until.get((route.provider, route.model))
        if until is None:
            return False
        if self._clock() >= until:
            del self._until[(route.provider, route.model)]
            return False
        return True

    def usable(self, routes: list[FallbackRoute]) -> list[FallbackRoute]:
        kept = [route for route in routes[:-1] if not self.resting(route)]
        return [*kept, routes[-1]] if routes else []
