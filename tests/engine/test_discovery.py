"""Discovery: built-ins through pkgutil, entry points, loose files; one mechanism for all."""

from __future__ import annotations

from pathlib import Path

from perspt_doctor.engine.discovery import discover


def ids(found: object) -> set[str]:
    return {c.id for c in found.checks}  # type: ignore[attr-defined]


def test_builtin_modules_are_found_without_registration() -> None:
    found = discover(env={})
    assert {"config.file", "config.schema", "env.keys", "keys.{provider}", "keyring.backend",
            "security.config_permissions", "runtime.python", "terminal.encoding", "disk.space"} <= ids(found)
    assert {c.origin for c in found.checks if c.id == "config.file"} == {"builtin"}


def test_entry_point_plugins_are_loaded_and_labelled(with_plugin: Path) -> None:
    found = discover(env={})
    plugin = [c for c in found.checks if c.id.startswith("example.")]
    assert {c.id for c in plugin} >= {"example.ok", "example.raises", "example.hangs", "example.hello.{provider}"}
    assert {c.origin for c in plugin} == {"plugin:perspt-doctor-example-plugin"}


def test_plugins_can_be_disabled_all_or_by_name(with_plugin: Path, tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(
        "from perspt_doctor.api import Result, check\n"
        "@check('local.mine', 'mine', 'runtime')\nasync def mine(ctx):\n    return Result.ok('mine')\n")
    everything = ids(discover(env={}, user_dir=tmp_path))
    assert {"example.ok", "local.mine"} <= everything
    off = discover(env={"PERSPT_DISABLE_PLUGINS": "1"}, user_dir=tmp_path)
    assert not any(i.startswith(("example.", "local.")) for i in ids(off))
    assert "config.file" in ids(off) and off.disabled
    by_name = ids(discover(env={"PERSPT_DISABLE_PLUGINS": "example"}, user_dir=tmp_path))
    assert "example.ok" not in by_name and "local.mine" in by_name


def test_loose_files_load_without_writing_bytecode_and_broken_ones_are_reported(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(
        "from perspt_doctor.api import Result, check\n"
        "@check('local.good', 'good', 'runtime')\nasync def good(ctx):\n    return Result.ok('fine')\n")
    (tmp_path / "broken.py").write_text("def oops(:\n")
    (tmp_path / "badid.py").write_text(
        "from perspt_doctor.api import Result, check\n"
        "@check('NoDots', 'bad', 'runtime')\nasync def bad(ctx):\n    return Result.ok('x')\n")
    found = discover(env={}, checks_dirs=[tmp_path], builtins=False)
    assert ids(found) >= {"local.good"}
    assert {p.name for p in found.problems} >= {"broken", "NoDots"}
    assert "SyntaxError" in next(p.message for p in found.problems if p.name == "broken")
    assert not (tmp_path / "__pycache__").exists()


def test_a_plugin_that_blocks_at_import_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    """A module that never finishes importing (here: a sleep at module level; in life, a network call with
    no network) used to hang the doctor before it printed anything, whatever --timeout said. It is waited
    for half the budget at most, reported, and left behind; the other plugins and the built-ins run. The
    subprocess timeout is a hang bound, not a performance assertion."""
    import json

    from tests.engine.conftest import perspt

    (tmp_path / "blocks.py").write_text("import time\ntime.sleep(600)\n")
    (tmp_path / "fine.py").write_text(
        "from perspt_doctor.api import Result, check\n"
        "@check('local.fine', 'fine', 'runtime')\nasync def fine(ctx):\n    return Result.ok('ran')\n")
    done = perspt("doctor", "--offline", "--json", "--timeout", "4", "--checks-dir", str(tmp_path),
                  "--only", "local.*", "--only", "runtime.load.*", "--only", "config.file", timeout=60)
    rows = {row["id"]: row for row in json.loads(done.stdout)["checks"]}
    assert rows["local.fine"]["status"] == "ok"
    assert rows["config.file"]["status"] in ("ok", "warn")
    blocked = rows["runtime.load.blocks"]
    assert blocked["status"] == "error"
    assert "ImportTimedOut: its import did not finish within 2 s and was left behind" in blocked["summary"]
    assert "Traceback" not in done.stderr


def test_a_bounded_import_hands_back_the_value_or_what_it_raised() -> None:
    import pytest

    from perspt_doctor.engine.discovery import ImportTimedOut, bounded_import

    assert bounded_import(lambda: 42, 5, "answer") == 42
    with pytest.raises(SystemExit):
        bounded_import(lambda: (_ for _ in ()).throw(SystemExit(4)), 5, "exits")
    with pytest.raises(ImportTimedOut):
        bounded_import(lambda: __import__("time").sleep(3), 0.1, "sleeps")
