"""The one factory for HTTP clients. The chat client, `perspt models`, and every doctor probe get
their httpx client here, so the doctor sees exactly the proxy, CA trust and timeouts the client uses.

No other module may construct an `httpx.Client` or `httpx.AsyncClient`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from perspt_doctor.settings.resolve import Settings


@dataclass(frozen=True)
class Timeouts:
    connect: float
    read: float | None
    write: float
    pool: float

    def to_httpx(self) -> httpx.Timeout:
        import httpx

        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


def timeouts_from(settings: Settings, *, streaming: bool = False, total: float | None = None) -> Timeouts:
    """connect/read/write/pool from `network.*`, `timeout` and `stream_timeout`; `total` caps all four."""
    base = float(settings.get("timeout", 60))
    read = settings.get("network.read_timeout")
    read_timeout = float(read) if read is not None else (
        float(settings.get("stream_timeout", 30)) if streaming else base)
    values = Timeouts(
        connect=float(settings.get("network.connect_timeout", 10)),
        read=read_timeout,
        write=float(settings.get("network.write_timeout", 30)),
        pool=float(settings.get("network.pool_timeout", 10)),
    )
    if total is not None:
        values = Timeouts(min(values.connect, total), min(values.read or total, total), min(values.write, total),
                          min(values.pool, total))
    return values


def proxy_mounts(settings: Settings) -> dict[str, Any] | None:
    """Explicit proxies from the config file; None means "let httpx read the environment"."""
    import httpx

    http = settings.get("proxy.http")
    https = settings.get("proxy.https")
    if not http and not https:
        return None
    mounts: dict[str, Any] = {}
    if http:
        mounts["http://"] = httpx.AsyncHTTPTransport(proxy=http)
    if https:
        mounts["https://"] = httpx.AsyncHTTPTransport(proxy=https)
    return mounts


def ssl_context(settings: Settings) -> Any:
    """The CA trust the client uses: `network.trust_store` (auto, certifi, system) plus an
    optional `network.ca_bundle`; `SSL_CERT_FILE`/`SSL_CERT_DIR` are honoured as OpenSSL does."""
    import os
    import ssl

    if settings.get("network.verify_tls", True) is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    mode = str(settings.get("network.trust_store", "auto")).lower()
    cafile = settings.env.get("SSL_CERT_FILE") or None
    capath = settings.env.get("SSL_CERT_DIR") or None
    if mode == "system":
        import truststore

        context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    elif cafile or capath:
        context = ssl.create_default_context(cafile=cafile if cafile and os.path.exists(cafile) else None,
                                             capath=capath if capath and os.path.isdir(capath) else None)
    else:
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
    bundle = settings.get("network.ca_bundle")
    if bundle:
        context.load_verify_locations(cafile=os.path.expanduser(str(bundle)))
    return context


def build_async_client(settings: Settings, *, streaming: bool = False, total_timeout: float | None = None,
                       headers: dict[str, str] | None = None, base_url: str | None = None) -> httpx.AsyncClient:
    import httpx

    pool = int(settings.get("network.connection_pool_size", 10))
    kwargs: dict[str, Any] = {
        "timeout": timeouts_from(settings, streaming=streaming, total=total_timeout).to_httpx(),
        "verify": ssl_context(settings),
        "limits": httpx.Limits(max_connections=pool, max_keepalive_connections=pool if settings.get(
            "network.keep_alive", True) else 0),
        "headers": headers or {},
        "follow_redirects": False,
    }
    if base_url:
        kwargs["base_url"] = base_url
    mounts = proxy_mounts(settings)
    if mounts is not None:
        kwargs["mounts"] = mounts
        kwargs["trust_env"] = False
    return httpx.AsyncClient(**kwargs)


def build_client(settings: Settings, *, total_timeout: float | None = None,
                 headers: dict[str, str] | None = None, base_url: str | None = None) -> httpx.Client:
    """A synchronous client for the few one-shot callers (the report's connectivity summary)."""
    import httpx

    kwargs: dict[str, Any] = {
        "timeout": timeouts_from(settings, total=total_timeout).to_httpx(),
        "verify": ssl_context(settings),
        "headers": headers or {},
        "follow_redirects": False,
    }
    if base_url:
        kwargs["base_url"] = base_url
    http = settings.get("proxy.http")
    https = settings.get("proxy.https")
    if http or https:
        mounts: dict[str, Any] = {}
        if http:
            mounts["http://"] = httpx.HTTPTransport(proxy=http)
        if https:
            mounts["https://"] = httpx.HTTPTransport(proxy=https)
        kwargs["mounts"] = mounts
        kwargs["trust_env"] = False
    return httpx.Client(**kwargs)
