"""Each kind of failure the classifier knows, in the few words a ranking of many reports shows
(`perspt triage`): "proxy refuses connections" and "proxy does not answer" are different problems with
different fixes, so they are counted apart."""

from __future__ import annotations

from perspt_doctor.transport.classify import Kind

WORDS: dict[Kind, str] = {
    Kind.DNS: "name does not resolve",
    Kind.REFUSED: "connection refused",
    Kind.UNREACHABLE: "network unreachable",
    Kind.RESET: "connection reset",
    Kind.CONNECT_TIMEOUT: "connection times out",
    Kind.READ_TIMEOUT: "reply times out",
    Kind.WRITE_TIMEOUT: "sending times out",
    Kind.POOL_TIMEOUT: "no free connection",
    Kind.TIMEOUT: "times out",
    Kind.PROXY_REFUSED: "proxy refuses connections",
    Kind.PROXY_UNREACHABLE: "proxy does not answer",
    Kind.PROXY_AUTH: "proxy wants credentials",
    Kind.PROXY_DENIED: "proxy denies the host",
    Kind.PROXY_FAILED: "proxy cannot reach the host",
    Kind.PROXY_CONFIG: "proxy setting unusable",
    Kind.CA_FILE: "CA file unusable",
    Kind.TLS_UNTRUSTED: "certificate not trusted",
    Kind.TLS_EXPIRED: "certificate expired",
    Kind.TLS_HOSTNAME: "certificate for another host",
    Kind.TLS_PROTOCOL: "not a TLS port",
    Kind.TLS_EOF: "connection closed during TLS",
    Kind.TLS_HANDSHAKE: "TLS handshake fails",
    Kind.PROTOCOL: "not an HTTP reply",
    Kind.STREAM_CUT: "reply cut off",
    Kind.MISSING_KEY: "no API key",
    Kind.AUTH: "key rejected",
    Kind.FORBIDDEN: "key lacks permission",
    Kind.QUOTA: "quota or credit used up",
    Kind.RATE_LIMIT: "rate limited",
    Kind.MODEL_NOT_FOUND: "model not found",
    Kind.CONTEXT_TOO_LONG: "context too long",
    Kind.ENDPOINT_NOT_FOUND: "wrong base URL path",
    Kind.BAD_REQUEST: "request rejected",
    Kind.BAD_RESPONSE: "unreadable reply",
    Kind.SERVER: "server error",
    Kind.OVERLOADED: "server overloaded",
    Kind.OUT_OF_MEMORY: "out of memory",
    Kind.OLLAMA_NOT_RUNNING: "Ollama not running",
    Kind.OLLAMA_CONFIG: "Ollama misconfigured",
    Kind.UNKNOWN: "unexplained failure",
}


def words_for(kind: str | None) -> str | None:
    """The words for a kind's value (`proxy_refused`), or None for no kind or one this version does not
    know (a report from a newer perspt)."""
    if not kind:
        return None
    try:
        return WORDS[Kind(kind)]
    except ValueError:
        return None
