"""An executor whose threads never keep the process alive.

A check that hangs inside `ctx.run_blocking` (a socket without a timeout, a stuck subprocess) is
abandoned when its timeout passes. With the standard pool, the interpreter would still wait for
that thread at exit; here every call gets its own daemon thread, so the doctor always ends.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any


class DaemonThreadExecutor(concurrent.futures.ThreadPoolExecutor):
    """A ThreadPoolExecutor in type only (asyncio insists); each task runs in a fresh daemon thread."""

    def __init__(self, name: str = "perspt-doctor") -> None:
        super().__init__(max_workers=1, thread_name_prefix=name)
        self._name = name
        self._count = 0
        self._closed = False
        self._count_lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        if self._closed:
            raise RuntimeError("executor is shut down")
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting coroutine
                future.set_exception(exc)
            else:
                future.set_result(result)

        with self._count_lock:
            self._count += 1
            number = self._count
        threading.Thread(target=work, name=f"{self._name}-{number}", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._closed = True
        super().shutdown(wait=False, cancel_futures=cancel_futures)
