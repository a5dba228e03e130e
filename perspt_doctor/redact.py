"""The one redaction path. Every output (terminal, JSON, logs, reports, history exports,
exception messages) passes through `redact()` before it leaves the process. Chat replies are shown
as the model wrote them, except that a known secret value (and its encodings) is replaced there too
(`redact_known`, and `StreamRedactor` for streamed text).

Three layers:
1. secret *values* perspt resolved itself (keys from flags, environment, keyring, config;
   proxy passwords), registered with `register_secret` as soon as they are read, together with
   their common encodings (URL-encoded, base64 of the value and of `Bearer <value>`, hex,
   JSON- and repr-escaped), also when a line break splits them;
2. secret *shapes*: every provider key format in the catalog, other services' tokens (AWS, Slack,
   GitHub, Stripe, JWTs), bearer and API-key headers, `key=` query parameters, `password: x` and
   `"api_key": "..."`-style assignments, URL userinfo;
3. identity: the home directory becomes `~` and the user name `<user>`, in any letter case.
"""

from __future__ import annotations

import base64
import bisect
import functools
import getpass
import json
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
    r"gh[pousr]_[A-Za-z0-9]{30,}",
    r"github_pat_[A-Za-z0-9_]{22,}",
    r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])",
    r"xox[abposr]-[A-Za-z0-9-]{10,}",
    r"[sr]k_(?:live|test)_[A-Za-z0-9]{10,}",
    # a JSON Web Token: three base64url parts, the first two JSON objects
    r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
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
    # password: xxx / password=xxx / secret: xxx typed in a question or returned in an error body
    (r"(?i)\b((?:password|passwd|passphrase|pwd|client[_-]?secret)\s*[:=]\s*[\"']?)"
     r"(?!\[REDACTED\])(?!\$\{?[A-Za-z_])[^\s\"',;]{3,}", r"\1" + REDACTED),
    # "api_key": "xxx" in JSON / Python reprs
    (r"(?i)([\"']" + _SECRET_NAMES + r"[\"']\s*:\s*[\"'])[^\"']+([\"'])", r"\1" + REDACTED + r"\2"),
    # scheme://user:password@host  (proxy URLs and base URLs with credentials)
    (r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@\"']+:[^/\s@\"']*@", r"\1" + REDACTED + "@"),
    (r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@\"']{3,}@", r"\1" + REDACTED + "@"),
)


@functools.cache
def _shared_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(every secret shape, any context rule), compiled once per process: compiling them costs tens of
    milliseconds, which every command would otherwise pay at start."""
    shapes = re.compile("|".join(f"(?:{p})" for p in _SHAPE_PATTERNS))
    # One search tells whether any context rule can apply; most text needs none of the rules' passes.
    context_any = re.compile("|".join(f"(?:{p.removeprefix('(?i)')})" for p, _ in _CONTEXT_RULES), re.IGNORECASE)
    return shapes, context_any


@functools.cache
def _context_rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The context rules one by one, compiled only when some text needs them."""
    return tuple((re.compile(p), r) for p, r in _CONTEXT_RULES)


class Redactor:
    """Removes secrets and personal details from text. Thread-safe; cheap when nothing matches."""

    def __init__(self, home: str | None = None, user: str | None = None) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, str] = {}
        """Every form to hide (values and their encodings) -> label."""
        self._values: dict[str, str] = {}
        self._ordered: tuple[str, ...] = ()
        """The forms, longest first."""
        self._shapes, self._context_any = _shared_patterns()
        self._home = home if home is not None else _home_dir()
        self._user = user if user is not None else _user_name()
        self._home_re = _home_pattern(self._home)
        self._user_re = (
            re.compile(r"(?<![A-Za-z0-9_])" + re.escape(self._user) + r"(?![A-Za-z0-9_])", re.IGNORECASE)
            if self._user and len(self._user) >= 3 and self._user.lower() not in _GENERIC_USERS
            else None
        )

    def register_secret(self, value: str | None, label: str = "secret") -> None:
        """Remember a value perspt resolved so that it never appears in any output, in any of its
        common encodings either."""
        if not value:
            return
        candidates = {value, value.strip(), value.strip().strip("\"'")}
        with self._lock:
            changed = False
            for candidate in candidates:
                if len(candidate) < _MIN_SECRET_LEN or candidate in self._values:
                    continue
                self._values[candidate] = label
                for form in encodings(candidate):
                    if len(form) >= _MIN_SECRET_LEN and form not in self._secrets:
                        self._secrets[form] = label
                changed = True
            if changed:
                self._ordered = tuple(sorted(self._secrets, key=len, reverse=True))

    def forget_all(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._values.clear()
            self._ordered = ()

    @property
    def known_secret_count(self) -> int:
        return len(self._values)

    def known_secrets(self) -> list[str]:
        """The registered values themselves (not their encodings), longest first: for the final scan."""
        with self._lock:
            return sorted(self._values, key=len, reverse=True)

    def redact_known(self, text: str) -> str:
        """Only the known secret values and their encodings (also split by a line break): for chat
        replies, which are shown as written otherwise."""
        forms = self._ordered
        if not text or not forms:
            return text
        # `in` is a fast scan; one search per known form beats one regex with hundreds of branches.
        for form in forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return _redact_split(forms, text)

    def redact(self, text: str) -> str:
        if not text:
            return text
        text = self.redact_known(text)
        text = self._shapes.sub(REDACTED, text)
        if self._context_any.search(text):
            for pattern, replacement in _context_rules():
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


_BLANKS = re.compile(r"\s+")


def _redact_split(forms: tuple[str, ...], text: str) -> str:
    """Known values that blanks cut in pieces: wrapped over lines, or a line break that a message
    folded into a space."""
    squashed = _BLANKS.sub("", text)
    if len(squashed) == len(text) or not any(form in squashed for form in forms):
        return text
    cuts = [(m.start(), m.end()) for m in _BLANKS.finditer(text)]
    joined_parts: list[str] = []
    starts: list[int] = []  # position in the joined text where each kept run starts
    origins: list[int] = []  # ... and where that run starts in `text`
    position, joined_len = 0, 0
    for start, end in [*cuts, (len(text), len(text))]:
        starts.append(joined_len)
        origins.append(position)
        joined_parts.append(text[position:start])
        joined_len += start - position
        position = end
    joined = "".join(joined_parts)
    present = [form for form in forms if form in joined]
    if not present:
        return text
    secret_re = re.compile("|".join(re.escape(form) for form in present))

    def original(index: int, end: bool) -> int:
        run = bisect.bisect_right(starts, index - 1 if end else index) - 1
        return origins[run] + (index - starts[run])

    spans = [(original(m.start(), False), original(m.end(), True)) for m in secret_re.finditer(joined)]
    if not spans:
        return text
    out: list[str] = []
    position = 0
    for start, end in spans:
        if start < position:
            continue
        out.append(text[position:start])
        out.append(REDACTED)
        position = end
    out.append(text[position:])
    return "".join(out)


def encodings(value: str) -> list[str]:
    """The forms in which a secret value travels: as is, URL-encoded, base64 (standard and URL-safe,
    with and without padding, and the part of it that stays the same when more bytes follow), base64
    of `Bearer <value>`, hex, JSON-escaped and repr-escaped."""
    from urllib.parse import quote, quote_plus

    forms = {value, quote(value, safe=""), quote(value), quote_plus(value), quote_plus(value, safe="/")}
    raw = value.encode("utf-8", "surrogatepass")
    for data in (raw, b"Bearer " + raw):
        for encoded in (base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()):
            forms.update((encoded, encoded.rstrip("="), encoded[: len(data) // 3 * 4]))
    forms.update((raw.hex(), raw.hex().upper()))
    dumped = json.dumps(value)[1:-1]
    forms.update((dumped, dumped.replace("/", "\\/"), json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1]))
    # a key with a line break or other control character in it: each printable piece on its own
    forms.update(piece for piece in re.split(r"[\x00-\x1f\x7f-\x9f]+", value) if len(piece) >= 8)
    return sorted(forms, key=len, reverse=True)


def redact_facts(facts: Any) -> Any:
    """A check's facts (plugins' too), as they may be shown: values under secret-like names (`token`,
    `api_key`, `password`) are hidden whatever they look like, every other string is redacted, and
    structures deeper or bigger than any real fact (or cyclic ones) are cut."""
    return _FactWalker().walk(facts, 0, ())


class _FactWalker:
    def __init__(self) -> None:
        self.nodes = 0

    def walk(self, value: Any, depth: int, path: tuple[int, ...]) -> Any:
        self.nodes += 1
        if depth > _MAX_FACT_DEPTH or self.nodes > _MAX_FACT_NODES:
            return "[... cut: nested too deeply or too big ...]"
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, (Mapping, list, tuple, set, frozenset)):
            if id(value) in path:
                return "[... cut: refers to itself ...]"
            inner = (*path, id(value))
            if isinstance(value, Mapping):
                out: dict[str, Any] = {}
                for key, child in value.items():
                    name = redact(str(key))
                    hidden = _SECRET_FACT.search(name) is not None and child not in (None, "") \
                        and not isinstance(child, (bool, int, float))
                    out[name] = REDACTED if hidden else self.walk(child, depth + 1, inner)
                return out
            items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
            return [self.walk(child, depth + 1, inner) for child in items]
        return value


_MAX_FACT_DEPTH = 32
_MAX_FACT_NODES = 20_000
_SECRET_FACT = re.compile(r"(?i)(?:^|[_\-. ])(?:api[_-]?key|apikey|access[_-]?key|secret(?:[_-]?key)?|token|"
                          r"password|passwd|passphrase|credentials?|auth(?:orization)?|bearer|cookie|session[_-]?id|"
                          r"private[_-]?key)(?:$|[_\-. ])")


class StreamRedactor:
    """Hides known secrets in text that arrives in pieces: whatever could be the start of a known
    form is held back until the next piece shows whether it is one. `flush` at the end."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        self._redactor = redactor or default_redactor()
        self._pending = ""
        self._index: _Starts | None = None

    def feed(self, text: str) -> str:
        text = self._pending + text
        forms = self._redactor._ordered
        if not forms:
            self._pending = ""
            return text
        if self._index is None or self._index.forms is not forms:
            self._index = _Starts(forms)
        if self._index.nothing_starts(text):  # the common case, one regex scan: pass it on at once
            self._pending = ""
            return text
        cut = len(text) - self._index.held_back(text)
        # a complete form that the cut would split is held back whole (a longer form may still begin there)
        moved = cut < len(text)
        while moved:
            moved = False
            for form in forms:
                found = text.find(form, max(0, cut - len(form) + 1))
                if found != -1 and found < cut < found + len(form):
                    cut, moved = found, True
        self._pending = text[cut:]
        return self._redactor.redact_known(text[:cut])

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return self._redactor.redact_known(rest)


class _Starts:
    """Where a known form could begin at the end of a text: found with one regex scan (C speed) for the
    forms' first three characters, then checked; a chunked reply costs little per chunk."""

    def __init__(self, forms: tuple[str, ...]) -> None:
        self.forms = forms
        self.longest = max(len(form) for form in forms)
        self.by_start: dict[str, list[str]] = {}
        for form in forms:
            self.by_start.setdefault(form[:3], []).append(form)
        self.short = {form[:k] for form in forms for k in (1, 2)}
        self.starts = re.compile("(?=(" + "|".join(re.escape(p) for p in sorted(self.by_start)) + "))")

    def nothing_starts(self, text: str) -> bool:
        """No known form begins anywhere in `text` (blanks ignored), not even in its last two characters."""
        squashed = _BLANKS.sub("", text)
        return self.starts.search(squashed) is None and squashed[-2:] not in self.short \
            and squashed[-1:] not in self.short

    def held_back(self, text: str) -> int:
        """The length of the longest end of `text` that begins some known form (blanks may split it)."""
        tail = text[-(self.longest + 8):]
        squashed = _BLANKS.sub("", tail)
        size = len(squashed)
        keep = 0
        for match in self.starts.finditer(squashed, max(0, size - self.longest + 1)):
            rest = squashed[match.start():]
            if any(form.startswith(rest) for form in self.by_start[match.group(1)]):
                keep = size - match.start()
                break
        if not keep:
            keep = 2 if squashed[-2:] in self.short else 1 if squashed[-1:] in self.short else 0
        if not keep or len(squashed) == len(tail):
            return keep
        # map back: how much of the real tail holds those characters (and the breaks among them)
        count, index = 0, len(tail)
        while count < keep and index > 0:
            index -= 1
            if not tail[index].isspace():
                count += 1
        return len(tail) - index


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
    return re.compile(re.escape(home.rstrip("/\\")) + r"(?=[/\\]|\b|$)", re.IGNORECASE)


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


def redact_known(text: str) -> str:
    return default_redactor().redact_known(text)


def redact_lines(lines: Iterable[str]) -> list[str]:
    r = default_redactor()
    return [r.redact(line) for line in lines]
