"""A damaged history database (issue 14, item 16): chat still works with history off, its notice points
at `disk.history`, and that check opens the database read-only and reports the damage with the commands
that recover from it. It never creates or changes the database."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from perspt_doctor.checks.disk import inspect_history

from perspt_doctor.api import Status
from perspt_doctor.client.history_store import HistoryStore
from tests.fakes.openai_fake import OpenAIFake
from tests.reliability.clienv import Home, make_home, perspt


def _filled(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("CREATE INDEX t_x ON t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(f"row {i} " * 10,) for i in range(2000)])
    conn.commit()
    conn.close()
    return path


def _damage_a_page(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[3 * 4096:3 * 4096 + 2000] = b"\xab" * 2000
    path.write_bytes(bytes(data))


def test_no_database_yet_is_fine_and_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    assert inspect_history(db).status is Status.OK
    assert not db.exists()


def test_a_database_perspt_wrote_is_intact(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.connect()
    store.close()
    result = inspect_history(tmp_path / "history.sqlite3")
    assert result.status is Status.OK and "intact" in result.summary


@pytest.mark.parametrize("damage", ["not_a_database", "damaged_page"])
def test_damage_is_a_failure_with_the_recovery_commands(tmp_path: Path, damage: str) -> None:
    db = tmp_path / "history.sqlite3"
    if damage == "not_a_database":
        db.write_bytes(b"this is not SQLite " * 400)
    else:
        _damage_a_page(_filled(db))
    before = db.read_bytes()
    result = inspect_history(db)
    assert result.status is Status.FAIL and "damaged" in result.summary and "\n" not in result.summary
    assert result.fix_commands[0] == f"mv {db} {db}.corrupt"
    assert ".recover" in result.fix_commands[1]
    assert db.read_bytes() == before, "the check must never change the database"


def test_a_directory_at_the_database_path_fails(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    db.mkdir()
    assert inspect_history(db).status is Status.FAIL


@pytest.fixture()
def fake() -> Iterator[OpenAIFake]:
    server = OpenAIFake()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_chat_with_a_damaged_history_points_at_the_check_that_finds_it(tmp_path: Path, fake: OpenAIFake) -> None:
    home: Home = make_home(tmp_path / "home")
    db = home.path("data", "perspt", "history.sqlite3")
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"this is not SQLite " * 400)
    config = home.root / "c.json"
    config.write_text(json.dumps({"provider": "openai", "model": "gpt-4o-mini", "base_url": fake.base_url,
                                  "api_key": "test-key", "retry_attempts": 0}))
    chat = perspt(home, "--config", str(config), "-q", "Hello")
    assert chat.returncode == 0, chat.output
    assert "history is off" in chat.stderr and "disk.history" in chat.stderr, chat.stderr
    doctor = perspt(home, "--config", str(config), "doctor", "--json", "--only", "disk.history")
    row = json.loads(doctor.stdout)["checks"][0]
    assert doctor.returncode == 1 and row["status"] == "fail", doctor.output
    assert any(cmd.startswith("mv ") for cmd in row["fix_commands"]), row
