"""Where a provider's requests go: scheme, host, port and the models URL, from its base URL."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from perspt_doctor import catalog

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
"""Names that mean this machine (RFC 6761 and the usual /etc/hosts entries), besides `*.localhost`."""


@dataclass(frozen=True)
class Endpoint:
    provider: str
    base_url: str
    scheme: str
    host: str
    port: int
    path: str
    origin: str
    """Where the base URL came from (e.g. `OLLAMA_HOST (environment)`)."""

    @property
    def is_https(self) -> bool:
        return self.scheme == "https"

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    @property
    def is_ip(self) -> bool:
        return ip_of(self.host) is not None

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.path}"

    @property
    def is_cloud(self) -> bool:
        """A provider whose default endpoint is a public API (not a local server)."""
        spec = catalog.PROVIDERS.get(self.provider)
        return bool(spec and not spec.is_loopback_default)

    @property
    def is_official_host(self) -> bool:
        """The provider's own public API host (api.openai.com, ...), not a gateway or a custom server."""
        spec = catalog.PROVIDERS.get(self.provider)
        return bool(spec and self.is_cloud and urlsplit(spec.base_url).hostname == self.host)

    def models_url(self) -> str:
        spec = catalog.PROVIDERS.get(self.provider)
        suffix = spec.models_path if spec else "/models"
        return self.url.rstrip("/") + suffix


def ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def is_loopback_host(host: str) -> bool:
    """localhost names, 127/8, ::1, and the wildcard addresses (which reach this machine).
    The one answer to "is this host loopback" for the transport, the providers and the engine."""
    name = host.lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    ip = ip_of(name)
    return bool(ip and (ip.is_loopback or ip.is_unspecified))


def parse_base_url(raw: str, provider: str = "") -> tuple[str, str, int, str]:
    """(scheme, host, port, path). Accepts Ollama-style `host`, `host:port` and `:port` values."""
    text = raw.strip()
    default_port = 11434 if provider == "ollama" else None
    if "://" not in text:
        text = "http://" + (("127.0.0.1" + text) if text.startswith(":") else text)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    host = parts.hostname or "127.0.0.1"
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid port in base URL {raw!r}") from exc
    if port is None:
        if default_port is not None and "://" not in raw:
            port = default_port
        else:
            port = 443 if scheme == "https" else 80
    return scheme, host, port, parts.path.rstrip("/")


def endpoint_for(settings: Settings, provider: str) -> Endpoint:
    """The endpoint the client will use for `provider`, as the settings resolve it."""
    resolved = settings.base_url_for(provider)
    pid = catalog.canonical_id(provider) or provider
    scheme, host, port, path = parse_base_url(str(resolved.value), pid)
    return Endpoint(pid, str(resolved.value), scheme, host, port, path, resolved.origin)
