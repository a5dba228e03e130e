"""GPUs for local models: NVIDIA (NVML or nvidia-smi), AMD (rocm-smi or sysfs), Apple Silicon."""

from __future__ import annotations

import platform
import re
from pathlib import Path
from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Result,
    check,
)

DOCS = "docs/troubleshooting.md#gpu"
GIB = 1024**3
MIN_DRIVER = 531
MIN_COMPUTE = (5, 0)
KFD = Path("/dev/kfd")


def _report_facts(report: api.GpuReport) -> dict[str, Any]:
    return {"source": report.source, "driver": report.driver_version, "cuda": report.cuda_version,
            "devices": [{"index": d.index, "name": d.name, "total": d.total, "free": d.available,
                         "compute_capability": d.compute_capability} for d in report.devices],
            **report.extra}


def _describe(device: api.GpuDevice) -> str:
    memory = ""
    if device.total:
        free = device.available
        memory = f": {free / GIB:.1f} GiB free of {device.total / GIB:.1f} GiB" if free is not None else \
            f": {device.total / GIB:.1f} GiB"
    return f"GPU {device.index} {device.name}{memory}"


def not_macos(ctx: CheckContext) -> bool | str:
    scope = api.local_runtime_in_scope(ctx)
    if scope is not True:
        return scope
    return "macOS has no NVIDIA or AMD GPU support for local models" if platform.system() == "Darwin" else True


def macos_only(ctx: CheckContext) -> bool | str:
    scope = api.local_runtime_in_scope(ctx)
    if scope is not True:
        return scope
    return True if platform.system() == "Darwin" else f"not macOS ({platform.system()})"


def _problem(report: api.GpuReport, name: str) -> Result:
    facts = _report_facts(report)
    facts["problem_kind"] = report.problem_kind
    if report.problem_kind == "timeout":
        return Result.fail(f"{name} hung: {report.problem}", details=list(report.notes),
                           hint="the GPU driver may be wedged: look for Xid or amdgpu errors in `sudo dmesg`; "
                           "a reboot usually clears it", facts=facts, docs=DOCS)
    if report.problem_kind == "permission":
        return Result.fail(f"{name} was refused access: {report.problem}", details=list(report.notes),
                           hint="check the permissions of /dev/nvidia* (or /dev/kfd, /dev/dri for AMD)",
                           facts=facts, docs=DOCS)
    if report.vendor == "nvidia":
        hint = ("the NVIDIA driver is not loaded or does not match its library: reboot after a driver update, "
                "or reload it (`sudo modprobe nvidia`); after a suspend, `sudo rmmod nvidia_uvm && "
                "sudo modprobe nvidia_uvm`")
    else:
        hint = "the amdgpu/ROCm driver is not working: check `sudo dmesg | grep amdgpu` and the ROCm install"
    return Result.fail(f"the GPU driver does not answer: {report.problem}", details=list(report.notes), hint=hint,
                       facts=facts, docs=DOCS)


def nvidia_verdict(report: api.GpuReport, env: dict[str, str] | Any) -> Result:
    if report.problem:
        return _problem(report, "nvidia-smi" if report.source == "nvidia-smi" else "NVML")
    if not report.devices:
        return Result.skip(f"no NVIDIA GPU: {report.absent or 'none found'}", facts=_report_facts(report))
    facts = _report_facts(report)
    details = [_describe(d) for d in report.devices] + list(report.notes)
    versions = ", ".join(p for p in (f"driver {report.driver_version}" if report.driver_version else "",
                                     f"CUDA {report.cuda_version}" if report.cuda_version else "") if p)
    summary = f"{len(report.devices)} NVIDIA GPU{'s' if len(report.devices) > 1 else ''} via {report.source}: " \
        + "; ".join(_describe(d) for d in report.devices[:2]) + (f" ({versions})" if versions else "")
    problems: list[tuple[str, str]] = []
    old = [d for d in report.devices if d.compute_capability and _version(d.compute_capability) < MIN_COMPUTE]
    if old:
        problems.append((f"{old[0].name} has compute capability {old[0].compute_capability}; Ollama needs 5.0 or "
                         "newer, so it runs models on the CPU", "a newer GPU is needed for GPU inference"))
    major = _version(report.driver_version or "")[0] if report.driver_version else None
    if major is not None and major < MIN_DRIVER:
        problems.append((f"NVIDIA driver {report.driver_version} is older than {MIN_DRIVER}, the oldest Ollama "
                         "supports", "update the NVIDIA driver"))
    hidden = env.get("CUDA_VISIBLE_DEVICES")
    if hidden is not None and hidden.strip() in ("", "-1", "none", "NoDevFiles"):
        problems.append((f"CUDA_VISIBLE_DEVICES={hidden!r} hides every GPU from programs started from this shell",
                         "unset CUDA_VISIBLE_DEVICES where `ollama serve` is started"))
    full = [d for d in report.devices if d.total and d.available is not None and d.available < 0.1 * d.total]
    if full:
        problems.append((f"{full[0].name} has only {(full[0].available or 0) / GIB:.1f} GiB free: other programs hold "
                         "its memory, so models spill to the CPU", "stop what holds the GPU memory (see details)"))
    if problems:
        return Result.warn(problems[0][0], details=details + [p[0] for p in problems[1:]], hint=problems[0][1],
                           facts=facts, docs=DOCS)
    return Result.ok(summary, details=details, facts=facts)


def _version(text: str) -> tuple[int, int]:
    numbers = [int(n) for n in re.findall(r"\d+", text)[:2]]
    return (numbers + [0, 0])[0], (numbers + [0, 0])[1]


@check("gpu.nvidia", "NVIDIA GPU", "gpu", timeout=15.0, applies=not_macos, docs=DOCS)
async def nvidia_check(ctx: CheckContext) -> Result:
    """Finds NVIDIA GPUs and checks that Ollama can use them.

    Asks NVML, or `nvidia-smi` when NVML is not there, for each GPU's name, memory, compute capability,
    and the driver and CUDA versions.

    ok: GPUs found, with nothing in the way; the summary lists them and their free memory.
    warn: a GPU older than compute capability 5.0 (Ollama runs on the CPU); a driver older than 531;
      `CUDA_VISIBLE_DEVICES` set to hide every GPU; or less than 10% of a GPU's memory free. Fix: update the
      driver; unset `CUDA_VISIBLE_DEVICES` where `ollama serve` starts; stop what holds the GPU memory.
    fail: the driver does not answer, the query hangs, or access is refused. Fix: reboot after a driver
      update or reload the module (`sudo modprobe nvidia`); look for Xid errors in `sudo dmesg`; check the
      permissions of `/dev/nvidia*`.
    skip: no NVIDIA GPU; macOS; or no local model server in use.
    """
    return nvidia_verdict(await api.gpu_report(ctx, "nvidia"), ctx.env)


def amd_verdict(report: api.GpuReport, kfd: Path = KFD) -> Result:
    if report.problem:
        return _problem(report, "rocm-smi")
    if not report.devices:
        return Result.skip(f"no AMD GPU: {report.absent or 'none found'}", facts=_report_facts(report))
    facts = _report_facts(report)
    details = [_describe(d) for d in report.devices] + list(report.notes)
    summary = f"{len(report.devices)} AMD GPU{'s' if len(report.devices) > 1 else ''} via {report.source}: " \
        + "; ".join(_describe(d) for d in report.devices[:2])
    if platform.system() == "Linux" and not kfd.exists():
        return Result.warn(f"AMD GPU found but {kfd} is missing: the ROCm kernel interface is not there, so "
                           "Ollama cannot use the GPU", details=details,
                           hint="load the amdgpu driver (ROCm v7 or newer for current Ollama) and add the user "
                           "running Ollama to the `render` and `video` groups", facts=facts, docs=DOCS)
    return Result.ok(summary, details=details, facts=facts)


@check("gpu.amd", "AMD GPU", "gpu", timeout=15.0, applies=not_macos, docs=DOCS)
async def amd_check(ctx: CheckContext) -> Result:
    """Finds AMD GPUs and checks that ROCm, which Ollama uses for them, can reach them.

    Asks `rocm-smi`, or reads sysfs when it is not installed, for each GPU's name and memory; on Linux it
    also looks for the ROCm kernel interface `/dev/kfd`.

    ok: GPUs found; the summary lists them.
    warn: a GPU is present but `/dev/kfd` is missing, so Ollama cannot use it. Fix: load the amdgpu
      driver (ROCm 7 or newer for current Ollama) and add the user running Ollama to the `render` and
      `video` groups.
    fail: `rocm-smi` hangs, is refused access, or the driver does not answer. Fix: check
      `sudo dmesg | grep amdgpu`, the ROCm install and the permissions of `/dev/kfd` and `/dev/dri`.
    skip: no AMD GPU; macOS; or no local model server in use.
    """
    return amd_verdict(await api.gpu_report(ctx, "amd"))


def apple_verdict(report: api.GpuReport) -> Result:
    facts = _report_facts(report)
    if report.extra.get("rosetta"):
        return Result.warn("Python runs under Rosetta (x86_64 on Apple Silicon): perspt and its libraries run "
                           "translated and slower", hint="install an arm64 Python (python.org's universal2 "
                           "installer, or Homebrew under /opt/homebrew) and reinstall perspt with it",
                           facts=facts, docs=DOCS)
    if not report.devices:
        return Result.skip(report.absent or "no Apple GPU", facts=facts)
    device = report.devices[0]
    memory = int(report.extra.get("unified_memory") or 0)
    limit = int(report.extra.get("gpu_working_set") or 0)
    how = "set with iogpu.wired_limit_mb" if report.extra.get("wired_limit_mb") else "about, macOS default"
    return Result.ok(f"{device.name}: {memory / GIB:.0f} GiB unified memory, of which the GPU may use "
                     f"{limit / GIB:.1f} GiB ({how})",
                     details=["raise the GPU share with `sudo sysctl iogpu.wired_limit_mb=N` (until reboot)"],
                     facts=facts)


@check("gpu.apple", "Apple Silicon GPU", "gpu", timeout=10.0, applies=macos_only, docs=DOCS)
async def apple_check(ctx: CheckContext) -> Result:
    """Reports the Apple Silicon GPU and how much of the unified memory it may use, and catches Python
    running under Rosetta.

    Reads the chip, the unified memory and the GPU's working-set limit (`iogpu.wired_limit_mb` when set,
    otherwise the macOS default).

    ok: an Apple GPU; the summary gives the memory it may use.
    warn: Python runs under Rosetta (x86_64 on Apple Silicon): perspt runs translated and slower.
      Fix: install an arm64 Python and reinstall perspt with it.
    skip: no Apple GPU; not macOS; or no local model server in use.
    """
    return apple_verdict(await api.gpu_report(ctx, "apple"))
