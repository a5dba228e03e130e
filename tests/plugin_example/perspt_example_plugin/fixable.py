"""A plugin check that reads a shared service and declares its own fix, in its own category.

`PERSPT_EXAMPLE_MARKER=PATH` turns it on: the check wants a private file at PATH, and offers to create it.
It reads the memory snapshot through the run's shared `MEMORY` service (the same object the built-in
memory checks get) and its own typed service, and imports nothing of perspt's but `perspt_doctor.api`."""

from __future__ import annotations

import os
from pathlib import Path

from perspt_doctor.api import MEMORY, CheckContext, Fix, Result, ServiceKey, check, declare_category

declare_category("example_plugin", layer="config", note="The example plugin's own checks.")


async def _marker_path(ctx: CheckContext) -> Path | None:
    raw = ctx.env.get("PERSPT_EXAMPLE_MARKER", "").strip()
    return Path(raw) if raw else None


MARKER: ServiceKey[Path | None] = ServiceKey("example_plugin.marker", _marker_path)
"""The plugin's own service: where the marker file should be (None: the check is off)."""


def _create(path: Path) -> Fix:
    def apply() -> str | None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            return exc.strerror or str(exc)
        os.close(fd)
        return None

    return Fix(f"create the marker file {path}", f"touch {path} && chmod 600 {path}", apply,
               dry_run=f"would create the empty file {path} (mode 600)", ask=True)


@check("example_plugin.marker", "Example plugin: a marker file it can create", "example_plugin")
async def marker(ctx: CheckContext) -> Result:
    path = await ctx.service(MARKER)
    if path is None:
        return Result.skip("PERSPT_EXAMPLE_MARKER is not set")
    memory = await ctx.service(MEMORY)
    facts = {"path": str(path), "ram_total": memory.total, "same_snapshot": memory is await ctx.service(MEMORY)}
    if not path.exists():
        return Result.warn(f"{path} is missing", facts=facts, fixes=[_create(path)])
    return Result.ok(f"{path} exists", facts=facts)
