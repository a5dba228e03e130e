"""`perspt` without a subcommand: one question (`-q`, or piped stdin), or the interactive REPL."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

from perspt_doctor.cli.errors import UserError

if TYPE_CHECKING:
    from perspt_doctor.cli.context import AppContext
    from perspt_doctor.client.history import HistoryStore
    from perspt_doctor.client.session import ChatSession

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def notice(line: str, stream: IO[str] | None = None) -> None:
    from perspt_doctor.redact import redact

    target = stream or sys.stderr
    target.write(redact(f"perspt: {line}").rstrip("\n") + "\n")
    target.flush()


def check_provider(settings: Any) -> None:
    from perspt_doctor.providers import catalog

    catalog.resolve_provider(str(settings.resolved("provider").value), settings.provider.origin)


def open_store(settings: Any) -> HistoryStore | None:
    from perspt_doctor.client.history import HistoryError, default_store

    store = default_store()
    try:
        store.connect()
    except HistoryError as exc:
        notice(f"history is off for this session: {exc}")
        return None
    return store


def make_session(app: AppContext, settings: Any, *, streaming: bool) -> ChatSession:
    from perspt_doctor.client.session import ChatSession

    return ChatSession(settings, streaming=streaming, store=open_store(settings), notify=notice)


def read_stdin_question() -> str:
    text = sys.stdin.read()
    if not text.strip():
        raise UserError("nothing to ask: standard input was empty",
                        hint='ask with `perspt -q "..."`, or pipe a question in: echo "..." | perspt', exit_code=2)
    return text


def run_chat(app: AppContext, question: str | None = None) -> int:
    settings = app.settings()
    check_provider(settings)
    streaming = bool(settings.get("stream"))
    if question is None and not sys.stdin.isatty():
        question = read_stdin_question()
    if question is not None:
        if not question.strip():
            raise UserError("the question is empty", exit_code=2)
        session = make_session(app, settings, streaming=streaming)
        return asyncio.run(one_shot(session, question, debug=app.debug))
    from perspt_doctor.client.repl import run_repl

    return run_repl(app, settings, streaming=streaming)


@contextlib.contextmanager
def cancel_on_sigint(task: asyncio.Task[Any] | None = None) -> Iterator[Callable[[], bool]]:
    """While inside, Ctrl+C cancels `task` (the current one by default) instead of killing the
    process. Yields a function that says whether Ctrl+C was pressed."""
    loop = asyncio.get_running_loop()
    target = task or asyncio.current_task()
    pressed = [False]

    def handler(_signum: int, _frame: Any) -> None:
        pressed[0] = True
        if target is not None:
            loop.call_soon_threadsafe(target.cancel)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        yield lambda: pressed[0]
        return
    try:
        yield lambda: pressed[0]
    finally:
        signal.signal(signal.SIGINT, previous)


def uncancel_current() -> None:
    task = asyncio.current_task()
    uncancel = getattr(task, "uncancel", None)
    cancelling = getattr(task, "cancelling", None)
    if uncancel is not None and cancelling is not None:  # Python 3.11+
        while cancelling():
            uncancel()


async def one_shot(session: ChatSession, question: str, *, debug: bool = False,
                   out: IO[str] | None = None) -> int:
    from perspt_doctor.client.render import make_sink
    from perspt_doctor.client.session import TurnFailed

    stream = out or sys.stdout
    tty = stream.isatty()
    sink = make_sink(stream, markdown=tty and session.streaming) if (session.streaming or not tty) \
        else BufferedMarkdown(stream)
    try:
        with cancel_on_sigint() as interrupted:
            try:
                await session.ask(question, sink)
            except asyncio.CancelledError:
                if not interrupted():
                    raise
                uncancel_current()
                sink.finish()
                notice("interrupted: the partial reply is kept in the history")
                return EXIT_INTERRUPTED
            except TurnFailed as exc:
                sink.finish()
                report_failure(exc, debug=debug)
                return EXIT_FAILED
        sink.finish()
        return EXIT_OK
    finally:
        await session.aclose()
        if session.store is not None:
            session.store.close()


def report_failure(exc: Any, *, debug: bool = False, stream: IO[str] | None = None) -> None:
    from perspt_doctor.redact import redact

    target = stream or sys.stderr
    result = exc.result
    if debug and result.error is not None:
        import traceback

        target.write(redact("".join(traceback.format_exception(result.error))))
    for skipped in result.skipped:
        target.write(redact(f"perspt: {skipped.route.provider}/{skipped.route.model} was skipped: "
                            f"{skipped.failure.summary()}") + "\n")
    if result.failure is not None:
        for line in result.failure.lines():
            target.write(line + "\n")
    if result.text:
        target.write("perspt: the partial reply is kept in the history (`perspt history show last`)\n")
    target.flush()


class BufferedMarkdown:
    """--no-stream on a terminal: wait for the whole reply, render it once."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._parts: list[str] = []

    def feed(self, text: str) -> None:
        self._parts.append(text)

    def finish(self) -> None:
        if not self._parts:
            return
        from rich.console import Console

        from perspt_doctor.client.render import render_markdown_once

        render_markdown_once("".join(self._parts), Console(file=self._stream, highlight=False))
        self._parts = []
