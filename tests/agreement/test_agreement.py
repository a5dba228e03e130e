"""The agreement suite (issue 13): for each broken situation built on loopback, the client (`perspt -q`)
and the doctor run on the same machine state, with the same environment and config, as subprocesses.

- broken: the client fails, its error names a doctor command (`perspt doctor ... --only 'X.*'`); that
  command's checks exist, and run, one of them reports the same cause: its `facts.cause.kind` is the kind
  the situation produces, or a failing row of that command's category (the classifier's area) says so.
- healthy: a doctor run with no failure means the client's request succeeds.

Servers are shared per module; each situation queues its own faults. The doctor runs only the command the
client named (which is `--only` for one category), so the suite stays quick."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.ollama_fake import FakeModel, OllamaFake
from tests.fakes.openai_fake import OpenAIFake
from tests.infra import certs, dns, proxies
from tests.infra.servers import Reply, Server, http_server
from tests.infra.tools import need

ROOT = Path(__file__).resolve().parents[2]
SHIM = Path(__file__).resolve().parent / "shim"
KEY = "sk-proj-" + "A9" * 24
DIAGNOSE = re.compile(r"diagnose: (perspt doctor[^|\n]*?--only '[^']+')")


@dataclass
class World:
    """The loopback machine state every situation draws on (one per module)."""

    tmp: Path
    openai: OpenAIFake
    ollama: OllamaFake
    refused_port: int
    proxy: proxies.Proxy
    proxy_auth: proxies.Proxy
    dns: dns.DnsServer
    ca: certs.Authority
    tls_ok: Server
    tls_expired: Server
    tls_wrong_host: Server
    plain_http: Server
    eof_port: int
    slow: Server


@dataclass
class Setup:
    config: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
    arrange: Callable[[World], None] | None = None
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Situation:
    name: str
    build: Callable[[World], Setup]
    kind: str | None
    """The cause kind the client's error and the doctor must agree on; None: healthy."""
    area: str | None = None
    """The doctor category the client must name (`--only 'AREA.*'`)."""
    disagrees: str | None = None
    """A disagreement this suite found and that is not fixed yet: the situation is an expected failure
    (strict: it must start passing once fixed)."""


def _eof_server(stop: threading.Event) -> int:
    """Accepts TCP connections and closes each at once: an EOF in the middle of the TLS handshake."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with contextlib.suppress(OSError):
                conn.recv(10)
            conn.close()
        sock.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for binary in (proxies.TINYPROXY, dns.DNSMASQ):
        need(binary)
    tmp = tmp_path_factory.mktemp("agreement")
    ca = certs.authority(tmp)
    models = Reply.json(200, {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})
    chat = Reply.json(200, {"id": "c1", "object": "chat.completion", "model": "gpt-4o-mini", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]})

    def ok_reply(method: str, _path: str) -> Reply:
        return chat if method == "POST" else models

    stop = threading.Event()
    refusing = socket.socket()
    refusing.bind(("127.0.0.1", 0))
    refused_port = int(refusing.getsockname()[1])
    refusing.close()
    with OpenAIFake(api_key=KEY, models=["gpt-4o-mini"]).start() as openai, \
            OllamaFake(models=[FakeModel("llama3.2:latest")]).start() as ollama, \
            proxies.tinyproxy(tmp / "proxy") as proxy, \
            proxies.tinyproxy(tmp / "proxy-auth", auth=("alice", "s3cret")) as proxy_auth, \
            dns.dnsmasq(tmp / "dns", addresses={"api.perspt-test.invalid": ["127.0.0.1"]},
                        nxdomain=("nx.perspt-test.invalid",)) as dns_server, \
            http_server(ok_reply, tls=certs.valid(tmp, ca)) as tls_ok, \
            http_server(ok_reply, tls=certs.expired(tmp, ca)) as tls_expired, \
            http_server(ok_reply, tls=certs.wrong_host(tmp, ca)) as tls_wrong_host, \
            http_server(ok_reply) as plain_http, \
            http_server(ok_reply, latency=30) as slow:
        assert isinstance(openai, OpenAIFake) and isinstance(ollama, OllamaFake)
        eof_port = _eof_server(stop)
        try:
            yield World(tmp, openai, ollama, refused_port, proxy, proxy_auth, dns_server, ca, tls_ok, tls_expired,
                        tls_wrong_host, plain_http, eof_port, slow)
        finally:
            stop.set()


# ---- the situations ----------------------------------------------------------------------------------
def openai_at(url: str, **config: Any) -> Callable[[World], Setup]:
    return lambda w: Setup({"provider": "openai", "base_url": url, "retry_attempts": 0, "max_retries": 0,
                            **config}, {"OPENAI_API_KEY": KEY})


def fake_with(fault: str | None, **config: Any) -> Callable[[World], Setup]:
    def build(w: World) -> Setup:
        setup = openai_at(w.openai.base_url, **config)(w)
        if fault:
            setup.arrange = lambda world: world.openai.fail(fault, times=1000)
        return setup
    return build


def via_proxy(proxy: Callable[[World], str], **config: Any) -> Callable[[World], Setup]:
    def build(w: World) -> Setup:
        setup = openai_at(w.openai.base_url, **config)(w)
        setup.env.update({"HTTP_PROXY": proxy(w), "HTTPS_PROXY": proxy(w), "NO_PROXY": ""})
        return setup
    return build


def tls(server: Callable[[World], Server], trust: bool = True) -> Callable[[World], Setup]:
    def build(w: World) -> Setup:
        s = server(w)
        setup = openai_at(f"https://localhost:{s.port}/v1")(w)
        setup.args = ("--no-stream",)  # these servers answer one JSON reply, not a stream
        if trust:
            setup.config["network"] = {"ca_bundle": str(w.ca.pem)}
        return setup
    return build


def ollama(arrange: Callable[[World], None] | None = None, model: str = "llama3.2",
           host: Callable[[World], str] | None = None) -> Callable[[World], Setup]:
    def build(w: World) -> Setup:
        address = host(w) if host else w.ollama.host
        return Setup({"provider": "ollama", "model": model, "retry_attempts": 0}, {"OLLAMA_HOST": address},
                     arrange)
    return build


def dns_name(name: str) -> Callable[[World], Setup]:
    def build(w: World) -> Setup:
        setup = openai_at(f"http://{name}:{w.openai.port}/v1")(w)
        setup.env["PERSPT_AGREEMENT_DNS"] = w.dns.spec
        setup.config["network"] = {"dns_servers": [w.dns.spec]}
        return setup
    return build


def raw_config(text: str) -> Callable[[World], Setup]:
    return lambda w: Setup({"__raw__": text}, {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": w.openai.base_url})


SITUATIONS = [
    # healthy
    Situation("healthy openai", fake_with(None), None),
    Situation("healthy ollama", ollama(), None),
    Situation("healthy through a proxy", via_proxy(lambda w: w.proxy.url), None),
    Situation("healthy tls with the CA configured", tls(lambda w: w.tls_ok), None),
    # tcp / proxy / dns
    Situation("refused port", lambda w: openai_at(f"http://127.0.0.1:{w.refused_port}/v1")(w), "refused", "tcp"),
    Situation("refused proxy", via_proxy(lambda w: f"http://127.0.0.1:{w.refused_port}"), "proxy_refused", "proxy"),
    # tinyproxy with BasicAuth sometimes resets instead of answering 407: a reset by the proxy names proxy.*
    Situation("proxy wants a password (407)", via_proxy(lambda w: w.proxy_auth.url), "proxy_auth", "proxy"),
    Situation("unresolvable name", dns_name("nx.perspt-test.invalid"), "dns", "dns"),
    # tls
    Situation("untrusted certificate", tls(lambda w: w.tls_ok, trust=False), "tls_untrusted", "tls"),
    Situation("expired certificate", tls(lambda w: w.tls_expired), "tls_expired", "tls"),
    Situation("certificate for another host", tls(lambda w: w.tls_wrong_host), "tls_hostname", "tls"),
    Situation("EOF in the TLS handshake", lambda w: openai_at(f"https://127.0.0.1:{w.eof_port}/v1")(w),
              "tls_eof", "tls"),
    Situation("TLS spoken to a plain-http port", lambda w: openai_at(f"https://127.0.0.1:{w.plain_http.port}/v1")(w),
              "tls_protocol", "tls"),
    Situation("bad CA file", lambda w: openai_at(f"https://localhost:{w.tls_ok.port}/v1",
                                                 network={"ca_bundle": str(w.tmp / "nope.pem")})(w),
              "ca_file", "tls"),
    # http / auth / model / ratelimit / live
    Situation("401 key rejected", fake_with("auth"), "auth", "auth"),
    Situation("403 forbidden", fake_with("permission"), "forbidden", "auth"),
    Situation("404 model", fake_with(None, model="gpt-nonexistent-9"), "model_not_found", "model"),
    Situation("429 rate limit", fake_with("rate_limit"), "rate_limit", "ratelimit"),
    Situation("429 quota", fake_with("quota"), "quota", "ratelimit"),
    Situation("500 server error", fake_with("server_error"), "server", "http"),
    Situation("503 overloaded", fake_with("overloaded"), "overloaded", "http"),
    Situation("slow server (read timeout)", lambda w: openai_at(w.slow.url + "/v1", timeout=2)(w), "read_timeout",
              "http"),
    # keys / config
    Situation("missing key", lambda w: Setup({"provider": "openai", "base_url": w.openai.base_url}), "missing_key",
              "keys"),
    Situation("bad config JSON", raw_config('{"provider": "openai",,}'), "config", "config"),
    Situation("unknown provider", lambda w: Setup({"provider": "opnai"}, {"OPENAI_API_KEY": KEY}), "config", "config"),
    # ollama / memory
    Situation("ollama not running", ollama(host=lambda w: f"127.0.0.1:{w.refused_port}"), "ollama_not_running",
              "ollama"),
    Situation("ollama model missing", ollama(model="qwen-missing:7b"), "model_not_found", "ollama"),
    Situation("ollama out of memory", ollama(lambda w: w.ollama.out_of_memory(times=1000)), "out_of_memory", "memory"),
]


# ---- running both sides ------------------------------------------------------------------------------
def write_config(tmp: Path, name: str, config: dict[str, Any]) -> Path:
    path = tmp / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}.json"
    path.write_text(config["__raw__"] if "__raw__" in config else json.dumps(config))
    return path


def run(args: list[str], env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(SHIM), str(ROOT)])
    full = {**os.environ, "PYTHONPATH": path, **env}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        if name not in env:
            full.pop(name, None)
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], capture_output=True, text=True,
                          timeout=timeout, env=full)


EARLIER = ("config", "keys", "proxy", "dns", "tcp", "tls", "http", "auth")
"""The categories a later one depends on (the classifier's layer order): run with the named one, so that
a cause found by a dependency (a 429 quota seen by `auth`) is in the report."""


def doctor_rows(command: str, config: Path, env: dict[str, str],
                area: str) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    words = shlex.split(command)
    assert words[:2] == ["perspt", "doctor"], command
    probe = run(["--config", str(config), "doctor", *words[2:], "--json"], env)
    assert "matches no check" not in probe.stderr, f"`{command}`: {probe.stderr}"
    deps = [w for d in EARLIER[:EARLIER.index(area)] if area in EARLIER for w in ("--only", f"{d}.*")] \
        if area in EARLIER else [w for d in EARLIER for w in ("--only", f"{d}.*")]
    done = run(["--config", str(config), "doctor", *words[2:], *deps, "--json"], env)
    assert "matches no check" not in done.stderr, f"`{command}`: {done.stderr}"
    return done, json.loads(done.stdout)["checks"]


def reports(row: dict[str, Any], kind: str, area: str) -> bool:
    if row["status"] not in ("fail", "warn", "error"):
        return False
    cause = (row.get("facts") or {}).get("cause")
    if isinstance(cause, dict) and cause.get("kind") == kind:
        return True
    return row.get("category") == area and row["status"] == "fail"


@pytest.mark.parametrize("situation", [
    pytest.param(s, marks=pytest.mark.xfail(reason=s.disagrees, strict=not s.disagrees.startswith("sometimes")))
    if s.disagrees else s
    for s in SITUATIONS], ids=[s.name for s in SITUATIONS])
def test_client_and_doctor_agree(world: World, situation: Situation) -> None:
    world.openai.clear_faults()
    world.ollama.clear_faults()
    setup = situation.build(world)
    if setup.arrange:
        setup.arrange(world)
    config = write_config(world.tmp, situation.name, setup.config)
    try:
        client = run(["--config", str(config), *setup.args, "-q", "hello"], setup.env)
        if situation.kind is None:
            assert client.returncode == 0, client.stderr
            done = run(["--config", str(config), "doctor", "--json"], setup.env)
            rows = json.loads(done.stdout)["checks"]
            failed = [r["id"] for r in rows if r["status"] == "fail"]
            assert not failed, f"the doctor fails {failed} where the client works"
            return
        assert client.returncode != 0, client.stdout
        found = DIAGNOSE.search(client.stderr)
        assert found, f"the client names no doctor command: {client.stderr}"
        command = found.group(1)
        assert f"--only '{situation.area}.*'" in command, client.stderr
        _done, rows = doctor_rows(command, config, setup.env, situation.area or "")
        assert rows, command
        assert any(reports(r, situation.kind, situation.area or "") for r in rows), (
            f"`{command}` does not report {situation.kind}: "
            + "; ".join(f"{r['id']} {r['status']} {r['summary']}" for r in rows))
    finally:
        world.openai.clear_faults()
        world.ollama.clear_faults()


def test_every_area_of_the_classifier_is_covered() -> None:
    from perspt_doctor.transport.classify import Kind, cause_of

    areas = {cause_of(k, "x").area for k in Kind} | {cause_of(k, "x", provider="ollama").area for k in Kind}
    covered = {s.area for s in SITUATIONS if s.area}
    assert len(SITUATIONS) >= 25
    assert areas - covered <= {"runtime", "live"}, areas - covered  # runtime: tests/runtime/test_broken_python.py
