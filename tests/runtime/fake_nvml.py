"""A stand-in `pynvml` module with the API surface perspt uses, fed from a captured nvml-psutil.json."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_DRIVER_NOT_LOADED = 9


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return {12: "NVML Shared Library Not Found", 9: "Driver Not Loaded"}.get(self.value, f"NVML error {self.value}")


class NVMLError_LibraryNotFound(NVMLError):  # noqa: N801 - the real module's name
    def __init__(self) -> None:
        super().__init__(NVML_ERROR_LIBRARY_NOT_FOUND)


def fake_pynvml(capture: Path | None = None, *, init_error: int | None = None, as_bytes: bool = False) -> types.ModuleType:
    data: dict[str, Any] = json.loads(capture.read_text()) if capture else {"driver": "", "devices": []}
    module = types.ModuleType("pynvml")
    state = {"initialised": False, "calls": []}

    def text(value: str) -> Any:
        return value.encode() if as_bytes else value

    def init() -> None:
        if init_error == NVML_ERROR_LIBRARY_NOT_FOUND:
            raise NVMLError_LibraryNotFound()
        if init_error is not None:
            raise NVMLError(init_error)
        state["initialised"] = True

    def need_init() -> None:
        if not state["initialised"]:
            raise NVMLError(1)

    def handle(index: int) -> dict[str, Any]:
        need_init()
        return {"index": index, **data["devices"][index]}

    def memory(h: dict[str, Any]) -> types.SimpleNamespace:
        return types.SimpleNamespace(total=h["total"], free=h["free"], used=h["used"])

    def capability(h: dict[str, Any]) -> tuple[int, int]:
        if "cc" not in h:
            raise NVMLError(3)
        return tuple(h["cc"])  # type: ignore[return-value]

    def shutdown() -> None:
        state["initialised"] = False

    module.NVMLError = NVMLError  # type: ignore[attr-defined]
    module.NVMLError_LibraryNotFound = NVMLError_LibraryNotFound  # type: ignore[attr-defined]
    module.nvmlInit = init  # type: ignore[attr-defined]
    module.nvmlShutdown = shutdown  # type: ignore[attr-defined]
    module.nvmlSystemGetDriverVersion = lambda: text(data["driver"])  # type: ignore[attr-defined]
    module.nvmlSystemGetCudaDriverVersion_v2 = lambda: data["cuda_driver_version"]  # type: ignore[attr-defined]
    module.nvmlDeviceGetCount = lambda: (need_init(), len(data["devices"]))[1]  # type: ignore[attr-defined]
    module.nvmlDeviceGetHandleByIndex = handle  # type: ignore[attr-defined]
    module.nvmlDeviceGetName = lambda h: text(h["name"])  # type: ignore[attr-defined]
    module.nvmlDeviceGetMemoryInfo = memory  # type: ignore[attr-defined]
    module.nvmlDeviceGetCudaComputeCapability = capability  # type: ignore[attr-defined]
    module.nvmlDeviceGetUUID = lambda h: text(f"GPU-fake-{h['index']}")  # type: ignore[attr-defined]
    module.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=0, memory=0)  # type: ignore[attr-defined]
    module.state = state  # type: ignore[attr-defined]
    return module
