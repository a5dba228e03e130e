"""dns.<provider> against a real dnsmasq on a loopback port (dnspython side, via network.dns_servers)
and the guarded system resolver (getaddrinfo side)."""

from __future__ import annotations

from typing import Any

import pytest

from checks.dns import dns_lookup
from perspt_doctor.api import Status
from tests.infra import dns
from tests.network.conftest import INVENTED, run_check, run_in_engine


def _settings(make_settings: Any, server: dns.DnsServer, host: str, provider: str = "openai", **network: Any) -> Any:
    return make_settings({"provider": provider, "provider_endpoints": {provider: f"https://{host}/v1"},
                          "network": {"dns_servers": [server.spec], "connect_timeout": 1, **network}})


def test_normal_answer_both_sides(make_settings: Any, dns_server: dns.DnsServer) -> None:
    with dns.system_resolver(dns_server):
        result = run_check(dns_lookup, _settings(make_settings, dns_server, INVENTED), "openai")
    assert result.status is Status.OK, result
    assert "93.184.216.34" in result.summary
    assert result.facts["aaaa"] is True
    assert result.facts["dnspython"]["A"]["addresses"] == ["93.184.216.34"]


def test_no_aaaa_is_reported(make_settings: Any, dns_server: dns.DnsServer) -> None:
    with dns.system_resolver(dns_server):
        result = run_check(dns_lookup, _settings(make_settings, dns_server, "v4only.perspt-test.invalid"), "openai")
    assert result.status is Status.OK
    assert result.facts["aaaa"] is False
    assert any("no AAAA" in d for d in result.details)


def test_nxdomain(make_settings: Any, dns_server: dns.DnsServer) -> None:
    with dns.system_resolver(dns_server):
        result = run_check(dns_lookup, _settings(make_settings, dns_server, "nx.perspt-test.invalid"), "openai")
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "nxdomain"
    assert "NXDOMAIN" in result.summary
    assert result.hint and "spelling" in result.hint


def test_servfail_or_refused(make_settings: Any, dns_server: dns.DnsServer) -> None:
    with dns.system_resolver(dns_server):
        result = run_check(dns_lookup, _settings(make_settings, dns_server, "unknown.perspt-test.invalid"), "openai")
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "servfail"
    assert "SERVFAIL" in result.summary


def test_no_address_records(make_settings: Any, dns_server: dns.DnsServer) -> None:
    with dns.system_resolver(dns_server):
        result = run_check(dns_lookup, _settings(make_settings, dns_server, "noaddr.perspt-test.invalid"), "openai")
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "noanswer"
    assert "no address records" in result.summary


def test_server_that_never_answers(make_settings: Any) -> None:
    with dns.silent_dns() as silent, dns.system_resolver(silent):
        result = run_check(dns_lookup, _settings(make_settings, silent, INVENTED), "openai")
    assert result.status is Status.FAIL
    assert result.facts["outcome"] == "timeout"
    assert "did not reply" in result.summary
    assert result.hint and "network.dns_servers" in result.hint


@pytest.mark.parametrize(("host", "status", "words"), [
    ("sinkhole.perspt-test.invalid", Status.FAIL, "blocklist"),
    ("hostsblock.perspt-test.invalid", Status.FAIL, "loopback"),
    ("private.perspt-test.invalid", Status.WARN, "private address"),
    ("cgnat.perspt-test.invalid", Status.WARN, "CGNAT"),
    ("fakeip.perspt-test.invalid", Status.WARN, "fake-IP"),
])
def test_sinkhole_answers_for_a_public_api_host(make_settings: Any, dns_server: dns.DnsServer, host: str,
                                                status: Status, words: str) -> None:
    with dns.system_resolver(dns_server):
        result = run_check(dns_lookup, _settings(make_settings, dns_server, host), "openai")
    assert result.status is status, result
    assert words in result.summary
    assert result.hint and "hosts" in result.hint


def test_private_answer_is_fine_for_a_local_server(make_settings: Any, dns_server: dns.DnsServer) -> None:
    with dns.system_resolver(dns_server):
        result = run_check(dns_lookup, _settings(make_settings, dns_server, "private.perspt-test.invalid",
                                                 provider="openai-compatible"), "openai-compatible")
    assert result.status is Status.OK


def test_split_horizon_system_resolver_disagrees(make_settings: Any, dns_server: dns.DnsServer) -> None:
    # The guarded system resolver knows no invented names: only the configured DNS server answers.
    result = run_check(dns_lookup, _settings(make_settings, dns_server, INVENTED), "openai")
    assert result.status is Status.FAIL
    assert "this machine's resolver cannot resolve" in result.summary
    assert "93.184.216.34" in result.summary
    assert result.hint and "hosts file" in result.hint


def test_ip_literal_needs_no_lookup(make_settings: Any) -> None:
    settings = make_settings({"provider": "ollama", "provider_endpoints": {"ollama": "http://127.0.0.1:11434"}})
    result = run_check(dns_lookup, settings, "ollama")
    assert result.status is Status.OK
    assert "IP address" in result.summary


def test_offline_skips_remote_but_not_loopback(make_settings: Any, dns_server: dns.DnsServer) -> None:
    remote = run_in_engine(_settings(make_settings, dns_server, INVENTED), "dns.openai", "openai", offline=True)
    assert remote.status is Status.SKIP and "offline" in remote.summary
    local = make_settings({"provider": "ollama", "provider_endpoints": {"ollama": "http://localhost:11434"}})
    result = run_in_engine(local, "dns.ollama", "ollama", offline=True)
    assert result.status is Status.OK
    assert "127.0.0.1" in result.summary


def test_proxy_resolves_the_target(make_settings: Any, dns_server: dns.DnsServer) -> None:
    settings = make_settings({"provider": "openai", "provider_endpoints": {"openai": f"https://{INVENTED}/v1"}},
                             env={"HTTPS_PROXY": "http://127.0.0.1:3128"})
    result = run_check(dns_lookup, settings, "openai")
    assert result.status is Status.OK
    assert result.facts["resolved_by_proxy"] is True
    assert any("resolved by the proxy 127.0.0.1:3128" in d for d in result.details)
