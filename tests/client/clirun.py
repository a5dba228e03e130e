"""Running `perspt` as a user would: a real process, its output, against the loopback fakes."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.fakes.openai_fake import OpenAIFake


def perspt(*args: str, env: dict[str, str] | None = None, stdin: str | bytes = "",
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`perspt ARGS` with `stdin` piped in (empty by default: a pipe that ends at once)."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run([sys.executable, "-m", "perspt_doctor", *args], input=data, capture_output=True,
                          timeout=timeout, env={**os.environ, **(env or {})})
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode("utf-8", "replace"),
                                       done.stderr.decode("utf-8", "replace"))


def openai_env(fake: OpenAIFake, **extra: str) -> dict[str, str]:
    return {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url, **extra}


def chat_bodies(fake: OpenAIFake) -> list[dict[str, object]]:
    """Every chat request the fake received, as JSON, oldest first."""
    return [r.json for r in fake.requests if r.path.endswith("chat/completions") and isinstance(r.json, dict)]
