"""Imports (and the SSL context) done before the event loop starts, so no check pays for them on it.

A first `import httpx` (or of a provider adapter) inside an async check holds the loop for tens of
milliseconds, and every other check waits: with 11 providers that is most of the run's wall time. The
runner calls `warm_up` with the planned checks; it imports only what they will use (nothing for an
offline run, whose network checks are all skipped)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from perspt_doctor.engine.check_model import Check

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings

NETWORK = ("httpx", "httpcore", "anyio", "anyio._backends._asyncio", "h11", "certifi",
           "perspt_doctor.providers.ratelimit", "perspt_doctor.providers.retry", "perspt_doctor.transport.factory",
           "perspt_doctor.transport.route", "perspt_doctor.transport.probes")
"""What the transport and the HTTP probes import on first use."""


def modules_for(planned: Sequence[Check], offline: bool) -> list[str]:
    """The modules the planned checks would otherwise import on the loop."""
    if offline or not any(c.needs_network for c in planned):
        return []
    from perspt_doctor.catalog import PROVIDERS
    from perspt_doctor.providers.registry import adapter_module

    protocols = {PROVIDERS[c.provider].protocol for c in planned if c.provider in PROVIDERS}
    return [*NETWORK, *sorted(adapter_module(p) for p in protocols)]


def _resolve_public_api() -> None:
    """The built-in checks reach most of `perspt_doctor.api` as `api.name` inside their bodies, so that
    discovery imports only what planning needs; for a run that goes on the network, every name is
    resolved here instead of on the loop."""
    from perspt_doctor import api

    for name in api.__all__:
        try:
            getattr(api, name)
        except Exception:  # noqa: BLE001, S112 - the check that uses the name reports what is wrong
            continue


def warm_up(settings: Settings, planned: Sequence[Check], offline: bool) -> None:
    """Import them now, and build the client's SSL context (cached: loading the CA certificates takes
    tens of milliseconds). Anything that fails here is left for the check that needs it to report."""
    names = modules_for(planned, offline)
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - the check that needs it says what is wrong
            continue
    if names:
        _resolve_public_api()
        try:
            from perspt_doctor.transport.trust import ssl_context

            ssl_context(settings)
        except Exception:  # noqa: BLE001, S110 - a bad CA file is the tls checks' finding
            pass
