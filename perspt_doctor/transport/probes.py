"""Low-level network probes for the doctor: resolve, connect per address, open a proxy tunnel, and
handshake TLS with a chosen trust. All are asyncio-native, so a run's deadline cancels them at once."""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

from perspt_doctor.errors import TransportError
from perspt_doctor.transport.classify import Cause, Kind, authority, cause_of, classify, proxy_reply
from perspt_doctor.transport.proxy import proxy_parts


@dataclass(frozen=True)
class Address:
    family: int
    ip: str

    @property
    def label(self) -> str:
        return "IPv6" if self.family == socket.AF_INET6 else "IPv4"


async def system_resolve(host: str, port: int, timeout: float) -> tuple[list[Address], float]:
    """getaddrinfo, as the client calls it, in order; (addresses, milliseconds)."""
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
    seen: list[Address] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        address = Address(int(family), str(sockaddr[0]))
        if address not in seen and family in (socket.AF_INET, socket.AF_INET6):
            seen.append(address)
    return seen, (time.perf_counter() - started) * 1000


@dataclass
class ConnectResult:
    address: Address
    ok: bool
    ms: float
    kind: str = "ok"
    """ok, refused, timeout, unreachable, reset, error."""
    error: str = ""
    cause: Cause | None = None


async def tcp_connect(address: Address, port: int, timeout: float, *, proxy: str | None = None) -> ConnectResult:
    """One TCP connection. `proxy`: the proxy URL when `address` is that proxy, so the classified cause
    (`ConnectResult.cause`) names the proxy, as the client's error does."""
    started = time.perf_counter()
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(address.ip, port, family=address.family), timeout)
    except (asyncio.TimeoutError, TimeoutError):
        where = authority(proxy) or f"{address.ip}:{port}"
        return ConnectResult(address, False, (time.perf_counter() - started) * 1000, "timeout",
                             f"no answer within {timeout:g} s",
                             cause_of(Kind.CONNECT_TIMEOUT, f"no answer from {where} within {timeout:g} s",
                                      host=where, via=authority(proxy)))
    except OSError as exc:
        cause = classify(exc, proxy=proxy)
        kind = {Kind.REFUSED: "refused", Kind.PROXY_REFUSED: "refused", Kind.UNREACHABLE: "unreachable",
                Kind.PROXY_UNREACHABLE: "unreachable", Kind.RESET: "reset"}.get(cause.kind, "error")
        if cause.host is None:
            from dataclasses import replace

            cause = replace(cause, host=authority(proxy) or f"{address.ip}:{port}")
        return ConnectResult(address, False, (time.perf_counter() - started) * 1000, kind, exc.strerror or str(exc),
                             cause)
    ms = (time.perf_counter() - started) * 1000
    writer.close()
    return ConnectResult(address, True, ms)


@dataclass
class ProxyReply:
    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)


class ProxyTunnelError(TransportError):
    def __init__(self, reply: ProxyReply) -> None:
        super().__init__(f"{reply.status} {reply.reason}")
        self.reply = reply


async def _read_head(reader: asyncio.StreamReader, timeout: float) -> ProxyReply:
    raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return ProxyReply(status, parts[2] if len(parts) > 2 else "", headers)


def _auth_header(user: str | None, password: str | None) -> str:
    if user is None:
        return ""
    token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
    return f"Proxy-Authorization: Basic {token}\r\n"


async def proxy_exchange(proxy_url: str, target_host: str, target_port: int, *, timeout: float,
                         tunnel: bool, path: str = "/") -> tuple[ProxyReply, asyncio.StreamReader,
                                                                 asyncio.StreamWriter]:
    """Send CONNECT host:port (tunnel=True) or a plain GET for an http:// URL through an HTTP proxy.
    Returns the proxy's reply head and the open stream (a tunnel on 200)."""
    _scheme, host, port, user, password = proxy_parts(proxy_url)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    authority = f"[{target_host}]:{target_port}" if ":" in target_host else f"{target_host}:{target_port}"
    if tunnel:
        head = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
    else:
        head = f"GET http://{authority}{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n"
    writer.write((head + _auth_header(user, password) + "\r\n").encode("latin-1"))
    await writer.drain()
    reply = await _read_head(reader, timeout)
    return reply, reader, writer


def _chain_info(ssl_object: Any) -> list[dict[str, Any]]:
    inner = getattr(ssl_object, "_sslobj", ssl_object)
    getter = getattr(inner, "get_unverified_chain", None)
    if getter is None:
        return []
    chain = getter() or []
    out = []
    for cert in chain:
        info = cert.get_info() if hasattr(cert, "get_info") else {}
        out.append(info)
    return out


def name_of(rdn: Any, key: str = "commonName") -> str:
    """A getpeercert-style subject/issuer -> one attribute (CN by default)."""
    for group in rdn or ():
        for name, value in group:
            if name == key:
                return str(value)
    return ""


def flat_name(rdn: Any) -> str:
    return ", ".join(f"{k}={v}" for group in rdn or () for k, v in group)


@dataclass
class TLSOutcome:
    ok: bool
    ms: float = 0.0
    cause: Cause | None = None
    chain: list[dict[str, Any]] = field(default_factory=list)
    version: str | None = None
    cipher: str | None = None
    server_date: str | None = None
    proxy_reply: ProxyReply | None = None

    @property
    def verify_code(self) -> int | None:
        return self.cause.verify_code if self.cause else None


async def tls_handshake(host: str, port: int, context: ssl.SSLContext, *, timeout: float,
                        proxy_url: str | None = None, want_date: bool = False, path: str = "/") -> TLSOutcome:
    """One TLS handshake to host:port (through `proxy_url` with CONNECT when given), verifying with
    `context`. With want_date, also sends a HEAD request and keeps the reply's Date header."""
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    writer: asyncio.StreamWriter | None = None
    reply: ProxyReply | None = None
    try:
        if proxy_url:
            reply, reader, opened = await proxy_exchange(proxy_url, host, port, timeout=timeout, tunnel=True)
            writer = opened
            if reply.status != 200:
                raise ProxyTunnelError(reply)
        else:
            reader, opened = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            writer = opened
        transport = opened.transport
        tls_transport = await loop.start_tls(transport, transport.get_protocol(), context,
                                             server_hostname=host, ssl_handshake_timeout=timeout)
        if tls_transport is None:
            raise ConnectionResetError("the TLS connection closed during the handshake")
        ms = (time.perf_counter() - started) * 1000
        ssl_object = tls_transport.get_extra_info("ssl_object")
        outcome = TLSOutcome(True, ms, chain=_chain_info(ssl_object), version=ssl_object.version(),
                             cipher=(ssl_object.cipher() or ("",))[0], proxy_reply=reply)
        if want_date:
            request = f"HEAD {path or '/'} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            tls_transport.write(request.encode("latin-1"))
            try:
                head = await _read_head(reader, timeout)
                outcome.server_date = head.headers.get("date")
            except (asyncio.TimeoutError, TimeoutError, asyncio.IncompleteReadError, OSError, ssl.SSLError):
                pass
        tls_transport.close()
        writer = None
        return outcome
    except ProxyTunnelError as exc:
        return TLSOutcome(False, (time.perf_counter() - started) * 1000,
                          proxy_reply(exc.reply.status, f"{exc}", authority(proxy_url)),
                          proxy_reply=exc.reply)
    except (asyncio.TimeoutError, TimeoutError, ConnectionAbortedError) as exc:
        if isinstance(exc, ConnectionAbortedError) and "taking longer" not in str(exc):
            return TLSOutcome(False, (time.perf_counter() - started) * 1000, classify(exc), proxy_reply=reply)
        return TLSOutcome(False, (time.perf_counter() - started) * 1000,
                          cause_of(Kind.CONNECT_TIMEOUT, f"no TLS handshake within {timeout:g} s "
                                    "(a silent middlebox, an SNI filter, or a server that is not speaking TLS)"),
                          proxy_reply=reply)
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError, ConnectionError) as exc:
        return TLSOutcome(False, (time.perf_counter() - started) * 1000, classify(exc), proxy_reply=reply)
    finally:
        if writer is not None:
            writer.close()


def insecure_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
