"""A conversation as Markdown: what `/save` writes and `perspt history show` prints."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perspt_doctor.client.history_store import StoredMessage

_STATUS_NOTE = {
    "interrupted": "*(reply interrupted: only what arrived is shown)*",
    "error": "*(reply cut short by an error)*",
}


def to_markdown(entries: Iterable[StoredMessage], *, title: str | None = None, provider: str | None = None,
                model: str | None = None, system_prompt: str | None = None, created_at: str | None = None) -> str:
    """The transcript, redacted: it leaves the process as a file or on a terminal."""
    from perspt_doctor.client.usage import totals_of
    from perspt_doctor.redact import redact

    lines = [f"# {title or 'perspt conversation'}", ""]
    meta = []
    if provider or model:
        meta.append(f"- Model: `{model or '?'}` ({provider or '?'})")
    if created_at:
        meta.append(f"- Started: {created_at}")
    entries = list(entries)
    totals = totals_of(entries)
    if totals.replies or totals.unreported:
        meta.append(f"- Tokens: {totals.line()}")
    if meta:
        lines.extend([*meta, ""])
    if system_prompt:
        lines.extend(["## System", "", system_prompt.rstrip(), ""])
    for entry in entries:
        if entry.role == "user":
            heading = "## You"
        elif entry.role == "assistant":
            label = f" ({entry.model})" if entry.model and entry.model != model else ""
            heading = f"## Assistant{label}"
        else:
            heading = "## System"
        lines.extend([heading, "", entry.content.rstrip(), ""])
        note = _STATUS_NOTE.get(entry.status)
        if note:
            lines.extend([note, ""])
    return redact("\n".join(lines).rstrip() + "\n")
