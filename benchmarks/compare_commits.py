"""`perspt doctor --offline` of two commits, measured in turns: the way to tell whether a change made the
offline doctor faster or slower on a machine whose speed drifts by a third from minute to minute (one run of
each, alternately, so both see the same drift). Each commit gets a clean venv (`pip install` of a
`git worktree` of it) under the benchmark cache, and each run a fresh home, as a new user has. Prints the
median and best wall time and the median CPU time of each. A figure, not a test; no goal.

    .venv/bin/python benchmarks/compare_commits.py BASE [OTHER] [--runs 25]

OTHER defaults to the working tree as it is (uncommitted changes included)."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def venv_for(source: Path, name: str) -> Path:
    """A venv with perspt installed from `source` (not editable), reused across runs of this script."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "perspt-bench" / f"ab-{name}"
    python = base / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(base)], check=True, timeout=120)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(source)],
                   check=True, timeout=600, capture_output=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(source)], check=True, timeout=600,
                   capture_output=True)
    return base / "bin" / "perspt"


def one_run(perspt: Path) -> tuple[float, float]:
    """(wall ms, CPU ms) of one `perspt doctor --offline` in a fresh home."""
    with tempfile.TemporaryDirectory() as home:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": home,
               **{var: os.path.join(home, var.lower()) for var in
                  ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([str(perspt), "doctor", "--offline"], env=env, cwd=home, capture_output=True, timeout=60)
        wall = (time.perf_counter() - started) * 1000
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="a commit (sha, tag, branch)")
    parser.add_argument("other", nargs="?", help="another commit; default: the working tree")
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sources: dict[str, Path] = {}
        for label, rev in (("base", args.base), ("other", args.other)):
            if rev is None:
                sources[label] = ROOT
                continue
            tree = Path(tmp) / label
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
            sources[label] = tree
        try:
            commands = {label: venv_for(source, label) for label, source in sources.items()}
        finally:
            for source in sources.values():
                if source != ROOT:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(source)], check=False)
    figures: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for perspt in commands.values():
        one_run(perspt)  # warm the page cache and write the bytecode
    for _ in range(args.runs):
        for label, perspt in commands.items():
            figures[label].append(one_run(perspt))
    print(f"perspt doctor --offline, {args.runs} runs each in turns, {os.cpu_count()} CPUs")
    for label, rows in figures.items():
        walls, cpus = [w for w, _ in rows], [c for _, c in rows]
        name = args.base if label == "base" else (args.other or "working tree")
        print(f"  {name:<14} wall median {statistics.median(walls):6.0f} ms, best {min(walls):6.0f} ms; "
              f"CPU median {statistics.median(cpus):6.0f} ms")


if __name__ == "__main__":
    main()
