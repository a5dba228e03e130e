"""GPU probes on real captured output: nvidia-smi (as a script on PATH printing the capture), NVML
(a stand-in module with pynvml's API), rocm-smi, sysfs, macOS sysctl, and this machine without a GPU."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from perspt_doctor.checks import gpu as gpu_checks

from perspt_doctor.api import GPU_NVIDIA
from perspt_doctor.system import gpu
from tests.runtime.conftest import FIXTURES, make_ctx, make_settings, meta, run, write_tool
from tests.runtime.fake_nvml import NVML_ERROR_DRIVER_NOT_LOADED, NVML_ERROR_LIBRARY_NOT_FOUND, fake_pynvml

MIB = 1024**2
CARDS = {"nvidia-h100": ("NVIDIA H100 80GB HBM3", 81559, 81079), "nvidia-h200": ("NVIDIA H200", 143771, 143156)}


def nvidia(report: gpu.GpuReport, env: dict[str, str] | None = None) -> Any:
    """gpu.nvidia's verdict on a probe's report (the check itself only adds the probe)."""
    assert meta(gpu_checks.nvidia_check).category == "gpu"
    return gpu_checks.nvidia_verdict(report, env or {})


def amd(report: gpu.GpuReport, kfd: Path | None = None) -> Any:
    assert meta(gpu_checks.amd_check).category == "gpu"
    return gpu_checks.amd_verdict(report, kfd) if kfd else gpu_checks.amd_verdict(report)


def apple(report: gpu.GpuReport) -> Any:
    assert meta(gpu_checks.apple_check).category == "gpu"
    return gpu_checks.apple_verdict(report)


def fake_smi(tool_dir: Path, card: str, *, exit_code: int = 0, message: str | None = None) -> None:
    folder = FIXTURES / card
    version = folder / "nvidia-smi-version.txt"
    body = message if message is not None else f'cat "{folder}/nvidia-smi-query.csv"'
    write_tool(tool_dir, "nvidia-smi", f"""
case "$1" in
  --version) {f'cat "{version}"' if version.exists() else 'echo "Invalid combination of input arguments."; exit 2'} ;;
  -L) cat "{folder}/nvidia-smi-L.txt" ;;
  --query-compute-apps=*) printf 'pid, process_name, used_gpu_memory [MiB]\\n4242, ollama, 5120 MiB\\n' ;;
  --query-gpu=index,uuid,name,memory.total,memory.used,memory.free,driver_version,utilization.gpu,temperature.gpu,compute_cap) {body}; exit {exit_code} ;;
  *) echo "Field is not a valid field to query."; exit 2 ;;
esac
""")


# ---- parsers on the captures ---------------------------------------------------------------------
@pytest.mark.parametrize("card", sorted(CARDS))
def test_query_csv_with_header_and_units(card: str) -> None:
    name, total, free = CARDS[card]
    rows = gpu.parse_query_csv((FIXTURES / card / "nvidia-smi-query.csv").read_text())
    assert len(rows) == 1 and rows[0]["name"] == name and rows[0]["compute_cap"] == "9.0"
    device = gpu.devices_from_query(rows)[0]
    assert (device.total, device.free, device.used) == (total * MIB, free * MIB, 0)
    assert device.uuid and device.uuid.startswith("GPU-") and device.temperature is not None


@pytest.mark.parametrize("card", sorted(CARDS))
def test_query_csv_noheader_nounits(card: str) -> None:
    name, total, free = CARDS[card]
    fields = ("index", "name", "memory.total", "memory.used", "memory.free", "driver_version")
    rows = gpu.parse_query_csv((FIXTURES / card / "nvidia-smi-query-nounits.csv").read_text(), fields)
    device = gpu.devices_from_query(rows)[0]
    assert (device.name, device.total, device.free) == (name, total * MIB, free * MIB)
    assert rows[0]["driver_version"] == "580.159.04"


@pytest.mark.parametrize("card", sorted(CARDS))
def test_list_output(card: str) -> None:
    found = gpu.parse_smi_list((FIXTURES / card / "nvidia-smi-L.txt").read_text())
    assert found[0][0] == 0 and found[0][1] == CARDS[card][0] and (found[0][2] or "").startswith("GPU-")


def test_version_and_compute_apps() -> None:
    version = gpu.parse_smi_version((FIXTURES / "nvidia-h200" / "nvidia-smi-version.txt").read_text())
    assert version["cuda version"] == "13.0" and version["driver version"] == "580.159.04"
    assert gpu.parse_compute_apps((FIXTURES / "nvidia-h200" / "nvidia-smi-compute-apps.csv").read_text()) == []
    apps = gpu.parse_compute_apps("pid, process_name, used_gpu_memory [MiB]\n77, /usr/bin/ollama, 5120 MiB\n")
    assert apps == [(77, "/usr/bin/ollama", 5120 * MIB)]


def test_missing_values_read_as_none() -> None:
    rows = gpu.parse_query_csv("index, name, memory.total [MiB], temperature.gpu\n0, Tesla T4, [N/A], [Not Supported]\n")
    device = gpu.devices_from_query(rows)[0]
    assert device.total is None and device.temperature is None and device.available is None


def test_rocm_smi_json() -> None:
    text = ('{"card0": {"VRAM Total Memory (B)": "17163091968", "VRAM Total Used Memory (B)": "1073741824", '
            '"Card series": "Radeon RX 7800 XT"}, "system": {"Driver version": "6.8"}}')
    device = gpu.parse_rocm_smi_json(text)[0]
    assert (device.index, device.name, device.total, device.free) == (0, "Radeon RX 7800 XT", 17163091968,
                                                                       17163091968 - 1073741824)


# ---- nvidia-smi through a real subprocess --------------------------------------------------------
@pytest.mark.parametrize("card", sorted(CARDS))
def test_nvidia_smi_probe_and_ok_verdict(card: str, tool_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    fake_smi(tool_dir, card)
    report = gpu.probe_nvidia()
    assert report.source == "nvidia-smi" and report.driver_version == "580.159.04"
    assert report.devices[0].name == CARDS[card][0]
    assert report.cuda_version == ("13.0" if card == "nvidia-h200" else None)
    ctx = make_ctx(make_settings(tmp_path, {"provider": "ollama"}))
    result = run(gpu_checks.nvidia_check, ctx)
    assert meta(gpu_checks.nvidia_check).category == "gpu"
    assert result.status == "ok" and result.hint is None
    assert CARDS[card][0] in result.summary and "via nvidia-smi" in result.summary
    assert result.facts["devices"][0]["compute_capability"] == "9.0"


def test_nvidia_smi_driver_failure_is_a_fail(tool_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    fake_smi(tool_dir, "nvidia-h100", exit_code=9, message="echo \"NVIDIA-SMI has failed because it couldn't "
             "communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\"")
    report = gpu.probe_nvidia()
    assert report.problem_kind == "driver" and not report.devices
    result = nvidia(report, {})
    assert result.status == "fail" and "modprobe nvidia" in (result.hint or "")
    assert "communicate with the NVIDIA driver" in result.summary


def test_nvidia_smi_that_hangs_is_cut_off(tool_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    fake_smi(tool_dir, "nvidia-h100", message="exec sleep 30")
    report = gpu.probe_nvidia(timeout=0.5)
    assert report.problem_kind == "timeout"
    result = nvidia(report, {})
    assert result.status == "fail" and "hung" in result.summary and "dmesg" in (result.hint or "")


def test_busy_gpu_lists_the_processes(tool_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    write_tool(tool_dir, "nvidia-smi", """
case "$1" in
  --query-compute-apps=*) printf 'pid, process_name, used_gpu_memory [MiB]\\n4242, ollama, 15000 MiB\\n' ;;
  --query-gpu=*) printf 'index, uuid, name, memory.total [MiB], memory.used [MiB], memory.free [MiB], driver_version, utilization.gpu [%%], temperature.gpu, compute_cap\\n0, GPU-1, Tesla T4, 15360 MiB, 15000 MiB, 360 MiB, 535.104.05, 99 %%, 70, 7.5\\n' ;;
  *) exit 2 ;;
esac
""")
    report = gpu.probe_nvidia()
    assert report.notes and "ollama (pid 4242): 15000 MiB" in report.notes[0]
    result = nvidia(report, {})
    assert result.status == "warn" and "0.4 GiB free" in result.summary
    assert result.hint == "stop what holds the GPU memory (see details)"
    assert any("pid 4242" in d for d in result.details)


def test_old_driver_old_gpu_and_hidden_devices_warn() -> None:
    old = gpu.GpuReport("nvidia", "nvidia-smi", (gpu.GpuDevice("nvidia", 0, "Tesla K80", 12 * 1024**3, 0,
                        12 * 1024**3, compute_capability="3.7"),), driver_version="470.82.01")
    result = nvidia(old, {})
    assert result.status == "warn" and "compute capability 3.7" in result.summary
    assert result.hint == "a newer GPU is needed for GPU inference"
    assert any("older than 531" in d for d in result.details)
    fine = gpu.GpuReport("nvidia", "nvml", (gpu.GpuDevice("nvidia", 0, "RTX 4090", 24 * 1024**3, 0, 24 * 1024**3,
                         compute_capability="8.9"),), driver_version="550.54")
    hidden = nvidia(fine, {"CUDA_VISIBLE_DEVICES": "-1"})
    assert hidden.status == "warn" and "CUDA_VISIBLE_DEVICES" in (hidden.hint or "")


# ---- NVML through a stand-in module ---------------------------------------------------------------
@pytest.mark.parametrize("card", sorted(CARDS))
def test_nvml_probe(card: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = fake_pynvml(FIXTURES / card / "nvml-psutil.json", as_bytes=card == "nvidia-h100")
    monkeypatch.setitem(sys.modules, "pynvml", module)
    report = gpu.probe_nvidia()
    assert report.source == "nvml" and report.driver_version == "580.159.04" and report.cuda_version == "13.0"
    device = report.devices[0]
    assert device.name == CARDS[card][0]
    assert device.compute_capability == ("9.0" if card == "nvidia-h200" else None)
    assert device.free == {"nvidia-h100": 85017493504, "nvidia-h200": 150109880320}[card]
    assert module.state["initialised"] is False  # nvmlShutdown was called


def test_nvml_without_driver_falls_back_to_nvidia_smi(tool_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml(init_error=NVML_ERROR_LIBRARY_NOT_FOUND))
    fake_smi(tool_dir, "nvidia-h200")
    assert gpu.probe_nvml() is not None and gpu.probe_nvml().absent  # type: ignore[union-attr]
    assert gpu.probe_nvidia().source == "nvidia-smi"


def test_nvml_driver_not_loaded_is_reported(no_gpu_tools: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml(init_error=NVML_ERROR_DRIVER_NOT_LOADED))
    report = gpu.probe_nvidia()
    assert report.source == "nvml" and report.problem_kind == "driver"
    result = nvidia(report, {})
    assert result.status == "fail" and "Driver Not Loaded" in result.summary and "modprobe" in (result.hint or "")


# ---- no GPU: this machine -------------------------------------------------------------------------
def test_no_gpu_on_this_machine(no_gpu_tools: None, tmp_path: Path) -> None:
    ctx = make_ctx(make_settings(tmp_path, {"provider": "ollama"}))
    nvidia = run(gpu_checks.nvidia_check, ctx)
    assert nvidia.status == "skip" and "nvidia-smi is not on PATH" in nvidia.summary and nvidia.hint is None
    assert "pynvml is not installed" in " ".join(ctx.stash[GPU_NVIDIA].notes)


def test_real_probe_without_fakes_does_not_crash() -> None:
    report = gpu.probe_nvidia()
    if shutil.which("nvidia-smi") is None:
        assert not report.devices and report.absent
    assert gpu.probe_apple().vendor == "apple"


def test_gpu_checks_skip_without_a_local_runtime(tmp_path: Path) -> None:
    ctx = make_ctx(make_settings(tmp_path, {"provider": "openai"}))
    for func in (gpu_checks.nvidia_check, gpu_checks.amd_check, gpu_checks.apple_check):
        applies = meta(func).applies
        assert applies is not None and isinstance(applies(ctx), str)
    ollama_ctx = make_ctx(make_settings(tmp_path, {"provider": "ollama"}))
    applies = meta(gpu_checks.apple_check).applies
    assert applies is not None and applies(ollama_ctx) == "not macOS (Linux)"


# ---- AMD --------------------------------------------------------------------------------------------
def test_amd_absent(no_gpu_tools: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu, "SYSFS_ROOT", tmp_path / "sys")
    result = amd(gpu.probe_amd())
    assert meta(gpu_checks.amd_check).category == "gpu"
    assert result.status == "skip" and "no AMD GPU" in result.summary and result.hint is None


def _amd_sysfs(root: Path) -> None:
    device = root / "class" / "drm" / "card1" / "device"
    device.mkdir(parents=True)
    (device / "vendor").write_text("0x1002\n")
    (device / "mem_info_vram_total").write_text(str(16 * 1024**3))
    (device / "mem_info_vram_used").write_text(str(1024**3))
    nvidia = root / "class" / "drm" / "card0" / "device"
    nvidia.mkdir(parents=True)
    (nvidia / "vendor").write_text("0x10de\n")


def test_amd_from_sysfs_and_missing_kfd(no_gpu_tools: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _amd_sysfs(tmp_path / "sys")
    monkeypatch.setattr(gpu, "SYSFS_ROOT", tmp_path / "sys")
    report = gpu.probe_amd()
    assert report.source == "sysfs" and report.devices[0].free == 15 * 1024**3
    missing = amd(report, kfd=tmp_path / "kfd")
    assert missing.status == "warn" and "render" in (missing.hint or "")
    (tmp_path / "kfd").touch()
    present = amd(report, kfd=tmp_path / "kfd")
    assert present.status == "ok" and "15.0 GiB free of 16.0 GiB" in present.summary and present.hint is None


def test_amd_rocm_smi(tool_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu, "SYSFS_ROOT", tmp_path / "sys")
    write_tool(tool_dir, "rocm-smi", """echo '{"card0": {"Card series": "Radeon PRO W7900", "VRAM Total Memory (B)": "48301604864", "VRAM Total Used Memory (B)": "0"}}'""")
    report = gpu.probe_amd()
    assert report.source == "rocm-smi" and report.devices[0].name == "Radeon PRO W7900"
    write_tool(tool_dir, "rocm-smi", "echo 'ERROR: amdgpu driver not loaded' >&2; exit 1")
    _amd_sysfs(tmp_path / "sys")
    failing = amd(gpu.probe_amd())
    assert failing.status == "fail" and "amdgpu" in (failing.hint or "")


# ---- Apple ------------------------------------------------------------------------------------------
def fake_sysctl(tool_dir: Path, *, translated: str = "0", wired: str = "0", chip: str = "Apple M2 Pro",
                memsize: int = 32 * 1024**3) -> None:
    write_tool(tool_dir, "sysctl", f"""
case "$2" in
  sysctl.proc_translated) echo {translated} ;;
  machdep.cpu.brand_string) echo "{chip}" ;;
  hw.memsize) echo {memsize} ;;
  iogpu.wired_limit_mb) echo {wired} ;;
  *) exit 1 ;;
esac
""")


def test_apple_default_working_set(tool_dir: Path) -> None:
    fake_sysctl(tool_dir)
    report = gpu.probe_apple(system="Darwin", machine="arm64")
    result = apple(report)
    assert meta(gpu_checks.apple_check).category == "gpu"
    assert result.status == "ok" and result.hint is None
    assert "Apple M2 Pro: 32 GiB unified memory" in result.summary and "21.3 GiB (about, macOS default)" in result.summary


def test_apple_wired_limit_raised(tool_dir: Path) -> None:
    fake_sysctl(tool_dir, wired="28672")
    result = apple(gpu.probe_apple(system="Darwin", machine="arm64"))
    assert result.status == "ok" and "28.0 GiB (set with iogpu.wired_limit_mb)" in result.summary


def test_apple_rosetta_warns(tool_dir: Path) -> None:
    fake_sysctl(tool_dir, translated="1")
    result = apple(gpu.probe_apple(system="Darwin", machine="x86_64"))
    assert result.status == "warn" and "Rosetta" in result.summary and "arm64 Python" in (result.hint or "")


def test_intel_mac_and_linux_skip(tool_dir: Path) -> None:
    fake_sysctl(tool_dir, chip="Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz")
    intel = apple(gpu.probe_apple(system="Darwin", machine="x86_64"))
    assert intel.status == "skip" and "Intel Mac" in intel.summary and intel.hint is None
    linux = apple(gpu.probe_apple(system="Linux"))
    assert linux.status == "skip" and "not macOS" in linux.summary


# ---- the device script ------------------------------------------------------------------------------
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_probe_check.sh"


def run_script(tool_dir: Path) -> tuple[int, dict[str, Any]]:
    import json
    import os
    import subprocess

    env = {**os.environ, "PYTHON": sys.executable, "PERSPT_GPU_CHECK_NO_INSTALL": "1"}
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60, check=False)
    return proc.returncode, json.loads(proc.stdout)


def test_device_script_reports_the_gpu(tool_dir: Path) -> None:
    fake_smi(tool_dir, "nvidia-h200")
    code, out = run_script(tool_dir)
    assert code == 0
    assert out["checks"]["gpu.nvidia"]["status"] == "ok" and "NVIDIA H200" in out["checks"]["gpu.nvidia"]["summary"]
    assert out["probes"]["nvidia-smi"]["devices"][0]["total"] == 143771 * MIB
    assert out["checks"]["memory.ram"]["status"] in ("ok", "warn", "fail")


def test_device_script_fails_when_the_driver_does_not_answer(tool_dir: Path) -> None:
    fake_smi(tool_dir, "nvidia-h100", exit_code=9, message="echo \"NVIDIA-SMI has failed because it couldn't "
             "communicate with the NVIDIA driver.\"")
    code, out = run_script(tool_dir)
    assert code == 1 and out["checks"]["gpu.nvidia"]["status"] == "fail"


@pytest.mark.parametrize(("vendor", "kind", "summary", "hint"), [
    ("amd", "timeout", "rocm-smi hung", "dmesg"),
    ("nvidia", "permission", "refused access", "/dev/nvidia*"),
    ("amd", "driver", "does not answer", "amdgpu"),
])
def test_probe_problems(vendor: str, kind: str, summary: str, hint: str) -> None:
    source = "rocm-smi" if vendor == "amd" else "nvidia-smi"
    report = gpu.GpuReport(vendor, source, problem="Insufficient Permissions" if kind == "permission" else "boom",
                           problem_kind=kind)
    result = amd(report) if vendor == "amd" else nvidia(report)
    assert result.status == "fail" and summary in result.summary and hint in (result.hint or "")
