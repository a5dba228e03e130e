"""proxy.<provider>: which proxy this endpoint goes through and why, what is wrong with the proxy
settings, and whether the proxy accepts this destination."""

from __future__ import annotations

import importlib.util
from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Result,
    check,
    classify,
    proxy_own_reply,
    proxy_reply,
)

DOCS = "docs/checks.md#proxy"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
ESCAPES = "@ -> %40, : -> %3A, / -> %2F, # -> %23, ? -> %3F, % -> %25, space -> %20"


def _where(rule: api.ProxyRule) -> str:
    return rule.source.replace(" (environment)", "")


def _set_example(rule: api.ProxyRule, value: str) -> str:
    name = _where(rule)
    if name.isupper() or name.endswith("_proxy"):
        return f"export {name}={value}"
    return f"set `{name}` to \"{value}\" in the config"


def _value_problem(rule: api.ProxyRule) -> tuple[str, str, str] | None:
    """(level, message, hint) for a value httpx cannot use or will misread; never shows credentials."""
    raw = (rule.raw or "").strip()
    name = _where(rule)
    if raw[:1] in "\"'" or raw[-1:] in "\"'":
        clean = api.safe_proxy_url(raw.strip("\"'"))
        return ("fail", f"{name} includes quote characters, so no client can use it",
                f"remove the quotes: {_set_example(rule, clean)}")
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme in ("socks", "socks4", "socks4a"):
        return ("fail", f"{name} uses {scheme}://, which httpx does not support",
                f"use socks5:// (or socks5h://) if the proxy speaks SOCKS5: {_set_example(rule, 'socks5://HOST:PORT')}")
    if scheme in ("socks5", "socks5h") and importlib.util.find_spec("socksio") is None:
        return ("fail", f"{name} is a SOCKS proxy, but SOCKS support is not installed",
                "install it: pip install 'perspt-doctor[socks]' (adds socksio)")
    if scheme and scheme not in ("http", "https", "socks5", "socks5h"):
        return ("fail", f"{name} uses the unknown scheme {scheme}://", "use http://HOST:PORT")
    rest = raw.split("://", 1)[1] if "://" in raw else raw
    if "@" in rest:
        userinfo = rest.rpartition("@")[0]
        bad = sorted({c for c in userinfo if c in "@/?#[] "})
        if bad or _bad_escape(userinfo):
            chars = " ".join(repr(c) for c in bad) or "a stray '%'"
            return ("warn", f"the credentials in {name} contain unescaped characters ({chars})",
                    f"percent-encode the user name and password: {ESCAPES}")
    if not scheme:
        shown = api.safe_proxy_url(raw)
        return ("warn", f"{name} has no scheme ({shown}); perspt assumes http://",
                f"write the scheme out, as other tools may not assume it: {_set_example(rule, 'http://' + shown)}")
    if scheme == "https":
        return ("warn", f"{name} starts with https://, so perspt speaks TLS to the proxy itself",
                "most proxies are plain HTTP proxies, even for https:// sites: use http://HOST:PORT unless "
                "your proxy really accepts TLS")
    return None


def _bad_escape(text: str) -> bool:
    import re

    return bool(re.search(r"%(?![0-9A-Fa-f]{2})", text))


def _loopback_problem(route: api.Route, table: api.ProxyTable) -> tuple[str, str, str] | None:
    if not route.endpoint.is_loopback or not any(r.proxy_url for r in table.rules):
        return None
    missing = [n for n in LOOPBACK_NAMES if n not in [e.strip().strip("[]").lower() for e in table.no_proxy]]
    where = table.no_proxy_source or ("proxy.no_proxy (config)" if table.origin == "config" else "NO_PROXY")
    fix = "localhost,127.0.0.1,::1"
    hint = (f"set `proxy.no_proxy` to \"{fix}\" in the config" if table.origin == "config"
            else f"export NO_PROXY={fix} (and no_proxy={fix})")
    if route.via_proxy:
        remote = not (route.proxy_host and api.is_loopback_host(route.proxy_host))
        return ("fail" if remote else "warn", f"this local endpoint ({route.endpoint.authority}) is sent to the proxy "
                f"{route.proxy_label}: {where} does not list {route.endpoint.host}", hint)
    if missing:
        return ("note", f"{where} lacks {', '.join(missing)}; a proxy would apply if you used one of those", hint)
    return None


def _facts(route: api.Route, table: api.ProxyTable) -> dict[str, Any]:
    return {
        "endpoint": route.endpoint.url, "endpoint_source": route.endpoint.origin,
        "proxy": route.decision.display, "proxy_source": route.decision.source, "reason": route.decision.reason,
        "bypass_entry": route.decision.bypass, "proxy_origin": table.origin,
        "no_proxy": table.no_proxy, "no_proxy_source": table.no_proxy_source,
        "proxy_variables": sorted(table.variables),
    }


@check("proxy.{provider}", "Proxy for {provider}", "proxy", per_provider=True, needs_network=True, timeout=8,
       docs=DOCS)
async def proxy_route(ctx: CheckContext) -> Result:
    """Shows whether requests to this provider go through a proxy and why, checks the proxy settings, and
    asks the proxy to reach the provider.

    Uses the transport layer's own routing (proxy settings from the config or the `*_PROXY` variables,
    with `NO_PROXY`), so the answer is the one the client acts on. When a proxy applies, it resolves and
    connects to the proxy, then sends it a `CONNECT host:443` (for https endpoints) or a plain `GET` and
    reads the status. An HTTPS proxy gets a TLS handshake; a SOCKS proxy only a connection (the tunnel
    itself is tested by `http.{provider}`). Credentials in proxy URLs are never shown.

    ok: a direct connection (no proxy applies, or `NO_PROXY` lists the host); or the proxy answers and
      accepts this destination.
    warn: the proxy URL has no scheme (perspt assumes `http://`), starts with `https://` (TLS to the
      proxy itself, which most proxies do not speak), or has user name or password characters that
      should be percent-encoded; the proxy works anyway. Fix: write `http://HOST:PORT`, encode
      `@ : / # ? %` and spaces in credentials.
    warn: a local endpoint goes through a proxy on this machine because `NO_PROXY` does not list it.
      Fix: `NO_PROXY=localhost,127.0.0.1,::1` (or `proxy.no_proxy` in the config).
    fail: the base URL cannot be parsed. Fix: correct `base_url`/`provider_endpoints` or the
      `*_BASE_URL` variable.
    fail: the proxy setting is unusable: quotes around the value, `socks://`/`socks4://` (only SOCKS5 is
      supported), a SOCKS proxy without SOCKS support installed, an unknown scheme, or a URL the
      transport rejects. Fix: remove the quotes, use `socks5://` or `http://`, or
      `pip install 'perspt-doctor[socks]'`.
    fail: a local endpoint is sent to a proxy on another machine. Fix: add it to `NO_PROXY`.
    fail: the proxy's name does not resolve, it refuses connections or does not answer, it is set as
      `https://` but does not speak TLS, or it accepts the connection but never answers. Fix: start the
      proxy or correct its address in the setting the summary names.
    fail: the proxy wants credentials (407) or rejects them (401/407), refuses the destination (403, with
      squid's reason), or cannot open it (`CONNECT` not 200, or 502/503/504). Fix: put
      `http://USER:PASSWORD@HOST:PORT` in the setting; ask the proxy's administrator to allow the host,
      or bypass the proxy for it with `NO_PROXY`.
    skip: `--offline`, and the endpoint is not on this machine (or goes through a proxy that is not).
    """
    assert ctx.provider is not None
    settings = ctx.settings
    try:
        route = api.route_for(settings, ctx.provider)
    except ValueError as exc:
        return Result.fail(f"the base URL of {ctx.provider} cannot be parsed: {exc}", docs=DOCS,
                           hint="fix `base_url`/`provider_endpoints` in the config or the *_BASE_URL variable")
    table = api.proxy_table(settings)
    facts = _facts(route, table)
    details = list(table.notes)
    fatal = [(r, p) for r in table.rules if r.proxy_url for p in [_value_problem(r)] if p and p[0] == "fail"]
    try:
        api.proxy_mounts(settings)
    except api.TransportConfigError as exc:
        if fatal:
            rule, (_level, message, hint) = fatal[0]
            return Result.fail(message, details=[*details, str(exc)], hint=hint, docs=DOCS, facts=facts)
        return Result.fail(str(exc), details=details, hint=exc.hint, docs=DOCS, facts=facts)
    if fatal:
        rule, (_level, message, hint) = fatal[0]
        return Result.fail(message, details=details, hint=hint, docs=DOCS, facts=facts)
    loopback = _loopback_problem(route, table)
    if loopback and loopback[0] == "fail":
        return Result.fail(loopback[1], details=[*details, route.decision.reason], hint=loopback[2], docs=DOCS,
                           facts=facts)
    if loopback and loopback[0] == "note":
        details.append(loopback[1])
    if not route.via_proxy:
        return Result.ok(f"direct connection: {route.decision.reason}", details=details, docs=DOCS, facts=facts)
    used = next((r for r in table.rules if r.proxy_url == route.decision.proxy_url), None)
    warning = _value_problem(used) if used else None
    headline = f"through the proxy {route.decision.display} ({route.decision.reason})"
    details.insert(0, headline)
    offline = ctx.offline_reason()
    if offline:
        return Result.skip(offline, details=details, facts=facts, docs=DOCS)
    verdict = await _probe(ctx, route, facts, details)
    if verdict is not None:
        if warning:
            verdict.details.append(f"also: {warning[1]} ({warning[2]})")
        if loopback:
            verdict.summary = f"{loopback[1]}, and {verdict.summary}"
            verdict.hint = loopback[2]
        return verdict
    warnings = [w for w in (warning, loopback) if w]
    if warnings:
        level, message, hint = warnings[0]
        if warnings[0] is loopback:
            message += " (the proxy forwards it, but a local server should be reached directly)"
        details.extend(f"also: {w[1]} ({w[2]})" for w in warnings[1:])
        return Result.warn(message, details=details, hint=hint, docs=DOCS, facts=facts)
    return Result.ok(headline, details=details[1:], docs=DOCS, facts=facts)


async def _probe(ctx: CheckContext, route: api.Route, facts: dict[str, Any], details: list[str]) -> Result | None:
    """None when the proxy is reachable and accepts this destination; else the failing verdict."""
    assert route.proxy_host and route.proxy_port and route.decision.proxy_url
    label = route.proxy_label
    source = route.decision.source or "the proxy setting"
    timeout = ctx.bounded(min(ctx.settings.number("network.connect_timeout"), 3.0), reserve=0.4)
    try:
        addresses, _ms = await api.system_resolve(route.proxy_host, route.proxy_port, timeout)
    except OSError as exc:
        facts["exception"] = f"{type(exc).__name__}: {exc}"
        return Result.fail(f"the proxy's name {route.proxy_host} does not resolve: {classify(exc).message}",
                           details=details, hint=f"fix the host in {source}", docs=DOCS, facts=facts)
    connected = await api.tcp_connect(addresses[0] if addresses else api.Address(2, route.proxy_host), route.proxy_port,
                                  timeout, proxy=route.decision.proxy_url)
    facts["proxy_connect_ms"] = round(connected.ms, 1)
    if not connected.ok:
        if connected.cause is not None:
            facts["cause"] = connected.cause.as_dict()
        what = {"refused": "refuses connections (nothing listens there)",
                "timeout": f"does not answer within {timeout:.3g} s"}.get(connected.kind, connected.error)
        return Result.fail(f"the proxy {label} is not reachable: it {what}", details=details,
                           hint=f"start the proxy, or fix the address in {source}", docs=DOCS, facts=facts)
    if route.proxy_scheme == "https":
        tls = await api.tls_handshake(route.proxy_host, route.proxy_port, api.insecure_context(), timeout=timeout)
        if not tls.ok:
            plain = f"http://{label}"
            return Result.fail(f"{source} says https://, but {label} does not speak TLS "
                               f"({tls.cause.message if tls.cause else 'handshake failed'})", details=details,
                               hint=f"use http:// for the proxy: {plain}", docs=DOCS, facts=facts)
        details.append("the proxy accepts TLS (an HTTPS proxy); the tunnel itself is checked by http.*")
        return None
    if route.proxy_scheme in ("socks5", "socks5h"):
        details.append("SOCKS proxy reachable; SOCKS negotiation is checked by http.*")
        return None
    endpoint = route.endpoint
    tunnel = endpoint.is_https
    try:
        reply, _reader, writer = await api.proxy_exchange(route.decision.proxy_url, endpoint.host, endpoint.port,
                                                      timeout=timeout, tunnel=tunnel, path=endpoint.path or "/")
        writer.close()
    except (OSError, TimeoutError, ValueError) as exc:
        facts["exception"] = f"{type(exc).__name__}: {exc}"
        return Result.fail(f"the proxy {label} accepted the connection but did not answer a request "
                           f"({classify(exc).message})", details=details,
                           hint="check that this is an HTTP proxy port", docs=DOCS, facts=facts)
    except Exception as exc:  # noqa: BLE001 - asyncio's IncompleteReadError/TimeoutError differ by version
        facts["exception"] = f"{type(exc).__name__}: {exc}"
        return Result.fail(f"the proxy {label} closed or stalled the request before answering",
                           details=details, hint="check that this is an HTTP proxy port", docs=DOCS, facts=facts)
    facts["proxy_status"] = reply.status
    marker = reply.headers.get("x-squid-error") or reply.headers.get("via") or reply.headers.get("server")
    if marker:
        facts["proxy_marker"] = marker
    request = f"CONNECT {endpoint.authority}" if tunnel else f"GET {endpoint.url}"
    has_credentials = route.decision.display is not None and ":***@" in route.decision.display
    if reply.status >= 400 and not proxy_own_reply(reply.status, reply.headers, tunnel=tunnel):
        # The origin's own answer, relayed: the proxy did its job; the answer itself is for http.*/auth.*.
        facts["origin_status"] = reply.status
        details.append(f"{request} through the proxy: the server answered {reply.status} {reply.reason} itself "
                       f"(relayed by the proxy; its Server is {reply.headers.get('server', 'not named')!r})")
        return None
    if reply.status in (401, 403, 407, 502, 503, 504) or tunnel and reply.status != 200:
        status = 407 if reply.status == 401 else reply.status
        facts["cause"] = proxy_reply(status, f"{reply.status} {reply.reason}", label).as_dict()
    if reply.status in (401, 407):
        if has_credentials:
            return Result.fail(f"the proxy {label} rejected the user name or password ({reply.status})",
                               details=details, docs=DOCS, facts=facts,
                               hint=f"check the credentials in {source}; percent-encode special characters "
                                    f"({ESCAPES})")
        return Result.fail(f"the proxy {label} requires authentication (407 Proxy Authentication Required)",
                           details=details, docs=DOCS, facts=facts,
                           hint=f"put the credentials into {source}: http://USER:PASSWORD@{label}")
    if reply.status == 403:
        why = f" ({reply.headers['x-squid-error']})" if "x-squid-error" in reply.headers else ""
        return Result.fail(f"the proxy {label} refuses {request}: 403 Forbidden{why}", details=details, docs=DOCS,
                           facts=facts,
                           hint=(f"ask the proxy's administrator to allow {request}, or bypass the proxy for this "
                                 f"host with NO_PROXY={endpoint.host}"))
    if tunnel and reply.status != 200 or reply.status in (502, 503, 504):
        return Result.fail(f"the proxy {label} could not open {request}: {reply.status} {reply.reason}",
                           details=details, docs=DOCS, facts=facts,
                           hint="the proxy itself cannot resolve or reach the host; ask its administrator")
    details.append(f"{request} through the proxy: {reply.status} {reply.reason}")
    return None
