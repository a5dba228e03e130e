"""HTTP and HTTPS servers on loopback that answer like a provider (or like something in between),
optionally slow (a fixed latency before the handshake and before each reply) or with a wrong clock."""

from __future__ import annotations

import email.utils
import http.server
import json
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, **headers: str) -> Reply:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **headers})

    @classmethod
    def html(cls, status: int, text: str, **headers: str) -> Reply:
        return cls(status, text.encode(), {"Content-Type": "text/html; charset=utf-8", **headers})


OPENAI_401 = Reply.json(401, {"error": {"message": "You didn't provide an API key.", "type": "invalid_request_error",
                                        "param": None, "code": None}})
Responder = Callable[[str, str], Reply]
"""(method, path) -> Reply."""


@dataclass
class Server:
    host: str
    port: int
    scheme: str
    requests: list[tuple[str, str, dict[str, str]]]

    @property
    def authority(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}"


class _TCPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls: ssl.SSLContext | None = None
    latency: float = 0.0

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.latency:
            time.sleep(self.latency)
        if self.tls is not None:
            request.settimeout(5)
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        self.RequestHandlerClass(request, client_address, self)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def _handler(responder: Responder, latency: float, clock_offset: float,
             log: list[tuple[str, str, dict[str, str]]]) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def date_time_string(self, timestamp: float | None = None) -> str:
            return email.utils.formatdate(time.time() + clock_offset, usegmt=True)

        def _answer(self, method: str) -> None:
            log.append((method, self.path, dict(self.headers)))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if latency:
                time.sleep(latency)
            reply = responder(method, self.path)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(reply.body)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_HEAD(self) -> None:
            self._answer("HEAD")

        def do_POST(self) -> None:
            self._answer("POST")

    return Handler


@contextmanager
def http_server(responder: Responder | Reply = OPENAI_401, *, host: str = "127.0.0.1",
                tls: ssl.SSLContext | None = None, latency: float = 0.0, clock_offset: float = 0.0,
                port: int = 0) -> Iterator[Server]:
    """A threaded HTTP(S) server; `tls` is a server-side context (see `certs.py`)."""
    answer: Responder = responder if callable(responder) else (lambda _m, _p: responder)  # type: ignore[assignment]
    log: list[tuple[str, str, dict[str, str]]] = []

    class Bound(_TCPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    server = Bound((host, port), _handler(answer, latency, clock_offset, log))
    server.tls = tls
    server.latency = latency
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Server(host, int(server.server_address[1]), "https" if tls else "http", log)
    finally:
        server.shutdown()
        server.server_close()
