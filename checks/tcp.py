"""tcp.<provider>: connect over IPv4 and IPv6 separately; refused vs timeout vs unreachable; which family
the client will really use, and what a dead IPv6 route costs it."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Result,
    check,
    classify,
)

DOCS = "docs/checks.md#tcp"
HAPPY_EYEBALLS_DELAY = 0.25
"""anyio's stagger between connection attempts (the async client's Happy Eyeballs)."""
PER_FAMILY = 2


def _connect_timeout(ctx: CheckContext) -> float:
    return max(0.2, min(ctx.settings.number("network.connect_timeout"), 4.0))


@check("tcp.{provider}", "TCP connection to {provider}", "tcp", per_provider=True, needs_network=True, timeout=6,
       depends_on=("dns.{provider}",), docs=DOCS)
async def tcp_reach(ctx: CheckContext) -> Result:
    """Opens TCP connections to the provider (or to the proxy, when one applies) over IPv6 and IPv4
    separately, to tell refused from dropped from unreachable and to see which family the client uses.

    Resolves the first hop with the system resolver and connects to up to two addresses of each family,
    bounded by `network.connect_timeout` (at most 4 s). A dead IPv6 route makes the client fall back to
    IPv4, which delays every new connection; the check puts a figure on it.

    ok: a connection opens; the summary gives the family, address and time.
    warn: IPv6 fails while IPv4 works: the client falls back at a cost per new connection. Fix: repair the
      IPv6 route (or turn IPv6 off on this network), or make the host resolve to IPv4 only.
    fail: the first hop does not resolve. Fix: see `perspt doctor --only 'dns.*'`.
    fail: every address refuses (nothing listens, or a firewall rejects), none answers in time (packets
      dropped by a firewall, VPN or dead route), or there is no route. Fix: start the server or correct
      host and port in the base URL (Ollama: `ollama serve`, port 11434); check the firewall and VPN; set
      `HTTPS_PROXY` if your network requires a proxy.
    skip: `--offline`, and the endpoint is not on this machine (or goes through a proxy that is not).
    """
    assert ctx.provider is not None
    route = api.route_for(ctx.settings, ctx.provider)
    host, port = route.first_hop
    timeout = ctx.bounded(_connect_timeout(ctx), reserve=0.4)
    facts: dict[str, Any] = {"host": host, "port": port, "connect_timeout_s": timeout}
    details: list[str] = []
    if route.via_proxy:
        facts["via_proxy"] = route.proxy_label
        details.append(f"the client connects to the proxy {route.proxy_label}; the proxy connects to "
                       f"{route.endpoint.authority}")
    try:
        addresses, _ms = await api.system_resolve(host, port, ctx.bounded(timeout + 1, reserve=0.4))
    except (OSError, asyncio.TimeoutError, TimeoutError) as exc:
        facts["exception"] = f"{type(exc).__name__}: {exc}"
        return Result.fail(f"cannot resolve {host}: {classify(exc).message}", hint="run `perspt doctor --only 'dns.*'`",
                           docs=DOCS, facts=facts)
    chosen: list[api.Address] = []
    for family in (socket.AF_INET6, socket.AF_INET):
        chosen.extend([a for a in addresses if a.family == family][:PER_FAMILY])
    proxy = route.proxy_url if route.via_proxy else None
    results = await asyncio.gather(*(api.tcp_connect(a, port, timeout, proxy=proxy) for a in chosen))
    by_address = {r.address: r for r in results}
    ordered = [by_address[a] for a in addresses if a in by_address]
    facts["attempts"] = [{"family": r.address.label, "ip": r.address.ip, "result": r.kind, "ms": round(r.ms, 1),
                          **({"error": r.error} if r.error else {})} for r in ordered]
    for r in ordered:
        details.append(f"{r.address.label} {r.address.ip}:{port}: "
                       + (f"connected in {r.ms:.0f} ms" if r.ok else f"{r.kind} ({r.error})"))
    return _verdict(route.via_proxy, host, port, ordered, timeout, details, facts)


def _verdict(via_proxy: bool, host: str, port: int, ordered: list[api.ConnectResult], timeout: float,
             details: list[str], facts: dict[str, Any]) -> Result:
    working = [r for r in ordered if r.ok]
    target = f"the proxy {host}:{port}" if via_proxy else f"{host}:{port}"
    if not working:
        kinds = {r.kind for r in ordered}
        facts["outcome"] = "refused" if kinds == {"refused"} else ("timeout" if "timeout" in kinds else
                                                                  next(iter(sorted(kinds)), "error"))
        summary, hint = _failure_text(facts["outcome"], target, timeout)
        cause = next((r.cause for r in ordered if r.cause is not None), None)
        if cause is not None:
            facts["cause"] = cause.as_dict()  # the classifier's name for it: what the client's error says
            if cause.is_proxy:
                hint = f"start the proxy, or fix its address; `{cause.doctor_command()}` checks the proxy"
        return Result.fail(summary, hint=hint, details=details, docs=DOCS, facts=facts)
    first_ok = ordered.index(working[0])
    dead = [r for r in ordered[:first_ok] if not r.ok]
    used = working[0].address
    facts["family_used"] = used.label
    facts["address_used"] = used.ip
    cost = sum(HAPPY_EYEBALLS_DELAY if r.kind == "timeout" else r.ms / 1000 for r in dead)
    facts["dead_route_delay_s"] = round(cost, 2)
    families = {r.address.label for r in ordered}
    summary = f"connected to {target} over {used.label} ({used.ip}) in {working[0].ms:.0f} ms"
    broken_v6 = [r for r in ordered if r.address.family == socket.AF_INET6 and not r.ok]
    if broken_v6 and any(r.address.family == socket.AF_INET for r in working):
        kind = broken_v6[0].kind
        facts["ipv6_broken"] = kind
        sync_cost = sum(timeout if r.kind == "timeout" else r.ms / 1000 for r in dead)
        return Result.warn(
            f"IPv6 to {host} is broken ({kind}); the client falls back to IPv4, which costs about "
            f"{cost:.2f} s per new connection (up to {sync_cost:.3g} s for synchronous clients)",
            details=details, docs=DOCS, facts=facts,
            hint="fix the IPv6 route (or disable IPv6 on this network), or make the host resolve to IPv4 only "
                 "(a hosts-file entry)")
    if len(families) == 1:
        details.append(f"only {next(iter(families))} addresses")
    return Result.ok(summary, details=details, docs=DOCS, facts=facts)


def _failure_text(kind: str, target: str, timeout: float) -> tuple[str, str]:
    texts = {
        "refused": (f"{target} refuses connections: nothing listens on that port, or a firewall rejects it",
                    "start the server, or fix the host/port in the base URL (Ollama: `ollama serve`, port 11434)"),
        "timeout": (f"no answer from {target} within {timeout:.3g} s: packets are dropped (firewall, VPN, or a dead "
                    "route)", "check firewalls and the VPN; if you must use a proxy, set HTTPS_PROXY"),
        "unreachable": (f"{target} is unreachable: this machine has no route to it",
                        "check the network connection, the VPN, and (for IPv6) whether this network has IPv6"),
    }
    return texts.get(kind, (f"cannot connect to {target} ({kind})", "check the network connection"))
