"""What the chat takes from whoever starts it: the resolved settings and the few switches that are not
settings. The command line builds one from its context; the client never sees the command line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perspt_doctor.client.continuation import ConversationRef
    from perspt_doctor.settings.resolve import Settings


@dataclass(frozen=True)
class ChatOptions:
    settings: Settings
    """Resolved once by the caller (flags, environment, keyring, config file, defaults)."""
    debug: bool = False
    """Show the traceback of a failed turn."""
    resume: ConversationRef | None = None
    """Go on with this stored conversation (`--continue`: the latest; `--conversation ID`)."""
    show_usage: bool = False
    """`--usage`: print each reply's token usage on stderr."""
    files: tuple[str, ...] = ()
    """`-f PATH`: text files added before the prompt (the first message, in the REPL)."""
    role: str | None = None
    """`--role NAME`: a role of the config file (its prompt, model and options; flags still win)."""

    @property
    def streaming(self) -> bool:
        return bool(self.settings.get("stream"))
