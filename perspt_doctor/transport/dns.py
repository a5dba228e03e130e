"""DNS through dnspython: the system's configured servers, or `network.dns_servers` (a VPN's resolver,
or a test server on a loopback port), so the doctor can compare its answers with getaddrinfo's."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings


def parse_server(text: str) -> tuple[str, int]:
    """`1.1.1.1`, `1.1.1.1:5353`, `::1`, `[::1]:5353` -> (ip, port). Raises ValueError."""
    value = text.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
        port = int(port_text)
    else:
        host, port = value, 53
    ipaddress.ip_address(host)
    return host, port


def configured_servers(settings: Settings) -> list[tuple[str, int]]:
    servers = settings.get("network.dns_servers") or []
    if isinstance(servers, str):
        servers = [part for part in servers.split(",") if part.strip()]
    return [parse_server(str(s)) for s in servers]


def async_resolver(settings: Settings, lifetime: float) -> Any:
    """A dnspython async resolver: `network.dns_servers` when set, else the system configuration."""
    import dns.asyncresolver
    import dns.nameserver

    servers = configured_servers(settings)
    if servers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(ip, port) for ip, port in servers]
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.lifetime = lifetime
    resolver.timeout = min(lifetime, 2.0)
    return resolver


@dataclass
class Lookup:
    """One record type's answer: addresses, or the failure class."""

    rdtype: str
    addresses: list[str] = field(default_factory=list)
    outcome: str = "ok"
    """ok, nxdomain, noanswer, servfail, timeout, error."""
    detail: str = ""


async def lookup(resolver: Any, host: str, rdtype: str) -> Lookup:
    import dns.exception
    import dns.resolver

    try:
        answer = await resolver.resolve(host.rstrip(".") + ".", rdtype, search=False)
    except dns.resolver.NXDOMAIN:
        return Lookup(rdtype, outcome="nxdomain", detail="the name does not exist (NXDOMAIN)")
    except dns.resolver.NoAnswer:
        return Lookup(rdtype, outcome="noanswer", detail=f"the name exists but has no {rdtype} record")
    except dns.resolver.NoNameservers as exc:
        return Lookup(rdtype, outcome="servfail", detail=_server_errors(exc) or "every server failed (SERVFAIL)")
    except dns.exception.Timeout as exc:
        return Lookup(rdtype, outcome="timeout", detail=f"no answer: {exc}")
    except dns.exception.DNSException as exc:
        return Lookup(rdtype, outcome="error", detail=f"{type(exc).__name__}: {exc}")
    return Lookup(rdtype, [r.address for r in answer])


def _server_errors(exc: Any) -> str:
    errors = getattr(exc, "kwargs", {}).get("errors") or []
    parts = []
    for item in errors:
        try:
            server, _tcp, port, error, _response = item
        except (TypeError, ValueError):
            continue
        parts.append(f"{server}:{port} answered {error}")
    return "; ".join(parts)


def address_class(ip: str) -> str:
    """global, unspecified, loopback, private, cgnat, fake-ip, link-local, nat64, other."""
    address = ipaddress.ip_address(ip)
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.version == 4:
        if address in ipaddress.ip_network("198.18.0.0/15"):
            return "fake-ip"
        if address in ipaddress.ip_network("100.64.0.0/10"):
            return "cgnat"
    elif address in ipaddress.ip_network("64:ff9b::/96"):
        return "nat64"
    if address.is_link_local:
        return "link-local"
    if address.is_private:
        return "private"
    return "global" if address.is_global else "other"
