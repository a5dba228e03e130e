"""The Python that runs perspt, how perspt was installed, its version, and its dependencies."""

from __future__ import annotations

import os
import platform
import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

from perspt_doctor.api import CheckContext, Result, __version__, check

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
    try:
        import ssl
    except ImportError as exc:
        return Result.fail(f"Python cannot load its TLS library: {exc}", facts={"python": sys.version.split()[0]},
                           hint="install your distribution's OpenSSL package (libssl3 on Debian and Ubuntu, "
                                "openssl-libs on Fedora), or reinstall perspt with the distribution's Python")
    result = assess_python((info.major, info.minor, info.micro), info.releaselevel,
                           platform.python_implementation(), where)
    result.facts["openssl"] = ssl.OPENSSL_VERSION
    result.details.append(f"TLS library: {ssl.OPENSSL_VERSION}")
    return result


def install_method(prefix: str, base_prefix: str, direct_url: str | None) -> str:
    norm = prefix.replace("\\", "/")
    if direct_url and '"editable": true' in direct_url.replace(" ", "").replace('":true', '": true'):
        kind = "editable install"
    else:
        kind = "installed"
    if "/pipx/venvs/" in norm:
        return f"{kind} with pipx"
    if "/uv/tools/" in norm:
        return f"{kind} with uv tool"
    if prefix != base_prefix:
        return f"{kind} in a virtual environment"
    return f"{kind} into the system or user Python"


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
        dist = metadata.distribution(DIST)
        facts["installed_version"] = dist.version
        facts["method"] = install_method(sys.prefix, sys.base_prefix, dist.read_text("direct_url.json"))
    except metadata.PackageNotFoundError:
        facts["installed_version"] = None
        facts["method"] = "running from a source tree (not installed)"
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


def missing_requirements(requirements: list[str]) -> list[str]:
    missing = []
    for requirement in requirements:
        if ";" in requirement and "extra ==" in requirement:
            continue
        name = re.split(r"[\s<>=!~\[;(]", requirement.strip(), maxsplit=1)[0]
        if not name:
            continue
        try:
            metadata.version(name)
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
    try:
        requirements = metadata.requires(DIST) or []
    except metadata.PackageNotFoundError:
        return Result.skip("perspt is not installed as a distribution (running from a source tree)")
    missing = await ctx.run_blocking(missing_requirements, requirements)
    if missing:
        return Result.fail(f"missing libraries: {', '.join(missing)}", facts={"missing": missing},
                           hint="the install is incomplete; reinstall perspt with its dependencies",
                           fix_commands=[f"{sys.executable} -m pip install --force-reinstall perspt-doctor"])
    return Result.ok(f"all {len(requirements)} required libraries are installed",
                     facts={"required": len(requirements)})
