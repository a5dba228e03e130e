"""A reply that cannot be shown: its reader went away (`perspt -q ... | head`), the disk is full, or the
command was started with its standard output closed. The reply stops at once, what arrived is kept in
the history, and the user sees one line at most: never a traceback, never a complaint from asyncio about
a stream left open. The subprocess timeouts are hang bounds, not performance assertions."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import FakeServer
from tests.fakes.slow_streams import EndlessFake, SlowFake
from tests.reliability.clienv import Home, last_reply, make_home

HANG_BOUND = 30.0


@pytest.fixture()
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return make_home(tmp_path_factory.mktemp("output-home"))


def _config(home: Home, base_url: str) -> str:
    path = home.root / "config.json"
    path.write_text(json.dumps({"provider": "openai", "model": "gpt-4o-mini", "base_url": base_url,
                                "api_key": "test-key", "retry_attempts": 0, "timeout": 5,
                                "network": {"reply_timeout": 600}}), encoding="utf-8")
    return str(path)


def _ask(home: Home, config: str) -> list[str]:
    return [sys.executable, "-m", "perspt_doctor", "--config", config, "-q", "Hello"]


def _chat_requests(fake: FakeServer) -> int:
    return sum("chat/completions" in request.path for request in fake.requests)


def test_a_reader_that_goes_away_ends_an_endless_reply_quietly_and_it_is_kept(home: Home) -> None:
    """`perspt -q ... | head -c 20`: the reply never ends on its own, so only noticing the closed pipe ends
    the command. click's status for a closed pipe (1), and nothing on stderr."""
    with EndlessFake() as endless:
        proc = subprocess.Popen(_ask(home, _config(home, endless.base_url)), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=home.env, cwd=home.root)
        try:
            assert proc.stdout is not None
            shown = proc.stdout.read(20)
            proc.stdout.close()
            _out, err = proc.communicate(timeout=HANG_BOUND)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        requests = _chat_requests(endless)
    assert shown.split()[0] == b"tok", shown
    assert proc.returncode == 1, (proc.returncode, err)
    assert err == b"", err.decode(errors="replace")
    kept = last_reply(home)
    assert kept["status"] == "interrupted", kept
    assert kept["content"].strip().startswith(shown.decode().strip()), kept
    assert requests == 1


def test_a_full_disk_is_one_error_line_and_the_reply_is_kept(home: Home) -> None:
    fake = SlowFake()
    fake.interval = 0.06  # longer than the plain sink's flush interval: the first flush fails mid-reply
    fake.start()
    try:
        with open("/dev/full", "wb") as full:
            ran = subprocess.run(_ask(home, _config(home, fake.base_url)), stdin=subprocess.DEVNULL, stdout=full,
                                 stderr=subprocess.PIPE, text=True, env=home.env, cwd=home.root,
                                 timeout=HANG_BOUND)
        requests = _chat_requests(fake)
    finally:
        fake.stop()
    assert ran.returncode == 1, ran.stderr
    assert ran.stderr.splitlines() == [
        "Error: could not write the reply to standard output: No space left on device",
        "Hint: what arrived is kept in the history: `perspt history show last`"], ran.stderr
    kept = last_reply(home)
    assert kept["status"] == "interrupted", kept
    tokens = kept["content"].split()
    assert tokens and tokens == [f"t{n}" for n in range(1, len(tokens) + 1)] and len(tokens) < SlowFake.count, kept
    assert requests == 1, "a reply that could not be shown is not asked again, nor of a fallback"


def test_started_with_standard_output_closed_it_asks_nothing(home: Home) -> None:
    fake = OpenAIFake()
    fake.start()
    try:
        ran = subprocess.run(["bash", "-c", 'exec "$@" >&-', "bash", *_ask(home, _config(home, fake.base_url))],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, env=home.env, cwd=home.root,
                             timeout=HANG_BOUND)
        requests = _chat_requests(fake)
    finally:
        fake.stop()
    assert ran.returncode == 1, ran.stderr
    assert ran.stderr.startswith("Error: standard output is closed: the reply would have nowhere to go"), ran.stderr
    assert "Traceback" not in ran.stderr
    assert requests == 0
