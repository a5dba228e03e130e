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
"""

from __future__ import annotations

from perspt_doctor import categories as _categories
from perspt_doctor._version import __version__
from perspt_doctor.catalog import PROVIDERS, KeyShape, ProviderSpec, all_ids, canonical_id
from perspt_doctor.categories import BUILTIN_NAMES as CATEGORIES
from perspt_doctor.categories import Category
from perspt_doctor.colour import colour_choice, is_tty
from perspt_doctor.engine.model import Check, CheckContext, Result, Status, check
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
from perspt_doctor.providers.models import is_available, normalise, suggest
from perspt_doctor.providers.ollama_host import DEFAULT_PORT as OLLAMA_DEFAULT_PORT
from perspt_doctor.providers.ollama_host import OllamaHost, parse_ollama_host
from perspt_doctor.providers.ollama_reply import OllamaReply
from perspt_doctor.providers.registry import make_adapter
from perspt_doctor.redact import mask, redact
from perspt_doctor.settings.diagnostics import ConfigError, Diagnostic
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
    proxy_own_reply,
    proxy_reply,
    resolver_failure,
)
from perspt_doctor.transport.dns import Lookup, address_class, async_resolver, configured_servers, lookup
from perspt_doctor.transport.endpoint import is_loopback_host
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

ENTRY_POINT_GROUP = "perspt_doctor.checks"

declare_category = _categories.declare
"""Give a plugin's new category a triage layer and a docs note: `declare_category("vpn", layer="tcp")`."""

__all__ = [
    # the check model
    "CATEGORIES", "Category", "Check", "CheckContext", "ENTRY_POINT_GROUP", "Fix", "Result", "ServiceKey",
    "Stash", "Status", "__version__", "check", "declare_category",
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
    "ConfigError", "Diagnostic", "LoadedConfig", "Source", "backend_info", "holds_secret", "atomic_write", "cache_dir", "data_dir",
    "doctor_runs_dir", "env_diagnostics", "history_db",
    "locate_config", "log_dir", "read_config", "validate_loaded",
    # transport: the one classifier of failures
    "Cause", "Kind", "cause_of", "classify", "proxy_own_reply", "proxy_reply", "resolver_failure",
    # transport: the route, and the probes of each network layer
    "Address", "ConnectResult", "Lookup", "ProxyRule", "ProxyTable", "Route", "TLSOutcome", "TransportConfigError",
    "CA_VARIABLES", "TrustSource", "address_class", "ca_source_problem", "ca_variable",
    "configured_ca_sources", "async_resolver", "build_async_client", "configured_servers", "context_for",
    "flat_name", "insecure_context", "is_loopback_host", "lookup", "name_of", "proxy_exchange", "proxy_mounts",
    "proxy_table", "route_for", "route_to", "safe_proxy_url", "ssl_context", "system_resolve", "tcp_connect",
    "tls_handshake", "trust_plan",
]
