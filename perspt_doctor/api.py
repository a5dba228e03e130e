"""The public API for check authors: the one `perspt_doctor` module a check imports. Built-in checks
import from here and nothing else of perspt's (tests/test_layering.py enforces it), so a third-party
plugin can do everything they do. docs/plugins.md describes each group below.

A plugin is a module with functions decorated by `@check`; register it under the entry-point group
`perspt_doctor.checks`, or drop the file into `<config dir>/checks/`.

What is here, and why:
- the check model: `check`, `Result` (with `fixes`), `Fix`, `Status`, `CheckContext`, categories;
- services, shared by the checks of one run behind typed keys (`ctx.service(MODELS)`): the models probe,
  machine facts (memory, GPUs, the container), the Ollama daemon and its answers, and `ServiceKey` for a
  plugin's own;
- the layers a check probes through, the same code the client runs: settings and config files, the
  provider catalog and adapters, the transport's route, DNS, TCP, TLS and HTTP probes;
- `mask` and `redact`, the one redaction path for anything that may hold a secret.

Every name is loaded on first use (`_HOMES` says where it lives; the TYPE_CHECKING block says the same to
mypy, and tests/test_lazy_imports.py keeps the two and `__all__` in step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perspt_doctor._version import __version__
    from perspt_doctor.catalog import PROVIDERS, KeyShape, ProviderSpec, all_ids, canonical_id
    from perspt_doctor.categories import BUILTIN_NAMES as CATEGORIES
    from perspt_doctor.categories import Category
    from perspt_doctor.categories import declare as declare_category
    from perspt_doctor.colour import colour_choice, is_tty
    from perspt_doctor.engine.broken_python import tls_library_fault, tls_library_result
    from perspt_doctor.engine.check_model import Check, CheckContext, Result, Status, check
    from perspt_doctor.engine.services import ServiceKey, Stash
    from perspt_doctor.fix import Fix
    from perspt_doctor.fsutil import atomic_write
    from perspt_doctor.paths import cache_dir, data_dir, doctor_runs_dir, history_db, locate_config, log_dir
    from perspt_doctor.probes.env_names import (
        CA_NAMES,
        PROXY_NAMES,
        key_variables,
        misspelled_key_variables,
        misspelled_network_variables,
    )
    from perspt_doctor.probes.key_verdict import auth_verdict
    from perspt_doctor.probes.machine import (
        CONTAINER,
        GPU,
        GPU_AMD,
        GPU_APPLE,
        GPU_NVIDIA,
        MEMORY,
        dedicated_gpu,
        gpu_memory,
        gpu_report,
        local_runtime_in_scope,
    )
    from perspt_doctor.probes.models import (
        MODELS,
        PROBE_TIMEOUT,
        ModelsProbe,
        Wanted,
        display_name,
        no_retries,
        probe_timeout,
        wanted_models,
    )
    from perspt_doctor.probes.ollama import (
        OLLAMA,
        OLLAMA_PS,
        OLLAMA_TAGS,
        OLLAMA_VERSION,
        LoadedModel,
        OllamaClient,
        configured_models,
        find_model,
        installed_models,
        loaded_models,
        ollama_host,
        ollama_in_scope,
        ollama_model_key,
        ollama_options,
        split_label,
    )
    from perspt_doctor.probes.ollama_fixes import ollama_pull_fix
    from perspt_doctor.providers.base import ChatRequest, Message, ModelInfo, ModelList
    from perspt_doctor.providers.errors import (
        AuthenticationError,
        BadRequestError,
        BadResponseError,
        ContextTooLongError,
        ModelNotFoundError,
        ProviderError,
        RateLimitError,
        parse_duration,
    )
    from perspt_doctor.providers.model_names import is_available, normalise, suggest
    from perspt_doctor.providers.ollama_host import DEFAULT_PORT as OLLAMA_DEFAULT_PORT
    from perspt_doctor.providers.ollama_host import OllamaHost, parse_ollama_host
    from perspt_doctor.providers.ollama_reply import OllamaReply
    from perspt_doctor.providers.registry import make_adapter
    from perspt_doctor.redact import mask, redact
    from perspt_doctor.settings.config_fixes import config_fixes
    from perspt_doctor.settings.diagnostics import ConfigError, Diagnostic
    from perspt_doctor.settings.key_text import KeyTextProblem, key_text_problem
    from perspt_doctor.settings.keyfile import key_file, loose_permissions
    from perspt_doctor.settings.keystore import backend_info
    from perspt_doctor.settings.loader import LoadedConfig, read_config, validate_loaded
    from perspt_doctor.settings.resolve import env_diagnostics
    from perspt_doctor.settings.sources import Source
    from perspt_doctor.settings.writer import holds_secret
    from perspt_doctor.suggest import did_you_mean
    from perspt_doctor.system.gpu import GpuDevice, GpuReport
    from perspt_doctor.system.install import Installation
    from perspt_doctor.system.install import detect as detect_installation
    from perspt_doctor.transport.classify import (
        Cause,
        Kind,
        cause_of,
        classify,
        classify_reply,
        proxy_own_reply,
        proxy_reply,
        resolver_failure,
    )
    from perspt_doctor.transport.dns import Lookup, address_class, async_resolver, configured_servers, lookup
    from perspt_doctor.transport.endpoint import endpoint_for, is_loopback_host
    from perspt_doctor.transport.factory import build_async_client, proxy_mounts
    from perspt_doctor.transport.probes import (
        Address,
        ConnectResult,
        TLSOutcome,
        flat_name,
        insecure_context,
        name_of,
        proxy_exchange,
        system_resolve,
        tcp_connect,
        tls_handshake,
    )
    from perspt_doctor.transport.proxy import ProxyRule, ProxyTable, proxy_table, safe_proxy_url
    from perspt_doctor.transport.route import Route, route_for, route_to
    from perspt_doctor.transport.trust import (
        CA_VARIABLES,
        TransportConfigError,
        TrustSource,
        ca_source_problem,
        ca_variable,
        configured_ca_sources,
        context_for,
        ssl_context,
        trust_plan,
    )

_HOMES: dict[str, str] = {
    "perspt_doctor._version": "__version__",
    "perspt_doctor.catalog": "PROVIDERS KeyShape ProviderSpec all_ids canonical_id",
    "perspt_doctor.categories": "Category",
    "perspt_doctor.colour": "colour_choice is_tty",
    "perspt_doctor.engine.broken_python": "tls_library_fault tls_library_result",
    "perspt_doctor.engine.check_model": "Check CheckContext Result Status check",
    "perspt_doctor.engine.services": "ServiceKey Stash",
    "perspt_doctor.fix": "Fix",
    "perspt_doctor.fsutil": "atomic_write",
    "perspt_doctor.paths": "cache_dir data_dir doctor_runs_dir history_db locate_config log_dir",
    "perspt_doctor.settings.resolve": "env_diagnostics",
    "perspt_doctor.probes.env_names": (
        "CA_NAMES PROXY_NAMES key_variables misspelled_key_variables "
        "misspelled_network_variables"
    ),
    "perspt_doctor.probes.key_verdict": "auth_verdict",
    "perspt_doctor.probes.machine": (
        "CONTAINER GPU GPU_AMD GPU_APPLE GPU_NVIDIA MEMORY dedicated_gpu gpu_memory "
        "gpu_report local_runtime_in_scope"
    ),
    "perspt_doctor.probes.models": (
        "MODELS PROBE_TIMEOUT ModelsProbe Wanted display_name no_retries probe_timeout "
        "wanted_models"
    ),
    "perspt_doctor.probes.ollama": (
        "OLLAMA OLLAMA_PS OLLAMA_TAGS OLLAMA_VERSION LoadedModel OllamaClient "
        "configured_models find_model installed_models loaded_models ollama_host "
        "ollama_in_scope ollama_model_key ollama_options split_label"
    ),
    "perspt_doctor.probes.ollama_fixes": "ollama_pull_fix",
    "perspt_doctor.providers.base": "ChatRequest Message ModelInfo ModelList",
    "perspt_doctor.providers.errors": (
        "AuthenticationError BadRequestError BadResponseError ContextTooLongError "
        "ModelNotFoundError ProviderError RateLimitError parse_duration"
    ),
    "perspt_doctor.providers.model_names": "is_available normalise suggest",
    "perspt_doctor.providers.ollama_host": "OllamaHost parse_ollama_host",
    "perspt_doctor.providers.ollama_reply": "OllamaReply",
    "perspt_doctor.providers.registry": "make_adapter",
    "perspt_doctor.redact": "mask redact",
    "perspt_doctor.settings.config_fixes": "config_fixes",
    "perspt_doctor.settings.diagnostics": "ConfigError Diagnostic",
    "perspt_doctor.settings.key_text": "KeyTextProblem key_text_problem",
    "perspt_doctor.settings.keyfile": "key_file loose_permissions",
    "perspt_doctor.settings.keystore": "backend_info",
    "perspt_doctor.settings.loader": "LoadedConfig read_config validate_loaded",
    "perspt_doctor.settings.sources": "Source",
    "perspt_doctor.settings.writer": "holds_secret",
    "perspt_doctor.suggest": "did_you_mean",
    "perspt_doctor.system.gpu": "GpuDevice GpuReport",
    "perspt_doctor.system.install": "Installation",
    "perspt_doctor.transport.classify": ("Cause Kind cause_of classify classify_reply proxy_own_reply proxy_reply "
                                         "resolver_failure"),
    "perspt_doctor.transport.dns": "Lookup address_class async_resolver configured_servers lookup",
    "perspt_doctor.transport.endpoint": "endpoint_for is_loopback_host",
    "perspt_doctor.transport.factory": "build_async_client proxy_mounts",
    "perspt_doctor.transport.probes": (
        "Address ConnectResult TLSOutcome flat_name insecure_context name_of "
        "proxy_exchange system_resolve tcp_connect tls_handshake"
    ),
    "perspt_doctor.transport.proxy": "ProxyRule ProxyTable proxy_table safe_proxy_url",
    "perspt_doctor.transport.route": "Route route_for route_to",
    "perspt_doctor.transport.trust": (
        "CA_VARIABLES TransportConfigError TrustSource ca_source_problem ca_variable "
        "configured_ca_sources context_for ssl_context trust_plan"
    ),
}
"""Where each public name lives: module -> the names it gives (space-separated)."""
_RENAMED: dict[str, tuple[str, str]] = {
    # declare_category("vpn", layer="tcp"): give a plugin's new category a triage layer and a docs note
    "declare_category": ("perspt_doctor.categories", "declare"),
    "CATEGORIES": ("perspt_doctor.categories", "BUILTIN_NAMES"),
    "OLLAMA_DEFAULT_PORT": ("perspt_doctor.providers.ollama_host", "DEFAULT_PORT"),
    "detect_installation": ("perspt_doctor.system.install", "detect"),
}

ENTRY_POINT_GROUP = "perspt_doctor.checks"

_WHERE: dict[str, tuple[str, str]] = {
    **{name: (module, name) for module, names in _HOMES.items() for name in names.split()}, **_RENAMED}


def __getattr__(name: str) -> Any:
    """PEP 562: `from perspt_doctor.api import X` imports X's own module and nothing else, so a check
    module that needs the catalog does not pay for httpx, dnspython or the keyring at discovery."""
    home = _WHERE.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home[0]), home[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    # the check model
    "CATEGORIES", "Category", "Check", "CheckContext", "ENTRY_POINT_GROUP", "Fix", "Result", "ServiceKey",
    "Stash", "Status", "__version__", "check", "declare_category", "tls_library_fault", "tls_library_result",
    # services (`await ctx.service(KEY)`) and what the checks share about them
    "GPU", "GPU_AMD", "GPU_APPLE", "GPU_NVIDIA", "MEMORY", "MODELS", "PROBE_TIMEOUT", "GpuDevice", "GpuReport",
    "ModelsProbe", "Wanted", "auth_verdict", "display_name", "gpu_memory", "gpu_report", "local_runtime_in_scope",
    "no_retries", "ollama_pull_fix", "probe_timeout", "wanted_models", "CONTAINER", "dedicated_gpu",
    # Ollama: the address, the configured models and options, the daemon's answers (once per run)
    "OLLAMA", "OLLAMA_DEFAULT_PORT", "OLLAMA_PS", "OLLAMA_TAGS", "OLLAMA_VERSION", "LoadedModel", "OllamaClient",
    "OllamaHost", "OllamaReply", "configured_models", "find_model", "installed_models", "loaded_models",
    "ollama_host", "ollama_in_scope", "ollama_model_key", "ollama_options", "parse_ollama_host", "split_label",
    # environment variable names perspt reads, and their near misses
    "CA_NAMES", "PROXY_NAMES", "key_variables", "misspelled_key_variables", "misspelled_network_variables",
    # providers: the catalog, the adapters, their errors
    "AuthenticationError", "BadRequestError", "BadResponseError", "ChatRequest", "ContextTooLongError", "KeyShape",
    "Message", "ModelInfo", "ModelList", "ModelNotFoundError", "PROVIDERS", "ProviderError", "ProviderSpec",
    "RateLimitError", "all_ids", "canonical_id", "is_available", "make_adapter", "normalise", "parse_duration",
    "suggest",
    # redaction, and the one colour decision the report and the chat use
    "mask", "redact", "colour_choice", "is_tty", "did_you_mean",
    # how perspt itself was installed
    "Installation", "detect_installation",
    # settings and files
    "ConfigError", "Diagnostic", "LoadedConfig", "config_fixes", "Source", "backend_info", "holds_secret",
    "KeyTextProblem", "key_text_problem", "key_file", "loose_permissions", "atomic_write", "cache_dir", "data_dir",
    "doctor_runs_dir", "env_diagnostics", "history_db",
    "locate_config", "log_dir", "read_config", "validate_loaded",
    # transport: the one classifier of failures
    "Cause", "Kind", "cause_of", "classify", "classify_reply", "proxy_own_reply", "proxy_reply", "resolver_failure",
    # transport: the route, and the probes of each network layer
    "Address", "ConnectResult", "Lookup", "ProxyRule", "ProxyTable", "Route", "TLSOutcome", "TransportConfigError",
    "CA_VARIABLES", "TrustSource", "address_class", "ca_source_problem", "ca_variable",
    "configured_ca_sources", "async_resolver", "build_async_client", "configured_servers", "context_for",
    "endpoint_for", "flat_name", "insecure_context", "is_loopback_host", "lookup", "name_of", "proxy_exchange", "proxy_mounts",
    "proxy_table", "route_for", "route_to", "safe_proxy_url", "ssl_context", "system_resolve", "tcp_connect",
    "tls_handshake", "trust_plan",
]
