"""The async client's direct (no proxy) transport, built per URL scheme on first use. A plain-http request
(Ollama, a local server) never starts TLS, so it never pays for loading the CA certificates (tens of
milliseconds of CPU); the first HTTPS request builds the verifying transport with `ssl_context`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from perspt_doctor.transport.trust import bare_context, ssl_context

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings


class DirectTransport(httpx.AsyncBaseTransport):
    def __init__(self, settings: Settings, limits: httpx.Limits) -> None:
        self._settings = settings
        self._limits = limits
        self._by_scheme: dict[str, httpx.AsyncHTTPTransport] = {}

    def transport_for(self, scheme: str) -> httpx.AsyncHTTPTransport:
        """The transport for `scheme`, built now if this is its first request. Raises
        TransportConfigError when the CA certificates cannot be loaded."""
        tls = scheme != "http"
        key = "https" if tls else "http"
        found = self._by_scheme.get(key)
        if found is None:
            # A plain-http transport never starts TLS; its bare context trusts nothing, so it would refuse
            # any server it were ever asked to verify.
            context = ssl_context(self._settings) if tls else bare_context()
            found = httpx.AsyncHTTPTransport(verify=context, limits=self._limits, trust_env=False)
            self._by_scheme[key] = found
        return found

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.transport_for(request.url.scheme).handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self._by_scheme.values():
            await transport.aclose()
