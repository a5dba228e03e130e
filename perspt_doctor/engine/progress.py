"""Live progress on stderr while checks run: which checks are still running. Only on a TTY (and not
with NO_COLOR or TERM=dumb); otherwise nothing is printed but the report."""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from perspt_doctor.colour import can_encode, colour_choice, is_tty
from perspt_doctor.engine.check_model import Status


class LiveProgress:
    def __init__(self, total: int, stream: IO[str]) -> None:
        from rich.console import Console

        self.total = total
        self.done = 0
        self.running: list[str] = []
        self._console = Console(file=stream, highlight=False)
        self._status: Any = None
        self._fancy = can_encode(stream, "⠋…·")
        self._ellipsis, self._dot = ("…", "·") if self._fancy else ("...", "-")

    def __enter__(self) -> LiveProgress:
        self._status = self._console.status(self._text(), spinner="dots" if self._fancy else "line")
        self._status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)

    def _text(self) -> str:
        from rich.markup import escape

        progress = f"Checking{self._ellipsis} {self.done}/{self.total} done"
        if not self.running:
            return progress
        names = ", ".join(self.running[:3])
        more = f" +{len(self.running) - 3}" if len(self.running) > 3 else ""
        return escape(f"{progress} {self._dot} running: {names}{more}")

    def started(self, check_id: str) -> None:
        self.running.append(check_id)
        self._update()

    def finished(self, check_id: str, status: Status) -> None:
        if check_id in self.running:
            self.running.remove(check_id)
        self.done += 1
        self._update()

    def _update(self) -> None:
        if self._status is not None:
            self._status.update(self._text())


def wants_progress(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stderr
    tty = is_tty(stream)
    return tty and colour_choice(os.environ, tty).on
