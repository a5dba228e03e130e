"""Hints name the party really at fault and the setting really in force (issue 13, item 7), through the CLI
against loopback fakes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.client.test_e2e import perspt
from tests.fakes.openai_fake import openai_fake
from tests.infra import ports


def _error(stderr: str) -> str:
    return "\n".join(line for line in stderr.splitlines() if line.startswith(("Error", "Hint")))


def test_a_500_from_a_base_url_on_loopback_names_that_server_not_openai() -> None:
    with openai_fake() as fake:
        fake.fail("server_error", times=5)
        run = perspt("-q", "hi", env={"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url,
                                      "PERSPT_RETRY_ATTEMPTS": "0"})
        where = f"127.0.0.1:{fake.port}"
    text = _error(run.stderr)
    assert run.returncode == 1, run.stderr
    assert f"a fault in the server at {where}" in text, text
    assert "status.openai.com" not in text and "a fault at OpenAI" not in text


def test_a_refused_ollama_inside_a_container_names_the_hosts_ollama() -> None:
    with ports.refusing_port() as port:
        run = perspt("--provider-type", "ollama", "-q", "hi",
                     env={"OLLAMA_HOST": f"127.0.0.1:{port}", "container": "docker", "PERSPT_RETRY_ATTEMPTS": "0"})
    text = _error(run.stderr)
    assert run.returncode == 1
    assert "inside a docker container" in text, text
    assert "0.0.0.0" in text and "host.docker.internal" in text


def test_history_import_of_a_bad_file_names_the_files_problem(tmp_path: Path) -> None:
    bad = tmp_path / "export.json"
    bad.write_text(json.dumps({"format": "perspt-history", "version": 1,
                               "conversations": [{"messages": [{"role": "wizard", "content": "x"}]}]}))
    run = perspt("history", "import", str(bad))
    assert run.returncode == 2
    assert f"Error: {bad}: conversations[0].messages[0].role: expected system, user or assistant" in run.stderr
    assert "disk.*" not in run.stderr and "perspt history export" in run.stderr


def test_the_first_byte_of_a_stream_is_bounded_by_timeout_and_named() -> None:
    with openai_fake() as fake:
        fake.fail("delay", interval=3)  # nothing for 3 s: past `timeout` (1), within `stream_timeout` (10)
        run = perspt("-q", "hi", env={"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url,
                                      "PERSPT_TIMEOUT": "1", "PERSPT_STREAM_TIMEOUT": "10",
                                      "PERSPT_RETRY_ATTEMPTS": "0"})
    text = _error(run.stderr)
    assert run.returncode == 1, run.stderr
    assert "no reply began within 1 s (`timeout`)" in text, text
    assert "raise `timeout`" in text and "stream_timeout" not in text


def test_a_stalled_stream_names_stream_timeout() -> None:
    with openai_fake() as fake:
        fake.fail("pause", after=2, interval=3)  # quiet for 3 s after two events: past `stream_timeout` (1)
        run = perspt("-q", "hi", env={"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url,
                                      "PERSPT_TIMEOUT": "10", "PERSPT_STREAM_TIMEOUT": "1",
                                      "PERSPT_RETRY_ATTEMPTS": "0"})
    text = _error(run.stderr)
    assert run.returncode == 1, run.stderr
    assert "nothing arrived for 1 s (`stream_timeout`)" in text, text
    assert "raise `stream_timeout`" in text
