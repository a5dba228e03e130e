"""GPUs a local model runtime could use: NVIDIA (NVML, else `nvidia-smi`), AMD (`rocm-smi`, else
sysfs) and Apple Silicon (`sysctl`). Every external command runs with a timeout, because a wedged
driver can hang it; every parser takes the command's text so that it can be tested on real output.
"""

from __future__ import annotations

import contextlib
import json
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIB = 1024**2
SYSFS_ROOT = Path("/sys")
SMI_FIELDS = ("index", "uuid", "name", "memory.total", "memory.used", "memory.free", "driver_version",
              "utilization.gpu", "temperature.gpu", "compute_cap")
"""The `--query-gpu` fields we ask for, in the order of the verified capture."""
_MISSING = {"", "[n/a]", "n/a", "[not supported]", "[unknown error]", "[insufficient permissions]"}
NVML_LIBRARY_NOT_FOUND = 12
NVML_DRIVER_NOT_LOADED = 9


@dataclass(frozen=True)
class GpuDevice:
    vendor: str
    index: int
    name: str
    total: int | None = None
    """Bytes."""
    used: int | None = None
    free: int | None = None
    uuid: str | None = None
    compute_capability: str | None = None
    utilization: float | None = None
    temperature: float | None = None

    @property
    def available(self) -> int | None:
        if self.free is not None:
            return self.free
        if self.total is not None and self.used is not None:
            return max(0, self.total - self.used)
        return None


@dataclass(frozen=True)
class GpuReport:
    vendor: str
    source: str
    """nvml, nvidia-smi, rocm-smi, sysfs, sysctl, or none."""
    devices: tuple[GpuDevice, ...] = ()
    driver_version: str | None = None
    cuda_version: str | None = None
    absent: str | None = None
    """Why no GPU of this vendor was found, when none was."""
    problem: str | None = None
    """The GPU seems present but could not be read (driver not loaded, the tool hung, ...)."""
    problem_kind: str | None = None
    """driver, timeout, permission or failed."""
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def free_bytes(self) -> int:
        return sum(d.available or 0 for d in self.devices)


# ---- NVIDIA: parsers ----------------------------------------------------------------------------
def _cell(value: str) -> str | None:
    text = value.strip()
    return None if text.lower() in _MISSING else text


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    match = re.match(r"^\s*(-?\d+(?:\.\d+)?)", value)
    return float(match.group(1)) if match else None


def parse_query_csv(text: str, fields: tuple[str, ...] | None = None) -> list[dict[str, str | None]]:
    """Rows of `nvidia-smi --query-*` output. Without `fields` the first line is the header
    (`--format=csv`); with them the output is `csv,noheader` (units or not, both are read)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    if fields is None:
        fields = tuple(name.strip().split(" [", 1)[0] for name in lines[0].split(","))
        lines = lines[1:]
    rows: list[dict[str, str | None]] = []
    for line in lines:
        cells = [_cell(c) for c in line.split(",")]
        if len(cells) > len(fields):
            extra = len(cells) - len(fields)
            name_at = fields.index("name") if "name" in fields else 0
            merged = ",".join(c or "" for c in cells[name_at:name_at + extra + 1])
            cells = cells[:name_at] + [merged] + cells[name_at + extra + 1:]
        rows.append(dict(zip(fields, cells, strict=False)))
    return rows


def _mib(value: str | None) -> int | None:
    number = _number(value)
    return int(number * MIB) if number is not None else None


def devices_from_query(rows: list[dict[str, str | None]]) -> list[GpuDevice]:
    devices = []
    for position, row in enumerate(rows):
        index = _number(row.get("index"))
        devices.append(GpuDevice(
            vendor="nvidia", index=int(index) if index is not None else position, name=row.get("name") or "NVIDIA GPU",
            total=_mib(row.get("memory.total")), used=_mib(row.get("memory.used")), free=_mib(row.get("memory.free")),
            uuid=row.get("uuid"), compute_capability=row.get("compute_cap"),
            utilization=_number(row.get("utilization.gpu")), temperature=_number(row.get("temperature.gpu"))))
    return devices


def parse_smi_list(text: str) -> list[tuple[int, str, str | None]]:
    """`nvidia-smi -L`: (index, name, uuid)."""
    found = []
    for match in re.finditer(r"^GPU (\d+): (.+?)(?: \(UUID: ([^)]+)\))?\s*$", text, re.MULTILINE):
        found.append((int(match.group(1)), match.group(2).strip(), match.group(3)))
    return found


def parse_smi_version(text: str) -> dict[str, str]:
    """`nvidia-smi --version`: {"nvidia-smi version": ..., "driver version": ..., "cuda version": ...}."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            out[key.strip().lower()] = value.strip()
    return out


def parse_compute_apps(text: str) -> list[tuple[int, str, int | None]]:
    """`--query-compute-apps=pid,process_name,used_memory --format=csv`: (pid, name, bytes)."""
    apps = []
    for row in parse_query_csv(text):
        pid = _number(row.get("pid"))
        if pid is None:
            continue
        used = row.get("used_gpu_memory", row.get("used_memory"))
        apps.append((int(pid), row.get("process_name") or "?", _mib(used)))
    return apps


def _smi_problem_kind(text: str) -> str:
    lowered = text.lower()
    if "communicate with the nvidia driver" in lowered or "driver/library version mismatch" in lowered:
        return "driver"
    if "permission" in lowered or "insufficient" in lowered:
        return "permission"
    return "failed"


# ---- NVIDIA: probes -----------------------------------------------------------------------------
def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def _first_line(*texts: str) -> str:
    for text in texts:
        for line in text.splitlines():
            if line.strip():
                return line.strip()
    return ""


def probe_nvidia_smi(timeout: float = 5.0) -> GpuReport:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return GpuReport("nvidia", "none", absent="nvidia-smi is not on PATH")
    query = [exe, f"--query-gpu={','.join(SMI_FIELDS)}", "--format=csv"]
    try:
        proc = _run(query, timeout)
    except subprocess.TimeoutExpired:
        return GpuReport("nvidia", "nvidia-smi", problem=f"nvidia-smi did not answer within {timeout:g} s",
                         problem_kind="timeout")
    except OSError as exc:
        return GpuReport("nvidia", "nvidia-smi", problem=f"could not run {exe}: {exc}", problem_kind="failed")
    if proc.returncode != 0:
        message = _first_line(proc.stdout, proc.stderr) or f"exit status {proc.returncode}"
        if "no devices were found" in message.lower():
            return GpuReport("nvidia", "nvidia-smi", absent="nvidia-smi found no NVIDIA GPU")
        return GpuReport("nvidia", "nvidia-smi", problem=message, problem_kind=_smi_problem_kind(message))
    devices = devices_from_query(parse_query_csv(proc.stdout))
    if not devices:
        return GpuReport("nvidia", "nvidia-smi", absent="nvidia-smi listed no GPU")
    cuda = None
    try:
        version = _run([exe, "--version"], timeout)
        if version.returncode == 0:
            cuda = parse_smi_version(version.stdout).get("cuda version")
    except (subprocess.TimeoutExpired, OSError):
        pass
    notes: list[str] = []
    if any((d.used or 0) > MIB * 1024 for d in devices):
        notes.extend(_compute_apps(exe, timeout))
    rows = parse_query_csv(proc.stdout)
    driver = rows[0].get("driver_version") if rows else None
    return GpuReport("nvidia", "nvidia-smi", tuple(devices), driver_version=driver, cuda_version=cuda,
                     notes=tuple(notes))


def _compute_apps(exe: str, timeout: float) -> list[str]:
    try:
        proc = _run([exe, "--query-compute-apps=pid,process_name,used_memory", "--format=csv"], timeout)
    except (subprocess.TimeoutExpired, OSError):
        return []
    if proc.returncode != 0:
        return []
    return [f"GPU memory held by {name} (pid {pid}): {used // MIB if used else '?'} MiB"
            for pid, name, used in parse_compute_apps(proc.stdout)]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def probe_nvml() -> GpuReport | None:
    """NVML through `pynvml` (the optional `nvidia` extra); None when the module is not installed."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        code = getattr(exc, "value", None)
        if code == NVML_LIBRARY_NOT_FOUND:
            return GpuReport("nvidia", "nvml", absent="no NVIDIA driver library (NVML not found)")
        kind = "driver" if code == NVML_DRIVER_NOT_LOADED else "failed"
        return GpuReport("nvidia", "nvml", problem=f"NVML could not start: {exc}", problem_kind=kind)
    try:
        driver = _text(pynvml.nvmlSystemGetDriverVersion())
        cuda: str | None = None
        try:
            raw = int(pynvml.nvmlSystemGetCudaDriverVersion_v2())
            cuda = f"{raw // 1000}.{(raw % 1000) // 10}"
        except pynvml.NVMLError:
            pass
        devices = []
        for index in range(int(pynvml.nvmlDeviceGetCount())):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            devices.append(GpuDevice(
                vendor="nvidia", index=index, name=_text(pynvml.nvmlDeviceGetName(handle)),
                total=int(memory.total), used=int(memory.used), free=int(memory.free),
                uuid=_optional(lambda h=handle: _text(pynvml.nvmlDeviceGetUUID(h)), pynvml.NVMLError),
                compute_capability=_optional(
                    lambda h=handle: "{}.{}".format(*pynvml.nvmlDeviceGetCudaComputeCapability(h)), pynvml.NVMLError),
                utilization=_optional(lambda h=handle: float(pynvml.nvmlDeviceGetUtilizationRates(h).gpu),
                                      pynvml.NVMLError)))
    except pynvml.NVMLError as exc:
        return GpuReport("nvidia", "nvml", problem=f"NVML query failed: {exc}", problem_kind="failed")
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()
    if not devices:
        return GpuReport("nvidia", "nvml", absent="NVML reports no NVIDIA GPU", driver_version=driver)
    return GpuReport("nvidia", "nvml", tuple(devices), driver_version=driver, cuda_version=cuda)


def _optional(getter: Any, errors: type[BaseException]) -> Any:
    try:
        return getter()
    except (errors, AttributeError):
        return None


def probe_nvidia(timeout: float = 5.0) -> GpuReport:
    """NVML when `pynvml` is installed and the driver answers; otherwise `nvidia-smi`."""
    nvml = probe_nvml()
    if nvml is not None and nvml.devices:
        return nvml
    smi = probe_nvidia_smi(timeout)
    if smi.devices or smi.problem:
        if nvml is not None and nvml.problem:
            return GpuReport(**{**smi.__dict__, "notes": smi.notes + (nvml.problem,)})
        return smi
    if nvml is not None and nvml.problem:
        return nvml
    note = "pynvml is not installed (pip install 'perspt-doctor[nvidia]')" if nvml is None else nvml.absent or ""
    return GpuReport("nvidia", smi.source, absent=smi.absent, notes=smi.notes + (note,))


# ---- AMD ----------------------------------------------------------------------------------------
def parse_rocm_smi_json(text: str) -> list[GpuDevice]:
    """`rocm-smi --showproductname --showmeminfo vram --json`: one `cardN` object per GPU, values as strings."""
    data = json.loads(text)
    devices = []
    for key, info in data.items() if isinstance(data, dict) else ():
        match = re.fullmatch(r"card(\d+)", str(key))
        if not match or not isinstance(info, dict):
            continue
        lowered = {str(k).lower(): v for k, v in info.items()}
        total = _number(str(lowered.get("vram total memory (b)"))) if "vram total memory (b)" in lowered else None
        used_raw = lowered.get("vram total used memory (b)")
        used = _number(str(used_raw)) if used_raw is not None else None
        name = lowered.get("card series") or lowered.get("card model") or lowered.get("card sku") or "AMD GPU"
        devices.append(GpuDevice(
            vendor="amd", index=int(match.group(1)), name=str(name),
            total=int(total) if total is not None else None, used=int(used) if used is not None else None,
            free=int(total - used) if total is not None and used is not None else None))
    return devices


def sysfs_amd_devices(root: Path | None = None) -> list[GpuDevice]:
    """AMD GPUs from `/sys/class/drm/card*/device` (vendor 0x1002, mem_info_vram_*)."""
    base = (root or SYSFS_ROOT) / "class" / "drm"
    devices = []
    for card in sorted(base.glob("card[0-9]*")):
        if not re.fullmatch(r"card\d+", card.name):
            continue
        device = card / "device"
        try:
            vendor = (device / "vendor").read_text().strip().lower()
        except OSError:
            continue
        if vendor != "0x1002":
            continue
        total = _read_number(device / "mem_info_vram_total")
        used = _read_number(device / "mem_info_vram_used")
        devices.append(GpuDevice(vendor="amd", index=int(card.name[4:]), name="AMD GPU", total=total, used=used,
                                 free=total - used if total is not None and used is not None else None))
    return devices


def _read_number(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def probe_amd(timeout: float = 5.0, sysfs_root: Path | None = None) -> GpuReport:
    exe = shutil.which("rocm-smi")
    sysfs = sysfs_amd_devices(sysfs_root)
    if exe is None:
        if sysfs:
            return GpuReport("amd", "sysfs", tuple(sysfs), notes=("rocm-smi is not on PATH; read from sysfs",))
        return GpuReport("amd", "none", absent="rocm-smi is not on PATH and /sys/class/drm lists no AMD card")
    try:
        proc = _run([exe, "--showproductname", "--showmeminfo", "vram", "--json"], timeout)
    except subprocess.TimeoutExpired:
        return GpuReport("amd", "rocm-smi", tuple(sysfs), problem=f"rocm-smi did not answer within {timeout:g} s",
                         problem_kind="timeout")
    except OSError as exc:
        return GpuReport("amd", "rocm-smi", tuple(sysfs), problem=f"could not run {exe}: {exc}", problem_kind="failed")
    try:
        devices = parse_rocm_smi_json(proc.stdout) if proc.stdout.strip() else []
    except ValueError:
        devices = []
    if proc.returncode != 0 and not devices:
        message = _first_line(proc.stderr, proc.stdout) or f"exit status {proc.returncode}"
        if sysfs or "driver" in message.lower():
            return GpuReport("amd", "rocm-smi", tuple(sysfs), problem=message, problem_kind="driver")
        return GpuReport("amd", "rocm-smi", absent=f"rocm-smi found no AMD GPU ({message})")
    if not devices:
        if sysfs:
            return GpuReport("amd", "sysfs", tuple(sysfs), notes=("rocm-smi listed no GPU; read from sysfs",))
        return GpuReport("amd", "rocm-smi", absent="rocm-smi listed no AMD GPU")
    return GpuReport("amd", "rocm-smi", tuple(devices))


# ---- Apple Silicon ------------------------------------------------------------------------------
def _sysctl(name: str, timeout: float) -> str | None:
    exe = shutil.which("sysctl")
    if exe is None:
        return None
    try:
        proc = _run([exe, "-n", name], timeout)
    except (subprocess.TimeoutExpired, OSError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


def default_working_set(memsize: int) -> int:
    """About how much of unified memory Metal lets the GPU wire by default (roughly 2/3 up to
    36 GiB, 3/4 above: an approximation of `recommendedMaxWorkingSetSize`)."""
    return int(memsize * (2 / 3 if memsize <= 36 * 1024**3 else 0.75))


def probe_apple(timeout: float = 3.0, *, system: str | None = None, machine: str | None = None) -> GpuReport:
    system = system or platform.system()
    machine = machine or platform.machine()
    if system != "Darwin":
        return GpuReport("apple", "none", absent=f"not macOS ({system})")
    translated = _sysctl("sysctl.proc_translated", timeout) == "1"
    chip = _sysctl("machdep.cpu.brand_string", timeout) or "Apple"
    memsize = int(_number(_sysctl("hw.memsize", timeout)) or 0)
    wired_mb = int(_number(_sysctl("iogpu.wired_limit_mb", timeout)) or 0)
    apple_silicon = machine == "arm64" or translated or chip.startswith("Apple")
    extra: dict[str, Any] = {"chip": chip, "python_machine": machine, "rosetta": translated,
                             "unified_memory": memsize, "wired_limit_mb": wired_mb}
    if not apple_silicon:
        return GpuReport("apple", "sysctl", absent=f"Intel Mac ({chip}): no Metal acceleration for local models",
                         extra=extra)
    limit = wired_mb * MIB if wired_mb else default_working_set(memsize)
    extra["gpu_working_set"] = limit
    extra["gpu_working_set_source"] = "iogpu.wired_limit_mb" if wired_mb else "approximate macOS default"
    device = GpuDevice(vendor="apple", index=0, name=chip, total=limit or None)
    return GpuReport("apple", "sysctl", (device,), extra=extra)
