"""`perspt` without a subcommand: one question (`-q`, or piped stdin), or the interactive REPL."""

from __future__ import annotations

import asyncio
import sys
from typing import IO, TYPE_CHECKING, Any

from perspt_doctor.errors import UsageError

if TYPE_CHECKING:
    from perspt_doctor.client.history_store import HistoryStore
    from perspt_doctor.client.options import ChatOptions
    from perspt_doctor.client.session import ChatSession


def notice(line: str, stream: IO[str] | None = None) -> None:
    from perspt_doctor.redact import redact
    from perspt_doctor.textsafe import printable

    target = stream or sys.stderr
    target.write(printable(redact(f"perspt: {line}")).rstrip("\n") + "\n")
    target.flush()


def check_provider(settings: Any) -> None:
    from perspt_doctor import catalog

    catalog.resolve_provider(str(settings.resolved("provider").value), settings.provider.origin)
    settings.key_for(settings.provider.value)  # a key with a line break in it: one clear line, no request


def open_store() -> HistoryStore | None:
    from perspt_doctor.client.history_store import HistoryError, default_store

    store = default_store()
    try:
        store.connect()
    except HistoryError as exc:
        notice(f"history is off for this session: {exc} (`perspt doctor --only disk.history` checks the "
               "database and says how to recover it)")
        return None
    return store


def make_session(options: ChatOptions, *, interactive: bool = False) -> ChatSession:
    """The session, going on with a stored conversation when `options.resume` says so."""
    from perspt_doctor.client.roles import find_role
    from perspt_doctor.client.session import ChatSession
    from perspt_doctor.client.waiting import RetryDisplay

    role = find_role(options.settings, options.role) if options.role else None
    session = ChatSession(options.settings, streaming=options.streaming, store=open_store(), notify=notice,
                          retry_wait=RetryDisplay().wait)
    session.show_usage = options.show_usage
    if role is not None:
        session.apply_role(role, flags_win=True)
    if options.resume is not None:
        from perspt_doctor.client import continuation

        try:
            stored = continuation.resume(session, options.resume)
        except BaseException:
            if session.store is not None:
                session.store.close()
            raise
        if interactive:
            notice(continuation.describe(stored))
    return session


def run_chat(options: ChatOptions, question: str | None = None) -> int:
    from perspt_doctor.client.attachments import read_files
    from perspt_doctor.client.stdin import is_piped, read_piped, with_piped

    check_provider(options.settings)
    files = read_files(options.files)
    if options.role:
        from perspt_doctor.client.roles import find_role

        find_role(options.settings, options.role)  # an unknown role is a usage error before anything starts
    piped = read_piped() if is_piped() else None
    if piped is not None and not piped.strip() and question is None:
        raise UsageError("nothing to ask: standard input was empty",
                         hint='ask with `perspt -q "..."`, or pipe a question in: echo "..." | perspt')
    question = with_piped(piped, question)
    if question is not None:
        if not question.strip():
            raise UsageError("the question is empty")
        return asyncio.run(one_shot(make_session(options), files + question, debug=options.debug))
    from perspt_doctor.client.repl import run_repl

    session = make_session(options, interactive=True)
    session.attachments = files
    check_key(session)
    return run_repl(session, debug=options.debug)


def check_key(session: ChatSession) -> None:
    """The REPL says a key is missing when it starts, not after the first message is typed (unless a
    fallback route may answer without it)."""
    from perspt_doctor import catalog
    from perspt_doctor.errors import UserError
    from perspt_doctor.providers.errors import AuthenticationError

    spec = catalog.PROVIDERS.get(session.provider)
    if spec is None or not spec.key_required or len(session.routes()) > 1:
        return
    if session.settings.key_for(session.provider).value:
        return
    missing = AuthenticationError(f"no API key for {spec.display_name}", provider=spec.id,
                                  code="missing_key").with_default_hint()
    raise UserError(missing.message, hint=missing.hint)


async def one_shot(session: ChatSession, question: str, *, debug: bool = False,
                   out: IO[str] | None = None) -> int:
    from perspt_doctor.client.render import BufferedMarkdown, Sink, make_sink, reply_stream
    from perspt_doctor.client.turn import run_turn
    from perspt_doctor.errors import ClosedOutput, UserError

    stream = out or sys.stdout
    if stream is None or isinstance(stream, ClosedOutput):  # started with it closed (`perspt -q ... >&-`)
        raise UserError("standard output is closed: the reply would have nowhere to go, so it was not asked for",
                        hint="send the output to a terminal, a file or a pipe (`> reply.txt`)")
    stream = reply_stream(stream)
    tty = stream.isatty()
    sink: Sink = make_sink(stream, markdown=tty and session.streaming) if (session.streaming or not tty) \
        else BufferedMarkdown(stream)
    try:
        return await run_turn(session, question, sink, debug=debug, on_interrupt=lambda word: notice(
            f"{word}: the partial reply is kept in the history"))
    finally:
        await session.aclose()
        if session.store is not None:
            session.store.close()
