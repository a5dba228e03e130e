"""What every adapter shares: auth headers, the retry loop, the rate limiter, the request deadline,
the mapping of HTTP and network failures to typed errors, and the streaming read loop."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

import httpx

from perspt_doctor.catalog import ProviderSpec
from perspt_doctor.providers.base import ChatChunk, ChatRequest, ChatResponse, ModelInfo, ModelList
from perspt_doctor.providers.errors import (
    AuthenticationError,
    BadResponseError,
    ModelNotFoundError,
    NetworkError,
    ProviderError,
    StreamInterruptedError,
    from_response,
)
from perspt_doctor.providers.ratelimit import RateLimiter
from perspt_doctor.providers.retry import RetryPolicy, RetryWait, Waiter, call_with_retries, plain_wait
from perspt_doctor.providers.sse import LineDecoder, SSEDecoder
from perspt_doctor.providers.sse import loads as sse_loads
from perspt_doctor.settings.key_text import key_text_problem

if TYPE_CHECKING:
    from perspt_doctor.transport.factory import StreamWaits

E = TypeVar("E")


class Decoder(Protocol, Generic[E]):
    def feed(self, chunk: bytes) -> list[E]: ...

    def flush(self) -> list[E]: ...


def auth_headers(spec: ProviderSpec, key: str | None) -> dict[str, str]:
    from perspt_doctor._version import __version__

    headers = {"User-Agent": f"perspt/{__version__}", **spec.extra_headers}
    if key:
        if spec.auth == "bearer":
            headers["Authorization"] = f"Bearer {key}"
        elif spec.auth == "x-api-key":
            headers["x-api-key"] = key
        elif spec.auth == "x-goog-api-key":
            headers["x-goog-api-key"] = key
    return headers


MAX_MODEL_PAGES = 50


class StreamMapper:
    """What one protocol's streamed events mean, for one request. `HTTPAdapter.stream_events` is the one
    loop that reads, decodes and parses the events (and raises on an `error` object); a mapper only turns
    each parsed event into text and state, and says at the end what closes the reply."""

    lines: ClassVar[bool] = False
    """Newline-delimited JSON (Ollama) instead of server-sent events."""
    done_marker: ClassVar[bool] = False
    """`data: [DONE]` ends the stream (OpenAI's framing, copied by Cohere's compatibility servers)."""

    def __init__(self, adapter: HTTPAdapter, model: str) -> None:
        self.adapter = adapter
        self.model = model
        self.done = False
        """Set when the reply is complete: the loop stops reading."""

    def on_event(self, kind: str, obj: Any, data: str) -> str | None:
        """The text this event adds to the reply, if any. `kind` is the SSE event name ("" if none)."""
        raise NotImplementedError

    def last(self) -> ChatChunk:
        """The closing chunk (finish reason, usage) at the end of the stream; `truncated()` if incomplete."""
        raise NotImplementedError

    def error(self, data: str) -> ProviderError:
        """The typed error for an error object that arrived inside the stream."""
        return self.adapter.error_from(200, data.encode(), self.adapter.last_headers, self.model)

_SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError)
"""What reading a reply of an unexpected JSON shape raises in the adapters' parsing code."""


SILENT_HEAD_BYTES = 64 * 1024
"""How much of a streamed body that gave no event is kept, to name the error it may hold."""


class HTTPAdapter:
    """Base of the protocol adapters. Subclasses implement list_models, chat and `_stream_once`."""

    protocol: ClassVar[str] = ""

    def __init__(self, spec: ProviderSpec, client: httpx.AsyncClient, base_url: str, *, key: str | None = None,
                 retry: RetryPolicy | None = None, limiter: RateLimiter | None = None,
                 deadline: float | None = None, require_key: bool = True,
                 reply_timeout: float | None = None) -> None:
        self.provider_id = spec.id
        self.spec = spec
        self.client = client
        self.base_url = self.normalise_base_url(base_url or spec.base_url)
        self.key = key
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.deadline = deadline
        self.reply_timeout = reply_timeout
        """Seconds a streamed reply may take in all (`network.reply_timeout`); None: no limit."""
        self.require_key = require_key and spec.key_required
        self.last_headers: dict[str, str] = {}
        self.proxy: str | None = None
        """The proxy URL this adapter's requests go through (set by the registry from the route)."""
        self.wait: Waiter = plain_wait
        """Sleeps out each wait before a retry; the client sets one that shows it."""
        self.stream_waits: StreamWaits | None = None
        """A streamed reply's bounds: the first byte within `timeout`, each gap within `stream_timeout`."""
        if key is None or key_text_problem(key) is None:  # else the first request says what is wrong with it
            client.headers.update(auth_headers(spec, key))

    @staticmethod
    def normalise_base_url(url: str) -> str:
        return url.strip().rstrip("/")

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> HTTPAdapter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- the public surface shared by all protocols ------------------------------------------
    async def list_models(self) -> ModelList:
        raise NotImplementedError

    async def chat(self, request: ChatRequest) -> ChatResponse:
        try:
            return await self._chat(request)
        except ModelNotFoundError as exc:
            raise await self._with_suggestions(exc, request.model) from None
        except _SHAPE_ERRORS as exc:
            raise self.malformed(exc) from exc

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Retried until the first chunk reaches the caller, never after (see retry.py)."""
        self._check_key()
        retries = 0
        started = time.monotonic()
        while True:
            delivered = False
            try:
                async for chunk in self._stream_once(request):
                    delivered = True
                    yield chunk
                return
            except ModelNotFoundError as exc:
                raise await self._with_suggestions(exc, request.model) from None
            except _SHAPE_ERRORS as exc:
                raise self.malformed(exc) from exc
            except StreamInterruptedError:
                raise
            except NetworkError as exc:
                if delivered:
                    raise StreamInterruptedError.after(exc) from exc
                retries = await self._wait_to_retry(exc, retries, started)
            except ProviderError as exc:
                if delivered:
                    raise
                retries = await self._wait_to_retry(exc, retries, started)

    async def _wait_to_retry(self, exc: ProviderError, retries: int, started: float) -> int:
        """Wait before the next try of a stream (re-raising `exc` when there is none); the retries done."""
        delay = self.retry.next_delay(exc, retries, time.monotonic() - started)
        if delay is None:
            raise exc
        await self.wait(RetryWait(self.provider_id, exc, delay, retries + 1, self.retry.limit_for(exc)))
        return retries + 1

    async def _chat(self, request: ChatRequest) -> ChatResponse:
        raise NotImplementedError

    def _stream_once(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        raise NotImplementedError

    # ---- helpers for subclasses ------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def _check_key(self) -> None:
        if self.require_key and not self.key:
            raise AuthenticationError(f"no API key for {self.spec.display_name}", provider=self.provider_id,
                                      code="missing_key").with_default_hint()
        bad = key_text_problem(self.key) if self.key else None
        if bad is not None:  # a header cannot carry it; say so before any request
            raise AuthenticationError(f"the API key for {self.spec.display_name} contains {bad.what}; it cannot be "
                                      "sent", provider=self.provider_id, code="bad_key", hint=bad.hint)

    def error_from(self, status: int, raw: bytes, headers: Mapping[str, str],
                   model: str | None = None) -> ProviderError:
        return from_response(self.provider_id, self.protocol, status, raw, headers, model=model, proxy=self.proxy,
                             url=self.base_url)

    def network_error(self, exc: BaseException) -> NetworkError:
        from perspt_doctor.transport.classify import Kind, classify

        cause = classify(exc, proxy=self.proxy, provider=self.provider_id)
        error = NetworkError(cause.describe(), provider=self.provider_id, cause=cause,
                             hint=f"{cause.doctor_hint} (`perspt doctor --provider {self.provider_id}` checks it all)")
        if cause.kind is Kind.BAD_REQUEST:  # refused on this side: sending it again changes nothing
            error.should_retry = False
        return error

    async def request_json(self, method: str, path_or_url: str, *, body: Any = None,
                           params: Mapping[str, Any] | None = None,
                           model: str | None = None) -> tuple[Any, httpx.Response]:
        """One JSON request with retries, the rate limiter and the whole-request deadline."""
        self._check_key()
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)

        async def once() -> tuple[Any, httpx.Response]:
            if self.limiter is not None:
                await self.limiter.acquire()
            send = self.client.request(method, url, json=body, params=params)
            try:
                response = await (asyncio.wait_for(send, self.deadline) if self.deadline else send)
            except asyncio.TimeoutError:
                from perspt_doctor.transport.classify import Kind, cause_of

                message = f"no complete reply within {self.deadline:g} s (the `timeout` setting)"
                raise NetworkError(message, provider=self.provider_id, cause=cause_of(Kind.TIMEOUT, message),
                                   hint="raise `timeout` in the config, or run `perspt doctor --only 'http.*'`"
                                   ) from None
            except httpx.HTTPError as exc:
                raise self.network_error(exc) from exc
            self.last_headers = dict(response.headers)
            if response.status_code >= 400:
                raise self.error_from(response.status_code, response.content, response.headers, model)
            try:
                data = sse_loads(response.text)
            except ValueError:
                raise self.error_from(response.status_code, response.content, response.headers, model) from None
            if isinstance(data, dict) and data.get("error"):
                raise self.error_from(200, response.content, response.headers, model)
            return data, response

        return await call_with_retries(self.retry, once, provider=self.provider_id, wait=self.wait)

    async def post_reply(self, path: str, body: Any, model: str, part: str,
                         valid: Callable[[Any], bool]) -> tuple[dict[str, Any], Any]:
        """A non-streamed reply and its `part` (`choices`, `content`, `message`); a reply whose part is not
        `valid` is an invalid-reply error."""
        data, _response = await self.request_json("POST", path, body=body, model=model)
        value = data.get(part) if isinstance(data, dict) else None
        if not valid(value):
            raise self.invalid_event(json.dumps(data).encode())
        return data, value

    async def list_pages(self, path: str, params: dict[str, Any],
                         page: Callable[[Any], tuple[Iterable[ModelInfo], dict[str, Any] | None]]) -> ModelList:
        """A paginated model list: `page(data)` gives one page's models and the next page's query
        parameters (None after the last page). Headers and status are the first page's."""
        models: list[ModelInfo] = []
        headers: dict[str, str] = {}
        status = 200
        next_params: dict[str, Any] | None = params
        for _ in range(MAX_MODEL_PAGES):
            if next_params is None:
                break
            data, response = await self.request_json("GET", path, params=next_params)
            if not headers:
                headers, status = dict(response.headers), response.status_code
            found, next_params = page(data)
            models.extend(found)
        return ModelList(models, headers, status)

    async def stream_batches(self, path: str, body: Any, model: str | None,
                             decoder: Decoder[E]) -> AsyncGenerator[list[E], None]:
        """POST and yield what `decoder` makes of each network read, then its flush at EOF."""
        if self.limiter is not None:
            await self.limiter.acquire()
        waits = self.stream_waits
        options: dict[str, Any] = {}
        if waits is not None:
            limits = self.client.timeout
            options["timeout"] = httpx.Timeout(connect=limits.connect, read=waits.first, write=limits.write,
                                               pool=limits.pool)
        began = False
        try:
            async with self.client.stream("POST", self.url(path), json=body, **options) as response:
                began = True
                if waits is not None:
                    # The reply has begun: httpcore reads the read limit again for the body, from this dict.
                    limits_now = response.request.extensions.get("timeout")
                    if isinstance(limits_now, dict):
                        limits_now["read"] = waits.gap
                self.last_headers = dict(response.headers)
                if response.status_code >= 400:
                    raw = await response.aread()
                    raise self.error_from(response.status_code, raw, response.headers, model)
                ctype = response.headers.get("content-type", "")
                if "html" in ctype or ctype.startswith("application/json"):
                    raw = await response.aread()
                    if ctype.startswith("application/json") and b'"error"' not in raw:
                        raise BadResponseError("the server answered with one JSON object instead of a stream",
                                               provider=self.provider_id, status=response.status_code,
                                               hint="the server may not support streaming: set "
                                                    "`stream` to false in the config")
                    raise self.error_from(response.status_code, raw, response.headers, model)
                # The read timeout (`stream_timeout`) bounds each wait for bytes; this bounds the whole
                # reply, which a server dripping a byte at a time, or never ending, would otherwise not.
                ends = time.monotonic() + self.reply_timeout if self.reply_timeout else None
                # The body's start, while it has given no event: a server that answers a stream with one
                # JSON error, or a proxy with an HTML page, says why in it.
                silent, head = True, b""
                async for raw in response.aiter_bytes():
                    if ends is not None and time.monotonic() > ends:
                        raise self.reply_too_long()
                    batch = decoder.feed(raw)
                    if batch:
                        silent = False
                        yield batch
                    elif silent and len(head) < SILENT_HEAD_BYTES:
                        head += raw[:SILENT_HEAD_BYTES - len(head)]
                tail = decoder.flush()
                if tail:
                    yield tail
                elif silent and head.lstrip()[:1] in (b"{", b"[", b"<"):
                    raise self.error_from(response.status_code, head, response.headers, model)
        except httpx.ReadTimeout as exc:
            raise self.stream_wait_error(self.network_error(exc), began) from exc
        except httpx.HTTPError as exc:
            raise self.network_error(exc) from exc

    def stream_wait_error(self, error: NetworkError, began: bool) -> NetworkError:
        """A streamed reply's read timeout, naming the bound that ran out and the setting behind it."""
        waits = self.stream_waits
        if waits is None:
            return error
        if not began:
            message = (f"no reply began within {waits.first:g} s (`{waits.first_setting}`): the server accepted "
                       "the request but sent nothing back")
            hint = (f"the model may be slow to start (a large model loading, a long prompt): raise "
                    f"`{waits.first_setting}`" + (" (or pass --timeout)" if waits.first_setting == "timeout" else "")
                    + f"; `perspt doctor --provider {self.provider_id} --live` times a real request")
        else:
            message = (f"the stream stalled: nothing arrived for {waits.gap:g} s (`{waits.gap_setting}`) after the "
                       "reply had begun")
            hint = (f"raise `{waits.gap_setting}` for a model that pauses long between tokens, or use `--no-stream`; "
                    f"`perspt doctor --provider {self.provider_id} --live` tests the stream end to end")
        return NetworkError(message, provider=self.provider_id, status=error.status, hint=hint, cause=error.cause)

    async def stream_events(self, path: str, body: Any, mapper: StreamMapper) -> AsyncIterator[ChatChunk]:
        """The one streaming loop of every adapter: POST, decode, parse each event, let `mapper` read it."""
        loads = sse_loads
        events = not mapper.lines
        decoder: Decoder[Any] = LineDecoder() if mapper.lines else SSEDecoder()
        batches = self.stream_batches(path, body, mapper.model, decoder)
        # The texts of one network read go out as one chunk: what arrived together is shown together,
        # and the caller's per-chunk work (redaction, rendering) is paid per read, not per token.
        texts: list[str] = []
        async with aclosing(batches):
            async for batch in batches:
                failure: ProviderError | None = None
                for item in batch:
                    kind, data = item if events else ("", item)
                    if mapper.done_marker and data.startswith("[DONE]"):
                        mapper.done = True
                        break
                    try:
                        obj = loads(data)
                    except ValueError:
                        failure = self.invalid_event(data)
                        break
                    if isinstance(obj, dict) and obj.get("error"):
                        failure = mapper.error(data)
                        break
                    text = mapper.on_event(kind, obj, data)
                    if text:
                        texts.append(text)
                    if mapper.done:
                        break
                if texts:
                    yield ChatChunk("".join(texts))
                    texts.clear()
                if failure is not None:
                    raise failure
                if mapper.done:
                    break
        yield mapper.last()

    def reply_too_long(self) -> StreamInterruptedError:
        """Not retried, and what arrived is kept, as for any interrupted stream."""
        from perspt_doctor.transport.classify import Kind, cause_of

        message = (f"the reply was still arriving after {self.reply_timeout:g} s "
                   "(the `network.reply_timeout` setting)")
        return StreamInterruptedError(message, provider=self.provider_id, cause=cause_of(Kind.TIMEOUT, message),
                                      hint="raise `network.reply_timeout` for very long replies, or ask for a "
                                           "shorter one")

    def truncated(self) -> BadResponseError:
        error = BadResponseError("the stream ended before the reply was complete", provider=self.provider_id,
                                 status=200)
        return error.with_default_hint()  # type: ignore[return-value]

    def invalid_event(self, data: str | bytes) -> BadResponseError:
        snippet = data[:80].decode("utf-8", "replace") if isinstance(data, bytes) else data[:80]
        error = BadResponseError(f"invalid JSON in the stream: {snippet}", provider=self.provider_id, status=200)
        return error.with_default_hint()  # type: ignore[return-value]

    def malformed(self, exc: BaseException) -> BadResponseError:
        """Valid JSON of the wrong shape (`data: null`, a list where an object belongs)."""
        error = BadResponseError(f"the reply does not have the shape the {self.protocol} protocol promises "
                                 f"({type(exc).__name__}: {exc})", provider=self.provider_id, status=200)
        return error.with_default_hint()  # type: ignore[return-value]

    async def _with_suggestions(self, exc: ModelNotFoundError, model: str) -> ModelNotFoundError:
        from perspt_doctor.providers.model_names import suggest

        exc.model = exc.model or model
        try:
            available = await asyncio.wait_for(self.list_models(), 15)
        except (ProviderError, asyncio.TimeoutError):
            return exc
        return exc.with_suggestions(suggest(model, [m.id for m in available.models]))
