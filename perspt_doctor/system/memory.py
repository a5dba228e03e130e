"""RAM and swap through psutil, corrected by a container's memory limit (cgroup v2 or v1)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3
CGROUP_ROOT = Path("/sys/fs/cgroup")
_UNLIMITED_V1 = 1 << 60


@dataclass(frozen=True)
class MemorySnapshot:
    total: int
    available: int
    percent: float
    swap_total: int
    swap_used: int
    cgroup_limit: int | None = None
    """The container's memory limit in bytes, when one is set and below physical RAM."""
    cgroup_used: int | None = None

    @property
    def effective_available(self) -> int:
        """What a new process can really get: psutil's available, capped by the cgroup's headroom."""
        if self.cgroup_limit is None:
            return self.available
        headroom = max(0, self.cgroup_limit - (self.cgroup_used or 0))
        return min(self.available, headroom)

    @property
    def effective_total(self) -> int:
        return min(self.total, self.cgroup_limit) if self.cgroup_limit else self.total

    @property
    def swap_percent(self) -> float:
        return 100.0 * self.swap_used / self.swap_total if self.swap_total else 0.0


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if not text or text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def cgroup_memory(root: Path = CGROUP_ROOT) -> tuple[int | None, int | None]:
    """(limit, current usage) of this process's memory cgroup; (None, None) without a limit."""
    for limit_file, usage_file in (("memory.max", "memory.current"),
                                   ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        limit = _read_int(root / limit_file)
        if limit is not None and limit < _UNLIMITED_V1:
            return limit, _read_int(root / usage_file)
    return None, None


def snapshot(cgroup_root: Path = CGROUP_ROOT) -> MemorySnapshot:
    import psutil

    virtual = psutil.virtual_memory()
    swap = psutil.swap_memory()
    limit, used = cgroup_memory(cgroup_root)
    if limit is not None and limit >= virtual.total:
        limit, used = None, None
    return MemorySnapshot(total=int(virtual.total), available=int(virtual.available), percent=float(virtual.percent),
                          swap_total=int(swap.total), swap_used=int(swap.used), cgroup_limit=limit, cgroup_used=used)


def gib(value: float | int | None) -> str:
    """`12.3 GiB` (one decimal), or `unknown`."""
    if value is None:
        return "unknown"
    return f"{value / GIB:.1f} GiB"
