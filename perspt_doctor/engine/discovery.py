"""Finding checks: built-in modules, entry points and loose files, all through `checks_in_module`.

A check module is any module with functions carrying the `@check` marker. Built-ins are the
modules of the `perspt_doctor.checks` package (found with pkgutil, so nothing needs registering),
third-party distributions name a module in the entry-point group `perspt_doctor.checks`, and loose
`*.py` files come from `--checks-dir` and `<config dir>/checks/`.

`PERSPT_DISABLE_PLUGINS=1` turns off everything but the built-ins and an explicit `--checks-dir`;
a comma-separated list (`PERSPT_DISABLE_PLUGINS=example,mychecks`) turns off just those names.

A plugin module is imported in a thread of its own and waited for a bounded time (`import_timeout`): one
that blocks at import (a network call at module level with no network, a stray `input()` or sleep) is
reported as a problem and left behind, instead of hanging the doctor before it has printed anything.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import pkgutil
import re
import sys
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from perspt_doctor.engine.check_model import CHECK_ATTRIBUTE, Check

BUILTIN_PACKAGE = "perspt_doctor.checks"
ENTRY_POINT_GROUP = "perspt_doctor.checks"
DISABLE_ENV = "PERSPT_DISABLE_PLUGINS"
_LOOSE_PREFIX = "perspt_doctor_loose_checks"
VALID_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[A-Za-z0-9_-]+)+$")
PLUGIN_IMPORT_TIMEOUT = 5.0
"""Seconds one plugin module may take to import (the run budget's half, when that is less)."""
_T = TypeVar("_T")


class ImportTimedOut(Exception):
    """A plugin module's import did not finish in time; its thread is left behind."""


@dataclass(frozen=True)
class LoadProblem:
    """A check source that could not be loaded; the run reports it as an `error` row."""

    origin: str
    name: str
    message: str


@dataclass
class Discovered:
    checks: list[Check] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)

    def add_module(self, module: types.ModuleType, origin: str) -> None:
        known = {c.id for c in self.checks}
        for found in checks_in_module(module, origin):
            if not VALID_ID.match(found.id.replace("{provider}", "p")):
                self.problems.append(LoadProblem(origin, found.id, f"check id {found.id!r} is not a dotted "
                                                 "lower-case id like `topic.name`; the check is ignored"))
                continue
            if found.id in known:
                self.problems.append(LoadProblem(origin, found.id, f"check id {found.id!r} is already defined; "
                                                 "this duplicate is ignored"))
                continue
            known.add(found.id)
            self.checks.append(found)


def checks_in_module(module: types.ModuleType, origin: str) -> list[Check]:
    """Every `@check`-decorated function defined in (or imported into) `module`, in source order."""
    found: list[Check] = []
    seen: set[int] = set()
    for value in list(vars(module).values()):
        declared = getattr(value, CHECK_ATTRIBUTE, None)
        if isinstance(declared, Check) and id(declared) not in seen:
            seen.add(id(declared))
            found.append(replace(declared, origin=origin))
    return found


def disabled_names(env: Mapping[str, str]) -> tuple[bool, frozenset[str]]:
    """(all plugins off, names turned off) from PERSPT_DISABLE_PLUGINS."""
    raw = env.get(DISABLE_ENV, "").strip()
    if not raw or raw.lower() in ("0", "false", "no", "off"):
        return False, frozenset()
    if raw.lower() in ("1", "true", "yes", "on", "all", "*"):
        return True, frozenset()
    return False, frozenset(part.strip().lower() for part in raw.split(",") if part.strip())


def discover(*, env: Mapping[str, str], checks_dirs: Sequence[Path] = (), user_dir: Path | None = None,
             builtins: bool = True, import_timeout: float = PLUGIN_IMPORT_TIMEOUT) -> Discovered:
    """Load every check source. Nothing here raises: a broken source becomes a LoadProblem."""
    out = Discovered()
    all_off, names_off = disabled_names(env)
    if builtins:
        _load_builtins(out)
    if all_off:
        out.disabled.append(f"{DISABLE_ENV}: entry points and {user_dir or '<config dir>/checks'}")
    else:
        _load_entry_points(out, names_off, import_timeout)
    for directory in checks_dirs:
        _load_directory(out, directory, explicit=True, names_off=names_off, import_timeout=import_timeout)
    if user_dir is not None and not all_off:
        _load_directory(out, user_dir, explicit=False, names_off=names_off, import_timeout=import_timeout)
    return out


def bounded_import(load: Callable[[], _T], timeout: float, what: str) -> _T:
    """`load()`'s module, or what it raised, or ImportTimedOut after `timeout` seconds (bounded.py)."""
    from perspt_doctor.bounded import CallTimedOut, call_bounded

    try:
        return call_bounded(load, timeout, f"import-{what}")
    except CallTimedOut:
        raise ImportTimedOut(f"its import did not finish within {timeout:g} s and was left behind (does it make "
                             "a network call, sleep or wait for input at module level?)") from None


def _load_builtins(out: Discovered) -> None:
    try:
        package = importlib.import_module(BUILTIN_PACKAGE)
    except Exception as exc:  # noqa: BLE001 - report it, run what we can
        out.problems.append(LoadProblem("builtin", BUILTIN_PACKAGE, _describe(exc)))
        return
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_"))
    for name in names:
        qualified = f"{BUILTIN_PACKAGE}.{name}"
        try:
            module = importlib.import_module(qualified)
        except (Exception, SystemExit) as exc:  # noqa: BLE001
            out.problems.append(LoadProblem("builtin", qualified, _describe(exc)))
            continue
        out.add_module(module, "builtin")


def _entry_points() -> Iterable[Any]:
    from importlib.metadata import entry_points

    return entry_points(group=ENTRY_POINT_GROUP)


def _load_entry_points(out: Discovered, names_off: frozenset[str], import_timeout: float) -> None:
    try:
        points = sorted(_entry_points(), key=lambda ep: (ep.name, ep.value))
    except Exception as exc:  # noqa: BLE001 - a broken installed distribution
        out.problems.append(LoadProblem("entry-points", ENTRY_POINT_GROUP, _describe(exc)))
        return
    seen: set[tuple[str, str]] = set()
    for point in points:
        if (point.name, point.value) in seen:
            continue
        seen.add((point.name, point.value))
        dist = getattr(getattr(point, "dist", None), "name", None) or point.name
        if point.name.lower() in names_off or str(dist).lower() in names_off:
            out.disabled.append(f"entry point {point.name} ({dist})")
            continue
        origin = f"plugin:{dist}"
        try:
            loaded = bounded_import(point.load, import_timeout, point.name)
        except (Exception, SystemExit) as exc:  # noqa: BLE001
            out.problems.append(LoadProblem(origin, point.value, _describe(exc)))
            continue
        if isinstance(loaded, types.ModuleType):
            out.add_module(loaded, origin)
        elif isinstance(getattr(loaded, CHECK_ATTRIBUTE, None), Check):
            holder = types.ModuleType(point.value)
            holder.__dict__["check"] = loaded
            out.add_module(holder, origin)
        else:
            out.problems.append(LoadProblem(origin, point.value,
                                            "entry point is neither a module nor an @check function"))


def _load_directory(out: Discovered, directory: Path, *, explicit: bool, names_off: frozenset[str],
                    import_timeout: float) -> None:
    if not directory.is_dir():
        if explicit:
            out.problems.append(LoadProblem(f"dir:{directory}", str(directory), "not a directory"))
        return
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith(("_", ".")):
            continue
        if path.stem.lower() in names_off:
            out.disabled.append(f"file {path}")
            continue
        origin = f"file:{path}"
        try:
            module = bounded_import(functools.partial(load_file, path), import_timeout, path.stem)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - a user file must not stop the doctor
            out.problems.append(LoadProblem(origin, path.stem, _describe(exc)))
            continue
        out.add_module(module, origin)


def load_file(path: Path) -> types.ModuleType:
    """Execute a loose check file as a module, without writing `__pycache__` beside it."""
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    name = f"{_LOOSE_PREFIX}.{path.stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    source = path.read_text(encoding="utf-8")
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102 - loading a check is the point
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0] if text else type(exc).__name__
