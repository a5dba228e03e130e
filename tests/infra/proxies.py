"""Real proxies on 127.0.0.1: tinyproxy (plain, or with BasicAuth) and squid (refusing CONNECT to
non-443 ports and any request to loopback, like a corporate proxy that cannot see your machine)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.infra.ports import free_port, wait_for_port

TINYPROXY = "/usr/bin/tinyproxy"
SQUID = "/usr/sbin/squid"


def missing(binary: str) -> str | None:
    """A skip reason when the Debian package is not installed (scripts/test.sh installs it)."""
    found = binary if os.path.exists(binary) else shutil.which(Path(binary).name)
    return None if found else f"{binary} is not installed (apt-get install {Path(binary).name})"


@dataclass
class Proxy:
    host: str
    port: int
    user: str | None = None
    password: str | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_with(self, user: str, password: str) -> str:
        return f"http://{user}:{password}@{self.host}:{self.port}"


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@contextmanager
def tinyproxy(directory: Path, *, auth: tuple[str, str] | None = None) -> Iterator[Proxy]:
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    lines = [f"Port {port}", "Listen 127.0.0.1", "Timeout 10", "LogLevel Info", "MaxClients 50",
             "Allow 127.0.0.1", "DisableViaHeader Yes"]
    if auth:
        lines.append(f"BasicAuth {auth[0]} {auth[1]}")
    if os.geteuid() == 0:
        lines += ["User nobody", "Group nogroup"]
    conf = directory / f"tinyproxy-{port}.conf"
    conf.write_text("\n".join(lines) + "\n")
    log = directory / f"tinyproxy-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([TINYPROXY, "-d", "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", port)
        yield Proxy("127.0.0.1", port, *(auth or (None, None)), log=log)
    finally:
        _stop(process)


@contextmanager
def squid(directory: Path) -> Iterator[Proxy]:
    """squid 5 in the foreground. It refuses CONNECT except to port 443, and everything to loopback.
    As root, squid runs as the `proxy` user, so its files live in a world-writable dir under /tmp
    (pytest's own temp dirs are private to root)."""
    import tempfile

    directory.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="perspt-squid-"))
    os.chmod(directory, 0o777)
    port = free_port()
    conf = directory / "squid.conf"
    conf.write_text("\n".join([
        f"http_port 127.0.0.1:{port}",
        "acl localnet src 127.0.0.1/32",
        "acl SSL_ports port 443",
        "acl CONNECT method CONNECT",
        "http_access deny CONNECT !SSL_ports",
        "http_access deny to_localhost",
        "http_access allow localnet",
        "http_access deny all",
        "cache deny all",
        f"access_log stdio:{directory}/access.log",
        f"cache_log {directory}/cache.log",
        f"pid_filename {directory}/squid.pid",
        f"coredump_dir {directory}",
        "shutdown_lifetime 0 seconds",
    ]) + "\n")
    with open(directory / "squid.out", "wb") as out:
        process = subprocess.Popen([SQUID, "-N", "-f", str(conf)], stdout=out, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_port("127.0.0.1", port, timeout=20)
        except TimeoutError:
            raise TimeoutError(f"squid did not start: {(directory / 'squid.out').read_text()[-500:]}") from None
        yield Proxy("127.0.0.1", port, log=directory / "access.log")
    finally:
        _stop(process)
        shutil.rmtree(directory, ignore_errors=True)
