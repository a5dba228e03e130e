"""Facts about this machine that several checks read, each probed once per run: the memory snapshot
(`MEMORY`), the container runtime perspt runs in (`CONTAINER`), each GPU vendor's report (`GPU_NVIDIA`,
`GPU_AMD`, `GPU_APPLE`, or `gpu_report(ctx, vendor)`), the free GPU memory a local model may use
(`gpu_memory`), the name of a dedicated GPU (`dedicated_gpu`), and whether a local model server is in use
at all (`local_runtime_in_scope`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from perspt_doctor.engine.check_model import CheckContext
from perspt_doctor.engine.services import ServiceKey

if TYPE_CHECKING:
    from perspt_doctor.system.gpu import GpuReport
    from perspt_doctor.system.memory import MemorySnapshot


async def _memory(ctx: CheckContext) -> MemorySnapshot:
    from perspt_doctor.system.memory import snapshot

    return await ctx.run_blocking(snapshot)


async def _container(ctx: CheckContext) -> str | None:
    from perspt_doctor.system.container import detect_container

    return await ctx.run_blocking(detect_container)


def _gpu(vendor: str) -> Callable[[CheckContext], Awaitable[GpuReport]]:
    async def probe(ctx: CheckContext) -> GpuReport:
        from perspt_doctor.system import gpu

        probes = {"nvidia": gpu.probe_nvidia, "amd": gpu.probe_amd, "apple": gpu.probe_apple}
        return await ctx.run_blocking(probes[vendor])

    return probe


MEMORY: ServiceKey[MemorySnapshot] = ServiceKey("system.memory", _memory)
"""RAM and swap, honouring a container's memory limit."""
CONTAINER: ServiceKey[str | None] = ServiceKey("system.container", _container)
"""`docker`, `podman`, `kubernetes`, `wsl`, another runtime's name, or None (not in a container)."""
GPU_NVIDIA: ServiceKey[GpuReport] = ServiceKey("system.gpu.nvidia", _gpu("nvidia"))
GPU_AMD: ServiceKey[GpuReport] = ServiceKey("system.gpu.amd", _gpu("amd"))
GPU_APPLE: ServiceKey[GpuReport] = ServiceKey("system.gpu.apple", _gpu("apple"))
GPU: dict[str, ServiceKey[GpuReport]] = {"nvidia": GPU_NVIDIA, "amd": GPU_AMD, "apple": GPU_APPLE}
"""Each vendor's GPU report (NVML or nvidia-smi; rocm-smi or sysfs; sysctl on macOS), by vendor."""


async def gpu_report(ctx: CheckContext, vendor: str) -> GpuReport:
    return await ctx.service(GPU[vendor])


async def gpu_memory(ctx: CheckContext) -> tuple[int, str | None, int | None]:
    """(free dedicated GPU memory in bytes, the first GPU's name, Apple's GPU working set or None)."""
    reports = [await ctx.service(GPU_NVIDIA), await ctx.service(GPU_AMD)]
    apple = await ctx.service(GPU_APPLE)
    free = sum(r.free_bytes for r in reports)
    name = next((r.devices[0].name for r in reports if r.devices), None)
    working_set = apple.extra.get("gpu_working_set") if apple.devices else None
    if apple.devices and name is None:
        name = apple.devices[0].name
    return free, name, working_set


async def dedicated_gpu(ctx: CheckContext) -> str | None:
    """The name of a local NVIDIA or AMD GPU, if one was found."""
    for vendor in (GPU_NVIDIA, GPU_AMD):
        report = await ctx.service(vendor)
        if report.devices:
            return report.devices[0].name
    return None


def local_runtime_in_scope(ctx: CheckContext) -> bool | str:
    """True when a local model server is in use (Ollama, or an OpenAI-compatible server on this machine);
    else why not, as an `applies=` answer."""
    if ctx.in_scope("ollama"):
        return True
    if ctx.in_scope("openai-compatible"):
        from perspt_doctor.providers.ollama_host import is_loopback_host, parse_ollama_host

        url = str(ctx.settings.base_url_for("openai-compatible").value or "")
        if is_loopback_host(parse_ollama_host(url, api="openai").host):
            return True
    return "no local model server in use (Ollama or a local OpenAI-compatible server)"
