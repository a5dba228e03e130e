"""The typed model of the config file: every key the troubleshooting guide shows, plus ours.

One table (`SCHEMA`) drives validation, the legacy-key migration, `perspt config show`, the
configuration reference in the docs and the JSON Schema for editors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from perspt_doctor.settings.diagnostics import Diagnostic, Severity
from perspt_doctor.suggest import did_you_mean


@dataclass(frozen=True)
class Field:
    name: str
    types: tuple[str, ...]
    """JSON types accepted: string, integer, number, boolean, object, array."""
    doc: str
    default: Any = None
    children: tuple[Field, ...] = ()
    open_object: bool = False
    """An object whose own keys are free (provider_endpoints, options)."""
    secret: bool = False
    nullable: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    items: Field | None = None
    values: Field | None = None
    """An object whose own keys are free names, each holding this (roles)."""


def _f(name: str, types: str | tuple[str, ...], doc: str, default: Any = None, **kw: Any) -> Field:
    return Field(name, (types,) if isinstance(types, str) else types, doc, default, **kw)


RATE_LIMITING = (
    _f("requests_per_minute", ("integer", "number"), "Client-side cap on requests per minute.", None, minimum=0),
    _f("delay_between_requests", ("integer", "number"), "Minimum seconds between two requests.", None, minimum=0),
    _f("max_retries", "integer", "Retries for rate-limited requests (overrides retry_attempts for 429).", None,
       minimum=0),
)

DEBUG = (
    _f("enabled", "boolean", "Write debug records to the log.", False),
    _f("log_level", "string", "Log level: trace, debug, info, warning, error.", "info",
       choices=("trace", "debug", "info", "warning", "warn", "error", "critical")),
    _f("log_file", "string", "Log file path (default: the platform log dir).", None),
)

RESOURCE_LIMITS = (
    _f("max_history_size", "integer", "Conversations kept in history (older ones are pruned).", None, minimum=0),
    _f("cache_size_mb", ("integer", "number"), "Accepted for compatibility; perspt keeps no response cache.", None,
       minimum=0),
    _f("log_rotation_size", ("string", "integer"), "Rotate the log at this size, e.g. \"10MB\".", "10MB"),
    _f("cleanup_interval", "string", "Accepted for compatibility; history is pruned to `max_history_size` each "
       "time a conversation starts.", None),
)

NETWORK = (
    _f("keep_alive", "boolean", "Reuse connections.", True),
    _f("connection_pool_size", "integer", "Maximum pooled connections.", 10, minimum=1),
    _f("dns_cache", "boolean", "Cache DNS lookups (accepted for compatibility).", True),
    _f("compression", "boolean", "Accept compressed responses.", True),
    _f("dns_servers", "array", "DNS servers the doctor's resolver probes ask (e.g. a VPN's resolver).", None,
       items=_f("server", "string", "IP address, optionally with :port")),
    _f("trust_store", "string", "Which CA certificates to trust: auto, certifi, system.", "auto",
       choices=("auto", "certifi", "system")),
    _f("ca_bundle", "string", "A PEM file of extra CA certificates (e.g. a corporate proxy's root).", None),
    _f("verify_tls", "boolean", "Verify TLS certificates. Turning this off is unsafe.", True),
    _f("connect_timeout", ("integer", "number"), "Seconds to wait for a connection.", 10, minimum=0),
    _f("read_timeout", ("integer", "number"), "Seconds to wait between bytes of a reply.", None, minimum=0),
    _f("write_timeout", ("integer", "number"), "Seconds to wait while sending.", 30, minimum=0),
    _f("pool_timeout", ("integer", "number"), "Seconds to wait for a free pooled connection.", 10, minimum=0),
    _f("reply_timeout", ("integer", "number"), "Most seconds one streamed reply may take in all, however steadily "
       "it arrives (the idle limit between bytes is `stream_timeout`).", 600, minimum=0.1),
)

PERFORMANCE = (
    _f("max_tokens", "integer", "Same as the top-level `max_tokens`, which wins when both are set.", None, minimum=1),
    _f("stream", "boolean", "Same as the top-level `stream`, which wins when both are set.", True),
    _f("timeout", ("integer", "number"), "Same as the top-level `timeout`, which wins when both are set.", None,
       minimum=0),
    _f("parallel_requests", "integer", "Accepted for compatibility.", None, minimum=1),
    _f("cache_responses", "boolean", "Accepted for compatibility.", False),
)

DOCTOR = (
    _f("suppress", "array", "Check ids or globs whose warnings and failures are acknowledged.", None,
       items=_f("pattern", "string", "check id or glob")),
    _f("timeout", ("integer", "number"), "Whole-run time budget in seconds.", None, minimum=0),
    _f("history_size", "integer", "Doctor runs kept for `perspt doctor --diff`.", 50, minimum=1),
    _f("index_url", "string", "The package index `runtime.version` asks for the newest release (its JSON "
       "API; a mirror or a private index).", "https://pypi.org/pypi"),
)

PROXY = (
    _f("http", "string", "Proxy for http:// URLs.", None, secret=True, nullable=True),
    _f("https", "string", "Proxy for https:// URLs.", None, secret=True, nullable=True),
    _f("no_proxy", ("string", "array"), "Hosts that bypass the proxy.", None),
)

FALLBACK_ENTRY = (
    _f("provider", "string", "Provider id.", None),
    _f("provider_type", "string", "Legacy spelling of provider.", None),
    _f("model", "string", "Model name.", None),
    _f("on_failure", "string", "What to do if this entry fails: next or fail.", "next", choices=("next", "fail")),
)

SAMPLING = (
    _f("max_tokens", "integer", "Upper bound on reply length.", None, minimum=1),
    _f("temperature", ("integer", "number"), "Sampling temperature.", None, minimum=0, maximum=2),
    _f("top_p", ("integer", "number"), "Nucleus sampling.", None, minimum=0, maximum=1),
    _f("frequency_penalty", ("integer", "number"), "Penalty on repeated tokens.", None, minimum=-2, maximum=2),
)

ROLE = (
    _f("system_prompt", "string", "The role's system prompt.", None),
    _f("provider", "string", "Provider id this role uses.", None),
    _f("model", "string", "Model this role uses.", None),
    *SAMPLING,
)

SCHEMA: tuple[Field, ...] = (
    _f("provider", "string", "Provider id: openai, anthropic, google (gemini), groq, cohere, xai, deepseek, "
       "mistral, openrouter, ollama, openai-compatible.", "openai"),
    _f("model", "string", "Model name (case-sensitive).", None),
    _f("api_key", "string", "API key for `provider`. Prefer the keyring: `perspt keys set PROVIDER`.", None,
       secret=True, nullable=True),
    _f("api_keys", "object", "API keys per provider id. Prefer the keyring.", None, open_object=True, secret=True),
    _f("base_url", "string", "Base URL for `provider` (e.g. a vLLM or Ollama server).", None),
    _f("provider_endpoints", "object", "Base URL per provider id.", None, open_object=True),
    _f("proxy", ("object", "string"), "HTTP(S) proxy; an object with http/https, or one URL for both.", None,
       children=PROXY),
    _f("timeout", ("integer", "number"), "Request timeout in seconds.", 60, minimum=0),
    _f("stream_timeout", ("integer", "number"), "Seconds to wait between streamed chunks.", 30, minimum=0),
    _f("retry_attempts", "integer", "Retries after a transient failure.", 2, minimum=0, maximum=20),
    _f("stream", "boolean", "Stream replies as they arrive.", True),
    _f("buffer_size", "integer", "Accepted for compatibility; has no effect.", None, minimum=0),
    *SAMPLING,
    _f("system_prompt", "string", "System prompt sent first in every conversation.", None),
    _f("conversation_history_limit", "integer", "Messages of history sent with each request.", 50, minimum=0),
    _f("rate_limiting", "object", "Client-side rate limiting.", None, children=RATE_LIMITING),
    _f("fallback_provider", "string", "Provider to try when the main one fails.", None),
    _f("fallback_chain", "array", "Ordered providers to try.", None,
       items=_f("entry", "object", "A provider and model to try.", children=FALLBACK_ENTRY)),
    _f("roles", "object", "Named system prompts with their own model and options: `perspt --role NAME`, "
       "`/role NAME`.", None, values=_f("role", "object", "A role.", children=ROLE)),
    _f("options", "object", "Ollama model options (num_ctx, num_gpu, num_thread, ...).", None, open_object=True),
    _f("debug", ("object", "boolean"), "Debug logging.", None, children=DEBUG),
    _f("resource_limits", "object", "Limits on history, cache and logs.", None, children=RESOURCE_LIMITS),
    _f("network", "object", "Connections, TLS trust, DNS and timeouts.", None, children=NETWORK),
    _f("performance", "object", "Performance tuning.", None, children=PERFORMANCE),
    _f("doctor", "object", "perspt doctor settings.", None, children=DOCTOR),
)

REQUEST_OPTIONS = ("temperature", "top_p", "max_tokens", "frequency_penalty")
"""The settings every adapter sends with a request; `-o NAME VALUE` sets one for one call."""

COMMENT_PREFIX = "_"
"""Keys such as `_comment` are notes for people; perspt skips them silently."""

SCHEMA_KEY = "$schema"
"""Where an editor finds the JSON Schema for completion; perspt itself ignores its value."""


def packaged_schema_uri() -> str:
    """The `file:` URI of the JSON Schema shipped inside the installed package."""
    from importlib import resources
    from pathlib import Path

    return Path(str(resources.files("perspt_doctor").joinpath("schemas/config.schema.json"))).resolve().as_uri()

LEGACY_KEYS: dict[str, str] = {
    "provider_type": "provider",
    "default_provider": "provider",
    "default_model": "model",
    "providers": "provider_endpoints",
}

_LEGACY_ORDER: dict[str, tuple[str, ...]] = {"provider": ("provider_type", "default_provider")}
"""Where two old spellings name the same key, the first one listed wins (as it did upstream)."""

FIELDS: dict[str, Field] = {f.name: f for f in SCHEMA}


def field_at(path: str) -> Field | None:
    """`network.ca_bundle` -> its Field."""
    parts = path.split(".")
    current: Field | None = FIELDS.get(parts[0])
    for part in parts[1:]:
        if current is None:
            return None
        current = next((c for c in current.children if c.name == part), None)
    return current


def schema_default(dotted: str) -> Any:
    """The built-in default of a setting (None for an unknown key or one without a default)."""
    spec = field_at(dotted)
    return spec.default if spec is not None else None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _type_ok(value: Any, types: tuple[str, ...]) -> bool:
    actual = _json_type(value)
    return actual in types or (actual == "integer" and "number" in types)


def validate(data: Mapping[str, Any], file: str | None = None,
             positions: Mapping[str, tuple[int, int]] | None = None) -> list[Diagnostic]:
    """Type and key checks on a parsed config. Errors mean perspt cannot use the value.

    With `positions` (from `positions.key_positions`), each finding names the line and column of its key."""
    found = _validate(data, file) + _provider_names(data, file)
    if not positions:
        return found
    from perspt_doctor.settings.positions import position_of

    located: list[Diagnostic] = []
    for diag in found:
        where = position_of(dict(positions), diag.key_path) if diag.key_path and diag.line is None else None
        located.append(replace(diag, line=where[0], column=where[1]) if where else diag)
    return located


_PROVIDER_PATHS = ("provider", "provider_type", "default_provider", "fallback_provider")


def _provider_names(data: Mapping[str, Any], file: str | None) -> list[Diagnostic]:
    """Provider ids anywhere in the file must be ones perspt knows (aliases allowed)."""
    from perspt_doctor import catalog

    named: list[tuple[str, str, Severity]] = []
    for key in _PROVIDER_PATHS:
        value = data.get(key)
        if isinstance(value, str):
            named.append((key, value, "error" if key in ("provider", "provider_type") else "warning"))
    chain = data.get("fallback_chain")
    if isinstance(chain, list):
        for index, entry in enumerate(chain):
            if isinstance(entry, Mapping):
                for key in ("provider", "provider_type"):
                    if isinstance(entry.get(key), str):
                        named.append((f"fallback_chain[{index}].{key}", entry[key], "warning"))
    for map_key in ("provider_endpoints", "api_keys", "providers"):
        table = data.get(map_key)
        if isinstance(table, Mapping):
            named.extend((f"{map_key}.{name}", str(name), "warning") for name in table)
    out: list[Diagnostic] = []
    for path, value, severity in named:
        if catalog.canonical_id(value) is not None:
            continue
        close = did_you_mean(value, catalog.all_names(), limit=1, cutoff=0.7)
        hint = f"did you mean `{close[0]}`?" if close else "known: " + ", ".join(catalog.all_ids())
        out.append(Diagnostic(severity, "unknown-provider", f"unknown provider `{value}` at `{path}`",
                              file=file, key_path=path, hint=hint))
    return out


def _validate(data: Mapping[str, Any], file: str | None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for key, value in data.items():
        if key.startswith(COMMENT_PREFIX) or key == SCHEMA_KEY:
            continue
        if key in LEGACY_KEYS:
            out.append(Diagnostic(
                "warning", "legacy-key", f"`{key}` is an old spelling of `{LEGACY_KEYS[key]}`",
                file=file, key_path=key,
                hint="run `perspt config migrate` (or `perspt --migrate-config`) to rename it"))
            continue
        spec = FIELDS.get(key)
        if spec is None:
            close = did_you_mean(key, [*FIELDS, *LEGACY_KEYS], limit=1, cutoff=0.7)
            out.append(Diagnostic(
                "warning", "unknown-key", f"unknown key `{key}` is ignored", file=file, key_path=key,
                hint=f"did you mean `{close[0]}`?" if close else "remove it, or see `perspt config show`"))
            continue
        out.extend(_validate_value(spec, value, key, file))
    return out


def validate_value(spec: Field, value: Any, path: str, file: str | None = None) -> list[Diagnostic]:
    """The findings for one value of `spec` (the environment's values are checked with this too)."""
    return _validate_value(spec, value, path, file)


def _validate_value(spec: Field, value: Any, path: str, file: str | None) -> list[Diagnostic]:
    if value is None:
        if spec.nullable:
            return []
        return [Diagnostic("error", "null-value", f"`{path}` is null; expected {_expected(spec)}", file=file,
                           key_path=path, hint=f"give it a value or delete the `{path.split('.')[-1]}` line")]
    if not _type_ok(value, spec.types):
        return [Diagnostic("error", "wrong-type",
                           f"`{path}` should be {_expected(spec)}, not {_actual(value, spec)}",
                           file=file, key_path=path, hint=_type_hint(spec, value))]
    out: list[Diagnostic] = []
    if isinstance(value, float) and not math.isfinite(value):
        return [Diagnostic("error", "out-of-range", f"`{path}` is {value}; it must be a finite number", file=file,
                           key_path=path)]
    if spec.choices and isinstance(value, str) and value.lower() not in spec.choices:
        close = did_you_mean(value, spec.choices, limit=1, cutoff=0.7)
        out.append(Diagnostic("error", "bad-choice", f"`{path}` is {value!r}; expected one of {', '.join(spec.choices)}",
                              file=file, key_path=path, hint=f"did you mean {close[0]!r}?" if close else None))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            out.append(Diagnostic("error", "out-of-range", f"`{path}` is {value}; it must be at least {spec.minimum:g}",
                                  file=file, key_path=path))
        if spec.maximum is not None and value > spec.maximum:
            out.append(Diagnostic("error", "out-of-range", f"`{path}` is {value}; it must be at most {spec.maximum:g}",
                                  file=file, key_path=path))
    if isinstance(value, Mapping) and spec.children:
        names = [c.name for c in spec.children]
        for child_key, child_value in value.items():
            child = next((c for c in spec.children if c.name == child_key), None)
            child_path = f"{path}.{child_key}"
            if child is None and str(child_key).startswith(COMMENT_PREFIX):
                continue
            if child is None:
                close = did_you_mean(str(child_key), names, limit=1, cutoff=0.7)
                out.append(Diagnostic("warning", "unknown-key", f"unknown key `{child_path}` is ignored", file=file,
                                      key_path=child_path,
                                      hint=f"did you mean `{path}.{close[0]}`?" if close else None))
            else:
                out.extend(_validate_value(child, child_value, child_path, file))
    if isinstance(value, Mapping) and spec.values is not None:
        for name, entry in value.items():
            if not str(name).startswith(COMMENT_PREFIX):
                out.extend(_validate_value(spec.values, entry, f"{path}.{name}", file))
    if isinstance(value, list) and spec.items is not None:
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if spec.items.children and isinstance(item, Mapping):
                out.extend(_validate_value(spec.items, item, item_path, file))
            elif not _type_ok(item, spec.items.types):
                out.append(Diagnostic("error", "wrong-type",
                                      f"`{item_path}` should be {_expected(spec.items)}, not {_actual(item, spec.items)}",
                                      file=file, key_path=item_path))
    return out


_TYPE_NAMES = {"string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "object": "an object", "array": "a list", "null": "null"}


def _expected(spec: Field) -> str:
    types = [t for t in spec.types if not (t == "integer" and "number" in spec.types)]
    return " or ".join(_TYPE_NAMES.get(t, t) for t in types)


def _actual(value: Any, spec: Field) -> str:
    kind = _TYPE_NAMES.get(_json_type(value), _json_type(value))
    if spec.secret:
        return kind
    return f"{kind} ({_preview(value)})"


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _type_hint(spec: Field, value: Any) -> str | None:
    if spec.name == "proxy" and not isinstance(value, (str, Mapping)):
        return 'give the proxy URL as text: "proxy": "http://proxy.example.com:8080"'
    if isinstance(value, str) and ("integer" in spec.types or "number" in spec.types):
        number = re.match(r"\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$", value)
        if number and number.group(2):
            return f"write a plain number without quotes or units: \"{spec.name}\": {number.group(1)}"
        if number:
            return f"write the number without quotes: \"{spec.name}\": {number.group(1)}"
        return f"write a number without quotes, e.g. \"{spec.name}\": {spec.default if spec.default is not None else 1}"
    if isinstance(value, str) and "boolean" in spec.types and value.lower() in ("true", "false"):
        return f"write {value.lower()} without quotes"
    if isinstance(value, (int, float)) and "string" in spec.types and not spec.secret:
        return f"put the value in quotes: \"{spec.name}\": \"{value}\""
    if spec.secret and "string" in spec.types:
        return "a key is text: put it in double quotes"
    return None


@dataclass
class Migration:
    data: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    """What was done, in the past tense (`renamed `a` to `b``), for after the file is written."""
    steps: list[str] = field(default_factory=list)
    """The same changes as steps still to take (`rename `a` to `b``), for plans and dry runs."""


def migrate(data: Mapping[str, Any]) -> Migration:
    """Rename legacy keys to their current spelling. The newer key wins where both exist."""
    result: dict[str, Any] = {}
    out = Migration(result)

    def change(done: str, step: str) -> None:
        out.changes.append(done)
        out.steps.append(step)

    for key, value in data.items():
        target = LEGACY_KEYS.get(key)
        if target is None:
            result[key] = value
            continue
        winner = next((k for k in (target, *_LEGACY_ORDER.get(target, ())) if k in data), key)
        if winner != key:
            change(f"removed `{key}` (already set as `{winner}`)", f"remove `{key}` (already set as `{winner}`)")
            continue
        if key == "providers" and not isinstance(value, Mapping):
            change("removed `providers` (not a map of provider -> URL)",
                   "remove `providers` (not a map of provider -> URL)")
            continue
        result[target] = value
        change(f"renamed `{key}` to `{target}`", f"rename `{key}` to `{target}`")
    return out


JSON_SCHEMA_ID = "urn:perspt:config-schema:1"
_LEGACY_TYPES: dict[str, dict[str, Any]] = {
    "provider_type": {"type": "string"},
    "default_provider": {"type": "string"},
    "default_model": {"type": "string"},
    "providers": {"type": "object", "additionalProperties": {"type": "string"}},
}


def config_json_schema() -> dict[str, Any]:
    """A Draft 2020-12 JSON Schema of the config file, generated from SCHEMA (for editors and CI)."""
    properties: dict[str, Any] = {SCHEMA_KEY: {"type": "string", "description": "The JSON Schema of this file, "
                                               "for completion in editors (`perspt config create` writes it)."}}
    properties.update({spec.name: _field_schema(spec) for spec in SCHEMA})
    for old, new in LEGACY_KEYS.items():
        properties[old] = {**_LEGACY_TYPES[old], "deprecated": True,
                           "description": f"Old spelling of `{new}`; `perspt config migrate` renames it."}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": JSON_SCHEMA_ID,
        "title": "perspt configuration",
        "description": "The config file of perspt (config.json). Keys starting with `_` are comments.",
        "type": "object",
        "properties": properties,
        "patternProperties": {f"^{COMMENT_PREFIX}": {}},
        "additionalProperties": False,
    }


def _field_schema(spec: Field) -> dict[str, Any]:
    types = [t for t in spec.types if not (t == "integer" and "number" in spec.types)]
    if spec.nullable:
        types.append("null")
    out: dict[str, Any] = {"type": types[0] if len(types) == 1 else types, "description": spec.doc}
    if spec.default is not None:
        out["default"] = spec.default
    if spec.choices:
        out["enum"] = [*spec.choices, None] if spec.nullable else list(spec.choices)
    if spec.minimum is not None:
        out["minimum"] = spec.minimum
    if spec.maximum is not None:
        out["maximum"] = spec.maximum
    if spec.secret:
        out["writeOnly"] = True
    if spec.children:
        out["properties"] = {child.name: _field_schema(child) for child in spec.children}
        out["patternProperties"] = {f"^{COMMENT_PREFIX}": {}}
        out["additionalProperties"] = False
    elif spec.values is not None:
        out["additionalProperties"] = _field_schema(spec.values)
    elif spec.open_object:
        out["additionalProperties"] = {} if spec.name == "options" else {"type": "string"}
    if spec.items is not None:
        out["items"] = _field_schema(spec.items)
    return out
