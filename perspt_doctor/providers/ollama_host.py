"""What a client does with an Ollama address (`OLLAMA_HOST`, `base_url`), and the traps in it.

The parsing rules follow ollama-python's host handling: a bare host gets port 11434, `http://host`
without a port means port 80, `https://host` means 443, `:port` means 127.0.0.1, IPv6 goes in
brackets, and a path is kept without its trailing slash. perspt then replaces a wildcard listen
address (`0.0.0.0`, `::`) by the loopback address of the same family, as the Ollama CLI does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from perspt_doctor.transport.endpoint import ip_of, is_loopback_host

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings

DEFAULT_PORT = 11434
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
Severity = Literal["fail", "warn", "info"]
Api = Literal["native", "openai"]
_QUOTES = "\"'`"


@dataclass(frozen=True)
class Trap:
    code: str
    severity: Severity
    message: str
    hint: str


@dataclass(frozen=True)
class OllamaHost:
    raw: str
    source: str
    scheme: str
    host: str
    """Without IPv6 brackets; empty when the value could not be parsed."""
    port: int
    path: str
    """Without leading or trailing slash."""
    sdk_url: str | None
    """The base URL ollama-python builds from the same raw value (None: it would raise)."""
    url: str
    """The base URL perspt connects to; empty when the value is unusable."""
    traps: tuple[Trap, ...]

    @property
    def usable(self) -> bool:
        return bool(self.url)

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    @property
    def worst(self) -> Severity | None:
        for level in ("fail", "warn", "info"):
            if any(t.severity == level for t in self.traps):
                return level
        return None


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _format(scheme: str, host: str, port: int, path: str) -> str:
    base = f"{scheme}://{_bracket(host)}:{port}"
    return f"{base}/{path}" if path else base


def _split(value: str) -> tuple[str, str, int, str, bool]:
    """(scheme, host, port, path, explicit_scheme) the way ollama-python reads it; ValueError if it can't."""
    scheme, sep, rest = value.partition("://")
    port = DEFAULT_PORT
    if not sep:
        scheme, rest = "http", value
    elif scheme == "http":
        port = 80
    elif scheme == "https":
        port = 443
    parts = urlsplit(f"{scheme}://{rest}")
    host = parts.hostname or "127.0.0.1"
    port = parts.port or port
    return scheme, host, port, parts.path.strip("/"), bool(sep)


def sdk_base_url(value: str | None) -> str | None:
    """ollama-python's base URL for `value` (None when it would raise)."""
    try:
        scheme, host, port, path, _explicit = _split(value or "")
    except ValueError:
        return None
    return _format(scheme, host, port, path)


def parse_ollama_host(raw: str | None, *, source: str = "default", api: Api = "native",
                      container: str | None = None) -> OllamaHost:
    """Parse an Ollama address as a client would and list the traps in it.

    `api` is the protocol the caller speaks at that URL: the native `/api/*` endpoints or the
    OpenAI-compatible `/v1` layer. `container` names the container runtime perspt runs in
    (`docker`, `podman`, `kubernetes`, `wsl`, ...) or is None on a plain host.
    """
    original = raw or ""
    traps: list[Trap] = []
    value = original.strip()
    if value != original and value:
        traps.append(Trap("whitespace", "warn", f"the value from {source} has spaces or a newline around it",
                          "remove the surrounding whitespace"))
    if len(value) >= 2 and value[0] in _QUOTES and value[-1] == value[0]:
        value = value[1:-1].strip()
        traps.append(Trap("quoted", "warn", f"the value from {source} is wrapped in quotes, which become part of it",
                          "remove the quotes (in a shell: export OLLAMA_HOST=127.0.0.1:11434)"))
    sdk_url = sdk_base_url(original) if original.strip() else DEFAULT_URL
    explicit = "://" in value
    authority = value.partition("://")[2] if explicit else value
    hostport = authority.split("/", 1)[0]
    if "@" in hostport:
        userinfo, _, hostport = hostport.rpartition("@")
        _, colon, password = userinfo.partition(":")
        if colon and password:
            from perspt_doctor import redact

            redact.register_secret(password, f"password in {source}")
        traps.append(Trap("userinfo", "warn", f"the address from {source} carries a user name or password, "
                          "which ollama-python and perspt drop: they send no credentials",
                          "remove the credentials from the URL; put an authenticating proxy's token in a header "
                          "it accepts, or reach Ollama without one"))
    if "[" not in hostport and hostport.count(":") >= 2:
        traps.append(Trap("ipv6_brackets", "fail", f"{hostport!r} from {source} is an IPv6 address without "
                          "brackets, so clients cannot tell the address from the port",
                          "write IPv6 addresses in brackets, e.g. [::1]:11434"))
        return OllamaHost(original, source, "", "", 0, "", sdk_url, "", tuple(traps))
    try:
        scheme, host, port, path, explicit = _split(value)
    except ValueError as exc:
        traps.append(Trap("unparsable", "fail", f"{original!r} from {source} is not a host, host:port or URL ({exc})",
                          f"use a URL such as {DEFAULT_URL}"))
        return OllamaHost(original, source, "", "", 0, "", sdk_url, "", tuple(traps))

    if scheme not in ("http", "https"):
        traps.append(Trap("scheme", "fail", f"scheme {scheme!r} is not http or https",
                          f"use http://HOST:{DEFAULT_PORT}"))
        return OllamaHost(original, source, scheme, host, port, path, sdk_url, "", tuple(traps))

    has_port = _has_port(hostport)
    if explicit and scheme == "http" and not has_port:
        traps.append(Trap("port_80", "warn", f"{value!r} has no port, so clients connect to port 80, "
                          f"not Ollama's {DEFAULT_PORT}",
                          f"write the port: http://{_bracket(host)}:{DEFAULT_PORT}"
                          " (keep port 80 only if a reverse proxy listens there)"))
    if explicit and scheme == "https" and not has_port:
        traps.append(Trap("port_443", "info", f"{value!r} has no port, so clients use 443; Ollama itself "
                          f"serves plain HTTP on {DEFAULT_PORT}, so this only works behind a TLS reverse proxy",
                          f"for a local daemon use http://127.0.0.1:{DEFAULT_PORT}"))
    if scheme == "https" and port == DEFAULT_PORT:
        traps.append(Trap("https_plain_port", "warn", f"https to port {DEFAULT_PORT}: Ollama serves plain HTTP "
                          "there, so the TLS handshake fails unless a proxy terminates TLS on that port",
                          f"use http://{_bracket(host)}:{DEFAULT_PORT}"))

    connect_host = host
    address = ip_of(host)
    if address is not None and address.is_unspecified:
        connect_host = "127.0.0.1" if address.version == 4 else "::1"
        traps.append(Trap("wildcard", "warn", f"{host} is the address a server listens on, not one to connect to: "
                          "ollama-python and most tools connect to it as given, which fails on Windows "
                          "(WinError 10049); perspt connects to "
                          f"{connect_host} instead",
                          f"set OLLAMA_HOST=0.0.0.0 only for `ollama serve`; clients want 127.0.0.1:{DEFAULT_PORT}"))
    elif address is not None and address.version == 6 and address.is_loopback:
        traps.append(Trap("ipv6_loopback", "warn", "Ollama listens on 127.0.0.1 by default, so [::1] is refused "
                          "unless the server was started with OLLAMA_HOST=[::]:11434",
                          f"use http://127.0.0.1:{port}"))
    elif host.lower() == "localhost":
        traps.append(Trap("localhost", "info", "localhost can resolve to ::1 first while Ollama listens on "
                          "127.0.0.1 only; perspt tries every address, but tools that try only the first one "
                          "fail with ECONNREFUSED ::1:11434",
                          f"127.0.0.1:{port} avoids the question"))
    if host.lower() == "ollama.com" and scheme != "https":
        traps.append(Trap("ollama_com", "warn", "ollama.com is the hosted service, reached over https on 443; "
                          "the Ollama CLI maps the bare name to https://ollama.com:443 but ollama-python does "
                          "not (it would use port 11434)",
                          "write https://ollama.com and set OLLAMA_API_KEY"))

    traps.extend(_path_traps(path, api, host, port, scheme))
    if container and is_loopback_host(connect_host):
        traps.append(_container_trap(container, host))

    url = _format(scheme, connect_host, port, path)
    return OllamaHost(original, source, scheme, host, port, path, sdk_url, url, tuple(traps))


def _path_traps(path: str, api: Api, host: str, port: int, scheme: str) -> list[Trap]:
    last = path.rsplit("/", 1)[-1].lower() if path else ""
    root = _format(scheme, host, port, "")
    if api == "native":
        if last == "v1":
            return [Trap("v1_suffix", "warn", "the URL ends in /v1, Ollama's OpenAI-compatible layer, but the "
                         "ollama provider speaks the native API, so requests go to /v1/api/chat and get 404",
                         f"drop /v1 ({root}), or use provider openai-compatible with the /v1 URL")]
        if last == "api":
            return [Trap("api_suffix", "warn", "the URL ends in /api, so requests go to /api/api/chat and get 404",
                         f"drop /api ({root})")]
        if path:
            return [Trap("path_prefix", "info", f"requests go under /{path}/api/ (a reverse proxy prefix?)",
                         f"a plain local daemon wants {root}")]
        return []
    if last != "v1" and (port == DEFAULT_PORT or not path):
        return [Trap("missing_v1", "warn", "the OpenAI-compatible layer of Ollama lives under /v1, and this URL "
                     "has no /v1, so /chat/completions and /models get 404",
                     f"add /v1: {_format(scheme, host, port, (path + '/v1').strip('/'))}")]
    return []


def _container_trap(container: str, host: str) -> Trap:
    if container == "wsl":
        return Trap("wsl_loopback", "info", f"running under WSL2: {host} is the Linux VM; an Ollama running on "
                    "Windows answers there only with WSL's mirrored networking (not verified here)",
                    "run Ollama inside WSL, enable networkingMode=mirrored, or use the Windows host's IP")
    return Trap("container_loopback", "info", f"perspt runs in a container ({container}), where {host} is the "
                "container itself, not the machine Ollama runs on",
                "use http://host.docker.internal:11434 (on Linux start the container with "
                "--add-host=host.docker.internal:host-gateway) and start the server with OLLAMA_HOST=0.0.0.0")


def _has_port(hostport: str) -> bool:
    if hostport.startswith("["):
        return "]:" in hostport
    return ":" in hostport


def resolve_ollama_host(settings: Settings, *, container: str | None = None) -> OllamaHost:
    """The Ollama base URL perspt will use with these settings, with its source and traps."""
    chosen = settings.base_url_for("ollama")
    raw = str(chosen.value or "")
    return parse_ollama_host(raw or None, source=chosen.origin, container=container)
