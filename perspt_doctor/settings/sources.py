"""Where a resolved setting came from. The doctor prints this next to every value."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


class Source(enum.IntEnum):
    """Ordered from most to least explicit, as the precedence rule says."""

    FLAG = 0
    ENV = 1
    KEYRING = 2
    KEY_FILE = 3
    CONFIG = 4
    DEFAULT = 5

    @property
    def label(self) -> str:
        return {0: "command line", 1: "environment", 2: "keyring", 3: "key file", 4: "config file",
                5: "default"}[int(self)]


@dataclass(frozen=True)
class Shadowed:
    """A value that was present but lost to a higher-precedence one."""

    origin: str
    value: object
    differs: bool


@dataclass(frozen=True)
class Resolved(Generic[T]):
    value: T
    source: Source
    origin: str
    """Human-readable provenance, e.g. `OPENAI_API_KEY (environment)` or `config.json: timeout`."""
    shadowed: tuple[Shadowed, ...] = field(default=())
    secret: bool = False

    @property
    def is_set(self) -> bool:
        return self.value is not None and self.value != ""
