"""The one classifier (`transport/classify.py`), kind by kind, on failures produced by real loopback
sockets, TLS servers, proxies and provider fakes: the kind, the layer, the host it concerns and the doctor
command that explains it."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from perspt_doctor.providers.errors import NetworkError, StreamInterruptedError, from_response
from perspt_doctor.providers.retry import RetryPolicy
from perspt_doctor.transport.classify import Cause, Kind, classify, classify_reply
from tests.fakes.ollama_fake import CUDA_OOM_ERROR, ollama_fake
from tests.fakes.openai_fake import openai_fake
from tests.infra import certs, ports, proxies
from tests.infra.servers import http_server


def _failure(url: str, **kw: Any) -> BaseException:
    try:
        with httpx.Client(timeout=1, **kw) as client:
            client.get(url)
    except Exception as exc:  # noqa: BLE001 - the failure is what the test looks at
        return exc
    raise AssertionError(f"no failure for {url}")


def _is(cause: Cause, kind: Kind, layer: str, host: str | None) -> None:
    assert (cause.kind, cause.layer, cause.host) == (kind, layer, host), cause


@contextmanager
def _closes_mid_handshake() -> Iterator[int]:
    """Reads the ClientHello, then closes: the client's handshake ends with an EOF."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(4096)
            conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


def test_refused_direct_and_through_a_proxy() -> None:
    with ports.refusing_port() as port:
        direct = classify(_failure(f"http://127.0.0.1:{port}/"))
        proxied = classify(_failure("https://api.example.test/v1/models", proxy=f"http://127.0.0.1:{port}"),
                           proxy=f"http://127.0.0.1:{port}")
    _is(direct, Kind.REFUSED, "tcp", f"127.0.0.1:{port}")
    assert direct.doctor_command("openai") == "perspt doctor --provider openai --only 'tcp.*'"
    _is(proxied, Kind.PROXY_REFUSED, "proxy", f"127.0.0.1:{port}")
    assert proxied.describe().startswith(f"the proxy 127.0.0.1:{port} refuses connections")
    assert "api.example.test" not in proxied.describe()
    assert proxied.doctor_command("openai") == "perspt doctor --only 'proxy.*'"


@contextmanager
def _resets() -> Iterator[int]:
    """Reads the request, then resets the connection (RST, no reply): a proxy refusing without a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(4096)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


def test_reset_direct_and_by_a_proxy() -> None:
    with _resets() as port:
        direct = classify(_failure(f"http://127.0.0.1:{port}/"))
        proxied = classify(_failure("http://api.example.test/v1/models", proxy=f"http://127.0.0.1:{port}"),
                           proxy=f"http://127.0.0.1:{port}")
    assert direct.kind is Kind.RESET, direct
    _is(proxied, Kind.PROXY_FAILED, "proxy", f"127.0.0.1:{port}")
    assert proxied.describe().startswith(f"the proxy 127.0.0.1:{port} reset the connection")
    assert proxied.doctor_command("openai") == "perspt doctor --only 'proxy.*'"


def test_refused_ollama_is_ollama_not_running() -> None:
    with ports.refusing_port() as port:
        cause = classify(_failure(f"http://127.0.0.1:{port}/api/tags"), provider="ollama")
    _is(cause, Kind.OLLAMA_NOT_RUNNING, "tcp", f"127.0.0.1:{port}")
    assert cause.area == "ollama"
    assert cause.doctor_command("ollama") == "perspt doctor --provider ollama --only 'ollama.*'"


def test_dns_direct_and_a_proxy_name_that_does_not_resolve() -> None:
    _is(classify(_failure("http://nx.perspt-test.invalid/")), Kind.DNS, "dns", "nx.perspt-test.invalid:80")
    proxy = "http://nx-proxy.perspt-test.invalid:3128"
    cause = classify(_failure("https://api.example.test/", proxy=proxy), proxy=proxy)
    _is(cause, Kind.PROXY_UNREACHABLE, "proxy", "nx-proxy.perspt-test.invalid:3128")


def test_timeouts() -> None:
    with ports.syn_blackhole() as port:
        _is(classify(_failure(f"http://127.0.0.1:{port}/")), Kind.CONNECT_TIMEOUT, "tcp", f"127.0.0.1:{port}")
    with ports.silent_listener() as port:
        read = classify(_failure(f"http://127.0.0.1:{port}/"))
    _is(read, Kind.READ_TIMEOUT, "http", f"127.0.0.1:{port}")
    assert read.doctor_hint == "run `perspt doctor --only 'http.*'` to find out why"


@pytest.mark.parametrize(("make", "kind", "code"), [
    (lambda d, ca: certs.self_signed(d), Kind.TLS_UNTRUSTED, 18),
    (certs.expired, Kind.TLS_EXPIRED, 10),
    (certs.wrong_host, Kind.TLS_HOSTNAME, 62),
])
def test_certificate_failures(infra_dir: Path, test_ca: certs.Authority, make: Any, kind: Kind, code: int) -> None:
    context = ssl.create_default_context(cafile=str(test_ca.pem))
    with http_server(tls=make(infra_dir, test_ca)) as server:
        cause = classify(_failure(f"https://localhost:{server.port}/", verify=context))
    _is(cause, kind, "tls", f"localhost:{server.port}")
    assert cause.verify_code == code
    assert cause.doctor_command("openai") == "perspt doctor --provider openai --only 'tls.*'"


def test_tls_to_a_plain_port_and_a_handshake_cut_short() -> None:
    with http_server() as plain:
        _is(classify(_failure(f"https://localhost:{plain.port}/")), Kind.TLS_PROTOCOL, "tls",
            f"localhost:{plain.port}")
    with _closes_mid_handshake() as port:
        _is(classify(_failure(f"https://127.0.0.1:{port}/")), Kind.TLS_EOF, "tls", f"127.0.0.1:{port}")


def test_proxy_asking_for_credentials_to_connect_and_to_forward(tinyproxy_auth: proxies.Proxy) -> None:
    where = f"127.0.0.1:{tinyproxy_auth.port}"
    connect = classify(_failure("https://localhost:1/", proxy=tinyproxy_auth.url), proxy=tinyproxy_auth.url)
    _is(connect, Kind.PROXY_AUTH, "proxy", where)
    assert connect.status == 407
    refused = Cause(Kind.PROXY_REFUSED, "refused", where)
    with openai_fake() as fake, httpx.Client(proxy=tinyproxy_auth.url, timeout=5) as client:
        reply = client.get(f"{fake.base_url}/models")
    assert reply.status_code == 407
    forwarded = classify_reply(reply.status_code, reply.content, reply.headers, proxy=tinyproxy_auth.url)
    _is(forwarded, Kind.PROXY_AUTH, "proxy", where)
    error = from_response("openai", "openai", reply.status_code, reply.content, reply.headers,
                          proxy=tinyproxy_auth.url)
    assert isinstance(error, NetworkError) and error.classified().kind is Kind.PROXY_AUTH
    assert not RetryPolicy.is_retryable(error)  # the proxy's answer is final, as a 401 was
    assert RetryPolicy.is_retryable(NetworkError("refused", provider="openai", cause=refused))


def test_proxy_refusing_the_destination(squid_proxy: proxies.Proxy) -> None:
    cause = classify(_failure("https://localhost:8443/", proxy=squid_proxy.url), proxy=squid_proxy.url)
    _is(cause, Kind.PROXY_DENIED, "proxy", f"127.0.0.1:{squid_proxy.port}")
    assert cause.status == 403


@pytest.mark.parametrize(("fault", "kind", "layer"), [
    ("auth", Kind.AUTH, "auth"), ("permission", Kind.FORBIDDEN, "auth"),
    ("rate_limit", Kind.RATE_LIMIT, "ratelimit"), ("quota", Kind.QUOTA, "ratelimit"),
    ("model_not_found", Kind.MODEL_NOT_FOUND, "model"), ("context", Kind.CONTEXT_TOO_LONG, "model"),
    ("server_error", Kind.SERVER, "http"), ("overloaded", Kind.OVERLOADED, "http"),
])
def test_provider_replies_from_the_fake(fault: str, kind: Kind, layer: str) -> None:
    with openai_fake() as fake:
        fake.fail(fault, path="chat")
        with httpx.Client(timeout=5) as client:
            reply = client.post(f"{fake.base_url}/chat/completions", headers={"Authorization": "Bearer test-key"},
                                json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
        url, host = fake.base_url, f"127.0.0.1:{fake.port}"
    cause = classify_reply(reply.status_code, reply.content, reply.headers, protocol="openai", url=url)
    _is(cause, kind, layer, host)
    error = from_response("openai", "openai", reply.status_code, reply.content, reply.headers)
    assert error.classified().kind is kind


def test_ollama_out_of_memory_and_missing_model() -> None:
    with ollama_fake() as fake:
        fake.fail("/api/generate", 500, CUDA_OOM_ERROR)
        with httpx.Client(timeout=5) as client:
            oom = client.post(f"{fake.base_url}/api/generate", json={"model": "llama3.2", "prompt": ""})
            missing = client.post(f"{fake.base_url}/api/show", json={"model": "nope"})
    cause = classify_reply(oom.status_code, oom.content, oom.headers, protocol="ollama", provider="ollama")
    assert (cause.kind, cause.layer) == (Kind.OUT_OF_MEMORY, "memory")
    assert cause.doctor_command("ollama") == "perspt doctor --provider ollama --live --only 'memory.*'"
    gone = classify_reply(missing.status_code, missing.content, missing.headers, protocol="ollama", provider="ollama")
    assert (gone.kind, gone.layer, gone.area) == (Kind.MODEL_NOT_FOUND, "model", "ollama")


def test_a_stream_cut_after_the_reply_began_points_at_the_live_check() -> None:
    with ports.refusing_port() as port:
        cause = classify(_failure(f"http://127.0.0.1:{port}/"))
    cut = StreamInterruptedError.after(NetworkError(cause.describe(), provider="openai", cause=cause))
    found = cut.classified()
    assert (found.kind, found.layer) == (Kind.STREAM_CUT, "live")
    assert found.doctor_command("openai") == "perspt doctor --provider openai --live --only 'live.*'"


def test_context_too_long_names_no_doctor_check() -> None:
    cause = classify_reply(400, b'{"error": {"message": "maximum context length is 8192 tokens", '
                                b'"code": "context_length_exceeded"}}', {})
    assert cause.kind is Kind.CONTEXT_TOO_LONG and cause.doctor_command("openai") is None


def test_an_unexplained_failure_is_told_in_words_and_keeps_its_type_in_the_detail() -> None:
    from perspt_doctor.transport.classify import Kind, classify

    cause = classify(RuntimeError("the frobnicator jammed"))
    assert cause.kind is Kind.UNKNOWN
    assert cause.message == "the frobnicator jammed"
    assert cause.detail == "RuntimeError: the frobnicator jammed"
    assert classify(RuntimeError()).message == "an unexpected error with no message"


def test_a_request_h11_refuses_to_send_is_ours_not_the_servers() -> None:
    """A header value no HTTP/1.1 message may carry (here a trailing blank) is refused on this side before a
    byte is sent: not the server breaking the protocol, and not worth sending again."""
    from perspt_doctor.catalog import PROVIDERS
    from perspt_doctor.providers.http_base import HTTPAdapter

    with openai_fake() as fake:
        failure = _failure(fake.base_url + "/models", headers={"Authorization": "Bearer test-key "})
        seen, base_url = len(fake.requests), fake.base_url
    assert isinstance(failure, httpx.LocalProtocolError)
    cause = classify(failure)
    assert cause.kind is Kind.BAD_REQUEST and cause.message.startswith("the request could not be sent: "), cause
    assert seen == 0
    adapter = HTTPAdapter(PROVIDERS["openai"], httpx.AsyncClient(), base_url)  # it sends nothing here
    error = adapter.network_error(failure)
    assert isinstance(error, NetworkError) and RetryPolicy().next_delay(error, 0, 0.0) is None
    remote = adapter.network_error(httpx.RemoteProtocolError("peer closed connection without sending the body"))
    assert remote.cause is not None and remote.cause.kind is Kind.PROTOCOL
    assert RetryPolicy().next_delay(remote, 0, 0.0) is not None
