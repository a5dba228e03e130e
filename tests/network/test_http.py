"""http.<provider>: an unauthenticated GET of the models endpoint through the client's own transport."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checks.http import http_probe
from perspt_doctor.api import Result, Status
from tests.infra import certs, ports, proxies
from tests.infra.servers import OPENAI_401, Reply, http_server
from tests.network.conftest import run_check


def _check(make_settings: Any, url: str, *, provider: str = "openai", env: dict[str, str] | None = None,
           **network: Any) -> Result:
    settings = make_settings({"provider": provider, "provider_endpoints": {provider: url}, "timeout": 3,
                              "network": {"connect_timeout": 1, **network}}, env=env)
    return run_check(http_probe, settings, provider)


def test_provider_401_means_reachable_with_phase_timings(make_settings: Any, infra_dir: Path,
                                                         test_ca: certs.Authority) -> None:
    with http_server(OPENAI_401, tls=certs.valid(infra_dir, test_ca)) as server:
        result = _check(make_settings, f"https://localhost:{server.port}/v1", ca_bundle=str(test_ca.pem))
    assert result.status is Status.OK, result
    assert result.summary == "reachable: 401 without an API key, as expected"
    assert server.requests[0][1] == "/v1/models"
    assert "authorization" not in {k.lower() for k in server.requests[0][2]}
    for phase in ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "total_ms"):
        assert phase in result.facts
    assert result.facts["server_addr"] == f"127.0.0.1:{server.port}"


def test_ollama_200(make_settings: Any) -> None:
    with http_server(Reply.json(200, {"models": []})) as server:
        result = _check(make_settings, server.url, provider="ollama")
    assert result.status is Status.OK
    assert server.requests[0][1] == "/api/tags"


def test_html_page_means_something_in_between(make_settings: Any) -> None:
    with http_server(Reply.html(200, "<html><body>Welcome to Hotel WiFi, please log in</body></html>")) as server:
        result = _check(make_settings, f"{server.url}/v1", provider="openai-compatible")
    assert result.status is Status.WARN
    assert "HTML page" in result.summary and "captive portal" in result.summary


def test_cloudflare_block_page(make_settings: Any) -> None:
    page = "<!DOCTYPE html><title>Attention Required! | Cloudflare</title>Sorry, you have been blocked"
    with http_server(Reply.html(403, page, Server="cloudflare")) as server:
        result = _check(make_settings, f"{server.url}/openai/v1", provider="groq")
    assert result.status is Status.FAIL
    assert "Cloudflare block page" in result.summary


def test_region_block(make_settings: Any) -> None:
    body = {"error": {"code": "unsupported_country_region_territory", "message": "Country, region, or territory "
                      "not supported", "type": "request_forbidden"}}
    with http_server(Reply.json(403, body)) as server:
        result = _check(make_settings, f"{server.url}/v1")
    assert result.status is Status.FAIL
    assert "region" in result.summary
    assert result.facts["cause"]["kind"] == "forbidden"


@pytest.mark.parametrize(("status", "body", "kind"), [
    (500, {"error": {"message": "The server had an error", "type": "server_error"}}, "server"),
    (503, {"error": {"message": "The server is overloaded", "type": "service_unavailable_error"}}, "overloaded"),
])
def test_server_fault_names_the_classifiers_cause(make_settings: Any, status: int, body: Any, kind: str) -> None:
    with http_server(Reply.json(status, body)) as server:
        result = _check(make_settings, f"{server.url}/v1")
    assert result.status is Status.WARN
    assert result.summary.startswith(f"{server.url}/v1/models answered {status}: ")
    assert result.facts["cause"]["kind"] == kind and result.facts["error_kind"] == kind


def test_squid_error_page(make_settings: Any, squid_proxy: proxies.Proxy) -> None:
    result = _check(make_settings, "http://127.0.0.1:11434", provider="ollama", env={"HTTP_PROXY": squid_proxy.url})
    assert result.status is Status.FAIL
    assert result.summary == "a proxy answered instead of 127.0.0.1: 403 (ERR_ACCESS_DENIED 0)"
    assert result.hint and "NO_PROXY" in result.hint


def test_proxy_407(make_settings: Any, tinyproxy_auth: proxies.Proxy) -> None:
    with http_server(Reply.json(200, {"models": []})) as server:
        result = _check(make_settings, server.url, provider="ollama", env={"HTTP_PROXY": tinyproxy_auth.url})
    assert result.status is Status.FAIL
    assert "requires authentication (407)" in result.summary
    assert server.requests == []


def test_wrong_base_path_404(make_settings: Any) -> None:
    with http_server(Reply.json(404, {"detail": "Not Found"})) as server:
        result = _check(make_settings, server.url, provider="openai-compatible")
    assert result.status is Status.WARN
    assert "404" in result.summary and result.hint and "/v1" in result.hint


def test_refused_names_the_root_cause(make_settings: Any) -> None:
    with ports.refusing_port() as port:
        result = _check(make_settings, f"http://127.0.0.1:{port}", provider="ollama")
    assert result.status is Status.FAIL
    assert result.facts["error_kind"] == "ollama_not_running"  # the client's name for it too: one classifier
    assert result.facts["cause"] == {"kind": "ollama_not_running", "layer": "tcp", "area": "ollama",
                                     "host": f"127.0.0.1:{port}",
                                     "message": "connection refused: nothing listens on that port (or a firewall "
                                                "rejects it)"}
    assert result.hint == "run `perspt doctor --only 'ollama.*'` to find out why"


def test_read_timeout(make_settings: Any) -> None:
    with ports.silent_listener() as port:
        settings_timeout = {"read_timeout": 0.5}
        result = _check(make_settings, f"http://127.0.0.1:{port}", provider="ollama", **settings_timeout)
    assert result.status is Status.FAIL
    assert result.facts["error_kind"] == "read_timeout"


def test_untrusted_certificate_gives_the_verify_code(make_settings: Any, infra_dir: Path,
                                                     test_ca: certs.Authority) -> None:
    with http_server(tls=certs.valid(infra_dir, test_ca)) as server:
        result = _check(make_settings, f"https://localhost:{server.port}/v1")
    assert result.status is Status.FAIL
    assert result.facts["verify_code"] == 20
    assert result.hint == "run `perspt doctor --only 'tls.*'` to find out why"


def test_clock_skew_from_the_date_header(make_settings: Any) -> None:
    with http_server(Reply.json(200, {"models": []}), clock_offset=-7200) as server:
        result = _check(make_settings, server.url, provider="ollama")
    assert result.status is Status.WARN
    assert "clock is off by 120 minutes" in result.summary
