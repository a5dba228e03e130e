"""A bare virtual environment that borrows this test environment's libraries, for tests that install
perspt somewhere else (a built wheel, a fresh clone) without a network or an index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def borrowing_venv(path: Path) -> Path:
    """A venv without pip whose `zz_test_deps.pth` names every site-packages directory on this
    interpreter's path (a nested venv's too), so the dependencies import there; returns its python.
    Directories named by a `.pth` line have their own `.pth` files ignored, so no editable install of
    this checkout leaks in."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True, timeout=60).stdout.strip())
    ours = [entry for entry in sys.path if Path(entry).name in ("site-packages", "dist-packages")]
    (site / "zz_test_deps.pth").write_text("".join(f"{entry}\n" for entry in dict.fromkeys(ours)))
    return python
