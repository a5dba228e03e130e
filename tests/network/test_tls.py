"""tls.<provider> against real TLS servers on loopback with trustme certificates."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from checks.tls import tls_verify
from perspt_doctor.api import Result, Status
from tests.infra import certs, ports, proxies
from tests.infra.servers import Server, http_server
from tests.network.conftest import run_check


@contextmanager
def serving(context: ssl.SSLContext | None, **kw: Any) -> Iterator[Server]:
    with http_server(tls=context, **kw) as server:
        yield server


def _check(make_settings: Any, server: Server | str, *, env: dict[str, str] | None = None,
           **network: Any) -> Result:
    url = server if isinstance(server, str) else f"https://localhost:{server.port}/v1"
    settings = make_settings({"provider": "openai", "provider_endpoints": {"openai": url},
                              "network": {"connect_timeout": 2, **network}}, env=env)
    return run_check(tls_verify, settings, "openai")


def test_valid_under_a_configured_bundle(make_settings: Any, infra_dir: Path, test_ca: certs.Authority) -> None:
    with serving(certs.valid(infra_dir, test_ca)) as server:
        result = _check(make_settings, server, ca_bundle=str(test_ca.pem))
    assert result.status is Status.OK, result
    assert result.facts["verification"]["perspt"] == "ok"
    assert result.facts["verification"]["certifi"].startswith("fails")
    assert result.facts["verification"]["ca_bundle"] == "ok"
    assert "certifi alone does not trust" in result.details[0]


def test_expired(make_settings: Any, infra_dir: Path, test_ca: certs.Authority) -> None:
    with serving(certs.expired(infra_dir, test_ca)) as server:
        result = _check(make_settings, server, ca_bundle=str(test_ca.pem))
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "expired" and result.facts["verify_code"] == 10
    assert "expired on" in result.summary
    assert result.hint and "renewed" in result.hint


def test_not_yet_valid(make_settings: Any, infra_dir: Path, test_ca: certs.Authority) -> None:
    with serving(certs.not_yet_valid(infra_dir, test_ca)) as server:
        result = _check(make_settings, server, ca_bundle=str(test_ca.pem))
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "not-yet-valid" and result.facts["verify_code"] == 9
    assert "not valid before" in result.summary


def test_clock_skew_against_the_server_date(make_settings: Any, infra_dir: Path, test_ca: certs.Authority) -> None:
    # The certificate starts in 2 days; the server's clock is 3 days ahead of ours, so ours is wrong.
    with serving(certs.not_yet_valid(infra_dir, test_ca, days=2), clock_offset=3 * 86400) as server:
        result = _check(make_settings, server, ca_bundle=str(test_ca.pem))
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "clock-skew"
    assert result.facts["clock_skew_s"] == pytest.approx(-3 * 86400, abs=120)
    assert "clock is 3.0 days behind" in result.summary
    assert result.hint and "timedatectl set-ntp true" in result.hint


def test_wrong_host(make_settings: Any, infra_dir: Path, test_ca: certs.Authority) -> None:
    with serving(certs.wrong_host(infra_dir, test_ca)) as server:
        result = _check(make_settings, server, ca_bundle=str(test_ca.pem))
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "hostname-mismatch" and result.facts["verify_code"] == 62
    assert "api.elsewhere.invalid, not localhost" in result.summary
    assert result.hint and "dns.*" in result.hint


def test_self_signed(make_settings: Any, infra_dir: Path) -> None:
    with serving(certs.self_signed(infra_dir)) as server:
        result = _check(make_settings, server)
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "self-signed"
    assert "self-signed" in result.summary
    assert result.hint and "network.ca_bundle" in result.hint


def test_missing_intermediate(make_settings: Any, infra_dir: Path, test_ca: certs.Authority) -> None:
    with serving(certs.missing_intermediate(infra_dir, test_ca)) as server:
        result = _check(make_settings, server, ca_bundle=str(test_ca.pem))
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "missing-intermediate" and result.facts["verify_code"] == 20
    assert "intermediate" in result.summary
    assert result.hint and "full chain" in result.hint


def test_interception_by_a_named_product(make_settings: Any, infra_dir: Path) -> None:
    zscaler = certs.authority(infra_dir, "zscaler", organization="Zscaler Inc.")
    with serving(certs.intercepting(infra_dir, zscaler)) as server:
        result = _check(make_settings, server)
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "interception"
    assert result.facts["inspection_product"] == "Zscaler"
    assert result.facts["verify_code"] == 19
    assert "intercepted" in result.summary and "Zscaler" in result.summary
    assert result.hint and "network.ca_bundle" in result.hint


def test_interception_trusted_elsewhere_names_the_setting(make_settings: Any, infra_dir: Path) -> None:
    corp = certs.authority(infra_dir, "corp", organization="Example Corp TLS Inspection")
    with serving(certs.intercepting(infra_dir, corp)) as server:
        result = _check(make_settings, server, trust_store="certifi", env={"SSL_CERT_FILE": str(corp.pem)})
    assert result.status is Status.FAIL
    assert result.facts["verification"]["SSL_CERT_FILE"] == "ok"
    assert "trusted by SSL_CERT_FILE" in result.summary
    assert result.hint and "network.ca_bundle" in result.hint


def test_ssl_cert_file_missing(make_settings: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    result = _check(make_settings, "https://localhost:1/v1", env={"SSL_CERT_FILE": str(missing)})
    assert result.status is Status.FAIL
    assert f"SSL_CERT_FILE points at {missing}, which does not exist" == result.summary
    assert result.hint and "unset SSL_CERT_FILE" in result.hint


def test_ssl_cert_file_unreadable(make_settings: Any, tmp_path: Path) -> None:
    directory = tmp_path / "ca-dir"
    directory.mkdir()
    result = _check(make_settings, "https://localhost:1/v1", env={"SSL_CERT_FILE": str(directory)})
    assert result.status is Status.FAIL
    assert "SSL_CERT_FILE" in result.summary and "is a directory, not a regular file" in result.summary


def test_ssl_cert_file_that_is_not_a_full_bundle(make_settings: Any, infra_dir: Path,
                                                 test_ca: certs.Authority) -> None:
    with serving(certs.valid(infra_dir, test_ca)) as server:
        result = _check(make_settings, server, env={"SSL_CERT_FILE": str(test_ca.pem)})
    assert result.status is Status.WARN
    assert "holds only 1 certificate" in result.summary
    assert result.hint and "network.ca_bundle" in result.hint


def test_plain_http_endpoint_is_skipped(make_settings: Any) -> None:
    assert _check(make_settings, "http://127.0.0.1:11434").status is Status.SKIP


def test_https_to_a_plain_http_port(make_settings: Any) -> None:
    with http_server() as plain:
        result = _check(make_settings, f"https://localhost:{plain.port}/v1")
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "tls_protocol"
    assert result.hint and f"http://localhost:{plain.port}" in result.hint


def test_handshake_that_never_completes(make_settings: Any) -> None:
    with ports.silent_listener() as port:
        result = _check(make_settings, f"https://localhost:{port}/v1", connect_timeout=0.5)
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "connect_timeout"
    assert "timed out" in result.summary


def test_through_tinyproxy_connect(make_settings: Any, infra_dir: Path, test_ca: certs.Authority,
                                   tinyproxy_plain: proxies.Proxy) -> None:
    with serving(certs.valid(infra_dir, test_ca)) as server:
        result = _check(make_settings, server, ca_bundle=str(test_ca.pem), env={"HTTPS_PROXY": tinyproxy_plain.url})
    assert result.status is Status.OK, result
    assert result.facts["via_proxy"] == f"127.0.0.1:{tinyproxy_plain.port}"


def test_a_lone_leaf_is_read_as_interception_only_on_the_providers_own_host(make_settings: Any) -> None:
    from perspt_doctor.transport.route import route_for

    default = make_settings({"provider": "openai"})
    custom = make_settings({"provider": "openai", "provider_endpoints": {"openai": "https://llm.example.test/v1"}})
    assert route_for(default, "openai").endpoint.is_official_host
    assert not route_for(custom, "openai").endpoint.is_official_host
    assert not route_for(default, "ollama").endpoint.is_official_host
