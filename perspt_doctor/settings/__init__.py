"""Settings: config file, environment, keyring and flags -> resolved values, each with its source.

The names below are loaded on first use, so importing a light submodule (`diagnostics`,
`sources`) does not pull in the resolver: `perspt --help` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perspt_doctor.settings.diagnostics import ConfigError as ConfigError
    from perspt_doctor.settings.diagnostics import Diagnostic as Diagnostic
    from perspt_doctor.settings.resolve import Flags as Flags
    from perspt_doctor.settings.resolve import Settings as Settings
    from perspt_doctor.settings.resolve import load_settings as load_settings
    from perspt_doctor.settings.sources import Resolved as Resolved
    from perspt_doctor.settings.sources import Source as Source

_LAZY = {
    "ConfigError": "perspt_doctor.settings.diagnostics",
    "Diagnostic": "perspt_doctor.settings.diagnostics",
    "Flags": "perspt_doctor.settings.resolve",
    "Settings": "perspt_doctor.settings.resolve",
    "load_settings": "perspt_doctor.settings.resolve",
    "Resolved": "perspt_doctor.settings.sources",
    "Source": "perspt_doctor.settings.sources",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
