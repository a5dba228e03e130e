"""The rich terminal report as a user sees it: `perspt doctor --offline` in a pseudo-terminal, with
isolated config/data dirs (tests/conftest.py) and TERM=xterm-256color. Status symbols, or their ASCII
stand-ins when the output encoding lacks them; colour on a TTY and none with NO_COLOR; a summary line
whose counts match the rows; and the live progress on stderr kept out of the report on stdout."""

from __future__ import annotations

import fcntl
import os
import re
import selectors
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass

import pexpect
import pyte
import pytest

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
SUMMARY = re.compile(r"^Summary: (\d+) ok, (\d+) warnings?, (\d+) failures?, (\d+) skipped, (\d+) errors?"
                     r"(?:, \d+ suppressed)? \(\d+\.\d\d s\)$", re.M)
UNICODE = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "–", "error": "☠"}
ASCII = {"ok": "+", "warn": "!", "fail": "x", "skip": "-", "error": "E"}
WORDS = {"ok": "[ ok ]", "warn": "[warn]", "fail": "[FAIL]", "skip": "[skip]", "error": "[ERR ]"}
LOCALE_VARS = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONCOERCECLOCALE",
               "NO_COLOR", "FORCE_COLOR", "COLORTERM", "TERM")
COMMAND = [sys.executable, "-m", "perspt_doctor", "doctor", "--offline", "--verbose"]
"""--verbose: every row is shown, so the rows can be counted against the summary."""
ROWS, COLUMNS = 400, 200


def terminal_env(**extra: str) -> dict[str, str]:
    """The test's isolated environment (XDG dirs, file keyring, no keys or proxies), a colour terminal,
    and exactly the locale variables given."""
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARS}
    env.update(TERM="xterm-256color", **extra)
    return env


@dataclass
class Screen:
    raw: str
    exit_code: int | None

    @property
    def text(self) -> str:
        """What the terminal shows, read through a terminal emulator (pyte), so that the progress line,
        drawn and then erased, is not mistaken for text."""
        return screen_text(self.raw, COLUMNS, ROWS)

    @property
    def report(self) -> str:
        """From the report's header on: what the user reads once the progress line is gone."""
        start = self.text.index("perspt doctor ")
        return self.text[start:]


def run_in_pty(env: dict[str, str]) -> Screen:
    """The doctor with stdin, stdout and stderr on one pseudo-terminal, 200 columns wide."""
    child = pexpect.spawn(COMMAND[0], COMMAND[1:], env=env, dimensions=(ROWS, COLUMNS), timeout=90, encoding="utf-8",
                          codec_errors="replace")
    child.expect(pexpect.EOF)
    child.close()
    return Screen(child.before, child.exitstatus)


def screen_text(raw: str, columns: int, lines: int) -> str:
    screen = pyte.Screen(columns, lines)
    pyte.Stream(screen).feed(raw)
    return "\n".join(line.rstrip() for line in screen.display).rstrip("\n") + "\n"


def rows(report: str, symbols: dict[str, str]) -> dict[str, list[str]]:
    """Check ids by status, read from the report's rows (`  <symbol> <check id>  <summary>`; skips that
    share a reason share a row: `  <symbol> <id>, <id>, <id>  <summary>`)."""
    by_symbol = {symbol: status for status, symbol in symbols.items()}
    pattern = re.compile(r"^  (" + "|".join(re.escape(s) for s in symbols.values())
                         + r") ([\w.{}-]+(?:, [\w.{}-]+)*)\s{2,}\S", re.M)
    found: dict[str, list[str]] = {status: [] for status in symbols}
    for match in pattern.finditer(report):
        found[by_symbol[match.group(1)]].extend(match.group(2).split(", "))
    return found


def assert_summary_matches_rows(report: str, found: dict[str, list[str]]) -> None:
    summaries = SUMMARY.findall(report)
    assert len(summaries) == 1, report[-600:]
    counts = dict(zip(("ok", "warn", "fail", "skip", "error"), map(int, summaries[0]), strict=True))
    assert counts == {status: len(ids) for status, ids in found.items()}, (counts, found)


def assert_known_rows(found: dict[str, list[str]]) -> None:
    assert "keys.openai" in found["fail"]  # no key anywhere in the isolated environment
    assert "keyring.backend" in found["warn"]  # the tests' plaintext file keyring
    assert "security.api_key_flag" in found["ok"]
    assert "tls.openai" in found["skip"]  # --offline


def test_rich_report_on_a_utf8_terminal_has_symbols_colours_and_a_true_summary() -> None:
    screen = run_in_pty(terminal_env(LANG="C.UTF-8"))
    assert screen.exit_code == 1, screen.text[-800:]
    found = rows(screen.report, UNICODE)
    assert_known_rows(found)
    assert_summary_matches_rows(screen.report, found)
    assert not rows(screen.report, {"ok": WORDS["ok"]})["ok"], "plain status words on a colour TTY"
    raw = screen.raw
    assert "\x1b[32m✓\x1b[0m" in raw  # green tick
    assert "\x1b[1;31m✗\x1b[0m" in raw  # bold red cross
    assert "\x1b[33m!\x1b[0m" in raw  # yellow warning
    assert re.search(r"\x1b\[1;31mSummary: .* failures?", raw), "the summary line is not red for a failing run"
    assert "\x1b[36mhint:\x1b[0m" in raw and "\x1b[1m$ perspt keys set openai\x1b[0m" in raw


@pytest.mark.parametrize("locale", [
    {"LANG": "C", "PYTHONIOENCODING": "ascii"},
    {"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"},
], ids=["PYTHONIOENCODING=ascii", "LC_ALL=C-without-coercion"])
def test_an_ascii_terminal_gets_ascii_symbols_still_in_colour(locale: dict[str, str]) -> None:
    screen = run_in_pty(terminal_env(**locale))
    assert screen.exit_code == 1, screen.text[-800:]
    report = screen.report
    for symbol in ("✓", "✗", "–", "☠"):
        assert symbol not in report
    found = rows(report, ASCII)
    assert_known_rows(found)
    assert_summary_matches_rows(report, found)
    assert "\x1b[32m+\x1b[0m" in screen.raw and "\x1b[1;31mx\x1b[0m" in screen.raw


def test_lang_c_alone_is_utf8_for_python_so_symbols_stay() -> None:
    """Python coerces the C locale to UTF-8 (PEP 538/540): `LANG=C` by itself does not mean ASCII."""
    screen = run_in_pty(terminal_env(LANG="C"))
    found = rows(screen.report, UNICODE)
    assert found["ok"] and found["fail"]


def test_an_ascii_report_has_no_replacement_characters() -> None:
    screen = run_in_pty(terminal_env(LANG="C", PYTHONIOENCODING="ascii"))
    assert "?" not in screen.report.splitlines()[0]
    stripped = ANSI.sub("", screen.raw)  # the bytes: the progress line is erased from the screen
    progress = stripped[: stripped.index("perspt doctor ")]
    assert "Checking..." in progress, "no ASCII progress line"
    assert "\\u" not in progress and "?" not in progress, progress[-120:]


def test_no_color_gives_plain_words_and_no_escape_codes_at_all() -> None:
    screen = run_in_pty(terminal_env(LANG="C.UTF-8", NO_COLOR="1"))
    assert screen.exit_code == 1
    assert "\x1b" not in screen.raw  # neither colours nor the progress spinner
    found = rows(screen.text, WORDS)
    assert_known_rows(found)
    assert_summary_matches_rows(screen.text, found)
    assert "✓" not in screen.text


def test_progress_is_erased_before_the_report_starts() -> None:
    screen = run_in_pty(terminal_env(LANG="C.UTF-8"))
    raw = screen.raw
    header = raw.index("perspt doctor ")
    before, after = raw[:header], raw[header:]
    assert "Checking…" in ANSI.sub("", before), "no progress line on a TTY"
    assert before.rfind("\x1b[2K") > before.rfind("Checking"), f"the progress line is not erased: {before[-80:]!r}"
    assert "Checking" not in after
    for sequence in ("\x1b[2K", "\x1b[1A", "\x1b[?25l"):
        assert sequence not in after, f"cursor control {sequence!r} inside the report"
    report_lines = screen.report.splitlines()
    assert all("\r" not in line for line in report_lines)


def _pty_pair(columns: int = 200) -> tuple[int, int]:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    return master, slave


def _drain(masters: dict[int, str], process: subprocess.Popen[bytes], timeout: float = 90) -> dict[str, bytes]:
    out = {name: b"" for name in masters.values()}
    selector = selectors.DefaultSelector()
    for fd in masters:
        selector.register(fd, selectors.EVENT_READ)
    open_fds = set(masters)
    while open_fds:
        events = selector.select(timeout)
        if not events:
            process.kill()
            raise AssertionError(f"no output for {timeout} s: {out}")
        for key, _ in events:
            fd = int(key.fd)
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its end
                chunk = b""
            if not chunk:
                selector.unregister(fd)
                open_fds.discard(fd)
            else:
                out[masters[fd]] += chunk
    return out


def test_stdout_and_stderr_on_separate_terminals_keep_progress_out_of_the_report() -> None:
    """Each stream on its own TTY: every progress byte lands on stderr, the report alone on stdout."""
    out_master, out_slave = _pty_pair()
    err_master, err_slave = _pty_pair()
    process = subprocess.Popen(COMMAND, stdin=out_slave, stdout=out_slave, stderr=err_slave,
                               env=terminal_env(LANG="C.UTF-8"), close_fds=True, start_new_session=True)
    os.close(out_slave)
    os.close(err_slave)
    try:
        streams = _drain({out_master: "stdout", err_master: "stderr"}, process)
    finally:
        os.close(out_master)
        os.close(err_master)
    assert process.wait(timeout=30) == 1
    stdout = streams["stdout"].decode()
    stderr = ANSI.sub("", streams["stderr"].decode())
    assert "Checking…" in stderr and "done" in stderr
    assert "perspt doctor" not in stderr and "Summary:" not in stderr
    text = ANSI.sub("", stdout).replace("\r\n", "\n")
    assert text.startswith("perspt doctor "), repr(text[:80])
    assert "Checking" not in text and "\x1b[2K" not in stdout and "\x1b[?25l" not in stdout
    assert "\x1b[32m✓\x1b[0m" in stdout  # stdout is a TTY of its own: rich, in colour
    found = rows(text, UNICODE)
    assert_known_rows(found)
    assert_summary_matches_rows(text, found)
