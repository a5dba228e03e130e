"""The one redaction path. Every output (terminal, JSON, logs, reports, history exports,
exception messages) passes through `redact()` before it leaves the process.

Three layers:
1. secret *values* perspt resolved itself (keys from flags, environment, keyring, config;
   proxy passwords), registered with `register_secret` as soon as they are read;
2. secret *shapes*: every provider key format in the catalog, bearer and API-key headers,
   `key=` query parameters, `"api_key": "..."`-style assignments, URL userinfo;
3. identity: the home directory becomes `~` and the user name `<user>`.
"""

from __future__ import annotations

import getpass
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"
_MIN_SECRET_LEN = 6
# A login name that is also an everyday word would blot out ordinary text; such names say nothing
# about the person anyway.
_GENERIC_USERS = frozenset({"root", "user", "admin", "runner", "ubuntu", "debian", "vagrant", "nobody", "test"})

_SECRET_NAMES = r"(?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|secret|password|passwd|token|credentials?)"

_SHAPE_PATTERNS: tuple[str, ...] = (
    r"sk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{16,}",
    r"sk-or-v1-[0-9a-fA-F]{16,}",
    r"sk-(?:proj|svcacct|service|admin|None)-[A-Za-z0-9_-]{16,}",
    r"sk-[A-Za-z0-9_-]{20,}",
    r"AIza[A-Za-z0-9_-]{30,}",
    r"\b[AI]Q\.[A-Za-z0-9_.-]{20,}",
    r"gsk_[A-Za-z0-9]{20,}",
    r"xai-[A-Za-z0-9_]{20,}",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}",
    # Cohere (40) and Mistral (32) keys have no prefix: a bare token of exactly that length mixing upper
    # case, lower case and digits. Hex digests (one case only) and UUIDs (dashes) do not match.
    r"(?<![A-Za-z0-9_./-])(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z])(?=[A-Za-z0-9]*[0-9])"
    r"(?:[A-Za-z0-9]{40}|[A-Za-z0-9]{32})(?![A-Za-z0-9_-])",
)

# (pattern, replacement) pairs applied after the shapes; each keeps the label and hides the value.
_CONTEXT_RULES: tuple[tuple[str, str], ...] = (
    # Authorization: Bearer xxx / Proxy-Authorization: Basic xxx
    (r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*[\"']?(?:bearer|basic|token)?\s*)[^\s\"',;]+", r"\1" + REDACTED),
    (r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}", r"\1" + REDACTED),
    # x-api-key: xxx, x-goog-api-key: xxx
    (r"(?i)\b(x-(?:goog-)?api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+", r"\1" + REDACTED),
    # ?key=xxx&  api_key=xxx  (query strings and env-style assignments)
    (r"(?i)([?&;](?:key|api_key|apikey|token|access_token)=)[^&\s\"'#]+", r"\1" + REDACTED),
    # (a shell reference such as "$CLAUDE_API_KEY" is a name, not a value)
    (r"(?i)\b([A-Z0-9_]*(?:API_KEY|_TOKEN|_SECRET|PASSWORD)\s*=\s*[\"']?)(?!\$\{?[A-Za-z_])[^\s\"']+",
     r"\1" + REDACTED),
    # "api_key": "xxx" in JSON / Python reprs
    (r"(?i)([\"']" + _SECRET_NAMES + r"[\"']\s*:\s*[\"'])[^\"']+([\"'])", r"\1" + REDACTED + r"\2"),
    # scheme://user:password@host  (proxy URLs and base URLs with credentials)
    (r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@\"']+:[^/\s@\"']*@", r"\1" + REDACTED + "@"),
    (r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@\"']{3,}@", r"\1" + REDACTED + "@"),
)


class Redactor:
    """Removes secrets and personal details from text. Thread-safe; cheap when nothing matches."""

    def __init__(self, home: str | None = None, user: str | None = None) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, str] = {}
        self._secret_re: re.Pattern[str] | None = None
        self._shapes = re.compile("|".join(f"(?:{p})" for p in _SHAPE_PATTERNS))
        self._context = [(re.compile(p), r) for p, r in _CONTEXT_RULES]
        # One search tells whether any context rule can apply; most text needs none of the eight passes.
        self._context_any = re.compile("|".join(f"(?:{p.removeprefix('(?i)')})" for p, _ in _CONTEXT_RULES),
                                       re.IGNORECASE)
        self._home = home if home is not None else _home_dir()
        self._user = user if user is not None else _user_name()
        self._home_re = _home_pattern(self._home)
        self._user_re = (
            re.compile(r"(?<![A-Za-z0-9_])" + re.escape(self._user) + r"(?![A-Za-z0-9_])")
            if self._user and len(self._user) >= 3 and self._user.lower() not in _GENERIC_USERS
            else None
        )

    def register_secret(self, value: str | None, label: str = "secret") -> None:
        """Remember a value perspt resolved so that it never appears in any output."""
        if not value:
            return
        candidates = {value, value.strip(), value.strip().strip("\"'")}
        with self._lock:
            changed = False
            for candidate in candidates:
                if len(candidate) >= _MIN_SECRET_LEN and candidate not in self._secrets:
                    self._secrets[candidate] = label
                    changed = True
            if changed:
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._secret_re = re.compile("|".join(re.escape(s) for s in ordered))

    def forget_all(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._secret_re = None

    @property
    def known_secret_count(self) -> int:
        return len(self._secrets)

    def redact(self, text: str) -> str:
        if not text:
            return text
        secret_re = self._secret_re
        if secret_re is not None:
            text = secret_re.sub(REDACTED, text)
        text = self._shapes.sub(REDACTED, text)
        if self._context_any.search(text):
            for pattern, replacement in self._context:
                text = pattern.sub(replacement, text)
        if self._home_re is not None:
            text = self._home_re.sub("~", text)
        if self._user_re is not None:
            text = self._user_re.sub("<user>", text)
        return text

    def redact_obj(self, obj: Any) -> Any:
        """Redact every string inside a JSON-like structure (keys included)."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, Mapping):
            return {self.redact(str(k)): self.redact_obj(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.redact_obj(v) for v in obj]
        return obj

    def find_leaks(self, text: str) -> list[tuple[int, str]]:
        """Lines (1-based) of `text` that still hold a known secret or a secret shape.

        Used as the final scan of reports: anything found here means a bug upstream of it.
        """
        hits: list[tuple[int, str]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if self.redact(line) != _identity_only(self, line):
                hits.append((number, line))
        return hits


def _identity_only(redactor: Redactor, line: str) -> str:
    if redactor._home_re is not None:
        line = redactor._home_re.sub("~", line)
    if redactor._user_re is not None:
        line = redactor._user_re.sub("<user>", line)
    return line


def _home_dir() -> str:
    home = os.path.expanduser("~")
    return home if home not in ("", "/", "~") else ""


def _user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry, no env var: nothing to hide
        return ""


def _home_pattern(home: str) -> re.Pattern[str] | None:
    if not home or len(home) < 2:
        return None
    return re.compile(re.escape(home.rstrip("/\\")) + r"(?=[/\\]|\b|$)")


def mask(value: str | None, keep: int = 4) -> str:
    """For showing which key is in use: only the last `keep` characters survive."""
    if not value:
        return "(empty)"
    value = value.strip()
    if len(value) <= keep * 2:
        return "*" * len(value)
    return "…" + value[-keep:]


_default: Redactor | None = None
_default_lock = threading.Lock()


def default_redactor() -> Redactor:
    global _default
    with _default_lock:
        if _default is None:
            _default = Redactor()
        return _default


def reset_default_redactor(redactor: Redactor | None = None) -> Redactor:
    """For tests and for a fresh process state (home and user are read again)."""
    global _default
    with _default_lock:
        _default = redactor or Redactor()
        return _default


def register_secret(value: str | None, label: str = "secret") -> None:
    default_redactor().register_secret(value, label)


def redact(text: str) -> str:
    return default_redactor().redact(text)


def redact_obj(obj: Any) -> Any:
    return default_redactor().redact_obj(obj)


def redact_lines(lines: Iterable[str]) -> list[str]:
    r = default_redactor()
    return [r.redact(line) for line in lines]
