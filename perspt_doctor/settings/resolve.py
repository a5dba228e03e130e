"""Resolution: flag > environment > keyring (keys only) > config file > built-in default.

Each resolved value keeps its source so that `perspt config show` and the doctor can say where
it came from. Secrets are registered with the redactor the moment they are read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from perspt_doctor import catalog, paths, redact
from perspt_doctor.errors import PersptError
from perspt_doctor.settings.diagnostics import ConfigError, Diagnostic
from perspt_doctor.settings.key_text import check_key_text, undecodable_byte
from perspt_doctor.settings.loader import LoadedConfig, read_config, validate_loaded
from perspt_doctor.settings.schema import (
    LEGACY_KEYS,
    REQUEST_OPTIONS,
    SCHEMA,
    Field,
    field_at,
    schema_default,
    validate_value,
)
from perspt_doctor.settings.sources import Resolved, Shadowed, Source

ENV_PREFIX = "PERSPT_"

PERFORMANCE_ALIASES = {"stream": "performance.stream", "timeout": "performance.timeout",
                       "max_tokens": "performance.max_tokens"}
"""The guide also puts these under `performance`; the file's top-level key wins when both are there."""


@dataclass
class Flags:
    """Values given on the command line. None means "not given"."""

    provider: str | None = None
    model: str | None = None
    api_key: str | None = None
    base_url: str | None = None
    config: str | None = None
    no_config: bool = False
    stream: bool | None = None
    timeout: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Any other dotted setting given by a flag, e.g. {"temperature": 0.2}."""


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
"""The variables a proxy URL is read from, in both spellings."""


@dataclass
class KeyLookup:
    """How the key for one provider was found, including the ones that lost."""

    provider: str
    resolved: Resolved[str | None]
    env_present: dict[str, str]
    """Variable name -> raw value, for every key variable of this provider that is set."""
    keyring_error: str | None = None
    complete: bool = True
    """False when the keyring and the config file were not consulted because a flag or an environment
    variable already gave the key (what the client needs; the doctor asks for the complete picture)."""
    keyring_hint: str | None = None

    def unreadable_store(self) -> PersptError | None:
        """When a provider that needs a key has none given and the stored keys could not be read (a keyring
        that does not answer): the error that says so, for the client to raise and `keys.*` to report.
        The key may well be stored, and "no API key" would send the user to store it again."""
        spec = catalog.PROVIDERS.get(self.provider)
        if self.resolved.value or not self.keyring_error or spec is None or not spec.key_required:
            return None
        from perspt_doctor.settings.keystore import KeyringUnavailable

        return KeyringUnavailable(f"no API key for {spec.display_name} was given, and the stored keys could not be "
                                  f"read: {self.keyring_error}", hint=self.keyring_hint or
                                  "run `perspt doctor --only 'keyring.*'`, or give the key in the provider's "
                                  "variable for now")


class Settings:
    """The resolved settings of one perspt process."""

    def __init__(self, *, flags: Flags, env: Mapping[str, str], config: LoadedConfig | None,
                 keyring_lookup: Any | None = None) -> None:
        self.flags = flags
        self.env = env
        self.config = config
        self._keyring_lookup = keyring_lookup
        self._keys: dict[str, KeyLookup] = {}
        self._file: dict[str, Any] = _normalised(config.data if config else {})
        if flags.api_key:
            redact.register_secret(flags.api_key, "--api-key")
        for key in _secret_values(self._file):
            redact.register_secret(key, "config file")
        self._register_proxy_secrets()

    # ---- generic settings -------------------------------------------------------------
    def resolved(self, dotted: str) -> Resolved[Any]:
        spec = field_at(dotted)
        candidates: list[Resolved[Any]] = []
        flag_value = self._flag_value(dotted)
        if flag_value is not None:
            candidates.append(Resolved(flag_value, Source.FLAG, "command line"))
        env_name = ENV_PREFIX + dotted.upper().replace(".", "_")
        if env_name in self.env and self.env[env_name] != "":
            value = _coerce(self.env[env_name], spec)
            if spec is None or not _env_errors(spec, value, env_name):  # a bad value is reported, never used
                candidates.append(Resolved(value, Source.ENV, f"{env_name} (environment)"))
        file_key = dotted
        file_value = _dig(self._file, dotted)
        if file_value is _MISSING and dotted in PERFORMANCE_ALIASES:
            file_key = PERFORMANCE_ALIASES[dotted]
            file_value = _dig(self._file, file_key)
        if file_value is not _MISSING:
            candidates.append(Resolved(file_value, Source.CONFIG, f"{self.config_name}: {file_key}"))
        default = spec.default if spec is not None else None
        candidates.append(Resolved(default, Source.DEFAULT, "default"))
        winner = candidates[0]
        shadowed = tuple(Shadowed(c.origin, c.value, c.value != winner.value) for c in candidates[1:-1])
        return Resolved(winner.value, winner.source, winner.origin, shadowed, secret=bool(spec and spec.secret))

    def get(self, dotted: str, default: Any = None) -> Any:
        """The resolved value; where it is None, `default`, else the schema's default. The schema is the one
        place a default lives: pass `default` only for a key the schema gives none (a test keeps it so)."""
        value = self.resolved(dotted).value
        if value is not None:
            return value
        return default if default is not None else schema_default(dotted)

    def number(self, dotted: str) -> float:
        """A numeric setting; the schema's default where the value is not a number (e.g. a bad variable)."""
        value = self.get(dotted)
        if isinstance(value, bool) or not isinstance(value, int | float):
            value = schema_default(dotted)
        return float(value)

    def integer(self, dotted: str) -> int:
        """An integer setting; the schema's default where the value is not an integer."""
        value = self.get(dotted)
        if isinstance(value, bool) or not isinstance(value, int):
            value = schema_default(dotted)
        return int(value)

    def _flag_value(self, dotted: str) -> Any:
        direct = {"provider": self.flags.provider, "model": self.flags.model, "stream": self.flags.stream,
                  "timeout": self.flags.timeout}
        if dotted in direct and direct[dotted] is not None:
            return direct[dotted]
        return self.flags.extra.get(dotted)

    @property
    def config_name(self) -> str:
        return self.config.path.name if self.config else "config"

    # ---- provider, model --------------------------------------------------------------
    @property
    def provider(self) -> Resolved[str]:
        raw = self.resolved("provider")
        canonical = catalog.canonical_id(str(raw.value)) if raw.value else None
        return Resolved(canonical or str(raw.value), raw.source, raw.origin, raw.shadowed)

    @property
    def provider_is_known(self) -> bool:
        return catalog.canonical_id(str(self.resolved("provider").value or "")) is not None

    @property
    def model(self) -> Resolved[str]:
        raw = self.resolved("model")
        if raw.value:
            return Resolved(str(raw.value), raw.source, raw.origin, raw.shadowed)
        pid = self.provider.value
        default = catalog.PROVIDERS[pid].default_model if pid in catalog.PROVIDERS else ""
        return Resolved(default, Source.DEFAULT, f"default model of {pid}")

    # ---- keys --------------------------------------------------------------------------
    def key_lookup(self, provider: str, *, complete: bool = True) -> KeyLookup:
        """Every source of the key, with what each holds (`complete`), or only as far as the first source
        that has one. Cached per provider."""
        pid = catalog.canonical_id(provider) or provider
        cached = self._keys.get(pid)
        if cached is None or (complete and not cached.complete):
            cached = self._keys[pid] = self._lookup_key(pid, complete=complete)
        return cached

    def key_for(self, provider: str) -> Resolved[str | None]:
        """The key the client sends. The keyring (slow to open) is asked only when no flag or
        environment variable holds one. Raises ConfigError for a key no HTTP header can carry (a line
        break or another control character in it), before any request is made; KeyringUnavailable when a
        provider that needs a key has none given and the stored keys could not be read."""
        lookup = self.key_lookup(provider, complete=False)
        resolved = lookup.resolved
        if resolved.value:
            check_key_text(resolved.value, resolved.origin)
        unreadable = lookup.unreadable_store()
        if unreadable is not None:
            raise unreadable
        return resolved

    def _lookup_key(self, pid: str, *, complete: bool = True) -> KeyLookup:
        spec = catalog.PROVIDERS.get(pid)
        found: list[Resolved[str | None]] = []
        if self.flags.api_key and pid == self.provider.value:
            found.append(Resolved(self.flags.api_key, Source.FLAG, "--api-key (command line)", secret=True))
        env_present: dict[str, str] = {}
        for name in spec.key_env if spec else ():
            value = self.env.get(name)
            if value is not None and value != "":
                env_present[name] = value
                redact.register_secret(value, name)
                found.append(Resolved(value, Source.ENV, f"{name} (environment)", secret=True))
        if found and not complete:
            return _lookup_from(pid, found, env_present, None, complete=False)
        keyring_error: str | None = None
        keyring_hint: str | None = None
        if self._keyring_lookup is not None:
            try:
                stored = self._keyring_lookup(pid)
            except Exception as exc:  # noqa: BLE001 - a broken keyring must not stop the client
                stored = None
                said = str(exc) if isinstance(exc, PersptError) else f"{type(exc).__name__}: {exc}"
                keyring_error = redact.redact(said)
                keyring_hint = getattr(exc, "hint", None)
            if stored:
                redact.register_secret(stored, "keyring")
                found.append(Resolved(stored, Source.KEYRING, f"keyring (service perspt, user {pid})", secret=True))
        from perspt_doctor.settings import keyfile

        try:
            in_file = keyfile.read_key(pid)
        except keyfile.KeyFileError as exc:
            in_file = None
            keyring_error = keyring_error or redact.redact(str(exc))
        if in_file:
            redact.register_secret(in_file, "key file")
            found.append(Resolved(in_file, Source.KEY_FILE, f"key file {keyfile.key_file()}", secret=True))
        file_key = self._file_key(pid)
        if file_key is not None:
            found.append(Resolved(file_key[1], Source.CONFIG, f"{self.config_name}: {file_key[0]}", secret=True))
        return replace(_lookup_from(pid, found, env_present, keyring_error), keyring_hint=keyring_hint)

    def _file_key(self, pid: str) -> tuple[str, str] | None:
        keys = self._file.get("api_keys")
        if isinstance(keys, Mapping):
            for name, value in keys.items():
                if catalog.canonical_id(str(name)) == pid and isinstance(value, str) and value:
                    return f"api_keys.{name}", value
        main = self._file.get("api_key")
        file_provider = catalog.canonical_id(str(self._file.get("provider") or schema_default("provider")))
        if isinstance(main, str) and main and file_provider == pid:
            return "api_key", main
        return None

    # ---- endpoints ---------------------------------------------------------------------
    def base_url_for(self, provider: str) -> Resolved[str]:
        pid = catalog.canonical_id(provider) or provider
        spec = catalog.PROVIDERS.get(pid)
        found: list[Resolved[str]] = []
        if self.flags.base_url and pid == self.provider.value:
            found.append(Resolved(self.flags.base_url, Source.FLAG, "--base-url (command line)"))
        for name in spec.base_url_env if spec else ():
            value = self.env.get(name, "").strip()
            if value:
                found.append(Resolved(value, Source.ENV, f"{name} (environment)"))
        file_provider = catalog.canonical_id(str(self._file.get("provider") or schema_default("provider")))
        base = self._file.get("base_url")
        if isinstance(base, str) and base.strip() and file_provider == pid:
            found.append(Resolved(base.strip(), Source.CONFIG, f"{self.config_name}: base_url"))
        endpoints = self._file.get("provider_endpoints")
        if isinstance(endpoints, Mapping):
            for name, value in endpoints.items():
                if catalog.canonical_id(str(name)) == pid and isinstance(value, str) and value.strip():
                    found.append(Resolved(value.strip(), Source.CONFIG,
                                          f"{self.config_name}: provider_endpoints.{name}"))
        for item in found:
            _register_url_password(item.value, item.origin)
        found.append(Resolved(spec.base_url if spec else "", Source.DEFAULT, "built-in default"))
        winner = found[0]
        shadowed = tuple(Shadowed(f.origin, f.value, f.value != winner.value) for f in found[1:-1])
        return Resolved(winner.value, winner.source, winner.origin, shadowed)

    # ---- scope -------------------------------------------------------------------------
    def fallback_providers(self) -> list[tuple[str, str | None]]:
        """(provider id, model or None) for `fallback_provider` and each `fallback_chain` entry."""
        out: list[tuple[str, str | None]] = []
        single = self.get("fallback_provider")
        if isinstance(single, str) and single:
            out.append((catalog.canonical_id(single) or single, None))
        chain = self.get("fallback_chain")
        if isinstance(chain, list):
            for entry in chain:
                if isinstance(entry, Mapping):
                    name = entry.get("provider") or entry.get("provider_type")
                    if isinstance(name, str) and name:
                        model = entry.get("model")
                        out.append((catalog.canonical_id(name) or name, model if isinstance(model, str) else None))
        return out

    def providers_in_scope(self, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
        """The configured provider, the fallbacks, every provider with a key anywhere, and `extra`."""
        scope: list[str] = []

        def add(name: str) -> None:
            pid = catalog.canonical_id(name)
            if pid and pid not in scope:
                scope.append(pid)

        if extra:
            for name in extra:
                add(name)
            return scope
        add(self.provider.value)
        for pid, _model in self.fallback_providers():
            add(pid)
        for pid, spec in catalog.PROVIDERS.items():
            in_keyring = self._keyring_lookup is not None and self.key_lookup(pid).resolved.source == Source.KEYRING
            if any(self.env.get(name) for name in spec.key_env) or self._file_key(pid) or in_keyring:
                add(pid)
        if self.env.get("OLLAMA_HOST"):
            add("ollama")
        return scope

    def _register_proxy_secrets(self) -> None:
        from urllib.parse import urlsplit

        values: list[str] = []
        proxy = self._file.get("proxy")
        if isinstance(proxy, str):
            values.append(proxy)
        elif isinstance(proxy, Mapping):
            values.extend(v for v in proxy.values() if isinstance(v, str))
        for name in PROXY_VARIABLES:
            if self.env.get(name):
                values.append(self.env[name])
        for value in values:
            try:
                parts = urlsplit(value if "://" in value else "http://" + value)
            except ValueError:
                continue
            if parts.password:
                redact.register_secret(parts.password, "proxy password")
                from urllib.parse import unquote

                redact.register_secret(unquote(parts.password), "proxy password")


def _register_url_password(url: str, origin: str) -> None:
    """A password in a base URL (`http://user:pw@host`, an OLLAMA_HOST behind a proxy) is as secret as a key."""
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url if "://" in url else "http://" + url).password
    except ValueError:
        return
    if password:
        redact.register_secret(password, f"password in {origin}")
        redact.register_secret(unquote(password), f"password in {origin}")


def _lookup_from(pid: str, found: list[Resolved[str | None]], env_present: dict[str, str],
                 keyring_error: str | None, *, complete: bool = True) -> KeyLookup:
    if not found:
        return KeyLookup(pid, Resolved(None, Source.DEFAULT, "not set", secret=True), env_present, keyring_error,
                         complete)
    winner = found[0]
    shadowed = tuple(Shadowed(f.origin, f.value, f.value != winner.value) for f in found[1:])
    return KeyLookup(pid, Resolved(winner.value, winner.source, winner.origin, shadowed, secret=True),
                     env_present, keyring_error, complete)


_MISSING = object()


def _dig(data: Mapping[str, Any], dotted: str) -> Any:
    current: Any = data
    for part in dotted.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _normalised(data: Mapping[str, Any]) -> dict[str, Any]:
    """Legacy spellings read as their current names; the current name wins when both exist."""
    out = dict(data)
    for old, new in LEGACY_KEYS.items():
        if old in out and new not in out:
            out[new] = out[old]
    debug = out.get("debug")
    if isinstance(debug, bool):
        out["debug"] = {"enabled": debug}
    proxy = out.get("proxy")
    if isinstance(proxy, str):
        out["proxy"] = {"http": proxy, "https": proxy}
    return out


def _secret_values(data: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    if isinstance(data.get("api_key"), str):
        found.append(data["api_key"])
    keys = data.get("api_keys")
    if isinstance(keys, Mapping):
        found.extend(v for v in keys.values() if isinstance(v, str))
    return found


def _coerce(raw: str, spec: Field | None) -> Any:
    if spec is None:
        return raw
    text = raw.strip()
    if "boolean" in spec.types and text.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        return text.lower() in ("1", "true", "yes", "on")
    if "integer" in spec.types:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in spec.types:
        try:
            return float(text)
        except ValueError:
            pass
    if "array" in spec.types:
        return [part.strip() for part in text.split(",") if part.strip()]
    return raw


def env_diagnostics(env: Mapping[str, str]) -> list[Diagnostic]:
    """`PERSPT_<SETTING>` values checked against the same schema as the config file: a timeout of `abc`
    or `nan`, a pool size of 0 are errors, as they would be in the file."""
    out: list[Diagnostic] = []
    for dotted, spec in _env_fields():
        name = ENV_PREFIX + dotted.upper().replace(".", "_")
        raw = env.get(name, "")
        if raw != "" and dotted not in _PATH_SETTINGS:
            out.extend(_env_errors(spec, _coerce(raw, spec), name) or _undecodable(name, raw))
    for name in _TEXT_VARIABLES:
        out.extend(_undecodable(name, env.get(name, "")))
    out.extend(d for name in sorted(env) if name.endswith("_BASE_URL") for d in _undecodable(name, env[name]))
    return out


_PATH_SETTINGS = frozenset({"debug.log_file", "network.ca_bundle"})
"""Settings that name a file: any bytes the file system allows are fine there."""
_TEXT_VARIABLES = (*PROXY_VARIABLES, "NO_PROXY", "no_proxy", "OLLAMA_HOST")


def _undecodable(name: str, raw: str) -> list[Diagnostic]:
    """An error for a value holding bytes that are not UTF-8 (Python keeps them as lone surrogates, which
    no URL, header or log line can carry), naming the first such byte."""
    bad = undecodable_byte(raw)
    if bad is None:
        return []
    return [Diagnostic("error", "env-not-utf8", f"{name} holds a byte that is not UTF-8 text (0x{bad:02X})",
                       file="environment", hint=f"set {name} again as UTF-8 text, or unset it",
                       extra={"variable": name})]


def _env_fields() -> list[tuple[str, Field]]:
    """Settings an environment variable can give: plain values (objects come from the file only)."""
    out: list[tuple[str, Field]] = []
    for spec in SCHEMA:
        if spec.children and not spec.open_object:
            out.extend((f"{spec.name}.{c.name}", c) for c in spec.children if _env_settable(c))
        elif _env_settable(spec):
            out.append((spec.name, spec))
    return out


def _env_settable(spec: Field) -> bool:
    return not spec.secret and not spec.children and spec.types != ("object",)


def _env_errors(spec: Field, value: Any, name: str) -> list[Diagnostic]:
    found = validate_value(spec, value, name, file="environment")
    return [replace(d, key_path=None, hint=f"fix or unset {name}", extra={"variable": name})
            for d in found if d.severity == "error"]


def request_option(name: str, raw: str) -> Any:
    """The value of `-o NAME VALUE`, checked by the same schema as the config file and the environment.
    Raises UsageError for an unknown name (with did-you-mean) or a value the schema refuses (naming the range)."""
    from perspt_doctor.errors import UsageError
    from perspt_doctor.suggest import did_you_mean

    spec = field_at(name) if name in REQUEST_OPTIONS else None
    if spec is None:
        close = did_you_mean(name, REQUEST_OPTIONS)
        hint = f"did you mean {close[0]}? " if close else ""
        raise UsageError(f"-o {name}: not a request option", hint=f"{hint}known: {', '.join(REQUEST_OPTIONS)}")
    value = _coerce(raw, spec)
    errors = [d for d in validate_value(spec, value, name) if d.severity == "error"]
    if errors:
        raise UsageError(f"-o {name} {raw}: {errors[0].message.replace('`', '')}", hint=_accepted(spec))
    return value


def _accepted(spec: Field) -> str:
    kind = "a whole number" if spec.types == ("integer",) else "a number"
    if spec.minimum is not None and spec.maximum is not None:
        return f"{spec.name} takes {kind} from {spec.minimum:g} to {spec.maximum:g}"
    if spec.minimum is not None:
        return f"{spec.name} takes {kind} of at least {spec.minimum:g}"
    return f"{spec.name} takes {kind}"


def keyring_lookup_default(provider: str) -> str | None:
    from perspt_doctor.settings.keystore import get_key

    return get_key(provider)


def load_settings(flags: Flags | None = None, env: Mapping[str, str] | None = None, *,
                  use_keyring: bool = True) -> Settings:
    """Find and read the config file, then resolve. Raises ConfigError for a broken file."""
    flags = flags or Flags()
    environ = dict(os.environ if env is None else env)
    config: LoadedConfig | None = None
    if not flags.no_config:
        where = paths.locate_config(flags.config, environ)
        config = read_config(where.path, where.reason, required=where.reason != "default location")
        validate_loaded(config)
        fatal = config.errors
        if fatal:
            raise ConfigError(fatal[0], more=len(fatal) - 1, all_diagnostics=fatal, loaded=config)
    bad_env = env_diagnostics(environ)
    if bad_env:
        raise ConfigError(bad_env[0], more=len(bad_env) - 1, all_diagnostics=bad_env, loaded=config)
    return Settings(flags=flags, env=environ, config=config,
                    keyring_lookup=keyring_lookup_default if use_keyring else None)


def describe_all(settings: Settings) -> list[tuple[str, Resolved[Any]]]:
    """Every schema setting, resolved, for `perspt config show`."""
    rows: list[tuple[str, Resolved[Any]]] = []
    for spec in SCHEMA:
        if spec.name in ("api_key", "api_keys"):
            continue
        if spec.children and spec.name != "proxy":
            for child in spec.children:
                rows.append((f"{spec.name}.{child.name}", settings.resolved(f"{spec.name}.{child.name}")))
        else:
            rows.append((spec.name, settings.resolved(spec.name)))
    return rows

