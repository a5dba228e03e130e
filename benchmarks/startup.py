"""Start-up time of the `perspt` command: median wall time of `perspt --version` and `perspt --help`
next to `python -c pass` (the floor no Python program can beat), and of a one-shot `perspt -q` against
a loopback OpenAI-compatible fake that answers at once, next to its floor in the same run (`python -c`
importing httpx and sending the same request; and the same with asyncio and `httpx.AsyncClient`, as
perspt's client is asynchronous). `perspt -q` runs from a clean `pip install .` (the venv
doctor_offline.py builds), as a user runs it; `--version` and `--help` from this venv. A figure, not a
test.

    .venv/bin/python benchmarks/startup.py [--runs 20]

Goals: `perspt --version` and `perspt --help` each at most 60 ms median on a 2-core machine;
`perspt -q` at most 0.35 s median. CPU time (user+sys of the child) is printed beside each wall time:
on a shared, loaded machine it is the steadier figure."""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import goal  # noqa: E402


def _perspt() -> list[str]:
    script = Path(sys.executable).with_name("perspt")
    if script.exists():
        return [str(script)]
    found = shutil.which("perspt")
    return [found] if found else [sys.executable, "-m", "perspt_doctor"]


def _installed_perspt() -> tuple[list[str], str] | None:
    """(`perspt` from a clean `pip install .`, that venv's python): as a user runs it, with no
    editable-install finder on the import path; built by doctor_offline.py. None when it cannot be
    built (no package index)."""
    from doctor_offline import clean_python

    python = clean_python()
    if python is None:
        return None
    script = python.with_name("perspt")
    return ([str(script)] if script.exists() else [str(python), "-m", "perspt_doctor"]), str(python)


def _median_ms(command: list[str], runs: int, extra_env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(median wall ms, min wall ms, median CPU ms) of `command` run `runs` times, output to a pipe."""
    env = {**os.environ, **(extra_env or {})}
    # An installed perspt has bytecode (pip compiles on install); let the warm-up run write it here too.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(command, capture_output=True, check=False, env=env)  # warm the page cache
    samples: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False, env=env)
        samples.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    return statistics.median(samples), min(samples), statistics.median(cpu)


_BARE_REQUEST = """import sys, httpx
reply = httpx.post(sys.argv[1] + "/chat/completions", headers={"Authorization": "Bearer test-key"},
                   json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
print(reply.json()["choices"][0]["message"]["content"])
"""


_BARE_ASYNC_REQUEST = """import sys
sys.modules["httpx._main"] = None  # as perspt does: httpx's own command line is not imported
import asyncio, httpx
async def main():
    async with httpx.AsyncClient() as client:
        reply = await client.post(sys.argv[1] + "/chat/completions", headers={"Authorization": "Bearer test-key"},
                                  json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
        print(reply.json()["choices"][0]["message"]["content"])
asyncio.run(main())
"""


def one_shot(perspt: list[str], runs: int, python: str = sys.executable) -> None:
    """`perspt -q` against the OpenAI fake on loopback (it answers at once), beside a bare httpx request."""
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    from tests.fakes.openai_fake import openai_fake

    with tempfile.TemporaryDirectory() as home, openai_fake() as fake:
        env = {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url, "HOME": home,
               **{var: os.path.join(home, var.lower()) for var in
                  ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}}
        for name in os.environ:
            if name.endswith(("_PROXY", "_proxy")):
                env[name] = ""
        rows = [("floor: python, httpx, one request", [python, "-c", _BARE_REQUEST, fake.base_url]),
                ("the same, asynchronous", [python, "-c", _BARE_ASYNC_REQUEST, fake.base_url]),
                ("perspt -q hi", [*perspt, "-q", "hi"])]
        results = {}
        for name, command in rows:
            results[name] = _median_ms(command, runs, env)
            median, best, cpu = results[name]
            print(f"{name:<36} {median:>10.1f} {best:>8.1f} {cpu:>8.1f}")
    floor, async_floor, (median, _best, cpu) = (results[name] for name, _command in rows)
    goal("perspt -q (loopback, answers at once) median", median / 1000, "s", 0.35,
         note=f"CPU {cpu / 1000:.2f} s; floor (python + httpx + one request) {floor[0] / 1000:.2f} s wall, "
              f"{floor[2] / 1000:.2f} s CPU; asynchronous (asyncio, httpx.AsyncClient) {async_floor[0] / 1000:.2f} s "
              f"wall; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    perspt = _perspt()
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("perspt --version", [*perspt, "--version"]),
        ("perspt --help", [*perspt, "--help"]),
    ]
    print(f"{args.runs} runs each, {os.cpu_count()} CPUs, python {sys.version.split()[0]}, command {perspt[0]}")
    print(f"{'command':<36} {'median ms':>10} {'min ms':>8} {'CPU ms':>8}")
    results: dict[str, float] = {}
    for name, command in rows:
        median, best, cpu = _median_ms(command, args.runs)
        results[name] = median
        print(f"{name:<36} {median:>10.1f} {best:>8.1f} {cpu:>8.1f}")
    base = results["python -c pass"]
    goal("perspt --version median", results["perspt --version"], "ms", 60,
         note=f"{results['perspt --version'] - base:.0f} ms over python -c pass")
    goal("perspt --help median", results["perspt --help"], "ms", 60,
         note=f"{results['perspt --help'] - base:.0f} ms over python -c pass")
    installed = _installed_perspt()
    if installed is None:
        one_shot(perspt, args.runs)
    else:
        one_shot(installed[0], args.runs, installed[1])


if __name__ == "__main__":
    main()
