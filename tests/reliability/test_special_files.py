"""Special files where perspt expects a regular one (issue 14, item 2): a FIFO or a device at the config
path, as a report to triage, as a history export or as a CA bundle. Each is refused with one clear line
and exit code 1 or 2, at once: nothing waits for a writer that never comes, nothing reads without end.
The subprocess timeout is the hang bound, not a performance assertion."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from perspt_doctor.fsutil import UserFileError, read_user_file
from tests.reliability.clienv import Home, make_home, perspt

HANG_BOUND = 30


@pytest.fixture()
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path / "home")


@pytest.fixture()
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


CASES = {
    # name: (argv with {f} for the special file, env with {f}, the code, what the line says)
    "config_fifo": (["--config", "{f}", "config", "show"], {}, 2, "FIFO"),
    "config_env_fifo": (["config", "show"], {"PERSPT_CONFIG": "{f}"}, 2, "FIFO"),
    "config_dev_zero": (["config", "show"], {"PERSPT_CONFIG": "/dev/zero"}, 2, "character device"),
    "doctor_config_dev_zero": (["doctor", "--offline", "--only", "config.*"], {"PERSPT_CONFIG": "/dev/zero"}, None,
                               "character device"),
    "report_from_json_fifo": (["report", "--from-json", "{f}"], {}, 2, "FIFO"),
    "report_from_json_dev_zero": (["report", "--from-json", "/dev/zero"], {}, 2, "character device"),
    "triage_fifo": (["triage", "{f}"], {}, 1, "FIFO"),
    "triage_dev_zero": (["triage", "/dev/zero"], {}, 1, "character device"),
    "history_import_fifo": (["history", "import", "{f}"], {}, 2, "FIFO"),
    "history_import_dev_zero": (["history", "import", "/dev/zero"], {}, 2, "character device"),
    "ca_bundle_env_fifo": (["-q", "hello", "-p", "openai"], {"SSL_CERT_FILE": "{f}", "OPENAI_API_KEY": "sk-test"}, 1,
                           "FIFO"),
    "ca_bundle_setting_dev_zero": (["-q", "hello", "-p", "openai"],
                                   {"PERSPT_NETWORK_CA_BUNDLE": "/dev/zero", "OPENAI_API_KEY": "sk-test"}, 1,
                                   "character device"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_special_file_is_refused_with_one_clear_line(home: Home, fifo: Path, name: str) -> None:
    argv, env, code, says = CASES[name]
    ran = perspt(home, *(a.replace("{f}", str(fifo)) for a in argv),
                 env={k: v.replace("{f}", str(fifo)) for k, v in env.items()}, timeout=HANG_BOUND)
    assert "Traceback" not in ran.output and "internal error" not in ran.output, ran.output
    assert says in ran.output, ran.output
    assert "not a regular file" in ran.output, ran.output
    if code is not None:
        assert ran.returncode == code, ran.output
    assert not home.network_violations()


def test_read_user_file_counts_the_bytes_it_reads(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.write_bytes(b"x" * 10)
    assert read_user_file(small, 10) == b"x" * 10
    with pytest.raises(UserFileError) as caught:
        read_user_file(small, 9)
    assert caught.value.code == "too-large"
    with pytest.raises(UserFileError) as caught:
        read_user_file(tmp_path, 9)
    assert caught.value.code == "is-directory"
    with pytest.raises(UserFileError) as caught:
        read_user_file(tmp_path / "missing", 9)
    assert caught.value.code == "not-found"
    with pytest.raises(UserFileError) as caught:
        read_user_file("/dev/zero", 1 << 30)
    assert caught.value.code == "not-regular"
