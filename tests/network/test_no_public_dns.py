"""No internet at all (issue 13, item 1): the machine's resolver (a loopback dnsmasq with no upstream)
answers REFUSED or NXDOMAIN for every name. The doctor says once that no public name resolves, keeps the
per-provider rows short without the spelling advice for built-in hosts, and triage ranks that conclusion
first. Every query goes to 127.0.0.1; nothing leaves this machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from perspt_doctor.engine.runner import DoctorOptions, run_doctor
from perspt_doctor.report.json_doc import to_document
from perspt_doctor.report.triage import rank, root_cause
from tests.infra import dns
from tests.network.conftest import _need

PROVIDERS = ("openai", "anthropic", "groq")


@pytest.fixture(params=["refused", "nxdomain"])
def dead_resolver(request: pytest.FixtureRequest, infra_dir: Path) -> Iterator[tuple[str, dns.DnsServer]]:
    _need(dns.DNSMASQ)
    everything = ("#",) if request.param == "nxdomain" else ()  # `--address=/#/`: every name is NXDOMAIN
    with dns.dnsmasq(infra_dir / f"dnsmasq-dead-{request.param}", nxdomain=everything) as server, \
            dns.system_resolver(server, every_name=True):
        yield request.param, server


def test_one_conclusion_short_rows_and_triage(make_settings: Any, dead_resolver: tuple[str, dns.DnsServer]) -> None:
    mode, server = dead_resolver
    settings = make_settings({"provider": "openai", "network": {"dns_servers": [server.spec], "connect_timeout": 1}})
    run = run_doctor(settings, DoctorOptions(only=("dns.*",), providers=PROVIDERS))
    rows = run.by_id()
    conclusion = rows["dns.public"].result
    assert conclusion.status.value == "fail", conclusion
    assert conclusion.summary == "this machine resolves no public name: no network, or DNS is filtered"
    assert conclusion.facts["cause"]["kind"] == "no_public_dns" and conclusion.facts["cause"]["layer"] == "dns"
    assert conclusion.facts["well_known"]["name"] == "example.com"
    assert conclusion.facts["well_known"]["outcome"] == ("nxdomain" if mode == "nxdomain" else "servfail")
    assert f"DNS server {server.spec}: answers, but refuses or denies every name" in conclusion.details
    assert any(d.startswith("default route: ") for d in conclusion.details)
    assert conclusion.hint and "network.dns_servers" in conclusion.hint
    assert sorted(conclusion.facts["outcomes"]) == [f"dns.{p}" for p in sorted(PROVIDERS)]
    for provider in PROVIDERS:
        row = rows[f"dns.{provider}"].result
        assert row.status.value == "fail", row
        assert row.facts.get("builtin_host") is True
        assert row.summary.endswith(f"does not resolve ({'NXDOMAIN' if mode == 'nxdomain' else 'SERVFAIL/REFUSED'} "
                                    f"from {server.spec})"), row.summary
        assert row.hint and "spelling" not in row.hint and "dns.public" in row.hint
    findings = rank(to_document(run))
    root = root_cause(findings)
    assert root is not None and root.check_id == "dns.public", [f.check_id for f in findings]
    assert all(f.consequence_of == "dns.public" for f in findings if f.check_id.startswith("dns.")
               and f.check_id != "dns.public")


def test_a_custom_host_keeps_the_spelling_advice_and_one_resolving_host_means_no_conclusion(
        make_settings: Any, infra_dir: Path) -> None:
    _need(dns.DNSMASQ)
    with dns.dnsmasq(infra_dir / "dnsmasq-partial", addresses={"api.openai.com": ["203.0.113.7"]},
                     nxdomain=("typo.perspt-test.invalid",)) as server, dns.system_resolver(server, every_name=True):
        settings = make_settings({"provider": "openai",
                                  "provider_endpoints": {"groq": "https://typo.perspt-test.invalid/v1"},
                                  "network": {"dns_servers": [server.spec], "connect_timeout": 1}})
        run = run_doctor(settings, DoctorOptions(only=("dns.*",), providers=("openai", "groq")))
    rows = run.by_id()
    assert rows["dns.openai"].result.status.value in ("ok", "warn")
    typo = rows["dns.groq"].result
    assert typo.status.value == "fail" and "check the spelling of the host" in (typo.hint or "")
    assert rows["dns.public"].result.status.value == "ok", rows["dns.public"].result
