"""Helpers for the local-runtime checks: settings from a real config file, a check context, and
shell-script stand-ins for nvidia-smi, rocm-smi and sysctl put first on PATH."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from perspt_doctor.api import CONTAINER, CheckContext, Result, ServiceKey
from perspt_doctor.engine.check_model import CHECK_ATTRIBUTE, Check
from perspt_doctor.settings.resolve import Flags, Settings, load_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gpu"
"""Real `nvidia-smi` and NVML captures (tests/fixtures/gpu/README.md), kept in the repository."""


def make_settings(tmp: Path, config: dict[str, Any] | None = None, env: dict[str, str] | None = None,
                  **flags: Any) -> Settings:
    environ = dict(os.environ)
    environ.update(env or {})
    if config is None:
        return load_settings(Flags(no_config=True, **flags), env=environ, use_keyring=False)
    path = tmp / "config.json"
    path.write_text(json.dumps(config))
    return load_settings(Flags(config=str(path), **flags), env=environ, use_keyring=False)


def make_ctx(settings: Settings, *, offline: bool = False, live: bool = False,
             services: Mapping[ServiceKey[Any], Any] | None = None, container: str | None = None) -> CheckContext:
    """A check context whose run already holds `services` (GPU reports, a memory snapshot, ...)."""
    ctx = CheckContext(settings=settings, provider=None, offline=offline, live=live)
    ctx.stash.put(CONTAINER, container)
    for key, value in (services or {}).items():
        ctx.stash.put(key, value)
    return ctx


CATEGORY = {"perspt_doctor.checks.ollama_config": "ollama", "perspt_doctor.checks.ollama_server": "ollama", "perspt_doctor.checks.memory": "memory",
            "perspt_doctor.checks.gpu": "gpu"}


def run(func: Callable[..., Any], ctx: CheckContext) -> Result:
    """Run a check directly, asserting on the way that it is declared in its module's category."""
    assert meta(func).category == CATEGORY[func.__module__]
    result = func(ctx)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    assert isinstance(result, Result)
    return result


def meta(func: Callable[..., Any]) -> Check:
    declared = getattr(func, CHECK_ATTRIBUTE)
    assert isinstance(declared, Check)
    return declared


def write_tool(directory: Path, name: str, script: str) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def tool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory first on PATH for fake nvidia-smi / rocm-smi / sysctl scripts."""
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ.get('PATH', '')}")
    yield directory


@pytest.fixture
def no_gpu_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH without nvidia-smi / rocm-smi, and no pynvml, whatever the machine has."""
    clean = tmp_path / "clean-bin"
    clean.mkdir()
    for name in ("sh", "cat"):
        target = Path("/bin") / name
        if target.exists():
            (clean / name).symlink_to(target)
    monkeypatch.setenv("PATH", str(clean))
    monkeypatch.setitem(__import__("sys").modules, "pynvml", None)
