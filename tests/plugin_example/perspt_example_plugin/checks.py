"""Checks that exercise the engine: each outcome a plugin can produce, a crash, and two hangs.
Only `perspt_doctor.api` is imported, as in any third-party plugin."""

from __future__ import annotations

import asyncio
import time

from perspt_doctor.api import CheckContext, Result, check


@check("example.ok", "Example: passes", "runtime")
async def passes(ctx: CheckContext) -> Result:
    return Result.ok("all good", facts={"answer": 42})


@check("example.fails", "Example: fails", "runtime")
async def fails(ctx: CheckContext) -> Result:
    return Result.fail("NXDOMAIN for example.invalid", hint="example hint", fix_commands=["echo fix"])


@check("example.blocked", "Example: waits for example.fails", "runtime", depends_on=("example.fails",))
async def blocked(ctx: CheckContext) -> Result:
    return Result.ok("should never run")


@check("example.chained", "Example: waits for example.blocked", "runtime", depends_on=("example.blocked",))
async def chained(ctx: CheckContext) -> Result:
    return Result.ok("should never run either")


@check("example.raises", "Example: crashes", "runtime")
async def raises(ctx: CheckContext) -> Result:
    raise RuntimeError("example crash")


@check("example.hangs", "Example: never answers", "runtime", timeout=0.3)
async def hangs(ctx: CheckContext) -> Result:
    await asyncio.Event().wait()
    return Result.ok("unreachable")


@check("example.blocking_hang", "Example: a thread that never returns", "runtime", timeout=0.3)
async def blocking_hang(ctx: CheckContext) -> Result:
    await ctx.run_blocking(time.sleep, 3600)
    return Result.ok("unreachable")


@check("example.prints", "Example: prints to stdout", "runtime")
def prints(ctx: CheckContext) -> Result:
    print("noise from a plugin that should not reach stdout")
    return Result.warn("printed something", hint="plugins should not print")


@check("example.hello.{provider}", "Example: per provider", "runtime", per_provider=True)
async def per_provider(ctx: CheckContext) -> Result:
    return Result.ok(f"hello {ctx.provider}")
