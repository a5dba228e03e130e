"""The check categories: the built-in ones in report order, each with its triage layer and a one-line
note for docs/checks.md, and the categories plugins declare. This is the only list of them: the engine
orders its report by it, triage maps a category to its network layer with it, and `scripts/gen_docs.py`
writes the sections of docs/checks.md from it. No imports: every layer may read it.

A plugin's category needs no declaration: a new lowercase name in `@check` is enough, and it sorts
after the built-ins (alphabetically) in the `runtime` triage layer. `declare()` gives it a layer and a
note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LAYERS: tuple[str, ...] = ("config", "keys", "proxy", "dns", "tcp", "tls", "http", "auth", "model", "runtime")
"""Triage's network layers, from the first thing to go wrong to the last: the earliest failing one is the
root cause."""

DEFAULT_LAYER = "runtime"
NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class Category:
    name: str
    layer: str = DEFAULT_LAYER
    """The triage layer (one of LAYERS) a failure in this category belongs to."""
    note: str = ""
    """One sentence for docs/checks.md: what the category's checks look at."""


BUILTIN: tuple[Category, ...] = (
    Category("config", "config", "The config file and its settings: can perspt read the file, and does every "
                                 "value make sense?"),
    Category("env", "config", "Environment variables that change what perspt does."),
    Category("keys", "keys", "Is there an API key for each provider in use, where does it come from, and does it "
                             "look right?"),
    Category("keyring", "keys", "Can perspt use the operating system's keyring to store and read keys?"),
    Category("security", "config", "Settings that put keys or traffic at risk, such as a world-readable config "
                                   "file holding a key."),
    Category("proxy", "proxy", "Proxy settings as the client applies them, and whether the proxy answers."),
    Category("dns", "dns", "Does each provider's host name resolve, and to what?"),
    Category("tcp", "tcp", "Can a connection be opened to the provider's host and port?"),
    Category("tls", "tls", "Does the TLS handshake succeed and is the certificate trusted?"),
    Category("http", "http", "Does the provider answer HTTP requests at the configured base URL?"),
    Category("auth", "auth", "Does the provider accept the key?"),
    Category("model", "model", "Is the configured model available to this key?"),
    Category("ratelimit", "model", "Rate limits and quota as the provider reports them."),
    Category("ollama", "runtime", "The local Ollama server: reachable, and holding the configured model."),
    Category("memory", "runtime", "Enough memory for local models."),
    Category("gpu", "runtime", "GPU facts for local models."),
    Category("disk", "runtime", "Room on disk for history, logs and models."),
    Category("terminal", "runtime", "The terminal perspt draws in: encoding, colours, size."),
    Category("runtime", "runtime", "The Python runtime and perspt's own installation."),
)
"""The built-in categories, in the order the doctor reports them."""

BUILTIN_NAMES: tuple[str, ...] = tuple(c.name for c in BUILTIN)
_INDEX = {c.name: i for i, c in enumerate(BUILTIN)}
_declared: dict[str, Category] = {c.name: c for c in BUILTIN}


def validate(name: str) -> str:
    """The name itself if it is a lowercase identifier (`config`, `my_plugin`); else ValueError."""
    if not isinstance(name, str) or not NAME.match(name):
        raise ValueError(f"category {name!r} is not a lowercase identifier (letters, digits, '_')")
    return name


def declare(name: str, layer: str = DEFAULT_LAYER, note: str = "") -> Category:
    """Declare a plugin's category (its triage layer and docs note). A built-in cannot be redeclared."""
    validate(name)
    if name in _INDEX:
        raise ValueError(f"category {name!r} is built in")
    if layer not in LAYERS:
        raise ValueError(f"layer {layer!r} is not one of {', '.join(LAYERS)}")
    category = Category(name, layer, note)
    _declared[name] = category
    return category


def get(name: str) -> Category:
    """The category of that name; an undeclared (plugin) one gets the defaults."""
    return _declared.get(name) or Category(name)


def sort_key(name: str) -> tuple[int, str]:
    """Report order: the built-ins as listed, then every other category alphabetically."""
    return (_INDEX.get(name, len(BUILTIN)), name)


def layer_index(name: str | None) -> tuple[int, str]:
    """(position in LAYERS, layer name) of a category; unknown categories are `runtime`."""
    layer = get(str(name or "")).layer
    return LAYERS.index(layer), layer
