"""Loaded by the client and the doctor run as subprocesses in the agreement suite (PYTHONPATH): with
PERSPT_AGREEMENT_DNS=host:port, getaddrinfo answers invented names (`*.invalid`) from that loopback DNS
server and fails the run on any real name, exactly as `tests/infra/dns.system_resolver` does in-process."""

import os

_spec = os.environ.get("PERSPT_AGREEMENT_DNS")
if _spec:
    import socket

    from tests.infra.dns import DnsServer, GuardedResolver

    _host, _, _port = _spec.rpartition(":")
    socket.getaddrinfo = GuardedResolver(socket.getaddrinfo, DnsServer(_host, int(_port)))  # type: ignore[assignment]
