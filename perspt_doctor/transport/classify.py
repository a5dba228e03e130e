"""The one classifier of failures. Whatever went wrong (an exception from any depth of httpx, httpcore,
ssl or the socket layer, or an HTTP reply from a provider or a proxy) becomes one `Cause`: a stable kind
from `Kind`, the layer it belongs to, the host it concerns (the proxy's when the proxy is at fault), a
line a user can act on, and the doctor command whose check explains it.

The chat client's messages, `--test-connection`, the provider errors, the checks and the report all
classify here, so they can never disagree. Exceptions are read by type down their cause chain; only the
words of a provider's error body (quota, model, key) are matched as text, because no type exists there.
"""

from __future__ import annotations

import errno
import json
import re
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit


class Kind(str, Enum):
    DNS = "dns"
    NO_PUBLIC_DNS = "no_public_dns"
    """Not one name's failure: this machine resolves no public name (no network, or DNS is filtered)."""
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    RESET = "reset"
    CONNECT_TIMEOUT = "connect_timeout"
    READ_TIMEOUT = "read_timeout"
    WRITE_TIMEOUT = "write_timeout"
    POOL_TIMEOUT = "pool_timeout"
    TIMEOUT = "timeout"
    PROXY_REFUSED = "proxy_refused"
    PROXY_UNREACHABLE = "proxy_unreachable"
    PROXY_AUTH = "proxy_auth"
    PROXY_DENIED = "proxy_denied"
    PROXY_FAILED = "proxy_failed"
    PROXY_CONFIG = "proxy_config"
    CA_FILE = "ca_file"
    TLS_UNTRUSTED = "tls_untrusted"
    TLS_EXPIRED = "tls_expired"
    TLS_HOSTNAME = "tls_hostname"
    TLS_PROTOCOL = "tls_protocol"
    TLS_EOF = "tls_eof"
    TLS_HANDSHAKE = "tls_handshake"
    PROTOCOL = "protocol"
    STREAM_CUT = "stream_cut"
    MISSING_KEY = "missing_key"
    AUTH = "auth"
    FORBIDDEN = "forbidden"
    QUOTA = "quota"
    RATE_LIMIT = "rate_limit"
    MODEL_NOT_FOUND = "model_not_found"
    CONTEXT_TOO_LONG = "context_too_long"
    ENDPOINT_NOT_FOUND = "endpoint_not_found"
    BAD_REQUEST = "bad_request"
    BAD_RESPONSE = "bad_response"
    SERVER = "server"
    OVERLOADED = "overloaded"
    OUT_OF_MEMORY = "out_of_memory"
    OLLAMA_NOT_RUNNING = "ollama_not_running"
    OLLAMA_CONFIG = "ollama_config"
    PYTHON_TLS = "python_tls"
    """Python itself cannot load its TLS library (`import ssl` fails): no request can be made at all."""
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


LAYERS = ("runtime", "config", "keys", "proxy", "dns", "tcp", "tls", "http", "auth", "model", "ratelimit", "live",
          "ollama", "memory")
"""Every layer a cause can belong to, earliest first: the order in which one failure explains the next.
Each is also the check category whose checks explain it (`perspt doctor --only 'LAYER.*'`)."""

_LAYER = {
    Kind.DNS: "dns", Kind.NO_PUBLIC_DNS: "dns", Kind.REFUSED: "tcp", Kind.UNREACHABLE: "tcp", Kind.RESET: "tls", Kind.CONNECT_TIMEOUT: "tcp",
    Kind.READ_TIMEOUT: "http", Kind.WRITE_TIMEOUT: "http", Kind.POOL_TIMEOUT: "http", Kind.TIMEOUT: "http",
    Kind.PROXY_REFUSED: "proxy", Kind.PROXY_UNREACHABLE: "proxy", Kind.PROXY_AUTH: "proxy",
    Kind.PROXY_DENIED: "proxy", Kind.PROXY_FAILED: "proxy", Kind.PROXY_CONFIG: "proxy", Kind.CA_FILE: "tls",
    Kind.TLS_UNTRUSTED: "tls", Kind.TLS_EXPIRED: "tls", Kind.TLS_HOSTNAME: "tls", Kind.TLS_PROTOCOL: "tls",
    Kind.TLS_EOF: "tls", Kind.TLS_HANDSHAKE: "tls", Kind.PROTOCOL: "http", Kind.STREAM_CUT: "live",
    Kind.MISSING_KEY: "keys", Kind.AUTH: "auth", Kind.FORBIDDEN: "auth", Kind.QUOTA: "ratelimit",
    Kind.RATE_LIMIT: "ratelimit", Kind.MODEL_NOT_FOUND: "model", Kind.CONTEXT_TOO_LONG: "model",
    Kind.ENDPOINT_NOT_FOUND: "http", Kind.BAD_REQUEST: "http", Kind.BAD_RESPONSE: "http", Kind.SERVER: "http",
    Kind.OVERLOADED: "http", Kind.OUT_OF_MEMORY: "memory", Kind.OLLAMA_NOT_RUNNING: "tcp",
    Kind.OLLAMA_CONFIG: "ollama", Kind.PYTHON_TLS: "runtime", Kind.UNKNOWN: "http",
}
_NETWORK_LAYERS = ("dns", "tcp", "tls", "http")
_UNSCOPED_LAYERS = ("proxy", "keys", "runtime")
"""Doctor commands for these layers check every provider: the proxy and the keys are shared settings."""


@dataclass(frozen=True)
class Cause:
    kind: Kind
    message: str
    """What went wrong, in words a user can act on (redacted)."""
    host: str | None = None
    """`host:port` the cause concerns: the proxy's for proxy causes, the endpoint's otherwise."""
    detail: str = ""
    """The deepest exception as `Type: text`."""
    status: int | None = None
    verify_code: int | None = None
    verify_message: str | None = None
    errno: int | None = None
    url: str | None = None
    provider: str | None = None
    """Set for Ollama, whose network and model causes its own checks explain."""
    via: str | None = None
    """`host:port` of the proxy the request went through, if any."""

    @property
    def layer(self) -> str:
        """Where on the path it failed (dns, tcp, proxy, tls, http, auth, model, ...)."""
        if self.kind is Kind.RESET and (self.url or "").startswith("http://"):
            return "tcp"  # no TLS on a plain-http connection: the reset came from the server or the path
        return _LAYER[self.kind]

    @property
    def area(self) -> str:
        """The check category that explains it: the layer, except that Ollama's own checks explain its
        network and model failures."""
        layer = self.layer
        if self.provider == "ollama" and layer in (*_NETWORK_LAYERS, "model", "ollama"):
            return "ollama"
        return layer

    @property
    def is_proxy(self) -> bool:
        return _LAYER[self.kind] == "proxy"

    def describe(self) -> str:
        """One line: what went wrong, where."""
        if self.host and self.host in self.message:
            return self.message
        where = f" ({self.url})" if self.url and not self.is_proxy else (f" ({self.host})" if self.host else "")
        return f"{self.message}{where}"

    def doctor_command(self, provider: str | None = None) -> str | None:
        """The doctor command whose checks explain this cause (None: no check does, e.g. a conversation
        too long for the model)."""
        if self.kind is Kind.CONTEXT_TOO_LONG:
            return None
        area = self.area
        scope = f" --provider {provider}" if provider and area not in _UNSCOPED_LAYERS else ""
        # memory: only a request (which loads the model) shows what the estimate cannot
        live = " --live" if area == "live" or self.kind is Kind.OUT_OF_MEMORY else ""
        return f"perspt doctor{scope}{live} --only '{area}.*'"

    @property
    def doctor_hint(self) -> str:
        return f"run `{self.doctor_command() or 'perspt doctor'}` to find out why"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "layer": self.layer, "area": self.area, "host": self.host,
                "message": self.message}


def cause_of(kind: Kind, message: str, **kw: Any) -> Cause:
    from perspt_doctor import redact

    return Cause(kind, redact.redact(message), **kw)


# ---- exceptions ------------------------------------------------------------------------------

_EAI = {
    getattr(socket, "EAI_NONAME", -2): ("nxdomain", "the name does not exist (NXDOMAIN)"),
    getattr(socket, "EAI_AGAIN", -3): ("temporary", "temporary DNS failure: the resolver did not answer or failed "
                                                    "(SERVFAIL)"),
    getattr(socket, "EAI_FAIL", -4): ("servfail", "the DNS server failed permanently"),
    getattr(socket, "EAI_NODATA", -5): ("noanswer", "the name has no address records"),
    11001: ("nxdomain", "the name does not exist (NXDOMAIN)"),
    11002: ("temporary", "temporary DNS failure: the resolver did not answer"),
    8: ("nxdomain", "the name does not exist (NXDOMAIN)"),
}


def resolver_failure(exc: socket.gaierror) -> tuple[str, str]:
    """(outcome, words) for a getaddrinfo error: nxdomain, temporary, servfail, noanswer or error."""
    return _EAI.get(exc.errno or 0, ("error", str(exc)))


_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, 10049, 10051, 10065}
_REFUSED = {errno.ECONNREFUSED, 10061}
_RESET = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, 10053, 10054}
_EXPIRED_CODES = {9, 10}
"""X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED."""
_HOSTNAME_CODES = {62}
"""X509_V_ERR_HOSTNAME_MISMATCH."""


TLS_LIBRARY_HINT = ("install your distribution's OpenSSL package (libssl3 on Debian and Ubuntu, openssl-libs on "
                    "Fedora), or reinstall perspt with the distribution's Python")


def tls_library_fault() -> str | None:
    """Why `import ssl` fails (e.g. `libssl.so.3` missing), None when Python's TLS library loads. Nothing
    that sends a request can work then; the doctor reports it as `runtime.python`."""
    try:
        import ssl  # noqa: F401
    except ImportError as exc:
        return str(exc) or type(exc).__name__
    return None


def chain_of(exc: BaseException) -> list[BaseException]:
    """The exception and everything beneath it (`__cause__`, else `__context__`), outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 20:
        seen.append(current)
        group = getattr(current, "exceptions", None)
        if current.__cause__ is None and current.__context__ is None and group:
            current = group[0]
            continue
        # httpcore re-raises with the context suppressed; the context is still the real cause.
        current = current.__cause__ or current.__context__
    return seen


def _url_of(chain: list[BaseException]) -> str | None:
    for item in chain:
        request = getattr(item, "_request", None)
        if request is not None:
            return str(request.url)
    return None


def authority(url: str | None) -> str | None:
    """`host:port` of a URL (the scheme's default port when none is written)."""
    if not url:
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        return None
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme, 1080)
    except ValueError:
        return parts.hostname
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port}"


def classify(exc: BaseException, *, proxy: str | None = None, provider: str | None = None) -> Cause:
    """The cause of a failed request. `proxy` is the proxy URL the request went through (None: direct),
    so that a failure to reach the first hop is named as the proxy's."""
    from perspt_doctor import redact

    chain = chain_of(exc)
    url = _url_of(chain)
    deepest = chain[-1]
    detail = redact.redact(f"{type(deepest).__name__}: {deepest}")
    proxy_host = authority(proxy)
    endpoint = authority(url)

    def made(kind: Kind, message: str, *, host: str | None = None, **kw: Any) -> Cause:
        if kind is Kind.REFUSED and provider == "ollama" and not proxy:
            kind = Kind.OLLAMA_NOT_RUNNING
        return Cause(kind, redact.redact(message), host or endpoint, detail, url=url,
                     provider=provider, via=proxy_host, **kw)

    broken = tls_library_fault()
    if broken is not None:
        return made(Kind.PYTHON_TLS, f"Python cannot load its TLS library (import ssl fails: {broken})")
    import ssl

    for item in reversed(chain):
        if isinstance(item, ssl.SSLCertVerificationError):
            code = item.verify_code
            text = item.verify_message or str(item)
            kind = (Kind.TLS_EXPIRED if code in _EXPIRED_CODES else Kind.TLS_HOSTNAME if code in _HOSTNAME_CODES
                    else Kind.TLS_UNTRUSTED)
            return made(kind, f"TLS certificate verification failed: {text} (verify code {code})",
                        verify_code=code, verify_message=text)
        if isinstance(item, socket.gaierror):
            text = resolver_failure(item)[1]
            if proxy_host:
                return made(Kind.PROXY_UNREACHABLE, f"the proxy {proxy_host} cannot be found: {text}",
                            host=proxy_host, errno=item.errno)
            return made(Kind.DNS, f"DNS lookup failed: {text}", errno=item.errno)
        dns_exception = sys.modules.get("dns.exception")
        if dns_exception is not None and isinstance(item, dns_exception.DNSException):
            return made(Kind.DNS, f"DNS lookup failed: {item}")
        if isinstance(item, ssl.SSLError):
            reason = getattr(item, "reason", None) or ""
            if reason == "WRONG_VERSION_NUMBER":
                return made(Kind.TLS_PROTOCOL, "the other side does not speak TLS (an http:// port, or an https:// "
                            "proxy URL for a plain proxy)")
            if reason == "UNEXPECTED_EOF_WHILE_READING" or isinstance(item, ssl.SSLEOFError):
                return made(Kind.TLS_EOF, "the connection was closed during the TLS handshake (a filter or proxy "
                            "refusing this destination)")
            return made(Kind.TLS_HANDSHAKE, f"TLS handshake failed: {reason or item}")
        if isinstance(item, OSError) and item.errno is not None:
            found = _os_error(item, proxy_host)
            if found is not None:
                kind, message, host = found
                return made(kind, message, host=host, errno=item.errno)
    return _by_type(chain, deepest, proxy_host, made)


def _os_error(item: OSError, proxy_host: str | None) -> tuple[Kind, str, str | None] | None:
    if item.errno in _REFUSED:
        if proxy_host:
            return (Kind.PROXY_REFUSED, f"the proxy {proxy_host} refuses connections: nothing listens on that port "
                    "(or a firewall rejects it)", proxy_host)
        return Kind.REFUSED, "connection refused: nothing listens on that port (or a firewall rejects it)", None
    if item.errno in _UNREACHABLE:
        if proxy_host:
            return Kind.PROXY_UNREACHABLE, f"no route to the proxy {proxy_host}: {item.strerror}", proxy_host
        return Kind.UNREACHABLE, f"no route to the host: {item.strerror}", None
    if item.errno in _RESET:
        if proxy_host:  # the other side of this connection is the proxy: it reset it, or passed a reset on
            return (Kind.PROXY_FAILED, f"the proxy {proxy_host} reset the connection (it may want credentials, "
                    "refuse this destination, or pass on a reset from behind it)", proxy_host)
        return Kind.RESET, "the connection was reset by the other side", None
    if item.errno == errno.ENOENT and item.filename:
        return Kind.CA_FILE, f"a CA file is missing: {item.filename}", None
    return None


def _by_type(chain: list[BaseException], deepest: BaseException, proxy_host: str | None, made: Any) -> Cause:
    from perspt_doctor.transport.trust import TransportConfigError

    httpx = sys.modules.get("httpx")
    for item in chain:
        if isinstance(item, TransportConfigError):
            setting = str(item.setting or "")
            kind = (Kind.OLLAMA_CONFIG if "OLLAMA" in setting else Kind.CA_FILE
                    if "CERT" in setting or "ca_bundle" in setting else Kind.PROXY_CONFIG)
            return made(kind, item.message)
        if httpx is None:
            continue
        if isinstance(item, httpx.ProxyError):
            match = re.match(r"\s*(\d{3})\b", str(item))
            return proxy_reply(int(match.group(1)) if match else None, str(item), proxy_host, made)
        if isinstance(item, httpx.ConnectTimeout):
            if proxy_host:
                return made(Kind.CONNECT_TIMEOUT, f"timed out while connecting through the proxy {proxy_host} "
                            "(the proxy, or the tunnel it opens, does not answer)", host=proxy_host)
            return made(Kind.CONNECT_TIMEOUT, "timed out while connecting (no answer to the connection or the TLS "
                        "handshake: a firewall dropping packets, or a dead route)")
        if isinstance(item, httpx.ReadTimeout):
            return made(Kind.READ_TIMEOUT, "connected, but the server sent no reply in time (read timeout)")
        if isinstance(item, httpx.WriteTimeout):
            return made(Kind.WRITE_TIMEOUT, "timed out while sending the request")
        if isinstance(item, httpx.PoolTimeout):
            return made(Kind.POOL_TIMEOUT, "no free connection in the pool in time")
        if isinstance(item, httpx.LocalProtocolError):  # h11 refused to send what perspt built
            return made(Kind.BAD_REQUEST, f"the request could not be sent: {item} (nothing reached the server)")
        if isinstance(item, httpx.ProtocolError):
            return made(Kind.PROTOCOL, f"the server broke the HTTP protocol: {item}")
    import asyncio

    if any(isinstance(e, TimeoutError | asyncio.TimeoutError) for e in chain) or (
            httpx is not None and any(isinstance(e, httpx.TimeoutException) for e in chain)):
        return made(Kind.TIMEOUT, "timed out")
    if isinstance(deepest, ImportError) and "socks" in str(deepest).lower():
        return made(Kind.PROXY_CONFIG, "a SOCKS proxy is configured but the socksio package is missing")
    if isinstance(deepest, ValueError) and "proxy" in str(deepest).lower():
        return made(Kind.PROXY_CONFIG, f"the proxy URL is invalid: {deepest}")
    # Words for people; the exception itself stays in `detail` (shown with --verbose and in the JSON).
    return made(Kind.UNKNOWN, str(deepest).strip() or "an unexpected error with no message")


def proxy_reply(status: int | None, reason: str, proxy_host: str | None, made: Any = None) -> Cause:
    """A proxy's own answer (to CONNECT, or to a forwarded request): 407, 403, 502..."""
    made = made or (lambda kind, message, **kw: cause_of(kind, message, **kw))
    where = f"the proxy {proxy_host}" if proxy_host else "the proxy"
    text = reason.strip() or str(status or "")
    if status == 407:
        return made(Kind.PROXY_AUTH, f"{where} asks for credentials (HTTP 407): its user name or password is missing "
                    "or wrong", host=proxy_host, status=status)
    if status == 403:
        return made(Kind.PROXY_DENIED, f"{where} refuses this destination ({text}): its policy does not allow it",
                    host=proxy_host, status=status)
    return made(Kind.PROXY_FAILED, f"the proxy refused the request: {text}" if not proxy_host else
                f"{where} failed the request ({text}): it could not reach the destination", host=proxy_host,
                status=status)


# ---- HTTP replies ----------------------------------------------------------------------------

class _Text:
    """A case-insensitive pattern compiled on its first search: compiling these costs milliseconds at every
    start, and most runs classify no reply at all."""

    def __init__(self, pattern: str) -> None:
        self._pattern = pattern
        self._compiled: re.Pattern[str] | None = None

    def search(self, text: str) -> re.Match[str] | None:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, re.IGNORECASE)
        return self._compiled.search(text)


QUOTA_CODES = {"insufficient_quota", "credit_balance_exhausted", "organization_spend_limit_exceeded",
               "project_spend_limit_exceeded", "organization_usage_limit_exceeded", "billing_error",
               "billing_hard_limit_reached", "enforced_spend_limit_reached"}
_QUOTA_TEXT = _Text(
    r"credit balance is too low|insufficient (?:balance|credits?)|exceeded your current quota|"
    r"used all available credits|monthly spending limit|doesn't have any credits|billing|"
    r"limited to \d+ api calls / month|payment required")
_CONTEXT_TEXT = _Text(
    r"context length|context window|maximum prompt length|prompt is too long|too many tokens|"
    r"exceed(?:s|ed)? (?:the )?(?:context|max(?:imum)? (?:number of )?tokens)|input is too long|request too large|"
    r"token count[^.]*exceeds")
_CONTEXT_CODES = {"context_length_exceeded", "exceed_context_size_error", "request_too_large",
                  "string_above_max_length"}
_MODEL_TEXT = _Text(
    r"model[^.]*(?:does not exist|not found|not exist|is not supported for|no longer accessible|deprecated)|"
    r"invalid model|not a valid model|unknown model|no endpoints found|model not exist")
_AUTH_TEXT = _Text(
    r"api key not valid|invalid api key|incorrect api key|invalid x-api-key|invalid api token|unauthori[sz]ed|"
    r"no auth credentials|api key not found|unregistered callers|reported as leaked|authentication fails")
_REGION_TEXT = _Text(r"location is not supported|country, region, or territory|unsupported_country")
_ENDPOINT_TEXT = _Text(r"invalid url|unknown (?:request )?url|no route|unrecognized request url|"
                       r"page not found|path not found")
_OVERLOAD_TEXT = _Text(r"overloaded|server busy|capacity|unavailable")
OUT_OF_MEMORY_MARKERS = ("out of memory", "cudamalloc failed", "insufficient memory", "not enough memory",
                         "failed to allocate", "requires more system memory", "unable to load full model",
                         "resource limitations")
_TYPE_STATUS = {"overloaded_error": 529, "rate_limit_error": 429, "authentication_error": 401,
                "permission_error": 403, "not_found_error": 404, "invalid_request_error": 400,
                "billing_error": 402, "RESOURCE_EXHAUSTED": 429, "UNAVAILABLE": 503, "INVALID_ARGUMENT": 400,
                "PERMISSION_DENIED": 403, "NOT_FOUND": 404, "rate_limit_exceeded": 429}
_PROXY_SERVERS = ("squid", "tinyproxy", "privoxy", "zscaler", "bluecoat", "mitmproxy")


def is_out_of_memory(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in OUT_OF_MEMORY_MARKERS)


def parse_body(raw: bytes) -> Any:
    """The JSON of an error body, or None when it is not JSON."""
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def extract(body: Any) -> tuple[str, str | None, str | None, dict[str, Any]]:
    """(message, code, type, error object) from any of the providers' error envelopes."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]  # Gemini array-wrapped errors
    if not isinstance(body, dict):
        return "", None, None, {}
    err = body.get("error")
    if isinstance(err, dict):
        code = err.get("code")
        etype = err.get("type") or err.get("status")
        details = err.get("details")
        if isinstance(details, dict) and isinstance(details.get("error_code"), str):
            code = details["error_code"]  # Anthropic spend limits
        return (str(err.get("message") or ""), str(code) if isinstance(code, str) else None,
                str(etype) if isinstance(etype, str) else None, err)
    if isinstance(err, str):  # xAI, Ollama, vLLM auth: flat string
        code = body.get("code")
        return err, str(code) if isinstance(code, str) else None, body.get("type"), body
    message = body.get("message") or body.get("detail") or ""
    if not isinstance(message, str):
        message = json.dumps(message)[:200]
    code = body.get("code")
    return (message, str(code) if code is not None and not isinstance(code, bool) else None,
            body.get("type") if isinstance(body.get("type"), str) else None, body)


def gemini_reason(err: Mapping[str, Any]) -> str | None:
    for detail in err.get("details") or ():
        if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
            return str(detail["reason"])
    return None


def _gemini_daily(err: Mapping[str, Any]) -> bool:
    for detail in err.get("details") or ():
        if isinstance(detail, dict):
            for violation in detail.get("violations") or ():
                if isinstance(violation, dict) and "PerDay" in str(violation.get("quotaId", "")):
                    return True
    return False


def from_proxy(status: int, headers: Mapping[str, str], not_json: bool) -> bool:
    """Whether a reply came from a proxy rather than the API: 407 always; a 403/502/503/504 that is not
    the API's JSON and carries a proxy's marks (`Via`, `X-Squid-Error`, a proxy's `Server`)."""
    if status == 407:
        return True
    if status not in (403, 502, 503, 504) or not not_json:
        return False
    lower = {k.lower(): v for k, v in headers.items()}
    server = lower.get("server", "").lower()
    return "via" in lower or "x-squid-error" in lower or any(name in server for name in _PROXY_SERVERS)


def proxy_own_reply(status: int, headers: Mapping[str, str], *, tunnel: bool, not_json: bool = True) -> bool:
    """Whether the answer to a request sent to a proxy is the proxy's own, rather than the origin's reply
    relayed through it. Every answer to CONNECT is the proxy's (the origin is reached only after a 200). A
    relayed request's answer is the proxy's when it is a 407, carries `Proxy-Authenticate`, or is a 401
    without the origin's `WWW-Authenticate` whose `Server` is a proxy product; other statuses as `from_proxy`.
    A 401 whose `Server` is the origin's is the origin asking for its API key: never a proxy verdict."""
    if status == 407:
        return True
    if tunnel:
        return status != 200
    lower = {k.lower(): v for k, v in headers.items()}
    if "proxy-authenticate" in lower:
        return True
    if status == 401:
        server = lower.get("server", "").lower()
        return "www-authenticate" not in lower and any(name in server for name in _PROXY_SERVERS)
    return from_proxy(status, headers, not_json)


def classify_reply(status: int, raw: bytes = b"", headers: Mapping[str, str] | None = None, *, protocol: str = "",
                   proxy: str | None = None, url: str | None = None, provider: str | None = None) -> Cause:
    """The cause of an HTTP error reply (or of an error event inside a 200 stream). `proxy` is the proxy
    URL the request went through: a proxy's own refusal is then named as the proxy's."""
    headers = headers or {}
    body = parse_body(raw)
    message, code, etype, err = extract(body)
    not_json = body is None
    if from_proxy(status, headers, not_json):
        reason = raw[:200].decode("utf-8", "replace").strip().splitlines()[0] if raw.strip() else ""
        return proxy_reply(status, f"HTTP {status}" + (f": {reason}" if reason else ""), authority(proxy))
    if protocol == "gemini" and isinstance(err, dict) and etype and not code:
        code = gemini_reason(err) or etype
    effective = status
    if status < 400 and body is not None:  # an error event inside a 200 stream
        numeric = err.get("code") if isinstance(err, dict) else None
        effective = numeric if isinstance(numeric, int) and numeric >= 400 else _TYPE_STATUS.get(code or etype or "",
                                                                                                 500)
    kind = _reply_kind(protocol, effective, message, {c for c in (code, etype) if c}, err, not_json)
    return cause_of(kind, message or f"HTTP {status}", host=authority(url), status=status or None, url=url,
                    provider=provider)


def _reply_kind(protocol: str, status: int, message: str, codes: set[str], err: Mapping[str, Any],
                not_json: bool) -> Kind:
    if not_json:
        return {401: Kind.AUTH, 403: Kind.FORBIDDEN, 429: Kind.RATE_LIMIT, 529: Kind.OVERLOADED,
                503: Kind.OVERLOADED, 404: Kind.ENDPOINT_NOT_FOUND}.get(
            status, Kind.SERVER if status >= 500 else Kind.BAD_RESPONSE)
    if codes & QUOTA_CODES or status == 402:
        return Kind.QUOTA
    if status == 401 or "API_KEY_INVALID" in codes or "authentication_error" in codes:
        return Kind.AUTH
    if protocol == "cohere" and status == 498:
        return Kind.AUTH
    if status == 429:
        if _QUOTA_TEXT.search(message) and not (protocol == "gemini" and not _gemini_daily(err)
                                                and "limit: 0" not in message):
            return Kind.QUOTA
        return Kind.RATE_LIMIT
    if status in (400, 403) and _QUOTA_TEXT.search(message) and "quota" not in message.lower():
        return Kind.QUOTA
    if status in (400, 403) and _AUTH_TEXT.search(message):
        return Kind.AUTH
    if status in (400, 403) and _REGION_TEXT.search(message + " " + " ".join(codes)):
        return Kind.FORBIDDEN
    if codes & _CONTEXT_CODES or (status in (400, 413, 422) and _CONTEXT_TEXT.search(message)):
        return Kind.CONTEXT_TOO_LONG
    if "model_not_found" in codes or "invalid_model" in codes:
        return Kind.MODEL_NOT_FOUND
    if status == 403:
        return Kind.FORBIDDEN
    if status == 404:
        if _ENDPOINT_TEXT.search(message):
            return Kind.ENDPOINT_NOT_FOUND
        if _MODEL_TEXT.search(message) or "model" in message.lower() or protocol == "anthropic":
            return Kind.MODEL_NOT_FOUND
        return Kind.ENDPOINT_NOT_FOUND
    if status == 400 and _MODEL_TEXT.search(message):
        return Kind.MODEL_NOT_FOUND
    if status >= 500 and is_out_of_memory(message):
        return Kind.OUT_OF_MEMORY
    if status in (529, 498) or "overloaded_error" in codes:
        return Kind.OVERLOADED
    if status == 503 or (status >= 500 and _OVERLOAD_TEXT.search(message)):
        return Kind.OVERLOADED
    if status >= 500 or status in (408, 409):
        return Kind.SERVER
    return Kind.BAD_REQUEST
