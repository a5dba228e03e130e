"""memory.ram, memory.swap and memory.fit: every verdict, plus the KV-cache arithmetic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil
import pytest
from perspt_doctor.checks import memory as mc

from perspt_doctor.api import GPU_APPLE, GPU_NVIDIA, MEMORY, ServiceKey
from perspt_doctor.system import gpu
from perspt_doctor.system.memory import MemorySnapshot, cgroup_memory, snapshot
from tests.fakes.ollama_fake import FakeModel, ollama_fake
from tests.runtime.conftest import FIXTURES, make_ctx, make_settings, meta, run
from tests.runtime.test_ollama_checks import NO_GPU, h100

GIB = 1024**3


def mem(available: float, total: float = 32, swap_total: float = 0, swap_used: float = 0,
        limit: float | None = None) -> MemorySnapshot:
    return MemorySnapshot(total=int(total * GIB), available=int(available * GIB), percent=50.0,
                          swap_total=int(swap_total * GIB), swap_used=int(swap_used * GIB),
                          cgroup_limit=int(limit * GIB) if limit else None, cgroup_used=0 if limit else None)


def ctx_with(tmp_path: Path, memory: MemorySnapshot, config: dict[str, Any] | None = None,
             gpus: dict[ServiceKey[Any], Any] | None = None, env: dict[str, str] | None = None) -> Any:
    services = {MEMORY: memory, **(gpus if gpus is not None else NO_GPU),
                GPU_APPLE: gpu.GpuReport("apple", "none", absent="not macOS (Linux)")}
    return make_ctx(make_settings(tmp_path, {"provider": "ollama", **(config or {})}, env), services=services)


# ---- the probes themselves ----------------------------------------------------------------------
def test_snapshot_matches_psutil() -> None:
    taken = snapshot()
    assert abs(taken.total - psutil.virtual_memory().total) < GIB
    assert 0 < taken.effective_available <= taken.total


def test_cgroup_limits(tmp_path: Path) -> None:
    (tmp_path / "memory.max").write_text("4294967296\n")
    (tmp_path / "memory.current").write_text("1073741824\n")
    assert cgroup_memory(tmp_path) == (4 * GIB, GIB)
    (tmp_path / "memory.max").write_text("max\n")
    assert cgroup_memory(tmp_path) == (None, None)
    v1 = tmp_path / "v1"
    (v1 / "memory").mkdir(parents=True)
    (v1 / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert cgroup_memory(v1) == (None, None)


def test_fixture_machines_read_as_plenty() -> None:
    import json

    data = json.loads((FIXTURES / "nvidia-h200" / "nvml-psutil.json").read_text())["psutil"]
    taken = MemorySnapshot(total=data["total"], available=data["available"], percent=0.4, swap_total=0, swap_used=0)
    assert taken.effective_available == data["available"]


# ---- memory.ram ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("snap", "status", "summary", "hint"), [
    (mem(20), "ok", "20.0 GiB available of 32.0 GiB", None),
    (mem(3), "warn", "above about 3B parameters", "close programs, or use a 1B-3B model (e.g. llama3.2:1b)"),
    (mem(0.5), "fail", "nearly out of memory", "close programs, or run the model on another machine"),
    (mem(20, limit=2), "warn", "2.0 GiB available of 2.0 GiB", "close programs"),
])
def test_ram(tmp_path: Path, snap: MemorySnapshot, status: str, summary: str, hint: str | None) -> None:
    result = run(mc.ram_check, ctx_with(tmp_path, snap))
    assert meta(mc.ram_check).category == "memory"
    assert result.status == status and summary in result.summary
    assert result.hint is None if hint is None else (result.hint or "").startswith(hint)


def test_ram_on_this_machine(tmp_path: Path) -> None:
    result = run(mc.ram_check, make_ctx(make_settings(tmp_path, {"provider": "ollama"})))
    assert result.status in ("ok", "warn", "fail") and "available of" in result.summary


def test_container_limit_is_explained(tmp_path: Path) -> None:
    result = run(mc.ram_check, ctx_with(tmp_path, mem(20, limit=8)))
    assert result.status == "ok" and any("container memory limit 8.0 GiB" in d for d in result.details)


def test_memory_checks_need_a_local_runtime(tmp_path: Path) -> None:
    cloud = make_ctx(make_settings(tmp_path, {"provider": "anthropic"}))
    assert "no local model server" in str(meta(mc.ram_check).applies(cloud))  # type: ignore[misc]
    local = make_ctx(make_settings(tmp_path, {"provider": "openai-compatible", "base_url": "http://127.0.0.1:8000/v1"}))
    assert meta(mc.swap_check).applies(local) is True  # type: ignore[misc]


# ---- memory.swap --------------------------------------------------------------------------------
@pytest.mark.parametrize(("snap", "status", "summary", "hint"), [
    (mem(20, total=32), "ok", "no swap (fine with 32.0 GiB of RAM)", None),
    (mem(6, total=8), "warn", "no swap, and only 8.0 GiB of RAM", "add a swap file, or use a smaller model"),
    (mem(6, total=8, swap_total=4, swap_used=3), "warn", "3.0 GiB of 4.0 GiB swap in use",
     "close programs or use a smaller model"),
    (mem(6, total=8, swap_total=4, swap_used=0.5), "ok", "4.0 GiB swap, 12% used", None),
])
def test_swap(tmp_path: Path, snap: MemorySnapshot, status: str, summary: str, hint: str | None) -> None:
    result = run(mc.swap_check, ctx_with(tmp_path, snap))
    assert meta(mc.swap_check).category == "memory"
    assert result.status == status and summary in result.summary and result.hint == hint


# ---- KV cache arithmetic ------------------------------------------------------------------------
def test_kv_per_token_from_model_info() -> None:
    llama8b = FakeModel("llama3.1:8b").info()
    assert mc.kv_bytes_per_token(llama8b) == 128 * 1024  # 32 layers x 8 KV heads x 128 x 2 x 2 bytes
    assert mc.kv_bytes_per_token({"general.architecture": "gemma3", "gemma3.block_count": 34,
                                  "gemma3.attention.head_count_kv": 8, "gemma3.attention.key_length": 256,
                                  "gemma3.attention.value_length": 256}) == 34 * 8 * 512 * 2
    assert mc.kv_bytes_per_token({"general.architecture": "x"}) is None
    assert mc.approximate_kv_per_token(5_000_000_000) == 160 * 1024


# ---- memory.fit ---------------------------------------------------------------------------------
LLAMA8B = FakeModel("llama3.1:8b", size=4_920_753_328, parameter_size="8.0B")


def test_fit_in_gpu(tmp_path: Path) -> None:
    with ollama_fake(models=[LLAMA8B]) as fake:
        ctx = ctx_with(tmp_path, mem(20), {"model": "llama3.1:8b"}, gpus=h100(), env={"OLLAMA_HOST": fake.host})
        result = run(mc.fit_check, ctx)
    assert meta(mc.fit_check).category == "memory" and meta(mc.fit_check).depends_on == ("ollama.models",)
    assert result.status == "ok" and result.hint is None
    assert "fits in GPU memory: needs about 6.0 GiB, 79.2 GiB free on the NVIDIA H100 80GB HBM3" in result.summary
    assert result.facts["kv_bytes"] == 512 * 1024**2 and result.facts["kv_method"] == "model_info"


def test_fit_in_ram_cpu_only(tmp_path: Path) -> None:
    with ollama_fake(models=[LLAMA8B]) as fake:
        result = run(mc.fit_check, ctx_with(tmp_path, mem(20), {"model": "llama3.1:8b"},
                                            env={"OLLAMA_HOST": fake.host}))
    assert result.status == "ok" and "fits in RAM (no GPU found" in result.summary and result.hint is None


def test_fit_partly_on_gpu_warns(tmp_path: Path) -> None:
    small_gpu = {**NO_GPU, GPU_NVIDIA: gpu.GpuReport("nvidia", "nvml", (
        gpu.GpuDevice("nvidia", 0, "GeForce GTX 1650", 4 * GIB, 0, 4 * GIB),))}
    with ollama_fake(models=[LLAMA8B]) as fake:
        result = run(mc.fit_check, ctx_with(tmp_path, mem(20), {"model": "llama3.1:8b"}, gpus=small_gpu,
                                            env={"OLLAMA_HOST": fake.host}))
    assert result.status == "warn" and "more than the 4.0 GiB free on the GeForce GTX 1650" in result.summary
    assert "33% will run on the CPU" in result.summary
    assert result.hint == "for full speed pick a smaller tag or quantization, or lower options.num_ctx"
    assert any("options.num_gpu" in d for d in result.details)


def test_fit_fails_with_concrete_advice(tmp_path: Path) -> None:
    big = FakeModel("llama3.3:70b", size=42_520_412_561, parameter_size="70.6B", quantization_level="Q8_0",
                    model_info={"general.architecture": "llama", "llama.block_count": 80,
                                "llama.embedding_length": 8192, "llama.attention.head_count": 64,
                                "llama.attention.head_count_kv": 8})
    with ollama_fake(models=[big, "llama3.2"]) as fake:
        ctx = ctx_with(tmp_path, mem(16), {"model": "llama3.3:70b", "options": {"num_ctx": 8192}},
                       env={"OLLAMA_HOST": fake.host})
        result = run(mc.fit_check, ctx)
    assert result.status == "fail" and "llama3.3:70b needs about 50.0 GiB but only 16.0 GiB is free" in result.summary
    assert result.hint and result.hint.startswith("use a smaller model or quantization, or lower options.num_ctx")
    assert "options.num_ctx 2048 instead of 8192 saves about 1.9 GiB" in result.hint
    assert any("q4_K_M" in d and "half" in d for d in result.details)
    assert any("installed models that fit: llama3.2:latest" in d for d in result.details)
    assert result.facts["num_ctx_source"] == "options.num_ctx"


def test_fit_kv_approximated_without_model_info(tmp_path: Path) -> None:
    odd = FakeModel("odd:latest", size=5_000_000_000, model_info={"general.architecture": "mystery"})
    with ollama_fake(models=[odd]) as fake:
        result = run(mc.fit_check, ctx_with(tmp_path, mem(40), {"model": "odd"}, env={"OLLAMA_HOST": fake.host}))
    assert result.status == "ok" and result.facts["kv_method"] == "approximate"
    assert result.facts["kv_bytes"] == 160 * 1024 * 4096 and "KV size approximated" in result.details[0]


def test_fit_apple_working_set_warns(tmp_path: Path) -> None:
    apple = gpu.GpuReport("apple", "sysctl", (gpu.GpuDevice("apple", 0, "Apple M1", total=int(5.3 * GIB)),),
                          extra={"gpu_working_set": int(5.3 * GIB)})
    with ollama_fake(models=[LLAMA8B]) as fake:
        ctx = ctx_with(tmp_path, mem(7, total=8), {"model": "llama3.1:8b"}, env={"OLLAMA_HOST": fake.host})
        ctx.stash[GPU_APPLE] = apple
        result = run(mc.fit_check, ctx)
    assert result.status == "warn" and "more than the 5.3 GiB macOS lets the GPU use" in result.summary
    assert result.hint and "sudo sysctl iogpu.wired_limit_mb=" in result.hint


def test_fit_already_loaded(tmp_path: Path) -> None:
    with ollama_fake(models=[LLAMA8B]) as fake:
        fake.load("llama3.1:8b")
        result = run(mc.fit_check, ctx_with(tmp_path, mem(1), {"model": "llama3.1:8b"},
                                            env={"OLLAMA_HOST": fake.host}))
    assert result.status == "ok" and "already loaded" in result.summary and result.hint is None


def test_fit_already_loaded_but_a_chat_runs_out_of_memory(tmp_path: Path) -> None:
    with ollama_fake(models=[LLAMA8B]) as fake:
        fake.load("llama3.1:8b")
        fake.out_of_memory(times=1)
        result = run(mc.fit_check, ctx_with(tmp_path, mem(64), {"model": "llama3.1:8b"},
                                            env={"OLLAMA_HOST": fake.host}))
        asked = [r for r in fake.requests if r.path == "/api/chat"]
    assert result.status == "fail" and "is loaded" in result.summary and "runs out of memory" in result.summary
    assert result.facts["cause"]["kind"] == "out_of_memory" and result.hint and "num_ctx" in result.hint
    assert len(asked) == 1 and asked[0].body["options"]["num_predict"] == 1


@pytest.mark.parametrize("live", [False, True])
def test_fit_by_the_estimate_asks_for_one_token_only_with_live(tmp_path: Path, live: bool) -> None:
    with ollama_fake(models=[LLAMA8B]) as fake:
        fake.out_of_memory(times=1)
        settings = make_settings(tmp_path, {"provider": "ollama", "model": "llama3.1:8b"}, {"OLLAMA_HOST": fake.host})
        ctx = make_ctx(settings, live=live, services={MEMORY: mem(64), **NO_GPU,
                                                      GPU_APPLE: gpu.GpuReport("apple", "none", absent="not macOS")})
        result = run(mc.fit_check, ctx)
        asked = [r for r in fake.requests if r.path == "/api/chat"]
    assert len(asked) == (1 if live else 0)
    assert result.status == ("fail" if live else "ok"), result.summary
    assert ("runs out of memory" in result.summary) is live


@pytest.mark.parametrize(("models", "model", "host", "summary"), [
    (["llama3.2"], "phi3", None, "phi3 is not installed"),
    ([FakeModel("gpt-oss:120b-cloud", size=384, remote_host="https://ollama.com:443")], "gpt-oss:120b-cloud", None,
     "cloud model: it runs on https://ollama.com:443"),
    ([], "llama3.2", "gpu-box.example:11434", "Ollama runs on gpu-box.example, not here"),
])
def test_fit_skips(tmp_path: Path, models: list[Any], model: str, host: str | None, summary: str) -> None:
    with ollama_fake(models=models) as fake:
        ctx = ctx_with(tmp_path, mem(20), {"model": model}, env={"OLLAMA_HOST": host or fake.host})
        result = run(mc.fit_check, ctx)
    assert result.status == "skip" and summary in result.summary and result.hint is None


def test_fit_in_unified_memory(tmp_path: Path) -> None:
    apple = gpu.GpuReport("apple", "sysctl", (gpu.GpuDevice("apple", 0, "Apple M3 Max", total=48 * GIB),),
                          extra={"gpu_working_set": 48 * GIB})
    with ollama_fake(models=[LLAMA8B]) as fake:
        ctx = ctx_with(tmp_path, mem(50, total=64), {"model": "llama3.1:8b"}, env={"OLLAMA_HOST": fake.host})
        ctx.stash[GPU_APPLE] = apple
        result = run(mc.fit_check, ctx)
    assert result.status == "ok" and "fits in unified memory" in result.summary and result.hint is None


# ---- memory.fit with options.num_gpu (issue 13 item 5) ------------------------------------------
def h200() -> dict[ServiceKey[Any], Any]:
    rows = gpu.parse_query_csv((FIXTURES / "nvidia-h200" / "nvidia-smi-query.csv").read_text())
    return {**NO_GPU, GPU_NVIDIA: gpu.GpuReport("nvidia", "nvidia-smi", tuple(gpu.devices_from_query(rows)))}


BIG49 = FakeModel("llama3.3:70b", size=int(49 * GIB), parameter_size="70.6B", quantization_level="Q5_K_M",
                  model_info={"general.architecture": "llama", "llama.block_count": 80,
                              "llama.embedding_length": 8192, "llama.attention.head_count": 64,
                              "llama.attention.head_count_kv": 8})


def fit_with(tmp_path: Path, options: dict[str, Any] | None, ram: float = 22.7) -> Any:
    with ollama_fake(models=[BIG49]) as fake:
        config: dict[str, Any] = {"model": "llama3.3:70b", **({"options": options} if options else {})}
        return run(mc.fit_check, ctx_with(tmp_path, mem(ram, total=64), config, gpus=h200(),
                                          env={"OLLAMA_HOST": fake.host}))


def test_fit_num_gpu_zero_counts_only_ram(tmp_path: Path) -> None:
    """num_gpu 0 keeps the whole model on the CPU: a GPU with room does not make a 49 GiB model fit."""
    result = fit_with(tmp_path, {"num_gpu": 0})
    assert result.status == "fail", result.summary
    assert "fits in GPU memory" not in result.summary
    assert "options.num_gpu is 0: all of it runs on the CPU" in result.summary and "22.7 GiB" in result.summary
    assert result.facts["num_gpu"] == 0 and result.facts["need_vram"] == 0
    assert result.hint and "options.num_gpu" in result.hint


def test_fit_without_num_gpu_still_fits_the_gpu(tmp_path: Path) -> None:
    result = fit_with(tmp_path, None)
    assert result.status == "ok" and "fits in GPU memory" in result.summary and "NVIDIA H200" in result.summary


def test_fit_partial_num_gpu_splits(tmp_path: Path) -> None:
    """40 of 80 layers on the GPU: half the need stays in RAM, which 22.7 GiB cannot hold; 70 of 80 can."""
    half = fit_with(tmp_path, {"num_gpu": 40})
    assert half.status == "fail" and "about 50% of it on the NVIDIA H200" in half.summary
    most = fit_with(tmp_path, {"num_gpu": 70})
    assert most.status == "ok" and "about 88% of it on the NVIDIA H200" in most.summary
    assert 0 < most.facts["need_ram"] < 22.7 * GIB and most.facts["need_vram"] > 0


def test_fit_num_ctx_grows_the_need(tmp_path: Path) -> None:
    """num_ctx is in the estimate: a long context alone tips a CPU-only model over the RAM."""
    small = fit_with(tmp_path, {"num_gpu": 0, "num_ctx": 2048}, ram=62)
    large = fit_with(tmp_path, {"num_gpu": 0, "num_ctx": 131072}, ram=62)
    assert small.status == "ok" and large.status == "fail"
    assert large.facts["kv_bytes"] == 64 * small.facts["kv_bytes"]
