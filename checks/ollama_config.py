"""Ollama configuration checks: the address the client will use (`OLLAMA_HOST`, `base_url`) and the
model options in the config. Nothing is sent. What they share with the server checks (scope, address,
options) comes from the api (`perspt_doctor/probes/ollama.py`)."""

from __future__ import annotations

from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Result,
    check,
)

DOCS = "docs/troubleshooting.md#ollama"


# ---- ollama.host ----------------------------------------------------------------------------------
@check("ollama.host", "Ollama address (OLLAMA_HOST, base_url)", "ollama", applies=api.ollama_in_scope, docs=DOCS)
async def host_check(ctx: CheckContext) -> Result:
    """Shows the Ollama address perspt will use, where it comes from, and catches the usual mistakes in
    `OLLAMA_HOST` and the base URL.

    Resolves the address with the client's own parser (`OLLAMA_HOST`, `provider_endpoints.ollama`,
    `base_url`), aware of containers and WSL, where `localhost` is not the host. Sends nothing.

    ok: the address is usable; the summary names it and its source.
    warn: spaces or quotes around the value, credentials in it, no port (port 80 is used, not 11434),
      https to Ollama's plain-HTTP port, a listen address (`0.0.0.0`) instead of one to connect to,
      `[::1]` (Ollama listens on 127.0.0.1), `ollama.com`, or a `/v1` or `/api` suffix where it does not
      belong; also an OpenAI-compatible URL to Ollama's port without `/v1`. Fix: the hint gives the
      corrected address, usually `http://127.0.0.1:11434`.
    fail: the address cannot be used: not a host, host:port or URL, a scheme other than http or https,
      or an IPv6 address without brackets. Fix: write it as `http://HOST:11434`.
    skip: Ollama is not in use (not the provider, not a fallback, `OLLAMA_HOST` not set).
    """
    host = await api.ollama_host(ctx)
    details = [f"{t.severity}: {t.message}" for t in host.traps]
    resolved = ctx.settings.base_url_for("ollama")
    for shadow in resolved.shadowed:
        if shadow.differs:
            details.append(f"also set, but not used: {shadow.origin} = {shadow.value}")
    compat = ctx.settings.base_url_for("openai-compatible")
    compat_traps = []
    if ctx.in_scope("openai-compatible"):
        parsed = api.parse_ollama_host(str(compat.value), source=compat.origin, api="openai")
        if parsed.port == api.OLLAMA_DEFAULT_PORT:
            compat_traps = [t for t in parsed.traps if t.code == "missing_v1"]
            details.extend(f"openai-compatible ({compat.origin}): {t.message}" for t in compat_traps)
    runtime = await ctx.service(api.CONTAINER)
    facts = {"url": host.url, "source": host.source, "raw": host.raw, "ollama_python_url": host.sdk_url,
             "traps": [t.code for t in host.traps] + [f"openai-compatible:{t.code}" for t in compat_traps],
             "container": runtime}
    if not host.usable:
        trap = next(t for t in host.traps if t.severity == "fail")
        return Result.fail(f"the Ollama address from {host.source} cannot be used: {trap.message}",
                           details=details, hint=trap.hint, facts=facts, docs=DOCS)
    warned = [t for t in host.traps if t.severity == "warn"] + compat_traps
    if warned:
        return Result.warn(warned[0].message, details=details, hint=warned[0].hint, facts=facts, docs=DOCS)
    return Result.ok(f"perspt will talk to Ollama at {host.url} (from {host.source})", details=details,
                     facts=facts)


# ---- ollama.options -------------------------------------------------------------------------------
def _int_option(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@check("ollama.options", "Ollama model options (num_ctx, num_gpu, num_thread)", "ollama",
       applies=api.ollama_in_scope, docs=DOCS)
async def options_check(ctx: CheckContext) -> Result:
    """Checks the Ollama model options in the config (`options.num_ctx`, `num_gpu`, `num_thread`,
    `num_predict`) for values that break or slow down local models.

    Reads the `options` setting only; nothing is sent.

    ok: no options set (the server decides), or the values look sane; a note says when `num_gpu` is 0
      (CPU only).
    warn: a value is not a whole number (Ollama rejects the request); `num_ctx` below 512 (the
      conversation is cut off); `num_gpu` 1 to 3 (it counts layers, not GPUs: nearly all runs on the CPU);
      `num_thread` above this machine's CPU threads. Fix: write a number without quotes, use 2048 or more
      for `num_ctx`, remove `num_gpu`/`num_thread` to let Ollama decide.
    skip: Ollama is not in use.
    """
    opts = api.ollama_options(ctx)
    if not opts:
        return Result.ok("no Ollama options set: the server picks context size and GPU layers itself")
    problems: list[tuple[str, str]] = []
    for key in ("num_ctx", "num_gpu", "num_thread", "num_predict"):
        if key in opts and _int_option(opts[key]) is None:
            problems.append((f"options.{key} is {opts[key]!r}, not a whole number; Ollama rejects the request",
                             f"write a number without quotes, e.g. \"{key}\": 4096"))
    num_ctx = _int_option(opts.get("num_ctx"))
    if num_ctx is not None and num_ctx < 512:
        problems.append((f"options.num_ctx is {num_ctx}: the conversation will be cut off after a few lines",
                         "use 2048 or more (4096 is a common default)"))
    num_gpu = _int_option(opts.get("num_gpu"))
    if num_gpu is not None and 0 < num_gpu < 4:
        problems.append((f"options.num_gpu is {num_gpu}: it counts model layers put on the GPU, not GPUs, so "
                         "almost the whole model runs on the CPU",
                         "remove num_gpu to let Ollama decide, or set 0 for CPU only"))
    num_thread = _int_option(opts.get("num_thread"))
    if num_thread is not None:
        import os

        cores = os.cpu_count() or 0
        if cores and num_thread > cores:
            problems.append((f"options.num_thread is {num_thread} but this machine has {cores} CPU threads",
                             "remove num_thread, or set it to the number of physical cores"))
    facts = {k: opts[k] for k in ("num_ctx", "num_gpu", "num_thread") if k in opts}
    detail = ["options.num_gpu is 0: the model runs on the CPU only, even with a GPU"] if num_gpu == 0 else []
    if problems:
        return Result.warn(problems[0][0], details=[p[0] for p in problems[1:]] + detail, hint=problems[0][1],
                           facts=facts, docs=DOCS)
    return Result.ok(f"Ollama options look sane ({', '.join(f'{k}={v}' for k, v in facts.items()) or 'none'})",
                     details=detail, facts=facts)
