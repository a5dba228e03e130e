"""Planted secrets: realistic values of every key shape (fixed prefixes from public scanner rules,
a random body new on every run) and shapeless ones, plus the scan that looks for any trace of them."""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"
LOWER = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"
DIGITS = string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
WINDOW = 12


def _random(length: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _mixed(length: int) -> str:
    """Upper, lower and digits, as real Cohere and Mistral keys are."""
    while True:
        value = _random(length)
        if re.search(r"[a-z]", value) and re.search(r"[A-Z]", value) and re.search(r"\d", value):
            return value


@dataclass(frozen=True)
class Secret:
    parts: tuple[tuple[str, bool], ...]
    """(text, random?) pieces; fixed pieces (prefixes like `sk-ant-api03-`) are not secret by themselves."""
    user: str | None = None
    """For a proxy password: the user name, so that the Basic credentials can be looked for too."""

    @property
    def value(self) -> str:
        return "".join(text for text, _ in self.parts)

    def _windows(self, text: str, random_at: list[bool]) -> set[str]:
        found = set()
        for start in range(0, max(1, len(text) - WINDOW + 1)):
            if any(random_at[start:start + WINDOW]):
                found.add(text[start:start + WINDOW])
        return found

    def forms(self) -> set[str]:
        """The value, its URL-encoded forms, Basic credentials, its other encodings (`encoded_forms`),
        and every 12-character piece that holds at least one random character."""
        value = self.value
        random_at = [flag for text, flag in self.parts for _ in text]
        forms = {value, quote(value, safe=""), quote(value)}
        forms |= self._windows(value, random_at)
        encoded = quote(value, safe="")
        if encoded != value:
            flags: list[bool] = []
            for text, flag in self.parts:
                flags.extend(flag for _ in quote(text, safe=""))
            forms |= self._windows(encoded, flags)
        if self.user is not None:
            forms.add(base64.b64encode(f"{self.user}:{value}".encode()).decode())
        forms |= encoded_forms(value)
        return {form for form in forms if len(form) >= min(WINDOW, len(value))}

    def find_in(self, text: str) -> list[str]:
        """The forms present in `text`, as is or with all blanks removed (a value wrapped over lines)."""
        squashed = re.sub(r"\s+", "", text)
        return sorted(form for form in self.forms() if form in text or form in squashed)


def encoded_forms(value: str) -> set[str]:
    """What a server or a log might echo instead of the value: base64 (standard and URL-safe, with and
    without padding) of the value and of `Bearer <value>`, hex, JSON-escaped, `+` for spaces."""
    data = value.encode()
    forms = {quote_plus(value), data.hex(), data.hex().upper(), json.dumps(value)[1:-1],
             json.dumps(value)[1:-1].replace("/", "\\/")}
    for raw in (data, b"Bearer " + data):
        for encoded in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
            forms |= {encoded, encoded.rstrip("=")}
    return forms


def secret(*parts: str | tuple[int, str], user: str | None = None) -> Secret:
    """`secret("sk-ant-api03-", (93, URLSAFE), "AA")`: strings are fixed, (length, alphabet) random."""
    built: list[tuple[str, bool]] = []
    for part in parts:
        if isinstance(part, str):
            built.append((part, False))
        else:
            built.append((_random(*part), True))
    return Secret(tuple(built), user)


def mixed(length: int) -> Secret:
    return Secret(((_mixed(length), True),))


SHAPES = {
    "openai-project": lambda: secret("sk-proj-", (74, URLSAFE), "T3BlbkFJ", (74, URLSAFE)),
    "openai-svcacct": lambda: secret("sk-svcacct-", (58, URLSAFE), "T3BlbkFJ", (58, URLSAFE)),
    "openai-admin": lambda: secret("sk-admin-", (58, URLSAFE), "T3BlbkFJ", (58, URLSAFE)),
    "openai-legacy": lambda: secret("sk-", (20, ALNUM), "T3BlbkFJ", (20, ALNUM)),
    "openai-none": lambda: secret("sk-None-", (48, URLSAFE)),
    "anthropic-api": lambda: secret("sk-ant-api03-", (93, URLSAFE), "AA"),
    "anthropic-admin": lambda: secret("sk-ant-admin01-", (93, URLSAFE), "AA"),
    "gemini-aiza": lambda: secret("AIzaSy", (33, URLSAFE)),
    "gemini-aq": lambda: secret("AQ.", (53, URLSAFE)),
    "groq": lambda: secret("gsk_", (52, ALNUM)),
    "xai": lambda: secret("xai-", (80, ALNUM + "_")),
    "cohere": lambda: mixed(40),
    "mistral": lambda: mixed(32),
    "deepseek": lambda: secret("sk-", (32, HEX)),
    "openrouter": lambda: secret("sk-or-v1-", (64, HEX)),
    # other services' tokens that users paste into questions and servers return in error bodies
    "aws-access-key": lambda: secret("AKIA", (16, UPPER_DIGITS)),
    "slack-bot": lambda: secret("xoxb-", (12, DIGITS), "-", (13, DIGITS), "-", (24, ALNUM)),
    "slack-user": lambda: secret("xoxp-", (12, DIGITS), "-", (13, DIGITS), "-", (32, HEX)),
    "jwt": lambda: secret("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ", (40, URLSAFE), ".", (43, URLSAFE)),
    "github-pat": lambda: secret("github_pat_", (22, ALNUM), "_", (59, ALNUM)),
    "github-classic": lambda: secret("ghp_", (36, ALNUM)),
    "stripe-live": lambda: secret("sk_live_", (24, ALNUM)),
    "stripe-restricted": lambda: secret("rk_live_", (24, ALNUM)),
}


def with_symbols() -> Secret:
    """A shapeless key with the characters that URL-encoding and base64 treat specially (`+/=`)."""
    return secret("enc+", (12, ALNUM), "/", (12, ALNUM), "==", (10, ALNUM), "+", (6, ALNUM))


def fixed(value: str) -> Secret:
    """Something not random but private (an upper-cased home path): only the whole value counts."""
    return Secret(((value, False),))


def plain(prefix: str = "", length: int = 22) -> Secret:
    """A shapeless token (lower case, digits and dashes): only knowing the value can hide it."""
    return secret(prefix, (length, LOWER + "-")) if prefix else secret((length, LOWER))


def password(user: str) -> Secret:
    """A proxy password with the characters that must be percent-encoded in a URL."""
    return secret("p@ss:w0rd/", (10, ALNUM), user=user)
