"""DNS on loopback: dnsmasq answering for invented API names (normal, NXDOMAIN, sinkholes, no data),
a server that never answers, and a stand-in for the OS resolver that sends invented names to them.

The OS resolver (getaddrinfo) cannot be pointed at a port, so tests that need its side install
`system_resolver(server)`: invented names (`*.invalid`) are looked up at that server and returned the
way glibc returns them; IP literals and `localhost` go to the real getaddrinfo; any other name fails
the test, so no test ever sends a query off this machine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.infra.ports import free_port

DNSMASQ = "/usr/sbin/dnsmasq"
INVENTED_SUFFIXES = (".invalid", ".invalid.")


@dataclass
class DnsServer:
    host: str
    port: int

    @property
    def spec(self) -> str:
        """The value for `network.dns_servers`."""
        return f"{self.host}:{self.port}"


@contextmanager
def dnsmasq(directory: Path, *, addresses: dict[str, list[str]] | None = None, nxdomain: tuple[str, ...] = (),
            no_address: tuple[str, ...] = ()) -> Iterator[DnsServer]:
    """`addresses`: name -> A/AAAA answers; `nxdomain`: names that do not exist; `no_address`: names that
    exist with no address records. Any other name is REFUSED (there is no upstream)."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port(kind=socket.SOCK_DGRAM)
    args = [DNSMASQ, "--no-daemon", "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1",
            f"--port={port}", "--pid-file=", "--log-facility=-", "--log-queries"]
    if os.geteuid() == 0:
        args.append("--user=root")
    for name, ips in (addresses or {}).items():
        v4 = [ip for ip in ips if ":" not in ip]
        v6 = [ip for ip in ips if ":" in ip]
        args += [f"--host-record={name},{','.join(v4[:1] + v6[:1])}", f"--local=/{name}/"]
    for name in nxdomain:
        args.append(f"--address=/{name}/")
    for name in no_address:
        args += [f"--txt-record={name},exists", f"--local=/{name}/"]
    with open(directory / f"dnsmasq-{port}.log", "wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_dns("127.0.0.1", port, process)
        yield DnsServer("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(5)


def _wait_dns(host: str, port: int, process: subprocess.Popen[bytes]) -> None:
    import time

    import dns.message
    import dns.query

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dnsmasq exited with {process.returncode}")
        try:
            dns.query.udp(dns.message.make_query("ready.invalid.", "A"), host, port=port, timeout=0.2)
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.05)
    raise TimeoutError("dnsmasq did not start")


@contextmanager
def silent_dns() -> Iterator[DnsServer]:
    """A UDP socket that reads queries and never answers (a dead or filtered resolver)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            try:
                sock.recv(4096)
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    try:
        yield DnsServer("127.0.0.1", int(sock.getsockname()[1]))
    finally:
        stop.set()
        thread.join(1)
        sock.close()


def _is_invented(host: str) -> bool:
    return host.lower().endswith(INVENTED_SUFFIXES)


def _is_local(host: str) -> bool:
    import ipaddress

    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


class GuardedResolver:
    """Replaces socket.getaddrinfo: invented names go to `server` (None: they do not exist)."""

    def __init__(self, real: Any, server: DnsServer | None, timeout: float = 2.0, every_name: bool = False) -> None:
        self.real = real
        self.server = server
        self.timeout = timeout
        self.every_name = every_name and server is not None
        """Real names too go to the loopback `server` (a machine whose resolver answers nothing public)."""

    def __call__(self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0,
                 flags: int = 0) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host) if host is not None else None
        if name is None or _is_local(name):
            return self.real(host, port, family, type, proto, flags)
        if not _is_invented(name) and not self.every_name:
            raise AssertionError(f"a test tried to resolve the real name {name!r}; use an invented *.invalid name")
        if self.server is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self._lookup(name, int(port or 0), family, type)

    def _lookup(self, name: str, port: int, family: int, type: int) -> list[Any]:
        import dns.exception
        import dns.resolver

        assert self.server is not None
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.server.host]
        resolver.port = self.server.port
        resolver.lifetime = self.timeout
        out: list[Any] = []
        failures: list[str] = []
        wanted = [("AAAA", socket.AF_INET6), ("A", socket.AF_INET)]
        for rdtype, fam in wanted:
            if family not in (0, fam):
                continue
            try:
                answer = resolver.resolve(name.rstrip(".") + ".", rdtype, search=False)
            except dns.resolver.NXDOMAIN:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            except dns.resolver.NoAnswer:
                failures.append("nodata")
                continue
            except (dns.resolver.NoNameservers, dns.exception.Timeout):
                raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution") from None
            for record in answer:
                sockaddr = (record.address, port, 0, 0) if fam == socket.AF_INET6 else (record.address, port)
                out.append((fam, type or socket.SOCK_STREAM, 6, "", sockaddr))
        if not out:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return out


@contextmanager
def system_resolver(server: DnsServer | None, *, every_name: bool = False) -> Iterator[GuardedResolver]:
    """Make getaddrinfo answer invented names (with `every_name`, every name) from the loopback `server`
    for the duration (see the module doc)."""
    real = socket.getaddrinfo
    guard = GuardedResolver(getattr(real, "real", real), server, every_name=every_name)
    socket.getaddrinfo = guard  # type: ignore[assignment]
    try:
        yield guard
    finally:
        socket.getaddrinfo = real
