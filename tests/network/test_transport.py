"""The transport layer: proxy decisions identical to httpx's own, the factory honouring them, CA trust
errors, and the cause-chain walker on real failures."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest

from perspt_doctor.settings.resolve import Flags, Settings
from perspt_doctor.transport import factory
from perspt_doctor.transport.classify import classify
from perspt_doctor.transport.proxy import proxy_for, safe_proxy_url
from perspt_doctor.transport.trust import TransportConfigError
from tests.infra import certs, ports, proxies
from tests.infra.servers import Reply, http_server

URLS = ["https://api.openai.com/v1", "http://127.0.0.1:11434", "http://localhost:11434", "http://[::1]:11434",
        "https://openai.com", "https://sub.example.com", "https://example.com", "http://10.1.2.3:8000",
        "http://localhost:8000"]
ENVS: list[dict[str, str]] = [
    {},
    {"HTTPS_PROXY": "http://p:1"},
    {"HTTPS_PROXY": "http://p:1", "https_proxy": ""},
    {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"},
    {"HTTP_PROXY": "p:1"},
    {"ALL_PROXY": "http://p:1", "NO_PROXY": "localhost"},
    {"ALL_PROXY": "http://p:1", "NO_PROXY": "localhost,127.0.0.1,::1"},
    {"all_proxy": "http://p:1", "no_proxy": "*"},
    {"ALL_PROXY": "http://p:1", "NO_PROXY": ".example.com,10.0.0.0/8"},
    {"ALL_PROXY": "http://p:1", "NO_PROXY": "example.com, localhost:8000"},
    {"HTTP_PROXY": "http://cgi:1", "REQUEST_METHOD": "GET"},
    {"http_proxy": "http://cgi:1", "REQUEST_METHOD": "GET"},
    {"HTTPS_PROXY": "http://a:1", "ALL_PROXY": "http://b:2", "no_proxy": "openai.com"},
]


def _settings(env: dict[str, str]) -> Settings:
    return Settings(flags=Flags(), env=env, config=None)


def _httpx_choice(env: dict[str, str], url: str, monkeypatch: pytest.MonkeyPatch) -> str | None:
    for name in list(__import__("os").environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = httpx.Client()
    transport = client._transport_for_url(httpx.URL(url))
    if transport is client._transport:
        return None
    proxy = transport._pool._proxy_url  # type: ignore[attr-defined]
    return f"{proxy.scheme.decode()}://{proxy.host.decode()}:{proxy.port}"


@pytest.mark.parametrize("env", ENVS, ids=[",".join(f"{k}={v}" for k, v in e.items()) or "none" for e in ENVS])
def test_proxy_decision_matches_httpx(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for url in URLS:
        with monkeypatch.context() as patch:
            expected = _httpx_choice(env, url, patch)
        decided = proxy_for(url, _settings(env)).proxy_url
        got = None
        if decided:
            parsed = httpx.URL(decided)
            got = f"{parsed.scheme}://{parsed.host}:{parsed.port}"
        assert got == expected, (env, url)


def test_config_proxy_wins_and_keeps_no_proxy(make_settings: Any) -> None:
    settings = make_settings({"proxy": {"https": "http://corp:3128", "no_proxy": ["localhost", "127.0.0.1"]}},
                             env={"HTTPS_PROXY": "http://other:1"})
    assert proxy_for("https://api.openai.com", settings).proxy_url == "http://corp:3128"
    assert proxy_for("https://localhost:8443", settings).proxy_url is None
    assert "proxy.https" in (proxy_for("https://api.openai.com", settings).source or "")


def test_safe_proxy_url_hides_the_password() -> None:
    assert safe_proxy_url("http://alice:p%40ss@proxy:3128") == "http://alice:***@proxy:3128"
    assert safe_proxy_url("proxy:3128") == "proxy:3128"


def test_factory_client_uses_the_settings_proxy_not_os_environ(make_settings: Any, tinyproxy_plain: proxies.Proxy,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # the process env must not matter
    settings = make_settings({}, env={"HTTP_PROXY": tinyproxy_plain.url})

    async def fetch(url: str) -> httpx.Response:
        async with factory.build_async_client(settings, total_timeout=3) as client:
            return await client.get(url)

    with http_server(Reply.json(200, {"ok": True})) as server:
        response = asyncio.run(fetch(f"http://localhost:{server.port}/x"))
    assert response.status_code == 200
    assert server.requests and server.requests[0][1] == "/x"
    log = tinyproxy_plain.log.read_text() if tinyproxy_plain.log else ""
    assert f"localhost:{server.port}" in log


def test_factory_trusts_a_configured_bundle(make_settings: Any, infra_dir: Path, test_ca: certs.Authority) -> None:
    settings = make_settings({"network": {"ca_bundle": str(test_ca.pem)}})
    with http_server(Reply.json(200, {}), tls=certs.valid(infra_dir, test_ca)) as server, \
            factory.build_client(settings, total_timeout=3) as client:
        assert client.get(f"https://localhost:{server.port}/").status_code == 200


def test_missing_ssl_cert_file_is_a_clear_error(make_settings: Any, tmp_path: Path) -> None:
    settings = make_settings({}, env={"SSL_CERT_FILE": str(tmp_path / "gone.pem")})
    with pytest.raises(TransportConfigError) as caught:
        factory.build_async_client(settings)
    assert "does not exist" in caught.value.message and caught.value.hint


def test_quoted_proxy_is_a_clear_error(make_settings: Any) -> None:
    settings = make_settings({}, env={"HTTPS_PROXY": '"http://p:1"'})
    with pytest.raises(TransportConfigError) as caught:
        factory.build_async_client(settings)
    assert "HTTPS_PROXY" in str(caught.value)
    assert classify(caught.value).kind == "proxy_config"


@pytest.mark.parametrize(("value", "words"), [
    (" http://p:1", "the proxy in HTTPS_PROXY (environment) starts with a space (http://p:1)"),
    ("http://user:secret@p:1\r", "the proxy in HTTPS_PROXY (environment) ends with a carriage return "
                                 "(http://user:***@p:1)"),
])
def test_a_proxy_with_a_blank_around_it_says_which(make_settings: Any, value: str, words: str) -> None:
    """httpx's own words were "Unknown scheme for proxy URL URL('%20http://p:1')"; the doctor's proxy check
    shows this same error, since it builds the client's mounts."""
    settings = make_settings({}, env={"HTTPS_PROXY": value})
    with pytest.raises(TransportConfigError) as caught:
        factory.build_async_client(settings)
    assert caught.value.message == f"{words}, so it cannot be used"
    assert "secret" not in str(caught.value) and caught.value.hint == "set it again without the blank"
    assert classify(caught.value).kind == "proxy_config"


def test_timeouts_come_from_the_config(make_settings: Any) -> None:
    settings = make_settings({"timeout": 42, "network": {"connect_timeout": 3, "write_timeout": 7}})
    with factory.build_client(settings) as client:
        assert client.timeout == httpx.Timeout(connect=3, read=42, write=7, pool=10)


def _failure(url: str, **kw: Any) -> BaseException:
    try:
        with httpx.Client(timeout=1, **kw) as client:
            client.get(url)
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("no failure")


def test_classify_real_failures(infra_dir: Path, test_ca: certs.Authority,
                                     tinyproxy_auth: proxies.Proxy) -> None:
    with ports.refusing_port() as port:
        refused = classify(_failure(f"http://127.0.0.1:{port}/"))
    assert refused.kind == "refused" and "connection refused" in refused.describe()
    with ports.syn_blackhole() as port:
        assert classify(_failure(f"http://127.0.0.1:{port}/")).kind == "connect_timeout"
    with ports.silent_listener() as port:
        read = classify(_failure(f"http://127.0.0.1:{port}/"))
    assert read.kind == "read_timeout" and read.doctor_hint == "run `perspt doctor --only 'http.*'` to find out why"
    with http_server(tls=certs.expired(infra_dir, test_ca)) as server:
        context = ssl.create_default_context(cafile=str(test_ca.pem))
        expired = classify(_failure(f"https://localhost:{server.port}/", verify=context))
    assert expired.kind == "tls_expired" and expired.verify_code == 10
    assert expired.describe().startswith("TLS certificate verification failed: certificate has expired (verify code 10)")
    with http_server() as plain:
        wrong = classify(_failure(f"https://localhost:{plain.port}/"))
    assert wrong.kind == "tls_protocol"
    auth = classify(_failure("https://localhost:1/", proxy=tinyproxy_auth.url), proxy=tinyproxy_auth.url)
    assert auth.kind == "proxy_auth" and auth.status == 407 and auth.layer == "proxy"
    assert auth.host == f"127.0.0.1:{tinyproxy_auth.port}"
    assert classify(_failure("http://nx.perspt-test.invalid/")).kind == "dns"
