from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from perspt_doctor import __version__


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], capture_output=True, text=True,
                          timeout=60)


def test_version_prints_the_package_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"perspt {__version__}"


def test_help_lists_every_subcommand() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    from perspt_doctor.cli.root import SHORT_HELP, SUBCOMMANDS

    assert set(SHORT_HELP) == set(SUBCOMMANDS)
    for name in ("doctor", "report", "triage", "models", "config", "keys", "history", "explain"):
        assert re.search(rf"^  {name} +{re.escape(SHORT_HELP[name])}$", result.stdout, re.M), name


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from perspt_doctor.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('httpx', 'rich', 'dns', 'keyring', 'psutil') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in result.stderr, result.stderr


def test_cached_help_is_what_click_prints_at_every_width() -> None:
    for columns in ("60", "80", "100", "140"):
        env = {**os.environ, "COLUMNS": columns}
        fast = subprocess.run([sys.executable, "-m", "perspt_doctor", "--help"], capture_output=True, text=True,
                              timeout=60, env=env)
        slow = subprocess.run([sys.executable, "-m", "perspt_doctor", "--help"], capture_output=True, text=True,
                              timeout=60, env={**env, "PERSPT_HELP_CACHE": "0"})
        assert fast.returncode == slow.returncode == 0
        assert fast.stdout == slow.stdout, columns


def test_help_cache_file_is_current() -> None:
    script = Path(__file__).resolve().parents[1] / "scripts" / "gen_help_cache.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_help_fast_path_does_not_import_click() -> None:
    code = ("import sys\nfrom perspt_doctor.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('CLICK', 'click' in sys.modules, file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "COLUMNS": "100"})
    assert "CLICK False" in result.stderr, result.stderr
    assert result.stdout.startswith("Usage: perspt")
