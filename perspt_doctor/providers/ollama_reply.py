"""One answer of the Ollama daemon to the doctor's questions (`OllamaAdapter.version`, `tags`, `ps`, `show`,
`load`), or the classified reason there was none. Kept apart from the adapter so that the checks can
name it without importing httpx."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from perspt_doctor.transport.classify import Cause, Kind


@dataclass
class OllamaReply:
    """One answer of the daemon, or the classified reason there was none (`cause` without `status`)."""

    url: str
    status: int | None = None
    data: Any = None
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    cause: Cause | None = None
    """Why the request failed: no HTTP answer (status None), or an error status."""
    message: str = ""
    elapsed: float = 0.0

    @property
    def failure(self) -> str | None:
        """A short label when no HTTP answer came back: refused, timeout, reset, tls, dns, proxy or connect."""
        if self.status is not None or self.cause is None:
            return None
        kind = self.cause.kind
        if self.cause.is_proxy:
            return "proxy"
        if kind in (Kind.REFUSED, Kind.OLLAMA_NOT_RUNNING):
            return "refused"
        if kind in (Kind.CONNECT_TIMEOUT, Kind.READ_TIMEOUT, Kind.WRITE_TIMEOUT, Kind.POOL_TIMEOUT, Kind.TIMEOUT):
            return "timeout"
        if kind in (Kind.RESET, Kind.PROTOCOL):
            return "reset"
        if kind.value.startswith("tls_"):
            return "tls"
        if kind is Kind.DNS:
            return "dns"
        return "connect"

    @property
    def error_text(self) -> str:
        if isinstance(self.data, dict):
            error = self.data.get("error")
            if isinstance(error, dict):
                return str(error.get("message", ""))
            if error is not None:
                return str(error)
        return self.text.strip()[:200]
