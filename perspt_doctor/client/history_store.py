"""The conversation store: SQLite in WAL mode in the data dir, safe with several processes writing.

Every write is one short `BEGIN IMMEDIATE` transaction, and a busy database is waited on
(`busy_timeout`), so two perspt processes appending at once lose nothing. Partial replies are kept
with status `interrupted` or `error`. Exports pass through the redactor.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from perspt_doctor.errors import PersptError

EXPORT_FORMAT = "perspt-history"
EXPORT_VERSION = 1
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
STATUSES = ("complete", "interrupted", "error")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    provider TEXT,
    model TEXT,
    system_prompt TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content TEXT NOT NULL,
    provider TEXT,
    model TEXT,
    status TEXT NOT NULL DEFAULT 'complete',
    error TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
CREATE INDEX IF NOT EXISTS conversations_by_update ON conversations(updated_at);
"""


class HistoryError(PersptError):
    """The store could not be opened, read or written; the message says which file and why."""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def new_uuid() -> str:
    import uuid

    return uuid.uuid4().hex


@dataclass
class StoredMessage:
    role: str
    content: str
    provider: str | None = None
    model: str | None = None
    status: str = "complete"
    error: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    created_at: str = ""
    id: int | None = None


@dataclass
class Conversation:
    id: int
    uuid: str
    title: str
    provider: str | None
    model: str | None
    system_prompt: str | None
    created_at: str
    updated_at: str
    message_count: int = 0
    messages: list[StoredMessage] = field(default_factory=list)


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0
    messages: int = 0


class HistoryStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None

    # ---- connection --------------------------------------------------------------------
    def connect(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                # History can hold pasted secrets: only the owner may read it.
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._enable_wal(conn)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            with _transaction(conn):
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise HistoryError(f"{self.path} was written by a newer perspt (schema {version})")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                if version < SCHEMA_VERSION:
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"cannot open the history database {self.path}: {exc}") from exc
        except OSError as exc:
            raise HistoryError(f"cannot create the history database {self.path}: {exc.strerror or exc}") from exc
        self._conn = conn
        return conn

    @staticmethod
    def _enable_wal(conn: sqlite3.Connection) -> None:
        # Switching to WAL needs a moment of exclusive access; another process may hold it briefly.
        for attempt in range(50):
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() == "wal":
                    return
            except sqlite3.OperationalError:
                if attempt == 49:
                    raise
            time.sleep(0.02)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> HistoryStore:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- writes ------------------------------------------------------------------------
    def start_conversation(self, *, provider: str | None, model: str | None, system_prompt: str | None = None,
                           title: str = "") -> int:
        conn = self.connect()
        stamp = now_iso()
        with _transaction(conn):
            cursor = conn.execute(
                "INSERT INTO conversations (uuid, title, provider, model, system_prompt, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (new_uuid(), _title_from(title, 80) if title else "", provider, model, system_prompt, stamp, stamp))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def add_message(self, conversation_id: int, message: StoredMessage) -> int:
        if message.status not in STATUSES:
            raise ValueError(f"unknown message status {message.status!r}")
        conn = self.connect()
        stamp = message.created_at or now_iso()
        with _transaction(conn):
            cursor = conn.execute(
                "INSERT INTO messages (conversation_id, role, content, provider, model, status, error,"
                " input_tokens, output_tokens, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, message.role, message.content, message.provider, message.model, message.status,
                 message.error, message.input_tokens, message.output_tokens, stamp))
            updates = ["updated_at = ?"]
            values: list[Any] = [stamp]
            if message.role == "user":
                updates.append("title = CASE WHEN title = '' THEN ? ELSE title END")
                values.append(_title_from(message.content))
            if message.role == "assistant" and message.model and message.status != "error":
                # labelled by the provider that last answered, not by one that failed
                updates.extend(["provider = ?", "model = ?"])
                values.extend([message.provider, message.model])
            conn.execute(f"UPDATE conversations SET {', '.join(updates)} WHERE id = ?", (*values, conversation_id))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def set_system_prompt(self, conversation_id: int, prompt: str | None) -> None:
        conn = self.connect()
        with _transaction(conn):
            conn.execute("UPDATE conversations SET system_prompt = ?, updated_at = ? WHERE id = ?",
                         (prompt, now_iso(), conversation_id))

    def prune(self, keep: int) -> int:
        """Delete all but the `keep` most recently updated conversations; returns how many went."""
        conn = self.connect()
        with _transaction(conn):
            cursor = conn.execute(
                "DELETE FROM conversations WHERE id NOT IN "
                "(SELECT id FROM conversations ORDER BY updated_at DESC, id DESC LIMIT ?)", (max(keep, 0),))
        return cursor.rowcount

    # ---- reads -------------------------------------------------------------------------
    def list_conversations(self, limit: int | None = None) -> list[Conversation]:
        conn = self.connect()
        sql = ("SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count"
               " FROM conversations c ORDER BY c.updated_at DESC, c.id DESC")
        rows = conn.execute(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ()).fetchall()
        return [_conversation(row) for row in rows]

    def get(self, conversation_id: int) -> Conversation | None:
        conn = self.connect()
        row = conn.execute(
            "SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count"
            " FROM conversations c WHERE c.id = ?", (conversation_id,)).fetchone()
        if row is None:
            return None
        conversation = _conversation(row)
        conversation.messages = self.messages(conversation_id)
        return conversation

    def latest_id(self) -> int | None:
        row = self.connect().execute(
            "SELECT id FROM conversations ORDER BY updated_at DESC, id DESC LIMIT 1").fetchone()
        return int(row[0]) if row else None

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        rows = self.connect().execute(
            "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)).fetchall()
        return [_message(row) for row in rows]

    def drop_last_exchange(self, conversation_id: int) -> int:
        """Delete the last question and what followed it (`/undo`, `/retry`); returns the rows deleted."""
        conn = self.connect()
        with _transaction(conn):
            row = conn.execute("SELECT MAX(id) FROM messages WHERE conversation_id = ? AND role = 'user'",
                               (conversation_id,)).fetchone()
            if row is None or row[0] is None:
                return 0
            cursor = conn.execute("DELETE FROM messages WHERE conversation_id = ? AND id >= ?",
                                  (conversation_id, row[0]))
        return int(cursor.rowcount)

    def counts(self) -> tuple[int, int]:
        conn = self.connect()
        conversations = conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
        messages = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        return int(conversations), int(messages)

    # ---- export / import / clear ------------------------------------------------------
    def export_data(self, ids: Sequence[int] | None = None) -> dict[str, Any]:
        """Every conversation (or those in `ids`) as JSON-ready data, with secrets redacted."""
        from perspt_doctor._version import __version__
        from perspt_doctor.redact import redact_obj

        wanted = list(ids) if ids else [c.id for c in reversed(self.list_conversations())]
        conversations = []
        for cid in wanted:
            conversation = self.get(cid)
            if conversation is None:
                raise HistoryError(f"no conversation with id {cid}")
            conversations.append(_export_conversation(conversation))
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": now_iso(),
            "tool": {"name": "perspt", "version": __version__},
            "conversations": redact_obj(conversations),
        }

    def import_data(self, data: Any) -> ImportResult:
        """Add the conversations of an export; those already present (same uuid) are skipped."""
        conversations = _validated_export(data)
        conn = self.connect()
        result = ImportResult()
        with _transaction(conn):
            for item in conversations:
                uuid = item.get("uuid") or new_uuid()
                if conn.execute("SELECT 1 FROM conversations WHERE uuid = ?", (uuid,)).fetchone():
                    result.skipped += 1
                    continue
                created = item.get("created_at") or now_iso()
                cursor = conn.execute(
                    "INSERT INTO conversations (uuid, title, provider, model, system_prompt, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (uuid, item.get("title") or "", item.get("provider"), item.get("model"),
                     item.get("system_prompt"), created, item.get("updated_at") or created))
                for message in item["messages"]:
                    conn.execute(
                        "INSERT INTO messages (conversation_id, role, content, provider, model, status, error,"
                        " input_tokens, output_tokens, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (cursor.lastrowid, message["role"], message["content"], message.get("provider"),
                         message.get("model"), message.get("status") or "complete", message.get("error"),
                         message.get("input_tokens"), message.get("output_tokens"),
                         message.get("created_at") or created))
                    result.messages += 1
                result.imported += 1
        return result

    def backup(self) -> Path:
        """A consistent dated copy beside the database, made with SQLite's online backup API."""
        from perspt_doctor.fsutil import backup_path_for

        conn = self.connect()
        target_path = backup_path_for(self.path)
        fd = os.open(target_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600)
        os.close(fd)
        target = sqlite3.connect(target_path)
        try:
            conn.backup(target)
        finally:
            target.close()
        return target_path

    def clear(self, ids: Sequence[int] | None = None) -> tuple[Path, int]:
        """Back up, then delete the given conversations (all when `ids` is empty)."""
        backup = self.backup()
        conn = self.connect()
        conn.execute("PRAGMA secure_delete = ON")
        with _transaction(conn):
            if ids:
                marks = ",".join("?" for _ in ids)
                cursor = conn.execute(f"DELETE FROM conversations WHERE id IN ({marks})", tuple(ids))
            else:
                cursor = conn.execute("DELETE FROM conversations")
        deleted = cursor.rowcount
        if not ids:
            conn.execute("VACUUM")
        return backup, deleted


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _title_from(text: str, limit: int = 60) -> str:
    """The first words of a question, redacted before they are cut: a key that straddles the cut
    would otherwise keep its first characters and no longer look like a key."""
    from perspt_doctor.redact import redact
    from perspt_doctor.textsafe import printable

    line = " ".join(printable(redact(text), newlines=False).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(id=row["id"], uuid=row["uuid"], title=row["title"], provider=row["provider"],
                        model=row["model"], system_prompt=row["system_prompt"], created_at=row["created_at"],
                        updated_at=row["updated_at"], message_count=row["message_count"])


def _message(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(role=row["role"], content=row["content"], provider=row["provider"], model=row["model"],
                         status=row["status"], error=row["error"], input_tokens=row["input_tokens"],
                         output_tokens=row["output_tokens"], created_at=row["created_at"], id=row["id"])


def _export_conversation(conversation: Conversation) -> dict[str, Any]:
    return {
        "uuid": conversation.uuid,
        "title": conversation.title,
        "provider": conversation.provider,
        "model": conversation.model,
        "system_prompt": conversation.system_prompt,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "messages": [
            {"role": m.role, "content": m.content, "provider": m.provider, "model": m.model, "status": m.status,
             "error": m.error, "input_tokens": m.input_tokens, "output_tokens": m.output_tokens,
             "created_at": m.created_at}
            for m in conversation.messages
        ],
    }


def validate_export(data: Any) -> list[Mapping[str, Any]]:
    """The conversations of an export, or HistoryError naming the first thing wrong with it."""
    return _validated_export(data)


def _validated_export(data: Any) -> list[Mapping[str, Any]]:
    if not isinstance(data, Mapping) or data.get("format") != EXPORT_FORMAT:
        raise HistoryError(f"not a perspt history export (expected \"format\": \"{EXPORT_FORMAT}\")")
    version = data.get("version")
    if not isinstance(version, int) or version > EXPORT_VERSION:
        raise HistoryError(f"unsupported export version {version!r} (this perspt reads up to {EXPORT_VERSION})")
    conversations = data.get("conversations")
    if not isinstance(conversations, list):
        raise HistoryError("the export has no \"conversations\" list")
    for number, item in enumerate(conversations, start=1):
        where = f"conversations[{number - 1}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("messages"), list):
            raise HistoryError(f"{where}: expected an object with a \"messages\" list")
        _check_optional(item, where, _TEXT_FIELDS, str, "a string")
        for index, message in enumerate(item["messages"]):
            if not isinstance(message, Mapping):
                raise HistoryError(f"{where}.messages[{index}]: expected an object")
            _check_optional(message, f"{where}.messages[{index}]", _MESSAGE_TEXT_FIELDS, str, "a string")
            _check_optional(message, f"{where}.messages[{index}]", ("input_tokens", "output_tokens"), int,
                            "a whole number")
            if message.get("role") not in ("system", "user", "assistant"):
                raise HistoryError(f"{where}.messages[{index}].role: expected system, user or assistant")
            if not isinstance(message.get("content"), str):
                raise HistoryError(f"{where}.messages[{index}].content: expected a string")
            if message.get("status", "complete") not in STATUSES:
                raise HistoryError(f"{where}.messages[{index}].status: expected one of {', '.join(STATUSES)}")
    return conversations


MAX_EXPORT_BYTES = 256 * 1024 * 1024
"""A history export read by `history import` (years of conversations fit; /dev/zero does not)."""

_TEXT_FIELDS = ("uuid", "title", "provider", "model", "system_prompt", "created_at", "updated_at")
_MESSAGE_TEXT_FIELDS = ("provider", "model", "status", "error", "created_at")


def _check_optional(item: Mapping[str, Any], where: str, names: Sequence[str], kind: type, label: str) -> None:
    for name in names:
        value = item.get(name)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise HistoryError(f"{where}.{name}: expected {label} or null")


def load_export(path: Path) -> Any:
    from perspt_doctor.fsutil import UserFileError, read_user_file

    try:
        raw = read_user_file(path, MAX_EXPORT_BYTES).decode("utf-8-sig")
    except UserFileError as exc:
        raise HistoryError(f"cannot read {path}: {exc.reason}") from None
    except UnicodeDecodeError as exc:
        raise HistoryError(f"{path} is not UTF-8 text") from exc
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise HistoryError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError:
        raise HistoryError(f"{path}: the JSON is nested too deeply to be a history export") from None


def default_store() -> HistoryStore:
    from perspt_doctor import paths

    return HistoryStore(paths.history_db())
