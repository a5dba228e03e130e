"""The history store under abuse: malformed imports leave the database as it was, and a writer killed
with SIGKILL in the middle of a transaction leaves the previous state intact.

Two processes appending 1000 messages each at once is covered by
tests/client/test_history.py::test_two_processes_appending_at_once_lose_nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from perspt_doctor.client.history_store import HistoryStore, StoredMessage
from tests.reliability.clienv import Home, make_home, perspt


def _valid(**conversation: Any) -> dict[str, Any]:
    base = {"uuid": "0123456789abcdef0123456789abcdef", "title": "t",
            "messages": [{"role": "user", "content": "hello"}]}
    return {"format": "perspt-history", "version": 1, "conversations": [{**base, **conversation}]}


def _with_message(**message: Any) -> dict[str, Any]:
    return _valid(messages=[{"role": "user", "content": "hello", **message}])


GOOD = json.dumps(_valid()).encode()
CORPUS: dict[str, bytes] = {
    "empty": b"",
    "truncated": GOOD[: len(GOOD) // 2],
    "not-json": b"conversations: []\n",
    "top-level-list": b"[]",
    "wrong-format": json.dumps({"format": "chatgpt-export", "version": 1, "conversations": []}).encode(),
    "unknown-version": json.dumps({**_valid(), "version": 99}).encode(),
    "version-as-string": json.dumps({**_valid(), "version": "1"}).encode(),
    "conversations-not-a-list": json.dumps({**_valid(), "conversations": {"a": 1}}).encode(),
    "conversation-not-an-object": json.dumps({**_valid(), "conversations": ["x"]}).encode(),
    "messages-missing": json.dumps(_valid(messages=None)).encode(),
    "message-not-an-object": json.dumps(_valid(messages=[42])).encode(),
    "role-unknown": json.dumps(_with_message(role="robot")).encode(),
    "content-number": json.dumps(_with_message(content=12)).encode(),
    "content-null": json.dumps(_with_message(content=None)).encode(),
    "status-unknown": json.dumps(_with_message(status="exploded")).encode(),
    "title-object": json.dumps(_valid(title={"x": 1})).encode(),
    "uuid-list": json.dumps(_valid(uuid=[1, 2])).encode(),
    "tokens-object": json.dumps(_with_message(input_tokens={"n": 1})).encode(),
    "second-conversation-bad": json.dumps({**_valid(), "conversations": [
        _valid()["conversations"][0], {"uuid": "ffff", "messages": [{"role": "user"}]}]}).encode(),
    "not-utf8": GOOD.replace(b"hello", b"h\xe9llo\xff"),
    "binary": bytes(range(256)) * 4,
    "nan-token": GOOD.replace(b'"t"', b"NaN"),
    "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
}


def _db_state(home: Home) -> str:
    db = next(home.path("data").rglob("history.sqlite3"))
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT c.uuid, c.title, m.role, m.content FROM conversations c "
                            "JOIN messages m ON m.conversation_id = c.id ORDER BY m.id").fetchall()
    return json.dumps(rows)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = make_home(tmp_path_factory.mktemp("history-home"))
    seed = home.root / "seed.json"
    seed.write_text(json.dumps(_valid(uuid="seed0000000000000000000000000000", title="kept")), encoding="utf-8")
    assert perspt(home, "history", "import", str(seed)).returncode == 0
    return home


@pytest.mark.parametrize("name", list(CORPUS))
def test_a_malformed_import_is_one_line_and_changes_nothing(home: Home, name: str) -> None:
    before = _db_state(home)
    path = home.root / f"{name}.json"
    path.write_bytes(CORPUS[name])
    ran = perspt(home, "history", "import", str(path))
    assert ran.returncode != 0, ran.stdout
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("Error: "), ran.stderr
    assert len(lines) <= 2 and all(line.startswith(("Error: ", "Hint: ")) for line in lines), ran.stderr
    assert "Traceback" not in ran.stderr and "internal error" not in ran.stderr, ran.stderr
    assert _db_state(home) == before


def test_a_huge_string_is_imported_whole_or_refused_whole(home: Home) -> None:
    path = home.root / "huge.json"
    path.write_text(json.dumps(_with_message(content="x" * 5_000_000) | {}), encoding="utf-8")
    data = json.loads(path.read_text())
    data["conversations"][0]["uuid"] = "huge0000000000000000000000000000"
    path.write_text(json.dumps(data), encoding="utf-8")
    ran = perspt(home, "history", "import", str(path))
    assert "Traceback" not in ran.stderr
    assert ran.returncode == 0, ran.stderr
    assert "x" * 5_000_000 in _db_state(home)


def test_duplicate_ids_in_one_file_import_once(home: Home) -> None:
    conversation = _valid(uuid="dup00000000000000000000000000000")["conversations"][0]
    path = home.root / "dups.json"
    path.write_text(json.dumps({"format": "perspt-history", "version": 1, "conversations": [conversation] * 3}),
                    encoding="utf-8")
    ran = perspt(home, "history", "import", str(path))
    assert ran.returncode == 0, ran.stderr
    assert "Imported 1 conversation" in ran.stdout and "2 already present" in ran.stdout
    assert _db_state(home).count("dup00000000000000000000000000000") == 1


# ---- a writer killed mid-transaction ---------------------------------------------------------

_KILLED_IMPORT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from perspt_doctor.client import history_store as history
    store = history.HistoryStore(Path(sys.argv[1]))
    store.connect()
    real_execute = None
    data = {"format": "perspt-history", "version": 1, "conversations": [
        {"uuid": f"k{i:031d}", "messages": [{"role": "user", "content": f"m{i}-{j}"} for j in range(50)]}
        for i in range(4000)]}
    print("importing", flush=True)
    store.import_data(data)
    print("finished", flush=True)
""")

_KILLED_APPENDS = textwrap.dedent("""
    import sys
    from pathlib import Path
    from perspt_doctor.client.history_store import HistoryStore, StoredMessage
    store = HistoryStore(Path(sys.argv[1]))
    cid = store.start_conversation(provider="p", model="m")
    print("appending", flush=True)
    i = 0
    while True:
        store.add_message(cid, StoredMessage("assistant", f"reply-{i}", status="interrupted"))
        i += 1
""")


def _start(script: str, db: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", script, str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() in ("importing", "appending"), proc.stderr.read() if proc.stderr else ""
    return proc


def _kill(proc: subprocess.Popen[str], after: float) -> None:
    time.sleep(after)
    assert proc.poll() is None, "the writer finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_an_import_killed_mid_transaction_leaves_the_previous_state(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    with HistoryStore(db) as store:
        cid = store.start_conversation(provider="openai", model="gpt-4o-mini")
        store.add_message(cid, StoredMessage("user", "before the crash"))
    proc = _start(_KILLED_IMPORT, db)
    _kill(proc, 1.0)
    assert _integrity(db) == "ok"
    with HistoryStore(db) as store:
        assert store.counts() == (1, 1)
        assert [m.content for m in store.messages(cid)] == ["before the crash"]
        store.add_message(cid, StoredMessage("assistant", "and life goes on"))
        assert store.counts() == (1, 2)


def test_appends_killed_mid_stream_keep_every_committed_message_whole(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    proc = _start(_KILLED_APPENDS, db)
    _kill(proc, 0.8)
    assert _integrity(db) == "ok"
    with HistoryStore(db) as store:
        (conversation,) = store.list_conversations()
        contents = [m.content for m in store.messages(conversation.id)]
    assert contents, "nothing was committed before the kill: the test proves nothing"
    assert contents == [f"reply-{i}" for i in range(len(contents))]
