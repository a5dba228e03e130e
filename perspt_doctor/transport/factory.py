"""The one factory for HTTP clients. The chat client, `perspt models`, and every doctor probe get
their httpx client here, so the doctor sees exactly the proxy, CA trust and timeouts the client uses.

No other module may construct an `httpx.Client` or `httpx.AsyncClient`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from perspt_doctor.settings.key_text import CHARACTER_NAMES
from perspt_doctor.transport.proxy import proxy_table, safe_proxy_url
from perspt_doctor.transport.trust import TransportConfigError, check_trust_sources, ssl_context

if TYPE_CHECKING:
    import httpx

    from perspt_doctor.settings.resolve import Settings
    from perspt_doctor.transport.proxy import ProxyTable


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
    base = settings.number("timeout")
    read = settings.get("network.read_timeout")
    read_timeout = float(read) if read is not None else (
        settings.number("stream_timeout") if streaming else base)
    values = Timeouts(
        connect=settings.number("network.connect_timeout"),
        read=read_timeout,
        write=settings.number("network.write_timeout"),
        pool=settings.number("network.pool_timeout"),
    )
    if total is not None:
        values = Timeouts(min(values.connect, total), min(values.read or total, total), min(values.write, total),
                          min(values.pool, total))
    return values


@dataclass(frozen=True)
class StreamWaits:
    """How long a streamed reply may keep the client waiting, and the setting behind each bound: the
    first byte of the reply (its status line) within `timeout`, then each gap within `stream_timeout`;
    `network.read_timeout`, when set, bounds both."""

    first: float
    first_setting: str
    gap: float
    gap_setting: str


def stream_waits(settings: Settings) -> StreamWaits:
    read = settings.get("network.read_timeout")
    if read is not None:
        return StreamWaits(float(read), "network.read_timeout", float(read), "network.read_timeout")
    return StreamWaits(settings.number("timeout"), "timeout", settings.number("stream_timeout"), "stream_timeout")


def proxy_mounts(settings: Settings, *, sync: bool = False, verify: Any = None,
                 limits: Any = None, table: ProxyTable | None = None) -> dict[str, Any]:
    """httpx mounts for every proxy rule (`proxy_table`): a proxy transport, or None for "direct".
    Raises TransportConfigError for a proxy URL httpx cannot use (quoted, bad scheme, no socksio)."""
    import httpx

    from perspt_doctor import redact

    mounts: dict[str, Any] = {}
    transport_class: Any = httpx.HTTPTransport if sync else httpx.AsyncHTTPTransport
    for rule in (table if table is not None else proxy_table(settings)).rules:
        if rule.proxy_url is None:
            mounts[rule.pattern] = None
            continue
        if rule.proxy_url != rule.proxy_url.strip():  # httpx's words for it: "Unknown scheme ... URL('%20http:..."
            start = rule.proxy_url[:1].isspace()
            blank = CHARACTER_NAMES.get(rule.proxy_url[0 if start else -1], "a blank")
            raise TransportConfigError(
                f"the proxy in {rule.source} {'starts' if start else 'ends'} with {blank} "
                f"({safe_proxy_url(rule.proxy_url)}), so it cannot be used",
                hint="set it again without the blank", setting=rule.source)
        try:
            mounts[rule.pattern] = transport_class(proxy=httpx.Proxy(rule.proxy_url), verify=verify or True,
                                                   limits=limits or httpx.Limits(), trust_env=False)
        except (ValueError, ImportError, httpx.InvalidURL) as exc:
            raise TransportConfigError(
                f"the proxy in {rule.source} ({safe_proxy_url(rule.proxy_url)}) cannot be used: "
                f"{redact.redact(str(exc))}", hint="run `perspt doctor --only 'proxy.*'` for the fix",
                setting=rule.source) from exc
    return mounts


def _common(settings: Settings, *, sync: bool, streaming: bool, total_timeout: float | None,
            headers: dict[str, str] | None, base_url: str | None) -> dict[str, Any]:
    import httpx

    pool = settings.integer("network.connection_pool_size")
    limits = httpx.Limits(max_connections=pool,
                          max_keepalive_connections=pool if settings.get("network.keep_alive") else 0)
    table = proxy_table(settings)
    if sync or any(rule.proxy_url for rule in table.rules):
        verify: Any = ssl_context(settings)
    else:
        check_trust_sources(settings)  # a missing CA file is an error now; its certificates load on first use
        verify = None
    sent = dict(headers or {})
    if settings.get("network.compression") is False:
        sent.setdefault("Accept-Encoding", "identity")
    kwargs: dict[str, Any] = {
        "timeout": timeouts_from(settings, streaming=streaming, total=total_timeout).to_httpx(),
        "verify": verify,
        "limits": limits,
        "headers": sent,
        "follow_redirects": False,
        # Proxies come from `proxy_table` (the settings' environment), never from os.environ again.
        "trust_env": False,
        "mounts": proxy_mounts(settings, sync=sync, verify=verify, limits=limits, table=table),
        "event_hooks": trace_hooks(sync=sync),
    }
    if verify is None:
        from perspt_doctor.transport.direct import DirectTransport

        del kwargs["verify"]
        kwargs["transport"] = DirectTransport(settings, limits)
    if base_url:
        kwargs["base_url"] = base_url
    return kwargs


def trace_hooks(*, sync: bool) -> dict[str, list[Any]]:
    """At log level `trace`, one record per API call: method, URL (without its query, which may hold a
    key), status and the time to the reply's headers. No headers, no bodies."""
    import time
    import weakref

    from perspt_doctor.logs import LEVELS, get_logger

    log = get_logger("http")
    started: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def on_request(request: Any) -> None:
        if log.isEnabledFor(LEVELS["trace"]):
            started[request] = time.monotonic()

    def on_response(response: Any) -> None:
        request = response.request
        begun = started.pop(request, None)
        if begun is None:
            return
        log.log(LEVELS["trace"], "api call: %s %s -> %s in %.3fs", request.method, request.url.copy_with(query=None),
                response.status_code, time.monotonic() - begun)

    if sync:
        return {"request": [on_request], "response": [on_response]}

    async def on_request_async(request: Any) -> None:
        on_request(request)

    async def on_response_async(response: Any) -> None:
        on_response(response)

    return {"request": [on_request_async], "response": [on_response_async]}


def build_async_client(settings: Settings, *, streaming: bool = False, total_timeout: float | None = None,
                       headers: dict[str, str] | None = None, base_url: str | None = None) -> httpx.AsyncClient:
    """The client every request of perspt goes through. Raises TransportConfigError for settings that
    cannot work (a missing CA file, an unusable proxy URL)."""
    import httpx

    return httpx.AsyncClient(**_common(settings, sync=False, streaming=streaming, total_timeout=total_timeout,
                                       headers=headers, base_url=base_url))


def build_client(settings: Settings, *, total_timeout: float | None = None,
                 headers: dict[str, str] | None = None, base_url: str | None = None) -> httpx.Client:
    """A synchronous client for the few one-shot callers (the report's connectivity summary)."""
    import httpx

    return httpx.Client(**_common(settings, sync=True, streaming=False, total_timeout=total_timeout,
                                  headers=headers, base_url=base_url))
