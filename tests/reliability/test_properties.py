"""Property tests (hypothesis, derandomized so CI is reproducible): the stream decoders, the adapters
fed garbage, the OLLAMA_HOST parser and the redactor."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from perspt_doctor import catalog
from perspt_doctor.providers.base import ChatRequest, Message
from perspt_doctor.providers.errors import ProviderError
from perspt_doctor.providers.ollama_adapter import host_url
from perspt_doctor.providers.ollama_host import parse_ollama_host
from perspt_doctor.providers.registry import adapter_class
from perspt_doctor.providers.retry import RetryPolicy
from perspt_doctor.providers.sse import LineDecoder, SSEDecoder, loads
from perspt_doctor.redact import REDACTED, Redactor
from tests.reliability.secretkit import SHAPES

PROPS = settings(max_examples=150, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
FEW = settings(PROPS, max_examples=40)


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in points:
        pieces.append(data[last:point])
        last = point
    pieces.append(data[last:])
    return pieces


def sse_events(data: bytes, cuts: list[int]) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    out: list[tuple[str, str]] = []
    for piece in split_at(data, cuts):
        out.extend(decoder.feed(piece))
    return out + decoder.flush()


def ndjson_lines(data: bytes, cuts: list[int]) -> list[str]:
    decoder = LineDecoder()
    out: list[str] = []
    for piece in split_at(data, cuts):
        out.extend(decoder.feed(piece))
    return out + decoder.flush()


# ---- SSE ------------------------------------------------------------------------------------

line_text = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=30)
event_name = st.text("abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=12)
sse_event = st.tuples(st.one_of(st.none(), event_name), st.lists(line_text, min_size=1, max_size=4),
                      st.booleans())
line_end = st.sampled_from(["\n", "\r\n", "\r"])


@PROPS
@given(events=st.lists(sse_event, max_size=8), eol=line_end, cuts=st.lists(st.integers(0, 10_000), max_size=12),
       final_blank=st.booleans(), bom=st.booleans())
def test_sse_any_chunking_of_a_valid_stream_gives_the_same_events(
        events: list[tuple[str | None, list[str], bool]], eol: str, cuts: list[int], final_blank: bool,
        bom: bool) -> None:
    """With or without a byte order mark before the first event (it hid the first event once)."""
    text = ""
    expected = []
    for index, (name, lines, comment) in enumerate(events):
        if comment:
            text += ": keep-alive" + eol
        if name:
            text += f"event: {name}{eol}"
        text += "".join(f"data: {line}{eol}" for line in lines)
        if index < len(events) - 1 or final_blank:
            text += eol
        expected.append((name or "", "\n".join(lines)))
    data = (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")
    assert sse_events(data, cuts) == expected
    assert sse_events(data, []) == expected


@PROPS
@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(0, 10_000), max_size=12))
def test_sse_garbage_never_raises_and_does_not_depend_on_chunking(data: bytes, cuts: list[int]) -> None:
    whole = sse_events(data, [])
    assert sse_events(data, cuts) == whole
    for name, payload in whole:
        assert isinstance(name, str) and isinstance(payload, str)


# ---- NDJSON ---------------------------------------------------------------------------------

json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                      max_size=3), max_leaves=8)


@PROPS
@given(objects=st.lists(st.dictionaries(st.text(max_size=8), json_value, max_size=4), max_size=8),
       cuts=st.lists(st.integers(0, 10_000), max_size=12), trailing_newline=st.booleans(), bom=st.booleans())
def test_ndjson_any_chunking_of_a_valid_stream_gives_the_same_objects(
        objects: list[dict[str, Any]], cuts: list[int], trailing_newline: bool, bom: bool) -> None:
    text = "\n".join(json.dumps(o, ensure_ascii=False) for o in objects) + ("\n" if trailing_newline else "")
    lines = ndjson_lines((codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8"), cuts)
    assert [loads(line) for line in lines] == objects


@PROPS
@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(0, 10_000), max_size=12))
def test_ndjson_garbage_never_raises_and_does_not_depend_on_chunking(data: bytes, cuts: list[int]) -> None:
    whole = ndjson_lines(data, [])
    assert ndjson_lines(data, cuts) == whole
    for line in whole:
        with contextlib.suppress(ValueError):  # JSONDecodeError: the adapters make it a BadResponseError
            loads(line)


# ---- the adapters on garbage: only typed errors come out -----------------------------------

PROTOCOL_PROVIDER = {"openai": "openai", "anthropic": "anthropic", "gemini": "google", "cohere": "cohere",
                     "ollama": "ollama"}
CONTENT_TYPE = {"ollama": "application/x-ndjson", "gemini": "text/event-stream"}

_WIRE_KEYS = ["choices", "delta", "content", "error", "usage", "message", "type", "candidates", "parts", "text",
              "done", "index", "finish_reason", "content_block", "x_groq", "response", "models", "data"]
wire_value = st.recursive(st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "x", "text"]),
                          lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from(_WIRE_KEYS),
                                                                                      inner, max_size=3),
                          max_leaves=10)
json_value = json_value | wire_value

sse_garbage = st.lists(st.one_of(
    st.just(b"data: [DONE]\n\n"), st.just(b"\n\n"), st.just(b"event: error\n"),
    st.builds(lambda v: b"data: " + json.dumps(v).encode() + b"\n\n", json_value),
    st.builds(lambda v: json.dumps(v).encode() + b"\n", json_value),
    st.binary(max_size=40)), max_size=8).map(b"".join)


async def _drain(protocol: str, body: bytes, status: int, streaming: bool) -> None:
    async def stream_body() -> Any:
        for index in range(0, len(body), 7):
            yield body[index:index + 7]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"content-type": CONTENT_TYPE.get(protocol, "text/event-stream")},
                              content=stream_body())

    spec = catalog.PROVIDERS[PROTOCOL_PROVIDER[protocol]]
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    adapter = adapter_class(protocol)(spec, client, "http://127.0.0.1:9", key="test-key",
                                      retry=RetryPolicy(attempts=0))
    request = ChatRequest(model="m", messages=[Message("user", "hi")], max_tokens=5)
    try:
        if streaming:
            async for _chunk in adapter.stream(request):
                pass
        else:
            await adapter.chat(request)
    finally:
        await adapter.aclose()


@FEW
@pytest.mark.parametrize("protocol", list(PROTOCOL_PROVIDER))
@given(body=sse_garbage, status=st.sampled_from([200, 200, 200, 400, 401, 404, 429, 500, 503]),
       streaming=st.booleans())
def test_adapters_turn_any_reply_into_chunks_or_a_typed_error(protocol: str, body: bytes, status: int,
                                                              streaming: bool) -> None:
    try:
        asyncio.run(_drain(protocol, body, status, streaming))
    except ProviderError as exc:
        assert str(exc) and "\n" not in exc.message


# ---- OLLAMA_HOST ----------------------------------------------------------------------------

host_like = st.one_of(
    st.text(max_size=40),
    st.builds(lambda scheme, user, host, port, path: f"{scheme}{user}{host}{port}{path}",
              st.sampled_from(["", "http://", "https://", "HTTP://", "tcp://", "://", " "]),
              st.sampled_from(["", "u@", "u:p@", ":@", "@"]),
              st.sampled_from(["", "127.0.0.1", "localhost", "0.0.0.0", "[::1]", "::1", "[::]", "ollama",
                               "host.docker.internal", "例え.jp", "[fe80::1%eth0]", "999.1.1.1"]),
              st.sampled_from(["", ":", ":11434", ":0", ":65535", ":65536", ":-1", ":abc", ":11434:1"]),
              st.sampled_from(["", "/", "/v1", "/api", "/ollama/", "?x=1", "#f", " \n"])),
)


@PROPS
@given(raw=host_like)
def test_ollama_host_parser_never_raises_and_usable_urls_are_complete(raw: str) -> None:
    parsed = parse_ollama_host(raw, source="OLLAMA_HOST (environment)")
    if parsed.usable:
        parts = urlsplit(parsed.url)
        assert parts.scheme in ("http", "https"), parsed.url
        assert parts.hostname, parsed.url
        assert parts.port is not None and 0 < parts.port < 65536, parsed.url
    else:
        assert any(t.severity == "fail" for t in parsed.traps), (raw, parsed)


@PROPS
@given(raw=host_like)
def test_what_the_doctor_calls_usable_the_adapter_can_connect_to(raw: str) -> None:
    """The doctor's parser and the adapter's reader agree: an address the doctor passes never
    crashes the client (unusable ones, like `[::1`, the doctor reports as failures)."""
    if not parse_ollama_host(raw, source="OLLAMA_HOST").usable:
        return
    parts = urlsplit(host_url(raw))
    assert parts.scheme in ("http", "https") and parts.hostname and parts.port


# ---- the redactor ---------------------------------------------------------------------------

surrounding = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
separator = st.sampled_from([" ", "\n", "\t", '"', "'", "=", ": ", "(", "[", ",", "<"])
PREFIXED = [name for name in SHAPES if name not in ("cohere", "mistral")]


@PROPS
@given(before=surrounding, after=surrounding, raw_secret=st.text(min_size=6, max_size=40).filter(str.strip))
def test_a_registered_secret_is_removed_from_any_surrounding_text(before: str, after: str,
                                                                  raw_secret: str) -> None:
    assume(raw_secret == raw_secret.strip() and len(raw_secret) >= 6)
    redactor = Redactor(home="", user="")
    redactor.register_secret(raw_secret)
    out = redactor.redact(before + raw_secret + after)
    assert raw_secret not in out


@PROPS
@given(shape=st.sampled_from(PREFIXED), before=surrounding, after=surrounding)
def test_a_shaped_key_nobody_registered_is_removed_from_any_surrounding_text(shape: str, before: str,
                                                                            after: str) -> None:
    key = SHAPES[shape]().value
    assume(not after[:1].isalnum() and after[:1] not in "_-.")  # a longer token would be another value
    if shape == "gemini-aq":  # `AQ.` only counts at a word start (else every "FAQ.xxx" would go)
        assume(not before[-1:].isalnum() and before[-1:] != "_")
    out = Redactor(home="", user="").redact(before + key + after)
    assert key not in out and key[-12:] not in out


@PROPS
@given(shape=st.sampled_from(["cohere", "mistral"]), before=surrounding, after=surrounding, left=separator,
       right=separator)
def test_a_bare_cohere_or_mistral_key_between_separators_is_removed(shape: str, before: str, after: str,
                                                                   left: str, right: str) -> None:
    key = SHAPES[shape]().value
    out = Redactor(home="", user="").redact(before + left + key + right + after)
    assert key not in out


@PROPS
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
       planted=st.lists(st.sampled_from(list(SHAPES)), max_size=3))
def test_redaction_is_idempotent(text: str, planted: list[str]) -> None:
    redactor = Redactor(home="/home/perspt-tester", user="perspt-tester")
    for name in planted:
        text += " " + SHAPES[name]().value + " "
    once = redactor.redact(text)
    assert redactor.redact(once) == once


_SECRETISH = ("bearer", "authorization", "key", "token", "secret", "password", "passwd", "credential", "://",
              "api", "sk-", "aiza", "gsk_", "xai-", "aq.", "iq.")
plain_text = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789 .,;:!?()/-_\n'\"=&"), max_size=200)


@PROPS
@given(text=plain_text)
def test_text_without_secrets_is_unchanged_apart_from_home_and_user(text: str) -> None:
    assume(not any(word in text.lower() for word in _SECRETISH))
    redactor = Redactor(home="/home/zed", user="zedly")
    assert redactor.redact(text) == text
    located = f"{text} /home/zed/.config/perspt/config.json (zedly)"
    assert redactor.redact(located) == f"{text} ~/.config/perspt/config.json (<user>)"


def test_the_redaction_marker_is_what_replaces_secrets() -> None:
    redactor = Redactor(home="", user="")
    assert redactor.redact("key " + SHAPES["groq"]().value) == f"key {REDACTED}"
