"""http.<provider>: one unauthenticated GET of the models endpoint through the client's own transport.
A 401/403 from the provider proves it is reachable; HTML, a proxy's headers or error page, or a block
page mean something sits in between. Phase timings go into the facts."""

from __future__ import annotations

import time
from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    Cause,
    CheckContext,
    Result,
    check,
    classify,
    classify_reply,
)

DOCS = "docs/checks.md#http"
KEEP_HEADERS = ("server", "via", "x-squid-error", "proxy-authenticate", "cf-ray", "request-id", "x-request-id",
                "content-type", "date", "location")
REGION_BLOCKS = ("unsupported_country_region_territory", "request not allowed", "region not supported",
                 "user location is not supported")
SKEW_WARN_S = 300


def _phases(events: list[tuple[str, float]], started: float) -> dict[str, float]:
    marks: dict[str, float] = {}
    for name, at in events:
        marks.setdefault(name, at)
    out: dict[str, float] = {}
    for label, prefix in (("connect_ms", "connection.connect_tcp"), ("tls_ms", "connection.start_tls"),
                          ("proxy_tls_ms", "proxy.start_tls")):
        if f"{prefix}.started" in marks and f"{prefix}.complete" in marks:
            out[label] = round((marks[f"{prefix}.complete"] - marks[f"{prefix}.started"]) * 1000, 1)
    if "http11.receive_response_headers.complete" in marks:
        out["ttfb_ms"] = round((marks["http11.receive_response_headers.complete"] - started) * 1000, 1)
    return out


@check("http.{provider}", "HTTP request to {provider}", "http", per_provider=True, needs_network=True, timeout=10,
       depends_on=("tls.{provider}",), docs=DOCS)
async def http_probe(ctx: CheckContext) -> Result:
    """Sends one GET to the provider's models endpoint without an API key, through the client's own transport,
    to prove the HTTP path works and to spot anything that answers in the provider's place.

    Builds the HTTP client with the transport factory (proxy, trust and timeout settings as in the chat)
    and requests the models URL. A 401 or 403 without a key is the expected answer from a real provider.
    DNS, connect, TLS and first-byte times go into the facts (`--verbose`, `--json`).

    ok: 2xx, or 401/403 as expected without a key.
    warn: ok as above, but this machine's clock differs from the server's `Date` by more than 5 minutes.
      Fix: turn on time sync.
    warn: an HTML page instead of JSON (captive portal, proxy or firewall page, wrong base URL), a 404
      (wrong path in the base URL; OpenAI-style servers end in `/v1`), a redirect, a 429, or another
      status (a server-side fault). Fix: open the URL in a browser; check the base URL; wait and retry.
    fail: the request fails (the summary names the root cause: refused, timeout, TLS, proxy, ...).
      Fix: the hint points at the check for that layer.
    fail: the HTTP client cannot be built from the settings (a bad proxy or CA setting).
    fail: a proxy answers instead of the provider (407, or `X-Squid-Error`/`Via` with an error status).
      Fix: put credentials in the proxy URL, add the host to `NO_PROXY`, or ask the proxy's administrator.
    fail: a Cloudflare block page, or a 403 saying your region is not served. Fix: another network or a
      supported location; this is not a key problem.
    skip: `--offline`, and the endpoint is not on this machine (or goes through a proxy that is not).
    """
    assert ctx.provider is not None
    route = api.route_for(ctx.settings, ctx.provider)
    url = route.endpoint.models_url()
    facts: dict[str, Any] = {"url": url}
    if route.via_proxy:
        facts["via_proxy"] = route.decision.display
    total = ctx.bounded(max(1.0, min(ctx.settings.number("timeout"), 8.0)), reserve=0.4)
    if not route.via_proxy and not route.endpoint.is_ip:
        try:
            _addresses, dns_ms = await api.system_resolve(route.endpoint.host, route.endpoint.port, total)
            facts["dns_ms"] = round(dns_ms, 1)
        except OSError:
            pass
    try:
        client = api.build_async_client(ctx.settings, total_timeout=total)
    except api.TransportConfigError as exc:
        return Result.fail(exc.message, hint=exc.hint, docs=DOCS, facts=facts)
    events: list[tuple[str, float]] = []

    async def trace(name: str, info: dict[str, Any]) -> None:
        events.append((name, time.perf_counter()))
        if name == "connection.connect_tcp.complete":
            stream = info.get("return_value")
            addr = stream.get_extra_info("server_addr") if stream is not None else None
            if addr:
                facts["server_addr"] = f"{addr[0]}:{addr[1]}"

    started = time.perf_counter()
    try:
        async with client:
            response = await client.get(url, headers={"accept": "application/json"}, extensions={"trace": trace})
            body = response.content[:4096]
    except Exception as exc:  # noqa: BLE001 - every transport failure is explained by its root cause
        cause = classify(exc, proxy=route.proxy_url, provider=ctx.provider)
        facts.update(_phases(events, started))
        facts["error_kind"] = str(cause.kind)
        facts["cause"] = cause.as_dict()
        if cause.verify_code is not None:
            facts["verify_code"] = cause.verify_code
        return Result.fail(f"GET {url} failed: {cause.message}", details=[cause.detail], docs=DOCS, facts=facts,
                           hint=cause.doctor_hint)
    facts.update(_phases(events, started))
    facts["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
    facts["status"] = response.status_code
    facts["headers"] = {k: response.headers[k] for k in KEEP_HEADERS if k in response.headers}
    return _verdict(route, url, response.status_code, response.headers, body, facts)


def _verdict(route: api.Route, url: str, status: int, headers: Any, body: bytes, facts: dict[str, Any]) -> Result:
    text = body.decode("utf-8", "replace")
    lowered = text.lower()
    content_type = headers.get("content-type", "").lower()
    is_html = "html" in content_type or lowered.lstrip().startswith(("<!doctype html", "<html"))
    details = [f"{status} {content_type or 'no content-type'} from {facts.get('server_addr', url)}"]
    timing = ", ".join(f"{k[:-3]} {facts[k]:.0f} ms" for k in ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms")
                       if k in facts)
    if timing:
        details.append(timing)
    skew = _skew(headers.get("date"))
    if skew is not None:
        facts["clock_skew_s"] = round(skew)
    middle = [h for h in ("x-squid-error", "via", "proxy-authenticate") if h in headers]
    name = route.endpoint.host
    if status == 407:
        return Result.fail(f"the proxy in front of {name} requires authentication (407)", details=details,
                           hint="put the credentials into the proxy URL: http://USER:PASSWORD@HOST:PORT, then run "
                                "`perspt doctor --only 'proxy.*'`", docs=DOCS, facts=facts)
    if "x-squid-error" in headers or (middle and status >= 400):
        marker = headers.get("x-squid-error") or headers.get("via")
        return Result.fail(f"a proxy answered instead of {name}: {status} ({marker})", details=details, docs=DOCS,
                           facts=facts, hint=f"the proxy refuses or cannot reach {name}; add it to NO_PROXY if it "
                                             "should be reached directly, or ask the proxy's administrator")
    if "attention required" in lowered and "cloudflare" in lowered or "sorry, you have been blocked" in lowered:
        return Result.fail(f"{name} blocks this network: a Cloudflare block page (your IP address or country)",
                           details=details, docs=DOCS, facts=facts,
                           hint="try another network or egress IP; this is not an API key problem")
    if status == 403 and any(marker in lowered for marker in REGION_BLOCKS):
        _cause(status, body, headers, url, facts)
        return Result.fail(f"{name} refuses requests from your region (403)", details=details, docs=DOCS, facts=facts,
                           hint="the provider does not serve your country or region; use a supported location")
    if is_html:
        return Result.warn(f"{url} answered with an HTML page ({status}), not the provider's JSON: something in "
                           "between (a captive portal, proxy or firewall page) or a wrong base URL", details=details,
                           docs=DOCS, facts=facts,
                           hint="open the URL in a browser to see the page; check the base URL and the network")
    if status in (401, 403):
        return _with_skew(Result.ok(f"reachable: {status} without an API key, as expected", details=details,
                                    docs=DOCS, facts=facts), skew)
    if 200 <= status < 300:
        return _with_skew(Result.ok(f"reachable: {status}", details=details, docs=DOCS, facts=facts), skew)
    if status == 404:
        return Result.warn(f"{url} answered 404: the base URL's path is probably wrong", details=details, docs=DOCS,
                           facts=facts, hint="check the base URL (OpenAI-style servers usually end in /v1)")
    if 300 <= status < 400:
        return Result.warn(f"{url} redirects to {headers.get('location', '?')}", details=details, docs=DOCS,
                           facts=facts, hint="a captive portal or a changed base URL; open it in a browser")
    if status == 429:
        return Result.warn("reachable, but rate limited (429)", details=details, docs=DOCS, facts=facts,
                           hint="wait and retry; see `perspt doctor --only 'ratelimit.*'`")
    if status >= 500:  # the client classifies the same reply: name the same cause
        cause = _cause(status, body, headers, url, facts)
        return Result.warn(f"{url} answered {status}: {cause.message}", details=details, docs=DOCS, facts=facts,
                           hint="a server-side problem: check the provider's status page, wait and retry")
    return Result.warn(f"{url} answered {status}", details=details, docs=DOCS, facts=facts,
                       hint="a server-side problem: check the provider's status page")


def _cause(status: int, body: bytes, headers: Any, url: str, facts: dict[str, Any]) -> Cause:
    """The classifier's cause of an error reply, recorded in the facts: the client names the same one."""
    cause = classify_reply(status, body, dict(headers), url=url)
    facts["cause"] = cause.as_dict()
    facts["error_kind"] = str(cause.kind)
    return cause


def _skew(date: str | None) -> float | None:
    import email.utils

    if not date:
        return None
    try:
        return time.time() - email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return None


def _with_skew(result: Result, skew: float | None) -> Result:
    if skew is None or abs(skew) <= SKEW_WARN_S:
        return result
    result.details.append(f"this machine's clock differs from the server's by {abs(skew):.0f} s")
    return Result.warn(f"{result.summary}; but this machine's clock is off by {abs(skew) / 60:.0f} minutes",
                       details=result.details, docs=DOCS, facts=result.facts,
                       hint="turn on time sync: certificates and signed requests fail with a wrong clock")
