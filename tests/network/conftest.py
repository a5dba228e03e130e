"""Fixtures for the network checks: real proxies, DNS and TLS servers on loopback (see tests/infra).
Every test runs with the guarded system resolver, so invented names never leave this machine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from perspt_doctor.api import CheckContext, Result
from perspt_doctor.settings.resolve import Flags, Settings, load_settings
from tests.infra import certs, dns, proxies
from tests.infra.tools import unavailable

INVENTED = "api.perspt-test.invalid"


@pytest.fixture(autouse=True)
def guarded_resolver() -> Iterator[dns.GuardedResolver]:
    with dns.system_resolver(None) as guard:
        yield guard


@pytest.fixture(scope="session")
def infra_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("infra")


@pytest.fixture(scope="session")
def test_ca(infra_dir: Path) -> certs.Authority:
    return certs.authority(infra_dir, "test-ca")


def _need(binary: str) -> None:
    reason = proxies.missing(binary)
    if reason:
        unavailable(reason)


@pytest.fixture(scope="session")
def tinyproxy_plain(infra_dir: Path) -> Iterator[proxies.Proxy]:
    _need(proxies.TINYPROXY)
    with proxies.tinyproxy(infra_dir / "tinyproxy-plain") as proxy:
        yield proxy


@pytest.fixture(scope="session")
def tinyproxy_auth(infra_dir: Path) -> Iterator[proxies.Proxy]:
    _need(proxies.TINYPROXY)
    with proxies.tinyproxy(infra_dir / "tinyproxy-auth", auth=("alice", "s3cret")) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def squid_proxy(infra_dir: Path) -> Iterator[proxies.Proxy]:
    _need(proxies.SQUID)
    with proxies.squid(infra_dir / "squid") as proxy:
        yield proxy


DNS_RECORDS = {
    INVENTED: ["93.184.216.34", "2606:2800:220:1::1"],
    "v4only.perspt-test.invalid": ["93.184.216.34"],
    "sinkhole.perspt-test.invalid": ["0.0.0.0"],
    "hostsblock.perspt-test.invalid": ["127.0.0.1"],
    "private.perspt-test.invalid": ["10.20.30.40"],
    "cgnat.perspt-test.invalid": ["100.100.1.2"],
    "fakeip.perspt-test.invalid": ["198.18.0.7"],
    "dual.perspt-test.invalid": ["127.0.0.1", "::1"],
}


@pytest.fixture(scope="session")
def dns_server(infra_dir: Path) -> Iterator[dns.DnsServer]:
    _need(dns.DNSMASQ)
    with dns.dnsmasq(infra_dir / "dnsmasq", addresses=DNS_RECORDS, nxdomain=("nx.perspt-test.invalid",),
                     no_address=("noaddr.perspt-test.invalid",)) as server:
        yield server


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """make_settings(config={...}, env={...}): settings read from a real config file."""
    counter = iter(range(1000))

    def build(config: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Settings:
        path = tmp_path / f"config-{next(counter)}.json"
        path.write_text(json.dumps(config or {}))
        return load_settings(Flags(config=str(path)), env=dict(env or {}), use_keyring=False)

    return build


def run_in_engine(settings: Settings, check_id: str, provider: str, *, offline: bool = False) -> Result:
    """One built-in check run by the real engine (its --offline rule included), not called directly."""
    from perspt_doctor.engine.runner import DoctorOptions, run_doctor

    run = run_doctor(settings, DoctorOptions(only=(check_id,), providers=(provider,), offline=offline))
    return run.by_id()[check_id].result


def run_check(func: Callable[..., Any], settings: Settings, provider: str, *, offline: bool = False,
              results: dict[str, Result] | None = None) -> Result:
    ctx = CheckContext(settings=settings, provider=provider, offline=offline, results=results or {})
    result = asyncio.run(func(ctx))
    assert isinstance(result, Result)
    return result
