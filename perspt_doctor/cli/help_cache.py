"""`perspt --help` answered from the text click rendered for it earlier, without importing click.

`_help_text.py` holds click's own output for the common widths; `scripts/gen_help_cache.py` writes
it and a test fails when it differs from what click prints now. Any other width falls through to click.
"""

from __future__ import annotations

import os
import sys

MAX_CONTENT_WIDTH = 100
"""The root command's `max_content_width`; click renders at min(columns, this) - 2, at least 50."""


def formatter_width() -> int:
    """The width click's HelpFormatter will choose (the same steps as shutil.get_terminal_size)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return max(min(columns, MAX_CONTENT_WIDTH) - 2, 50)


def cached_help() -> str | None:
    if os.environ.get("PERSPT_HELP_CACHE", "1") == "0":
        return None
    from perspt_doctor._version import __version__
    from perspt_doctor.cli._help_text import TEXTS, VERSION

    if __version__ != VERSION:
        return None
    return TEXTS.get(formatter_width())
