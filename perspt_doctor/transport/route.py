"""The one route decision: the path a request takes, for every caller (the adapters, the checks, Ollama
included): the endpoint, and the proxy in front of it (if any). When a proxy is used, the proxy resolves
and connects to the target: the first hop is the proxy. The CA trust is the same for every route
(`trust.py`, applied by `factory.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from perspt_doctor.transport.endpoint import Endpoint, endpoint_for, is_loopback_host, parse_base_url
from perspt_doctor.transport.proxy import ProxyDecision, proxy_for, proxy_parts

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings


@dataclass(frozen=True)
class Route:
    endpoint: Endpoint
    decision: ProxyDecision
    proxy_scheme: str | None = None
    proxy_host: str | None = None
    proxy_port: int | None = None
    proxy_error: str | None = None

    @property
    def via_proxy(self) -> bool:
        return self.decision.proxy_url is not None

    @property
    def proxy_url(self) -> str | None:
        return self.decision.proxy_url

    @property
    def first_hop(self) -> tuple[str, int]:
        """Where the client opens its TCP connection."""
        if self.via_proxy and self.proxy_host and self.proxy_port:
            return self.proxy_host, self.proxy_port
        return self.endpoint.host, self.endpoint.port

    @property
    def proxy_label(self) -> str:
        return f"{self.proxy_host}:{self.proxy_port}" if self.proxy_host else "the proxy"

    def offline_reason(self, offline: bool) -> str | None:
        """Why a network probe must not run under --offline (None: it may, all traffic stays local)."""
        if not offline:
            return None
        if not self.endpoint.is_loopback:
            return "offline (--offline): this endpoint is not on this machine"
        if self.via_proxy and not (self.proxy_host and is_loopback_host(self.proxy_host)):
            return f"offline (--offline): this loopback endpoint goes through the proxy {self.proxy_label}"
        return None


def route_for(settings: Settings, provider: str) -> Route:
    """The route of a provider's requests, to the base URL the settings resolve for it."""
    return _route(settings, endpoint_for(settings, provider))


def route_to(settings: Settings, url: str, provider: str = "", origin: str = "") -> Route:
    """The route of requests to an explicit URL (an adapter's normalised base URL, an Ollama address
    read from `OLLAMA_HOST`)."""
    scheme, host, port, path = parse_base_url(url, provider)
    return _route(settings, Endpoint(provider, url, scheme, host, port, path, origin))


def _route(settings: Settings, endpoint: Endpoint) -> Route:
    decision = proxy_for(endpoint.url, settings)
    if decision.proxy_url is None:
        return Route(endpoint, decision)
    try:
        scheme, host, port, _user, _password = proxy_parts(decision.proxy_url)
    except ValueError as exc:
        return Route(endpoint, decision, proxy_error=str(exc))
    return Route(endpoint, decision, scheme, host, port)
