"""The cause-chain walker: from whatever a request raised (an SDK wrapper, httpx, httpcore) down to the
one thing that went wrong, in words a user can act on, and the doctor command that explains it."""

from __future__ import annotations

import errno
import re
import socket
import ssl
from dataclasses import dataclass

KINDS = ("dns", "refused", "connect-timeout", "read-timeout", "write-timeout", "pool-timeout", "timeout",
         "tls-verify", "tls-protocol", "tls", "proxy", "proxy-config", "ca-file", "reset", "unreachable",
         "protocol", "unknown")

_DOCTOR_ONLY = {
    "dns": "dns.*", "refused": "tcp.*", "connect-timeout": "tcp.*", "unreachable": "tcp.*", "reset": "tls.*",
    "tls-verify": "tls.*", "tls-protocol": "tls.*", "tls": "tls.*", "ca-file": "tls.*", "proxy": "proxy.*",
    "proxy-config": "proxy.*", "read-timeout": "http.*", "write-timeout": "http.*", "pool-timeout": "http.*",
    "timeout": "http.*", "protocol": "http.*", "unknown": "http.*",
}

_EAI_NAMES = {
    getattr(socket, "EAI_NONAME", -2): "the name does not exist (NXDOMAIN)",
    getattr(socket, "EAI_AGAIN", -3): "temporary DNS failure: the resolver did not answer or failed (SERVFAIL)",
    getattr(socket, "EAI_FAIL", -4): "the DNS server failed permanently",
    getattr(socket, "EAI_NODATA", -5): "the name has no address records",
    11001: "the name does not exist (NXDOMAIN)",
    11002: "temporary DNS failure: the resolver did not answer",
    8: "the name does not exist (NXDOMAIN)",
}
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, 10049, 10051, 10065}
_REFUSED = {errno.ECONNREFUSED, 10061}
_RESET = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, 10053, 10054}


@dataclass(frozen=True)
class RootCause:
    kind: str
    message: str
    detail: str = ""
    """The deepest exception as `Type: text`."""
    verify_code: int | None = None
    verify_message: str | None = None
    status: int | None = None
    """An HTTP status from a proxy (407, 403, ...)."""
    errno: int | None = None
    url: str | None = None

    def describe(self) -> str:
        """One line: what went wrong, where."""
        where = f" ({self.url})" if self.url else ""
        return f"{self.message}{where}"

    @property
    def doctor_hint(self) -> str:
        return f"run `perspt doctor --only '{_DOCTOR_ONLY.get(self.kind, 'http.*')}'` to find out why"


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


def _status_in(text: str) -> int | None:
    match = re.match(r"\s*(\d{3})\b", text)
    return int(match.group(1)) if match else None


def root_cause(exc: BaseException) -> RootCause:
    from perspt_doctor import redact

    chain = chain_of(exc)
    url = _url_of(chain)
    deepest = chain[-1]
    detail = redact.redact(f"{type(deepest).__name__}: {deepest}")
    names = [type(e).__name__ for e in chain]

    def made(kind: str, message: str, **kw: object) -> RootCause:
        return RootCause(kind, redact.redact(message), detail, url=url, **kw)  # type: ignore[arg-type]

    for item in reversed(chain):
        if isinstance(item, ssl.SSLCertVerificationError):
            code = item.verify_code
            text = item.verify_message or str(item)
            return made("tls-verify", f"TLS certificate verification failed: {text} (verify code {code})",
                        verify_code=code, verify_message=text)
        if isinstance(item, socket.gaierror):
            return made("dns", f"DNS lookup failed: {_EAI_NAMES.get(item.errno or 0, str(item))}",
                        errno=item.errno)
        if type(item).__module__.startswith("dns.") and type(item).__name__ in (
                "NXDOMAIN", "NoAnswer", "NoNameservers", "LifetimeTimeout", "Timeout"):
            return made("dns", f"DNS lookup failed: {item}")
        if isinstance(item, ssl.SSLError):
            reason = getattr(item, "reason", None) or ""
            if reason == "WRONG_VERSION_NUMBER":
                return made("tls-protocol", "the other side does not speak TLS (an http:// port, or an https:// "
                            "proxy URL for a plain proxy)")
            if reason == "UNEXPECTED_EOF_WHILE_READING" or isinstance(item, ssl.SSLEOFError):
                return made("reset", "the connection was closed during the TLS handshake (a filter or proxy "
                            "refusing this destination)")
            return made("tls", f"TLS handshake failed: {reason or item}")
        if isinstance(item, OSError) and item.errno is not None:
            if item.errno in _REFUSED:
                return made("refused", "connection refused: nothing listens on that port (or a firewall "
                            "rejects it)", errno=item.errno)
            if item.errno in _UNREACHABLE:
                return made("unreachable", f"no route to the host: {item.strerror}", errno=item.errno)
            if item.errno in _RESET:
                return made("reset", "the connection was reset by the other side", errno=item.errno)
            if item.errno == errno.ENOENT and item.filename:
                return made("ca-file", f"a CA file is missing: {item.filename}", errno=item.errno)
    for item in chain:
        name = type(item).__name__
        if name == "TransportConfigError":
            kind = "ca-file" if "CERT" in str(getattr(item, "setting", "")) or "ca_bundle" in str(
                getattr(item, "setting", "")) else "proxy-config"
            return made(kind, str(item))
        if name == "ProxyError":
            status = _status_in(str(item))
            return made("proxy", f"the proxy refused the request: {item}", status=status)
        if name in ("ConnectTimeout",):
            return made("connect-timeout", "timed out while connecting (no answer to the connection or the TLS "
                        "handshake: a firewall dropping packets, or a dead route)")
        if name in ("ReadTimeout",):
            return made("read-timeout", "connected, but the server sent no reply in time (read timeout)")
        if name == "WriteTimeout":
            return made("write-timeout", "timed out while sending the request")
        if name == "PoolTimeout":
            return made("pool-timeout", "no free connection in the pool in time")
        if name in ("RemoteProtocolError", "LocalProtocolError", "ProtocolError"):
            return made("protocol", f"the server broke the HTTP protocol: {item}")
    if any(n in ("TimeoutError", "Timeout", "APITimeoutError") for n in names):
        return made("timeout", "timed out")
    if isinstance(deepest, ImportError) and "socks" in str(deepest).lower():
        return made("proxy-config", "a SOCKS proxy is configured but the socksio package is missing")
    if isinstance(deepest, ValueError) and "proxy" in str(deepest).lower():
        return made("proxy-config", f"the proxy URL is invalid: {deepest}")
    return made("unknown", f"{type(deepest).__name__}: {deepest}")
