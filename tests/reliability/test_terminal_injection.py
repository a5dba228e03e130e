"""Terminal injection: text from outside (a report given to `triage` or `report --from-json`, a server's
reply and error body, model names, a plugin's results, the history) carries control sequences that
would clear the screen, move the cursor to draw "ALL CHECKS PASSED", set the window title, plant a
hyperlink or write the clipboard (OSC 52). perspt runs as a user runs it, on a pipe and on a terminal
(a pseudo-terminal, read back through the pyte terminal emulator); none of the sequences may pass."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pyte
import pytest

from tests.fakes.openai_fake import OpenAIFake
from tests.reliability.clienv import Home, make_home, perspt

pytestmark = pytest.mark.timeout(600)

DRAWN = "ALL CHECKS PASSED"
PAYLOAD = ("\x1b[2J\x1b[H\x1b[5;10H" + DRAWN + "\x1b]52;c;ZXZpbCBjbGlwYm9hcmQ=\x07\x1b]0;pwned title\x07"
           "\x1b]8;;http://evil.example/\x1b\\click me\x1b]8;;\x1b\\\x9b2J\x9d0;c1 title\x9c\x07\x08\x08\rOVER")
FORBIDDEN = ("\x1b[2J", "\x1b[H", "\x1b[5;10H", "\x1b]52", "\x1b]0;", "\x1b]8;", "\x9b", "\x9d", "\x9c", "\x07",
             "\x08", "\rOVER")
"""On a terminal perspt's own styling (rich: SGR colours, the live region's line erasing) may remain, and
the terminal turns each line feed into CR LF; none of the payload's sequences may."""
COLUMNS, ROWS = 160, 400


@dataclass
class Output:
    stdout: str
    stderr: str
    code: int


def on_pipe(home: Home, *args: str, stdin: str = "") -> Output:
    ran = perspt(home, *args, stdin=stdin)
    return Output(ran.stdout, ran.stderr, ran.returncode)


def on_terminal(home: Home, *args: str) -> str:
    """The command on a pseudo-terminal (stdin, stdout and stderr), as the bytes a terminal receives."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    env = {**home.env, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)}
    process = subprocess.Popen([sys.executable, "-m", "perspt_doctor", *args], stdin=child, stdout=child,
                               stderr=child, env=env, cwd=home.root, close_fds=True)
    os.close(child)
    chunks: list[bytes] = []
    try:
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(main)
        process.wait(timeout=120)
    return b"".join(chunks).decode("utf-8", "replace")


def screen_of(raw: str) -> list[str]:
    screen = pyte.Screen(COLUMNS, ROWS)
    stream = pyte.Stream(screen)
    stream.feed(raw)
    return [line.rstrip() for line in screen.display]


def assert_clean_pipe(text: str, where: str) -> None:
    assert "\x1b" not in text and "\x9b" not in text and "\x9d" not in text, (where, text[:400])
    for seq in ("\x07", "\x08", "\r"):
        assert seq not in text, (where, repr(seq))


def assert_clean_terminal(raw: str, where: str, *, first_line: str) -> None:
    for seq in FORBIDDEN:
        assert seq not in raw, (where, repr(seq))
    lines = screen_of(raw)
    text = "\n".join(lines)
    assert first_line in text, f"{where}: the screen was cleared or overwritten:\n{text[:2000]}"
    for number, line in enumerate(lines):
        assert not line.startswith("OVER"), (where, number, line)
        if DRAWN in line:
            # the words stay where the text put them, after their own label, never alone at a jumped-to spot
            assert line.index(DRAWN) > 0 and line[: line.index(DRAWN)].strip(), (where, number, line)


def hostile_document() -> dict[str, object]:
    row = {"id": "evil.check", "title": "evil", "category": "http", "provider": "openai", "status": "fail",
           "summary": "the summary " + PAYLOAD, "details": ["a detail " + PAYLOAD], "hint": "a hint " + PAYLOAD,
           "fix_commands": ["echo " + PAYLOAD], "docs": "", "depends_on": [], "duration_ms": 1,
           "facts": {"note": PAYLOAD}, "suppressed": False, "blocked_by": None, "origin": "plugin"}
    return {"schema_version": 1, "tool": {"name": "perspt", "version": "0.1.0 " + PAYLOAD},
            "started_at": "2025-01-01T00:00:00.000Z", "duration_ms": 5, "offline": True,
            "summary": {"status": "fail", "counts": {"ok": 0, "warn": 0, "fail": 1, "skip": 0, "error": 0},
                        "suppressed": 0},
            "checks": [row], "environment": {"providers": ["openai"], "config_file": None, "suppress": [],
                                             "disabled_plugins": []}, "options": {}}


PLUGIN = textwrap.dedent('''
    from perspt_doctor.api import Result, check

    PAYLOAD = {payload!r}

    @check("evil.plugin", "a plugin that writes control sequences", "runtime")
    def evil(ctx):
        return Result.fail("plugin summary " + PAYLOAD, details=["plugin detail " + PAYLOAD],
                           hint="plugin hint " + PAYLOAD, facts={{"note": PAYLOAD}})
''')


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Home, Path]]:
    root = tmp_path_factory.mktemp("injection")
    with ExitStack() as stack:
        chat = stack.enter_context(OpenAIFake(api_key="test-key", reply="Here it comes: " + PAYLOAD + " the end",
                                              models=["gpt-4o-mini", "evil\x1b]0;pwned\x07\x1b[2Jmodel"]).start())
        broken = stack.enter_context(OpenAIFake(api_key=None).start())
        broken.fail("status", status=500, times=10_000, body={"error": {"message": "server says " + PAYLOAD,
                                                                          "type": "server_error"}})
        home = make_home(root, OPENAI_API_KEY="test-key", OPENAI_BASE_URL=chat.base_url,
                         GROQ_API_KEY="test-key", GROQ_BASE_URL=broken.base_url, NO_PROXY="127.0.0.1,localhost")
        checks = home.path("config", "perspt", "checks")
        checks.mkdir(parents=True)
        (checks / "evil.py").write_text(PLUGIN.format(payload=PAYLOAD), encoding="utf-8")
        document = root / "hostile.json"
        document.write_text(json.dumps(hostile_document()), encoding="utf-8")
        yield home, document


def test_triage_of_a_hostile_document(machine: tuple[Home, Path]) -> None:
    home, document = machine
    for args in ((), ("--json",), ("--csv",)):
        out = on_pipe(home, "triage", *args, str(document))
        assert out.code == 0, out.stderr
        assert_clean_pipe(out.stdout + out.stderr, f"triage {args}")
        assert DRAWN in out.stdout  # the text itself stays: only the control sequences go
    raw = on_terminal(home, "triage", str(document))
    assert_clean_terminal(raw, "triage on a terminal", first_line=f"{document}: fail")


def test_report_from_a_hostile_document(machine: tuple[Home, Path]) -> None:
    home, document = machine
    out = on_pipe(home, "report", "--from-json", str(document), "-o", "-", "--yes")
    assert out.code == 0, out.stderr
    assert_clean_pipe(out.stdout + out.stderr, "report to a pipe")
    assert "the summary" in out.stdout and DRAWN in out.stdout
    target = home.root / "report.md"
    out = on_pipe(home, "report", "--from-json", str(document), "-o", str(target), "--yes")
    assert out.code == 0, out.stderr
    assert_clean_pipe(target.read_text(encoding="utf-8"), "report file")


def test_chat_reply_and_error_body(machine: tuple[Home, Path]) -> None:
    home, _document = machine
    for extra in ((), ("--no-stream",)):
        out = on_pipe(home, *extra, "-q", "hello " + PAYLOAD)
        assert out.code == 0, out.stderr
        assert_clean_pipe(out.stdout + out.stderr, f"chat reply on a pipe {extra}")
        assert "Here it comes:" in out.stdout and "the end" in out.stdout
    raw = on_terminal(home, "-q", "hello")
    assert_clean_terminal(raw, "chat reply on a terminal", first_line="Here it comes:")
    out = on_pipe(home, "--provider", "groq", "-m", "gpt-4o-mini", "-q", "hello")
    assert out.code == 1
    assert "server says" in out.stderr
    assert_clean_pipe(out.stdout + out.stderr, "error body on a pipe")
    raw = on_terminal(home, "--provider", "groq", "-m", "gpt-4o-mini", "-q", "hello")
    assert_clean_terminal(raw, "error body on a terminal", first_line="server says")


def test_model_names_from_the_server(machine: tuple[Home, Path]) -> None:
    home, _document = machine
    for extra in ((), ("--json",)):
        out = on_pipe(home, "models", "--provider", "openai", *extra)
        assert out.code == 0, out.stderr
        assert "gpt-4o-mini" in out.stdout and "model" in out.stdout
        assert_clean_pipe(out.stdout + out.stderr, f"models {extra}")


def test_history_list_and_show(machine: tuple[Home, Path]) -> None:
    home, _document = machine
    assert on_pipe(home, "-q", "question " + PAYLOAD).code == 0
    for args in (("list",), ("list", "--json"), ("show", "last"), ("show", "--json", "last"), ("export", "-")):
        out = on_pipe(home, "history", *args)
        assert out.code == 0, out.stderr
        assert_clean_pipe(out.stdout + out.stderr, f"history {args}")
        assert "question" in out.stdout
    raw = on_terminal(home, "history", "show", "last")
    assert_clean_terminal(raw, "history show on a terminal", first_line="# question")
    raw = on_terminal(home, "history", "list")
    assert_clean_terminal(raw, "history list on a terminal", first_line="question")


def test_doctor_with_a_plugin_that_writes_sequences(machine: tuple[Home, Path]) -> None:
    home, _document = machine
    out = on_pipe(home, "doctor", "--offline", "--only", "evil.*", "--verbose")
    assert out.code == 1, out.stderr
    assert "plugin summary" in out.stdout
    assert_clean_pipe(out.stdout + out.stderr, "doctor on a pipe")
    out = on_pipe(home, "doctor", "--offline", "--only", "evil.*", "--json")
    assert_clean_pipe(out.stdout, "doctor --json")
    assert json.loads(out.stdout)["checks"][0]["summary"].startswith("plugin summary")
    raw = on_terminal(home, "doctor", "--offline", "--only", "evil.*", "--verbose")
    assert_clean_terminal(raw, "doctor on a terminal", first_line="perspt doctor")


def test_the_sanitizer_keeps_text_and_removes_every_kind_of_sequence() -> None:
    from perspt_doctor.textsafe import printable

    assert printable(PAYLOAD) == DRAWN + "click meOVER"
    assert printable("plain text, tabs\tand\nlines, ünïcödé ✓") == "plain text, tabs\tand\nlines, ünïcödé ✓"
    assert printable("a\r\nb") == "a\nb"
    assert printable("one\ntwo", newlines=False) == "one two"
    assert printable("\x1b[31mred\x1b[0m \x1bPdcs\x1b\\ \x1b_apc\x1b\\ \x1b(0 \x1bc \u202eevil") == "red     evil"
    assert printable("cut at the end \x1b[") == "cut at the end "
