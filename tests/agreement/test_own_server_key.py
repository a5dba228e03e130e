"""A key the provider would never issue, sent to a server of the user's own that takes it (vLLM's `EMPTY`):
the client gets its reply, so the doctor must not say the key fails and skip asking the server. It warns
on the key and `auth.openai` asks the server, which accepts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.fakes.openai_fake import OpenAIFake


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, env=env)


def test_the_doctor_agrees_with_the_client_on_a_key_only_the_users_server_takes() -> None:
    with OpenAIFake() as fake:
        fake.api_key = "EMPTY"
        env = {**os.environ, "OPENAI_API_KEY": "EMPTY", "OPENAI_BASE_URL": fake.base_url,
               "PERSPT_RETRY_ATTEMPTS": "0"}
        client = _run("-q", "hi", env=env)
        doctor = _run("doctor", "--json", "--provider", "openai", "--only", "keys.*", "--only", "auth.*", env=env)
    assert client.returncode == 0, client.stderr
    rows = {row["id"]: row for row in json.loads(doctor.stdout)["checks"]}
    assert rows["keys.openai"]["status"] == "warn", rows["keys.openai"]
    assert rows["auth.openai"]["status"] == "ok", rows["auth.openai"]
    assert doctor.returncode == 0, doctor.stderr


@pytest.mark.parametrize(("key", "what"), [("test-key\r", "a carriage return at its end"),
                                           ("test-key ", "a space at its end"),
                                           (" test-key", "a space at its start"),
                                           ("test\u2011key", "a character that is not ASCII (U+2011) at character 5")],
                         ids=["CR", "trailing-space", "leading-space", "non-breaking-hyphen"])
def test_a_key_that_cannot_be_sent_fails_in_both_even_at_the_users_server(key: str, what: str) -> None:
    """The key the fake takes, spoilt by a copying accident. The client refuses it before any request, and
    the doctor's key check fails with the same words, so `auth.openai` is skipped as blocked. Before, the
    doctor took `test-key\\r` for a mere placeholder (a warning at the user's server) and `auth.openai`
    crashed on the client's refusal; a trailing space reached the wire, where h11 refused the header, which
    was reported as the server breaking the HTTP protocol, and retried."""
    with OpenAIFake() as fake:
        fake.api_key = "test-key"
        env = {**os.environ, "OPENAI_API_KEY": key, "OPENAI_BASE_URL": fake.base_url}
        client = _run("-q", "hi", env=env)
        doctor = _run("doctor", "--json", "--provider", "openai", "--only", "keys.*", "--only", "auth.*", env=env)
        chat_requests = [r for r in fake.requests if "chat/completions" in r.path]
    assert client.returncode == 2, client.stderr
    assert f"the API key contains {what}" in client.stderr and "cannot be sent" in client.stderr, client.stderr
    assert chat_requests == []
    rows = {row["id"]: row for row in json.loads(doctor.stdout)["checks"]}
    assert rows["keys.openai"]["status"] == "fail", rows["keys.openai"]
    assert f"contains {what}" in rows["keys.openai"]["summary"], rows["keys.openai"]
    assert rows["auth.openai"]["status"] == "skip" and "blocked by keys.openai" in rows["auth.openai"]["summary"]
