"""Run one built-in check through the real engine with real settings (env dict, config file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from perspt_doctor.api import Result
from perspt_doctor.engine.runner import DoctorOptions, run_doctor
from perspt_doctor.settings.resolve import Flags, Settings, keyring_lookup_default, load_settings


def run_check(check_id: str, *, env: dict[str, str] | None = None, flags: Flags | None = None,
              providers: tuple[str, ...] = (), settings: Settings | None = None) -> Result:
    settings = settings or load_settings(flags or Flags(), env=env or {})
    run = run_doctor(settings, DoctorOptions(only=(check_id,), providers=providers, builtins=True))
    return run.by_id()[check_id].result


def settings_with_file(path: Path, env: dict[str, str] | None = None, **flags: Any) -> Settings:
    """Settings the way the doctor builds them when the file is broken: the file is not loaded."""
    return Settings(flags=Flags(config=str(path), **flags), env=env or {}, config=None,
                    keyring_lookup=keyring_lookup_default)
