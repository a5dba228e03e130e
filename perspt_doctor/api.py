"""The public API for check authors. Built-in checks import from here and nothing more
privileged, so a third-party plugin can do everything they do.

A plugin is a module with functions decorated by `@check`; register it under the entry-point
group `perspt_doctor.checks`, or drop the file into `<config dir>/checks/`.
"""

from perspt_doctor.engine.model import CATEGORIES as CATEGORIES
from perspt_doctor.engine.model import Check as Check
from perspt_doctor.engine.model import CheckContext as CheckContext
from perspt_doctor.engine.model import Result as Result
from perspt_doctor.engine.model import Status as Status
from perspt_doctor.engine.model import check as check

ENTRY_POINT_GROUP = "perspt_doctor.checks"
