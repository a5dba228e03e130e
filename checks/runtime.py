"""The Python that runs perspt, how perspt was installed, its version, and its dependencies."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Result,
    __version__,
    atomic_write,
    cache_dir,
    check,
    classify,
    tls_library_fault,
    tls_library_result,
)

DOCS = "docs/troubleshooting.md#installation"
DIST = "perspt-doctor"
MIN_PYTHON = (3, 10)


def assess_python(version: tuple[int, int, int], releaselevel: str, implementation: str, where: str) -> Result:
    text = f"{implementation} {'.'.join(map(str, version))} on {where}"
    facts = {"python": ".".join(map(str, version)), "implementation": implementation, "platform": where}
    if version[:2] < MIN_PYTHON:
        wanted = ".".join(map(str, MIN_PYTHON))
        return Result.fail(f"{text}: perspt needs Python {wanted} or newer", facts=facts,
                           hint=f"install Python {wanted}+ and reinstall perspt with it (pipx install --python "
                                f"python3.12 perspt-doctor)")
    if releaselevel != "final":
        return Result.warn(f"{text} is a pre-release ({releaselevel})", facts=facts,
                           hint="if something breaks, try a released Python first")
    return Result.ok(text, facts=facts)


@check("runtime.python", "Python and platform", "runtime", timeout=2, docs=DOCS)
async def python_version(ctx: CheckContext) -> Result:
    """Reports the Python that runs perspt and the platform, and checks the version is supported.

    Reads `sys.version_info` and `platform`; nothing else.

    ok: Python 3.10 or newer, a final release.
    warn: a pre-release Python (alpha, beta, release candidate). Fix: if something breaks, try a released
      Python first.
    fail: older than Python 3.10. Fix: install Python 3.10+ and reinstall perspt with it
      (`pipx install --python python3.12 perspt-doctor`).
    fail: Python cannot load its TLS library (`import ssl` fails, e.g. `libssl.so.1.1` is missing), so no
      provider can be reached. Fix: install the distribution's OpenSSL package (`libssl3` on Debian and
      Ubuntu, `openssl-libs` on Fedora), or reinstall perspt with a Python from the distribution.
    """
    where = f"{platform.system()} {platform.release()} {platform.machine()}".strip()
    info = sys.version_info
    broken = tls_library_fault()
    if broken is not None:
        return tls_library_result(broken)
    import ssl

    result = assess_python((info.major, info.minor, info.micro), info.releaselevel,
                           platform.python_implementation(), where)
    result.facts["openssl"] = ssl.OPENSSL_VERSION
    result.details.append(f"TLS library: {ssl.OPENSSL_VERSION}")
    return result


def launcher_python(script: Path) -> str | None:
    """The interpreter a `perspt` launcher script starts (its shebang), if it is a script."""
    try:
        with script.open("rb") as handle:
            first = handle.readline(512)
    except OSError:
        return None
    match = re.match(rb"#!\s*(\S+)", first)
    return match.group(1).decode(errors="replace") if match else None


def _same_python(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve() or Path(a).parent.resolve() == Path(b).parent.resolve()
    except OSError:
        return a == b


def _install_facts(env_path: str) -> dict[str, object]:
    facts: dict[str, object] = {"version": __version__, "python": sys.executable}
    try:
        facts["installed_version"] = metadata.version(DIST)
    except metadata.PackageNotFoundError:
        facts["installed_version"] = None
    facts["method"] = api.detect_installation().describe()
    launcher = shutil.which("perspt", path=env_path)
    facts["launcher"] = launcher
    facts["launcher_python"] = launcher_python(Path(launcher)) if launcher else None
    return facts


@check("runtime.install", "How perspt is installed", "runtime", timeout=3, docs=DOCS)
async def install(ctx: CheckContext) -> Result:
    """Reports how perspt is installed (pipx, uv tool, a virtual environment, the system Python, editable)
    and whether the `perspt` on your PATH belongs to this installation.

    Reads the installed distribution's metadata and follows the `perspt` launcher on `PATH` to the Python
    its first line starts.

    ok: the version matches the installed metadata and the launcher (if any) runs this Python; with no
      launcher on `PATH` the summary says to run `python -m perspt_doctor`.
    warn: the installed metadata names another version than the running code (a stale or half-finished
      upgrade). Fix: reinstall (`pipx reinstall perspt-doctor` or `pip install --force-reinstall
      perspt-doctor`).
    warn: the `perspt` on `PATH` runs another Python: two copies are installed. Fix: remove the one you do
      not use, or put the right one first on `PATH`.
    """
    facts = await ctx.run_blocking(_install_facts, ctx.env.get("PATH", os.defpath))
    return assess_install(facts)


def assess_install(facts: dict[str, object]) -> Result:
    summary = f"perspt {facts['version']}, {facts['method']}"
    installed = facts.get("installed_version")
    if installed and installed != facts["version"]:
        return Result.warn(f"{summary}; the installed metadata says {installed}", facts=facts,
                           hint="the install is stale or half-upgraded: reinstall perspt "
                                "(pipx reinstall perspt-doctor, or pip install --force-reinstall perspt-doctor)")
    launcher_python_path = facts.get("launcher_python")
    if (facts.get("launcher") and launcher_python_path and not str(launcher_python_path).endswith("env")
            and not _same_python(str(launcher_python_path), str(facts["python"]))):
        return Result.warn(f"{summary}; but the `perspt` on your PATH ({facts['launcher']}) runs another "
                           f"Python ({launcher_python_path})", facts=facts,
                           hint="two copies are installed; remove the one you do not use, or put the right "
                                "one first on PATH")
    if not facts.get("launcher"):
        return Result.ok(f"{summary}; no `perspt` command on PATH (run as `python -m perspt_doctor`)", facts=facts)
    return Result.ok(summary, facts=facts)


def required_only(requirements: list[str]) -> list[str]:
    """The requirements without those of optional extras (`...; extra == "dev"`)."""
    return [r for r in requirements if not (";" in r and "extra ==" in r)]


def declared_requirements() -> list[str] | None:
    """perspt's required libraries as its installed metadata declares them (extras left out); None when
    perspt runs from a source tree. Reads and parses a file: call it off the event loop."""
    try:
        return required_only(metadata.requires(DIST) or [])
    except metadata.PackageNotFoundError:
        return None


def missing_requirements(requirements: list[str]) -> list[str]:
    """The names of the required libraries that have no installed distribution. Only finds each one's
    metadata directory: its METADATA file is not parsed."""
    missing = []
    for requirement in required_only(requirements):
        name = re.split(r"[\s<>=!~\[;(]", requirement.strip(), maxsplit=1)[0]
        if not name:
            continue
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


@check("runtime.dependencies", "perspt's libraries are installed", "runtime", timeout=3, docs=DOCS)
async def dependencies(ctx: CheckContext) -> Result:
    """Checks that every library perspt requires is installed.

    Reads perspt's declared requirements from its distribution metadata (optional extras left out) and
    looks each one up with `importlib.metadata`.

    ok: all required libraries are installed.
    fail: some are missing (the summary names them). Fix: reinstall with its dependencies
      (`python -m pip install --force-reinstall perspt-doctor`, with the Python that runs perspt).
    skip: perspt runs from a source tree and is not installed as a distribution.
    """
    requirements = await ctx.run_blocking(declared_requirements)
    if requirements is None:
        return Result.skip("perspt is not installed as a distribution (running from a source tree)")
    missing = await ctx.run_blocking(missing_requirements, requirements)
    if missing:
        return Result.fail(f"missing libraries: {', '.join(missing)}", facts={"missing": missing},
                           hint="the install is incomplete; reinstall perspt with its dependencies",
                           fix_commands=[f"{sys.executable} -m pip install --force-reinstall perspt-doctor"])
    return Result.ok(f"all {len(requirements)} required libraries are installed",
                     facts={"required": len(requirements)})


RELEASE_CACHE = "newest-release.json"
RELEASE_CACHE_TTL_S = 24 * 3600


@check("runtime.version", "perspt is the newest release", "runtime", timeout=8, needs_network=True, docs=DOCS)
async def newest_release(ctx: CheckContext) -> Result:
    """Compares the installed perspt with the newest release on the package index, and gives the upgrade
    command for the way perspt was installed (pip, pipx, uv tool).

    Asks the index's JSON API (`doctor.index_url`, `https://pypi.org/pypi` by default) for
    `perspt-doctor`, at most once a day: the answer is kept in the cache directory. Skipped with
    `--offline`.

    ok: this is the newest release (or newer: a development copy).
    warn: a newer release exists. Fix: the upgrade command shown (`pipx upgrade perspt-doctor`,
      `uv tool install --force perspt-doctor`, or `python -m pip install -U perspt-doctor`).
    skip: the index did not answer (no network, or a mirror that lacks perspt); nothing is wrong with perspt.
    """
    index = str(ctx.settings.get("doctor.index_url")).rstrip("/")
    facts: dict[str, object] = {"installed": __version__, "index": index}
    newest = await ctx.run_blocking(read_release_cache, index)
    facts["cached"] = newest is not None
    if newest is None:
        try:
            newest = await fetch_newest_release(ctx, index)
        except NewestReleaseUnknown as exc:
            return Result.skip(f"the package index did not say which release is the newest: {exc}", facts=facts)
        await ctx.run_blocking(write_release_cache, index, newest)
    facts["newest"] = newest
    installation = await ctx.run_blocking(api.detect_installation)  # reads distribution metadata: off the loop
    return assess_version(__version__, newest, installation.upgrade_command(), facts)


def assess_version(installed: str, newest: str, upgrade: str | None, facts: dict[str, object]) -> Result:
    facts["upgrade_command"] = upgrade
    if release_key(newest) <= release_key(installed):
        newer = " (newer than the newest release: a development copy)" if newest != installed else ""
        return Result.ok(f"perspt {installed} is the newest release{newer}", facts=facts)
    how = upgrade or "pull the newest code and reinstall (`pip install -e .`)"
    return Result.warn(f"perspt {installed} is installed; {newest} is the newest release", facts=facts,
                       hint=f"upgrade with `{how}`; the fix you need may already be there",
                       fix_commands=[upgrade] if upgrade else [])


class NewestReleaseUnknown(Exception):
    pass


async def fetch_newest_release(ctx: CheckContext, index: str) -> str:
    url = f"{index}/perspt-doctor/json"
    try:
        async with api.build_async_client(ctx.settings, total_timeout=ctx.bounded(6.0)) as client:
            reply = await client.get(url, headers={"accept": "application/json"})
    except Exception as exc:  # noqa: BLE001 - any failure to ask means "unknown", said in words
        raise NewestReleaseUnknown(classify(exc).message) from None
    if reply.status_code != 200:
        raise NewestReleaseUnknown(f"{url} answered {reply.status_code}")
    try:
        newest = reply.json()["info"]["version"]
    except (ValueError, KeyError, TypeError):
        raise NewestReleaseUnknown(f"{url} did not answer with the index's JSON") from None
    if not isinstance(newest, str) or not re.match(r"\d", newest):
        raise NewestReleaseUnknown(f"{url} named no version")
    return newest


def release_key(text: str) -> tuple[tuple[int, ...], int, int]:
    """Orders versions as releases do: 0.10 > 0.9, and 1.0rc1 < 1.0 (a pre-release comes before)."""
    match = re.match(r"(\d+(?:\.\d+)*)(?:[.-]?(a|b|rc|dev)(\d*))?", text.strip().lower())
    if not match:
        return ((), 0, 0)
    numbers = tuple(int(n) for n in match.group(1).split("."))
    while numbers and numbers[-1] == 0:
        numbers = numbers[:-1]
    stage = {"dev": 0, "a": 1, "b": 2, "rc": 3}.get(match.group(2) or "", 4)
    return numbers, stage, int(match.group(3) or 0)


def _cache_path() -> Path:
    return cache_dir() / RELEASE_CACHE


def read_release_cache(index: str, now: float | None = None) -> str | None:
    import json
    import time

    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    fresh = isinstance(data, dict) and data.get("index") == index and isinstance(data.get("newest"), str) \
        and isinstance(data.get("checked_at"), (int, float)) \
        and 0 <= (now or time.time()) - data["checked_at"] < RELEASE_CACHE_TTL_S
    return data["newest"] if fresh else None


def write_release_cache(index: str, newest: str) -> None:
    import json
    import time

    with contextlib.suppress(OSError):  # no cache: the next run asks again
        atomic_write(_cache_path(), json.dumps({"index": index, "newest": newest, "checked_at": time.time()}),
                     backup=False)
