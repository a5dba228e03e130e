"""The CA variables of requests and curl (`REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`) are honoured when
`SSL_CERT_FILE` is unset, by the client and by `tls.*` alike, and `config show` names the one in effect."""

from __future__ import annotations

import json
from pathlib import Path

import certifi
import pytest

from tests.client.test_e2e import perspt
from tests.fakes.openai_fake import OpenAIFake
from tests.infra import certs

VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def _full_bundle(directory: Path, ca: certs.Authority) -> Path:
    """What a company hands out: the public CAs plus its own root."""
    bundle = directory / "company-bundle.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes() + b"\n" + ca.pem.read_bytes())
    return bundle


@pytest.mark.parametrize("variable", VARIABLES)
def test_the_client_and_tls_check_trust_a_ca_given_as(variable: str, infra_dir: Path, test_ca: certs.Authority,
                                                     tmp_path: Path) -> None:
    bundle = _full_bundle(tmp_path, test_ca)
    fake = OpenAIFake().start(tls=certs.valid(infra_dir, test_ca))
    try:
        env = {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url, variable: str(bundle),
               "SSL_CERT_FILE": "", "PERSPT_RETRY_ATTEMPTS": "0"}
        client = perspt("-q", "hi", env=env)
        doctor = perspt("doctor", "--only", "tls.*", "--json", env=env)
        shown = perspt("config", "show", "--json", env=env)
    finally:
        fake.stop()
    assert env["OPENAI_BASE_URL"].startswith("https://localhost:")
    assert client.returncode == 0, client.stderr
    assert client.stdout == "Hello! How can I help you today?\n"
    check = next(c for c in json.loads(doctor.stdout)["checks"] if c["id"] == "tls.openai")
    assert check["status"] == "ok", check
    assert check["facts"]["verification"]["perspt"] == "ok"
    assert check["facts"]["verification"][variable] == "ok"
    assert check["facts"]["ca_variable"] == {"name": variable, "path": str(bundle), "in_effect": True}
    assert f"trust: {variable} ({bundle})" in check["summary"]
    trust = json.loads(shown.stdout)["settings"]["CA certificates"]
    assert trust["value"] == f"{variable} ({bundle})"
    assert trust["origin"].startswith(f"environment variable {variable} (SSL_CERT_FILE")


def test_ssl_cert_file_wins_over_requests_ca_bundle(infra_dir: Path, test_ca: certs.Authority,
                                                    tmp_path: Path) -> None:
    bundle = _full_bundle(tmp_path, test_ca)
    fake = OpenAIFake().start(tls=certs.valid(infra_dir, test_ca))
    try:
        env = {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url, "REQUESTS_CA_BUNDLE": str(bundle),
               "SSL_CERT_FILE": certifi.where(), "PERSPT_RETRY_ATTEMPTS": "0"}
        client = perspt("-q", "hi", env=env)
        shown = perspt("config", "show", env=env)
    finally:
        fake.stop()
    assert client.returncode == 1
    assert "verify code 20" in client.stderr or "verif" in client.stderr
    line = next(line for line in shown.stdout.splitlines() if "CA certificates" in line)
    assert f"SSL_CERT_FILE ({certifi.where()})" in line and "environment variable SSL_CERT_FILE" in line
