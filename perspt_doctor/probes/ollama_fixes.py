"""The fix for an Ollama model that is configured but not installed: `ollama pull MODEL`, run against the
server the settings name (OLLAMA_HOST when it is not the default), after a yes since it downloads
gigabytes. A check offers it with `fixes=[ollama_pull_fix(ctx.settings, model)]`."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from perspt_doctor.fix import Fix

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Settings


def ollama_pull_fix(settings: Settings, model: str) -> Fix:
    base = settings.base_url_for("ollama")
    host = str(base.value or "")
    binary = shutil.which("ollama", path=settings.env.get("PATH", os.defpath))
    custom = bool(host) and base.source.label != "default"
    env = dict(settings.env)
    if custom:
        env["OLLAMA_HOST"] = host
    command = f"{'OLLAMA_HOST=' + host + ' ' if custom else ''}ollama pull {model}"
    unavailable = None if binary else "the `ollama` command is not on PATH here; run it where Ollama is installed"
    return Fix.run([binary or "ollama", "pull", model], f"download the Ollama model {model}", command=command,
                   env=env, ask=True, unavailable=unavailable)
