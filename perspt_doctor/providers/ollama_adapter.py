"""Ollama's native API: `/api/tags` and `/api/chat` with NDJSON streaming (the default there), and the
daemon's own questions the doctor asks (`version`, `tags`, `ps`, `show`, loading a model) as replies that
never raise, each failure classified by the transport's one classifier."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from perspt_doctor.providers.base import ChatChunk, ChatRequest, ChatResponse, ModelInfo, ModelList, Usage
from perspt_doctor.providers.errors import NetworkError
from perspt_doctor.providers.http_base import HTTPAdapter, StreamMapper
from perspt_doctor.providers.ollama_reply import OllamaReply

DEFAULT_PORT = 11434


def host_url(value: str) -> str:
    """`OLLAMA_HOST` or a base URL read as the Ollama CLI reads it (`:5000`, `0.0.0.0`, `host:port`,
    `http://host`, `[::1]`...), by the same parser the doctor's `ollama.host` check uses. An address
    that cannot be used raises TransportConfigError naming what is wrong with it."""
    from perspt_doctor.providers.ollama_host import parse_ollama_host
    from perspt_doctor.transport.trust import TransportConfigError

    parsed = parse_ollama_host(value, source="the Ollama address")
    if not parsed.usable:
        trap = next((t for t in parsed.traps if t.severity == "fail"), None)
        message = trap.message if trap else f"cannot use the Ollama address {value!r}"
        hint = (trap.hint + "; " if trap else "") + "`perspt doctor --only 'ollama.*'` explains it"
        raise TransportConfigError(message, hint=hint, setting="OLLAMA_HOST")
    return parsed.url.rstrip("/")


class OllamaAdapter(HTTPAdapter):
    protocol = "ollama"

    @staticmethod
    def normalise_base_url(url: str) -> str:
        url = host_url(url)
        for suffix in ("/v1", "/api"):
            if url.endswith(suffix):
                url = url[: -len(suffix)]
        return url

    def network_error(self, exc: BaseException) -> NetworkError:
        from urllib.parse import urlsplit

        from perspt_doctor.transport.classify import Kind
        from perspt_doctor.transport.endpoint import is_loopback_host

        error = super().network_error(exc)
        if error.cause is not None and error.cause.kind in (Kind.OLLAMA_NOT_RUNNING, Kind.CONNECT_TIMEOUT,
                                                            Kind.UNREACHABLE, Kind.DNS) and not error.cause.via:
            error.hint = (f"is Ollama running at {self.base_url}? Start it with `ollama serve`, or point OLLAMA_HOST "
                          "at the address it listens on; `perspt doctor --provider ollama --only 'ollama.*'` "
                          "checks it")
            runtime = _container_runtime()
            if runtime and is_loopback_host(urlsplit(self.base_url).hostname or ""):
                error.hint = (f"perspt runs inside a {runtime} container, where {self.base_url} is the container "
                              "itself: if Ollama runs on the host, make it listen on 0.0.0.0 there "
                              "(`OLLAMA_HOST=0.0.0.0 ollama serve`) and set OLLAMA_HOST=http://host.docker.internal:"
                              "11434 here (Linux: `docker run --add-host=host.docker.internal:host-gateway`); if it "
                              "runs in this container, start it with `ollama serve`; "
                              "`perspt doctor --provider ollama --only 'ollama.*'` checks it")
        return error

    # ---- the daemon's own questions (for the doctor): one request each, no retries, never raising ----
    async def exchange(self, method: str, url: str, body: Any = None) -> OllamaReply:
        """One request to `url` (a full URL: the address may carry a path the client would strip)."""
        import httpx

        from perspt_doctor.transport.classify import classify_reply

        reply = OllamaReply(url=url)
        started = time.monotonic()
        try:
            response = await self.client.request(method, url, json=body)
        except httpx.HTTPError as exc:
            error = self.network_error(exc)
            reply.cause, reply.message = error.cause, str(exc) or type(exc).__name__
        else:
            reply.status = response.status_code
            reply.text = response.text
            reply.headers = {k.lower(): v for k, v in response.headers.items()}
            try:
                reply.data = response.json()
            except ValueError:
                reply.data = None
            if response.status_code >= 400:
                reply.cause = classify_reply(response.status_code, response.content, reply.headers,
                                             protocol=self.protocol, proxy=self.proxy, url=url, provider="ollama")
        reply.elapsed = time.monotonic() - started
        return reply

    async def version(self, address: str) -> OllamaReply:
        return await self.exchange("GET", address.rstrip("/") + "/api/version")

    async def tags(self, address: str) -> OllamaReply:
        return await self.exchange("GET", address.rstrip("/") + "/api/tags")

    async def ps(self, address: str) -> OllamaReply:
        return await self.exchange("GET", address.rstrip("/") + "/api/ps")

    async def show(self, address: str, model: str) -> OllamaReply:
        return await self.exchange("POST", address.rstrip("/") + "/api/show", {"model": model})

    async def load(self, address: str, model: str, options: dict[str, Any] | None = None) -> OllamaReply:
        """Load `model` without generating (an empty prompt), with the given options."""
        body: dict[str, Any] = {"model": model, "prompt": "", "stream": False}
        if options:
            body["options"] = options
        return await self.exchange("POST", address.rstrip("/") + "/api/generate", body)

    async def answer_one(self, address: str, model: str, options: dict[str, Any] | None = None) -> OllamaReply:
        """One chat turn of one token, as the client's chat would send it: proves a loaded model can answer
        (its KV cache and compute buffers are allocated on the first request, not at load)."""
        body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": False,
                                "options": {**(options or {}), "num_predict": 1}}
        return await self.exchange("POST", address.rstrip("/") + "/api/chat", body)

    async def list_models(self) -> ModelList:
        data, response = await self.request_json("GET", "/api/tags")
        models = []
        for item in data.get("models") or ():
            if isinstance(item, dict) and (item.get("name") or item.get("model")):
                details: dict[str, Any] = item["details"] if isinstance(item.get("details"), dict) else {}
                models.append(ModelInfo(id=item.get("name") or item["model"], size_bytes=item.get("size"),
                                        owned_by=details.get("family"), raw=item))
        return ModelList(models, dict(response.headers), response.status_code)

    def body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        options = {**request.sampling("temperature", "top_p", "num_predict", "frequency_penalty"), **request.options}
        body: dict[str, Any] = {"model": request.model, "messages": request.role_messages(), "stream": stream}
        if options:
            body["options"] = options
        return body

    async def _chat(self, request: ChatRequest) -> ChatResponse:
        data, message = await self.post_reply("/api/chat", self.body(request, stream=False), request.model,
                                              "message", lambda m: isinstance(m, dict))
        return ChatResponse(text=message.get("content") or "", model=str(data.get("model") or request.model),
                            finish_reason=data.get("done_reason"), usage=_usage(data), raw=data)

    def _stream_once(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        return self.stream_events("/api/chat", self.body(request, stream=True), OllamaEvents(self, request.model))


def _usage(data: dict[str, Any]) -> Usage:
    return Usage(input_tokens=data.get("prompt_eval_count"), output_tokens=data.get("eval_count"))


class OllamaEvents(StreamMapper):
    """One JSON object a line: `message.content` is the text; `done: true` ends the reply with its counts."""

    lines = True

    def __init__(self, adapter: HTTPAdapter, model: str) -> None:
        super().__init__(adapter, model)
        self.final: dict[str, Any] | None = None

    def on_event(self, kind: str, obj: Any, data: str) -> str | None:
        if obj.get("done"):
            self.final = obj
            self.done = True
        return (obj.get("message") or {}).get("content")

    def last(self) -> ChatChunk:
        if self.final is None:
            raise self.adapter.truncated()
        return ChatChunk(finish_reason=self.final.get("done_reason"), usage=_usage(self.final))


def _container_runtime() -> str | None:
    """The container perspt runs in (not WSL, where localhost reaches Windows), or None."""
    from perspt_doctor.system.container import detect_container

    runtime = detect_container()
    return runtime if runtime and runtime != "wsl" else None
