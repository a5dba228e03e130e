"""tcp.<provider> against real loopback sockets: a server, a refusing port, a black hole, a dead IPv6
route in front of a working IPv4 one, and a real unreachable network (a fresh network namespace)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from checks.tcp import tcp_reach
from perspt_doctor.api import Status
from tests.infra import dns, ports
from tests.infra.servers import http_server
from tests.infra.tools import need
from tests.network.conftest import run_check, run_in_engine


def _ollama(make_settings: Any, url: str, **network: Any) -> Any:
    return make_settings({"provider": "ollama", "provider_endpoints": {"ollama": url},
                          "network": {"connect_timeout": 1, **network}})


def test_connects(make_settings: Any) -> None:
    with http_server() as server:
        result = run_check(tcp_reach, _ollama(make_settings, server.url), "ollama")
    assert result.status is Status.OK
    assert result.facts["family_used"] == "IPv4"
    assert f"127.0.0.1:{server.port}" in result.summary


def test_refused(make_settings: Any) -> None:
    with ports.refusing_port() as port:
        result = run_check(tcp_reach, _ollama(make_settings, f"http://127.0.0.1:{port}"), "ollama")
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "refused"
    assert "refuses connections" in result.summary
    assert result.hint and "ollama serve" in result.hint


def test_timeout(make_settings: Any) -> None:
    with ports.syn_blackhole() as port:
        result = run_check(tcp_reach, _ollama(make_settings, f"http://127.0.0.1:{port}"), "ollama")
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "timeout"
    assert "within 1 s" in result.summary


def test_dead_ipv6_route_costs_a_delay(make_settings: Any, dns_server: dns.DnsServer) -> None:
    with http_server() as server, ports.syn_blackhole("::1", server.port), dns.system_resolver(dns_server):
        settings = _ollama(make_settings, f"http://dual.perspt-test.invalid:{server.port}")
        result = run_check(tcp_reach, settings, "ollama")
    assert result.status is Status.WARN, result
    assert result.facts["family_used"] == "IPv4"
    assert result.facts["ipv6_broken"] == "timeout"
    assert result.facts["dead_route_delay_s"] == pytest.approx(0.25)
    assert "IPv6" in result.summary and "falls back to IPv4" in result.summary
    assert [a["family"] for a in result.facts["attempts"]] == ["IPv6", "IPv4"]


def test_through_a_proxy_connects_to_the_proxy(make_settings: Any) -> None:
    with http_server() as proxy_stand_in:
        settings = make_settings({"provider": "openai", "provider_endpoints": {"openai": "https://api.perspt-test.invalid"}},
                                 env={"HTTPS_PROXY": proxy_stand_in.url})
        result = run_check(tcp_reach, settings, "openai")
    assert result.status is Status.OK
    assert result.facts["via_proxy"] == proxy_stand_in.authority
    assert "the proxy" in result.summary


def test_offline_skips_remote_endpoints(make_settings: Any) -> None:
    settings = make_settings({"provider": "openai"})
    result = run_in_engine(settings, "tcp.openai", "openai", offline=True)
    assert result.status is Status.SKIP and "offline" in result.summary


UNREACHABLE_SCRIPT = """
import asyncio, json, sys
from checks.tcp import tcp_reach
from perspt_doctor.api import CheckContext
from perspt_doctor.settings.resolve import Flags, load_settings
settings = load_settings(Flags(config=sys.argv[1]), env={}, use_keyring=False)
result = asyncio.run(tcp_reach(CheckContext(settings=settings, provider="ollama", offline=False)))
print(json.dumps({"status": str(result.status), "summary": result.summary, "facts": result.facts}))
"""


def test_unreachable_in_a_network_namespace_without_routes(tmp_path: Any) -> None:
    need("unshare", "util-linux")
    # A new network namespace has only a down loopback interface: every connect gets ENETUNREACH
    # from the kernel, and no packet is sent anywhere.
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"provider": "ollama", "provider_endpoints": {"ollama": "http://127.0.0.1:11434"},
                                  "network": {"connect_timeout": 1}}))
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {probe.stderr.decode().strip()}")
    done = subprocess.run(["unshare", "-rn", sys.executable, "-c", UNREACHABLE_SCRIPT, str(config)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "fail"
    assert result["facts"]["outcome"] == "unreachable"
    assert "unreachable" in result["summary"]
