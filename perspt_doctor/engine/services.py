"""Services: values the checks of one run share, behind typed keys (modelled on pytest's `StashKey[T]`).

A `ServiceKey[T]` names one shared value and says how to compute it: `MODELS = ServiceKey("models", fetch,
per_provider=True)`. A check asks `await ctx.service(MODELS)`; the first caller computes the value (with
its own context), every other check of the run gets the same object, and a per-provider key keeps one
value per provider. Tests and the engine may seed a value first: `ctx.stash.put(KEY, value)`.

The built-in services (the models probe, GPU and memory facts) live in `perspt_doctor.probes` and are
offered to checks through `perspt_doctor.api`; a plugin declares its own keys the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")
D = TypeVar("D")

Provide = Callable[[Any], Awaitable[T]]
"""Computes a service from the asking check's `CheckContext` (typed Any here: engine/check_model.py imports this
module, and two files must not import each other)."""

_NAMED: dict[str, ServiceKey[Any]] = {}
"""Run-wide keys by name (the first key declared with a name owns it)."""


class ServiceKey(Generic[T]):
    """A typed key to one value shared by the checks of a run, and the function that provides it."""

    __slots__ = ("name", "provide", "per_provider")

    def __init__(self, name: str, provide: Provide[T] | None = None, *, per_provider: bool = False) -> None:
        self.name = name
        self.provide = provide
        """Computes the value from the context of the first check that asks (None: it must be seeded)."""
        self.per_provider = per_provider
        """One value per provider (`ctx.provider`) instead of one for the run."""
        if not per_provider:
            _NAMED.setdefault(name, self)

    def __repr__(self) -> str:
        return f"ServiceKey({self.name!r})"


Slot = tuple[ServiceKey[Any], "str | None"]


class Stash:
    """The values of one run, by key (and provider for per-provider keys)."""

    def __init__(self) -> None:
        self._values: dict[Slot, Any] = {}
        self._locks: dict[Slot, asyncio.Lock] = {}

    @staticmethod
    def _slot(key: ServiceKey[Any], provider: str | None) -> Slot:
        return (key, provider if key.per_provider else None)

    def put(self, key: ServiceKey[T], value: T, provider: str | None = None) -> None:
        self._values[self._slot(key, provider)] = value

    def __setitem__(self, key: ServiceKey[T], value: T) -> None:
        self.put(key, value)

    def __getitem__(self, key: ServiceKey[T]) -> T:
        value: T = self._values[self._slot(key, None)]
        return value

    def __contains__(self, key: ServiceKey[Any]) -> bool:
        return self._slot(key, None) in self._values

    @overload
    def get(self, key: ServiceKey[T], provider: str | None = None) -> T | None: ...
    @overload
    def get(self, key: ServiceKey[T], provider: str | None, default: D) -> T | D: ...

    def get(self, key: ServiceKey[T], provider: str | None = None, default: Any = None) -> Any:
        return self._values.get(self._slot(key, provider), default)

    async def compute(self, key: ServiceKey[T], provider: str | None, factory: Callable[[], Awaitable[T]]) -> T:
        """The value for the slot, from `factory()` the first time (one caller computes; the others wait)."""
        slot = self._slot(key, provider)
        if slot in self._values:
            value: T = self._values[slot]
            return value
        lock = self._locks.setdefault(slot, asyncio.Lock())
        async with lock:
            if slot not in self._values:
                self._values[slot] = await factory()
        value = self._values[slot]
        return value


    def for_another_loop(self) -> Stash:
        """The same values with locks of its own, for a check on another event loop (a plugin's thread: an
        asyncio lock belongs to one loop). Two loops may then compute one value twice; both see it after."""
        other = Stash()
        other._values = self._values
        return other


def named(name: str) -> ServiceKey[Any]:
    """The run-wide key of that name, the same object every time: a declared service's key, or an untyped one
    made on first use. `ctx.once(name, ...)` uses it, so a one-off cache by name and a declared service of
    the same name share one value."""
    key = _NAMED.get(name)
    if key is None:
        key = _NAMED[name] = ServiceKey(name)
    return key
