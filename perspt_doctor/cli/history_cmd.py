"""`perspt history list|show|export|import|clear`: the conversation store from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from perspt_doctor.cli import complete
from perspt_doctor.cli.errors import echo
from perspt_doctor.cli.lazy import Group
from perspt_doctor.errors import UsageError, UserError

if TYPE_CHECKING:
    from perspt_doctor.client.history_store import HistoryStore

T = TypeVar("T")

MAX_ID = 2**63 - 1
"""SQLite's largest row id: a bigger number cannot name a conversation."""
CONVERSATION_ID = click.IntRange(min=1, max=MAX_ID)


@contextmanager
def _store() -> Iterator[HistoryStore]:
    from perspt_doctor.client.history_store import HistoryError, default_store

    store = default_store()
    try:
        yield store
    except HistoryError as exc:
        raise UserError(str(exc), hint="`perspt doctor --only 'disk.*'` checks the database and the data dir") from exc
    finally:
        store.close()



def _resolve_id(store: HistoryStore, ref: str) -> int:
    if ref in ("last", "latest"):
        latest = store.latest_id()
        if latest is None:
            raise UserError("the history is empty")
        return latest
    try:
        number = int(ref)
        if not 1 <= number <= MAX_ID:
            raise ValueError(ref)
        return number
    except ValueError:
        raise UsageError(f"not a conversation id: {ref!r}",
                         hint="use a number from `perspt history list`, or `last`") from None


@click.group(cls=Group, help="List, show, export, import or clear the stored conversations.")
def history() -> None:
    pass


@history.command("list", help="Conversations, most recent first.")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many to show.")
@click.option("--all", "show_all", is_flag=True, help="Show every conversation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(limit: int, show_all: bool, as_json: bool) -> None:
    with _store() as store:
        items = store.list_conversations(None if show_all else limit)
        total, _ = store.counts()
    if as_json:
        from perspt_doctor.redact import redact_obj

        rows = [{"id": c.id, "uuid": c.uuid, "title": c.title, "provider": c.provider, "model": c.model,
                 "messages": c.message_count, "created_at": c.created_at, "updated_at": c.updated_at} for c in items]
        echo(json.dumps(redact_obj(rows), indent=2, ensure_ascii=False))
        return
    if not items:
        echo("No conversations yet.")
        return
    for c in items:
        where = f"{c.provider or '?'}/{c.model or '?'}"
        echo(f"{c.id:>5}  {c.updated_at[:16].replace('T', ' ')}  {c.message_count:>3} msgs  {where:<32}  "
              f"{c.title or '(untitled)'}")
    if len(items) < total:
        echo(f"({len(items)} of {total}; `perspt history list --all` shows every one)")


@history.command("show", help="One conversation as Markdown (ID from `history list`, or `last`).")
@click.argument("conversation", default="last", metavar="[ID]", shell_complete=complete.conversations)
@click.option("--json", "as_json", is_flag=True, help="Print the conversation in the export format.")
def show_cmd(conversation: str, as_json: bool) -> None:
    from perspt_doctor.client.transcript import to_markdown

    with _store() as store:
        cid = _resolve_id(store, conversation)
        item = store.get(cid)
        if item is None:
            raise UserError(f"no conversation with id {cid}", hint="see `perspt history list`")
        if as_json:
            echo(json.dumps(store.export_data([cid]), indent=2, ensure_ascii=False))
            return
    echo(to_markdown(item.messages, title=item.title or f"Conversation {item.id}", provider=item.provider,
                           model=item.model, system_prompt=item.system_prompt, created_at=item.created_at), nl=False)


@history.command("export", help="Write conversations as JSON (to FILE, or stdout with `-`). Secrets are redacted.")
@click.argument("output", required=False, default="-", metavar="[FILE]")
@click.option("--id", "ids", type=CONVERSATION_ID, multiple=True, help="Only this conversation (repeatable).")
def export_cmd(output: str, ids: tuple[int, ...]) -> None:
    with _store() as store:
        data = store.export_data(list(ids) or None)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output == "-":
        from perspt_doctor.textsafe import printable

        sys.stdout.write(printable(text))  # a terminal, maybe; a file keeps the conversations as they were
        return
    from perspt_doctor.fsutil import PRIVATE_MODE, atomic_write

    target = Path(output).expanduser()
    try:
        backup = atomic_write(target, text, mode=PRIVATE_MODE, user_named=True)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from exc
    count = len(data["conversations"])
    note = f" (previous file kept as {backup.name})" if backup else ""
    echo(f"Exported {count} conversation{'s' if count != 1 else ''} to {target}{note}")


@history.command("import", help="Add the conversations of a JSON export; ones already present are skipped.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_cmd(file: Path) -> None:
    from perspt_doctor.client.history_store import HistoryError, load_export, validate_export

    try:
        data = load_export(file)
    except HistoryError as exc:
        raise UsageError(str(exc)) from exc
    try:
        validate_export(data)  # the file's own problem, named before the history database is opened
    except HistoryError as exc:
        raise UsageError(f"{file}: {exc}", hint="the file is not a valid perspt history export; "
                                                "`perspt history export` writes one") from exc
    with _store() as store:
        result = store.import_data(data)
    echo(f"Imported {result.imported} conversation{'s' if result.imported != 1 else ''} "
          f"({result.messages} messages); {result.skipped} already present.")


@history.command("clear", help="Delete conversations (all, or the IDs given). A backup is made first.")
@click.argument("ids", nargs=-1, type=CONVERSATION_ID)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def clear_cmd(ids: tuple[int, ...], yes: bool) -> None:
    with _store() as store:
        conversations, messages = store.counts()
        if conversations == 0:
            echo("The history is already empty.")
            return
        what = f"{len(ids)} conversation(s)" if ids else f"all {conversations} conversations ({messages} messages)"
        if not yes:
            _confirm(f"Delete {what}? A backup is made first.")
        backup, deleted = store.clear(list(ids) or None)
    echo(f"Deleted {deleted} conversation{'s' if deleted != 1 else ''}. Backup: {backup}")
    target = backup.parent / backup.name.split(".backup.")[0]
    echo(f"To undo: cp {shell_path(backup)} {shell_path(target)}")


def shell_path(path: Path) -> str:
    """A path as a shell reads it, after the redactor has shown the home directory as `~`: the `~`
    stays outside the quotes, where the shell expands it."""
    import shlex

    home = Path.home()
    try:
        inside = path.resolve().relative_to(home.resolve())
    except ValueError:
        return shlex.quote(str(path))
    return "~/" + shlex.quote(str(inside)) if str(inside) != "." else "~"


def _confirm(question: str, ask: Callable[..., bool] = click.confirm) -> None:
    if not sys.stdin.isatty():
        raise UsageError("refusing to delete history without confirmation", hint="add --yes")
    if not ask(question, default=False):
        raise UserError("nothing deleted")
