"""The REPL's slash commands. Each takes the rest of the line and talks through a small `Screen`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from perspt_doctor.client.failures import describe
from perspt_doctor.providers.model_names import suggest
from perspt_doctor.suggest import did_you_mean

if TYPE_CHECKING:
    from perspt_doctor.client.session import ChatSession


class Screen(Protocol):
    def info(self, text: str) -> None: ...

    def error(self, text: str) -> None: ...

    def markdown(self, text: str) -> None: ...


class ExitRepl(Exception):
    pass


class Ask(Exception):
    """Send this text as the next message (`/retry`)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


Handler = Callable[["ChatSession", Screen, str], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    help: str
    handler: Handler


async def cmd_help(session: ChatSession, screen: Screen, _arg: str) -> None:
    rows = [f"  /{c.name}{(' ' + c.args) if c.args else ''}".ljust(24) + c.help for c in COMMANDS.values()]
    keys = ["", "  Enter sends; Esc then Enter (or Alt+Enter) starts a new line; a paste may hold several lines.",
            "  Ctrl+C stops a reply in progress (what arrived is kept); Ctrl+D quits."]
    screen.info("\n".join(["Commands:", *rows, *keys]))


async def cmd_clear(session: ChatSession, screen: Screen, _arg: str) -> None:
    session.new_conversation()
    screen.info("Conversation cleared: the next message starts a new one (the old one stays in the history).")


async def cmd_model(session: ChatSession, screen: Screen, arg: str) -> None:
    name = arg.strip()
    if not name:
        screen.info(f"Model: {session.model} (provider {session.provider})")
        return
    try:
        names = await asyncio.wait_for(session.list_models(), timeout=15)
    except Exception as exc:  # noqa: BLE001 - could not verify: say so and use it anyway
        session.model = name
        screen.info(f"Model: {name} (not verified, the model list could not be fetched: "
                    f"{describe(exc, session.provider).summary()})")
        return
    if name not in names:
        close = suggest(name, names)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        screen.error(f"No model '{name}' at {session.provider}; the model stays {session.model}.{hint} "
                     "(/list-models shows them all)")
        return
    session.model = name
    screen.info(f"Model: {name}")


async def cmd_provider(session: ChatSession, screen: Screen, arg: str) -> None:
    from perspt_doctor import catalog

    name = arg.strip()
    if not name:
        screen.info(f"Provider: {session.provider} (model {session.model}). Known: {', '.join(catalog.all_ids())}")
        return
    try:
        pid = catalog.resolve_provider(name)
    except catalog.UnknownProviderError as exc:
        screen.error(f"{exc}; {exc.hint}")
        return
    await session.switch_provider(pid)
    screen.info(f"Provider: {pid}, model {session.model} (/model NAME picks another)")


async def cmd_list_models(session: ChatSession, screen: Screen, _arg: str) -> None:
    try:
        names = await asyncio.wait_for(session.list_models(), timeout=30)
    except Exception as exc:  # noqa: BLE001 - shown as one line, with the doctor command
        for line in describe(exc, session.provider).lines():
            screen.error(line)
        return
    if not names:
        screen.info(f"{session.provider} lists no models.")
        return
    marked = [f"  {'*' if n == session.model else ' '} {n}" for n in names]
    screen.info("\n".join([f"Models at {session.provider} ({len(names)}):", *marked]))


async def cmd_save(session: ChatSession, screen: Screen, arg: str) -> None:
    import time

    from perspt_doctor.client.history_store import StoredMessage
    from perspt_doctor.client.transcript import to_markdown
    from perspt_doctor.fsutil import atomic_write

    if not session.conversation.messages:
        screen.error("Nothing to save yet.")
        return
    target = Path(arg.strip() or time.strftime("perspt-conversation-%Y%m%d-%H%M%S.md")).expanduser()
    entries = [StoredMessage(m.role, m.content) for m in session.conversation.messages]
    text = to_markdown(entries, title="perspt conversation", provider=session.provider, model=session.model,
                       system_prompt=session.conversation.system_prompt)
    try:
        backup = atomic_write(target, text, user_named=True)
    except OSError as exc:
        screen.error(f"Could not save to {target}: {exc.strerror or exc}")
        return
    note = f" (the previous file is kept as {backup.name})" if backup else ""
    screen.info(f"Saved {len(entries)} messages to {target}{note}")


async def cmd_history(session: ChatSession, screen: Screen, _arg: str) -> None:
    messages = session.conversation.messages
    if not messages:
        screen.info("No messages in this conversation yet.")
        return
    sent = len(session.conversation.window()) if messages[-1].role == "user" else min(
        len(messages), session.conversation.history_limit + 1)
    lines = [f"This conversation: {len(messages)} messages; the model is sent up to "
             f"{session.conversation.history_limit} earlier ones (conversation_history_limit)."]
    for number, message in enumerate(messages, start=1):
        text = " ".join(message.content.split())
        text = text if len(text) <= 70 else text[:69] + "…"
        lines.append(f"  {number:>3} {message.role:<9} {text}")
    if sent < len(messages):
        lines.append(f"  (the oldest {len(messages) - sent} are no longer sent)")
    if session.conversation_id is not None:
        lines.append(f"Stored as conversation {session.conversation_id}: `perspt history show "
                     f"{session.conversation_id}`")
    screen.info("\n".join(lines))


async def cmd_system(session: ChatSession, screen: Screen, arg: str) -> None:
    prompt = arg.strip()
    if not prompt:
        current = session.conversation.system_prompt
        screen.info(f"System prompt: {current}" if current else "No system prompt. /system TEXT sets one; "
                    "/system off removes it.")
        return
    if prompt.lower() in ("off", "none", "clear", "-"):
        session.set_system_prompt(None)
        screen.info("System prompt removed.")
        return
    session.set_system_prompt(prompt)
    screen.info("System prompt set for the rest of this conversation.")


async def cmd_role(session: ChatSession, screen: Screen, arg: str) -> None:
    from perspt_doctor.client.roles import find_role, roles
    from perspt_doctor.errors import PersptError

    name = arg.strip()
    if not name:
        known = sorted(roles(session.settings))
        current = f"Role: {session.role}" if session.role else "No role"
        screen.info(f"{current}. Roles: {', '.join(known)}" if known else
                    f"{current}. Define roles in the config file (`roles`), then /role NAME.")
        return
    try:
        role = find_role(session.settings, name)
        session.apply_role(role)
    except PersptError as exc:
        screen.error(f"{exc}" + (f"; {exc.hint}" if exc.hint else ""))
        return
    screen.info(f"Role: {role.name} · {session.provider} · {session.model}")


async def cmd_retry(session: ChatSession, screen: Screen, _arg: str) -> None:
    question = session.undo()
    if question is None:
        screen.error("Nothing to retry yet.")
        return
    screen.info("Asking again (the last answer is replaced):")
    raise Ask(question)


async def cmd_undo(session: ChatSession, screen: Screen, _arg: str) -> None:
    question = session.undo()
    if question is None:
        screen.error("Nothing to undo.")
        return
    text = " ".join(question.split())
    screen.info(f"Dropped the last exchange ({text[:60]}{'…' if len(text) > 60 else ''}); it is gone from "
                "the conversation and its history.")


async def cmd_usage(session: ChatSession, screen: Screen, _arg: str) -> None:
    screen.info(f"This session: {session.usage.line()} (as the providers reported them).")


async def cmd_resume(session: ChatSession, screen: Screen, arg: str) -> None:
    from perspt_doctor.client import continuation
    from perspt_doctor.errors import PersptError

    try:
        ref = continuation.parse_ref(arg) if arg.strip() else continuation.LATEST
        stored = continuation.resume(session, ref)
    except PersptError as exc:
        screen.error(f"{exc}" + (f"; {exc.hint}" if exc.hint else ""))
        return
    screen.info(f"Resumed: {continuation.describe(stored)}. The next message continues it.")


def complete(session: ChatSession, text: str) -> list[str]:
    """Tab completion of a REPL line: command names, then the argument of /model, /provider, /role,
    /resume. Returns whole replacements for the word being typed."""
    from perspt_doctor import catalog

    if not text.startswith("/") or text.startswith("//"):
        return []
    name, space, arg = text[1:].partition(" ")
    if not space:
        return [f"/{c}" for c in COMMANDS if c.startswith(name.lower())]
    command = ALIASES.get(name.lower(), name.lower())
    choices: list[str] = []
    if command == "model":
        choices = session.models_seen or [m for m in (session.model, default_model_of(session.provider)) if m]
    elif command == "provider":
        choices = list(catalog.all_ids())
    elif command == "role":
        from perspt_doctor.client.roles import roles

        choices = sorted(roles(session.settings))
    elif command == "resume" and session.store is not None:
        try:
            choices = [str(c.id) for c in session.store.list_conversations(limit=50)]
        except Exception:  # noqa: BLE001 - completion is a bonus
            choices = []
    return [c for c in dict.fromkeys(choices) if c.startswith(arg.strip())]


def default_model_of(provider: str) -> str:
    from perspt_doctor.client.fallback import default_model

    return default_model(provider)


async def cmd_exit(session: ChatSession, screen: Screen, _arg: str) -> None:
    raise ExitRepl


COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("help", "", "this list", cmd_help),
    Command("clear", "", "start a new conversation", cmd_clear),
    Command("model", "[NAME]", "show or switch the model", cmd_model),
    Command("provider", "[ID]", "show or switch the provider", cmd_provider),
    Command("list-models", "", "the models the provider offers", cmd_list_models),
    Command("save", "[FILE]", "save the conversation as Markdown", cmd_save),
    Command("history", "", "the messages of this conversation", cmd_history),
    Command("system", "[PROMPT]", "show or set the system prompt", cmd_system),
    Command("role", "[NAME]", "use a role of the config (prompt, model, options)", cmd_role),
    Command("retry", "", "ask the last question again, replacing its answer", cmd_retry),
    Command("undo", "", "drop the last question and answer", cmd_undo),
    Command("resume", "[ID]", "continue a stored conversation (the latest by default)", cmd_resume),
    Command("usage", "", "the tokens this session used", cmd_usage),
    Command("exit", "", "quit (also /quit, Ctrl+D)", cmd_exit),
)}
ALIASES = {"quit": "exit", "q": "exit", "models": "list-models", "?": "help", "h": "help"}


def parse(line: str) -> tuple[str, str] | None:
    """`/model gpt-4o` -> ("model", "gpt-4o"); None if the line is not a command."""
    stripped = line.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return None
    name, _, rest = stripped[1:].partition(" ")
    return name.lower(), rest


async def dispatch(session: ChatSession, screen: Screen, name: str, arg: str) -> None:
    command = COMMANDS.get(ALIASES.get(name, name))
    if command is None:
        close = did_you_mean(name, list(COMMANDS), limit=1)
        hint = f" Did you mean /{close[0]}?" if close else ""
        screen.error(f"Unknown command /{name}.{hint} Type /help for the list.")
        return
    await command.handler(session, screen, arg)
