"""The wait before a retry, on stderr: `rate limited by openai; retrying in 2 s (1/2)`.

On a terminal it is one live line that counts down and is erased when the wait is over; in a pipe,
one plain line per retry. Ctrl+C during the wait cancels it like any reply (the turn's handler)."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from perspt_doctor.providers.retry import RetryWait

ERASE = "\r\x1b[2K"


class RetryDisplay:
    def __init__(self, stream: IO[str] | None = None, *, tick: float = 1.0) -> None:
        self.stream = stream
        self.tick = tick

    async def wait(self, wait: RetryWait) -> None:
        """The `Waiter` the client gives the adapters (`HTTPAdapter.wait`)."""
        target = self.stream or sys.stderr
        if not _is_tty(target):
            self._write(target, f"perspt: {wait.line()}\n")
            await asyncio.sleep(wait.delay)
            return
        end = time.monotonic() + wait.delay
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                self._write(target, f"{ERASE}perspt: {wait.line(left)}")
                await asyncio.sleep(min(self.tick, left))
        finally:
            self._write(target, ERASE)

    @staticmethod
    def _write(target: IO[str], text: str) -> None:
        from perspt_doctor.redact import redact

        target.write(redact(text))
        target.flush()


def _is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
