"""Streaming cost: perspt next to `llm` and a bare httpx + json loop, all against the OpenAI fake.

    .venv/bin/python benchmarks/streaming.py [--tokens 100000] [--skip-llm] [--shapes prose,structured]
                                             [--runs 3]

Each client runs as its own process; its CPU time (user + system) and peak RSS come from the
kernel's rusage for that child. Every row is run --runs times, the rows taking turns (so a burst of
load from elsewhere falls on all of them alike), and the run with the median CPU is shown: on a
shared 2-core machine one run of a row varies by up to 1.5x. Two shapes of reply, both from the
OpenAI fake (`--shape`): prose (one endless line of words) and structured
(tests/fakes/openai_fake.py STRUCTURED: a heading, paragraphs with bold and inline code, a list, a
new block every dozen tokens or so). Rows:
  floor      a bare httpx + json loop writing the text to a pipe (for each shape)
  perspt     `perspt -q` writing to a pipe (plain text; for the structured shape too, so that the
             pty row minus this one is the cost of rendering)
  llm        `llm` (installed with pip into its own venv in the user cache dir; skipped if impossible)
  perspt-tty `perspt -q` on a pseudo-terminal, rendering Markdown; also at twice the tokens
Goals: to a pipe <= 1.35x the floor's CPU and <= 64 MB; prose on a pty <= 4 s CPU; structured on a pty <= 3x
the floor's CPU for that shape; for either shape 2x tokens <= 2.2x the cost.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import threading
import venv
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import goal  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LLM_VENV = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "perspt-benchmarks" / "llm-venv"

FLOOR = textwrap.dedent("""
    import json, sys, httpx
    base, key = sys.argv[1], sys.argv[2]
    body = {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "go"}]}
    out = sys.stdout
    with httpx.stream("POST", base + "/chat/completions", json=body, timeout=60,
                      headers={"Authorization": "Bearer " + key}) as reply:
        for line in reply.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                for choice in json.loads(line[6:])["choices"]:
                    out.write(choice["delta"].get("content") or "")
    out.write("\\n")
""")


@dataclass
class Measure:
    name: str
    cpu_s: float
    rss_mb: float
    out_bytes: int
    status: int

    def row(self) -> str:
        note = "" if self.status == 0 else f"  (exit status {self.status})"
        return f"{self.name:<26} {self.cpu_s:8.2f} s {self.rss_mb:8.1f} MB {self.out_bytes:>11,} bytes{note}"


def _drain(fd: int, counter: list[int]) -> None:
    while True:
        try:
            data = os.read(fd, 1 << 16)
        except OSError:
            return
        if not data:
            return
        counter[0] += len(data)


def run_pipe(name: str, argv: list[str], env: dict[str, str]) -> Measure:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=env, cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    counter = [0]
    errors: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(proc.stdout.fileno(), counter))
    err_reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    err_reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    err_reader.join()
    if proc.returncode:
        sys.stderr.write(f"{name}: {b''.join(errors).decode(errors='replace')[-600:]}\n")
    return Measure(name, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, counter[0], proc.returncode)


def run_pty(name: str, argv: list[str], env: dict[str, str], cols: int = 120, rows: int = 40) -> Measure:
    pid, master = pty.fork()
    if pid == 0:  # the child: stdin/stdout/stderr are the pty
        os.chdir(ROOT)
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    counter = [0]
    reader = threading.Thread(target=_drain, args=(master, counter))
    reader.start()
    _, status, usage = os.wait4(pid, 0)
    reader.join(timeout=10)
    os.close(master)
    return Measure(name, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, counter[0],
                   os.waitstatus_to_exitcode(status))


class Fake:
    """The OpenAI fake in its own process, so its CPU is not counted against any client."""

    def __init__(self, tokens: int, shape: str = "prose") -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.openai_fake", "--bulk", str(tokens),
                                      "--shape", shape], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1"):
            raise SystemExit(f"the OpenAI fake did not start (got {self.base_url!r})")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def llm_python() -> Path | None:
    python = LLM_VENV / "bin" / "python"
    if (LLM_VENV / "bin" / "llm").exists():
        return python
    print(f"installing llm into {LLM_VENV} ...", file=sys.stderr)
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(LLM_VENV)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "llm"], check=True, timeout=600,
                       capture_output=True)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        last = detail.decode(errors="replace").strip().splitlines()[-1:] if detail else [str(exc)]
        print(f"llm: skipped, it could not be installed with pip ({' '.join(last)[:200]})", file=sys.stderr)
        return None
    return python


def llm_env(base_env: dict[str, str], base_url: str, home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "extra-openai-models.yaml").write_text(
        f"- model_id: fake\n  model_name: gpt-4o-mini\n  api_base: \"{base_url}\"\n  api_key_name: fake\n")
    (home / "keys.json").write_text('{"fake": "test-key"}')
    return {**base_env, "LLM_USER_PATH": str(home)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--skip-llm", action="store_true", help="do not try to install or run llm")
    parser.add_argument("--shapes", default="prose,structured", help="comma-separated: prose, structured")
    parser.add_argument("--runs", type=int, default=5, help="runs of each row; the median is shown")
    args = parser.parse_args()
    shapes = [shape.strip() for shape in args.shapes.split(",") if shape.strip()]

    tmp = Path(tempfile.mkdtemp(prefix="perspt-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PROXY") and not k.endswith("_proxy")}
    env.update({"XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config"),
                "XDG_STATE_HOME": str(tmp / "state"), "XDG_CACHE_HOME": str(tmp / "cache"),
                "OPENAI_API_KEY": "test-key", "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
                "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)})
    perspt = [sys.executable, "-m", "perspt_doctor", "-q", "Stream a long reply."]
    floor_argv = [sys.executable, "-c", FLOOR]
    runs: dict[str, list[Measure]] = {}
    k = f"{args.tokens // 1000}k"
    k2 = f"{args.tokens * 2 // 1000}k"
    python = None
    if "prose" in shapes:
        python = None if args.skip_llm else llm_python()
        if args.skip_llm:
            print("llm: skipped (--skip-llm)", file=sys.stderr)
    for shape in shapes:
        fake, double = Fake(args.tokens, shape), Fake(args.tokens * 2, shape)
        try:
            for _ in range(max(args.runs, 1)):
                env["OPENAI_BASE_URL"] = fake.base_url
                for measure in _one_round(shape, k, perspt, floor_argv, fake.base_url, env, python, tmp):
                    runs.setdefault(measure.name, []).append(measure)
                env["OPENAI_BASE_URL"] = double.base_url
                runs.setdefault(f"pty {shape} {k2}", []).append(run_pty(f"pty {shape} {k2}", perspt, env))
        finally:
            fake.close()
            double.close()
    results = [_median(measures) for measures in runs.values()]

    print(f"\nStreaming {args.tokens:,} tokens from the OpenAI fake (CPU = user + system of the client process;"
          f" the median of {max(args.runs, 1)} runs)")
    print(f"{'client':<26} {'CPU':>10} {'peak RSS':>11} {'output':>17}")
    for measure in results:
        print(measure.row())
    by_name = {m.name: m for m in results}
    print()
    if "prose" in shapes:
        pipe, tty, floor = by_name["perspt -> pipe"], by_name[f"pty prose {k}"], by_name[f"floor prose {k}"]
        llm = by_name.get("llm -> pipe")
        goal(f"perspt -> pipe CPU / floor, {k} tokens", _ratio(pipe, floor), "x", 1.35,
             note=f"{pipe.cpu_s:.2f} s, floor {floor.cpu_s:.2f} s" + (f", llm {llm.cpu_s:.1f} s" if llm else ""))
        goal(f"perspt -> pipe peak RSS, {k} tokens", pipe.rss_mb, "MB", 64,
             note=f"floor {floor.rss_mb:.0f} MB" + (f", llm {llm.rss_mb:.0f} MB" if llm else ""))
        goal(f"perspt -> pty (Markdown) CPU, {k} tokens", tty.cpu_s, "s", 4.0, note=f"floor {floor.cpu_s:.2f} s")
        goal("pty cost of 2x tokens / 1x", _ratio(by_name[f"pty prose {k2}"], tty), "x", 2.2)
    if "structured" in shapes:
        tty, floor = by_name[f"pty structured {k}"], by_name[f"floor structured {k}"]
        pipe = by_name["perspt structured -> pipe"]
        goal(f"structured Markdown on a pty, {k} tokens, CPU / floor", _ratio(tty, floor), "x", 3.0,
             note=f"{tty.cpu_s:.2f} s, floor {floor.cpu_s:.2f} s, of which rendering {tty.cpu_s - pipe.cpu_s:.2f} s"
                  f" (the pty row less perspt to a pipe)")
        goal(f"structured on a pty, {k2} / {k} tokens CPU", _ratio(by_name[f"pty structured {k2}"], tty), "x", 2.2,
             note=f"{by_name[f'pty structured {k2}'].cpu_s:.2f} s")
    return 0 if all(m.status == 0 for m in results) else 1


def _one_round(shape: str, k: str, perspt: list[str], floor_argv: list[str], base_url: str, env: dict[str, str],
               llm: Path | None, tmp: Path) -> list[Measure]:
    """One run of each row of `shape` at the base number of tokens."""
    measures = [run_pipe(f"floor {shape} {k}", [*floor_argv, base_url, "test-key"], env)]
    if shape == "prose":
        measures.append(run_pipe("perspt -> pipe", perspt, env))
        if llm is not None:
            measures.append(run_pipe("llm -> pipe", [str(llm), "-m", "llm", "-m", "fake", "Stream a long reply."],
                                     llm_env(env, base_url, tmp / "llm")))
    else:
        measures.append(run_pipe(f"perspt {shape} -> pipe", perspt, env))
    measures.append(run_pty(f"pty {shape} {k}", perspt, env))
    return measures


def _median(measures: list[Measure]) -> Measure:
    """The run with the median CPU (the upper one of an even count); a failed run is shown first."""
    failed = [m for m in measures if m.status != 0]
    return failed[0] if failed else sorted(measures, key=lambda m: m.cpu_s)[len(measures) // 2]


def _ratio(a: Measure, b: Measure) -> float:
    return a.cpu_s / b.cpu_s if b.cpu_s else float("inf")


if __name__ == "__main__":
    raise SystemExit(main())
