"""A key the provider would never issue, sent to a server of the user's own that takes it (vLLM's `EMPTY`):
the client gets its reply, so the doctor must not say the key fails and skip asking the server. It warns
on the key and `auth.openai` asks the server, which accepts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
