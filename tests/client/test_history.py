from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from perspt_doctor import paths
from perspt_doctor.client.history_store import HistoryError, HistoryStore, StoredMessage, default_store


def _store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "history.sqlite3")


def test_messages_are_stored_with_model_usage_and_status(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        cid = store.start_conversation(provider="openai", model="gpt-4o-mini", system_prompt="be brief")
        store.add_message(cid, StoredMessage("user", "What is TLS?"))
        store.add_message(cid, StoredMessage("assistant", "Transport Layer", provider="openai", model="gpt-4o-mini",
                                             status="interrupted", input_tokens=5, output_tokens=2))
        conversation = store.get(cid)
    assert conversation is not None
    assert conversation.title == "What is TLS?"
    assert conversation.system_prompt == "be brief"
    assert [(m.role, m.content, m.status) for m in conversation.messages] == [
        ("user", "What is TLS?", "complete"), ("assistant", "Transport Layer", "interrupted")]
    assert conversation.messages[1].output_tokens == 2
    assert conversation.messages[1].created_at.endswith("+00:00")


def test_database_is_in_wal_mode_and_private(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        store.start_conversation(provider="openai", model="m")
        mode = store.connect().execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert (tmp_path / "history.sqlite3").stat().st_mode & 0o077 == 0


def test_default_store_lives_in_the_data_dir() -> None:
    store = default_store()
    assert store.path == paths.history_db()
    assert str(store.path).startswith(os.environ["XDG_DATA_HOME"])


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(HistoryError, match="newer perspt"):
        HistoryStore(path).connect()


def test_a_file_that_is_not_a_database_gives_a_history_error(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(HistoryError, match="cannot open the history database"):
        HistoryStore(path).connect()


_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from perspt_doctor.client.history_store import HistoryStore, StoredMessage
    store = HistoryStore(Path(sys.argv[1]))
    cid = store.start_conversation(provider="p", model="m")
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    sys.stdin.readline()  # both writers start together
    for i in range(int(sys.argv[3])):
        store.add_message(cid, StoredMessage("user", f"{sys.argv[2]}-{i}"))
    store.close()
""")


def test_two_processes_appending_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    count = 1000
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(db), name, str(count)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with HistoryStore(db) as store:
        conversations = store.list_conversations()
        assert len(conversations) == 2
        for conversation in conversations:
            contents = [m.content for m in store.messages(conversation.id)]
            prefix = contents[0].split("-")[0]
            assert contents == [f"{prefix}-{i}" for i in range(count)]
        assert store.counts() == (2, 2 * count)


def _fill(store: HistoryStore) -> None:
    first = store.start_conversation(provider="openai", model="gpt-4o-mini", system_prompt="sys")
    store.add_message(first, StoredMessage("user", "my key is sk-proj-" + "A" * 40 + " keep it"))
    store.add_message(first, StoredMessage("assistant", "Noted.", provider="openai", model="gpt-4o-mini",
                                           input_tokens=3, output_tokens=1))
    second = store.start_conversation(provider="ollama", model="llama3.2")
    store.add_message(second, StoredMessage("user", "héllo ✓"))
    store.add_message(second, StoredMessage("assistant", "partial", provider="ollama", model="llama3.2",
                                            status="error", error="Error (network/tcp): refused"))


def test_export_import_round_trip_and_redaction(tmp_path: Path) -> None:
    with _store(tmp_path / "a") as source:
        _fill(source)
        exported = source.export_data()
    text = json.dumps(exported)
    assert "sk-proj-AAAA" not in text and "[REDACTED]" in text
    assert [c["title"] for c in exported["conversations"]][1] == "héllo ✓"
    with _store(tmp_path / "b") as target:
        result = target.import_data(json.loads(text))
        assert (result.imported, result.skipped, result.messages) == (2, 0, 4)
        again = target.import_data(json.loads(text))
        assert (again.imported, again.skipped) == (0, 2)
        reexported = target.export_data()
    assert reexported["conversations"] == exported["conversations"]


@pytest.mark.parametrize("payload, message", [
    ({"format": "other"}, "not a perspt history export"),
    ({"format": "perspt-history", "version": 7, "conversations": []}, "unsupported export version"),
    ({"format": "perspt-history", "version": 1, "conversations": [{"messages": [{"role": "robot",
                                                                                "content": "x"}]}]},
     r"conversations\[0\].messages\[0\].role"),
])
def test_import_rejects_what_export_never_writes(tmp_path: Path, payload: dict, message: str) -> None:
    with _store(tmp_path) as store, pytest.raises(HistoryError, match=message):
        store.import_data(payload)
    with _store(tmp_path) as store:
        assert store.counts() == (0, 0)


def test_clear_makes_a_backup_first(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        _fill(store)
        backup, deleted = store.clear()
        assert deleted == 2
        assert store.counts() == (0, 0)
    assert backup.parent == tmp_path and backup.name.startswith("history.sqlite3.backup.")
    with HistoryStore(backup) as saved:
        assert saved.counts() == (2, 4)


def test_prune_keeps_the_most_recent(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        ids = [store.start_conversation(provider="p", model=str(i)) for i in range(5)]
        time.sleep(0.01)
        store.add_message(ids[0], StoredMessage("user", "touch the oldest"))
        assert store.prune(2) == 3
        assert {c.id for c in store.list_conversations()} == {ids[0], ids[4]}


def _perspt(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_history_commands_end_to_end(tmp_path: Path) -> None:
    with default_store() as store:
        _fill(store)
    listed = _perspt("history", "list")
    assert listed.returncode == 0, listed.stderr
    assert "héllo ✓" in listed.stdout and "ollama/llama3.2" in listed.stdout

    shown = _perspt("history", "show", "1")
    assert shown.returncode == 0, shown.stderr
    assert "## You" in shown.stdout and "sk-proj-AAAA" not in shown.stdout

    export = tmp_path / "backup.json"
    exported = _perspt("--export-history", str(export))
    assert exported.returncode == 0, exported.stderr
    assert "Exported 2 conversations" in exported.stderr + exported.stdout
    data = json.loads(export.read_text())
    assert data["format"] == "perspt-history" and len(data["conversations"]) == 2

    refused = _perspt("history", "clear", stdin="")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    cleared = _perspt("history", "clear", "--yes")
    assert cleared.returncode == 0, cleared.stderr
    assert "Backup:" in cleared.stdout
    assert "No conversations" in _perspt("history", "list").stdout

    # the undo command runs as printed (the home directory is shown as ~, outside any quotes)
    undo = next(line for line in cleared.stdout.splitlines() if line.startswith("To undo: "))
    assert "'~" not in undo
    ran = subprocess.run(["sh", "-c", undo.removeprefix("To undo: ")], capture_output=True, text=True, timeout=10)
    assert ran.returncode == 0, (undo, ran.stderr)
    assert "héllo ✓" in _perspt("history", "list").stdout
    assert _perspt("history", "clear", "--yes").returncode == 0

    imported = _perspt("history", "import", str(export))
    assert imported.returncode == 0, imported.stderr
    assert "Imported 2 conversations (4 messages)" in imported.stdout
    broken = tmp_path / "broken.json"
    broken.write_text("{ nope")
    bad = _perspt("history", "import", str(broken))
    assert bad.returncode == 2
    assert "invalid JSON at line 1" in bad.stderr and "Traceback" not in bad.stderr


def test_titles_are_redacted_before_they_are_cut(tmp_path: Path) -> None:
    key = "sk-ant-api03-" + "Zq9" * 31 + "AA"
    with _store(tmp_path) as store:
        cid = store.start_conversation(provider="openai", model="m")
        store.add_message(cid, StoredMessage("user", "x" * 50 + " my key " + key + " is it valid?"))
        named = store.start_conversation(provider="openai", model="m", title="title with " + key)
        titles = {c.id: c.title for c in store.list_conversations()}
    assert titles[cid] == "x" * 50 + " my key […"
    assert titles[named] == "title with [REDACTED]"
    assert all("sk-ant" not in title and "Zq9" not in title for title in titles.values())


def test_a_mixed_conversation_is_labelled_by_its_last_answer_not_its_last_failure(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        cid = store.start_conversation(provider="openai", model="gpt-4o-mini")
        store.add_message(cid, StoredMessage("user", "one"))
        store.add_message(cid, StoredMessage("assistant", "answer", provider="ollama", model="llama3.2"))
        store.add_message(cid, StoredMessage("user", "two"))
        store.add_message(cid, StoredMessage("assistant", "", provider="openai", model="gpt-4o-mini",
                                             status="error", error="refused"))
        labelled = store.get(cid)
        store.add_message(cid, StoredMessage("assistant", "partial", provider="groq", model="llama-3.1-8b-instant",
                                             status="interrupted"))
        relabelled = store.get(cid)
    assert labelled is not None and (labelled.provider, labelled.model) == ("ollama", "llama3.2")
    assert relabelled is not None and relabelled.provider == "groq"
