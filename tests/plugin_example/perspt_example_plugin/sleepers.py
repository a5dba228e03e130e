"""PERSPT_EXAMPLE_SLEEPERS=N adds N checks that each sleep 100 ms (N=0 by default): a run that
takes about 0.1 s instead of N/10 s proves the checks run concurrently."""

from __future__ import annotations

import asyncio
import os

from perspt_doctor.api import CheckContext, Result, check

COUNT = int(os.environ.get("PERSPT_EXAMPLE_SLEEPERS", "0") or 0)
DELAY = float(os.environ.get("PERSPT_EXAMPLE_SLEEP_SECONDS", "0.1") or 0.1)


def _make(index: int):  # type: ignore[no-untyped-def]
    @check(f"sleepers.s{index:04d}", f"Sleeper {index}", "runtime", timeout=10)
    async def sleeper(ctx: CheckContext) -> Result:
        await asyncio.sleep(DELAY)
        return Result.ok(f"slept {DELAY:g} s")

    return sleeper


for _i in range(COUNT):
    globals()[f"sleeper_{_i:04d}"] = _make(_i)
