"""Settings: config file, environment, keyring and flags -> resolved values, each with its source."""

from perspt_doctor.settings.diagnostics import ConfigError as ConfigError
from perspt_doctor.settings.diagnostics import Diagnostic as Diagnostic
from perspt_doctor.settings.resolve import Flags as Flags
from perspt_doctor.settings.resolve import Settings as Settings
from perspt_doctor.settings.resolve import load_settings as load_settings
from perspt_doctor.settings.sources import Resolved as Resolved
from perspt_doctor.settings.sources import Source as Source
