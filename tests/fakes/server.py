"""The common base of the provider fakes: a real HTTP/1.1 server on 127.0.0.1 in a background
thread, with chunked streaming, request recording and scripted faults.

A subclass routes requests (`route`) and knows its provider's error bodies (`error_reply`,
`stream_error_event`). Faults are queued and taken by the next matching request:

    fake.fail("rate_limit", retry_after=2)          # next request: 429 with Retry-After: 2
    fake.fail("reset", after=3, path="chat")         # next chat stream: 3 events, then a TCP reset
    fake.fail("drip", interval=0.05)                 # next reply arrives one byte per interval

Kinds: auth, permission, model_not_found, rate_limit, quota, context, server_error, overloaded,
html, invalid_json, reset, truncate, drip, stream_error, status (any status/body/headers).
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
             b"<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response.</p></body></html>\n")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterable[bytes] | None = None
    """Encoded events (SSE or NDJSON lines), written as chunks of a chunked reply."""


@dataclass
class Fault:
    kind: str
    path: str | None = None
    """Only requests whose path contains this."""
    times: int = 1
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    after: int = 0
    """Stream faults (reset, truncate, stream_error, invalid_json, pause): events sent before it strikes."""
    interval: float = 1.0
    """drip: seconds between bytes; delay: seconds before the reply; pause: seconds the stream is quiet."""
    retry_after: float | None = None
    retry_after_ms: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.fake._serve(self)

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-reply are part of the tests


class FakeServer:
    """Base class. `base_url` is what a client or SDK is pointed at."""

    base_path = ""

    def __init__(self, *, api_key: str | None = "test-key", models: Iterable[str] | None = None,
                 reply: str = "Hello! How can I help you today?") -> None:
        self.api_key = api_key
        self.models: list[str] = list(models) if models is not None else list(self.default_models())
        self.reply = reply
        self.bulk_chunks = 0
        """When > 0, streams send this many one-token chunks, pre-rendered, as fast as possible."""
        self.requests: list[Recorded] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tls = False

    # ---- life cycle ---------------------------------------------------------------------------
    def start(self, port: int = 0, tls: ssl.SSLContext | None = None) -> FakeServer:
        """Serve on 127.0.0.1; with `tls`, serve HTTPS (then `root_url` is https://localhost:PORT)."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", port), handler)
        self._tls = tls is not None
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name=type(self).__name__)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeServer:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "fake not started"
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        if self._tls:
            return f"https://localhost:{self.port}"
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + self.base_path

    # ---- scripting ----------------------------------------------------------------------------
    def fail(self, kind: str, *, path: str | None = None, times: int = 1, **kw: Any) -> Fault:
        known = {f for f in Fault.__dataclass_fields__}
        fault = Fault(kind, path=path, times=times, **{k: v for k, v in kw.items() if k in known},
                      options={k: v for k, v in kw.items() if k not in known})
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def last(self, path_part: str = "") -> Recorded:
        matching = [r for r in self.requests if path_part in r.path]
        assert matching, f"no request to {path_part!r}; got {[r.path for r in self.requests]}"
        return matching[-1]

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is None or fault.path in path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # ---- for subclasses -----------------------------------------------------------------------
    def default_models(self) -> list[str]:
        return []

    def route(self, request: Recorded) -> Reply:
        raise NotImplementedError

    def error_reply(self, kind: str, fault: Fault, request: Recorded) -> Reply:
        raise NotImplementedError

    def stream_error_event(self, fault: Fault) -> bytes:
        raise NotImplementedError

    def reply_tokens(self) -> list[str]:
        """The canned reply cut into streaming pieces (words with their spaces)."""
        words = self.reply.split(" ")
        return [w if i == 0 else " " + w for i, w in enumerate(words)]

    # ---- serving ------------------------------------------------------------------------------
    def _serve(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        request = Recorded(handler.command, parts.path, parse_qs(parts.query),
                           {k.lower(): v for k, v in handler.headers.items()}, body)
        with self._lock:
            self.requests.append(request)
        fault = self._take_fault(parts.path)
        if fault is not None and fault.kind == "reset" and not _is_stream_request(request):
            _reset(handler)
            return
        if fault is not None and fault.kind == "delay":  # nothing at all for `interval` seconds, then the reply
            time.sleep(fault.interval)
            fault = None
        if fault is not None and fault.kind not in ("reset", "truncate", "drip", "stream_error", "invalid_json",
                                                    "pause"):
            self._write(handler, self.error_reply(fault.kind, fault, request))
            return
        try:
            reply = self.route(request)
        except json.JSONDecodeError:
            reply = Reply(400, body=b'{"error": "invalid JSON body"}')
        if fault is not None and fault.kind == "invalid_json" and reply.stream is None:
            reply = Reply(200, body=b'{"id": "broken", "choices": [{"mess', headers=reply.headers)
        self._write(handler, reply, fault)

    def _write(self, handler: _Handler, reply: Reply, fault: Fault | None = None) -> None:
        if reply.stream is not None and reply.status < 400:
            self._write_stream(handler, reply, fault)
            return
        body = reply.body if reply.body is not None else json.dumps(reply.json).encode()
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command == "HEAD":
            return
        try:
            if fault is not None and fault.kind == "drip":
                for i in range(len(body)):
                    handler.wfile.write(body[i:i + 1])
                    time.sleep(fault.interval)
            else:
                handler.wfile.write(body)
        except OSError:
            handler.close_connection = True

    def _write_stream(self, handler: _Handler, reply: Reply, fault: Fault | None) -> None:
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Cache-Control", "no-cache")
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        write = handler.wfile.write
        try:
            for index, event in enumerate(reply.stream or ()):
                if fault is not None and index == fault.after:
                    if fault.kind == "reset":
                        _reset(handler)
                        return
                    if fault.kind == "truncate":
                        break
                    if fault.kind == "stream_error":
                        event = self.stream_error_event(fault)
                        write(b"%x\r\n%s\r\n" % (len(event), event))
                        break
                    if fault.kind == "invalid_json":
                        event = self.broken_event()
                    if fault.kind == "pause":  # the stream goes quiet for `interval` seconds
                        handler.wfile.flush()
                        time.sleep(fault.interval)
                if fault is not None and fault.kind == "drip":
                    for i in range(len(event)):
                        write(b"1\r\n%s\r\n" % event[i:i + 1])
                        time.sleep(fault.interval)
                    continue
                write(b"%x\r\n%s\r\n" % (len(event), event))
            write(b"0\r\n\r\n")
        except OSError:
            handler.close_connection = True

    def broken_event(self) -> bytes:
        return b'data: {"choices": [{"delta": {"content": "oops"\n\n'


def _is_stream_request(request: Recorded) -> bool:
    if "alt=sse" in json.dumps(request.query) or "streamGenerateContent" in request.path:
        return True
    try:
        body = json.loads(request.body) if request.body else None
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("stream"))


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close with RST (SO_LINGER 0): the client sees ECONNRESET, not a clean end."""
    sock: socket.socket = handler.connection
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
    handler.close_connection = True


def sse(data: Any, event: str | None = None, *, crlf: bool = False) -> bytes:
    """One SSE event; `data` is JSON-encoded unless it is already bytes or a str."""
    payload = data if isinstance(data, bytes) else (data if isinstance(data, str) else json.dumps(
        data, separators=(",", ":"))).encode()
    head = b"event: " + event.encode() + b"\n" if event else b""
    text = head + b"data: " + payload + b"\n\n"
    return text.replace(b"\n", b"\r\n") if crlf else text


def batched(events: Iterable[bytes], size: int = 512) -> Iterator[bytes]:
    """Join events into larger writes (bulk mode)."""
    buffer: list[bytes] = []
    for event in events:
        buffer.append(event)
        if len(buffer) >= size:
            yield b"".join(buffer)
            buffer.clear()
    if buffer:
        yield b"".join(buffer)


def bearer_ok(request: Recorded, key: str | None) -> bool | None:
    """None: no Authorization header; True/False: the bearer token matches."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    return key is None or header == f"Bearer {key}"
