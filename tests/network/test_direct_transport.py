"""The async client's direct transport loads the CA certificates on its first HTTPS request, never for
plain http: a CA file that exists but holds no certificate does not stop a request to a local http
server, and fails the first HTTPS request with the same configuration error the doctor reports."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from perspt_doctor.transport import factory, trust
from perspt_doctor.transport.trust import TransportConfigError
from tests.infra import certs
from tests.infra.servers import Reply, http_server


async def _get(client: httpx.AsyncClient, url: str) -> int:
    async with client:
        return (await client.get(url)).status_code


def test_plain_http_needs_no_certificates(make_settings: Any, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    settings = make_settings({}, env={"SSL_CERT_FILE": str(garbage)})
    loads: list[object] = []
    real = trust._client_context
    monkeypatch.setattr(trust, "_client_context", lambda plan: loads.append(plan) or real(plan))
    with http_server(Reply.json(200, {})) as server:
        client = factory.build_async_client(settings, total_timeout=5)
        assert asyncio.run(_get(client, f"http://127.0.0.1:{server.port}/")) == 200
    assert loads == []


def test_the_first_https_request_reports_an_unusable_ca_file(make_settings: Any, tmp_path: Path,
                                                             infra_dir: Path, test_ca: certs.Authority) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    settings = make_settings({}, env={"SSL_CERT_FILE": str(garbage)})
    with http_server(Reply.json(200, {}), tls=certs.valid(infra_dir, test_ca)) as server:
        client = factory.build_async_client(settings, total_timeout=5)
        with pytest.raises(TransportConfigError) as caught:
            asyncio.run(_get(client, f"https://localhost:{server.port}/"))
    assert "holds no usable PEM certificates" in caught.value.message
    assert caught.value.setting == "SSL_CERT_FILE"


def test_a_missing_ca_file_is_an_error_when_the_client_is_built(make_settings: Any, tmp_path: Path) -> None:
    settings = make_settings({"network": {"ca_bundle": str(tmp_path / "gone.pem")}})
    with pytest.raises(TransportConfigError) as caught:
        factory.build_async_client(settings)
    assert "does not exist" in caught.value.message and caught.value.setting == "network.ca_bundle"


def test_https_after_http_on_one_client_is_verified(make_settings: Any, infra_dir: Path,
                                                    test_ca: certs.Authority) -> None:
    trusted = make_settings({"network": {"ca_bundle": str(test_ca.pem)}})
    untrusted = make_settings({"network": {"trust_store": "certifi"}})

    async def both(client: httpx.AsyncClient, plain: int, tls: int) -> tuple[int, int]:
        async with client:
            first = (await client.get(f"http://127.0.0.1:{plain}/")).status_code
            second = (await client.get(f"https://localhost:{tls}/")).status_code
            return first, second

    with http_server(Reply.json(200, {})) as plain, \
            http_server(Reply.json(200, {}), tls=certs.valid(infra_dir, test_ca)) as tls:
        assert asyncio.run(both(factory.build_async_client(trusted, total_timeout=5), plain.port, tls.port)) == (
            200, 200)
        with pytest.raises(httpx.ConnectError) as caught:
            asyncio.run(both(factory.build_async_client(untrusted, total_timeout=5), plain.port, tls.port))
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
