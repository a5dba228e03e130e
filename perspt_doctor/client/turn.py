"""One chat turn, the same for `perspt -q` and the REPL: ask, let Ctrl+C (and SIGTERM, SIGHUP) stop only
the reply in progress (what arrived is kept), and report a failed turn."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

from perspt_doctor.errors import ExitCode

if TYPE_CHECKING:
    from perspt_doctor.client.render import Sink
    from perspt_doctor.client.session import ChatSession


async def run_turn(session: ChatSession, text: str, sink: Sink, *, on_interrupt: Callable[[str], None],
                   debug: bool = False) -> ExitCode:
    """Ask `text`, feeding the reply to `sink`. Returns OK, FAILURE (the failure is reported on stderr),
    or the signal's status when Ctrl+C, SIGTERM or SIGHUP stopped the reply (INTERRUPTED, TERMINATED,
    HANGUP): `on_interrupt` gets the word for it ("interrupted", "stopped by SIGTERM") and the partial
    reply is kept in the history. A reply that cannot be shown (its reader went away, a full disk) stops
    at once, is kept, and raises `output_error`."""
    from perspt_doctor.client.render import OutputLost, showing
    from perspt_doctor.client.session import TurnFailed

    finish = showing(sink.finish)
    try:
        with cancel_on_signals() as received, no_echo():
            try:
                await session.ask(text, sink)
            except asyncio.CancelledError:
                signum = received()
                if signum is None:
                    raise
                uncancel_current()
                finish()
                code, word = stopped_by(signum)
                on_interrupt(word)
                return code
            except TurnFailed as exc:
                finish()
                report_failure(exc, debug=debug)
                return ExitCode.FAILURE
        finish()
    except OutputLost as lost:
        raise output_error(lost.error) from None
    session.say_pending()
    if session.show_usage and session.last is not None:
        from perspt_doctor.client.usage import reply_line

        provider = session.last.route.provider if session.last.route else session.provider
        sys.stderr.write(f"perspt: {reply_line(session.last.usage, provider)}\n")
        sys.stderr.flush()
    return ExitCode.OK


def output_error(error: OSError) -> Exception:
    """What a failure to show the reply becomes: the reader going away (a closed pipe) is the quiet end
    every command gets (`run_guarded`); anything else is one error line. The partial reply is kept."""
    if isinstance(error, BrokenPipeError):
        return error
    from perspt_doctor.errors import PersptError

    reason = error.strerror or str(error)
    return PersptError(f"could not write the reply to standard output: {reason}",
                       hint="what arrived is kept in the history: `perspt history show last`")


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
"""Ctrl+C, `kill`, and the terminal closing: each cancels the reply under way so that what arrived is kept."""

_STATUS = {"SIGINT": ExitCode.INTERRUPTED, "SIGTERM": ExitCode.TERMINATED, "SIGHUP": ExitCode.HANGUP}
"""128 plus the signal's number, as a shell reports it."""


@contextlib.contextmanager
def cancel_on_signals(task: asyncio.Task[Any] | None = None) -> Iterator[Callable[[], int | None]]:
    """While inside, SIGINT (Ctrl+C), SIGTERM and SIGHUP cancel `task` (the current one by default)
    instead of killing the process, so the partial reply is saved. Yields a function that returns the
    number of the first signal that came, or None.

    A signal this process was started with ignored stays ignored: `nohup perspt -q ...` must outlive the
    terminal, and a shell script starts its background commands with Ctrl+C ignored so that it reaches
    only the script."""
    loop = asyncio.get_running_loop()
    target = task or asyncio.current_task()
    received: list[int] = []

    def handler(signum: int, _frame: Any) -> None:
        received.append(signum)
        if target is not None:
            loop.call_soon_threadsafe(target.cancel)

    previous: dict[int, Any] = {}
    try:
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) != signal.SIG_IGN:
                previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread
        yield lambda: received[0] if received else None
        return
    try:
        yield lambda: received[0] if received else None
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before)


def stopped_by(signum: int) -> tuple[ExitCode, str]:
    """The exit status for a reply stopped by `signum` and the word for it."""
    name = signal.Signals(signum).name
    word = "interrupted" if signum == signal.SIGINT else f"stopped by {name}"
    return _STATUS.get(name, ExitCode.INTERRUPTED), word


@contextlib.contextmanager
def no_echo(stream: IO[str] | None = None) -> Iterator[None]:
    """While a reply is shown, the terminal does not echo what is typed: an echoed `^C` (or a line
    typed ahead) would move the cursor under the live region, and its next redraw would leave a
    copy of the reply on the screen. What is typed ahead stays in the input for the next prompt."""
    source = stream or sys.stdin
    try:
        import termios

        fd = source.fileno()
        if not source.isatty():
            raise OSError
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError, AttributeError):
        yield
        return
    quiet = list(saved)
    quiet[3] = quiet[3] & ~(termios.ECHO | termios.ECHOCTL)
    try:
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
    except termios.error:
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSANOW, saved)


def uncancel_current() -> None:
    task = asyncio.current_task()
    uncancel = getattr(task, "uncancel", None)
    cancelling = getattr(task, "cancelling", None)
    if uncancel is not None and cancelling is not None:  # Python 3.11+
        while cancelling():
            uncancel()


def report_failure(exc: Any, *, debug: bool = False, stream: IO[str] | None = None) -> None:
    from perspt_doctor.redact import redact
    from perspt_doctor.textsafe import printable

    target = stream or sys.stderr
    result = exc.result
    if debug and result.error is not None:
        import traceback

        target.write(printable(redact("".join(traceback.format_exception(result.error)))))
    for skipped in result.skipped:
        target.write(printable(redact(f"perspt: {skipped.route.provider}/{skipped.route.model} was skipped: "
                                      f"{skipped.failure.summary()}")) + "\n")
    if result.failure is not None:
        for line in result.failure.lines():
            target.write(printable(redact(line)) + "\n")
    if result.text:
        target.write("perspt: the partial reply is kept in the history (`perspt history show last`)\n")
    target.flush()
