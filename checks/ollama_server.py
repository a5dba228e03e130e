"""Ollama server checks: the daemon behind the address, its models, what is loaded, and (with --live)
whether the configured model loads. They talk to Ollama through the provider adapter
(`providers/ollama_adapter.py`) on the transport's one route decision (`transport/route.py`), so the proxy,
CA and timeout settings the chat client uses apply here too, and every failure is named by the one
classifier (`transport/classify.py`)."""

from __future__ import annotations

import platform
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from perspt_doctor import api
from perspt_doctor.api import (
    PROVIDERS,
    CheckContext,
    Kind,
    Result,
    ServiceKey,
    check,
    did_you_mean,
)

if TYPE_CHECKING:  # names for annotations only: the Ollama layer loads when a check runs
    Reply = api.OllamaReply
    Verdict = Callable[[CheckContext, api.OllamaHost, Reply], Awaitable[Result]]

DOCS = "docs/troubleshooting.md#ollama"
LOAD_BUDGET = 100.0


def server_log_hint() -> str:
    system = platform.system()
    if system == "Darwin":
        return "~/.ollama/logs/server.log"
    if system == "Windows":
        return r"%LOCALAPPDATA%\Ollama\server.log"
    return "`journalctl -u ollama` (or the terminal running `ollama serve`; `docker logs` in Docker)"


def explain(reply: Reply, model: str) -> tuple[Kind, str, str, list[str]]:
    """(kind, summary, hint, fix commands) for an error answer of the daemon, by the classifier's kind."""
    kind = reply.cause.kind if reply.cause else Kind.SERVER
    message = reply.error_text or reply.message
    if kind is Kind.MODEL_NOT_FOUND:
        return (kind, f"model {model!r} is not installed ({message})", f"pull it: ollama pull {model}",
                [f"ollama pull {model}"])
    if kind is Kind.OUT_OF_MEMORY:
        lowered = message.lower()
        gpu_side = "cudamalloc" in lowered or "gpu" in lowered or "vram" in lowered
        hint = ("the model does not fit in memory: pick a smaller tag or a 4-bit quantization (q4_K_M), "
                "lower options.num_ctx, or close other programs")
        if gpu_side:
            hint += "; to keep it off the GPU set options.num_gpu to 0 (or lower it to offload fewer layers)"
        return kind, f"Ollama ran out of memory loading {model!r}: {message}", hint, []
    if kind is Kind.OVERLOADED:
        return (kind, f"the Ollama server is busy: {message}",
                "its request queue is full; retry later, or raise OLLAMA_MAX_QUEUE (default 512) or "
                "OLLAMA_NUM_PARALLEL where `ollama serve` runs", [])
    if kind is Kind.AUTH:
        return (kind, f"Ollama asks for sign-in: {message}",
                "a cloud model needs `ollama signin` (or OLLAMA_API_KEY); local models need no key", ["ollama signin"])
    return (kind, f"Ollama answered HTTP {reply.status}: {message or '(no message)'}",
            f"see the server log: {server_log_hint()}", [])


# ---- ollama.daemon --------------------------------------------------------------------------------
def _offline_skip(ctx: CheckContext, host: api.OllamaHost) -> Result | None:
    if ctx.offline and not host.is_loopback:
        return Result.skip(f"offline (--offline): Ollama at {host.url} is not on this machine")
    return None


async def _ask(ctx: CheckContext, answer: ServiceKey[Reply], verdict: Verdict) -> Result:
    """The verdict on the daemon's answer (fetched once per run), or the skip when --offline keeps the
    doctor off a remote Ollama."""
    host = await api.ollama_host(ctx)
    return _offline_skip(ctx, host) or await verdict(ctx, host, await ctx.service(answer))


def _unreachable_hint(ctx: CheckContext, host: api.OllamaHost, reply: Reply, runtime: str | None) -> tuple[str, list[str]]:
    codes = {t.code for t in host.traps}
    if reply.failure == "refused":
        if "port_80" in codes:
            return (f"the address has no port, so port 80 was tried; Ollama listens on {api.OLLAMA_DEFAULT_PORT}: "
                    f"use http://{host.host}:{api.OLLAMA_DEFAULT_PORT}", [])
        if "ipv6_loopback" in codes:
            return (f"Ollama listens on 127.0.0.1 only: use http://127.0.0.1:{host.port}", [])
        if runtime and runtime != "wsl" and host.is_loopback:
            return ("inside a container, loopback is the container itself: use http://host.docker.internal:11434 "
                    "(Linux: --add-host=host.docker.internal:host-gateway) and run the server with "
                    "OLLAMA_HOST=0.0.0.0", [])
        if host.is_loopback:
            return ("start Ollama: `ollama serve` (or open the Ollama app; `brew services start ollama` on macOS, "
                    "`sudo systemctl start ollama` on Linux)", ["ollama serve"])
        return (f"nothing listens on {host.host}:{host.port}: start Ollama there and make it listen on the "
                "network (OLLAMA_HOST=0.0.0.0 for `ollama serve`), and check the firewall", [])
    if reply.failure == "tls":
        return (f"Ollama speaks plain HTTP: use http://{host.host}:{host.port}", [])
    if reply.failure == "dns":
        if host.host == "host.docker.internal":
            return ("host.docker.internal is not defined in this container: on Linux start it with "
                    "--add-host=host.docker.internal:host-gateway", [])
        return (f"check the host name {host.host!r} in {host.source}", [])
    if reply.failure == "timeout":
        return ("the port accepts nothing or the daemon is stuck: check a firewall in between, or restart "
                f"Ollama and read {server_log_hint()}", [])
    if reply.failure == "proxy":
        return ("the proxy refused or failed the request: add the Ollama host to NO_PROXY "
                "(e.g. NO_PROXY=localhost,127.0.0.1)", [])
    return (f"restart Ollama and read {server_log_hint()}", [])


@check("ollama.daemon", "Ollama daemon answers", "ollama", depends_on=("ollama.host",), timeout=8.0,
       applies=api.ollama_in_scope, docs=DOCS)
async def daemon_check(ctx: CheckContext) -> Result:
    """Checks that the Ollama server answers at the configured address.

    Sends `GET /api/version` through the transport factory, so proxy and timeout settings apply as in the
    chat, and expects Ollama's version back.

    ok: Ollama answers with its version.
    fail: not reachable: refused, no answer within 4 s, TLS to a plain-HTTP server, a name that does not
      resolve, the connection closed, or a proxy in the way. Fix: start Ollama (`ollama serve`, the app,
      `systemctl start ollama`); in a container use `host.docker.internal` and run the server with
      `OLLAMA_HOST=0.0.0.0`; use `http://`; add the host to `NO_PROXY` when a proxy is in the way.
    fail: something other than Ollama answers (another program on the port, a proxy, a wrong path in the
      address). Fix: point perspt at Ollama's real port, drop the path, or bypass the proxy.
    skip: the address is unusable (see `ollama.host`); `--offline` and Ollama is not on this machine; or
      Ollama is not in use.
    """
    host = await api.ollama_host(ctx)
    if not host.usable:
        return Result.skip("the Ollama address is unusable (see ollama.host)")
    return await _ask(ctx, api.OLLAMA_VERSION, _daemon)


async def _daemon(ctx: CheckContext, host: api.OllamaHost, reply: Reply) -> Result:
    runtime = await ctx.service(api.CONTAINER)
    proxy = api.route_to(ctx.settings, host.url, "ollama").decision.display
    facts: dict[str, Any] = {"url": host.url, "elapsed_ms": round(reply.elapsed * 1000), "proxy": proxy}
    details = [f"through proxy {proxy} (from the proxy settings)"] if proxy else []
    if reply.failure:
        hint, fixes = _unreachable_hint(ctx, host, reply, runtime)
        if proxy:
            hint = (f"requests to Ollama go through the proxy {proxy}, which failed: add {host.host} to NO_PROXY "
                    "(e.g. NO_PROXY=localhost,127.0.0.1)")
            fixes = []
        what = {"refused": "connection refused", "timeout": f"no answer within {(await ctx.service(api.OLLAMA)).budget:g} s",
                "tls": "TLS handshake failed", "dns": "the host name does not resolve",
                "reset": "the connection was closed without an answer"
                }.get(reply.failure, reply.cause.message if reply.cause else "could not connect")
        facts["failure"] = reply.failure
        if reply.cause:
            facts["cause"] = reply.cause.as_dict()
        return Result.fail(f"Ollama is not reachable at {host.url}: {what}", details=details + [reply.message],
                           hint=hint, fix_commands=fixes, facts=facts, docs=DOCS)
    version = reply.data.get("version") if isinstance(reply.data, dict) else None
    if reply.status == 200 and isinstance(version, str):
        facts["version"] = version
        return Result.ok(f"Ollama {version} answers at {host.url}", details=details, facts=facts)
    facts["status"] = reply.status
    server = reply.headers.get("server", "")
    via_proxy = bool(proxy) or "via" in reply.headers or any(n in server.lower() for n in ("squid", "tinyproxy"))
    if via_proxy:
        hint = f"a proxy answered instead of Ollama: add {host.host} to NO_PROXY (e.g. NO_PROXY=localhost,127.0.0.1)"
    elif host.path:
        hint = f"the path /{host.path} in the address sends requests to the wrong place: use http://{host.host}:{host.port}"
    else:
        hint = (f"another program listens on port {host.port}: stop it, or point perspt at the port Ollama "
                "really uses")
    return Result.fail(f"something other than Ollama answers at {host.url} (HTTP {reply.status}"
                       f"{', ' + server if server else ''})", details=details + [reply.text.strip()[:200]],
                       hint=hint, facts=facts, docs=DOCS)


# ---- ollama.models --------------------------------------------------------------------------------
def _size(entry: dict[str, Any]) -> str:
    size = entry.get("size")
    raw = entry.get("details")
    details: dict[str, Any] = raw if isinstance(raw, dict) else {}
    parts = [f"{size / 1e9:.1f} GB" if isinstance(size, int | float) else None,
             details.get("parameter_size"), details.get("quantization_level")]
    return ", ".join(str(p) for p in parts if p)


@check("ollama.models", "Configured Ollama model is installed", "ollama", depends_on=("ollama.daemon",),
       timeout=8.0, applies=api.ollama_in_scope, docs=DOCS)
async def models_check(ctx: CheckContext) -> Result:
    """Checks that the configured Ollama model (and each Ollama fallback model) is installed.

    Lists the installed models with `GET /api/tags` and matches names the way Ollama does (no tag means
    `:latest`; the `library/` prefix is optional).

    ok: the configured model is installed (with its size and quantization); or nothing is configured and
      some models are installed.
    warn: no model is configured and none is installed. Fix: `ollama pull MODEL`.
    fail: a configured model is not installed (installed tags of the same model are suggested).
      Fix: `ollama pull MODEL`, or set `model` to an installed one.
    fail: the list of models cannot be read; a 404 means the address is not Ollama's native API.
      Fix: point the address at the server itself (no `/v1`), or see the server log.
    skip: `--offline` and Ollama is not on this machine, or Ollama is not in use.
    """
    return await _ask(ctx, api.OLLAMA_TAGS, _models)


async def _models(ctx: CheckContext, host: api.OllamaHost, tags: Reply) -> Result:
    if tags.failure or tags.status != 200:
        if tags.status == 404:
            return Result.fail(f"{host.url}/api/tags answers 404: this is not Ollama's native API",
                               hint="point the Ollama address at the server itself (http://HOST:11434), without "
                                    "/v1 or another path", docs=DOCS)
        kind, summary, hint, fixes = explain(tags, "")
        return Result.fail(f"could not list Ollama's models: {summary if tags.status else tags.failure}",
                           hint=hint, fix_commands=fixes, docs=DOCS)
    models = api.installed_models(tags)
    names = [str(m.get("name") or m.get("model")) for m in models]
    wanted = api.configured_models(ctx)
    facts: dict[str, Any] = {"installed": names, "configured": [w for w, _ in wanted]}
    missing = [(name, origin) for name, origin in wanted if api.find_model(models, name) is None]
    if missing:
        details = []
        for name, origin in missing:
            base = api.ollama_model_key(name).split(":")[0]
            siblings = [n for n in names if api.ollama_model_key(n).split(":")[0] == base]
            close = siblings or did_you_mean(name, names, key=api.ollama_model_key)
            details.append(f"{name} (from {origin}) is missing" + (f"; installed: {', '.join(close)}" if close else ""))
        first = missing[0][0]
        facts["missing"] = [m for m, _ in missing]
        return Result.fail(
            f"model {first!r} is not installed in Ollama"
            + (f" ({len(names)} other model{'s' if len(names) != 1 else ''} installed)" if names else
               " (no models installed)"),
            details=details, hint=f"download it with `ollama pull {first}`, or set \"model\" to an installed one"
            + (f" ({', '.join(names[:5])})" if names else ""),
            fixes=[api.ollama_pull_fix(ctx.settings, m) for m, _ in missing], facts=facts, docs=DOCS)
    if not models:
        default = PROVIDERS["ollama"].default_model
        return Result.warn("Ollama has no models installed", hint=f"download one, e.g. `ollama pull {default}`",
                           fix_commands=[f"ollama pull {default}"], facts=facts, docs=DOCS)
    details = [f"{str(m.get('name'))}: {_size(m)}" for m in models]
    if wanted:
        entry = api.find_model(models, wanted[0][0])
        assert entry is not None
        return Result.ok(f"{wanted[0][0]} is installed ({_size(entry)}); {len(models)} model"
                         f"{'s' if len(models) != 1 else ''} in all", details=details, facts=facts)
    return Result.ok(f"{len(models)} model{'s' if len(models) != 1 else ''} installed", details=details, facts=facts)


# ---- ollama.loaded --------------------------------------------------------------------------------
@check("ollama.loaded", "Models loaded in Ollama (CPU/GPU split)", "ollama", depends_on=("ollama.daemon",),
       timeout=15.0, applies=api.ollama_in_scope, docs=DOCS)
async def loaded_check(ctx: CheckContext) -> Result:
    """Shows which models Ollama holds in memory and how they are split between CPU and GPU.

    Reads `GET /api/ps` (as `ollama ps` does). When the configured model runs entirely on the CPU of this
    machine, it looks for an NVIDIA or AMD GPU that Ollama is not using.

    ok: no model is loaded yet (the first request loads it, which can take a while); or the loaded
      models run fully on the GPU, or on the CPU where no GPU is found (or Ollama runs on another machine).
    warn: a model is split between CPU and GPU: it does not fit in GPU memory and answers slower.
      Fix: a smaller tag or quantization, a lower `options.num_ctx`, or `ollama stop` the other models.
    warn: the model runs 100% on the CPU although this machine has a GPU. Fix: check the server log for
      GPU discovery errors, update the driver, restart Ollama; unset `CUDA_VISIBLE_DEVICES` if it hides
      the GPU.
    fail: `/api/ps` cannot be read, or answers something other than Ollama's JSON object (another program
      on the port). Fix: see the server log.
    skip: `--offline` and Ollama is not on this machine, or Ollama is not in use.
    """
    return await _ask(ctx, api.OLLAMA_PS, _loaded)


async def _loaded(ctx: CheckContext, host: api.OllamaHost, ps: Reply) -> Result:
    if ps.failure or ps.status != 200:
        return Result.fail(f"could not read /api/ps: {ps.failure or f'HTTP {ps.status}'} {ps.error_text}".strip(),
                           hint=f"see the server log: {server_log_hint()}", docs=DOCS)
    if not isinstance(ps.data, dict):
        return Result.fail(f"/api/ps answered {type(ps.data).__name__} instead of Ollama's JSON object: another "
                           "program may be listening on this port", hint=f"see the server log: {server_log_hint()}",
                           docs=DOCS)
    wanted = [api.ollama_model_key(name) for name, _ in api.configured_models(ctx)]
    rows = api.loaded_models(ps)
    facts: dict[str, Any] = {"loaded": [r.__dict__ for r in rows]}
    details = [f"{r.name}: {r.size / 1024**3:.1f} GiB, {r.split}"
               + (f", context {r.context_length}" if r.context_length else "") for r in rows]
    if not rows:
        first = api.configured_models(ctx)
        return Result.ok("no model is loaded; the first request loads "
                         + (f"{first[0][0]}, which can take a while" if first else "the model"), facts=facts)
    split = [r for r in rows if "/" in r.split]
    if split:
        r = split[0]
        others = [o.name for o in rows if o is not r]
        hint = ("it does not fit in GPU memory: pick a smaller tag or quantization, lower options.num_ctx"
                + (f", or unload the other models (`ollama stop {others[0]}`)" if others else ""))
        return Result.warn(f"{r.name} runs {r.split}: part of it is on the CPU, so answers are slower",
                           details=details, hint=hint,
                           fix_commands=[f"ollama stop {o}" for o in others], facts=facts, docs=DOCS)
    on_cpu = [r for r in rows if r.split == "100% CPU" and (not wanted or api.ollama_model_key(r.name) in wanted)]
    if on_cpu and host.is_loopback:
        device = await api.dedicated_gpu(ctx)
        if device:
            facts["gpu"] = device
            hidden = ctx.env.get("CUDA_VISIBLE_DEVICES")
            hint = (f"Ollama does not use the {device}: check the server log ({server_log_hint()}) for "
                    "'no compatible GPUs were discovered', update the driver, and restart Ollama")
            if hidden is not None and hidden.strip() in ("", "-1"):
                hint = f"CUDA_VISIBLE_DEVICES={hidden!r} hides the GPU; unset it where `ollama serve` runs"
            return Result.warn(f"{on_cpu[0].name} runs 100% on the CPU although a GPU is present ({device})",
                               details=details, hint=hint, facts=facts, docs=DOCS)
    mine = [r for r in rows if api.ollama_model_key(r.name) in wanted]
    head = mine[0] if mine else rows[0]
    return Result.ok(f"{head.name} is loaded ({head.split})"
                     + (f"; {len(rows) - 1} other model(s) too" if len(rows) > 1 else ""), details=details, facts=facts)


# ---- ollama.load (live) ---------------------------------------------------------------------------
@check("ollama.load", "Configured model loads (--live)", "ollama", depends_on=("ollama.models",), timeout=120.0,
       applies=api.ollama_in_scope, docs=DOCS)
async def load_check(ctx: CheckContext) -> Result:
    """Asks Ollama to load the configured model, to prove it fits and starts. Only with `--live`.

    Sends `POST /api/generate` with an empty prompt (which only loads the model) and the `num_ctx`,
    `num_gpu` and `num_thread` options from the config, and waits up to 100 s.

    ok: the model loads; the summary gives the time.
    warn: it did not finish loading within 100 s (a large model from a slow disk), or the server is busy
      (its queue is full). Fix: try again, or pick a smaller tag; raise `OLLAMA_MAX_QUEUE` or
      `OLLAMA_NUM_PARALLEL` where the server runs.
    fail: Ollama runs out of memory loading it. Fix: a smaller tag or 4-bit quantization, a lower
      `options.num_ctx`, `options.num_gpu` 0 to keep it off the GPU.
    fail: the model is not installed (`ollama pull MODEL`), a cloud model needs `ollama signin`, another
      error status, or the request fails on the network. Fix: as the hint says; see the server log.
    skip: not run without `--live`, no Ollama model is configured, `--offline` and Ollama is not on this
      machine, or Ollama is not in use.
    """
    if not ctx.live:
        return Result.skip("loading the model takes memory and time: run with --live to try it")
    wanted = api.configured_models(ctx)
    if not wanted:
        return Result.skip("no Ollama model is configured")
    client = await ctx.service(api.OLLAMA)
    skipped = _offline_skip(ctx, client.host)
    if skipped:
        return skipped
    model = wanted[0][0]
    opts = {k: v for k, v in api.ollama_options(ctx).items() if k in ("num_ctx", "num_gpu", "num_thread")}
    reply = await client.load(model, opts, LOAD_BUDGET)
    facts: dict[str, Any] = {"model": model, "elapsed_ms": round(reply.elapsed * 1000), "status": reply.status}
    if reply.failure == "timeout":
        return Result.warn(f"{model} did not finish loading within {LOAD_BUDGET:g} s",
                           hint="a large model loads slowly from disk; try again, or pick a smaller tag",
                           facts=facts, docs=DOCS)
    if reply.failure:
        return Result.fail(f"the load request failed: {reply.failure} ({reply.message})",
                           hint=f"see the server log: {server_log_hint()}", facts=facts, docs=DOCS)
    if reply.status == 200:
        return Result.ok(f"{model} loads ({reply.elapsed:.1f} s)", facts=facts)
    kind, summary, hint, fixes = explain(reply, model)
    facts["error_kind"] = str(kind)
    if kind is Kind.OVERLOADED:
        return Result.warn(summary, hint=hint, facts=facts, docs=DOCS)
    return Result.fail(summary, hint=hint, fix_commands=fixes, facts=facts, docs=DOCS)
