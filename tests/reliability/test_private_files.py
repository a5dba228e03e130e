"""Files perspt writes stay private and land where they should (issue 14, items 13 and 14): logs are
0600 in a 0700 directory whatever the umask; a bad `debug.log_file` is one redacted line; a backup never
follows a symlink planted under its name; a symlinked config (a dotfiles link) is written through to its
target, the link kept and the backup beside the target."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from perspt_doctor.fsutil import atomic_write, backup_path_for, make_backup
from tests.reliability.clienv import Home, make_home, perspt


@pytest.fixture()
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path / "home")


def _config(home: Home) -> Path:
    path = home.path("config", "perspt", "config.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_the_log_is_0600_in_a_0700_directory_whatever_the_umask(home: Home, umask: int) -> None:
    log = home.root / "logs" / "deeper" / "perspt.log"
    _config(home).write_text(json.dumps({"debug": {"enabled": True, "log_level": "debug", "log_file": str(log)}}))
    previous = os.umask(umask)
    try:
        ran = perspt(home, "config", "show")
    finally:
        os.umask(previous)
    assert ran.returncode == 0, ran.output
    assert log.exists()
    assert _mode(log) == 0o600
    assert _mode(log.parent) == 0o700 and _mode(log.parent.parent) == 0o700


def test_an_existing_log_is_made_private(home: Home) -> None:
    log = home.root / "perspt.log"
    log.write_text("old line\n")
    log.chmod(0o644)
    _config(home).write_text(json.dumps({"debug": {"enabled": True, "log_level": "debug", "log_file": str(log)}}))
    perspt(home, "config", "show")
    assert _mode(log) == 0o600 and "old line" in log.read_text()


@pytest.mark.parametrize("where", ["directory", "missing_parent_under_a_file", "fifo_without_reader"])
def test_a_bad_log_file_is_one_redacted_line(home: Home, where: str) -> None:
    blocker = home.root / "a-file"
    blocker.write_text("x")
    fifo = home.root / "log-pipe"
    os.mkfifo(fifo)
    target = {"directory": str(home.root), "missing_parent_under_a_file": str(blocker / "perspt.log"),
              "fifo_without_reader": str(fifo)}[where]
    _config(home).write_text(json.dumps({"debug": {"enabled": True, "log_level": "debug", "log_file": target}}))
    ran = perspt(home, "config", "show", env={"HOME": str(home.root)})
    assert ran.returncode == 0, ran.output
    assert "Logging error" not in ran.stderr and "Traceback" not in ran.stderr, ran.stderr
    lines = [line for line in ran.stderr.splitlines() if "log file" in line]
    assert len(lines) == 1, ran.stderr
    assert "debug.log_file" in lines[0] and str(home.root) not in lines[0], lines[0]


def test_dev_null_as_the_log_file_is_allowed_and_left_alone(home: Home) -> None:
    before = os.stat("/dev/null").st_mode
    _config(home).write_text(json.dumps({"debug": {"enabled": True, "log_level": "debug", "log_file": "/dev/null"}}))
    ran = perspt(home, "config", "show")
    assert ran.returncode == 0 and "log file" not in ran.stderr, ran.stderr
    assert os.stat("/dev/null").st_mode == before


def test_a_backup_never_follows_a_planted_symlink(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"api_key": "sk-planted-secret"}')
    stolen = tmp_path / "elsewhere"
    stolen.mkdir()
    now = time.time()
    planted = []
    for offset in range(0, 5):  # the next dated names, whatever second the backup is made in
        name = backup_path_for(config, now + offset)
        for suffix in ("", "-1", "-2"):
            link = name.with_name(name.name + suffix)
            link.symlink_to(stolen / link.name)
            planted.append(link)
    backup = make_backup(config)
    assert backup is not None and backup not in planted
    assert not backup.is_symlink() and backup.read_text() == config.read_text()
    assert backup.parent == tmp_path
    assert list(stolen.iterdir()) == []


def test_config_migrate_with_planted_backup_symlinks_writes_nothing_through_them(home: Home) -> None:
    config = _config(home)
    config.write_text(json.dumps({"provider_type": "openai", "api_key": "sk-migrate-secret-123456"}))
    config.chmod(0o600)
    stolen = home.root / "stolen"
    stolen.mkdir()
    now = time.time()
    for offset in range(-1, 30):
        link = backup_path_for(config, now + offset)
        link.symlink_to(stolen / link.name)
    ran = perspt(home, "config", "migrate")
    assert ran.returncode == 0, ran.output
    assert list(stolen.iterdir()) == []
    backups = [p for p in config.parent.iterdir() if ".backup." in p.name and not p.is_symlink()]
    assert len(backups) == 1 and "sk-migrate-secret-123456" in backups[0].read_text()


def test_a_symlinked_config_is_written_through_to_its_target(home: Home) -> None:
    dotfiles = home.root / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "perspt.json"
    target.write_text(json.dumps({"provider": "openai"}))
    config = _config(home)
    config.symlink_to(target)
    ran = perspt(home, "config", "reset", "--yes")
    assert ran.returncode == 0, ran.output
    assert config.is_symlink() and config.resolve() == target.resolve()
    backups = [p.name for p in dotfiles.iterdir() if ".backup." in p.name]
    assert len(backups) == 1, list(dotfiles.iterdir())
    assert [p.name for p in config.parent.iterdir() if ".backup." in p.name] == []


def test_atomic_write_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    backup = atomic_write(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert backup is not None and backup.parent == tmp_path and backup.name.startswith("real.json.backup.")
