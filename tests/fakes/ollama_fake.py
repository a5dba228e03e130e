"""A fake Ollama daemon on a real loopback socket, faithful to the wire protocol.

    with ollama_fake(models=["llama3.2", "mistral:7b"]) as fake:
        fake.base_url            # http://127.0.0.1:PORT
        fake.busy("/api/chat")   # the next /api/chat answers 503 "server busy ..."

Native API: `/`, `/api/version`, `/api/tags`, `/api/ps`, `/api/show`, `/api/chat` and `/api/generate`
(NDJSON streaming by default, one JSON object with "stream": false), `/api/pull`. OpenAI layer:
`/v1/models`, `/v1/chat/completions` (JSON or SSE). Errors use Ollama's flat `{"error": "..."}`
body (OpenAI-shaped under `/v1`). Faults are scripted per path: an HTTP error, a delay, a
connection reset, a request that never gets an answer, or an error in the middle of a stream.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OOM_ERROR = "model requires more system memory (7.3 GiB) than is available (4.1 GiB)"
CUDA_OOM_ERROR = "llama runner process has terminated: cudaMalloc failed: out of memory"
BUSY_ERROR = "server busy, please try again.  maximum pending requests exceeded"
MID_STREAM_ERROR = "an error was encountered while running the model"

_ARCH_INFO: dict[str, dict[str, int]] = {
    # block_count, embedding_length, head_count, head_count_kv, context_length (real values)
    "llama3.2:latest": {"block_count": 28, "embedding_length": 3072, "head_count": 24, "head_count_kv": 8,
                        "context_length": 131072},
    "llama3.1:8b": {"block_count": 32, "embedding_length": 4096, "head_count": 32, "head_count_kv": 8,
                    "context_length": 131072},
    "llama3.2:1b": {"block_count": 16, "embedding_length": 2048, "head_count": 32, "head_count_kv": 8,
                    "context_length": 131072},
}
_DEFAULT_INFO = {"block_count": 32, "embedding_length": 4096, "head_count": 32, "head_count_kv": 8,
                 "context_length": 32768}


def normalise(name: str) -> str:
    """Ollama's model-name matching: no tag means `latest`, the default registry prefix is optional."""
    name = name.strip().lower()
    for prefix in ("registry.ollama.ai/library/", "registry.ollama.ai/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    if name.startswith("library/"):
        name = name[len("library/"):]
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else f"{name}:latest"


@dataclass
class FakeModel:
    name: str
    size: int = 2_019_393_189
    family: str = "llama"
    parameter_size: str = "3.2B"
    quantization_level: str = "Q4_K_M"
    capabilities: list[str] = field(default_factory=lambda: ["completion", "tools"])
    model_info: dict[str, Any] | None = None
    """`/api/show` model_info; None builds llama-style keys from a table of real shapes."""
    modified_at: str = "2025-05-04T17:37:44.706015396-07:00"
    remote_host: str | None = None
    """Set for a cloud model (`...-cloud` tags): /api/tags then carries remote_model and remote_host."""

    def __post_init__(self) -> None:
        self.name = normalise(self.name)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()

    @property
    def details(self) -> dict[str, Any]:
        return {"parent_model": "", "format": "gguf", "family": self.family, "families": [self.family],
                "parameter_size": self.parameter_size, "quantization_level": self.quantization_level}

    def info(self) -> dict[str, Any]:
        if self.model_info is not None:
            return self.model_info
        shape = _ARCH_INFO.get(self.name, _DEFAULT_INFO)
        arch = self.family
        return {
            "general.architecture": arch,
            "general.parameter_count": int(float(self.parameter_size.rstrip("BbMm") or 0) * 1e9),
            f"{arch}.block_count": shape["block_count"],
            f"{arch}.embedding_length": shape["embedding_length"],
            f"{arch}.attention.head_count": shape["head_count"],
            f"{arch}.attention.head_count_kv": shape["head_count_kv"],
            f"{arch}.context_length": shape["context_length"],
        }


@dataclass
class Loaded:
    name: str
    size: int
    size_vram: int
    context_length: int = 4096


@dataclass
class Fault:
    status: int | None = None
    error: str | None = None
    raw_body: str | None = None
    delay: float = 0.0
    reset: bool = False
    hang: bool = False
    mid_stream: str | None = None
    times: int | None = None
    """How many requests it applies to; None means every one."""


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class OllamaFake:
    def __init__(self, models: Iterable[str | FakeModel] = (), *, version: str = "0.12.3",
                 vram: int = 0, registry: Iterable[str | FakeModel] = (), reply: str = "Hello from the fake Ollama.",
                 not_found_style: str = "scheduler") -> None:
        self.models: list[FakeModel] = [m if isinstance(m, FakeModel) else FakeModel(m) for m in models]
        self.registry: list[FakeModel] = [m if isinstance(m, FakeModel) else FakeModel(m) for m in registry]
        self.version = version
        self.vram = vram
        """Bytes of GPU memory the fake daemon can load models into (0: CPU only)."""
        self.reply = reply
        self.not_found_style = not_found_style
        self.loaded: list[Loaded] = []
        self.requests: list[Recorded] = []
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> OllamaFake:
        fake = self

        class Handler(_Handler):
            owner = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="ollama-fake", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OllamaFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- scripting -------------------------------------------------------------------
    def fault(self, path: str, fault: Fault) -> None:
        with self._lock:
            self._faults.setdefault(path, []).append(fault)

    def fail(self, path: str, status: int, error: str, *, times: int | None = None) -> None:
        self.fault(path, Fault(status=status, error=error, times=times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def busy(self, path: str = "/api/chat", *, times: int | None = None) -> None:
        self.fail(path, 503, BUSY_ERROR, times=times)

    def out_of_memory(self, path: str = "/api/chat", *, error: str = OOM_ERROR, times: int | None = None) -> None:
        self.fail(path, 500, error, times=times)

    def slow(self, path: str, seconds: float, *, times: int | None = None) -> None:
        self.fault(path, Fault(delay=seconds, times=times))

    def reset(self, path: str, *, times: int | None = None) -> None:
        self.fault(path, Fault(reset=True, times=times))

    def hang(self, path: str, *, times: int | None = None) -> None:
        self.fault(path, Fault(hang=True, times=times))

    def load(self, name: str, *, size_vram: int | None = None, context_length: int = 4096) -> Loaded:
        """Put an installed model into memory, as a request for it would (it shows in /api/ps)."""
        model = self.find(name)
        assert model is not None, f"{name} is not installed in the fake"
        size = int(model.size * 1.15)
        vram = min(size, self.vram) if size_vram is None else size_vram
        with self._lock:
            self.loaded = [entry for entry in self.loaded if entry.name != model.name]
            entry = Loaded(model.name, size, vram, context_length)
            self.loaded.append(entry)
        return entry

    def find(self, name: str) -> FakeModel | None:
        wanted = normalise(name)
        return next((m for m in self.models if m.name == wanted), None)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(path)
            if not queue:
                return None
            fault = queue[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    queue.pop(0)
            return fault

    def _not_found(self, name: str, *, show: bool = False) -> str:
        if show or self.not_found_style == "current":
            return f"model '{name}' not found"
        return f'model "{name}" not found, try pulling it first'


class _Handler(BaseHTTPRequestHandler):
    owner: OllamaFake
    protocol_version = "HTTP/1.1"
    server_version = "ollama-fake"

    def log_message(self, format: str, *args: Any) -> None:
        return

    # ---- plumbing --------------------------------------------------------------------
    def _body(self) -> tuple[bytes, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return raw, parsed

    def _send(self, status: int, payload: Any, content_type: str = "application/json; charset=utf-8") -> None:
        data = payload if isinstance(payload, bytes) else (
            payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        if self.path.startswith("/v1/"):
            kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
            self._send(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})
        else:
            self._send(status, {"error": message})

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    # ---- dispatch --------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        fake = self.owner
        path = self.path.split("?", 1)[0]
        _raw, body = self._body() if self.command in ("POST", "DELETE") else (b"", None)
        fake.requests.append(Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body))
        fault = fake._take_fault(path)
        if fault is not None:
            if fault.hang:
                fake._stop.wait()
                self.close_connection = True
                return
            if fault.reset:
                self._reset()
                return
            if fault.delay:
                fake._stop.wait(fault.delay)
            if fault.status is not None:
                if fault.raw_body is not None:
                    self._send(fault.status, fault.raw_body, "text/plain; charset=utf-8")
                else:
                    self._error(fault.status, fault.error or "")
                return
        routes = {
            ("GET", "/"): self._root, ("HEAD", "/"): self._root,
            ("GET", "/api/version"): self._version, ("HEAD", "/api/version"): self._version,
            ("GET", "/api/tags"): self._tags, ("HEAD", "/api/tags"): self._tags,
            ("GET", "/api/ps"): self._ps,
            ("POST", "/api/show"): self._show,
            ("POST", "/api/chat"): self._chat,
            ("POST", "/api/generate"): self._generate,
            ("POST", "/api/pull"): self._pull,
            ("GET", "/v1/models"): self._v1_models,
            ("POST", "/v1/chat/completions"): self._v1_chat,
        }
        handler = routes.get((self.command, path))
        if handler is None:
            self._send(404, "404 page not found", "text/plain")
            return
        handler(body, fault)

    # ---- native API ------------------------------------------------------------------
    def _root(self, body: Any, fault: Fault | None) -> None:
        self._send(200, "Ollama is running", "text/plain; charset=utf-8")

    def _version(self, body: Any, fault: Fault | None) -> None:
        self._send(200, {"version": self.owner.version})

    def _tags(self, body: Any, fault: Fault | None) -> None:
        entries = []
        for m in self.owner.models:
            entry = {"name": m.name, "model": m.name, "modified_at": m.modified_at, "size": m.size,
                     "digest": m.digest, "details": m.details}
            if m.remote_host:
                entry.update(remote_model=m.name.rsplit("-cloud", 1)[0], remote_host=m.remote_host)
            entries.append(entry)
        self._send(200, {"models": entries})

    def _ps(self, body: Any, fault: Fault | None) -> None:
        expires = (datetime.now().astimezone() + timedelta(minutes=5)).isoformat()
        out = []
        for entry in self.owner.loaded:
            model = self.owner.find(entry.name)
            out.append({"name": entry.name, "model": entry.name, "size": entry.size,
                        "digest": model.digest if model else "", "details": model.details if model else {},
                        "expires_at": expires, "size_vram": entry.size_vram, "context_length": entry.context_length})
        self._send(200, {"models": out})

    def _request_model(self, body: Any) -> str | None:
        if body is None:
            self._error(400, "missing request body")
            return None
        if not isinstance(body, dict):
            self._error(400, "invalid character 'x' looking for beginning of value")
            return None
        name = body.get("model") or body.get("name") or ""
        if not name:
            self._error(400, "model is required")
            return None
        return str(name)

    def _show(self, body: Any, fault: Fault | None) -> None:
        name = self._request_model(body)
        if name is None:
            return
        model = self.owner.find(name)
        if model is None:
            self._error(404, self.owner._not_found(name, show=True))
            return
        self._send(200, {
            "modelfile": f"# Modelfile generated by \"ollama show\"\nFROM {model.name}\n",
            "parameters": 'stop                           "<|eot_id|>"',
            "template": "{{ .Prompt }}",
            "details": model.details,
            "model_info": model.info(),
            "capabilities": model.capabilities,
            "modified_at": model.modified_at,
        })

    def _loaded_model(self, body: Any) -> FakeModel | None:
        name = self._request_model(body)
        if name is None:
            return None
        model = self.owner.find(name)
        if model is None:
            self._error(404, self.owner._not_found(name))
            return None
        options = body.get("options") or {}
        self.owner.load(model.name, context_length=int(options.get("num_ctx") or 4096))
        return model

    def _final_stats(self, prompt_tokens: int, tokens: int) -> dict[str, Any]:
        return {"done": True, "done_reason": "stop", "total_duration": 4_883_583_458, "load_duration": 1_334_875,
                "prompt_eval_count": prompt_tokens, "prompt_eval_duration": 342_546_000,
                "eval_count": tokens, "eval_duration": 4_535_599_000}

    def _chat(self, body: Any, fault: Fault | None) -> None:
        model = self._loaded_model(body)
        if model is None:
            return
        messages = body.get("messages") or []
        if not messages and body.get("keep_alive") in (0, "0", "0s"):
            self.owner.loaded = [e for e in self.owner.loaded if e.name != model.name]
            self._send(200, {"model": body["model"], "created_at": _now(),
                             "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "unload"})
            return
        self._answer(body, fault, lambda text: {"message": {"role": "assistant", "content": text}},
                     prompt_tokens=sum(len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict)))

    def _generate(self, body: Any, fault: Fault | None) -> None:
        model = self._loaded_model(body)
        if model is None:
            return
        if not body.get("prompt"):
            self._send(200, {"model": body["model"], "created_at": _now(), "response": "", "done": True,
                             "done_reason": "load"})
            return
        self._answer(body, fault, lambda text: {"response": text},
                     prompt_tokens=len(str(body.get("prompt")).split()))

    def _answer(self, body: dict[str, Any], fault: Fault | None, shape: Any, *, prompt_tokens: int) -> None:
        words = self.owner.reply.split(" ")
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        if body.get("stream", True) is False:
            self._send(200, {"model": body["model"], "created_at": _now(), **shape(self.owner.reply),
                             **self._final_stats(prompt_tokens, len(pieces))})
            return
        self._start_stream("application/x-ndjson")
        for index, piece in enumerate(pieces):
            line = {"model": body["model"], "created_at": _now(), **shape(piece), "done": False}
            self._chunk(json.dumps(line).encode() + b"\n")
            if fault is not None and fault.mid_stream and index == 0:
                self._chunk(json.dumps({"error": fault.mid_stream}).encode() + b"\n")
                self._end_stream()
                return
        final = {"model": body["model"], "created_at": _now(), **shape(""), **self._final_stats(prompt_tokens,
                                                                                             len(pieces))}
        self._chunk(json.dumps(final).encode() + b"\n")
        self._end_stream()

    def _pull(self, body: Any, fault: Fault | None) -> None:
        name = self._request_model(body)
        if name is None:
            return
        fake = self.owner
        source = next((m for m in fake.registry if m.name == normalise(name)), None)
        stream = body.get("stream", True) is not False
        if source is None:
            if not stream:
                self._error(500, "pull model manifest: file does not exist")
                return
            self._start_stream("application/x-ndjson")
            self._chunk(b'{"status":"pulling manifest"}\n')
            self._chunk(b'{"error":"pull model manifest: file does not exist"}\n')
            self._end_stream()
            return
        if fake.find(source.name) is None:
            fake.models.append(source)
        statuses: list[dict[str, Any]] = [
            {"status": "pulling manifest"},
            {"status": f"pulling {source.digest[:12]}", "digest": f"sha256:{source.digest}", "total": source.size},
            {"status": f"pulling {source.digest[:12]}", "digest": f"sha256:{source.digest}", "total": source.size,
             "completed": source.size},
            {"status": "verifying sha256 digest"}, {"status": "writing manifest"}, {"status": "success"}]
        if not stream:
            self._send(200, statuses[-1])
            return
        self._start_stream("application/x-ndjson")
        for status in statuses:
            self._chunk(json.dumps(status).encode() + b"\n")
        self._end_stream()

    # ---- OpenAI-compatible layer -----------------------------------------------------
    def _v1_models(self, body: Any, fault: Fault | None) -> None:
        data = [{"id": m.name, "object": "model", "created": 1746405464,
                 "owned_by": m.name.split("/")[0] if "/" in m.name else "library"} for m in self.owner.models]
        self._send(200, {"object": "list", "data": data})

    def _v1_chat(self, body: Any, fault: Fault | None) -> None:
        name = self._request_model(body)
        if name is None:
            return
        if self.owner.find(name) is None:
            self._error(404, self.owner._not_found(name, show=True))
            return
        created = int(time.time())
        base = {"id": "chatcmpl-453", "created": created, "model": name, "system_fingerprint": "fp_ollama"}
        text = self.owner.reply
        if not body.get("stream"):
            self._send(200, {**base, "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": len(text.split()),
                          "total_tokens": 10 + len(text.split())}})
            return
        self._start_stream("text/event-stream")
        for piece in text.split(" "):
            chunk = {**base, "object": "chat.completion.chunk", "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": piece + " "}, "finish_reason": None}]}
            self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
        last = {**base, "object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": "stop"}]}
        self._chunk(f"data: {json.dumps(last)}\n\n".encode())
        self._chunk(b"data: [DONE]\n\n")
        self._end_stream()


@contextmanager
def ollama_fake(models: Iterable[str | FakeModel] = ("llama3.2",), **kwargs: Any) -> Iterator[OllamaFake]:
    fake = OllamaFake(models, **kwargs)
    fake.start()
    try:
        yield fake
    finally:
        fake.close()
