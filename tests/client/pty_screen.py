"""A terminal emulator for tests: perspt runs in a pty, `pyte` turns what it writes into a screen.

Unlike reading the raw bytes, the screen shows what a user sees: a live region that is redrawn
counts once, text that was really printed twice counts twice.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import time
from collections.abc import Callable

import pyte


class PtyScreen:
    def __init__(self, argv: list[str], env: dict[str, str], *, columns: int = 100, lines: int = 60) -> None:
        self.screen = pyte.Screen(columns, lines)
        self.screen.write_process_input = self._answer  # type: ignore[method-assign]
        self.stream = pyte.ByteStream(self.screen)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a terminal's foreground command (tests/foreground.py says why)
            for signum in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_DFL)
            os.execve(argv[0], argv, {**env, "COLUMNS": str(columns), "LINES": str(lines)})
        self._resize(columns, lines)
        self.status: int | None = None

    def _resize(self, columns: int, lines: int) -> None:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))

    def _answer(self, data: str) -> None:
        """The terminal's replies (cursor position reports) go back to the program."""
        os.write(self.fd, data.encode())

    def pump(self, seconds: float = 0.05) -> None:
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            self.stream.feed(data)

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, condition: Callable[[str], bool], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            text = self.text()
            if condition(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the screen shows:\n{text}")

    def settle(self, seconds: float) -> None:
        """Keep reading what the program writes for a while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump()

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def interrupt(self) -> None:
        self.type("\x03")  # the tty turns it into SIGINT for the foreground process group

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)
