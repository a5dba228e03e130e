"""OLLAMA_HOST / base_url parsing: the URL must match what ollama-python builds, and every trap is named."""

from __future__ import annotations

import pytest
from ollama._client import _parse_host

from perspt_doctor.providers.ollama_host import parse_ollama_host, sdk_base_url

SAME_AS_SDK = [
    "", "1.2.3.4", ":56789", "1.2.3.4:56789", "http://1.2.3.4", "https://1.2.3.4", "https://1.2.3.4:56789",
    "example.com", "example.com:56789", "http://example.com", "https://example.com", "example.com/",
    "example.com/path", "example.com:56789/path/", "[::1]", "[::1]:5000", "http://[fe80::1]", "https://[::1]:9/p",
    "localhost:11434", "0.0.0.0", "0.0.0.0:11434", "http://127.0.0.1:11434/v1", "HOST.example:80",
]


@pytest.mark.parametrize("value", SAME_AS_SDK)
def test_sdk_url_matches_ollama_python(value: str) -> None:
    assert sdk_base_url(value) == _parse_host(value)
    assert parse_ollama_host(value).sdk_url == _parse_host(value)


@pytest.mark.parametrize("value", ["::1", "h:99999", "http://h:port"])
def test_values_ollama_python_rejects_are_unusable(value: str) -> None:
    with pytest.raises(ValueError):
        _parse_host(value)
    parsed = parse_ollama_host(value)
    assert not parsed.usable and parsed.worst == "fail"


def codes(value: str, **kw: object) -> list[str]:
    return [t.code for t in parse_ollama_host(value, **kw).traps]  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "url", "expected"), [
    (None, "http://127.0.0.1:11434", []),
    ("127.0.0.1:11434", "http://127.0.0.1:11434", []),
    ("http://localhost", "http://localhost:80", ["port_80", "localhost"]),
    ("https://ollama.example.net", "https://ollama.example.net:443", ["port_443"]),
    ("https://127.0.0.1:11434", "https://127.0.0.1:11434", ["https_plain_port"]),
    ("0.0.0.0", "http://127.0.0.1:11434", ["wildcard"]),
    ("[::]:11434", "http://[::1]:11434", ["wildcard"]),
    ("[::1]:11434", "http://[::1]:11434", ["ipv6_loopback"]),
    ("localhost:11434", "http://localhost:11434", ["localhost"]),
    ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1", ["v1_suffix"]),
    ("http://127.0.0.1:11434/api/", "http://127.0.0.1:11434/api", ["api_suffix"]),
    ("proxy.example/ollama", "http://proxy.example:11434/ollama", ["path_prefix"]),
    ("ollama.com", "http://ollama.com:11434", ["ollama_com"]),
    ('"127.0.0.1:11434"', "http://127.0.0.1:11434", ["quoted"]),
    (" 127.0.0.1:11434\n", "http://127.0.0.1:11434", ["whitespace"]),
])
def test_traps_and_connect_url(value: str | None, url: str, expected: list[str]) -> None:
    parsed = parse_ollama_host(value, source="OLLAMA_HOST (environment)")
    assert parsed.url == url
    assert [t.code for t in parsed.traps] == expected
    for trap in parsed.traps:
        assert trap.message and trap.hint


@pytest.mark.parametrize(("value", "code"), [
    ("fe80::1:11434", "ipv6_brackets"), ("tcp://127.0.0.1:11434", "scheme"), ("h:99999", "unparsable")])
def test_unusable_values(value: str, code: str) -> None:
    parsed = parse_ollama_host(value)
    assert parsed.url == "" and not parsed.usable
    assert [t.code for t in parsed.traps] == [code]
    assert parsed.traps[0].severity == "fail"


def test_openai_layer_needs_v1() -> None:
    assert codes("http://127.0.0.1:11434", api="openai") == ["missing_v1"]
    assert "http://127.0.0.1:11434/v1" in parse_ollama_host("http://127.0.0.1:11434", api="openai").traps[0].hint
    assert codes("http://127.0.0.1:11434/v1", api="openai") == []


def test_container_and_wsl_traps_only_for_loopback() -> None:
    assert codes("127.0.0.1:11434", container="docker") == ["container_loopback"]
    trap = parse_ollama_host("localhost:11434", container="docker").traps[-1]
    assert "host.docker.internal" in trap.hint
    assert codes("host.docker.internal:11434", container="docker") == []
    assert codes("127.0.0.1:11434", container="wsl") == ["wsl_loopback"]


def test_wildcard_is_reported_with_the_windows_failure() -> None:
    trap = parse_ollama_host("0.0.0.0").traps[0]
    assert "WinError 10049" in trap.message and trap.severity == "warn"
    assert parse_ollama_host("0.0.0.0").is_loopback


def test_credentials_in_the_address_are_dropped_and_redacted() -> None:
    from perspt_doctor import redact

    parsed = parse_ollama_host("https://bob:hunter2pass@ollama.example:8443", source="OLLAMA_HOST (environment)")
    assert parsed.url == "https://ollama.example:8443" == _parse_host("https://bob:hunter2pass@ollama.example:8443")
    assert [t.code for t in parsed.traps] == ["userinfo"] and parsed.traps[0].severity == "warn"
    assert "hunter2pass" not in redact.redact(f"raw value {parsed.raw} and the bare hunter2pass")
