"""The providers a turn may be answered by: the configured one, then `fallback_chain`, then
`fallback_provider`. Each says whether a failure moves on (`next`) or stops (`fail`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from perspt_doctor import catalog


@dataclass(frozen=True)
class Route:
    provider: str
    model: str
    on_failure: str = "fail"
    origin: str = "configured"


def default_model(provider: str) -> str:
    spec = catalog.PROVIDERS.get(provider)
    return spec.default_model if spec else ""


def build_routes(settings: Any, provider: str, model: str) -> list[Route]:
    extra: list[Route] = []
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
            extra.append(Route(pid, entry_model if isinstance(entry_model, str) and entry_model
                               else default_model(pid), "fail" if on_failure == "fail" else "next",
                               f"fallback_chain[{index}]"))
    single = settings.get("fallback_provider")
    if isinstance(single, str) and single:
        pid = catalog.canonical_id(single) or single
        extra.append(Route(pid, default_model(pid), "next", "fallback_provider"))

    primary_on_failure = "next" if extra else "fail"
    if extra and extra[0].provider == provider and extra[0].model in (model, default_model(provider)):
        primary_on_failure = extra[0].on_failure
        extra = extra[1:]
        if not extra:
            primary_on_failure = "fail"
    routes = [Route(provider, model, primary_on_failure, "configured")]
    seen = {(provider, model)}
    for route in extra:
        if (route.provider, route.model) not in seen:
            seen.add((route.provider, route.model))
            routes.append(route)
    last = routes[-1]
    if last.on_failure != "fail":
        routes[-1] = Route(last.provider, last.model, "fail", last.origin)
    return routes
