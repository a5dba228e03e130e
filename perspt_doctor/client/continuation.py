"""Going on with a stored conversation: `perspt --continue`, `perspt --conversation ID`, and the REPL's
`/resume [ID]` (`resume(session, ref)`). The stored turns become the context (within
`conversation_history_limit`), and the new turns are appended to the same stored conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from perspt_doctor.errors import PersptError, UsageError

if TYPE_CHECKING:
    from perspt_doctor.client.history_store import Conversation, HistoryStore
    from perspt_doctor.client.session import ChatSession

LATEST: Literal["latest"] = "latest"
ConversationRef = int | Literal["latest"]
"""A stored conversation's id, or the one updated last."""


def parse_ref(text: str) -> ConversationRef:
    """`--conversation ID`: a number from `perspt history list`, or `last`/`latest`. Raises UsageError."""
    word = text.strip().lower()
    if word in ("last", LATEST):
        return LATEST
    if word.isdigit() and len(word) <= 18:
        return int(word)
    raise UsageError(f"not a conversation id: {text!r}", hint="use a number from `perspt history list`, or `last`")


def find(store: HistoryStore, ref: ConversationRef) -> Conversation:
    """The stored conversation `ref` names, with its messages. Raises UsageError when there is none."""
    from perspt_doctor.suggest import did_you_mean

    if isinstance(ref, int):
        wanted = ref
    else:
        latest = store.latest_id()
        if latest is None:
            raise UsageError("there is no conversation to continue yet",
                             hint='ask something first, e.g. perspt -q "..."')
        wanted = latest
    found = store.get(wanted)
    if found is None:
        ids = [str(c.id) for c in store.list_conversations(200)]
        close = did_you_mean(str(wanted), ids, limit=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise UsageError(f"no conversation with id {wanted}", hint=f"{hint}see `perspt history list`")
    return found


def resume(session: ChatSession, ref: ConversationRef) -> Conversation:
    """Make `session` go on with the stored conversation `ref` (for `--continue` and the REPL's `/resume`)."""
    if session.store is None:
        raise PersptError("cannot continue a conversation: the history is off for this session",
                          hint="run `perspt doctor --only 'disk.*'` to check the data dir")
    stored = find(session.store, ref)
    session.resume(stored)
    return stored


def describe(stored: Conversation) -> str:
    """One line about a resumed conversation, e.g. for the REPL's banner."""
    turns = sum(1 for m in stored.messages if m.role == "user")
    return (f"continuing conversation {stored.id} ({turns} question{'s' if turns != 1 else ''}): "
            f"{stored.title or '(untitled)'}")
