"""Is perspt running inside a container or WSL? There, `localhost` is not the machine Ollama runs on."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_CGROUP_MARKERS = (("kubepods", "kubernetes"), ("docker", "docker"), ("containerd", "containerd"),
                   ("libpod", "podman"), ("lxc", "lxc"))


def detect_container(root: Path = Path("/"), env: Mapping[str, str] | None = None) -> str | None:
    """`docker`, `podman`, `kubernetes`, `containerd`, `lxc`, `wsl`, another runtime's name, or None."""
    environ = os.environ if env is None else env
    if (root / ".dockerenv").exists():
        return "docker"
    if (root / "run" / ".containerenv").exists():
        return "podman"
    if environ.get("KUBERNETES_SERVICE_HOST"):
        return "kubernetes"
    runtime = environ.get("container", "").strip()
    if runtime:
        return runtime
    try:
        cgroup = (root / "proc" / "1" / "cgroup").read_text(errors="replace")
    except OSError:
        cgroup = ""
    for marker, name in _CGROUP_MARKERS:
        if marker in cgroup:
            return name
    if environ.get("WSL_DISTRO_NAME") or environ.get("WSL_INTEROP"):
        return "wsl"
    try:
        version = (root / "proc" / "version").read_text(errors="replace").lower()
    except OSError:
        version = ""
    return "wsl" if "microsoft" in version else None
