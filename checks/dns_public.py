"""dns.public: one conclusion across the providers' DNS checks. When every public API host fails to
resolve the same way, the cause is this machine's network or resolver, not any provider: say so once,
with whether there is a default route, whether the DNS server answers at all, and whether a well-known
name resolves."""

from __future__ import annotations

import asyncio
from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Kind,
    Result,
    cause_of,
    check,
)

DOCS = "docs/checks.md#dns"
WELL_KNOWN = "example.com"
"""A name that exists everywhere (RFC 2606): if it does not resolve, no public name does."""
NO_RESOLUTION = ("nxdomain", "servfail", "timeout", "temporary", "noanswer", "error")


def default_route() -> bool | None:
    """Whether the kernel has a default route (Linux's /proc/net/route); None where that cannot be read."""
    try:
        with open("/proc/net/route", encoding="ascii", errors="replace") as handle:
            rows = handle.read().splitlines()[1:]
    except OSError:
        return None
    return any(len(cols) > 2 and cols[1] == "00000000" for cols in (row.split() for row in rows))


@check("dns.public", "Public names resolve", "dns", needs_network=True, timeout=6, after=("dns.*",), docs=DOCS)
async def public_names(ctx: CheckContext) -> Result:
    """Draws one conclusion from every provider's DNS check: when each public API host in scope fails to
    resolve, and in the same way, this machine resolves no public name (no network, or DNS is filtered).

    Runs after the `dns.*` checks (whatever their result) and reads their outcomes. Only then does it probe:
    is there a default route (`/proc/net/route`), does the DNS server (`network.dns_servers` or the system's)
    answer at all, and does a well-known name (`example.com`) resolve.

    ok: at least one public API host resolves, or none is in scope; or the well-known name resolves, so the
      failures concern the providers' names only (see their `dns.*` rows).
    fail: no public name resolves: there is no default route (no network: connect to one), the DNS server
      does not answer (down or blocked), or it answers but refuses or denies every name (a filtering
      resolver, a captive portal, a VPN's DNS). Fix: connect the network or VPN, log in to the portal,
      or set `network.dns_servers` to a resolver that works.
    skip: `--offline` (the DNS queries would leave this machine).
    """
    rows = {i: r for i, r in ctx.results.items() if i.startswith("dns.") and i != "dns.public"}
    # Only the providers' built-in public hosts count: a custom host that fails may just be misspelt.
    failed = {i: str(r.facts.get("outcome")) for i, r in rows.items()
              if r.facts.get("builtin_host") and r.facts.get("outcome") in NO_RESOLUTION}
    facts: dict[str, Any] = {"dns_checks": {i: r.status.value for i, r in rows.items()}}
    resolved = [i for i, r in rows.items() if r.status.value in ("ok", "warn") and not r.facts.get("resolved_by_proxy")
                and r.facts.get("system", {}).get("addresses")]
    if not failed or resolved:
        what = f"{len(resolved)} provider host(s) resolve" if resolved else "no provider host failed to resolve"
        return Result.ok(f"public names resolve: {what}", docs=DOCS, facts=facts)
    outcomes = sorted(set(failed.values()))
    facts["outcomes"] = failed
    servers = api.configured_servers(ctx.settings)
    label = ", ".join(f"{ip}:{port}" for ip, port in servers) or "the system's DNS servers"
    route = await ctx.run_blocking(default_route)
    probe = await _well_known(ctx)
    facts.update({"default_route": route, "well_known": {"name": WELL_KNOWN, "outcome": probe.outcome,
                                                         "addresses": probe.addresses}, "dns_servers": label})
    if probe.outcome == "ok":
        return Result.ok(f"public names resolve ({WELL_KNOWN} -> {', '.join(probe.addresses)}): the DNS failures "
                         f"concern only {', '.join(sorted(failed))}", docs=DOCS, facts=facts)
    answers = probe.outcome in ("nxdomain", "servfail", "noanswer")
    details = [
        f"provider hosts: {len(failed)} built-in host(s) fail, none resolves ({', '.join(outcomes)})",
        "default route: " + {True: "yes", False: "none (this machine is not connected to a network)",
                             None: "unknown (cannot read the routing table)"}[route],
        f"DNS server {label}: " + ("answers, but refuses or denies every name" if answers
                                   else f"does not answer ({probe.detail})"),
        f"well-known name {WELL_KNOWN}: {probe.detail or probe.outcome}",
    ]
    if route is False:
        hint = "connect to a network (Wi-Fi, cable, mobile) and run the doctor again"
    elif answers:
        hint = ("the DNS server refuses or filters public names: log in to the network's captive portal (open "
                "a browser), connect or disconnect the VPN, or set `network.dns_servers` to a resolver that works")
    else:
        hint = ("the DNS server does not answer: check the network connection and VPN, or set "
                "`network.dns_servers` to a resolver you can reach")
    facts["cause"] = cause_of(Kind.NO_PUBLIC_DNS, "this machine resolves no public name").as_dict()
    return Result.fail("this machine resolves no public name: no network, or DNS is filtered", details=details,
                       hint=hint, docs=DOCS, facts=facts)


async def _well_known(ctx: CheckContext) -> api.Lookup:
    lifetime = ctx.bounded(2.0, reserve=0.5)
    try:
        resolver = api.async_resolver(ctx.settings, lifetime)
    except Exception as exc:  # noqa: BLE001 - dnspython raises several types for a bad resolv.conf
        return api.Lookup("A", outcome="error", detail=f"cannot read the resolver configuration: {exc}")
    try:
        return await asyncio.wait_for(api.lookup(resolver, WELL_KNOWN, "A"), lifetime + 0.3)
    except asyncio.TimeoutError:
        return api.Lookup("A", outcome="timeout", detail="no answer in time")
