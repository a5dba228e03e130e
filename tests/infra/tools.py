"""Tools the tests run (Debian packages that scripts/test.sh installs)."""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer machine; under CI, where scripts/test.sh installs every tool, fail instead,
    so that a test can never pass there by not running."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, but CI is set: scripts/test.sh installs it", pytrace=False)
    pytest.skip(reason)


def need(command: str, package: str | None = None) -> None:
    if shutil.which(command) is None:
        unavailable(f"{command} is not installed (apt-get install {package or command})")
