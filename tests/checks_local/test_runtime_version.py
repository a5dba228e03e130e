"""`runtime.version`: the installed perspt against the newest release on a package index (a loopback
fake of the JSON API), the upgrade command for each way of installing, the day-long cache, and the
report stating it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from perspt_doctor.checks.runtime import assess_version, read_release_cache, release_key, write_release_cache

from perspt_doctor._version import __version__
from perspt_doctor.system.install import Installation, classify
from tests.infra.servers import Reply, http_server


def index_reply(version: str) -> Reply:
    return Reply.json(200, {"info": {"name": "perspt-doctor", "version": version}, "releases": {}})


def doctor(index: str, *extra: str) -> dict:
    env = {**__import__("os").environ, "PERSPT_DOCTOR_INDEX_URL": index}
    result = subprocess.run([sys.executable, "-m", "perspt_doctor", "doctor", "--json", "--only", "runtime.version",
                             *extra], capture_output=True, text=True, timeout=60, env=env)
    return next(c for c in json.loads(result.stdout)["checks"] if c["id"] == "runtime.version")


def test_a_newer_release_is_a_warning_with_the_upgrade_command() -> None:
    with http_server(index_reply("99.0.0")) as index:
        row = doctor(f"{index.url}/pypi")
        assert [path for _m, path, _h in index.requests] == ["/pypi/perspt-doctor/json"]
    assert row["status"] == "warn"
    assert row["summary"] == f"perspt {__version__} is installed; 99.0.0 is the newest release"
    assert row["facts"]["newest"] == "99.0.0" and row["facts"]["cached"] is False


def test_the_answer_is_kept_for_a_day_per_index() -> None:
    with http_server(index_reply(__version__)) as index:
        first = doctor(f"{index.url}/pypi")
        second = doctor(f"{index.url}/pypi")
        assert len(index.requests) == 1, "the second run asked again"
    assert first["status"] == second["status"] == "ok" and second["facts"]["cached"] is True
    assert read_release_cache("http://elsewhere/pypi") is None, "a cache from another index does not count"
    write_release_cache("http://x/pypi", "1.2.3")
    assert read_release_cache("http://x/pypi") == "1.2.3"
    import time

    assert read_release_cache("http://x/pypi", now=time.time() + 2 * 24 * 3600) is None, "older than a day"


@pytest.mark.parametrize("reply", [Reply.json(404, {"message": "Not Found"}), Reply.html(200, "<html>mirror</html>"),
                                   Reply.json(200, {"info": {}})])
def test_an_index_without_an_answer_skips_and_blames_nothing(reply: Reply) -> None:
    with http_server(reply) as index:
        row = doctor(f"{index.url}/pypi")
    assert row["status"] == "skip" and "did not say which release is the newest" in row["summary"]


def test_an_unreachable_index_skips_in_words() -> None:
    row = doctor("http://127.0.0.1:9/pypi")
    assert row["status"] == "skip" and "Error" not in row["summary"] and "Errno" not in row["summary"]


def test_offline_never_asks() -> None:
    with http_server(index_reply("99.0.0")) as index:
        row = doctor(f"{index.url}/pypi", "--offline")
        assert index.requests == []
    assert row["status"] == "skip"


@pytest.mark.parametrize(("older", "newer"), [("0.9", "0.10"), ("1.0rc1", "1.0"), ("1.0.dev3", "1.0a1"),
                                              ("1.0", "1.0.1"), ("0.1.0", "0.2.0")])
def test_release_order(older: str, newer: str) -> None:
    assert release_key(older) < release_key(newer)
    assert release_key("1.0") == release_key("1.0.0")


def test_a_development_copy_newer_than_the_index_is_fine() -> None:
    result = assess_version("0.3.0", "0.2.0", None, {})
    assert result.status == "ok" and "development copy" in result.summary


@pytest.mark.parametrize(("installation", "command"), [
    (Installation("pipx"), "pipx upgrade perspt-doctor"),
    (Installation("uv"), "uv tool install --force perspt-doctor"),
    (Installation("pip", virtual_env=True, python="/venv/bin/python"), "/venv/bin/python -m pip install -U perspt-doctor"),
    (Installation("pip", editable=True), None),
    (Installation("source"), None),
])
def test_the_upgrade_command_follows_the_way_perspt_was_installed(installation: Installation,
                                                                  command: str | None) -> None:
    assert installation.upgrade_command() == command
    result = assess_version("0.1.0", "0.2.0", command, {})
    assert result.status == "warn" and result.fix_commands == ([command] if command else [])
    if command is None:
        assert result.hint and "reinstall" in result.hint


def test_pinning_an_earlier_version_uses_the_same_tool() -> None:
    assert Installation("pipx").upgrade_command("0.1.0") == "pipx install --force 'perspt-doctor==0.1.0'"
    assert Installation("uv").upgrade_command("0.1.0") == "uv tool install --force 'perspt-doctor==0.1.0'"


@pytest.mark.parametrize(("prefix", "tool"), [("/opt/tools/.local/pipx/venvs/perspt-doctor", "pipx"),
                                              ("/opt/tools/.local/share/uv/tools/perspt-doctor", "uv"),
                                              ("/opt/homebrew/Cellar/perspt/0.1", "homebrew"),
                                              ("/opt/tools/venv", "pip")])
def test_the_installation_is_recognised_from_its_prefix(prefix: str, tool: str) -> None:
    found = classify(prefix, "/usr", None)
    assert found.tool == tool and found.virtual_env
    assert classify(prefix, "/usr", '{"url": "file:///x", "dir_info": {"editable": true}}').editable


def test_the_report_states_the_newest_release(tmp_path: Path) -> None:
    with http_server(index_reply("99.0.0")) as index:
        env = {**__import__("os").environ, "PERSPT_DOCTOR_INDEX_URL": f"{index.url}/pypi"}
        result = subprocess.run([sys.executable, "-m", "perspt_doctor", "report", "-o", "-", "--provider", "ollama"],
                                capture_output=True, text=True, timeout=120, env=env)
    assert f"- perspt version: {__version__} (99.0.0 is the newest release" in result.stdout
