"""tls.<provider>: the handshake and the presented chain, verified against the client's trust, certifi,
the OS store and any configured bundle side by side, to name the cause: interception, self-signed,
expired or not yet valid, wrong host, missing intermediate, clock skew, or a broken CA setting."""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Kind,
    Result,
    check,
)

DOCS = "docs/checks.md#tls"
INSPECTION_PRODUCTS = (
    "Zscaler", "Netskope", "Palo Alto", "Fortinet", "FortiGate", "Cisco Umbrella", "Umbrella", "Blue Coat",
    "Symantec", "Sophos", "Forcepoint", "Cloudflare for Teams", "Cloudflare Gateway", "Check Point", "McAfee",
    "Skyhigh", "Menlo", "Barracuda", "Avast", "AVG", "ESET", "Kaspersky", "Bitdefender", "mitmproxy",
    "Fiddler", "Charles Proxy", "PortSwigger", "Burp",
)
SKEW_WARN_S = 300


def _timeout(ctx: CheckContext) -> float:
    return max(0.5, min(ctx.settings.number("network.connect_timeout"), 4.0))


def _sources(ctx: CheckContext) -> list[api.TrustSource]:
    """Trust sources to compare: certifi, the OS store, and whatever the user configured."""
    out = [api.TrustSource("certifi"), api.TrustSource("system")]
    variable = api.ca_variable(ctx.settings.env)
    if variable is not None:
        out.append(variable)
    bundle = ctx.settings.get("network.ca_bundle")
    if bundle:
        import os

        out.append(api.TrustSource("ca_bundle", os.path.expanduser(str(bundle))))
    return out


@check("tls.{provider}", "TLS with {provider}", "tls", per_provider=True, needs_network=True, timeout=8,
       depends_on=("tcp.{provider}",), docs=DOCS)
async def tls_verify(ctx: CheckContext) -> Result:
    """Performs the TLS handshake with the provider and verifies its certificate chain against the client's
    trust settings and, side by side, against certifi, the OS store and any configured bundle, to name the
    cause of a failure.

    Uses the transport layer's trust plan (`network.trust_store`, `network.ca_bundle`, the CA variables
    `SSL_CERT_FILE` > `REQUESTS_CA_BUNDLE` > `CURL_CA_BUNDLE` > `SSL_CERT_DIR`) and tunnels through an `http://` proxy when one applies. One extra handshake without
    verification captures the chain, so the report can name its issuer, a known inspection product
    (Zscaler, Netskope, ...) and its dates; for a date error the server's `Date` header shows clock skew.

    ok: the chain verifies with perspt's settings (a note says when certifi alone would not trust it:
      interception or a private CA that your settings trust).
    warn: verified, but `SSL_CERT_FILE` holds fewer than 20 certificates and replaces the public CAs, so
      hosts that are not intercepted will fail. Fix: point it at a full bundle, or unset it and set
      `network.ca_bundle` (which adds to the defaults).
    fail: the CA settings are broken: a CA file or directory that does not exist, cannot be read or holds
      no PEM certificate. Fix: correct the path the summary names, or unset the setting.
    fail: `SSL_CERT_FILE` holds fewer than 20 certificates, replaces the public CAs, and this host's chain
      is not among them. Fix: as for the warning above.
    fail: the handshake itself fails: the port speaks plain HTTP, the server never answers the ClientHello,
      the connection is reset (SNI filtering), or the proxy will not open the tunnel. Fix: use `http://`
      or the HTTPS port; configure the proxy; run `perspt doctor --only 'proxy.*'`.
    fail: the certificate is for another host name; is self-signed; has expired or is not yet valid; the
      server sent no intermediate; or the issuer is an inspection or private CA that perspt does not trust
      (the summary says whether the OS store or a bundle trusts it). Fix: for interception, set
      `network.ca_bundle` to the organisation's root certificate or `network.trust_store` to `"system"`;
      check the base URL, DNS and hosts file for a wrong host; renew expired certificates.
    fail: your clock is off by more than 5 minutes, so a valid certificate looks expired or not yet
      valid. Fix: turn on time sync (`timedatectl set-ntp true` on Linux).
    fail: another verification error, such as a CA that breaks the RFC 5280 rules Python 3.13 enforces.
      Fix: set `network.trust_store` to `"system"`, or have the CA reissued.
    skip: the endpoint is plain `http://` (no TLS), or the proxy is HTTPS or SOCKS (then `http.{provider}`
      checks the path).
    skip: `--offline`, and the endpoint is not on this machine (or goes through a proxy that is not).
    """
    assert ctx.provider is not None
    route = api.route_for(ctx.settings, ctx.provider)
    endpoint = route.endpoint
    if not endpoint.is_https:
        return Result.skip(f"plain {endpoint.scheme}:// endpoint: no TLS", docs=DOCS)
    plan = api.trust_plan(ctx.settings)
    facts: dict[str, Any] = {"host": endpoint.host, "port": endpoint.port, "trust": plan.describe()}
    variable = api.ca_variable(ctx.settings.env)
    if variable is not None:
        in_effect = plan.variable() == variable
        facts["ca_variable"] = {"name": variable.name, "path": variable.location, "in_effect": in_effect}
    try:
        client_context = api.ssl_context(ctx.settings)
    except api.TransportConfigError as exc:
        return Result.fail(exc.message, hint=exc.hint, docs=DOCS, facts=facts)
    if route.via_proxy and route.proxy_scheme != "http":
        return Result.skip(f"TLS through a {route.proxy_scheme} proxy is checked by http.{ctx.provider}", docs=DOCS,
                           facts=facts)
    proxy = route.decision.proxy_url
    timeout = ctx.bounded(_timeout(ctx), reserve=0.4)
    sources = _sources(ctx)
    contexts: list[tuple[str, ssl.SSLContext | None, str | None]] = []
    for source in sources:
        try:
            contexts.append((source.name, api.context_for(source), None))
        except (api.TransportConfigError, OSError, ssl.SSLError) as exc:
            contexts.append((source.name, None, str(exc)))

    async def attempt(context: ssl.SSLContext) -> api.TLSOutcome:
        return await api.tls_handshake(endpoint.host, endpoint.port, context, timeout=timeout, proxy_url=proxy)

    capture, client, *others = await asyncio.gather(
        api.tls_handshake(endpoint.host, endpoint.port, api.insecure_context(), timeout=timeout, proxy_url=proxy),
        attempt(client_context), *(attempt(c) for _n, c, _e in contexts if c is not None))
    matrix: dict[str, str] = {"perspt": _label(client)}
    it = iter(others)
    results: dict[str, api.TLSOutcome | None] = {}
    for name, context, error in contexts:
        outcome = next(it) if context is not None else None
        results[name] = outcome
        matrix[name] = _label(outcome) if outcome else f"unusable: {error}"
    facts["verification"] = matrix
    if route.via_proxy:
        facts["via_proxy"] = route.proxy_label
    details = [f"verified with {name}: {value}" for name, value in matrix.items()]
    if not capture.ok:
        return _handshake_failure(route, capture, details, facts)
    chain = capture.chain
    facts["chain"] = [{"subject": api.flat_name(c.get("subject")), "issuer": api.flat_name(c.get("issuer")),
                       "not_before": c.get("notBefore"), "not_after": c.get("notAfter")} for c in chain]
    facts["tls_version"] = capture.version
    facts["handshake_ms"] = round(capture.ms, 1)
    for index, cert in enumerate(chain):
        details.append(f"chain[{index}]: {api.name_of(cert.get('subject')) or api.flat_name(cert.get('subject'))} "
                       f"(issued by {api.name_of(cert.get('issuer')) or api.flat_name(cert.get('issuer'))})")
    product = _product(chain)
    if product:
        facts["inspection_product"] = product
    warning = _cert_file_warning(ctx, plan.sources)
    if client.ok:
        summary = f"verified ({capture.version}, trust: {plan.describe()})"
        certifi_result = results.get("certifi")
        if certifi_result is not None and not certifi_result.ok:
            issuer = _top_issuer(chain)
            details.insert(0, f"certifi alone does not trust this chain (issuer {issuer!r}): TLS interception or a "
                              f"private CA{' (' + product + ')' if product else ''}, trusted through your settings")
        if warning:
            return Result.warn(warning[0], hint=warning[1], details=[summary, *details], docs=DOCS, facts=facts)
        return Result.ok(summary, details=details, docs=DOCS, facts=facts)
    return await _classify(ctx, route, client, results, chain, product, details, facts, warning)


def _label(outcome: api.TLSOutcome | None) -> str:
    if outcome is None:
        return "not tried"
    if outcome.ok:
        return "ok"
    cause = outcome.cause
    if cause and cause.verify_code is not None:
        return f"fails: {cause.verify_message} (code {cause.verify_code})"
    return f"fails: {cause.message if cause else 'unknown'}"


def _product(chain: list[dict[str, Any]]) -> str | None:
    text = " ".join(api.flat_name(c.get("issuer")) + " " + api.flat_name(c.get("subject")) for c in chain).lower()
    return next((p for p in INSPECTION_PRODUCTS if p.lower() in text), None)


def _top_issuer(chain: list[dict[str, Any]]) -> str:
    if not chain:
        return "?"
    top = chain[-1]
    rdn = top.get("subject") if top.get("subject") == top.get("issuer") else top.get("issuer")
    return api.name_of(rdn) or api.name_of(rdn, "organizationName") or api.flat_name(rdn)


def _self_signed(cert: dict[str, Any]) -> bool:
    return bool(cert) and cert.get("subject") == cert.get("issuer")


def _cert_file_warning(ctx: CheckContext, sources: list[api.TrustSource]) -> tuple[str, str] | None:
    """A CA file variable replaces the defaults: a file with only a corporate root breaks every other host."""
    first = sources[0] if sources else None
    if first is None or not first.is_variable or first.name == "SSL_CERT_DIR" or not first.location:
        return None
    try:
        with open(first.location, encoding="utf-8", errors="replace") as handle:
            count = handle.read().count("BEGIN CERTIFICATE")
    except OSError:
        return None
    if count >= 20:
        return None
    return (f"{first.name} ({first.location}) holds only {count} certificate(s) and replaces the public CAs: "
            "hosts that are not intercepted will fail",
            f"point {first.name} at a full bundle (certifi's, from `python -m certifi`, plus your CA), or unset it "
            "and set `network.ca_bundle` to your CA file instead (it adds to the defaults)")


def _handshake_failure(route: api.Route, capture: api.TLSOutcome, details: list[str], facts: dict[str, Any]) -> Result:
    cause = capture.cause
    kind = cause.kind if cause else Kind.TLS_HANDSHAKE
    facts["outcome"] = str(kind)
    if cause:
        facts["cause"] = cause.as_dict()
    where = route.endpoint.authority
    if cause and cause.is_proxy:
        status = cause.status if cause else None
        return Result.fail(f"the proxy {route.proxy_label} would not open a tunnel to {where} ({status})",
                           details=details, hint="run `perspt doctor --only 'proxy.*'`", docs=DOCS, facts=facts)
    if kind is Kind.TLS_PROTOCOL:
        return Result.fail(f"{where} does not speak TLS (wrong version number): it is a plain-HTTP port",
                           details=details, docs=DOCS, facts=facts,
                           hint=f"use http://{where} in the base URL, or the server's HTTPS port")
    if kind is Kind.CONNECT_TIMEOUT:
        return Result.fail(f"the TLS handshake with {where} timed out: the connection opens but the server never "
                           "answers the ClientHello", details=details, docs=DOCS, facts=facts,
                           hint="something in the path swallows TLS (an SNI filter, a VPN with a broken MTU, or "
                                "a proxy that needs to be configured: set HTTPS_PROXY)")
    if kind in (Kind.RESET, Kind.TLS_EOF):
        return Result.fail(f"{where} closed the connection during the TLS handshake", details=details, docs=DOCS,
                           facts=facts, hint="a firewall or proxy is filtering this destination by name (SNI); "
                                             "ask your network administrator, or use the configured proxy")
    return Result.fail(f"the TLS handshake with {where} failed: {cause.message if cause else 'unknown error'}",
                       details=details, docs=DOCS, facts=facts, hint="run with --verbose for the chain")


async def _classify(ctx: CheckContext, route: api.Route, client: api.TLSOutcome, results: dict[str, api.TLSOutcome | None],
                    chain: list[dict[str, Any]], product: str | None, details: list[str], facts: dict[str, Any],
                    warning: tuple[str, str] | None) -> Result:
    cause = client.cause
    code = cause.verify_code if cause else None
    facts["verify_code"] = code
    facts["verify_message"] = cause.verify_message if cause else None
    host = route.endpoint.host
    leaf = chain[0] if chain else {}
    trusted_by = [name for name, r in results.items() if r is not None and r.ok]
    if code is None:
        return _handshake_failure(route, client, details, facts)
    if warning and code in (19, 20):
        return Result.fail(warning[0], hint=warning[1], details=details, docs=DOCS, facts=facts)
    if code == 62:
        names = ", ".join(v for k, v in leaf.get("subjectAltName", ()) if k in ("DNS", "IP Address"))
        facts["outcome"] = "hostname-mismatch"
        return Result.fail(f"the certificate is for {names or api.name_of(leaf.get('subject'))}, not {host}",
                           details=details, docs=DOCS, facts=facts,
                           hint=f"something else answers for {host}: check the base URL, the DNS answer "
                                "(`perspt doctor --only 'dns.*'`), the hosts file and captive portals")
    if code in (9, 10):
        return await _dates(ctx, route, code, leaf, details, facts)
    if code == 18 or (code in (19, 20) and len(chain) == 1 and _self_signed(leaf)):
        facts["outcome"] = "self-signed"
        subject = api.name_of(leaf.get("subject")) or api.flat_name(leaf.get("subject"))
        if product:
            return _interception(route, product, subject, trusted_by, details, facts)
        return Result.fail(f"{host} presents a self-signed certificate ({subject!r})", details=details, docs=DOCS,
                           facts=facts, hint="if this server is yours and you trust it, save its certificate and set "
                                             "`network.ca_bundle` to that file; otherwise do not connect")
    if code in (19, 20):
        issuer = _top_issuer(chain)
        if trusted_by:
            facts["outcome"] = "interception-trusted-elsewhere" if product or code == 19 else "untrusted-by-perspt"
            return _trusted_elsewhere(trusted_by, issuer, product, details, facts)
        if code == 20 and len(chain) == 1 and not product and not route.endpoint.is_official_host:
            # A lone leaf from an unknown issuer: a missing intermediate and a private root look the same
            # from here. (Public API hosts always send their chain, so there it is interception, below.)
            facts["outcome"] = "missing-intermediate"
            named = api.name_of(leaf.get("issuer")) or issuer
            return Result.fail(f"{host} sent only its own certificate, issued by {named!r}, which no CA trusted "
                               "here vouches for: the server leaves out its intermediate certificate, or "
                               f"{named!r} is a private CA (a company CA or TLS interception)",
                               details=details, docs=DOCS, facts=facts,
                               hint="if the server is yours, make it send its full chain (leaf + intermediates); "
                                    "if the issuer is your organisation's CA or inspection proxy, get its "
                                    "certificate and set `network.ca_bundle` to that PEM file")
        return _interception(route, product, issuer, trusted_by, details, facts)
    facts["outcome"] = f"verify-{code}"
    strict = code in (85, 86, 89, 92)
    return Result.fail(f"certificate verification failed: {cause.verify_message if cause else ''} (code {code})",
                       details=details, docs=DOCS, facts=facts,
                       hint=("the CA breaks RFC 5280 rules that Python 3.13+ enforces; set `network.trust_store` to "
                             "\"system\" or ask IT to reissue the CA") if strict else "run with --verbose")


def _trusted_elsewhere(trusted_by: list[str], issuer: str, product: str | None, details: list[str],
                       facts: dict[str, Any]) -> Result:
    who = f" ({product})" if product else ""
    if "system" in trusted_by:
        fix = "set `network.trust_store` to \"system\" in the config to use the OS certificate store"
    elif "ca_bundle" in trusted_by:
        fix = "`network.trust_store`/SSL_CERT_FILE hide your `network.ca_bundle`: unset SSL_CERT_FILE"
    else:
        name = trusted_by[0]
        fix = f"the CA is in {name}; set `network.ca_bundle` to that file"
    return Result.fail(f"the certificate chain (issuer {issuer!r}{who}) is not trusted by perspt's CA settings but "
                       f"is trusted by {', '.join(trusted_by)}: TLS interception by a CA your machine knows",
                       details=details, hint=fix, docs=DOCS, facts=facts)


def _interception(route: api.Route, product: str | None, issuer: str, trusted_by: list[str], details: list[str],
                  facts: dict[str, Any]) -> Result:
    facts["outcome"] = "interception"
    who = f"{product} " if product else ""
    summary = (f"TLS to {route.endpoint.host} is intercepted: the certificate is issued by {issuer!r}, "
               f"a {who}inspection CA that is not a public CA and not trusted here")
    if not product:
        summary = (f"the certificate for {route.endpoint.host} is issued by {issuer!r}, which is not a public CA "
                   "and not trusted here (TLS interception or a private CA)")
    return Result.fail(summary, details=details, docs=DOCS, facts=facts,
                       hint="get your organisation's inspection root certificate (from IT, or export it from the "
                            "browser's certificate viewer) and set `network.ca_bundle` to that PEM file; if it is "
                            "installed in the OS, set `network.trust_store` to \"system\"")


async def _dates(ctx: CheckContext, route: api.Route, code: int, leaf: dict[str, Any], details: list[str],
                 facts: dict[str, Any]) -> Result:
    import email.utils

    probe = await api.tls_handshake(route.endpoint.host, route.endpoint.port, api.insecure_context(), timeout=ctx.bounded(_timeout(ctx), reserve=0.4),
                                proxy_url=route.decision.proxy_url, want_date=True, path=route.endpoint.path or "/")
    now = time.time()
    not_before = _when(leaf.get("notBefore"))
    not_after = _when(leaf.get("notAfter"))
    skew = None
    if probe.server_date:
        try:
            skew = now - email.utils.parsedate_to_datetime(probe.server_date).timestamp()
        except (TypeError, ValueError):
            skew = None
    facts["server_date"] = probe.server_date
    facts["clock_skew_s"] = round(skew) if skew is not None else None
    if skew is not None and abs(skew) > SKEW_WARN_S:
        server_now = now - skew
        valid_then = (not_before is None or not_before <= server_now) and (not_after is None or server_now <= not_after)
        if valid_then:
            facts["outcome"] = "clock-skew"
            direction = "ahead of" if skew > 0 else "behind"
            return Result.fail(f"this machine's clock is {_span(abs(skew))} {direction} the server's, so a valid "
                               f"certificate looks {'expired' if code == 10 else 'not yet valid'}",
                               details=details, docs=DOCS, facts=facts,
                               hint="fix the system clock and turn on time sync (Linux: `timedatectl set-ntp true`; "
                                    "Windows: Settings > Time > Sync now; macOS: Date & Time > set automatically)")
    if code == 10:
        facts["outcome"] = "expired"
        return Result.fail(f"the certificate of {route.endpoint.host} expired on {leaf.get('notAfter')}",
                           details=details, docs=DOCS, facts=facts,
                           hint="the server's certificate must be renewed (your clock agrees with the server's); "
                                "if it is a proxy or your own server, renew it there")
    facts["outcome"] = "not-yet-valid"
    return Result.fail(f"the certificate of {route.endpoint.host} is not valid before {leaf.get('notBefore')}",
                       details=details, docs=DOCS, facts=facts,
                       hint="the server uses a certificate from the future; if your clock is right, the server "
                            "must be fixed")


def _when(text: Any) -> float | None:
    try:
        return float(ssl.cert_time_to_seconds(str(text))) if text else None
    except ValueError:
        return None


def _span(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"
