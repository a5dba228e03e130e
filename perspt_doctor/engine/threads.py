"""An executor whose threads never keep the process alive.

A check that hangs inside `ctx.run_blocking` (a socket without a timeout, a stuck subprocess) is
abandoned when its timeout passes. With the standard pool, the interpreter would still wait for
that thread at exit; here every call gets its own daemon thread, so the doctor always ends.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
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


class CheckInterrupted(Exception):
    """A plugin check raised KeyboardInterrupt or SystemExit in its own thread: one error row, not the
    end of the run."""


def interruptible(func: Callable[..., Any], *args: Any) -> Any:
    """`func(*args)`, with KeyboardInterrupt and SystemExit turned into CheckInterrupted: raised in a worker
    thread and handed to the engine's loop, they would otherwise stop the loop itself."""
    try:
        return func(*args)
    except (KeyboardInterrupt, SystemExit) as exc:
        what = f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else type(exc).__name__
        raise CheckInterrupted(f"the check raised {what}") from None


def run_in_own_loop(make_coro: Callable[[], Any], name: str) -> tuple[concurrent.futures.Future[Any],
                                                                      Callable[[], None]]:
    """Run the coroutine `make_coro()` returns on a new event loop in a new daemon thread.

    A plugin check runs this way, so that one that blocks its event loop (`time.sleep`, a busy loop)
    stalls only its own loop: the engine's loop keeps every other check and the run budget going,
    and abandons the thread when the check's time is up. Returns the future of the result and a
    `cancel()` that cancels the coroutine from any thread (it takes effect only if the coroutine
    ever yields). KeyboardInterrupt and SystemExit raised by the check come back as CheckInterrupted.
    """
    import asyncio

    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    holder: dict[str, Any] = {"cancelled": False}

    async def guarded() -> Any:
        try:
            return await make_coro()
        except (KeyboardInterrupt, SystemExit) as exc:
            what = f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else type(exc).__name__
            raise CheckInterrupted(f"the check raised {what}") from None

    def work() -> None:
        future.set_running_or_notify_cancel()
        loop = asyncio.new_event_loop()
        executor = DaemonThreadExecutor(name)
        loop.set_default_executor(executor)
        try:
            task = loop.create_task(guarded(), name=name)
            holder["loop"], holder["task"] = loop, task
            if holder["cancelled"]:
                task.cancel()
            try:
                result = loop.run_until_complete(task)
            except asyncio.CancelledError:  # cancel() below: the engine no longer waits for an answer
                future.set_result(None)
            except BaseException as exc:  # noqa: BLE001 - handed to the engine as an error row
                future.set_exception(exc)
            else:
                future.set_result(result)
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
            with contextlib.suppress(RuntimeError):
                loop.close()

    def cancel() -> None:
        holder["cancelled"] = True
        if "loop" not in holder:
            return
        with contextlib.suppress(RuntimeError):  # the loop has already closed
            holder["loop"].call_soon_threadsafe(holder["task"].cancel)

    threading.Thread(target=work, name=name, daemon=True).start()
    return future, cancel
