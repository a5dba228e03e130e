"""Provider tests talk to loopback fakes only: any connection elsewhere fails the test at once."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from perspt_doctor import catalog
from perspt_doctor.providers.http_base import HTTPAdapter
from perspt_doctor.providers.registry import make_adapter
from perspt_doctor.settings.resolve import Flags, load_settings


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return host == "localhost"
    return True  # AF_UNIX


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if not _is_loopback(address):
            raise AssertionError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_loopback(address):
            raise AssertionError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield


def build(provider: str, base_url: str, *, key: str | None = "test-key", streaming: bool = False,
          **settings: Any) -> HTTPAdapter:
    """An adapter made by the real factory, from settings that point at a fake."""
    spec = catalog.get(provider)
    env: dict[str, str] = {}
    if key is not None and spec.key_env:
        env[spec.key_env[0]] = key
    env[spec.base_url_env[0]] = base_url
    extra = {"retry_attempts": 0, **settings}
    flags = Flags(provider=spec.id, no_config=True, extra=extra)
    return make_adapter(load_settings(flags, env=env, use_keyring=False), spec.id, streaming=streaming)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def collect(adapter: HTTPAdapter, request: Any) -> tuple[str, list[Any]]:
    chunks = [chunk async for chunk in adapter.stream(request)]
    return "".join(c.text for c in chunks), chunks


@pytest.fixture
def adapter_for() -> Iterator[Callable[..., HTTPAdapter]]:
    made: list[HTTPAdapter] = []

    def factory(provider: str, base_url: str, **kw: Any) -> HTTPAdapter:
        adapter = build(provider, base_url, **kw)
        made.append(adapter)
        return adapter

    yield factory
