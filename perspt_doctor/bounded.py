"""A call that may never return, waited for a bounded time: a plugin module's import (a network call at
module level), a keyring that waits for its password prompt (over SSH there is none to answer). The call
runs in a daemon thread; past the deadline the caller goes on and the thread is left behind, to end with
the process. Nothing else in perspt makes such threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")


class CallTimedOut(TimeoutError):
    """The call did not return within its time; it still runs in the thread left behind."""


def call_bounded(func: Callable[[], _T], timeout: float, name: str) -> _T:
    """`func()`'s value, or what it raised (SystemExit and KeyboardInterrupt included), or CallTimedOut
    after `timeout` seconds."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name=f"perspt-bounded-{name}", daemon=True).start()
    if not done.wait(timeout):
        raise CallTimedOut(f"{name} did not return within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]
