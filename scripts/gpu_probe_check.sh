#!/usr/bin/env bash
# Run the gpu.* and memory.* probes of `perspt doctor` on this machine and print their results as JSON.
# Meant for a real GPU machine (NVIDIA: NVML when nvidia-ml-py is importable, else nvidia-smi).
# Works offline: it tries to install the package with the `nvidia` extra, then just nvidia-ml-py and
# psutil, and otherwise runs from the source tree with whatever Python packages are there.
#
#   scripts/gpu_probe_check.sh            # JSON on stdout, exit 1 when nvidia-smi exists but gpu.nvidia is not ok
#   PYTHON=/path/to/python scripts/gpu_probe_check.sh
#   PERSPT_GPU_CHECK_NO_INSTALL=1 scripts/gpu_probe_check.sh    # skip the pip attempts
set -u
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

pick_python() {
    for candidate in "${PYTHON:-}" "$ROOT/.venv/bin/python" python3 python; do
        if [ -n "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

PY="$(pick_python)" || { echo '{"error": "no Python >= 3.10 found"}'; exit 2; }

if [ -z "${PERSPT_GPU_CHECK_NO_INSTALL:-}" ]; then
    pip_quiet() { "$PY" -m pip install --quiet --disable-pip-version-check --retries 0 --timeout 5 "$@" >/dev/null 2>&1; }
    pip_quiet -e "$ROOT[nvidia]" || pip_quiet nvidia-ml-py psutil || echo "note: pip install failed (offline?); using what is installed" >&2
fi

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" exec "$PY" - "$ROOT" <<'PYEOF'
import asyncio
import dataclasses
import importlib.util
import json
import platform
import shutil
import sys
from pathlib import Path

root = Path(sys.argv[1])
out = {"python": sys.version.split()[0], "platform": platform.platform(), "nvidia_smi": shutil.which("nvidia-smi")}
try:
    import pynvml  # noqa: F401
    out["pynvml"] = getattr(sys.modules["pynvml"], "__file__", "importable")
except ImportError as exc:
    out["pynvml"] = f"not importable: {exc}"


def load_checks_package():
    """perspt_doctor.checks maps to ./checks when installed; do the same from a source tree."""
    try:
        import perspt_doctor.checks  # noqa: F401
        return
    except ImportError:
        pass
    spec = importlib.util.spec_from_file_location("perspt_doctor.checks", root / "checks" / "__init__.py",
                                                  submodule_search_locations=[str(root / "checks")])
    module = importlib.util.module_from_spec(spec)
    sys.modules["perspt_doctor.checks"] = module
    spec.loader.exec_module(module)


def as_json(value):
    if dataclasses.is_dataclass(value):
        return {k: as_json(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


from perspt_doctor.system import gpu  # noqa: E402 - stdlib only at import time

probes = {}
for name, probe in (("nvml", gpu.probe_nvml), ("nvidia-smi", gpu.probe_nvidia_smi), ("amd", gpu.probe_amd),
                    ("apple", gpu.probe_apple)):
    try:
        probes[name] = as_json(probe())
    except Exception as exc:  # noqa: BLE001 - report and go on
        probes[name] = {"crashed": f"{type(exc).__name__}: {exc}"}
out["probes"] = probes

checks = {}
try:
    load_checks_package()
    from perspt_doctor.checks import gpu as gpu_checks
    from perspt_doctor.checks import memory as memory_checks
    from perspt_doctor.engine.check_model import CheckContext
    from perspt_doctor.settings.resolve import Flags, load_settings

    settings = load_settings(Flags(no_config=True, provider="ollama"), use_keyring=False)
    ctx = CheckContext(settings=settings, provider=None, offline=True)
    for check_id, func in (("gpu.nvidia", gpu_checks.nvidia_check), ("gpu.amd", gpu_checks.amd_check),
                           ("gpu.apple", gpu_checks.apple_check), ("memory.ram", memory_checks.ram_check),
                           ("memory.swap", memory_checks.swap_check)):
        try:
            result = asyncio.run(func(ctx))
            checks[check_id] = {"status": str(result.status), "summary": result.summary, "details": result.details,
                                "hint": result.hint, "facts": as_json(result.facts)}
        except Exception as exc:  # noqa: BLE001
            checks[check_id] = {"status": "error", "summary": f"{type(exc).__name__}: {exc}"}
except Exception as exc:  # noqa: BLE001 - e.g. a dependency missing on a bare machine
    out["checks_unavailable"] = f"{type(exc).__name__}: {exc}"
out["checks"] = checks

print(json.dumps(out, indent=2))
nvidia = checks.get("gpu.nvidia", {}).get("status")
sys.exit(1 if out["nvidia_smi"] and nvidia not in ("ok", "warn") else 0)
PYEOF
