"""Where perspt keeps its files. Every location derives from platformdirs, so
`XDG_CONFIG_HOME`, `XDG_DATA_HOME` and `XDG_STATE_HOME` are respected on Linux.

Nothing here creates a directory: a read-only doctor run must not change the machine.
Writers call `ensure_dir` themselves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "perspt"
CONFIG_FILENAME = "config.json"
CONFIG_ENV_VAR = "PERSPT_CONFIG"


def _dirs():  # type: ignore[no-untyped-def]
    import platformdirs

    return platformdirs.PlatformDirs(APP_NAME, appauthor=False)


def config_dir() -> Path:
    return Path(_dirs().user_config_dir)


def data_dir() -> Path:
    return Path(_dirs().user_data_dir)


def state_dir() -> Path:
    return Path(_dirs().user_state_dir)


def log_dir() -> Path:
    return Path(_dirs().user_log_dir)


def cache_dir() -> Path:
    return Path(_dirs().user_cache_dir)


def default_config_file() -> Path:
    return config_dir() / CONFIG_FILENAME


def checks_dir() -> Path:
    """Loose check modules the user dropped in (loaded like plugins)."""
    return config_dir() / "checks"


def history_db() -> Path:
    return data_dir() / "history.sqlite3"


def input_history_file() -> Path:
    return data_dir() / "input-history.txt"


def doctor_runs_dir() -> Path:
    return state_dir() / "doctor-runs"


def log_file() -> Path:
    return log_dir() / "perspt.log"


@dataclass(frozen=True)
class ConfigLocation:
    """The config file perspt will read, and why that one."""

    path: Path
    reason: str  # "--config", "PERSPT_CONFIG (environment)" or "default location"


def locate_config(flag_path: str | os.PathLike[str] | None, env: dict[str, str] | None = None) -> ConfigLocation:
    environ = os.environ if env is None else env
    if flag_path:
        return ConfigLocation(Path(flag_path).expanduser(), "--config")
    from_env = environ.get(CONFIG_ENV_VAR, "").strip()
    if from_env:
        return ConfigLocation(Path(from_env).expanduser(), f"{CONFIG_ENV_VAR} (environment)")
    return ConfigLocation(default_config_file(), "default location")


def ensure_dir(path: Path, mode: int = 0o700) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    return path


def all_locations() -> dict[str, Path]:
    """Every place perspt reads or writes, for `perspt config path`."""
    return {
        "config file": default_config_file(),
        "config dir": config_dir(),
        "user checks dir": checks_dir(),
        "data dir": data_dir(),
        "history database": history_db(),
        "input history": input_history_file(),
        "state dir": state_dir(),
        "doctor runs": doctor_runs_dir(),
        "log file": log_file(),
        "cache dir": cache_dir(),
    }
