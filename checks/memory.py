"""Memory for local models: free RAM, swap, and whether the configured Ollama model fits.

The fit estimate is the model file size x 1.2 (runtime buffers) plus the KV cache for the context
size, set against available RAM plus free GPU memory. The KV cache per token is
2 (keys, values) x layers x KV heads x head size x 2 bytes (f16), read from `/api/show`; when the
model does not say, it is approximated as 160 KiB x sqrt(model size / 5 GB), which is close for
Llama-style models of 3-8B and errs high for larger ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    PROVIDERS,
    CheckContext,
    Kind,
    Result,
    check,
)

DOCS = "docs/troubleshooting.md#memory"
GIB = 1024**3
KIB = 1024
DEFAULT_NUM_CTX = 4096
OVERHEAD = 1.2
LOW_RAM = 4 * GIB
CRITICAL_RAM = 1 * GIB
SMALL_MACHINE = 16 * GIB
ANSWER_BUDGET = 10.0
"""Seconds for the one-token chat to a loaded model."""
KV_TYPE_FACTOR = {"f16": 1.0, "q8_0": 0.5, "q4_0": 0.25}


def gib(value: float | int) -> str:
    return f"{value / GIB:.1f} GiB"


# ---- memory.ram -----------------------------------------------------------------------------------
@check("memory.ram", "Available RAM", "memory", applies=api.local_runtime_in_scope, docs=DOCS)
async def ram_check(ctx: CheckContext) -> Result:
    """Checks the memory available for a local model server.

    Reads available and total RAM with psutil, honouring a container's cgroup memory limit.

    ok: at least 4 GiB available.
    warn: less than 4 GiB: models above about 3B parameters will not load. Fix: close programs, or use a
      1B-3B model.
    fail: less than 1 GiB: the system is nearly out of memory. Fix: close programs, or run the model on
      another machine.
    skip: no local model server in use (neither Ollama nor an OpenAI-compatible server on this machine).
    """
    mem = await ctx.service(api.MEMORY)
    available, total = mem.effective_available, mem.effective_total
    facts = {"total": mem.total, "available": mem.available, "percent_used": mem.percent,
             "cgroup_limit": mem.cgroup_limit, "effective_available": available}
    details = []
    if mem.cgroup_limit is not None:
        details.append(f"container memory limit {gib(mem.cgroup_limit)} (the machine has {gib(mem.total)}); "
                       "local models must fit under the limit")
    summary = f"{gib(available)} available of {gib(total)}"
    if available < CRITICAL_RAM:
        return Result.fail(f"only {summary}: the system is nearly out of memory", details=details,
                           hint="close programs, or run the model on another machine; a local model will not load",
                           facts=facts, docs=DOCS)
    if available < LOW_RAM:
        return Result.warn(f"only {summary}: local models above about 3B parameters will not load",
                           details=details, hint="close programs, or use a 1B-3B model (e.g. llama3.2:1b)",
                           facts=facts, docs=DOCS)
    return Result.ok(summary, details=details, facts=facts)


# ---- memory.swap ----------------------------------------------------------------------------------
@check("memory.swap", "Swap", "memory", applies=api.local_runtime_in_scope, docs=DOCS)
async def swap_check(ctx: CheckContext) -> Result:
    """Checks swap, which decides whether a model slightly too big slows down or gets killed.

    Reads swap size and use with psutil.

    ok: swap exists and is not heavily used, or there is none on a machine with 16 GiB of RAM or more.
    warn: no swap and less than 16 GiB of RAM: Ollama gets killed instead of slowing down. Fix: add a
      swap file, or use a smaller model.
    warn: more than half the swap and over 1 GiB of it in use: the machine is short of memory.
      Fix: close programs or use a smaller model.
    skip: no local model server in use.
    """
    mem = await ctx.service(api.MEMORY)
    facts = {"swap_total": mem.swap_total, "swap_used": mem.swap_used, "total": mem.total}
    if mem.swap_total == 0:
        if mem.effective_total < SMALL_MACHINE:
            return Result.warn(f"no swap, and only {gib(mem.effective_total)} of RAM: a model slightly too big "
                               "gets Ollama killed instead of just slowing down",
                               hint="add a swap file, or use a smaller model", facts=facts, docs=DOCS)
        return Result.ok(f"no swap (fine with {gib(mem.effective_total)} of RAM)", facts=facts)
    if mem.swap_percent > 50 and mem.swap_used > GIB:
        return Result.warn(f"{gib(mem.swap_used)} of {gib(mem.swap_total)} swap in use: the machine is short of "
                           "memory, and a model that spills into swap answers very slowly",
                           hint="close programs or use a smaller model", facts=facts, docs=DOCS)
    return Result.ok(f"{gib(mem.swap_total)} swap, {mem.swap_percent:.0f}% used", facts=facts)


# ---- memory.fit -----------------------------------------------------------------------------------
def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list) and value and all(isinstance(v, int | float) for v in value):
        return float(max(value))
    return None


def kv_bytes_per_token(model_info: dict[str, Any] | None) -> int | None:
    """f16 KV cache per token of context from `/api/show` model_info; None when a value is missing."""
    if not isinstance(model_info, dict):
        return None
    arch = model_info.get("general.architecture")
    if not isinstance(arch, str):
        return None
    layers = _number(model_info.get(f"{arch}.block_count"))
    width = _number(model_info.get(f"{arch}.embedding_length"))
    heads = _number(model_info.get(f"{arch}.attention.head_count"))
    kv_heads = _number(model_info.get(f"{arch}.attention.head_count_kv")) or heads
    if not layers or not kv_heads:
        return None
    key = _number(model_info.get(f"{arch}.attention.key_length"))
    if key is None:
        if not width or not heads:
            return None
        key = width / heads
    value = _number(model_info.get(f"{arch}.attention.value_length")) or key
    return int(layers * kv_heads * (key + value) * 2)


def layer_count(model_info: dict[str, Any] | None) -> int | None:
    """The model's layer (block) count from `/api/show` model_info; None when it does not say."""
    if not isinstance(model_info, dict) or not isinstance(model_info.get("general.architecture"), str):
        return None
    layers = _number(model_info.get(f"{model_info['general.architecture']}.block_count"))
    return int(layers) if layers else None


def gpu_layers(ctx: CheckContext) -> int | None:
    """`options.num_gpu` (model layers offloaded to the GPU; 0 = all on the CPU), None when unset or invalid."""
    value = api.ollama_options(ctx).get("num_gpu")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def gpu_share(num_gpu: int | None, layers: int | None) -> float | None:
    """The part of the model on the GPU that `options.num_gpu` asks for; None when the server decides."""
    if num_gpu is None:
        return None
    if num_gpu == 0:
        return 0.0
    if not layers:
        return None
    return min(1.0, num_gpu / layers)


def approximate_kv_per_token(model_size: int) -> int:
    return int(160 * KIB * math.sqrt(max(model_size, 1) / 5e9))


@dataclass(frozen=True)
class Estimate:
    model_bytes: int
    kv_per_token: int
    kv_method: str
    num_ctx: int
    num_ctx_source: str
    parallel: int
    kv_factor: float

    def kv_bytes(self, num_ctx: int | None = None) -> int:
        return int(self.kv_per_token * (num_ctx or self.num_ctx) * self.parallel * self.kv_factor)

    def need(self, num_ctx: int | None = None) -> int:
        return int(self.model_bytes * OVERHEAD) + self.kv_bytes(num_ctx)


def context_size(ctx: CheckContext, local: bool) -> tuple[int, str]:
    value = api.ollama_options(ctx).get("num_ctx")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value, "options.num_ctx"
    env = ctx.env.get("OLLAMA_CONTEXT_LENGTH", "").strip()
    if local and env.isdigit() and int(env) > 0:
        return int(env), "OLLAMA_CONTEXT_LENGTH"
    return DEFAULT_NUM_CTX, f"assumed ({DEFAULT_NUM_CTX}, Ollama's usual default; newer servers may pick more)"


def _env_int(ctx: CheckContext, name: str, default: int) -> int:
    raw = ctx.env.get(name, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def estimate(ctx: CheckContext, entry: dict[str, Any], show: dict[str, Any] | None, local: bool) -> Estimate:
    size = int(entry.get("size") or 0)
    per_token = kv_bytes_per_token((show or {}).get("model_info"))
    method = "model_info"
    if per_token is None:
        per_token, method = approximate_kv_per_token(size), "approximate"
    num_ctx, source = context_size(ctx, local)
    kv_type = ctx.env.get("OLLAMA_KV_CACHE_TYPE", "f16").strip().lower() if local else "f16"
    return Estimate(size, per_token, method, num_ctx, source, _env_int(ctx, "OLLAMA_NUM_PARALLEL", 1) if local else 1,
                    KV_TYPE_FACTOR.get(kv_type, 1.0))


def _advice(est: Estimate, entry: dict[str, Any], model: str, budget: int, others: list[dict[str, Any]]) -> list[str]:
    lines = []
    raw = entry.get("details")
    details: dict[str, Any] = raw if isinstance(raw, dict) else {}
    quant = str(details.get("quantization_level") or "")
    if est.num_ctx > 2048:
        saved = est.need() - est.need(2048)
        lines.append(f"options.num_ctx 2048 instead of {est.num_ctx} saves about {gib(saved)}")
    if quant and not quant.upper().startswith(("Q4", "Q3", "Q2", "IQ")):
        base = model.split(":")[0]
        lines.append(f"a 4-bit quantization of the same model (a {base}:*-q4_K_M tag) is about "
                     f"{'half' if quant.upper().startswith('Q8') else 'a quarter of'} the size of this {quant} one")
    fitting = [m for m in others if int(m.get("size") or 0) * OVERHEAD + est.kv_bytes() <= budget]
    if fitting:
        names = ", ".join(str(m.get("name")) for m in fitting[:3])
        lines.append(f"installed models that fit: {names}")
    elif details.get("parameter_size"):
        lines.append(f"a smaller parameter size than {details.get('parameter_size')} (e.g. a 1B-3B tag)")
    return lines


@check("memory.fit", "Configured Ollama model fits in memory", "memory", depends_on=("ollama.models",),
       timeout=20.0, applies=api.ollama_in_scope, docs=DOCS)
async def fit_check(ctx: CheckContext) -> Result:
    """Estimates whether the configured Ollama model fits in this machine's free memory, and how much of it
    will run on the CPU.

    The need is the model file size x 1.2 plus the KV cache for the context size (`options.num_ctx`,
    else `OLLAMA_CONTEXT_LENGTH`, else 4096), computed from the model's layers and heads as
    `/api/show` reports them (approximated from the file size when it does not), scaled by
    `OLLAMA_NUM_PARALLEL` and `OLLAMA_KV_CACHE_TYPE`. It is set against available RAM plus free GPU
    memory (NVIDIA, AMD), and against the GPU working set on Apple Silicon. With `options.num_gpu` set
    (model layers on the GPU; 0: all on the CPU) the need is split by that share of the model's layers,
    and the CPU part is set against the RAM alone.

    ok: the model is already loaded and a one-token chat to it does not run out of memory; or it fits in free GPU memory; or it fits in RAM or unified memory.
    warn: it needs more than the free GPU memory: part runs on the CPU, much slower. Fix: a smaller tag or
      quantization, or a lower `options.num_ctx`.
    warn: on Apple Silicon it needs more than macOS lets the GPU use. Fix: a smaller model, or raise the
      limit with `sudo sysctl iogpu.wired_limit_mb=N` (until reboot).
    ok: with `options.num_gpu`, the CPU part fits in RAM and the GPU part in free GPU memory.
    warn: with `options.num_gpu`, the GPU part exceeds the free GPU memory. Fix: lower or remove it.
    fail: with `options.num_gpu` (0: CPU only), the CPU part needs more than the available RAM. Fix: raise
      or remove `options.num_gpu`, a smaller model, or a lower `options.num_ctx`.
    fail: the model is loaded (or, with `--live`, it fits by the estimate), but a one-token chat
      (`POST /api/chat`, `num_predict` 1; it loads the model) runs out of memory: the model, its KV cache
      and compute buffers do not fit. Fix: a lower `options.num_ctx`, a smaller model or quantization,
      or close other programs.
    fail: it needs more than RAM and GPU memory together. Fix: a smaller model or quantization, a lower
      `options.num_ctx` (the details say how much each saves), or installed models that fit.
    skip: Ollama runs on another machine; the model is not installed (see `ollama.models`); it is a
      cloud model; or Ollama is not in use.
    """
    result = await _fit(ctx)
    model = result.facts.get("model")
    if ctx.live and result.status in ("ok", "warn") and model and "loaded_size" not in result.facts:
        failed = await _answers(ctx, str(model), "fits by the estimate", result.facts)
        if failed is not None:
            return failed
    return result


async def _fit(ctx: CheckContext) -> Result:
    host = await api.ollama_host(ctx)
    if not host.is_loopback:
        return Result.skip(f"Ollama runs on {host.host}, not here: this machine's memory does not limit it")
    wanted = api.configured_models(ctx)
    model = wanted[0][0] if wanted else PROVIDERS["ollama"].default_model
    models = api.installed_models(await ctx.service(api.OLLAMA_TAGS))
    entry = api.find_model(models, model)
    if entry is None:
        return Result.skip(f"{model} is not installed, so its size is unknown (see ollama.models)")
    if entry.get("remote_host") or entry.get("remote_model"):
        return Result.skip(f"{model} is a cloud model: it runs on {entry.get('remote_host') or 'ollama.com'}")
    for loaded in api.loaded_models(await ctx.service(api.OLLAMA_PS)):
        if api.ollama_model_key(loaded.name) == api.ollama_model_key(model):
            held: dict[str, Any] = {"model": model, "loaded_size": loaded.size, "split": loaded.split}
            return await _loaded_answers(ctx, model, f"({gib(loaded.size)}, {loaded.split})", held)
    show = await (await ctx.service(api.OLLAMA)).show(model)
    est = estimate(ctx, entry, show.data if isinstance(show.data, dict) else None, local=True)
    mem = await ctx.service(api.MEMORY)
    ram = mem.effective_available
    vram, device, working_set = await api.gpu_memory(ctx)
    need = est.need()
    facts: dict[str, Any] = {
        "model": model, "need": need, "model_bytes": est.model_bytes, "kv_bytes": est.kv_bytes(),
        "kv_per_token": est.kv_per_token, "kv_method": est.kv_method, "num_ctx": est.num_ctx,
        "num_ctx_source": est.num_ctx_source, "available_ram": ram, "free_vram": vram, "gpu": device,
        "apple_gpu_working_set": working_set}
    how = (f"{gib(est.model_bytes)} model x {OVERHEAD} + {gib(est.kv_bytes())} KV cache for "
           f"{est.num_ctx} tokens ({est.num_ctx_source}"
           + (", KV size approximated" if est.kv_method == "approximate" else "") + ")")
    others = [m for m in models if m is not entry and int(m.get("size") or 0) < est.model_bytes]
    facts["num_gpu"] = gpu_layers(ctx)
    share = gpu_share(facts["num_gpu"], layer_count((show.data or {}).get("model_info")
                                                    if isinstance(show.data, dict) else None))
    if share is not None:
        return _fit_with_num_gpu(est, entry, model, share, ram, vram, device, how, others, facts)
    if need > ram + vram:
        advice = _advice(est, entry, model, ram + vram, others)
        return Result.fail(f"{model} needs about {gib(need)} but only {gib(ram + vram)} is free "
                           f"({gib(ram)} RAM" + (f" + {gib(vram)} GPU" if vram else "") + ")",
                           details=[how, *advice], hint="use a smaller model or quantization, or lower "
                           "options.num_ctx; " + (advice[0] if advice else "close other programs"),
                           facts=facts, docs=DOCS)
    if vram and need > vram:
        on_gpu = max(0, min(100, round(100 * vram / need)))
        advice = _advice(est, entry, model, vram, others)
        return Result.warn(f"{model} needs about {gib(need)}, more than the {gib(vram)} free on the {device}: "
                           f"about {100 - on_gpu}% will run on the CPU, which is much slower",
                           details=[how, *advice, "options.num_gpu sets how many layers go to the GPU (0: none)"],
                           hint="for full speed pick a smaller tag or quantization, or lower options.num_ctx",
                           facts=facts, docs=DOCS)
    if working_set and need > working_set:
        return Result.warn(f"{model} needs about {gib(need)}, more than the {gib(working_set)} macOS lets the GPU "
                           "use: part of it runs on the CPU",
                           details=[how], hint="use a smaller model, or raise the limit with "
                           f"`sudo sysctl iogpu.wired_limit_mb={int(need / 1024**2 * 1.1)}` (until reboot)",
                           facts=facts, docs=DOCS)
    if vram:
        return Result.ok(f"{model} fits in GPU memory: needs about {gib(need)}, {gib(vram)} free on the {device}",
                         details=[how], facts=facts)
    where = "unified memory" if working_set else "RAM (no GPU found: it runs on the CPU)"
    return Result.ok(f"{model} fits in {where}: needs about {gib(need)}, {gib(ram)} available",
                     details=[how], facts=facts)


async def _loaded_answers(ctx: CheckContext, model: str, size: str, facts: dict[str, Any]) -> Result:
    """A loaded model still allocates its KV cache and compute buffers on the first request: a one-token chat
    (cheap, the model is in memory) shows whether that runs out of memory, as every chat would."""
    failed = await _answers(ctx, model, f"is loaded {size}", facts)
    return failed or Result.ok(f"{model} is already loaded {size}", facts=facts)


async def _answers(ctx: CheckContext, model: str, state: str, facts: dict[str, Any]) -> Result | None:
    """A failure when one chat turn of one token runs out of memory, as the client's chat does; else None."""
    opts = {k: v for k, v in api.ollama_options(ctx).items() if k in ("num_ctx", "num_gpu", "num_thread")}
    reply = await (await ctx.service(api.OLLAMA)).answer_one(model, opts, ANSWER_BUDGET)
    cause = reply.cause
    if cause is None or cause.kind is not Kind.OUT_OF_MEMORY:
        return None
    facts.update({"cause": cause.as_dict(), "error_kind": str(cause.kind), "status": reply.status})
    said = reply.error_text or cause.message
    return Result.fail(f"{model} {state}, but a one-token chat runs out of memory: {said}",
                       hint="the model and its context's KV cache do not fit: lower options.num_ctx, use a smaller "
                            "tag or 4-bit quantization, or close other programs",
                       facts=facts, docs=DOCS)


def _fit_with_num_gpu(est: Estimate, entry: dict[str, Any], model: str, share: float, ram: int, vram: int,
                      device: str | None, how: str, others: list[dict[str, Any]], facts: dict[str, Any]) -> Result:
    """The verdict when `options.num_gpu` fixes how much of the model goes to the GPU (0: none)."""
    need = est.need()
    on_gpu = int(need * share) if vram else 0
    on_cpu = need - on_gpu
    facts.update({"num_gpu_share": share if vram else 0.0, "need_ram": on_cpu, "need_vram": on_gpu})
    split = ("options.num_gpu is 0: all of it runs on the CPU" if share == 0 or not vram
             else f"options.num_gpu puts about {round(100 * share)}% of it on the {device}")
    if on_cpu > ram:
        advice = _advice(est, entry, model, ram, others)
        return Result.fail(f"{model} needs about {gib(on_cpu)} of RAM ({split}) but only {gib(ram)} is available",
                           details=[how, *advice], hint="raise options.num_gpu (or remove it) to use the GPU, "
                           "use a smaller model or quantization, or lower options.num_ctx",
                           facts=facts, docs=DOCS)
    if on_gpu > vram:
        return Result.warn(f"{model}: {split}, about {gib(on_gpu)}, but only {gib(vram)} is free there; "
                           "Ollama may fail to load it", details=[how],
                           hint="lower options.num_gpu, or remove it and let the server decide",
                           facts=facts, docs=DOCS)
    return Result.ok(f"{model} fits: {split}; needs about {gib(on_cpu)} of RAM ({gib(ram)} available)"
                     + (f" and {gib(on_gpu)} on the GPU ({gib(vram)} free)" if on_gpu else ""),
                     details=[how], facts=facts)
