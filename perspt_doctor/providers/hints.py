"""One line of advice for each kind of provider error, with the provider's own names and pages.

Keyed by the error's `kind` (`providers/errors.py` sets it on each class), so this module needs
nothing from errors.py and errors.py may ask it for a hint."""

from __future__ import annotations

from typing import Protocol

from perspt_doctor import catalog


class ErrorFacts(Protocol):
    """What a hint reads from a provider error."""

    @property
    def kind(self) -> str: ...

    @property
    def provider(self) -> str: ...

    @property
    def code(self) -> str | None: ...


def hint_for(error: ErrorFacts, *, html: bool = False) -> str:
    kind = error.kind
    spec = catalog.PROVIDERS.get(error.provider)
    name = spec.display_name if spec else error.provider
    elsewhere = _custom_host(error, spec)
    fault = f"a fault at {name}"
    if elsewhere:  # a base URL of the user's own: the party at fault is that server, not the provider
        fault = f"a fault in the server at {elsewhere} (the base URL's server, not {name}'s API)"
        name, spec = f"the server at {elsewhere}", None
    env = " or ".join(spec.key_env) if spec and spec.key_env else "the key variable"
    keys = f" (keys: {spec.keys_url})" if spec and spec.keys_url else ""
    if elsewhere:
        keys = ""
    status = f"; status page: {spec.status_url}" if spec and spec.status_url else ""
    if html and kind not in ("bad_response", "endpoint_not_found"):
        proxy = " (a proxy, firewall or captive portal answered instead of the API?)"
    else:
        proxy = ""
    if kind == "authentication":
        if error.code == "missing_key":
            return f"set {env}, or run `perspt keys set {error.provider}`{keys}"
        return (f"{name} rejected the key{proxy}: check {env} and `perspt keys get {error.provider}`, "
                f"or create a new key{keys}; `perspt doctor --only 'auth.*'` shows which key is used")
    if kind == "permission":
        return (f"the key works but may not use this model or region{proxy}; check the project's model access "
                f"and region{keys}")
    if kind == "quota":
        return f"out of credits or quota at {name}: retrying will not help; check billing and usage limits{keys}"
    if kind == "rate_limit":
        retry_after = getattr(error, "retry_after", None)
        wait = f"wait {retry_after:.0f} s and retry" if retry_after else "wait a little and retry"
        return (f"{wait}; lower `rate_limiting.requests_per_minute` or raise `retry_attempts` in the config"
                f"{proxy}")
    if kind == "model_not_found":
        return f"run `perspt models --provider {error.provider}` to see the model names this key can use"
    if kind == "context_too_long":
        return "the conversation is too long for this model: start a new one, lower " \
               "`conversation_history_limit`, or pick a model with a larger context window"
    if kind == "out_of_memory":
        return ("the model does not fit in free memory: use a smaller model or a 4-bit tag (q4_K_M), lower "
                "`options.num_ctx`, or set `options.num_gpu` to 0 to keep it off the GPU; "
                f"`perspt doctor --provider {error.provider} --only 'memory.*'` compares its size with free memory")
    if kind == "endpoint_not_found":
        return (f"the base URL is probably wrong (a missing or doubled `/v1`?); `perspt config show` says which "
                f"base URL is used for {error.provider}")
    if kind == "overloaded":
        return f"{name} is overloaded: retry in a minute, or set a `fallback_provider`{status}"
    if kind == "server_error":
        return f"{fault}{proxy}: retry later{status}"
    if kind == "bad_response":
        if html:
            return ("an HTML page came back instead of the API's JSON: the base URL points at a web site, or "
                    "a proxy or captive portal intercepted the request; run `perspt doctor`")
        return "the reply did not follow the provider's protocol; run `perspt doctor` to check the base URL and proxy"
    if kind == "network":
        return f"could not talk to {name}: run `perspt doctor --provider {error.provider}` to find where it fails"
    if kind == "bad_request":
        return "the provider refused a request parameter; check `temperature`, `max_tokens` and `top_p` " \
               "for this model"
    return "run `perspt doctor` for a diagnosis"


def _custom_host(error: ErrorFacts, spec: catalog.ProviderSpec | None) -> str | None:
    """The host:port the failed request went to, when it is not the provider's own API host."""
    from urllib.parse import urlsplit

    from perspt_doctor.transport.classify import authority

    cause = getattr(error, "cause", None)  # the classifier's Cause, when the error has one
    host = getattr(cause, "host", None)
    if not host or spec is None or not spec.base_url or spec.is_loopback_default:
        return None  # a local runtime (Ollama) keeps its own name wherever it runs
    if host in (urlsplit(spec.base_url).hostname, authority(spec.base_url)):
        return None
    return host
