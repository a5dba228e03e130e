"""Each exit code of `perspt` (perspt_doctor/errors.py `ExitCode`), reached through the real command line in
its own process: the code, the one-line message, and no traceback unless --debug."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from perspt_doctor import errors
from perspt_doctor.errors import ExitCode
from tests.fakes.openai_fake import OpenAIFake, openai_fake
from tests.foreground import foreground


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with openai_fake() as server:
        yield server


def perspt(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], input=stdin, capture_output=True,
                          text=True, timeout=90, env={**os.environ, **(env or {})})


def openai_env(fake: OpenAIFake, key: str = "test-key") -> dict[str, str]:
    return {"OPENAI_API_KEY": key, "OPENAI_BASE_URL": fake.base_url, "PERSPT_RETRY_ATTEMPTS": "0"}


def assert_one_error(result: subprocess.CompletedProcess[str], code: ExitCode, *, says: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert says in result.stderr, result.stderr


def test_the_exit_codes_are_the_documented_numbers() -> None:
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0, "FAILURE": 1, "USAGE": 2, "CHECK_ERROR": 3, "INTERNAL": 70, "HANGUP": 129, "INTERRUPTED": 130,
        "TERMINATED": 143}
    assert str(ExitCode.INTERRUPTED) == "130"
    assert ExitCode.HANGUP == 128 + signal.SIGHUP and ExitCode.TERMINATED == 128 + signal.SIGTERM


@pytest.mark.parametrize("args,says", [
    (("--no-such-flag",), "Error: No such option '--no-such-flag'"),
    (("doctor", "--dry-run"), "--dry-run only makes sense with --fix"),
    (("-q", "   "), "Error: the question is empty"),
    (("history", "show", "seven"), "Error: not a conversation id: 'seven'"),
    (("-p", "opneai", "-q", "hi"), "Error: unknown provider 'opneai'"),
])
def test_a_usage_error_exits_2(args: tuple[str, ...], says: str) -> None:
    assert_one_error(perspt(*args, env={"OPENAI_API_KEY": "test-key"}), ExitCode.USAGE, says=says)


def test_a_broken_config_file_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"provider": "openai",\n "model": }\n')
    result = perspt("-c", str(config), "-q", "hi", env={"OPENAI_API_KEY": "test-key"})
    assert_one_error(result, ExitCode.USAGE, says=f"Error: {config}:2")
    assert "Hint:" not in result.stderr
    assert result.stderr.splitlines()[0].endswith(" | diagnose: perspt doctor --only 'config.*'"), result.stderr


def test_only_config_errors_name_the_config_checks() -> None:
    wrong = perspt("-q", "   ", env={"OPENAI_API_KEY": "test-key"})
    assert wrong.returncode == ExitCode.USAGE and "diagnose:" not in wrong.stderr


def test_a_provider_failure_in_one_question_exits_1(fake: OpenAIFake) -> None:
    result = perspt("-q", "hi", env=openai_env(fake, key="sk-wrong-key-123456"))
    assert_one_error(result, ExitCode.FAILURE, says="authentication")
    assert result.stdout == "" and "sk-wrong-key-123456" not in result.stderr
    debug = perspt("-q", "hi", "--debug", env=openai_env(fake, key="sk-wrong-key-123456"))
    assert debug.returncode == ExitCode.FAILURE and "Traceback" in debug.stderr


def test_a_transport_failure_in_one_question_exits_1() -> None:
    with socket.socket() as dead:
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
    result = perspt("-q", "hi", env={"OPENAI_API_KEY": "test-key", "PERSPT_RETRY_ATTEMPTS": "0",
                                      "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1"})
    assert_one_error(result, ExitCode.FAILURE, says="perspt doctor --provider openai --only 'tcp.*'")


def test_a_check_that_cannot_finish_makes_the_doctor_exit_3(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "broken.py").write_text(textwrap.dedent('''
        from perspt_doctor.api import CheckContext, Result, check

        @check("broken.raises", "raises", "runtime")
        async def raises(ctx: CheckContext) -> Result:
            raise RuntimeError("boom from a plugin")
    '''))
    result = perspt("doctor", "--offline", "--checks-dir", str(plugins), "--only", "broken.*")
    assert result.returncode == ExitCode.CHECK_ERROR, result.stdout + result.stderr
    assert "boom from a plugin" in result.stdout and "Traceback" not in result.stdout + result.stderr


def _wait_for_request(fake: OpenAIFake, path: str, key: str, process: subprocess.Popen[str]) -> None:
    """Until the fake has this process's request (its own key: nothing another process sent counts): from
    then on the process is waiting for the reply."""
    while not any(path in request.path and request.headers.get("authorization") == f"Bearer {key}"
                  for request in fake.requests):
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)


def _interrupt(fake: OpenAIFake, path: str, *args: str) -> tuple[int, str]:
    key = f"test-key-{uuid.uuid4().hex[:12]}"
    fake.api_key = key
    process = subprocess.Popen(foreground(sys.executable, "-m", "perspt_doctor", *args), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **openai_env(fake, key)})
    try:
        _wait_for_request(fake, path, key, process)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, err


def test_ctrl_c_during_a_reply_exits_130_and_keeps_the_partial_reply(fake: OpenAIFake) -> None:
    fake.fail("drip", path="chat", interval=2)
    code, err = _interrupt(fake, "chat/completions", "-q", "hi")
    assert code == ExitCode.INTERRUPTED, err
    assert "perspt: interrupted: the partial reply is kept in the history" in err and "Traceback" not in err


def test_ctrl_c_outside_a_reply_exits_130(fake: OpenAIFake) -> None:
    """click turns the KeyboardInterrupt into its Abort; both end as 130 and one line."""
    fake.fail("drip", path="models", interval=2)
    code, err = _interrupt(fake, "/models", "models")
    assert code == ExitCode.INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "Aborted." and "Traceback" not in err


PLANTED_BUG = ("import sys\n"
               "import perspt_doctor.client.app as app\n"
               "def run_chat(options, question=None):\n"
               "    raise KeyError('planted bug')\n"
               "app.run_chat = run_chat\n"
               "from perspt_doctor.cli import main\n"
               "main(sys.argv[1:])\n")
"""A bug planted in the chat's entry point, so the command line meets an exception nobody expected."""


def test_an_internal_error_exits_70_with_a_traceback_only_with_debug() -> None:
    env = {**os.environ, "OPENAI_API_KEY": "test-key"}
    plain = subprocess.run([sys.executable, "-c", PLANTED_BUG, "-q", "hi"], capture_output=True, text=True,
                           timeout=60, env=env)
    assert_one_error(plain, ExitCode.INTERNAL, says="Error: internal error: KeyError: 'planted bug'")
    assert "Hint: run again with --debug" in plain.stderr
    debug = subprocess.run([sys.executable, "-c", PLANTED_BUG, "-q", "hi", "--debug"], capture_output=True,
                           text=True, timeout=60, env=env)
    assert debug.returncode == ExitCode.INTERNAL
    assert "Traceback" in debug.stderr and ", in run_chat\nKeyError: 'planted bug'" in debug.stderr


def test_every_layers_error_is_under_the_one_base() -> None:
    """run_guarded catches PersptError once; each layer's errors sit under the branch that gives their code."""
    from perspt_doctor.catalog import UnknownProviderError
    from perspt_doctor.client.history_store import HistoryError
    from perspt_doctor.engine.runner import UnknownPattern
    from perspt_doctor.providers import errors as provider_errors
    from perspt_doctor.report.triage import ReportFormatError
    from perspt_doctor.settings.diagnostics import ConfigError
    from perspt_doctor.settings.keystore import KeyringUnavailable
    from perspt_doctor.transport.probes import ProxyTunnelError
    from perspt_doctor.transport.trust import TransportConfigError

    tree = {ConfigError: errors.ConfigError, KeyringUnavailable: errors.KeyringError,
            TransportConfigError: errors.TransportError, ProxyTunnelError: errors.TransportError,
            provider_errors.ProviderError: errors.ProviderError, provider_errors.RateLimitError: errors.ProviderError,
            UnknownProviderError: errors.UsageError, UnknownPattern: errors.UsageError,
            ReportFormatError: errors.UsageError, HistoryError: errors.PersptError}
    assert [cls.__name__ for cls, base in tree.items() if not issubclass(cls, base)] == []
    assert {cls.__name__: int(cls.exit_code) for cls in tree} == {
        "ConfigError": 2, "KeyringUnavailable": 1, "TransportConfigError": 1, "ProxyTunnelError": 1,
        "ProviderError": 1, "RateLimitError": 1, "UnknownProviderError": 2, "UnknownPattern": 2,
        "ReportFormatError": 2, "HistoryError": 1}
    assert errors.UserError is errors.PersptError


OUTPUT_COMMANDS = [("--version",), ("--help",), ("doctor", "--offline"), ("doctor", "--offline", "--json"),
                   ("explain", "api-keys"), ("config", "show"), ("history", "list")]


@pytest.mark.parametrize("args", [*OUTPUT_COMMANDS, ("keys", "list"), ("config", "path")], ids=" ".join)
def test_started_with_standard_output_closed_every_command_says_so(args: tuple[str, ...], tmp_path: Path) -> None:
    """`perspt ... >&-`: Python gives such a process no sys.stdout, and a print to nothing is dropped, so a
    command used to exit 0 having shown nothing. It fails at its first output instead, as `ls >&-` does."""
    from tests.infra.home import home_env

    ran = subprocess.run(["bash", "-c", 'exec "$@" >&-', "bash", sys.executable, "-m", "perspt_doctor", *args],
                         stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=90,
                         env=home_env(tmp_path))
    assert ran.returncode == ExitCode.FAILURE, ran.stderr
    assert ran.stderr.splitlines()[-1:] == ["Error: could not write to standard output: it is closed"], ran.stderr
    assert "Traceback" not in ran.stderr and "Exception ignored" not in ran.stderr


def _with_closed(redirect: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`perspt ARGS` started by bash with `redirect` (`<&-`, `2>&-`) applied: that stream closed."""
    from tests.infra.home import home_env

    return subprocess.run(["bash", "-c", f'exec "$@" {redirect}', "bash", sys.executable, "-m", "perspt_doctor",
                           *args], capture_output=True, text=True, timeout=90, env=home_env(tmp_path))


def test_started_with_standard_input_closed_it_is_empty_input(tmp_path: Path) -> None:
    """`perspt ... <&-` is read as input that ended at once: questions get the usage error of a pipe that
    ended, and commands that only ask whether stdin is a terminal go on (both were internal errors, 70)."""
    setup = _with_closed("<&-", "config", "setup", tmp_path=tmp_path)
    assert setup.returncode == ExitCode.USAGE, setup.stderr
    assert "Error: standard input ended before the question 'Provider' was answered" in setup.stderr
    report = _with_closed("<&-", "report", "-o", str(tmp_path / "r.md"), tmp_path=tmp_path)
    assert report.returncode == ExitCode.OK, report.stderr
    assert (tmp_path / "r.md").read_text().startswith("# perspt issue report\n")
    for ran in (setup, report):
        assert "Traceback" not in ran.stderr and "internal error" not in ran.stderr


def test_a_closed_standard_error_keeps_the_exit_code(tmp_path: Path) -> None:
    """With nowhere to say it, a usage error is still exit 2, not the 1 of a crash in the error path."""
    assert _with_closed("2>&-", "doctor", "--no-such-flag", tmp_path=tmp_path).returncode == ExitCode.USAGE
    assert _with_closed("2>&-", "--version", tmp_path=tmp_path).stdout.startswith("perspt ")


def test_a_file_opened_later_never_takes_a_closed_streams_number(tmp_path: Path) -> None:
    """A closed descriptor 0 or 1 is held by the null device, read-only, so the next file perspt opens
    cannot become a child process's stdin or stdout, and writing to descriptor 1 still fails."""
    probe = ("import os, sys; from perspt_doctor.cli import _stand_in_for_closed_streams as s; s(); "
             "f = open(sys.argv[1], 'w'); print(f.fileno(), file=sys.stderr); "
             "print(os.readlink('/proc/self/fd/0'), os.readlink('/proc/self/fd/1'), file=sys.stderr)\n"
             "try:\n    os.write(1, b'x')\nexcept OSError as exc:\n    print(exc.errno, file=sys.stderr)")
    ran = subprocess.run(["bash", "-c", 'exec "$@" <&- >&-', "bash", sys.executable, "-c", probe,
                          str(tmp_path / "later.txt")], capture_output=True, text=True, timeout=30)
    assert ran.stderr.split() == ["3", os.devnull, os.devnull, str(errno.EBADF)], ran.stderr


@pytest.mark.parametrize("args", OUTPUT_COMMANDS, ids=" ".join)
def test_output_to_a_full_disk_is_one_error_line_for_every_command(args: tuple[str, ...], tmp_path: Path) -> None:
    """A failed write to stdout is the machine's doing, not a bug of perspt's: one line, exit 1, never the
    internal error (70) nor a traceback; and the doctor does not lose its report without a word."""
    from tests.infra.home import home_env

    with open("/dev/full", "wb") as full:
        ran = subprocess.run([sys.executable, "-m", "perspt_doctor", *args], stdin=subprocess.DEVNULL, stdout=full,
                             stderr=subprocess.PIPE, text=True, timeout=90, env=home_env(tmp_path))
    assert ran.returncode == ExitCode.FAILURE, ran.stderr
    assert ran.stderr.splitlines()[-1:] == ["Error: could not write the output: No space left on device"], ran.stderr
    assert "Traceback" not in ran.stderr and "Exception ignored" not in ran.stderr


@pytest.mark.parametrize(("error", "line"), [
    (OSError(errno.ENOSPC, "No space left on device"), "could not write the output: No space left on device"),
    (OSError(errno.EDQUOT, "Disk quota exceeded", "exports/history.json"),
     "could not write exports/history.json: Disk quota exceeded"),
    (OSError(errno.EFBIG, "File too large"), "could not write the output: File too large"),
    (OSError(errno.EIO, "Input/output error"), "could not write the output: Input/output error"),
    (OSError(errno.EACCES, "Permission denied"), None),
    (FileNotFoundError(errno.ENOENT, "No such file or directory"), None),
    (OSError("no errno at all"), None),
    (errors.OutputClosed(errno.EBADF, "it is closed", "standard output"),
     "could not write to standard output: it is closed"),
    (OSError(errno.EBADF, "Bad file descriptor"), None),
], ids=["ENOSPC", "EDQUOT-with-file", "EFBIG", "EIO", "EACCES", "ENOENT", "no-errno", "started-closed",
        "EBADF-of-a-bug"])
def test_only_the_machines_write_failures_are_called_that(error: OSError, line: str | None) -> None:
    """Anything else stays what it is: an internal error with a traceback under --debug."""
    from perspt_doctor.errors import machine_write_error

    assert machine_write_error(error) == line
