"""Streams without end and signals in the middle of a reply (issue 14, items 3 and 4).

A server that drips a byte at a time, or never stops sending, is cut at `network.reply_timeout` (the
total for one reply, named in the error); one that goes quiet is cut at `stream_timeout` (the idle limit
between bytes). SIGTERM and SIGHUP keep the partial reply exactly as Ctrl+C does, and exit 143 and 129.
The subprocess timeouts are hang bounds (correctness), not performance assertions."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.slow_streams import EndlessFake, SlowFake
from tests.foreground import foreground
from tests.reliability.clienv import Home, last_reply, make_home, perspt

STARTUP_SLACK = 20.0
"""Interpreter start-up and the error path on a loaded machine."""


@pytest.fixture()
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return make_home(tmp_path_factory.mktemp("stream-home"))


@pytest.fixture()
def endless() -> Iterator[EndlessFake]:
    fake = EndlessFake()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture()
def normal() -> Iterator[OpenAIFake]:
    fake = OpenAIFake()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def _config(home: Home, base_url: str, **network: Any) -> str:
    stream_timeout = network.pop("stream_timeout", 5)
    path = home.root / "stream.json"
    path.write_text(json.dumps({
        "provider": "openai", "model": "gpt-4o-mini", "base_url": base_url, "api_key": "test-key",
        "retry_attempts": 0, "timeout": 5, "stream_timeout": stream_timeout, "network": network}), encoding="utf-8")
    return str(path)


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error")]


def test_an_endless_stream_is_cut_at_the_reply_timeout_and_what_came_is_kept(home: Home,
                                                                            endless: EndlessFake) -> None:
    config = _config(home, endless.base_url, reply_timeout=1.5)
    ran = perspt(home, "--config", config, "-q", "Hello", timeout=1.5 + STARTUP_SLACK)
    assert ran.returncode == 1, ran.output
    errors = _error_lines(ran.stderr)
    assert len(errors) == 1 and "network.reply_timeout" in errors[0], ran.stderr
    assert "Traceback" not in ran.stderr
    assert ran.stdout.strip().startswith("tok")
    kept = last_reply(home)
    assert kept["status"] == "error" and kept["content"].strip() == ran.stdout.strip()


def test_a_server_dripping_a_byte_at_a_time_is_cut_at_the_reply_timeout(home: Home, normal: OpenAIFake) -> None:
    normal.fail("drip", path="/chat", interval=0.2, times=5)
    config = _config(home, normal.base_url, reply_timeout=1.5, stream_timeout=1)
    ran = perspt(home, "--config", config, "-q", "Hello", timeout=1.5 + STARTUP_SLACK)
    assert ran.returncode == 1, ran.output
    errors = _error_lines(ran.stderr)
    assert len(errors) == 1 and "network.reply_timeout" in errors[0], ran.stderr
    assert len([r for r in normal.requests if "chat" in r.path]) == 1, "a reply that ran out of time is not retried"


def test_a_quiet_server_is_cut_at_the_idle_limit_not_the_total(home: Home, normal: OpenAIFake) -> None:
    normal.fail("drip", path="/chat", interval=5, times=5)
    config = _config(home, normal.base_url, reply_timeout=600, stream_timeout=1)
    ran = perspt(home, "--config", config, "-q", "Hello", timeout=1 + STARTUP_SLACK)
    assert ran.returncode == 1, ran.output
    errors = _error_lines(ran.stderr)
    assert len(errors) == 1 and errors[0].startswith("Error (network/"), ran.stderr
    assert "reply_timeout" not in errors[0]


def test_a_steady_reply_within_the_limit_is_untouched(home: Home, normal: OpenAIFake) -> None:
    config = _config(home, normal.base_url, reply_timeout=30)
    ran = perspt(home, "--config", config, "-q", "Hello")
    assert ran.returncode == 0, ran.output
    assert ran.stdout.strip() == normal.reply.strip()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_in_the_middle_of_a_reply_keeps_the_partial_reply(home: Home, endless: EndlessFake,
                                                                   signum: int) -> None:
    config = _config(home, endless.base_url, reply_timeout=600)
    code, shown, err = _signal_mid_reply(home, foreground(sys.executable, "-m", "perspt_doctor", "--config", config,
                                                          "-q", "Hello"), b"tok", signum)
    assert code == 128 + signum, (code, err)
    assert b"partial reply is kept" in err, err
    assert b"Traceback" not in err
    kept = last_reply(home)
    assert kept["status"] == "interrupted"
    assert kept["content"].strip().startswith("tok")
    assert kept["content"].strip() == shown.decode().strip()


def _signal_mid_reply(home: Home, argv: list[str], marker: bytes, signum: int) -> tuple[int, bytes, bytes]:
    """Run `argv`, send `signum` once `marker` is on its stdout: (exit status, all of stdout, stderr)."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=home.env, cwd=home.root)
    try:
        assert proc.stdout is not None
        received = _read_until(proc.stdout, marker, bound=STARTUP_SLACK)
        assert marker in received, "the reply never started"
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=STARTUP_SLACK)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, received + out, err


def _read_until(stream: Any, marker: bytes, bound: float) -> bytes:
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    got = b""
    ends = time.monotonic() + bound
    while marker not in got and time.monotonic() < ends:
        if selector.select(timeout=0.5):
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                break
            got += chunk
    selector.close()
    return got


@pytest.mark.parametrize(("start", "signum"),
                         [(("nohup",), signal.SIGHUP), (("env", "--ignore-signal=INT"), signal.SIGINT)],
                         ids=["nohup-SIGHUP", "background-job-SIGINT"])
def test_a_signal_ignored_at_start_stays_ignored_during_a_reply(home: Home, start: tuple[str, ...],
                                                                signum: int) -> None:
    """`nohup perspt -q ...` outlives the terminal; a script's background command (started with Ctrl+C
    ignored, as shells do) is not stopped by the Ctrl+C meant for the script. The reply goes on to its end."""
    fake = SlowFake()
    fake.start()
    try:
        config = _config(home, fake.base_url, reply_timeout=600)
        code, shown, err = _signal_mid_reply(home, [*start, sys.executable, "-m", "perspt_doctor", "--config", config,
                                                    "-q", "Hello"], b"t1", signum)
    finally:
        fake.stop()
    assert code == 0, (code, err)
    assert shown.split() == [f"t{n}".encode() for n in range(1, SlowFake.count + 1)], shown
    assert b"interrupted" not in err and b"stopped by" not in err, err
    assert last_reply(home)["status"] != "error"
