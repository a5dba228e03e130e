"""One line of advice for each kind of provider error, with the provider's own names and pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from perspt_doctor.providers import catalog

if TYPE_CHECKING:
    from perspt_doctor.providers.errors import ProviderError


def hint_for(error: ProviderError, *, html: bool = False) -> str:
    from perspt_doctor.providers import errors as e

    spec = catalog.PROVIDERS.get(error.provider)
    name = spec.display_name if spec else error.provider
    env = " or ".join(spec.key_env) if spec and spec.key_env else "the key variable"
    keys = f" (keys: {spec.keys_url})" if spec and spec.keys_url else ""
    status = f"; status page: {spec.status_url}" if spec and spec.status_url else ""
    if html and not isinstance(error, e.BadResponseError | e.EndpointNotFoundError):
        proxy = " (a proxy, firewall or captive portal answered instead of the API?)"
    else:
        proxy = ""
    if isinstance(error, e.AuthenticationError):
        if error.code == "missing_key":
            return f"set {env}, or run `perspt keys set {error.provider}`{keys}"
        return (f"{name} rejected the key{proxy}: check {env} and `perspt keys get {error.provider}`, "
                f"or create a new key{keys}; `perspt doctor --only 'auth.*'` shows which key is used")
    if isinstance(error, e.PermissionDeniedError):
        return (f"the key works but may not use this model or region{proxy}; check the project's model access "
                f"and region{keys}")
    if isinstance(error, e.QuotaExceededError):
        return f"out of credits or quota at {name}: retrying will not help; check billing and usage limits{keys}"
    if isinstance(error, e.RateLimitError):
        wait = f"wait {error.retry_after:.0f} s and retry" if error.retry_after else "wait a little and retry"
        return (f"{wait}; lower `rate_limiting.requests_per_minute` or raise `retry_attempts` in the config"
                f"{proxy}")
    if isinstance(error, e.ModelNotFoundError):
        return f"run `perspt models --provider {error.provider}` to see the model names this key can use"
    if isinstance(error, e.ContextTooLongError):
        return "the conversation is too long for this model: start a new one, lower " \
               "`conversation_history_limit`, or pick a model with a larger context window"
    if isinstance(error, e.OutOfMemoryError):
        return ("the model does not fit in free memory: use a smaller model or a 4-bit tag (q4_K_M), lower "
                "`options.num_ctx`, or set `options.num_gpu` to 0 to keep it off the GPU; "
                f"`perspt doctor --provider {error.provider} --only 'memory.*'` compares its size with free memory")
    if isinstance(error, e.EndpointNotFoundError):
        return (f"the base URL is probably wrong (a missing or doubled `/v1`?); `perspt config show` says which "
                f"base URL is used for {error.provider}")
    if isinstance(error, e.OverloadedError):
        return f"{name} is overloaded: retry in a minute, or set a `fallback_provider`{status}"
    if isinstance(error, e.ServerError):
        return f"a fault at {name}{proxy}: retry later{status}"
    if isinstance(error, e.BadResponseError):
        if html:
            return ("an HTML page came back instead of the API's JSON: the base URL points at a web site, or "
                    "a proxy or captive portal intercepted the request; run `perspt doctor`")
        return "the reply did not follow the provider's protocol; run `perspt doctor` to check the base URL and proxy"
    if isinstance(error, e.NetworkError):
        return f"could not talk to {name}: run `perspt doctor --provider {error.provider}` to find where it fails"
    if isinstance(error, e.BadRequestError):
        return "the provider refused a request parameter; check `temperature`, `max_tokens` and `top_p` " \
               "for this model"
    return "run `perspt doctor` for a diagnosis"
