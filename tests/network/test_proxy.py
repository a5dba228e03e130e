"""proxy.<provider> with real tinyproxy and squid processes on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checks.proxy import proxy_route
from perspt_doctor.api import Result, Status
from tests.infra import certs, ports, proxies
from tests.infra.servers import http_server
from tests.network.conftest import run_check

HTTPS_TARGET = "https://localhost:8443/v1"
REMOTE_TARGET = "https://api.perspt-test.invalid/v1"
"""Only used where the proxy answers before it would resolve or connect to the target."""


def _check(make_settings: Any, env: dict[str, str], url: str = HTTPS_TARGET, provider: str = "openai",
           config: dict[str, Any] | None = None, offline: bool = False) -> Result:
    settings = make_settings({"provider": provider, "provider_endpoints": {provider: url},
                              "network": {"connect_timeout": 1}, **(config or {})}, env=env)
    return run_check(proxy_route, settings, provider, offline=offline)


def test_direct_when_nothing_is_configured(make_settings: Any) -> None:
    result = _check(make_settings, {})
    assert result.status is Status.OK
    assert result.summary.startswith("direct connection: no proxy is configured")


def test_empty_lowercase_cancels_uppercase(make_settings: Any) -> None:
    result = _check(make_settings, {"HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": ""})
    assert result.status is Status.OK
    assert "https_proxy is set but empty, which cancels HTTPS_PROXY" in result.summary


def test_through_tinyproxy(make_settings: Any, infra_dir: Path, test_ca: certs.Authority,
                           tinyproxy_plain: proxies.Proxy) -> None:
    with http_server(tls=certs.valid(infra_dir, test_ca)) as server:
        result = _check(make_settings, {"HTTPS_PROXY": tinyproxy_plain.url},
                        url=f"https://localhost:{server.port}/v1")
    # The proxy forwards the tunnel (200), but a local endpoint should bypass it.
    assert result.status is Status.WARN, result
    assert "this local endpoint" in result.summary and "the proxy forwards it" in result.summary
    assert f"through the proxy {tinyproxy_plain.url} (HTTPS_PROXY (environment) applies to https:// URLs)" \
        in result.details
    assert result.facts["proxy_status"] == 200
    assert result.hint and result.hint.startswith("export NO_PROXY=localhost,127.0.0.1,::1")


def test_proxy_not_listening(make_settings: Any) -> None:
    with ports.refusing_port() as port:
        result = _check(make_settings, {"HTTPS_PROXY": f"http://127.0.0.1:{port}"}, url=REMOTE_TARGET)
    assert result.status is Status.FAIL
    assert "is not reachable" in result.summary and "refuses connections" in result.summary
    assert result.hint and "HTTPS_PROXY" in result.hint


def test_auth_required(make_settings: Any, tinyproxy_auth: proxies.Proxy) -> None:
    result = _check(make_settings, {"HTTPS_PROXY": tinyproxy_auth.url}, url=REMOTE_TARGET)
    assert result.status is Status.FAIL
    assert "requires authentication (407" in result.summary
    assert result.hint and "http://USER:PASSWORD@" in result.hint


def test_wrong_credentials_are_never_printed(make_settings: Any, tinyproxy_auth: proxies.Proxy) -> None:
    result = _check(make_settings, {"HTTPS_PROXY": tinyproxy_auth.url_with("alice", "wrongpass")}, url=REMOTE_TARGET)
    assert result.status is Status.FAIL
    assert "rejected the user name or password" in result.summary
    assert "wrongpass" not in repr(result)
    assert result.facts["proxy"] == f"http://alice:***@127.0.0.1:{tinyproxy_auth.port}"


def test_right_credentials(make_settings: Any, infra_dir: Path, test_ca: certs.Authority,
                           tinyproxy_auth: proxies.Proxy) -> None:
    with http_server(tls=certs.valid(infra_dir, test_ca)) as server:
        result = _check(make_settings, {"HTTPS_PROXY": tinyproxy_auth.url_with("alice", "s3cret")},
                        url=f"https://localhost:{server.port}/v1")
    assert result.status is Status.WARN, result
    assert result.facts["proxy_status"] == 200
    assert "s3cret" not in repr(result)


def test_squid_refuses_connect(make_settings: Any, squid_proxy: proxies.Proxy) -> None:
    result = _check(make_settings, {"HTTPS_PROXY": squid_proxy.url})
    assert result.status is Status.FAIL
    assert "refuses CONNECT localhost:8443: 403 Forbidden (ERR_ACCESS_DENIED 0)" in result.summary
    assert result.hint and "NO_PROXY=localhost" in result.hint


def test_loopback_endpoint_sent_to_the_proxy(make_settings: Any, squid_proxy: proxies.Proxy) -> None:
    result = _check(make_settings, {"HTTP_PROXY": squid_proxy.url, "NO_PROXY": "localhost"},
                    url="http://127.0.0.1:11434", provider="ollama")
    assert result.status is Status.FAIL
    assert "is sent to the proxy" in result.summary and "does not list 127.0.0.1" in result.summary
    assert result.hint == "export NO_PROXY=localhost,127.0.0.1,::1 (and no_proxy=localhost,127.0.0.1,::1)"


def test_loopback_bypassed_but_incomplete_no_proxy_is_noted(make_settings: Any) -> None:
    result = _check(make_settings, {"HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"},
                    url="http://127.0.0.1:11434", provider="ollama")
    assert result.status is Status.OK
    assert "NO_PROXY entry '127.0.0.1' matches 127.0.0.1" in result.summary
    assert any("lacks localhost, ::1" in d for d in result.details)


def test_squid_refuses_loopback_for_a_plain_http_endpoint(make_settings: Any, squid_proxy: proxies.Proxy) -> None:
    # A proxy set in the config with no no_proxy at all: even the local server goes to squid.
    result = _check(make_settings, {}, url="http://127.0.0.1:11434", provider="ollama",
                    config={"proxy": {"http": squid_proxy.url, "no_proxy": "example.invalid"}})
    assert result.status is Status.FAIL
    assert "is sent to the proxy" in result.summary
    assert result.hint and "proxy.no_proxy" in result.hint


def test_config_proxy_reaches_squid_and_gets_refused(make_settings: Any, squid_proxy: proxies.Proxy) -> None:
    with http_server() as server:
        result = _check(make_settings, {}, url=f"http://localhost:{server.port}", provider="openai-compatible",
                        config={"proxy": {"http": squid_proxy.url}})
    # localhost is loopback: the check stops at the missing NO_PROXY entry before asking squid.
    assert result.status is Status.FAIL
    assert result.facts["proxy_source"].endswith("proxy.http")


def test_no_scheme_warns(make_settings: Any, infra_dir: Path, test_ca: certs.Authority,
                         tinyproxy_plain: proxies.Proxy) -> None:
    with http_server(tls=certs.valid(infra_dir, test_ca)) as server:
        result = _check(make_settings, {"HTTPS_PROXY": f"127.0.0.1:{tinyproxy_plain.port}"},
                        url=f"https://localhost:{server.port}/v1")
    assert result.status is Status.WARN
    assert "has no scheme" in result.summary
    assert result.hint and f"export HTTPS_PROXY=http://127.0.0.1:{tinyproxy_plain.port}" in result.hint


def test_https_scheme_for_a_plain_proxy(make_settings: Any, tinyproxy_plain: proxies.Proxy) -> None:
    result = _check(make_settings, {"HTTPS_PROXY": f"https://127.0.0.1:{tinyproxy_plain.port}"}, url=REMOTE_TARGET)
    assert result.status is Status.FAIL
    assert "does not speak TLS" in result.summary
    assert result.hint == f"use http:// for the proxy: http://127.0.0.1:{tinyproxy_plain.port}"


def test_quoted_value(make_settings: Any) -> None:
    result = _check(make_settings, {"HTTPS_PROXY": '"http://127.0.0.1:3128"'})
    assert result.status is Status.FAIL
    assert "includes quote characters" in result.summary
    assert result.hint == "remove the quotes: export HTTPS_PROXY=http://127.0.0.1:3128"


@pytest.mark.parametrize("scheme", ["socks", "socks4"])
def test_unsupported_socks_scheme(make_settings: Any, scheme: str) -> None:
    result = _check(make_settings, {"ALL_PROXY": f"{scheme}://127.0.0.1:1080/"})
    assert result.status is Status.FAIL
    assert f"uses {scheme}://" in result.summary
    assert result.hint and "socks5://" in result.hint


def test_socks5_without_the_extra(make_settings: Any) -> None:
    import importlib.util

    if importlib.util.find_spec("socksio") is not None:
        pytest.skip("socksio is installed here")
    result = _check(make_settings, {"ALL_PROXY": "socks5://127.0.0.1:1080"})
    assert result.status is Status.FAIL
    assert "SOCKS support is not installed" in result.summary
    assert result.hint and "perspt-doctor[socks]" in result.hint


def test_unescaped_credentials(make_settings: Any, tinyproxy_auth: proxies.Proxy) -> None:
    result = _check(make_settings, {"HTTPS_PROXY": f"http://alice:p@ss@127.0.0.1:{tinyproxy_auth.port}"},
                    url=REMOTE_TARGET)
    assert "unescaped characters ('@')" in (result.summary + " ".join(result.details))
    assert "p@ss" not in repr(result)


def test_offline_skips(make_settings: Any) -> None:
    result = _check(make_settings, {"HTTPS_PROXY": "http://127.0.0.1:9"}, url=REMOTE_TARGET, offline=True)
    assert result.status is Status.SKIP and "offline" in result.summary


def test_a_proxy_that_accepts_but_never_answers_is_said_in_words(make_settings: Any) -> None:
    """The summary a person reads names what happened; the exception's class is for --verbose and JSON."""
    import re

    with ports.silent_listener() as port:
        result = _check(make_settings, {"HTTPS_PROXY": f"http://127.0.0.1:{port}"}, url=REMOTE_TARGET)
    assert result.status is Status.FAIL
    assert "accepted the connection but did not answer a request (timed out)" in result.summary, result.summary
    assert not re.search(r"\b[A-Z][a-z]+(Error|Exception)\b|Errno|gaierror", result.summary)
    assert "Timeout" in str(result.facts["exception"])


def test_the_origins_401_relayed_by_the_proxy_is_not_the_proxys_verdict(make_settings: Any,
                                                                       tinyproxy_auth: proxies.Proxy) -> None:
    # Right proxy credentials, a plain-http endpoint that wants an API key: tinyproxy relays the origin's 401.
    from tests.client.test_e2e import perspt
    from tests.fakes.openai_fake import openai_fake

    proxy = tinyproxy_auth.url_with("alice", "s3cret")
    with openai_fake() as fake:
        env = {"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "NO_PROXY": ""}
        result = _check(make_settings, env, url=fake.base_url)
        client = perspt("-q", "hi", env={**env, "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url})
        relayed = [r for r in fake.requests if "proxy-authorization" not in r.headers]
        port = fake.port
    assert client.returncode == 0, client.stderr  # the client works through this proxy
    assert relayed, "the requests reached the fake through the proxy"
    assert result.status is Status.WARN, result
    assert "rejected the user name or password" not in result.summary
    assert f"this local endpoint (127.0.0.1:{port}) is sent to the proxy" in result.summary
    assert "the proxy forwards it" in result.summary
    assert result.facts["origin_status"] == 401 and "cause" not in result.facts
    assert any("the server answered 401" in d and "relayed by the proxy" in d for d in result.details)
    assert result.hint and "NO_PROXY=localhost,127.0.0.1,::1" in result.hint


@pytest.mark.parametrize(("status", "headers", "tunnel", "own"), [
    (401, {"server": "BaseHTTP/0.6 Python/3.11"}, False, False),  # the origin wants its API key
    (401, {"www-authenticate": "Bearer", "server": "tinyproxy/1.11"}, False, False),
    (401, {"proxy-authenticate": "Basic realm=\"proxy\""}, False, True),
    (401, {"server": "tinyproxy/1.11.1"}, False, True),
    (407, {}, False, True),
    (401, {}, True, True),  # any refusal of CONNECT is the proxy's
    (403, {"content-type": "application/json", "server": "cloudflare"}, False, False),
    (403, {"x-squid-error": "ERR_ACCESS_DENIED 0"}, False, True),
])
def test_whose_answer_a_reply_to_a_proxy_request_is(status: int, headers: dict[str, str], tunnel: bool,
                                                    own: bool) -> None:
    from perspt_doctor.api import proxy_own_reply

    assert proxy_own_reply(status, headers, tunnel=tunnel, not_json="json" not in str(headers)) is own
