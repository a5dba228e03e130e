"""Reading the config file: bytes -> JSON object, with a one-line diagnosis for every way a
file can be broken. Reading never changes the file."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perspt_doctor.fsutil import UserFileError, read_user_file
from perspt_doctor.settings.diagnostics import ConfigError, Diagnostic
from perspt_doctor.settings.positions import key_positions
from perspt_doctor.settings.schema import validate

MAX_CONFIG_BYTES = 1024 * 1024


@dataclass
class LoadedConfig:
    path: Path
    reason: str
    """Why this file: `--config`, `PERSPT_CONFIG (environment)`, `default location`."""
    exists: bool
    data: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """What reading the file found (a byte-order mark, say); the schema's findings are `validation`."""
    mode: int | None = None
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Line and column of every key, for messages about values."""
    has_bom: bool = False
    validation: list[Diagnostic] | None = None
    """The schema's findings, once `validate_loaded` has run (it runs once per file)."""

    @property
    def all_diagnostics(self) -> list[Diagnostic]:
        return [*self.diagnostics, *(self.validation or [])]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.all_diagnostics if d.severity == "error"]


def read_config(path: Path, reason: str = "--config", *, required: bool = False) -> LoadedConfig:
    """Parse `path`. A missing file is fine unless `required` (then: ConfigError).
    A broken file raises ConfigError with line and column."""
    shown = str(path)
    try:
        raw = read_user_file(path, MAX_CONFIG_BYTES)
    except UserFileError as exc:
        if exc.code == "not-found":
            if required:
                raise ConfigError(Diagnostic(
                    "error", "not-found", "config file not found", file=shown,
                    hint="create one with `perspt config create`, or check the path")) from None
            return LoadedConfig(path, reason, exists=False)
        raise ConfigError(_unreadable(exc, path)) from None
    st = path.stat()
    data, diagnostics = parse_config_bytes(raw, shown)
    register_file_secrets(data)
    text = raw.decode("utf-8-sig")
    loaded = LoadedConfig(path, reason, exists=True, data=data, diagnostics=diagnostics,
                          mode=st.st_mode & 0o777 if os.name == "posix" else None,
                          positions=key_positions(text), has_bom=raw.startswith(b"\xef\xbb\xbf"))
    return loaded


def _unreadable(exc: UserFileError, path: Path) -> Diagnostic:
    shown = str(path)
    if exc.code == "is-directory":
        return Diagnostic("error", "is-directory", "config path is a directory, not a file", file=shown,
                          hint=f"point at the file inside it, e.g. {path / 'config.json'}")
    if exc.code == "too-large":
        return Diagnostic("error", "too-large", f"config file is larger than the limit of {MAX_CONFIG_BYTES} bytes",
                          file=shown, line=1, column=1,
                          hint="is this really the config file? It holds a few settings only")
    if exc.code == "permission":
        return Diagnostic("error", "unreadable", "permission denied reading config file", file=shown,
                          hint=f"chmod 600 {path}")
    if exc.code == "not-regular":
        return Diagnostic("error", "not-regular", f"cannot use the config file: {exc.reason}", file=shown,
                          hint="point --config or PERSPT_CONFIG at a JSON file")
    return Diagnostic("error", "unreadable", f"cannot read config file: {exc.reason}", file=shown)


def register_file_secrets(data: dict[str, Any]) -> None:
    """Keys and proxy passwords in the file are known to the redactor before anything can print them,
    including the messages about the file itself (a key pasted into the wrong field, say)."""
    from urllib.parse import unquote, urlsplit

    from perspt_doctor import redact
    from perspt_doctor.settings.writer import plaintext_keys

    for _pid, key_path, value in plaintext_keys(data):
        redact.register_secret(value, f"config file: {key_path}")
    proxy = data.get("proxy")
    urls = [proxy] if isinstance(proxy, str) else [v for v in proxy.values()] if isinstance(proxy, dict) else []
    for url in urls:
        if not isinstance(url, str):
            continue
        try:
            password = urlsplit(url if "://" in url else "http://" + url).password
        except ValueError:
            continue
        if password:
            redact.register_secret(password, "proxy password")
            redact.register_secret(unquote(password), "proxy password")


def validate_loaded(loaded: LoadedConfig) -> list[Diagnostic]:
    """Schema checks on a parsed file; each finding carries the line and column of its key."""
    if not loaded.exists:
        return []
    if loaded.validation is None:
        loaded.validation = validate(loaded.data, str(loaded.path), positions=loaded.positions)
    return loaded.validation


def parse_config_bytes(raw: bytes, shown: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    notes: list[Diagnostic] = []
    text = _decode(raw, shown, notes)
    if not text.strip():
        raise ConfigError(Diagnostic("error", "empty", "config file is empty", file=shown, line=1, column=1,
                                     hint='a minimal config is {"provider": "openai", "model": "gpt-4o-mini"}'))
    foreign = _foreign_format(text, shown)
    if foreign is not None:
        raise ConfigError(foreign)
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates(shown, text),
                          parse_constant=_reject_constant(shown, text))
    except json.JSONDecodeError as exc:
        raise ConfigError(_syntax_diagnostic(exc, text, shown)) from None
    except _DuplicateKey as dup:
        raise ConfigError(dup.diagnostic) from None
    except RecursionError:
        raise ConfigError(Diagnostic("error", "too-deep", "config file is nested too deeply", file=shown,
                                     line=1, column=1, hint="a config file nests a few levels at most")) from None
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
            type(data), "null")
        raise ConfigError(Diagnostic("error", "not-object", f"config file holds {kind}, not a JSON object", file=shown,
                                     line=1, column=1, hint="the whole file must be one object: { \"key\": value }"))
    return data, notes


def _decode(raw: bytes, shown: str, notes: list[Diagnostic]) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) >= 2 and (raw[0] == 0 or raw[1] == 0)):
        raise ConfigError(Diagnostic(
            "error", "utf16", "config file is UTF-16 encoded; perspt reads UTF-8", file=shown, line=1, column=1,
            hint="save it as UTF-8 (in PowerShell: Set-Content -Encoding utf8; in an editor: 'Save with encoding')"))
    if raw.startswith(b"\xef\xbb\xbf"):
        notes.append(Diagnostic("warning", "bom", "config file starts with a UTF-8 byte-order mark", file=shown,
                                line=1, column=1, hint="harmless here, but other JSON tools reject it; save without BOM"))
        raw = raw[3:]
    if b"\x00" in raw or _looks_binary(raw):
        raise ConfigError(Diagnostic("error", "binary", "config file holds binary data, not JSON text", file=shown,
                                     line=1, column=1, hint="restore it from a backup or recreate it with `perspt config create`"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _offset_to_line_col(raw[: exc.start].decode("utf-8", "replace"), exc.start)
        raise ConfigError(Diagnostic("error", "encoding", "config file is not valid UTF-8", file=shown, line=line,
                                     column=col, hint="save the file as UTF-8")) from None


def _foreign_format(text: str, shown: str) -> Diagnostic | None:
    """YAML or TOML where JSON belongs: say so instead of reporting a puzzling first character."""
    first = text.lstrip()[:1]
    if first == "{":
        return None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        return None
    number, line = lines[0]
    column = len(line) - len(line.lstrip()) + 1
    if re.match(r'\s*"[^"]*"\s*:', line):
        return Diagnostic("error", "json-syntax", "invalid JSON: the opening { is missing", file=shown,
                          line=number, column=column, hint="the whole file must be one object: put { before the "
                          "first key and } after the last value")
    if re.match(r"\s*\[[A-Za-z0-9_.-]+\]\s*$", line) or re.match(r"\s*[A-Za-z_][\w.-]*\s*=", line):
        return Diagnostic("error", "not-json", "config file looks like TOML; perspt reads JSON", file=shown,
                          line=number, column=column,
                          hint='write it as JSON: {"provider": "openai", "model": "gpt-4o-mini"}')
    if re.match(r"\s*(-\s+)?[\"']?[A-Za-z_][\w.-]*[\"']?\s*:(\s|$)", line) or line.strip() == "---":
        return Diagnostic("error", "not-json", "config file looks like YAML; perspt reads JSON", file=shown,
                          line=number, column=column,
                          hint='wrap it in { } and quote every key and text value: {"provider": "openai"}')
    return None


def _reject_constant(shown: str, text: str):  # type: ignore[no-untyped-def]
    def hook(name: str) -> Any:
        match = re.search(r"(?<![\w\"])-?" + re.escape(name.lstrip("-")) + r"\b", text)
        line, col = _offset_to_line_col(text[: match.start()], 0) if match else (None, None)
        raise ConfigError(Diagnostic(
            "error", "json-syntax", f"invalid JSON: {name} is not a JSON number", file=shown, line=line, column=col,
            hint="write a plain number such as 0.7"))

    return hook


def _looks_binary(raw: bytes) -> bool:
    sample = raw[:4096]
    if not sample:
        return False
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control / len(sample) > 0.1


def _offset_to_line_col(text: str, _offset: int) -> tuple[int, int]:
    line = text.count("\n") + 1
    col = len(text) - (text.rfind("\n") + 1) + 1
    return line, col


class _DuplicateKey(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


def _reject_duplicates(shown: str, text: str):  # type: ignore[no-untyped-def]
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                match = list(re.finditer(r'"' + re.escape(key) + r'"\s*:', text))
                line = col = None
                if len(match) >= 2:
                    line, col = _offset_to_line_col(text[: match[1].start()], match[1].start())
                raise _DuplicateKey(Diagnostic(
                    "error", "duplicate-key", f"key `{key}` appears twice", file=shown, line=line, column=col,
                    key_path=key, hint="keep one of them; JSON readers silently drop one or the other"))
            result[key] = value
        return result

    return hook


def _syntax_diagnostic(exc: json.JSONDecodeError, text: str, shown: str) -> Diagnostic:
    line, col = exc.lineno, exc.colno
    lines = text.splitlines() or [""]
    current = lines[line - 1] if 0 < line <= len(lines) else ""
    # Python 3.13+ stops at the trailing comma itself ("Illegal trailing comma before end of object");
    # older versions at the bracket after it. Read both as "just past the comma".
    pos = exc.pos + 1 if exc.msg.startswith("Illegal trailing comma") else exc.pos
    before = text[:pos]
    rest = text[pos:]
    hint = _syntax_hint(exc, text, pos, current)
    message = f"invalid JSON: {exc.msg.lower().removesuffix(' at')}"
    if _comment_marker(current) is not None:
        message = "invalid JSON: comments are not allowed"
    elif exc.msg.startswith("Invalid control character") and rest[:1] in ("\n", "\r"):
        message = "invalid JSON: a string is not closed before the end of the line"
        hint = "add the closing double quote (\") at the end of the text"
    elif exc.msg.startswith("Invalid control character"):
        message = "invalid JSON: a string holds a raw control character"
    elif not rest.strip():
        message = "invalid JSON: the file ends too early"
    trailing = re.search(r",\s*$", before)
    if trailing and re.match(r"\s*[}\]]", rest) and "comments" not in message:
        message = "invalid JSON: trailing comma"
        line = before.count("\n", 0, trailing.start()) + 1
        col = trailing.start() - (before.rfind("\n", 0, trailing.start()) + 1) + 1
    return Diagnostic("error", "json-syntax", message, file=shown, line=line, column=col, hint=hint)


def _comment_marker(line: str) -> str | None:
    """The first `//`, `/*` or `#` on the line that is not inside a string ("http://..." is a value)."""
    for found in re.finditer(r"//|/\*|#", line):
        if not _inside_string(line, found.start()):
            return found.group()
    return None


def _inside_string(line: str, index: int) -> bool:
    quotes = 0
    escaped = False
    for ch in line[:index]:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quotes += 1
    return quotes % 2 == 1


def _syntax_hint(exc: json.JSONDecodeError, text: str, pos: int, current: str) -> str:
    rest = text[pos:]
    stripped_before = text[:pos].rstrip()
    leading = re.match(r"\s*(//|/\*|#)", rest)
    marker = leading.group(1) if leading else _comment_marker(current)
    if marker == "#":
        return "JSON has no comments: delete the # text to the end of the line (or move it into a \"_comment\" key)"
    if marker is not None:
        return "JSON has no comments: delete the // or /* */ text (or move it into a \"_comment\" key)"
    if stripped_before.endswith(",") and re.match(r"\s*[}\]]", rest):
        return "remove the comma after the last item (JSON allows no comma before } or ])"
    if not rest.strip():
        return "a closing } or ] (or a value) is missing at the end; was the file cut short?"
    if rest[:1] == "'" or (exc.msg.startswith("Expecting property name") and rest.lstrip()[:1] == "'"):
        return "JSON needs double quotes: \"key\": \"value\", not single quotes"
    if re.match(r"\s*[\u2018\u2019\u201c\u201d]", rest) or re.search(r"[\u2018\u2019\u201c\u201d]", current):
        return ("replace the curly quotes (\u201c \u201d) with straight double quotes (\"); "
                "a word processor or web page put them in")
    if exc.msg.startswith("Expecting property name") and re.match(r"\s*[A-Za-z_]", rest):
        return "put the key in double quotes: \"key\": value"
    if exc.msg.startswith("Expecting value") and re.match(r"[A-Za-z_./:~-]", rest) and not re.match(
            r"(true|false|null)\b", rest):
        return "put the text value in double quotes: \"key\": \"value\""
    if exc.msg.startswith("Expecting ':' delimiter"):
        return "put a colon between the key and its value: \"key\": value"
    if exc.msg.startswith("Expecting ',' delimiter"):
        if re.match(r'\s*"', rest) and stripped_before and stripped_before[-1] not in ",{[":
            return "add a comma at the end of the previous line"
        return "check for a missing comma, colon or quote just before this point"
    if exc.msg.startswith("Unterminated string"):
        return "a string is missing its closing double quote"
    if exc.msg.startswith("Extra data"):
        return "there is text after the closing }; the file must hold exactly one JSON object"
    if exc.msg.startswith("Invalid control character"):
        return "a string holds a raw tab or line break; write it as \\t or \\n"
    if exc.msg.startswith("Invalid \\escape"):
        return "backslashes in strings must be doubled (C:\\\\Users\\\\...) or use forward slashes"
    return "check the JSON syntax near this point (`python -m json.tool FILE` shows the same position)"
