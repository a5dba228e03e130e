"""The repository is the whole product: no tracked file names a path outside it.

A fresh `git clone` has nothing beside it, so a test, script or product file that reads a sibling
directory of the checkout, an absolute path of one machine or someone's home works only where it was
written. The scan reads every file `git ls-files` lists (and where each tracked symlink points) and
fails on such a reference; the second test plants each kind in a scratch repository to prove the scan
sees it. tests/test_fresh_clone.py then runs the suites that once needed such files in a real clone.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FICTIONAL_USERS = frozenset({"alice", "alicexyz", "zed", "perspt-tester"})
"""The made-up users of the redaction tests (`/home/alice/...`): data, not a machine's home."""

GENERIC_PARENTS = frozenset({"/", "/tmp", "/var/tmp", "/opt", "/srv", "/usr", "/home", "/mnt"})
"""Directories too common to flag when a checkout happens to sit directly inside one of them."""

_NOT_PATH = r"(?<![\w.~-])"
FIXED_PATTERNS = (
    re.compile(r"\.\.[/\\]shared\b"),                                     # a sibling `shared` folder
    re.compile(r"\.parents?(?:\[\d+\])?\s*/\s*[\"']shared[\"']"),        # ... reached with pathlib
    re.compile(_NOT_PATH + r"/work(?=/)"),                                # the build machines' work area
    re.compile(_NOT_PATH + r"/root(?=/)"),                                # root's home
)
HOME_DIRS = re.compile(_NOT_PATH + r"/(?:home|Users)/([\w.-]+)")


def machine_patterns(checkout: Path, home: Path) -> list[re.Pattern[str]]:
    """This machine's own paths: the user's home, and the directory the checkout sits in."""
    found = []
    for place in (str(home), str(checkout.parent)):
        if place not in GENERIC_PARENTS and len(Path(place).parts) > 1:
            found.append(re.compile(_NOT_PATH + re.escape(place) + r"(?=[/\\])"))
    return found


def references(text: str, extra: list[re.Pattern[str]]) -> list[str]:
    """Each outside reference in the text, as `line N: match`."""
    hits = []
    for number, line in enumerate(text.splitlines(), 1):
        starts = [m.start() for pattern in (*FIXED_PATTERNS, *extra) for m in pattern.finditer(line)]
        starts += [m.start() for m in HOME_DIRS.finditer(line) if m.group(1) not in FICTIONAL_USERS]
        for start in sorted(set(starts)):
            path = re.match(r"[^\s\"'`(),;]*", line[start:])
            hits.append(f"line {number}: {path.group(0) if path else line[start:]}")
    return hits


def tracked_files(checkout: Path) -> list[str]:
    done = subprocess.run(["git", "-C", str(checkout), "ls-files", "-z"], capture_output=True, timeout=60)
    if done.returncode != 0:
        pytest.skip(f"not a git checkout: {done.stderr.decode(errors='replace').strip()}")
    return [name for name in done.stdout.decode().split("\0") if name]


def scan(checkout: Path, home: Path) -> list[str]:
    extra = machine_patterns(checkout, home)
    problems = []
    for name in tracked_files(checkout):
        path = checkout / name
        if path.is_symlink():
            target = os.readlink(path)
            if Path(target).is_absolute() or not (path.parent / target).resolve().is_relative_to(checkout.resolve()):
                problems.append(f"{name}: symlink to {target}")
            continue
        if not path.is_file():
            continue  # deleted in the work tree, not yet committed
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary
        problems += [f"{name}: {hit}" for hit in references(data.decode("utf-8", errors="replace"), extra)]
    return problems


def real_home() -> Path:
    """The user's home from the password database: tests/conftest.py points HOME at a scratch one."""
    try:
        import pwd

        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except (ImportError, KeyError):
        return Path.home()


def test_no_tracked_file_names_a_path_outside_the_repository() -> None:
    problems = scan(ROOT, real_home())
    assert not problems, "files that name paths outside the repository:\n" + "\n".join(problems)


def test_the_scan_catches_each_kind_of_outside_reference(tmp_path: Path) -> None:
    checkout = tmp_path / "src" / "perspt"
    home = tmp_path / "home" / "dev"
    (checkout / "tests").mkdir(parents=True)
    up, work = "..", "/" + "work"
    planted = {
        "tests/sibling.py": f'GUIDE = "{up}/shared/seed/guide.txt"\n',
        "tests/pathlib_sibling.py": 'FIX = Path(__file__).parents[2].parent / "sha' + 'red" / "fixtures"\n',
        "tests/machine.py": f'FIX = Path("{work}/shared/fixtures/gpu")\n',
        "scripts/run.sh": f"cd {tmp_path}/src/other && make\n",
        "docs/notes.md": f"see {home}/notes.txt and\n/ho" + "me/bob/.bashrc\n",
        "tests/root_home.py": "LOG = '/" + "root/.cache/x'\n",
    }
    clean = {
        "README.md": "Run `scripts/test.sh`; config in ~/.config/perspt/config.json; https://example.com/" + "work/x\n",
        "tests/redact_case.py": 'Redactor(home="/home/alice", user="alice")\n',
        "tests/relative.py": 'DATA = Path(__file__).parent / "fixtures" / "gpu"\n',
    }
    for name, text in {**planted, **clean}.items():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(text)
    (checkout / "tests" / "outside-link").symlink_to(tmp_path / "home")
    (checkout / "tests" / "inside-link").symlink_to("relative.py")
    subprocess.run(["git", "init", "-q", str(checkout)], check=True, timeout=60)
    subprocess.run(["git", "-C", str(checkout), "add", "-A"], check=True, timeout=60)
    found = scan(checkout, home)
    flagged = {line.split(":", 1)[0] for line in found}
    assert flagged == {*planted, "tests/outside-link"}, found
    assert [line for line in found if line.startswith("docs/notes.md")] == [
        f"docs/notes.md: line 1: {home}/notes.txt", "docs/notes.md: line 2: /ho" "me/bob/.bashrc"]
