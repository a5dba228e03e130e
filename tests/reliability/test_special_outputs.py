"""Outputs the user names (`report -o`, `history export`, `/save`) are written as a shell's `>` would: a
device or a pipe there is written into and never replaced by a regular file, and a directory that does
not exist is an error, not created. Run as root (in a container, say), replacing `/dev/null` breaks the
whole machine; `perspt report -o /dev/null` did. The devices here are copies made with mknod in a
temporary directory, so a regression cannot harm the real one. A FIFO nobody reads is one clear line, not
a hang. Files perspt keeps for itself (the run records, the key file) are never written into a special
file either, and get the directories they need. Subprocess timeouts are hang bounds."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from perspt_doctor.fsutil import UserFileError, atomic_write
from tests.infra.tools import unavailable
from tests.reliability.clienv import Home, make_home, perspt

HANG_BOUND = 60


@pytest.fixture()
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path / "home")


@pytest.fixture()
def null_device(tmp_path: Path) -> Path:
    """A character device like /dev/null (major 1, minor 3), in a temporary directory."""
    path = tmp_path / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        unavailable("making a device node needs root (CAP_MKNOD)")
    return path


def _is_device(path: Path) -> bool:
    return stat.S_ISCHR(os.stat(path).st_mode)


@pytest.mark.parametrize("argv", [["report", "--offline", "-y", "-o", "{f}"], ["history", "export", "{f}"]],
                         ids=["report", "history-export"])
def test_a_device_named_as_the_output_is_written_into_not_replaced(home: Home, null_device: Path,
                                                                    argv: list[str]) -> None:
    ran = perspt(home, *[a.replace("{f}", str(null_device)) for a in argv], timeout=HANG_BOUND)
    assert ran.returncode == 0, ran.output
    assert _is_device(null_device), "the device was replaced by a regular file"
    assert not [p.name for p in null_device.parent.iterdir() if p.name != "null" and p.name != "home"]


def test_a_pipe_named_as_the_output_gets_the_export(home: Home, tmp_path: Path) -> None:
    fifo = tmp_path / "export.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as reader:
            received.append(reader.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ran = perspt(home, "history", "export", str(fifo), timeout=HANG_BOUND)
    reader.join(HANG_BOUND)
    assert ran.returncode == 0, ran.output
    assert json.loads(received[0])["format"] == "perspt-history"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_pipe_nobody_reads_is_one_clear_line(home: Home, tmp_path: Path) -> None:
    fifo = tmp_path / "nobody.fifo"
    os.mkfifo(fifo)
    ran = perspt(home, "report", "--offline", "-y", "-o", str(fifo), timeout=HANG_BOUND)
    assert ran.returncode == 1, ran.output
    assert "it is a FIFO (named pipe) that nothing reads" in ran.stderr and "Traceback" not in ran.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_file_perspt_keeps_for_itself_is_never_written_into_a_special_file(tmp_path: Path) -> None:
    fifo = tmp_path / "keys.json"
    os.mkfifo(fifo)
    with pytest.raises(UserFileError, match="it is a FIFO"):
        atomic_write(fifo, "{}", backup=False)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize("argv", [["report", "--offline", "-y", "-o", "{f}"], ["history", "export", "{f}"]],
                         ids=["report", "history-export"])
def test_an_output_in_a_directory_that_does_not_exist_makes_no_directory(home: Home, tmp_path: Path,
                                                                          argv: list[str]) -> None:
    """As `>` would: a typo in the path is an error, not a new directory tree."""
    target = tmp_path / "typo" / "deeper" / "out.txt"
    ran = perspt(home, *[a.replace("{f}", str(target)) for a in argv], timeout=HANG_BOUND)
    assert ran.returncode == 1, ran.output
    assert f"no such directory: {target.parent}" in ran.stderr, ran.stderr
    assert not (tmp_path / "typo").exists()


def test_perspts_own_files_get_their_directories(tmp_path: Path) -> None:
    target = tmp_path / "state" / "runs" / "record.json"
    atomic_write(target, "{}", backup=False)
    assert target.read_text() == "{}"
