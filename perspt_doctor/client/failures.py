"""One clear line for a failed request: what kind of failure, the root cause, and the doctor command
that explains it. Tracebacks are the caller's business (only with --debug)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOCTOR_AREA = {
    "authentication": "auth", "permission": "auth", "quota": "ratelimit", "rate_limit": "ratelimit",
    "model_not_found": "model", "endpoint_not_found": "http", "bad_response": "http", "overloaded": "http",
    "server_error": "http", "bad_request": "http", "missing_key": "keys", "context_too_long": "",
    "out_of_memory": "memory",
}

_CAUSE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("proxy", re.compile(r"proxy|\b407\b|tunnel", re.I)),
    ("tls", re.compile(r"certificate|ssl|tls|handshake|verify failed|wrong version number", re.I)),
    ("dns", re.compile(r"name or service not known|nodename nor servname|getaddrinfo|name resolution|"
                       r"no address associated|nxdomain|resolve", re.I)),
    ("tcp", re.compile(r"refused|unreachable|reset by peer|no route|connecterror|connection (?:was )?closed",
                       re.I)),
    ("http", re.compile(r"timed? ?out|timeout", re.I)),
)


@dataclass
class Failure:
    kind: str
    """authentication, rate_limit, network/tls, ..."""
    provider: str | None
    message: str
    root_cause: str | None
    doctor: str | None
    """The doctor command that diagnoses it, e.g. `perspt doctor --provider openai --only 'tls.*'`."""
    hint: str | None = None

    def line(self) -> str:
        from perspt_doctor.redact import redact

        text = f"Error ({self.kind}): {self.message}"
        if self.root_cause and self.root_cause.lower() not in self.message.lower():
            text += f" [root cause: {self.root_cause}]"
        if self.doctor:
            text += f" | diagnose: {self.doctor}"
        return redact(text)

    def summary(self) -> str:
        """`kind: message`, for notices that already say which provider it was."""
        from perspt_doctor.redact import redact

        return redact(f"{self.kind}: {self.message}")

    def lines(self) -> list[str]:
        from perspt_doctor.redact import redact

        out = [self.line()]
        if self.hint:
            out.append(redact(f"Hint: {self.hint}"))
        return out


def describe(exc: BaseException, provider: str | None = None) -> Failure:
    from perspt_doctor.providers.errors import (
        ModelNotFoundError,
        NetworkError,
        ProviderError,
        StreamInterruptedError,
    )

    if isinstance(exc, ProviderError):
        pid = exc.provider or provider
        root = _root_cause(exc)
        kind = exc.kind
        area = _DOCTOR_AREA.get(exc.code or "") or _DOCTOR_AREA.get(kind, "")
        if isinstance(exc, NetworkError):
            area = _network_area(exc, root)
            kind = f"network/{area}"
        if pid == "ollama" and (kind.startswith("network") or area == "model"):
            area = "ollama"
        if isinstance(exc, StreamInterruptedError):
            kind, area = "network/stream", "live"
        message = exc.message
        if isinstance(exc, ModelNotFoundError) and exc.model and exc.model not in message:
            message = f"model '{exc.model}' not found: {message}"
        if exc.status and f"HTTP {exc.status}" not in message:
            message += f" (HTTP {exc.status})"
        return Failure(kind, pid, f"{pid}: {message}" if pid else message, root, _doctor_command(pid, area),
                       exc.hint)
    from perspt_doctor.transport.trust import TransportConfigError

    if isinstance(exc, TransportConfigError):
        setting = exc.setting or ""
        area = "ollama" if "OLLAMA" in setting else ("tls" if "CERT" in setting or "ca_bundle" in setting
                                                     else "proxy")
        return Failure("configuration", provider, exc.message, None, _doctor_command(provider, area), exc.hint)
    root = _root_cause(exc)
    text = str(exc) or type(exc).__name__
    guessed = _guess_area(f"{type(exc).__name__} {text} {root or ''}") or ""
    return Failure(type(exc).__name__, provider, text, root, _doctor_command(provider, guessed), None)


_KIND_AREA = {
    "dns": "dns", "refused": "tcp", "connect-timeout": "tcp", "unreachable": "tcp", "reset": "tls",
    "tls-verify": "tls", "tls-protocol": "tls", "tls": "tls", "ca-file": "tls", "proxy": "proxy",
    "proxy-config": "proxy", "read-timeout": "http", "write-timeout": "http", "pool-timeout": "http",
    "timeout": "http", "protocol": "http",
}


def _root_cause(exc: BaseException) -> str | None:
    cause = getattr(exc, "cause", None)
    if cause is not None and not isinstance(cause, BaseException):
        return _cause_text(cause)
    try:
        from perspt_doctor.transport.causes import root_cause
    except ImportError:  # pragma: no cover - the transport layer is part of the package
        return None
    try:
        found = root_cause(exc)
    except Exception:  # noqa: BLE001 - describing an error must never raise another
        return None
    if getattr(found, "kind", "unknown") == "unknown" and found.detail.startswith(type(exc).__name__):
        return None
    return _cause_text(found)


def _cause_text(cause: object) -> str:
    describe_ = getattr(cause, "describe", None)
    if callable(describe_):
        return str(describe_())
    for attr in ("summary", "message", "detail"):
        value = getattr(cause, attr, None)
        if isinstance(value, str) and value:
            return value
    return str(cause)


def _network_area(exc: BaseException, root: str | None) -> str:
    cause = getattr(exc, "cause", None)
    kind = getattr(cause, "kind", None)
    if kind == "reset" and str(getattr(cause, "url", "") or "").startswith("http://"):
        return "tcp"  # no TLS on a plain-http connection: the reset came from the server or the path
    if isinstance(kind, str) and kind in _KIND_AREA:
        return _KIND_AREA[kind]
    return _guess_area(f"{exc} {root or ''}") or "tcp"


def _guess_area(text: str) -> str | None:
    text = re.sub(r"[a-z][a-z0-9+.-]*://\S+", "", text, flags=re.I)  # ports and paths are not causes
    for area, pattern in _CAUSE_PATTERNS:
        if pattern.search(text):
            return area
    return None


def _doctor_command(provider: str | None, area: str) -> str | None:
    if not area:
        return None
    scope = f" --provider {provider}" if provider and area not in ("proxy", "keys") else ""
    live = " --live" if area == "live" else ""
    return f"perspt doctor{scope}{live} --only '{area}.*'"
