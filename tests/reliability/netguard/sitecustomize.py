"""Loaded into every perspt process the reliability tests start (their PYTHONPATH puts this
directory first): a connection, datagram or name lookup for anything but loopback is refused and
written to $PERSPT_TEST_NETLOG, so a test can prove the run never left the machine."""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

_LOG = os.environ.get("PERSPT_TEST_NETLOG", "")
_LOCAL_NAMES = {"localhost", "localhost.", "ip6-localhost", "ip6-loopback"}


def _is_local(host: Any) -> bool:
    if host is None or host == "" or isinstance(host, bytes) and not host:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%", 1)[0].lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {what}\n")


def _address_ok(address: Any) -> bool:
    return not (isinstance(address, tuple) and address) or _is_local(address[0])


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto
_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _address_ok(address):
        _refuse(f"connect {address!r}")
        raise ConnectionRefusedError(111, "refused by the test network guard")
    return _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _address_ok(address):
        _refuse(f"connect_ex {address!r}")
        return 111
    return _connect_ex(self, address)


def _guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
    address = args[-1] if args else None
    if not _address_ok(address):
        _refuse(f"sendto {address!r}")
        raise OSError(101, "refused by the test network guard")
    return _sendto(self, data, *args)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_local(host):
        _refuse(f"getaddrinfo {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, "refused by the test network guard")
    return _getaddrinfo(host, *args, **kwargs)


if _LOG:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = _guarded_sendto  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _guarded_getaddrinfo
