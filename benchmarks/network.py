"""Network checks at scale, on loopback only. Prints figures; asserts nothing.

1. Latency: 11 providers, each served by its own loopback server that adds 200 ms before the TLS
   handshake and before every reply. All proxy/dns/tcp/tls/http checks for all 11 run together;
   goal: at most 1.3 x the slowest single provider run (the same checks for one provider alone).
2. Black holes: every endpoint is a port that drops connection attempts, under `--timeout 3`;
   goal: at most 3.5 s, and a row for every check.

Run: .venv/bin/python benchmarks/network.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checks import dns, http, proxy, tcp, tls  # noqa: E402
from perspt_doctor import catalog  # noqa: E402
from perspt_doctor.engine.check_model import CHECK_ATTRIBUTE  # noqa: E402
from perspt_doctor.engine.runner import DoctorOptions, run_doctor  # noqa: E402
from perspt_doctor.settings.resolve import Flags, Settings, load_settings  # noqa: E402
from tests.infra import certs, ports  # noqa: E402
from tests.infra.servers import OPENAI_401, Reply, http_server  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import goal  # noqa: E402

LATENCY = 0.2
PROVIDERS = list(catalog.PROVIDERS)
CHECKS = [getattr(f, CHECK_ATTRIBUTE) for f in (proxy.proxy_route, dns.dns_lookup, tcp.tcp_reach, tls.tls_verify,
                                                   http.http_probe)]


def _settings(directory: Path, endpoints: dict[str, str], network: dict[str, Any]) -> Settings:
    path = directory / f"config-{len(list(directory.iterdir()))}.json"
    path.write_text(json.dumps({"provider": "openai", "provider_endpoints": endpoints, "network": network}))
    return load_settings(Flags(config=str(path)), env={}, use_keyring=False)


def _run(settings: Settings, providers: list[str], timeout: float) -> tuple[float, Any]:
    started = time.perf_counter()
    run = run_doctor(settings, DoctorOptions(providers=tuple(providers), timeout=timeout, builtins=False),
                     checks=CHECKS)
    return time.perf_counter() - started, run


def latency_run(directory: Path) -> None:
    ca = certs.authority(directory, "bench-ca")
    with ExitStack() as stack:
        endpoints: dict[str, str] = {}
        for pid in PROVIDERS:
            spec = catalog.PROVIDERS[pid]
            if spec.is_loopback_default:
                server = stack.enter_context(http_server(Reply.json(200, {"models": []}), latency=LATENCY))
                endpoints[pid] = f"http://127.0.0.1:{server.port}"
            else:
                context = certs.valid(directory, ca)
                server = stack.enter_context(http_server(OPENAI_401, tls=context, latency=LATENCY))
                endpoints[pid] = f"https://localhost:{server.port}"
        settings = _settings(directory, endpoints, {"ca_bundle": str(ca.pem)})
        _run(settings, ["ollama"], 30)  # warm-up: imports, certifi and trust store loading
        singles: dict[str, float] = {}
        slowest_check = (0, "")
        for pid in PROVIDERS:
            elapsed, run = _run(settings, [pid], 30)
            singles[pid] = elapsed
            statuses = {o.id: str(o.status) for o in run.outcomes}
            assert all(s in ("ok", "skip") for s in statuses.values()), statuses
            for outcome in run.outcomes:
                slowest_check = max(slowest_check, (outcome.duration_ms, outcome.id))
        elapsed, run = _run(settings, PROVIDERS, 30)
    slowest = max(singles.values())
    slowest_pid = max(singles, key=lambda p: singles[p])
    counts: dict[str, int] = {}
    for outcome in run.outcomes:
        counts[str(outcome.status)] = counts.get(str(outcome.status), 0) + 1
    print(f"latency run: {len(PROVIDERS)} providers, {len(run.outcomes)} checks, {LATENCY * 1000:.0f} ms added per "
          "handshake and per reply")
    print(f"  slowest single provider run ({slowest_pid}): {slowest:.3f} s; slowest single check: "
          f"{slowest_check[1]} {slowest_check[0]} ms")
    print(f"  all providers together:      {elapsed:.3f} s  -> {elapsed / slowest:.2f} x the slowest single run")
    goal("11 providers at 200 ms latency / slowest single", elapsed / slowest, "x", 1.3,
         note=f"all together {elapsed:.2f} s; floor: slowest single provider ({slowest_pid}) {slowest:.2f} s; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  statuses: {counts}")


def blackhole_run(directory: Path) -> None:
    with ExitStack() as stack:
        endpoints = {}
        for pid in PROVIDERS:
            port = stack.enter_context(ports.syn_blackhole())
            scheme = "http" if catalog.PROVIDERS[pid].is_loopback_default else "https"
            endpoints[pid] = f"{scheme}://127.0.0.1:{port}"
        settings = _settings(directory, endpoints, {})
        elapsed, run = _run(settings, PROVIDERS, 3)
    expected = {c.id.replace("{provider}", pid) for c in CHECKS for pid in PROVIDERS}
    present = {o.id for o in run.outcomes}
    counts: dict[str, int] = {}
    for outcome in run.outcomes:
        counts[str(outcome.status)] = counts.get(str(outcome.status), 0) + 1
    print(f"black-hole run: every endpoint drops SYNs, --timeout 3: {elapsed:.3f} s")
    print(f"  rows: {len(present & expected)}/{len(expected)} present; statuses: {counts}")
    goal("black holes under --timeout 3", elapsed, "s", 3.5,
         note=f"{len(present & expected)}/{len(expected)} rows present")
    sample = next(o for o in run.outcomes if o.id == "tcp.openai")
    print(f"  tcp.openai: {sample.status}: {sample.result.summary}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="perspt-bench-net-") as tmp:
        directory = Path(tmp)
        latency_run(directory)
        blackhole_run(directory)


if __name__ == "__main__":
    main()
