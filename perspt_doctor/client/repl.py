"""The interactive REPL: prompt_toolkit for input (persistent history, multi-line), rich for replies."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, Any

from perspt_doctor.client import slash_commands as commands
from perspt_doctor.errors import ExitCode

if TYPE_CHECKING:
    from rich.console import Console

    from perspt_doctor.client.session import ChatSession


class RichScreen:
    def __init__(self, console: Console, errors: Console) -> None:
        self.console = console
        self.errors = errors

    def info(self, text: str) -> None:
        from perspt_doctor.redact import redact
        from perspt_doctor.textsafe import printable

        self.console.print(printable(redact(text)), markup=False, highlight=False)

    def error(self, text: str) -> None:
        from perspt_doctor.redact import redact
        from perspt_doctor.textsafe import printable

        self.errors.print(printable(redact(text)), style="red", markup=False, highlight=False)

    def markdown(self, text: str) -> None:
        from perspt_doctor.client.render import render_markdown_once

        render_markdown_once(text, self.console)


def _completer(session: ChatSession) -> Any:
    from prompt_toolkit.completion import Completer, Completion

    class SlashCompleter(Completer):
        def get_completions(self, document: Any, _event: Any) -> Any:
            text = document.text_before_cursor
            word = text.rpartition(" ")[2] if " " in text else text
            for choice in commands.complete(session, text):
                yield Completion(choice, start_position=-len(word))

    return SlashCompleter()


def _prompt_session(session: ChatSession | None = None) -> Any:
    import os

    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    from perspt_doctor import paths

    bindings = KeyBindings()

    # Not Ctrl+J: an Enter typed ahead while a reply streams arrives as Ctrl+J (the tty's ICRNL).
    @bindings.add("escape", "enter")
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    history: Any
    try:
        path = paths.input_history_file()
        paths.ensure_dir(path.parent)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        history = FileHistory(str(path))
    except OSError:
        history = InMemoryHistory()
    return PromptSession(history=history, key_bindings=bindings, multiline=False,
                         completer=_completer(session) if session is not None else None,
                         complete_while_typing=False,
                         prompt_continuation=lambda width, _n, _soft: "." * (width - 1) + " ")


def run_repl(session: ChatSession, *, debug: bool = False) -> int:
    return asyncio.run(repl_loop(session, debug=debug))


async def repl_loop(session: ChatSession, *, debug: bool = False) -> int:
    from rich.console import Console

    from perspt_doctor._version import __version__
    from perspt_doctor.client.render import reply_stream

    console = Console(file=reply_stream(sys.stdout), highlight=False)
    screen = RichScreen(console, Console(stderr=True, highlight=False))
    prompt = _prompt_session(session)
    screen.info(f"perspt {__version__} · {session.provider} · {session.model}\n"
                "Type a message, /help for commands, Ctrl+D to quit.")
    try:
        while True:
            try:
                line = await prompt.prompt_async("> ")
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            if not line.strip():
                continue
            parsed = commands.parse(line)
            if parsed is not None:
                try:
                    await commands.dispatch(session, screen, *parsed)
                except commands.ExitRepl:
                    break
                except commands.Ask as again:
                    await _turn(session, screen, console, again.text, debug=debug)
                continue
            text = line[1:] if line.lstrip().startswith("//") else line
            if session.attachments:
                text, session.attachments = session.attachments + text, ""
            stopped = await _turn(session, screen, console, text, debug=debug)
            if stopped is not None:  # SIGTERM or SIGHUP: the partial reply is saved; end the session
                return stopped
    finally:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(session.aclose(), timeout=5)
        if session.store is not None:
            session.store.close()
    return ExitCode.OK


async def _turn(session: ChatSession, screen: RichScreen, console: Console, text: str, *,
                debug: bool) -> ExitCode | None:
    """One question and its reply. Returns the exit status when SIGTERM or SIGHUP stopped the reply (the
    session ends; Ctrl+C stops only the reply)."""
    from perspt_doctor.client.render import BufferedMarkdown, MarkdownSink, Sink
    from perspt_doctor.client.turn import run_turn

    sink: Sink = MarkdownSink(console) if session.streaming else BufferedMarkdown(sys.stdout)
    code = await run_turn(session, text, sink, debug=debug,
                          on_interrupt=lambda word: screen.error(f"[{word}: the partial reply is kept]"))
    return code if code in (ExitCode.TERMINATED, ExitCode.HANGUP) else None
