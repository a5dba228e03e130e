"""What an issue report says besides the doctor's document: the machine, the install, the
config file (sanitized) and the last errors from the log. Everything leaves here redacted."""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perspt_doctor import redact
from perspt_doctor._version import __version__
from perspt_doctor.report import logtail

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings

_SECRET_KEY_WORDS = ("key", "token", "secret", "password", "passwd", "credential", "auth")
PROXY_ENV = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
             "no_proxy")
CA_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass
class ReportContext:
    perspt_version: str = __version__
    os: str = ""
    python: str = ""
    install_method: str = ""
    provider: str = ""
    model: str = ""
    config_path: str = ""
    config_text: str | None = None
    """The config file as sanitized JSON; None when there is no file or it cannot be parsed."""
    config_problem: str | None = None
    log_path: str = ""
    log_errors: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    """Proxy and CA variables that are set, values sanitized."""
    command: str = "perspt report"


def describe_os() -> str:
    system = platform.system() or sys.platform
    machine = platform.machine()
    if system == "Linux":
        try:
            name = platform.freedesktop_os_release().get("PRETTY_NAME", "")
        except OSError:
            name = ""
        return f"Linux {platform.release()} ({name or 'unknown distribution'}, {machine})"
    if system == "Darwin":
        return f"macOS {platform.mac_ver()[0] or platform.release()} ({machine})"
    if system == "Windows":
        release, version, _csd, _ptype = platform.win32_ver()
        return f"Windows {release} {version} ({machine})"
    return f"{system} {platform.release()} ({machine})"


def describe_python() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}"


def install_method() -> str:
    """How this copy of perspt was installed, as far as the files on disk tell."""
    from perspt_doctor.system.install import detect

    return detect().describe()


def sanitize_config(data: Mapping[str, Any]) -> dict[str, Any]:
    """The config with every secret value replaced: keys show only their last 4 characters,
    proxy URLs lose their user and password, and everything else passes the redactor. A key the
    schema does not know (a misspelled `api_kye`) keeps its value only when it is plainly not a
    secret: a boolean, a number, or a short lower-case word without digits such as `auto`."""
    return _sanitize(data, "", _ROOT)


_ROOT: Any = "root"
_OPEN: Any = "open"
"""Below a known object whose own keys are free (`provider_endpoints`, `options`): known values."""
_SAFE_WORD = re.compile(r"[a-z][a-z_-]{0,11}")


def _sanitize(value: Any, name: str, spec: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _sanitize(v, str(k) if not name else f"{name}.{k}", _child(spec, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        items = spec.items if spec not in (None, _ROOT, _OPEN) and spec.items is not None else spec
        return [_sanitize(v, name, items) for v in value]
    if isinstance(value, str):
        last = name.rsplit(".", 1)[-1].lower()
        if name.startswith("api_keys.") or any(word in last for word in _SECRET_KEY_WORDS):
            return f"<set, {len(value.strip())} characters, ends {redact.mask(value)}>" if value.strip() else ""
        if spec is None and not _SAFE_WORD.fullmatch(value):
            return f"<set, {len(value)} characters: not shown, `{name}` is not a known setting>" if value else ""
        return redact.redact(value)
    return value


def _child(spec: Any, key: str) -> Any:
    """The schema entry of `key` below `spec`; None when the schema does not know it."""
    from perspt_doctor.settings.schema import FIELDS, LEGACY_KEYS

    if spec is None:
        return None
    if spec is _OPEN:
        return _OPEN
    if spec is _ROOT:
        known = FIELDS.get(LEGACY_KEYS.get(key, key).split(".")[0])
        return known if known is not None else None
    if spec.open_object:
        return _OPEN
    holder = spec.items if spec.items is not None else spec
    return next((c for c in holder.children if c.name == key), None)


def sanitize_env_value(name: str, value: str) -> str:
    text = redact.redact(value)
    if any(word in name.lower() for word in ("key", "token", "secret", "password")):
        return "<set>"
    return text


def gather(settings: Settings | None, env: Mapping[str, str], *, config_path: Path | None = None,
           config_problem: str | None = None, log_path: Path | None = None) -> ReportContext:
    """Collect the report's context. `settings` is None when the config file could not be read."""
    ctx = ReportContext(os=describe_os(), python=describe_python(), install_method=install_method())
    if settings is not None:
        register_all_secrets(settings)
        model = settings.model
        # A file that could not be read may name another provider: a default is no answer then.
        unread = bool(config_problem) and (settings.config is None or not settings.config.data)
        if not (unread and str(settings.provider.origin).startswith("default")):
            ctx.provider = f"{settings.provider.value} (from {settings.provider.origin})"
        if not (unread and str(model.origin).startswith("default")):
            ctx.model = f"{model.value or '(none)'} (from {model.origin})"
        if settings.config is not None:
            config_path = settings.config.path
            if settings.config.exists:
                ctx.config_text = _dump(sanitize_config(settings.config.data))
            else:
                ctx.config_problem = "no config file (built-in defaults are used)"
        debug_log = settings.get("debug.log_file")
        if log_path is None and isinstance(debug_log, str) and debug_log:
            log_path = Path(debug_log).expanduser()
    if config_problem:
        ctx.config_problem = redact.redact(config_problem)
    ctx.config_path = redact.redact(str(config_path)) if config_path else "(none)"
    if log_path is None:
        from perspt_doctor import paths

        log_path = paths.log_file()
    ctx.log_path = redact.redact(str(log_path))
    ctx.log_errors = [redact.redact(record.text()) for record in logtail.error_records(logtail.read_tail(log_path))]
    ctx.environment = {name: sanitize_env_value(name, env[name]) for name in (*PROXY_ENV, *CA_ENV) if env.get(name)}
    return ctx


def register_all_secrets(settings: Settings) -> None:
    """Look up every provider's key (flag, environment, keyring, config) so the redactor knows
    each value, whatever its shape, before any text is assembled."""
    from perspt_doctor import catalog

    for pid in catalog.PROVIDERS:
        try:
            settings.key_lookup(pid)
        except Exception:  # noqa: BLE001 - a broken keyring must not stop the report
            continue


def _dump(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
