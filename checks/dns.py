"""dns.<provider>: the system resolver (what the client uses) and dnspython side by side; NXDOMAIN vs
timeout vs SERVFAIL vs no answer; sinkhole answers for public API hosts; IPv6 (AAAA) or not."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Result,
    check,
    resolver_failure,
)

DOCS = "docs/checks.md#dns"
SINKHOLE = {
    "unspecified": ("fail", "a DNS blocklist answer (0.0.0.0 or ::): a filter such as Pi-hole, AdGuard or NextDNS "
                    "blocks this host"),
    "loopback": ("fail", "this machine (a loopback address): a hosts-file entry or a blocklist sends it here"),
    "fake-ip": ("warn", "a 198.18.0.0/15 'fake-IP' address: a local proxy app (Clash, mihomo, Surge) intercepts "
                "the traffic"),
    "private": ("warn", "a private address: split-horizon DNS, a corporate gateway or mirror"),
    "cgnat": ("warn", "a 100.64.0.0/10 (CGNAT or Tailscale) address: a VPN or overlay network answers for it"),
    "link-local": ("warn", "a link-local address: a misconfigured resolver"),
}
SINKHOLE_ORDER = ("unspecified", "loopback", "fake-ip", "cgnat", "private", "link-local")


def _lifetime(ctx: CheckContext) -> float:
    return max(0.5, min(ctx.settings.number("network.connect_timeout"), 3.0))


async def _system(host: str, port: int, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        addresses, ms = await api.system_resolve(host, port, timeout + 0.5)
    except (asyncio.TimeoutError, TimeoutError):
        return {"error": "timeout", "detail": "getaddrinfo did not return", "ms": (time.perf_counter() - started) * 1000}
    except socket.gaierror as exc:
        kind, text = resolver_failure(exc)
        return {"error": kind, "detail": f"{text} ({exc.strerror or exc})",
                "ms": round((time.perf_counter() - started) * 1000, 1)}
    except OSError as exc:
        return {"error": "error", "detail": str(exc), "ms": round((time.perf_counter() - started) * 1000, 1)}
    return {"addresses": [a.ip for a in addresses], "ms": round(ms, 1)}


def _public_name(ctx: CheckContext, host: str) -> bool:
    """Is this host a public API name, where a non-global answer means something intercepts it?"""
    local_suffixes = (".local", ".lan", ".internal", ".home.arpa", ".corp", ".intranet", ".localdomain")
    route = api.route_for(ctx.settings, ctx.provider or "")
    return route.endpoint.is_cloud and not host.lower().rstrip(".").endswith(local_suffixes)


@check("dns.{provider}", "DNS for {provider}", "dns", per_provider=True, needs_network=True, timeout=6,
       depends_on=("proxy.{provider}",), docs=DOCS)
async def dns_lookup(ctx: CheckContext) -> Result:
    """Resolves the provider's host name as the client will, and again with dnspython, to tell the kind of
    DNS failure apart and to spot answers that do not belong to a public API host.

    Asks the system resolver (`getaddrinfo`, which the client uses) and, in parallel, dnspython for A and
    AAAA records (from `network.dns_servers` or the system's servers). When a proxy applies, the proxy
    resolves the provider's name, so the proxy's own host name is checked instead.

    ok: the system resolver answers (the summary lists the addresses; a note says if dnspython disagrees,
      as with a hosts-file entry or VPN split DNS); or the host is an IP address and needs no lookup.
    warn: a public API host resolves to a fake-IP (198.18.0.0/15: Clash, Surge), CGNAT/Tailscale
      (100.64.0.0/10), private or link-local address: a local proxy app, VPN, split-horizon DNS or a bad
      resolver answers for it. Fix: check the hosts file, DNS filters and the VPN (`nslookup HOST`).
    fail: a public API host resolves to 0.0.0.0/`::` (a DNS blocklist such as Pi-hole) or to a loopback
      address (a hosts-file entry). Fix: remove the hosts-file line or the blocklist entry.
    fail: dnspython resolves the name but the system resolver does not, so the client cannot. Fix: make the
      system use the DNS server that works (VPN or network settings), or add a hosts-file entry.
    fail: the name does not exist (NXDOMAIN), has no address records, the server fails (SERVFAIL/REFUSED),
      no answer comes in time, or resolution fails temporarily; `localhost` does not resolve. Fix: check
      the host in the base URL, connect the VPN for internal names, try another DNS server or set
      `network.dns_servers`; restore `127.0.0.1 localhost` in `/etc/hosts`. For the provider's built-in
      host the row stays short (its spelling is right) and `dns.public` says whether any public name
      resolves.
    skip: `--offline`, and the endpoint is not on this machine (or goes through a proxy that is not).
    """
    assert ctx.provider is not None
    route = api.route_for(ctx.settings, ctx.provider)
    endpoint = route.endpoint
    host, port = route.first_hop
    facts: dict[str, Any] = {"host": host, "endpoint_host": endpoint.host}
    details: list[str] = []
    if route.via_proxy:
        facts["resolved_by_proxy"] = True
        details.append(f"{endpoint.host} is resolved by the proxy {route.proxy_label}, not by this machine; "
                       "checking the proxy's own name instead")
    lifetime = ctx.bounded(_lifetime(ctx), reserve=0.8)
    if endpoint.is_ip and not route.via_proxy or route.via_proxy and _is_ip(host):
        return Result.ok(f"no lookup needed: {host} is an IP address", details=details, docs=DOCS, facts=facts)
    servers = api.configured_servers(ctx.settings)
    facts["dns_servers"] = [f"{ip}:{p}" for ip, p in servers] or "system configuration"
    system_task = asyncio.ensure_future(_system(host, port, lifetime))
    if host.lower().rstrip(".") == "localhost" or host.lower().endswith(".localhost"):
        system = await system_task
        facts["system"] = system
        if "addresses" in system:
            return Result.ok(f"{host} -> {', '.join(system['addresses'])} (system resolver)", details=details,
                             docs=DOCS, facts=facts)
        return Result.fail(f"{host} does not resolve on this machine: {system['detail']}", docs=DOCS, facts=facts,
                           hint="restore the `127.0.0.1 localhost` line in /etc/hosts, or use 127.0.0.1")
    try:
        resolver = api.async_resolver(ctx.settings, lifetime)
    except Exception as exc:  # noqa: BLE001 - dnspython raises several types for a bad resolv.conf
        resolver = None
        details.append(f"dnspython cannot read the resolver configuration: {exc}")
    lookups: list[api.Lookup] = []
    if resolver is not None:
        lookups = list(await asyncio.gather(api.lookup(resolver, host, "A"), api.lookup(resolver, host, "AAAA")))
    system = await system_task
    facts["system"] = system
    facts["dnspython"] = {item.rdtype: {"addresses": item.addresses, "outcome": item.outcome, "detail": item.detail}
                          for item in lookups}
    return _verdict(ctx, host, servers, system, lookups, details, facts)


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _verdict(ctx: CheckContext, host: str, servers: list[tuple[str, int]], system: dict[str, Any],
             lookups: list[api.Lookup], details: list[str], facts: dict[str, Any]) -> Result:
    by_type = {item.rdtype: item for item in lookups}
    a, aaaa = by_type.get("A"), by_type.get("AAAA")
    py_addresses = [ip for item in lookups for ip in item.addresses]
    sys_addresses: list[str] = system.get("addresses", [])
    server_label = ", ".join(f"{ip}:{p}" for ip, p in servers) or "the system's DNS servers"
    facts["aaaa"] = bool(aaaa and aaaa.addresses) or any(":" in ip for ip in sys_addresses)
    side = f"system: {', '.join(sys_addresses) or system.get('detail', '?')}; " \
           f"dnspython ({server_label}): {', '.join(py_addresses) or (a.detail if a else 'not asked')}"
    details.append(side)
    if aaaa is not None:
        details.append("IPv6: AAAA record present" if aaaa.addresses else f"IPv6: {aaaa.detail or 'no AAAA record'}")
    answers = sys_addresses or py_addresses
    if answers:
        classes = {ip: api.address_class(ip) for ip in {*sys_addresses, *py_addresses}}
        facts["address_classes"] = classes
        if _public_name(ctx, host):
            for cls in SINKHOLE_ORDER:
                hits = [ip for ip, c in classes.items() if c == cls]
                if hits:
                    level, why = SINKHOLE[cls]
                    where = "the system resolver" if set(hits) & set(sys_addresses) else f"DNS ({server_label})"
                    summary = f"{host} resolves to {', '.join(sorted(hits))} via {where}: {why}"
                    hint = ("check /etc/hosts (C:\\Windows\\System32\\drivers\\etc\\hosts) and any DNS filter or "
                            f"VPN; a public API host must resolve to public addresses (`nslookup {host}`)")
                    result = Result.fail if level == "fail" else Result.warn
                    return result(summary, details=details, hint=hint, docs=DOCS, facts=facts)
    if sys_addresses:
        if a is not None and not py_addresses and a.outcome != "ok":
            details.append(f"dnspython disagrees ({a.detail}): the answer comes from the hosts file or a resolver "
                           "only the OS knows (VPN split DNS)")
        return Result.ok(f"{host} -> {', '.join(sys_addresses)}", details=details, docs=DOCS, facts=facts)
    if py_addresses:
        return Result.fail(
            f"this machine's resolver cannot resolve {host} ({system.get('detail')}), but {server_label} answers "
            f"{', '.join(py_addresses)}; the client uses the system resolver", details=details, docs=DOCS, facts=facts,
            hint=f"make the system use that DNS server (VPN or network DNS settings), or add `{py_addresses[0]} "
                 f"{host}` to the hosts file")
    builtin = not facts.get("resolved_by_proxy") and api.route_for(ctx.settings, ctx.provider or "").endpoint.is_official_host
    return _failure(host, server_label, system, a, aaaa, details, facts, builtin=builtin)


SHORT = {"nxdomain": "NXDOMAIN", "noanswer": "no address records", "servfail": "SERVFAIL/REFUSED",
         "timeout": "no answer in time", "temporary": "temporary failure"}


def _failure(host: str, server_label: str, system: dict[str, Any], a: api.Lookup | None, aaaa: api.Lookup | None,
             details: list[str], facts: dict[str, Any], *, builtin: bool = False) -> Result:
    outcome = a.outcome if a is not None else str(system.get("error"))
    facts["outcome"] = outcome
    if builtin and outcome in SHORT:
        # The provider's own built-in host: its spelling is right; whether this machine resolves any public
        # name at all is the one conclusion dns.public draws across the providers.
        facts["builtin_host"] = True
        return Result.fail(f"{host} does not resolve ({SHORT[outcome]} from {server_label})", details=details,
                           hint="this is the provider's built-in host; `perspt doctor --only 'dns.*'` says whether "
                                "this machine resolves any public name (dns.public)", docs=DOCS, facts=facts)
    texts = {
        "nxdomain": (f"{host} does not exist (NXDOMAIN from {server_label})",
                     "check the spelling of the host in the base URL; if it is a company-internal name, connect "
                     "the VPN first"),
        "noanswer": (f"{host} exists but has no address records (no A or AAAA answer from {server_label})",
                     "the name is not meant to be connected to: check the base URL"),
        "servfail": (f"the DNS server failed to answer for {host} (SERVFAIL/REFUSED from {server_label})",
                     "the resolver is broken or refuses you: try another DNS server (1.1.1.1, 8.8.8.8) or "
                     "reconnect the network/VPN"),
        "timeout": (f"no DNS answer for {host} within the time limit ({server_label} did not reply)",
                    "the DNS server is down or blocked (UDP/TCP port 53): check the network and VPN, or set "
                    "`network.dns_servers` to a resolver that works"),
        "temporary": (f"temporary DNS failure for {host}", "check the network connection and the DNS servers"),
    }
    summary, hint = texts.get(outcome, (f"{host} does not resolve: {system.get('detail')}",
                                        "check the network connection and DNS settings"))
    return Result.fail(summary, details=details, hint=hint, docs=DOCS, facts=facts)
