"""A wait before a retry is shown on stderr, one line per retry in a pipe and a live line on a terminal;
Ctrl+C during the wait cancels it (exit 130, no traceback)."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from perspt_doctor.client.waiting import ERASE, RetryDisplay
from perspt_doctor.providers.errors import RateLimitError, ServerError
from perspt_doctor.providers.retry import RetryWait
from tests.client.clirun import chat_bodies, openai_env, perspt
from tests.fakes.openai_fake import OpenAIFake, openai_fake
from tests.foreground import foreground

REPLY = "Hello! How can I help you today?"


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


@pytest.mark.parametrize("stream", ["--stream", "--no-stream"])
def test_a_rate_limit_wait_is_one_line_in_a_pipe(fake: OpenAIFake, stream: str) -> None:
    fake.fail("rate_limit", retry_after=1)
    result = perspt(stream, "-q", "hi", env=openai_env(fake))
    assert result.returncode == 0, result.stderr
    assert result.stdout == REPLY + "\n"
    assert "perspt: rate limited by openai; retrying in 1 s (1/2)\n" in result.stderr
    assert ERASE not in result.stderr
    assert len(chat_bodies(fake)) == 2


def test_each_server_error_retry_gets_its_line(fake: OpenAIFake) -> None:
    fake.fail("server_error", times=2)
    result = perspt("-q", "hi", env=openai_env(fake))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "retrying" in line]
    assert len(lines) == 2
    for number, line in enumerate(lines, start=1):
        assert re.fullmatch(rf"perspt: openai answered 500; retrying in [0-9.]+ s \({number}/2\)", line), line


def test_no_line_when_nothing_is_retried(fake: OpenAIFake) -> None:
    result = perspt("-q", "hi", env=openai_env(fake))
    assert result.returncode == 0 and "retrying" not in result.stderr


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_line_counts_down_and_is_erased() -> None:
    screen = TTY()
    wait = RetryWait("openai", RateLimitError("slow down", provider="openai", status=429), 0.25, 1, 2)
    asyncio.run(RetryDisplay(screen, tick=0.1).wait(wait))
    written = screen.getvalue()
    assert written.startswith(f"{ERASE}perspt: rate limited by openai; retrying in 0.2 s (1/2)")
    assert written.endswith(ERASE) and "\n" not in written
    assert written.count(ERASE) >= 3  # at least two updates, then the erase


def test_the_line_names_the_reason() -> None:
    server = RetryWait("anthropic", ServerError("boom", provider="anthropic", status=503), 2.0, 2, 3)
    assert server.line() == "anthropic answered 503; retrying in 2 s (2/3)"
    assert server.line(1.2) == "anthropic answered 503; retrying in 2 s (2/3)"
    assert server.line(0.95) == "anthropic answered 503; retrying in 0.9 s (2/3)"


def test_ctrl_c_during_the_wait_cancels_it(fake: OpenAIFake) -> None:
    fake.fail("rate_limit", retry_after=30)
    proc = subprocess.Popen(foreground(sys.executable, "-m", "perspt_doctor", "-q", "hi"), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **openai_env(fake)})
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "rate limited by openai; retrying in 30 s (1/2)" in line, line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and out == ""
    assert len(chat_bodies(fake)) == 1
