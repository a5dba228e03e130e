"""The doctor's default view, built from hand-made runs: what needs attention first, passing categories
on one line, skips summarised by reason in at most three lines, the change since the last good run at
the top; and the wrapping that keeps every word whole on a terminal of any width."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from rich.console import Console

from perspt_doctor.engine.check_model import Check, Result, Status
from perspt_doctor.engine.outcome import DoctorRun, Outcome
from perspt_doctor.report.colour import SYMBOLS, WORDS, Style, choose_style
from perspt_doctor.report.lines import Line, wrap
from perspt_doctor.report.terminal import build_lines, render
from perspt_doctor.report.waterfall import phases, waterfall_lines

PLAIN = Style(False, WORDS, "·", None)


def outcome(check_id: str, status: Status, summary: str = "fine", *, blocked_by: str | None = None,
            **result: object) -> Outcome:
    category = check_id.split(".")[0]
    check = Check(id=check_id, title=check_id, category=category, func=lambda ctx: Result.ok("x"))
    return Outcome(check, Result(status, summary, **result), blocked_by=blocked_by)  # type: ignore[arg-type]


def run_of(*outcomes: Outcome) -> DoctorRun:
    return DoctorRun(started_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), duration_ms=120, offline=False,
                     outcomes=list(outcomes), providers=["openai"])


def text_of(run: DoctorRun, *, verbose: bool = False, **kw: object) -> list[str]:
    stream = io.StringIO()
    render(run, verbose=verbose, stream=stream, style=PLAIN, **kw)  # type: ignore[arg-type]
    return stream.getvalue().splitlines()


def healthy(n: int = 40) -> list[Outcome]:
    categories = ["config", "env", "keys", "security", "dns", "tcp", "tls", "http", "auth", "disk"]
    return [outcome(f"{categories[i % len(categories)]}.c{i}", Status.OK) for i in range(n)]


def test_a_healthy_run_fits_in_a_few_lines_and_names_the_passing_categories() -> None:
    lines = text_of(run_of(*healthy(), outcome("ollama.daemon", Status.SKIP, "Ollama is not in use")))
    assert len(lines) <= 25
    passed = [line for line in lines if "checks passed" in line]
    assert passed == ["[ ok ] 40 checks passed: config, env, keys, security, dns, tcp, tls, http, auth, disk"]
    assert "[skip] 1 skipped: Ollama is not in use (ollama.daemon)" in lines
    assert lines[-1] == "No problems found."


def test_the_one_problem_comes_first_with_its_hint_and_fix() -> None:
    failing = outcome("keys.openai", Status.FAIL, "no API key for OpenAI", hint="store it",
                      fix_commands=["perspt keys set openai"], docs="docs/troubleshooting.md#api-keys")
    lines = text_of(run_of(*healthy(), failing))
    first = next(i for i, line in enumerate(lines) if line.strip())
    assert lines[first].startswith("perspt doctor")
    assert lines[first + 2] == "  [FAIL] keys.openai  no API key for OpenAI"
    assert lines[first + 3:first + 6] == ["          hint: store it", "          fix:  $ perspt keys set openai",
                                          "          docs: $ perspt explain api-keys"]
    passed = next(line for line in lines if "checks passed" in line)
    assert "keys" not in passed.split(":", 1)[1], "a category with a failure is not listed as passing"


def test_failures_come_before_errors_before_warnings_whatever_the_report_order() -> None:
    lines = text_of(run_of(outcome("config.a", Status.WARN, "w"), outcome("disk.b", Status.ERROR, "e"),
                           outcome("tls.c", Status.FAIL, "f")))
    marks = [line.split()[0] for line in lines if line.startswith("  [")]
    assert marks == ["[FAIL]", "[ERR", "[warn]"]


def test_skips_fold_to_one_line_per_reason_and_three_lines_at_most() -> None:
    skips = [outcome(f"dns.p{i}", Status.SKIP, "offline") for i in range(5)]
    skips += [outcome("auth.openai", Status.SKIP, "blocked", blocked_by="keys.openai"),
              outcome("model.openai", Status.SKIP, "blocked", blocked_by="keys.openai")]
    skips += [outcome("gpu.amd", Status.SKIP, "no GPU"), outcome("memory.fit", Status.SKIP, "no model")]
    lines = [line for line in text_of(run_of(*healthy(3), *skips)) if line.startswith("[skip]")]
    assert lines == ["[skip] 5 skipped: offline (dns.*)",
                     "[skip] 2 skipped: blocked by keys.openai (auth.openai, model.openai)",
                     "[skip] 2 more skipped for 2 other reasons (--verbose lists every check)"]


def test_three_reasons_are_shown_as_three_lines() -> None:
    skips = [outcome("a.x", Status.SKIP, "one"), outcome("b.x", Status.SKIP, "two"), outcome("c.x", Status.SKIP, "three")]
    lines = [line for line in text_of(run_of(*skips)) if line.startswith("[skip]")]
    assert lines == ["[skip] 1 skipped: one (a.x)", "[skip] 1 skipped: two (b.x)", "[skip] 1 skipped: three (c.x)"]


def test_verbose_shows_every_row_under_its_category() -> None:
    skips = [outcome(f"dns.p{i}", Status.SKIP, "offline") for i in range(5)]
    lines = text_of(run_of(*healthy(3), *skips), verbose=True)
    assert sum(1 for line in lines if line.startswith("  [skip] dns.p")) == 5
    assert sum(1 for line in lines if line.startswith("  [ ok ] ")) == 3
    assert "dns" in lines


def test_nothing_checked_is_not_called_no_problems() -> None:
    lines = text_of(run_of(outcome("tls.openai", Status.SKIP, "offline")))
    assert "No problems found." not in lines
    assert lines[-1].startswith("Nothing was checked")
    one_ok = text_of(run_of(outcome("tls.openai", Status.SKIP, "offline"), outcome("disk.space", Status.OK)))
    assert one_ok[-1] == "No problems found."


def test_the_change_since_the_last_good_run_is_at_the_top() -> None:
    failing = outcome("keys.openai", Status.FAIL, "no API key")
    lines = text_of(run_of(*healthy(), failing), diff_lines=["keys.openai: ok -> fail"],
                    diff_baseline="2026-01-01T00:00:00")
    change = lines.index("  keys.openai: ok -> fail")
    assert change < next(i for i, line in enumerate(lines) if line.startswith("  [FAIL]"))
    assert lines[change - 1].startswith("Changes since the last run without failures (2026-01-01T00:00:00)")


def test_suppressed_problems_leave_the_default_view() -> None:
    quiet = outcome("tls.openai", Status.FAIL, "self-signed")
    quiet.suppressed = True
    lines = text_of(run_of(outcome("disk.space", Status.OK), quiet))
    assert not any("tls.openai" in line for line in lines)
    assert any("1 suppressed by doctor.suppress" in line for line in lines)


# ---- wrapping ------------------------------------------------------------------------------------

def rows_of(line: Line, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width)
    return [row.plain for row in wrap(line, console, width)]


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_wrapped_rows_fit_keep_every_word_and_hang_under_the_text(width: int) -> None:
    body = ("anyone who can read your files can read the keys; prefer the system keyring (unset "
            "PYTHON_KEYRING_BACKEND) or environment variables")
    rows = rows_of(Line.labelled("hint:", body, indent=5), width)
    assert all(len(row) <= width for row in rows)
    assert " ".join(" ".join(rows).split()) == "hint: " + body
    assert len(rows) > 1
    if width >= 60:
        assert rows[0].startswith("     hint: anyone") and all(row.startswith(" " * 11) for row in rows[1:])


def test_a_word_that_fits_the_width_is_never_cut_even_under_a_long_label() -> None:
    url = "docs/troubleshooting.md#api-keys-and-the-keyring"
    rows = rows_of(Line.labelled("docs:", url, indent=5), 52)
    assert url in [row.strip() for row in rows], rows


def test_a_narrow_terminal_moves_the_summary_under_a_long_id() -> None:
    line = Line.row(indent=2, mark="✗", mark_style="", label="security.config_permissions",
                    body="the config file is readable by other users")
    rows = rows_of(line, 40)
    assert rows[0] == "  ✗ security.config_permissions"
    assert all(len(row) <= 40 for row in rows) and "readable by other users" in " ".join(" ".join(rows).split())


def test_a_tail_is_kept_whole() -> None:
    line = Line.row(indent=2, mark="✓", mark_style="", label="runtime.deps", body="x" * 50).with_tail("  [79 ms]")
    rows = rows_of(line, 70)
    assert "[79 ms]" in rows[-1] and all(len(row) <= 70 for row in rows)


# ---- style ---------------------------------------------------------------------------------------

class FakeTty(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("env", "tty", "colour"), [
    ({}, True, True),
    ({"NO_COLOR": "1"}, True, False),
    ({"NO_COLOR": ""}, True, True),  # the convention: only a non-empty value counts
    ({"FORCE_COLOR": "1"}, False, True),
    ({"FORCE_COLOR": "0"}, True, False),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, True, False),
    ({"TERM": "dumb"}, True, False),
    ({}, False, False),
])
def test_colour_follows_no_color_and_force_color(env: dict[str, str], tty: bool, colour: bool) -> None:
    stream: io.StringIO = FakeTty() if tty else io.StringIO()
    style = choose_style(stream, {"TERM": "xterm", "COLUMNS": "80", **env})
    assert style.colour is colour
    assert style.symbols is (SYMBOLS if colour and tty else WORDS if not colour else style.symbols)
    assert (style.width is not None) is tty


def test_forced_colour_in_a_pipe_paints_without_wrapping() -> None:
    stream = io.StringIO()
    style = choose_style(stream, {"FORCE_COLOR": "1"})
    render(run_of(outcome("keys.openai", Status.FAIL, "no key " * 30)), stream=stream, style=style)
    out = stream.getvalue()
    assert "\x1b[" in out
    assert any(len(line) > 200 for line in out.splitlines()), "a pipe gets whole lines, not wrapped ones"


# ---- waterfall -----------------------------------------------------------------------------------

def test_phases_follow_one_another_and_the_wait_is_what_is_left_of_the_first_byte() -> None:
    got = phases({"dns_ms": 10.0, "connect_ms": 20.0, "tls_ms": 30.0, "ttfb_ms": 150.0})
    assert got == [("dns", 0.0, 10.0), ("connect", 10.0, 20.0), ("tls", 30.0, 30.0), ("wait", 60.0, 100.0)]
    assert phases({"dns_ms": 10.0}) == [], "one phase is no waterfall"
    assert phases({"dns_ms": True, "connect_ms": "x"}) == []


def test_the_slow_phase_gets_the_long_bar() -> None:
    style = Style(True, SYMBOLS, "·", 80)
    lines = waterfall_lines({"dns_ms": 5.0, "connect_ms": 5.0, "tls_ms": 300.0, "ttfb_ms": 320.0}, indent=4,
                            style=style)
    bars = {line.body.split()[0]: line.body.count("█") for line in lines}
    assert bars["tls"] > 3 * max(bars["dns"], bars["connect"], bars["wait"])
    assert all(len(" " * 4 + line.body) <= 80 for line in lines)


def test_verbose_rows_draw_the_waterfall_and_the_default_view_does_not() -> None:
    http = outcome("http.openai", Status.OK, "200 from api", facts={"dns_ms": 3.0, "connect_ms": 4.0,
                                                                   "tls_ms": 9.0, "ttfb_ms": 40.0})
    verbose = text_of(run_of(http), verbose=True)
    assert any(line.strip().startswith("tls") and line.rstrip().endswith("9 ms") for line in verbose)
    assert not any(line.strip().startswith("tls ") for line in text_of(run_of(http)))


def test_build_lines_returns_lines_that_render_plainly() -> None:
    lines = build_lines(run_of(outcome("disk.space", Status.OK)), verbose=False, style=PLAIN)
    assert lines[0].plain().startswith("perspt doctor")
