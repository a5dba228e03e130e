"""Half of a UTF-16 pair cannot be encoded by any output. From outside JSON (a server's reply, a report
given to triage) it becomes U+FFFD when parsed; `printable`, the one output sanitizer, replaces any other
(a file name's undecodable byte); a whole pair stays the character it encodes."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from perspt_doctor.textsafe import json_without_lone_surrogates, printable
from tests.client.test_e2e import perspt
from tests.infra.servers import Reply, http_server


def test_printable_replaces_a_lone_surrogate_and_keeps_a_pair() -> None:
    assert printable("half \ud800 pair, \udcff too") == "half \ufffd pair, \ufffd too"
    assert printable("a whole pair \U0001f600") == "a whole pair \U0001f600"
    assert printable("\x1b[2Jboth \udc80", newlines=False) == "both \ufffd"


def test_parsed_json_loses_lone_surrogates_in_values_and_keys() -> None:
    source = json.dumps({"k\ud800": ["v\udfff", {"n": 1}], "pair": "\U0001f600"})
    assert "\\ud800" in source and "\\ud83d\\ude00" in source
    assert json_without_lone_surrogates(json.loads(source), source) == {
        "k\ufffd": ["v\ufffd", {"n": 1}], "pair": "\U0001f600"}


def test_json_without_such_an_escape_is_returned_as_it_is() -> None:
    source = json.dumps({"text": "plain \\u00e9 text"})
    value = json.loads(source)
    assert json_without_lone_surrogates(value, source) is value


def test_a_reply_with_a_lone_surrogate_is_shown_and_kept(tmp_path: Path) -> None:
    event = json.dumps({"choices": [{"index": 0, "delta": {"content": "half \ud800 pair"}}]})
    reply = Reply(200, f"data: {event}\n\ndata: [DONE]\n\n".encode(), {"Content-Type": "text/event-stream"})
    home = {name: str(tmp_path / name.lower()) for name in
            ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}
    with http_server(reply) as server:
        done = perspt("-q", "hi", env={**home, "HOME": str(tmp_path), "OPENAI_API_KEY": "test-key",
                                        "OPENAI_BASE_URL": server.url + "/v1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "half \ufffd pair"
    databases = list(Path(home["XDG_DATA_HOME"]).rglob("*.db")) + list(Path(home["XDG_DATA_HOME"]).rglob("*.sqlite*"))
    assert databases, os.listdir(home["XDG_DATA_HOME"])
    with sqlite3.connect(databases[0]) as db:
        stored = [row[0] for row in db.execute("SELECT content FROM messages WHERE role = 'assistant'")]
    assert stored == ["half \ufffd pair"]
