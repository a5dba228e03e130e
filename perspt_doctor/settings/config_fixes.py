"""The safe fixes for a config file, as `Fix` objects: move a plain-text key into the OS keyring (asks
first), rewrite the file with its legacy keys renamed and a byte-order mark dropped (one atomic write,
dated backup), and make a file that holds a secret private (chmod 600). `perspt config validate
--fix-issues` applies them with the same applier as `perspt doctor --fix` (engine/fixes.py).

The fixes are applied in the order given and share one plan: the keyring moves run first, so the one
rewrite that follows drops exactly the keys that reached the keyring. `say` receives the lines worth
telling the user beyond the applier's own (which key went where, the file written and its backup)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perspt_doctor.fix import Fix
from perspt_doctor.settings.loader import LoadedConfig

Say = Callable[[str], None]


@dataclass
class _Plan:
    path: Path
    data: dict[str, Any]
    rewrite: list[str]
    to_keyring: list[tuple[str, str, str]]
    loose_mode: bool
    say: Say
    moved: list[str] = field(default_factory=list)


def config_fixes(loaded: LoadedConfig, say: Say) -> list[Fix]:
    """The fixes `loaded` needs, in the order to apply them (empty: nothing to fix)."""
    from perspt_doctor.settings.schema import migrate
    from perspt_doctor.settings.writer import holds_secret, plaintext_keys

    migration = migrate(loaded.data)
    rewrite = list(migration.steps)
    if loaded.has_bom:
        rewrite.append("remove the UTF-8 byte-order mark")
    loose = loaded.mode is not None and bool(loaded.mode & 0o077)
    plan = _Plan(loaded.path, migration.data, rewrite, plaintext_keys(migration.data), loose, say)
    fixes = [_keyring_fix(plan, pid, key_path, value) for pid, key_path, value in plan.to_keyring]
    if plan.rewrite or plan.to_keyring:
        fixes.append(_rewrite_fix(plan))
    if loose and (holds_secret(migration.data) or plan.to_keyring):
        private = Fix.private(loaded.path, description="set the file mode to 600 (owner only)")
        fixes.append(dataclasses.replace(private, dry_run="would set the file mode to 600 (owner only)",
                                         apply=_tighten(plan)))
    return fixes


def _keyring_fix(plan: _Plan, pid: str, key_path: str, value: str) -> Fix:
    def apply() -> str | None:
        from perspt_doctor.errors import KeyringError
        from perspt_doctor.settings import keystore

        try:
            found = keystore.find_key(pid)
            existing = found[0] if found else None
            if existing and existing != value.strip():
                plan.say(f"left the {pid} key in the file: the keyring already holds a different {pid} key "
                         f"(compare with `perspt keys get {pid}`)")
                return "the keyring already holds a different key"
            stored = keystore.store_key(pid, value.strip())  # read back: only then may it leave the file
        except KeyringError as exc:
            plan.say(f"left the {pid} key in the file: it could not be stored elsewhere ({exc})")
            return "the key could not be stored elsewhere"
        plan.moved.append(pid)
        plan.say(f"stored the {pid} key in {stored.describe()}")
        return None

    step = f"move the {pid} key ({key_path}) into the OS keyring"
    return Fix(step, f"perspt keys set {pid}", apply, dry_run=f"would {step}", ask=True)


def _rewrite_fix(plan: _Plan) -> Fix:
    def apply() -> str | None:
        from perspt_doctor.settings.writer import write_config

        if plan.to_keyring and not plan.moved:
            plan.say("keys left in the file")
        data = plan.data
        for pid, key_path, _value in plan.to_keyring:
            if pid in plan.moved:
                drop_key(data, key_path)
        if not plan.rewrite and not plan.moved:
            return None
        try:
            written = write_config(plan.path, data)
        except OSError as exc:
            return f"could not write {plan.path}: {exc.strerror or exc}"
        plan.say(f"wrote {written.path} (mode {written.mode:o})")
        if written.backup is not None:
            plan.say(f"backup of the previous file: {written.backup}")
        return None

    if plan.rewrite:
        what, command = "; ".join(plan.rewrite), "perspt config migrate"
    else:
        keys = ", ".join(key_path for _pid, key_path, _value in plan.to_keyring)
        what = command = f"remove {keys} once in the keyring"
    return Fix(f"rewrite {plan.path}: {what}", command, apply,
               dry_run=f"would {what} (one rewrite of {plan.path}, with a dated backup)")


def _tighten(plan: _Plan) -> Callable[[], str | None]:
    def apply() -> str | None:
        from perspt_doctor.fsutil import make_private

        try:
            if make_private(plan.path):
                plan.say(f"set mode 600 on {plan.path}")
        except OSError as exc:
            return f"{exc.strerror or exc}"
        return None

    return apply


def drop_key(data: dict[str, Any], key_path: str) -> None:
    if key_path == "api_key":
        data.pop("api_key", None)
        return
    table = data.get("api_keys")
    if isinstance(table, dict):
        table.pop(key_path.split(".", 1)[1], None)
        if not table:
            data.pop("api_keys", None)
