"""The check model: what a check declares, what it returns, and what it may use while running.

This module is the contract between the engine and every check, built-in or plugin. Keep it
small and stable; plugins import it through `perspt_doctor.api`.
"""

from __future__ import annotations

import asyncio
import enum
import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from perspt_doctor import categories
from perspt_doctor.engine.services import ServiceKey, Stash, named
from perspt_doctor.fix import Fix

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings

T = TypeVar("T")


class Status(str, enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


@dataclass
class Result:
    """What a check found. `summary` is one line; everything else is optional."""

    status: Status
    summary: str
    details: list[str] = field(default_factory=list)
    hint: str | None = None
    fix_commands: list[str] = field(default_factory=list)
    """Commands to show the user that perspt does not apply (advice); `commands()` adds the fixes' ones."""
    docs: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    fixes: list[Fix] = field(default_factory=list)
    """What `doctor --fix` may change about this finding (see `Fix`)."""

    def commands(self) -> list[str]:
        """Every command the result suggests: its `fix_commands`, then its fixes' commands (no repeats)."""
        return list(dict.fromkeys([*self.fix_commands, *(f.command for f in self.fixes)]))

    @classmethod
    def ok(cls, summary: str, **kw: Any) -> Result:
        return cls(Status.OK, summary, **kw)

    @classmethod
    def warn(cls, summary: str, **kw: Any) -> Result:
        return cls(Status.WARN, summary, **kw)

    @classmethod
    def fail(cls, summary: str, **kw: Any) -> Result:
        return cls(Status.FAIL, summary, **kw)

    @classmethod
    def skip(cls, summary: str, **kw: Any) -> Result:
        return cls(Status.SKIP, summary, **kw)

    @classmethod
    def error(cls, summary: str, **kw: Any) -> Result:
        return cls(Status.ERROR, summary, **kw)


Applies = Callable[["CheckContext"], "bool | str"]
"""Return True to run; False or a reason string to skip."""

CheckFunc = Callable[["CheckContext"], "Awaitable[Result] | Result"]


@dataclass(frozen=True)
class Check:
    """A declared probe. With `per_provider=True`, `{provider}` in `id` and `depends_on` is
    replaced for each provider in scope: `keys.{provider}` -> `keys.openai`, `keys.groq`, ..."""

    id: str
    title: str
    category: str
    func: CheckFunc
    depends_on: tuple[str, ...] = ()
    """Check ids or globs (`dns.{provider}`, `config.*`). A failed dependency makes this check `skip`."""
    after: tuple[str, ...] = ()
    """Check ids or globs this check runs after, whatever their status (it is never skipped because of
    them); their results are in `ctx.results`. For a conclusion drawn across checks (`dns.public`)."""
    timeout: float = 5.0
    needs_network: bool = False
    """Skipped under --offline, except when the provider's endpoint is on loopback."""
    per_provider: bool = False
    applies: Applies | None = None
    docs: str | None = None
    provider: str | None = None
    origin: str = "builtin"
    """Where the check came from: `builtin`, an entry-point distribution, or a file path."""

    def for_provider(self, provider: str) -> Check:
        return replace(
            self,
            id=self.id.replace("{provider}", provider),
            title=self.title.replace("{provider}", provider),
            depends_on=tuple(d.replace("{provider}", provider) for d in self.depends_on),
            after=tuple(d.replace("{provider}", provider) for d in self.after),
            docs=self.docs.replace("{provider}", provider) if self.docs else None,
            provider=provider,
            per_provider=False,
        )


@dataclass
class CheckContext:
    """What a running check may use. Everything here comes from the same layers the client uses."""

    settings: Settings
    provider: str | None
    offline: bool
    live: bool = False
    verbose: bool = False
    results: Mapping[str, Result] = field(default_factory=dict)
    """Results of the checks this one depends on or runs after, by id."""
    stash: Stash = field(default_factory=Stash)
    """The values shared by the checks of the run, by typed key (see `service`)."""
    deadline: float | None = None
    """Event-loop time at which the engine stops this check (its own timeout or the run's budget,
    whichever ends first). None outside the engine."""
    scope: tuple[str, ...] = ()
    """The providers this run checks: the ones in use, or those named with `--provider`. Empty outside
    the engine; `in_scope()` then asks the settings."""

    def time_left(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - asyncio.get_running_loop().time()

    def bounded(self, seconds: float, reserve: float = 0.3, floor: float = 0.05) -> float:
        """`seconds`, shortened so that a probe waiting that long still leaves the check `reserve`
        seconds to report its own verdict ("no answer within 2.7 s") before the engine stops it."""
        left = self.time_left()
        if left is None:
            return seconds
        return max(floor, min(seconds, left - reserve))

    def in_scope(self, provider: str) -> bool:
        return provider in (self.scope or self.settings.providers_in_scope())

    @property
    def env(self) -> Mapping[str, str]:
        return self.settings.env

    async def run_blocking(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking work (a socket, a subprocess, a file scan) in a worker thread."""
        return await asyncio.to_thread(functools.partial(func, *args, **kwargs))

    async def service(self, key: ServiceKey[T]) -> T:
        """The run's value for `key` (per provider for a per-provider key), computed by the key's provider
        the first time any check asks."""
        provide = key.provide
        if provide is None:
            found = self.stash.get(key, self.provider, _MISSING)
            if found is _MISSING:
                raise LookupError(f"no value for {key!r}, and the key has no provider")
            value: T = found
            return value
        return await self.stash.compute(key, self.provider, lambda: provide(self))

    async def once(self, key: str | ServiceKey[T], factory: Callable[[], Awaitable[T]]) -> T:
        """Compute `factory()` once per run and share it between checks, under a key (a plain name is the
        run-wide key of that name, so it shares the value of a declared service so named)."""
        slot: ServiceKey[Any] = named(key) if isinstance(key, str) else key
        value: T = await self.stash.compute(slot, self.provider, factory)
        return value

    def offline_reason(self) -> str | None:
        """Why this check must not touch the network under --offline (None: it may). The engine asks the
        same question before it starts a `needs_network` check."""
        return offline_reason(self.settings, self.provider) if self.offline else None


def offline_reason(settings: Settings, provider: str | None) -> str | None:
    """Under --offline, why a network probe for `provider` must not run; None when all its traffic stays on
    this machine (the endpoint and any proxy on the way are loopback)."""
    needs = "offline (--offline): this check needs the network"
    if provider is None:
        return needs
    from perspt_doctor.transport.endpoint import endpoint_for

    try:
        # The endpoint first: a remote one settles it without the route and its proxy table.
        if not endpoint_for(settings, provider).is_loopback:
            return needs
        from perspt_doctor.transport.route import route_for

        route = route_for(settings, provider)
    except Exception:  # noqa: BLE001 - a broken route is reported by the checks that use it
        return needs
    return needs if not route.endpoint.is_loopback else route.offline_reason(True)


_MISSING: Any = object()


CHECK_ATTRIBUTE = "__perspt_check__"


def check(
    id: str,
    title: str,
    category: str,
    *,
    depends_on: tuple[str, ...] | list[str] = (),
    after: tuple[str, ...] | list[str] = (),
    timeout: float = 5.0,
    needs_network: bool = False,
    per_provider: bool = False,
    applies: Applies | None = None,
    docs: str | None = None,
) -> Callable[[CheckFunc], CheckFunc]:
    """Declare a check. The decorated function receives a `CheckContext` and returns a `Result`
    (it may be async). Discovery finds decorated functions in any loaded module. `category` is a built-in
    one (`categories.BUILTIN`) or any new lowercase name, which sorts after the built-ins."""
    categories.validate(category)
    if per_provider and "{provider}" not in id:
        raise ValueError(f"per-provider check id {id!r} must contain '{{provider}}'")

    def decorate(func: CheckFunc) -> CheckFunc:
        declared = Check(
            id=id, title=title, category=category, func=func, depends_on=tuple(depends_on), after=tuple(after), timeout=timeout,
            needs_network=needs_network, per_provider=per_provider, applies=applies, docs=docs,
        )
        setattr(func, CHECK_ATTRIBUTE, declared)
        return func

    return decorate
