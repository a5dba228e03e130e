"""Build the adapter for a provider from the resolved settings: its protocol, key, base URL, the
shared HTTP client factory, the retry policy and the process-wide rate limiter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from perspt_doctor import catalog

if TYPE_CHECKING:
    from perspt_doctor.providers.http_base import HTTPAdapter
    from perspt_doctor.settings.resolve import Settings

_ADAPTERS = {
    "openai": "perspt_doctor.providers.openai_adapter:OpenAIAdapter",
    "anthropic": "perspt_doctor.providers.anthropic_adapter:AnthropicAdapter",
    "gemini": "perspt_doctor.providers.gemini_adapter:GeminiAdapter",
    "cohere": "perspt_doctor.providers.cohere_adapter:CohereAdapter",
    "ollama": "perspt_doctor.providers.ollama_adapter:OllamaAdapter",
}


def adapter_module(protocol: str) -> str:
    """The module that holds `protocol`'s adapter (the engine imports it before its loop starts)."""
    return _ADAPTERS[protocol].split(":")[0]


def adapter_class(protocol: str) -> type[HTTPAdapter]:
    import importlib

    module, attr = _ADAPTERS[protocol].split(":")
    cls: type[HTTPAdapter] = getattr(importlib.import_module(module), attr)
    return cls


def make_adapter(settings: Settings, provider_id: str, *, streaming: bool = False,
                 require_key: bool = True, total_timeout: float | None = None,
                 base_url: str | None = None) -> HTTPAdapter:
    """The adapter for `provider_id` (an id or alias). Raises catalog.UnknownProviderError.

    A missing key is reported by the first request (AuthenticationError, code `missing_key`), so that
    callers handle it like any other provider error; `require_key=False` sends requests without one.
    `base_url` replaces the configured one (the doctor's Ollama address, resolved for containers).
    """
    from perspt_doctor.providers.ratelimit import limiter_for
    from perspt_doctor.providers.retry import RetryPolicy
    from perspt_doctor.transport.factory import build_async_client, stream_waits
    from perspt_doctor.transport.route import route_to

    pid = catalog.resolve_provider(provider_id)
    spec = catalog.PROVIDERS[pid]
    key = settings.key_for(pid).value
    resolved_url = settings.base_url_for(pid)
    base_url = base_url or resolved_url.value or spec.base_url
    _check_base_url(base_url, pid, resolved_url.origin)
    client = build_async_client(settings, streaming=streaming, total_timeout=total_timeout)
    policy = RetryPolicy.from_settings(settings)
    adapter = adapter_class(spec.protocol)(spec, client, base_url, key=key, retry=policy,
                                           limiter=limiter_for(settings, pid), deadline=policy.deadline,
                                           require_key=require_key,
                                           reply_timeout=_seconds(settings.get("network.reply_timeout")))
    if streaming and total_timeout is None:
        adapter.stream_waits = stream_waits(settings)
    try:
        adapter.proxy = route_to(settings, adapter.base_url, pid).proxy_url
    except ValueError:  # a base URL httpx cannot parse: the first request says so
        adapter.proxy = None
    return adapter


def _seconds(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None


def _check_base_url(base_url: str, pid: str, origin: str) -> None:
    """A base URL that cannot be parsed (a port of 99999, an unclosed `[`) is a setting to fix, said in one
    line before any connection is tried."""
    from perspt_doctor.transport.endpoint import parse_base_url
    from perspt_doctor.transport.trust import TransportConfigError

    try:
        parse_base_url(base_url, pid)
    except ValueError as exc:
        reason = str(exc).split(" in base URL")[0]
        raise TransportConfigError(f"the base URL {base_url!r} (from {origin}) is not usable: {reason}",
                                   hint="give a URL such as https://host:port/v1 (ports are 1-65535)",
                                   setting="OLLAMA_HOST" if pid == "ollama" else "base_url") from None
