"""How this copy of perspt was installed, and the command that upgrades (or pins) it that way: one
answer for the `runtime.install` and `runtime.version` checks and the issue report."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

DIST = "perspt-doctor"


@dataclass(frozen=True)
class Installation:
    tool: str
    """`pipx`, `uv`, `pip`, `conda`, `homebrew`, or `source` (a checkout that is not installed)."""
    editable: bool = False
    virtual_env: bool = False
    installer: str = "pip"
    """What the distribution's INSTALLER file says (pip, uv, ...)."""
    python: str = sys.executable

    def describe(self) -> str:
        """In words, as the report and `runtime.install` print it."""
        if self.tool == "source":
            return "running from a source tree (not installed)"
        if self.editable:
            return f"editable install ({self.installer} install -e)"
        return {"pipx": "pipx", "uv": "uv tool", "homebrew": "Homebrew",
                "conda": f"{self.installer} (conda environment)"}.get(
            self.tool, f"{self.installer} ({'virtual environment' if self.virtual_env else 'system or user site'})")

    def upgrade_command(self, version: str | None = None) -> str | None:
        """The command that installs `version` (the newest when None) the way this copy was installed;
        None where perspt cannot know it (an editable checkout: pull and reinstall)."""
        if self.tool == "source" or self.editable:
            return None
        pinned = f"'{DIST}=={version}'" if version else DIST
        if self.tool == "pipx":
            return f"pipx install --force {pinned}" if version else f"pipx upgrade {DIST}"
        if self.tool == "uv":
            return f"uv tool install --force {pinned}"
        if self.tool == "homebrew":
            return "brew upgrade perspt"
        upgrade = "" if version else "-U "
        return f"{self.python} -m pip install {upgrade}{pinned}"


def detect(prefix: str | None = None, base_prefix: str | None = None) -> Installation:
    from importlib import metadata

    prefix = sys.prefix if prefix is None else prefix
    base_prefix = sys.base_prefix if base_prefix is None else base_prefix
    try:
        dist = metadata.distribution(DIST)
    except metadata.PackageNotFoundError:
        return Installation("source")
    installer = (dist.read_text("INSTALLER") or "").strip() or "pip"
    return classify(prefix, base_prefix, dist.read_text("direct_url.json"), installer)


def classify(prefix: str, base_prefix: str, direct_url: str | None, installer: str = "pip") -> Installation:
    norm = prefix.replace("\\", "/")
    editable = _is_editable(direct_url or "")
    virtual_env = prefix != base_prefix
    if "/pipx/venvs/" in norm:
        tool = "pipx"
    elif "/uv/tools/" in norm:
        tool = "uv"
    elif "/Cellar/" in norm or "/homebrew/" in norm.lower():
        tool = "homebrew"
    elif os.path.isdir(os.path.join(prefix, "conda-meta")):
        tool = "conda"
    else:
        tool = "pip"
    return Installation(tool, editable=editable, virtual_env=virtual_env, installer=installer)


def _is_editable(direct_url: str) -> bool:
    try:
        info = json.loads(direct_url) if direct_url else {}
    except ValueError:
        return False
    dir_info = info.get("dir_info") if isinstance(info, dict) else None
    return bool(isinstance(dir_info, dict) and dir_info.get("editable"))
