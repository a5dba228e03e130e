"""Which proxy a URL goes through, decided exactly as httpx decides, from the settings' environment
and the config file. The factory mounts these decisions; the doctor explains them.

httpx rules reproduced here: `*_proxy` names in any case, lowercase winning and an empty lowercase
value cancelling the uppercase one; `REQUEST_METHOD` (CGI) dropping `HTTP_PROXY`; only the `http`,
`https` and `all` keys; a value without a scheme gets `http://`; `NO_PROXY=*` turns proxies off;
other `NO_PROXY` entries become URL patterns (no CIDR; `localhost` does not cover `127.0.0.1`).
With no proxy variable at all, the Windows/macOS system proxy applies without its exclusions.

perspt addition: a proxy in the config (`proxy.http`/`proxy.https`, or `PERSPT_PROXY_HTTPS`...) wins
over the standard variables, and `proxy.no_proxy` (else the `NO_PROXY` variable) still applies to it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings

SCHEME_KEYS = ("http", "https", "all")


@dataclass(frozen=True)
class ProxyRule:
    """One mount: a URL pattern and the proxy URL it uses (None: connect directly)."""

    pattern: str
    proxy_url: str | None
    source: str
    """Where it came from, e.g. `HTTPS_PROXY (environment)` or `NO_PROXY entry 'localhost'`."""
    raw: str | None = None
    """The value exactly as written, for the lint (may hold credentials: never print it)."""


@dataclass(frozen=True)
class ProxyDecision:
    proxy_url: str | None
    reason: str
    source: str | None = None
    raw: str | None = None
    bypass: str | None = None
    """The no_proxy entry that sent this URL direct."""

    @property
    def display(self) -> str | None:
        return safe_proxy_url(self.proxy_url) if self.proxy_url else None


@dataclass
class ProxyTable:
    rules: list[ProxyRule] = field(default_factory=list)
    origin: str = "none"
    """`config`, `environment`, `system` or `none`."""
    notes: list[str] = field(default_factory=list)
    """Facts worth explaining (cancelled variables, NO_PROXY=*, CGI mode)."""
    no_proxy: list[str] = field(default_factory=list)
    no_proxy_source: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    """Every proxy-like variable that is set: name -> raw value (secret: never print)."""


def safe_proxy_url(url: str) -> str:
    """The proxy URL with any password replaced by `***` (the user name is kept)."""
    text = url.strip()
    if "://" not in text:
        return safe_proxy_url("http://" + text).removeprefix("http://")
    scheme, _, rest = text.partition("://")
    if "@" not in rest:
        return text
    userinfo, _, hostpart = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hostpart}" if ":" in userinfo else f"{scheme}://{user}@{hostpart}"


def _with_scheme(value: str) -> str:
    return value if "://" in value else f"http://{value}"


def environment_proxy_variables(env: Mapping[str, str]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """scheme -> (variable name, value), as `urllib.request.getproxies_environment` reads `env`."""
    found: dict[str, tuple[str, str]] = {}
    notes: list[str] = []
    for name, value in env.items():
        if value and name.lower().endswith("_proxy"):
            found[name.lower()[:-6]] = (name, value)
    if "REQUEST_METHOD" in env and "http" in found and found["http"][0] != "http_proxy":
        del found["http"]
        notes.append("REQUEST_METHOD is set (a CGI environment), so HTTP_PROXY is ignored")
    for name, value in env.items():
        if name.endswith("_proxy"):
            key = name.lower()[:-6]
            if value:
                found[key] = (name, value)
            elif key in found:
                cancelled = found.pop(key)[0]
                notes.append(f"{name} is set but empty, which cancels {cancelled}")
    return found, notes


def _system_proxies() -> dict[str, str]:
    import urllib.request

    if sys.platform == "win32":
        return dict(urllib.request.getproxies_registry())  # type: ignore[attr-defined]
    if sys.platform == "darwin":
        return dict(urllib.request.getproxies_macosx_sysconf())  # type: ignore[attr-defined]
    return {}


def _no_proxy_rules(entries: list[str], source: str) -> tuple[list[ProxyRule], bool]:
    """(rules, everything_bypassed). Same pattern conversion as httpx."""
    from httpx._utils import is_ipv4_hostname, is_ipv6_hostname

    rules: list[ProxyRule] = []
    for entry in entries:
        host = entry.strip()
        if host == "*":
            return [], True
        if not host:
            continue
        label = f"{source} entry '{host}'"
        if "://" in host:
            pattern = host
        elif is_ipv4_hostname(host):
            pattern = f"all://{host}"
        elif is_ipv6_hostname(host):
            pattern = f"all://[{host}]"
        elif host.lower() == "localhost":
            pattern = f"all://{host}"
        else:
            pattern = f"all://*{host}"
        rules.append(ProxyRule(pattern, None, label, host))
    return rules, False


def _split_no_proxy(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")]
    if isinstance(value, list):
        return [str(part).strip() for part in value]
    return []


def proxy_table(settings: Settings) -> ProxyTable:
    env = settings.env
    table = ProxyTable()
    table.variables = {k: v for k, v in env.items() if "proxy" in k.lower()}
    found, notes = environment_proxy_variables(env)
    table.notes.extend(notes)
    env_no_proxy = found.get("no")
    config_http = settings.resolved("proxy.http")
    config_https = settings.resolved("proxy.https")
    base: list[ProxyRule] = []
    if config_http.value or config_https.value:
        table.origin = "config"
        for key, resolved in (("http", config_http), ("https", config_https)):
            if resolved.value:
                raw = str(resolved.value)
                base.append(ProxyRule(f"{key}://", _with_scheme(raw), resolved.origin, raw))
        configured = settings.get("proxy.no_proxy")
        if configured:
            table.no_proxy, table.no_proxy_source = _split_no_proxy(configured), "proxy.no_proxy (config)"
        elif env_no_proxy:
            table.no_proxy, table.no_proxy_source = _split_no_proxy(env_no_proxy[1]), env_no_proxy[0]
    elif any(k in found for k in SCHEME_KEYS):
        table.origin = "environment"
        for key in SCHEME_KEYS:
            if key in found:
                name, raw = found[key]
                base.append(ProxyRule(f"{key}://", _with_scheme(raw), f"{name} (environment)", raw))
        if env_no_proxy:
            table.no_proxy, table.no_proxy_source = _split_no_proxy(env_no_proxy[1]), env_no_proxy[0]
    elif not any(k.lower().endswith("_proxy") for k in env) and env is not None:
        system = _system_proxies()
        for key in SCHEME_KEYS:
            if system.get(key):
                table.origin = "system"
                base.append(ProxyRule(f"{key}://", _with_scheme(system[key]),
                                      "system proxy settings (their exclusion list is not applied)", system[key]))
    if not base:
        return table
    bypass, everything = _no_proxy_rules(table.no_proxy, table.no_proxy_source or "NO_PROXY")
    if everything:
        table.notes.append(f"{table.no_proxy_source}=* turns every proxy off")
        table.rules = []
        return table
    table.rules = _httpx_order(base + bypass)
    return table


def _httpx_order(rules: list[ProxyRule]) -> list[ProxyRule]:
    """The order httpx tries its mounts in (most specific pattern first)."""
    from httpx._utils import URLPattern

    keyed = {URLPattern(rule.pattern): rule for rule in rules}
    return [keyed[pattern] for pattern in sorted(keyed)]


def decide(table: ProxyTable, url: str) -> ProxyDecision:
    import httpx
    from httpx._utils import URLPattern

    target = httpx.URL(url)
    for rule in table.rules:
        if URLPattern(rule.pattern).matches(target):
            if rule.proxy_url is None:
                return ProxyDecision(None, f"{rule.source} matches {target.host}, so it connects directly",
                                     bypass=rule.raw)
            scheme = rule.pattern.split("://")[0]
            applies = "every URL" if scheme == "all" else f"{scheme}:// URLs"
            return ProxyDecision(rule.proxy_url, f"{rule.source} applies to {applies}", rule.source, rule.raw)
    if table.origin == "none":
        reason = "no proxy is configured (no proxy variables, no `proxy` in the config)"
        if table.notes:
            reason = "; ".join(table.notes)
        return ProxyDecision(None, reason)
    if not table.rules and table.notes:
        return ProxyDecision(None, "; ".join(table.notes))
    covered = [r.source for r in table.rules if r.proxy_url]
    return ProxyDecision(None, f"{' and '.join(covered)} do not apply to {target.scheme}:// URLs"
                         if len(covered) > 1 else f"{covered[0]} does not apply to {target.scheme}:// URLs")


def proxy_for(url: str, settings: Settings) -> ProxyDecision:
    """The proxy `url` will go through (None: direct) and why."""
    return decide(proxy_table(settings), url)


def proxy_parts(proxy_url: str) -> tuple[str, str, int, str | None, str | None]:
    """(scheme, host, port, user, password) of a proxy URL; raises ValueError when unparseable."""
    from urllib.parse import unquote

    parts = urlsplit(_with_scheme(proxy_url.strip()))
    scheme = parts.scheme.lower()
    if not parts.hostname:
        raise ValueError("the proxy URL has no host")
    port = parts.port or {"http": 80, "https": 443}.get(scheme, 1080)
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return scheme, parts.hostname, port, user, password
