"""Free space and write access where perspt keeps history, logs and doctor runs."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from perspt_doctor.api import (
    CheckContext,
    Fix,
    Result,
    Status,
    check,
    data_dir,
    doctor_runs_dir,
    history_db,
    log_dir,
)

DOCS = "docs/troubleshooting.md#disk-space"
FAIL_BELOW = 50 * 1024 * 1024
WARN_BELOW = 500 * 1024 * 1024


@dataclass(frozen=True)
class Place:
    purpose: str
    path: Path
    existing: Path
    free: int
    writable: bool


def nearest_existing(path: Path) -> Path:
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def survey(targets: dict[str, Path]) -> list[Place]:
    """Looks, never writes: disk usage and write permission of the nearest existing directory."""
    out = []
    for purpose, path in targets.items():
        existing = nearest_existing(path)
        usage = shutil.disk_usage(existing)
        out.append(Place(purpose, path, existing, usage.free, os.access(existing, os.W_OK)))
    return out


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def assess_places(places: list[Place]) -> Result:
    facts = {p.purpose: {"path": str(p.path), "free": p.free, "writable": p.writable} for p in places}
    details = [f"{p.purpose}: {p.path} ({_size(p.free)} free)" for p in places]
    blocked = [p for p in places if not p.writable]
    if blocked:
        first = blocked[0]
        return Result.fail(f"cannot write the {first.purpose} under {first.existing}", details=details, facts=facts,
                           hint="perspt cannot save history or logs there; fix the owner of that directory",
                           fix_commands=[f'sudo chown -R "$USER" {first.existing}'])
    if not places:
        return Result.skip("nothing to check")
    low = min(places, key=lambda p: p.free)
    if low.free < FAIL_BELOW:
        return Result.fail(f"only {_size(low.free)} free for the {low.purpose} ({low.existing})", details=details,
                           facts=facts, hint="free some space: history and logs fail to save on a full disk")
    if low.free < WARN_BELOW:
        return Result.warn(f"{_size(low.free)} free for the {low.purpose} ({low.existing})", details=details,
                           facts=facts, hint="space is running low; `perspt history clear` or freeing files helps")
    return Result.ok(f"{_size(low.free)} free where history, logs and doctor runs are kept", details=details,
                     facts=facts)


@check("disk.space", "Free space for history and logs", "disk", timeout=3, docs=DOCS)
async def space(ctx: CheckContext) -> Result:
    """Checks free space and write access where perspt keeps history, logs and doctor runs.

    Looks, never writes: for each of the three directories (or the nearest parent that exists yet) it
    reads the free space and whether you may write there.

    ok: writable, and at least 500 MB free everywhere.
    warn: less than 500 MB free where one of them lives. Fix: free some space; `perspt history clear`
      helps.
    fail: one of the directories cannot be written. Fix: give it back to your user
      (`sudo chown -R "$USER" DIR`).
    fail: less than 50 MB free: history and logs fail to save. Fix: free some space.
    """
    targets = {"history": data_dir(), "logs": log_dir(), "doctor runs": doctor_runs_dir()}
    places = await ctx.run_blocking(survey, targets)
    result = assess_places(places)
    if result.status is not Status.OK:  # a directory not made yet is normal: perspt makes it on first use
        result.fixes = [Fix.mkdir(p.path, description=f"create the missing {p.purpose} directory {p.path}")
                        for p in places if p.path != p.existing]
    return result


def inspect_history(db: Path) -> Result:
    """Opens the history database read-only (never creating or changing it) and asks SQLite whether it is
    intact."""
    import shlex
    import sqlite3
    import stat

    shown = shlex.quote(str(db))
    aside = shlex.quote(f"{db}.corrupt")
    recover = [f"mv {shown} {aside}",
               f"sqlite3 {aside} .recover | sqlite3 {shown}"]
    hint = ("move it aside and perspt starts a new one; the second command salvages what it can into the new "
            "one (needs the sqlite3 tool)")
    try:
        info = db.stat()
    except FileNotFoundError:
        return Result.ok(f"no history database yet ({db}); the first conversation creates it",
                         facts={"path": str(db), "exists": False})
    except OSError as exc:
        return Result.fail(f"cannot look at the history database {db}: {exc.strerror or exc}",
                           facts={"path": str(db)}, hint="fix the permissions of the data directory")
    if not stat.S_ISREG(info.st_mode):
        return Result.fail(f"the history database {db} is not a regular file", facts={"path": str(db)},
                           hint="move it aside; perspt creates a new database", fix_commands=recover[:1])
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error as exc:
        return Result.fail(f"cannot open the history database {db}: {exc}", facts={"path": str(db)},
                           hint="check its owner and permissions (`ls -l` it); perspt needs to read and write it")
    try:
        verdict = [row[0] for row in conn.execute("PRAGMA quick_check(5)").fetchall()]
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return Result.fail(f"the history database {db} is damaged: {exc}", facts={"path": str(db)}, hint=hint,
                           fix_commands=recover)
    finally:
        conn.close()
    if verdict != ["ok"]:
        first = " ".join(verdict[0].replace("*** in database main ***", "").split())
        return Result.fail(f"the history database {db} is damaged: {first}", details=verdict,
                           facts={"path": str(db), "quick_check": verdict}, hint=hint, fix_commands=recover)
    return Result.ok(f"the history database is intact ({_size(info.st_size)}, {db})",
                     facts={"path": str(db), "size": info.st_size, "tables": tables})


@check("disk.history", "The history database is intact", "disk", timeout=5, docs="docs/checks.md#disk-history")
async def history_database(ctx: CheckContext) -> Result:
    """Checks that the conversation history database can be read and is not damaged.

    Opens it read-only (it never creates or changes it) and runs SQLite's own consistency check. When the
    database is damaged, chat still works, with history off for the session.

    ok: there is no database yet, or SQLite finds it intact.
    fail: it is not a database, or SQLite finds damage. Fix: move it aside (`mv history.sqlite3
      history.sqlite3.corrupt`) and perspt starts a new one; `sqlite3 history.sqlite3.corrupt .recover |
      sqlite3 history.sqlite3` salvages what it can.
    fail: it cannot be opened (permissions, or not a regular file). Fix: give it back to your user, or move
      it aside.
    """
    return await ctx.run_blocking(inspect_history, history_db())
