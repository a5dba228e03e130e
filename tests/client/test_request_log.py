"""The client's failed requests reach the log (issue 13 item 9): an ERROR record per failure with the
cause's kind, the provider, the endpoint, the status and the duration, redacted; at `trace` one record per
API call without bodies or keys; and `perspt report` then shows those errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from perspt_doctor import paths
from tests.fakes.openai_fake import OpenAIFake, openai_fake

KEY = "sk-proj-" + "Q7" * 24


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake(api_key=KEY) as server:
        yield server


def perspt(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **env})


def client_env(fake: OpenAIFake, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"provider": "openai", "retry_attempts": 0, "max_retries": 0}))
    return {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake.base_url, "PERSPT_CONFIG_FILE_FOR_TEST": str(config)}


FAILURES = [("auth", "auth", "401"), ("rate_limit", "rate_limit", "429"), ("overloaded", "overloaded", "503"),
            ("quota", "quota", "429")]


def test_every_failed_request_is_an_error_record(fake: OpenAIFake, tmp_path: Path) -> None:
    env = client_env(fake, tmp_path)
    for fault, _kind, _status in FAILURES:
        fake.clear_faults()
        fake.fail(fault, times=5)
        done = perspt("-q", "hello", "--config", env["PERSPT_CONFIG_FILE_FOR_TEST"], env=env)
        assert done.returncode != 0, done.stdout
    log = paths.log_file().read_text()
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert len(errors) == len(FAILURES), log
    for (_fault, kind, status), line in zip(FAILURES, errors, strict=True):
        assert f"kind={kind} " in line and "provider=openai" in line and f"status={status}" in line, line
        assert f"endpoint={fake.base_url}" in line and "duration=" in line, line
    assert KEY not in log and KEY[-6:] not in log
    report = perspt("report", "-o", "-", "--offline", "--config", env["PERSPT_CONFIG_FILE_FOR_TEST"], env=env)
    assert "Last errors in the log" in report.stdout and "none found" not in report.stdout, report.stdout[-2000:]
    assert "kind=auth" in report.stdout and "kind=quota" in report.stdout


def test_trace_records_every_api_call(fake: OpenAIFake, tmp_path: Path) -> None:
    env = client_env(fake, tmp_path)
    done = perspt("-q", "hello", "--config", env["PERSPT_CONFIG_FILE_FOR_TEST"], "--log-level", "trace", env=env)
    assert done.returncode == 0, done.stderr
    log = paths.log_file().read_text()
    calls = [line for line in log.splitlines() if "api call:" in line]
    assert calls and all(" TRACE " in line for line in calls), log
    assert any(f"POST {fake.base_url}/chat/completions -> 200 in " in line for line in calls), calls
    assert KEY not in log and "hello" not in "\n".join(calls)


def test_no_api_call_records_below_trace(fake: OpenAIFake, tmp_path: Path) -> None:
    env = client_env(fake, tmp_path)
    done = perspt("-q", "hello", "--config", env["PERSPT_CONFIG_FILE_FOR_TEST"], env=env)
    assert done.returncode == 0, done.stderr
    assert "api call:" not in paths.log_file().read_text()
