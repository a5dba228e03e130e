"""Where the copies of the failure classifier used to disagree: a proxy that refuses connections was the
proxy for `tcp.*`, the API host for the chat client, and an authentication failure for --test-connection.
With one classifier, all of them name the proxy, and the doctor command the client names reports it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.client.test_e2e import perspt
from tests.infra import certs, ports
from tests.infra.servers import http_server


def test_a_refused_proxy_is_the_proxy_for_the_client_the_connection_test_and_the_doctor() -> None:
    with ports.refusing_port() as port:
        proxy = f"127.0.0.1:{port}"
        env = {"OPENAI_API_KEY": "test-key", "HTTPS_PROXY": f"http://{proxy}", "PERSPT_RETRY_ATTEMPTS": "0"}
        client = perspt("-q", "hi", env=env)
        test = perspt("--test-connection", env=env)
        tcp = perspt("doctor", "--only", "tcp.*", "--json", env=env)
        line = next(line for line in client.stderr.splitlines() if line.startswith("Error"))
        doctor_command = re.search(r"diagnose: (perspt doctor .*)$", line)
        assert doctor_command is not None, line
        args = doctor_command.group(1).split()[2:]
        named = perspt("doctor", *[a.strip("'") for a in args], "--json", env=env)

    assert client.returncode == 1 and client.stdout == ""
    assert line.startswith(f"Error (network/proxy): openai: the proxy {proxy} refuses connections")
    assert "api.openai.com" not in line
    assert doctor_command.group(1) == "perspt doctor --only 'proxy.*'"

    assert test.returncode == 1
    assert f"[FAIL] Proxy           openai: the proxy {proxy} refuses connections" in test.stdout
    assert "[FAIL] Authentication" not in test.stdout and "--only 'auth.*'" not in test.stdout
    assert "diagnose: perspt doctor --only 'proxy.*'" in test.stdout
    assert "Connection test failed at Proxy." in test.stdout

    expected = {"kind": "proxy_refused", "layer": "proxy", "host": proxy}
    for run, check_id in ((named, "proxy.openai"), (tcp, "tcp.openai")):
        document = json.loads(run.stdout)
        check = next(c for c in document["checks"] if c["id"] == check_id)
        assert check["status"] == "fail", check
        assert proxy in check["summary"]
        cause = check["facts"]["cause"]
        assert {k: cause[k] for k in expected} == expected, check_id


def test_the_connection_tests_tls_step_names_the_cause_as_the_classifier_does(tmp_path: Path) -> None:
    with http_server(tls=certs.self_signed(tmp_path)) as server:
        env = {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": f"https://localhost:{server.port}/v1"}
        test = perspt("--test-connection", env=env)
    assert test.returncode == 1
    line = next(line for line in test.stdout.splitlines() if "[FAIL]" in line)
    assert line.startswith(f"  [FAIL] TLS             localhost:{server.port}: TLS certificate verification failed")
    assert "(verify code 18)" in line
    assert "hint: behind a TLS-inspecting proxy?" in test.stdout
    assert "diagnose: perspt doctor --provider openai --only 'tls.*'" in test.stdout
