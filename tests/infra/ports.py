"""Free ports, ports that refuse, listeners that never answer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress


def family_of(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def free_port(host: str = "127.0.0.1", kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(family_of(host), kind) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:g} s") from None
            time.sleep(0.05)


@contextmanager
def refusing_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port that is bound but not listening: connections are refused, and nobody else can take it."""
    with socket.socket(family_of(host), socket.SOCK_STREAM) as holder:
        holder.bind((host, 0))
        yield int(holder.getsockname()[1])


@contextmanager
def syn_blackhole(host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    """A port where connection attempts time out: a listener with a full accept queue drops new SYNs."""
    listener = socket.socket(family_of(host), socket.SOCK_STREAM)
    if ":" in host:
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    listener.bind((host, port))
    listener.listen(0)
    bound = int(listener.getsockname()[1])
    fillers = []
    for _ in range(4):
        filler = socket.socket(family_of(host), socket.SOCK_STREAM)
        filler.setblocking(False)
        with suppress(BlockingIOError):
            filler.connect((host, bound))
        fillers.append(filler)
    time.sleep(0.05)
    try:
        yield bound
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@contextmanager
def silent_listener(host: str = "127.0.0.1") -> Iterator[int]:
    """Accepts connections and never sends a byte: TLS handshakes and reads time out."""
    listener = socket.socket(family_of(host), socket.SOCK_STREAM)
    listener.bind((host, 0))
    listener.listen(64)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(1)
        for conn in held:
            conn.close()
        listener.close()
