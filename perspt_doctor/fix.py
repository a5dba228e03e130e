"""`Fix`: a change a check offers for what it found, declared on its `Result.fixes`.

A fix says what it does (`description`), the shell command a user could run instead (`command`), and how
perspt applies it safely (`apply`, or one of the declarative constructors below: `chmod`, `mkdir`, `run`,
each of which knows what it *would* do for `--dry-run`). A fix without `apply` is advice: its command is
printed, never run. `perspt doctor --fix` and `perspt config validate --fix-issues` apply the same objects
(engine/fixes.py); neither knows which check declared what. It imports only `fsutil` (lazily), so
every layer may build fixes (settings does, for the config file).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

Apply = Callable[[], "str | None"]
"""Applies a fix: returns None when it worked, else one line saying why not."""


@dataclass(frozen=True)
class Fix:
    description: str
    """What it does, as a phrase: `make ~/.config/perspt/config.json readable by you only`."""
    command: str
    """The shell command that does the same, shown to the user (and in the JSON's `fix_commands`)."""
    apply: Apply | None = None
    """Applies it (None: advice only, the command is printed)."""
    dry_run: str = ""
    """What it would do, for `--dry-run` (default: `would <description>`)."""
    ask: bool = False
    """Ask before applying, even with --yes absent from a non-interactive run (downloads, anything large)."""
    unavailable: str | None = None
    """Why this machine cannot apply it (then the command is only printed)."""
    reruns: tuple[str, ...] = ()
    """Check ids to run again once applied; empty: the check that declared it."""

    @property
    def would(self) -> str:
        return self.dry_run or f"would {self.description}"

    @property
    def automatic(self) -> bool:
        return self.apply is not None and self.unavailable is None

    @classmethod
    def chmod(cls, path: Path | str, mode: int = 0o600, description: str | None = None,
              reruns: tuple[str, ...] = ()) -> Fix:
        """Set a file's mode (`chmod 600 PATH`)."""
        target = Path(path)
        apply = _reporting_os_errors(lambda: os.chmod(target, mode))
        return cls(description or f"make {target} readable by you only", f"chmod {mode:o} {target}", apply,
                   f"would set the mode of {target} to {mode:o}", reruns=reruns)

    @classmethod
    def private(cls, path: Path | str, description: str | None = None, reruns: tuple[str, ...] = ()) -> Fix:
        """Make a file that holds a secret readable by its owner only (`chmod 600 PATH`), through the one
        chmod-600 path (`fsutil.make_private`)."""
        from perspt_doctor.fsutil import make_private

        target = Path(path)
        apply = _reporting_os_errors(lambda: make_private(target))
        return cls(description or f"make {target} readable by you only", f"chmod 600 {target}", apply,
                   f"would set the mode of {target} to 600", reruns=reruns)

    @classmethod
    def mkdir(cls, path: Path | str, mode: int = 0o700, description: str | None = None,
              reruns: tuple[str, ...] = ()) -> Fix:
        """Create a directory and its parents (`mkdir -p -m 700 PATH`)."""
        target = Path(path)
        apply = _reporting_os_errors(lambda: target.mkdir(mode=mode, parents=True, exist_ok=True))
        return cls(description or f"create the directory {target}", f"mkdir -p -m {mode:o} {target}", apply,
                   f"would create {target} (mode {mode:o})", reruns=reruns)

    @classmethod
    def run(cls, argv: Sequence[str], description: str, *, command: str | None = None,
            env: Mapping[str, str] | None = None, ask: bool = True, unavailable: str | None = None,
            reruns: tuple[str, ...] = ()) -> Fix:
        """Run a program (`ollama pull MODEL`); asks first unless `ask=False`. `command` is what the user sees
        (default: the arguments joined)."""
        args = list(argv)
        shown = command or " ".join(args)

        def apply() -> str | None:
            try:
                done = subprocess.run(args, env=dict(env) if env is not None else None, stdin=subprocess.DEVNULL,
                                      check=False)
            except OSError as exc:
                return f"could not run {args[0]}: {exc.strerror or exc}"
            return None if done.returncode == 0 else f"`{shown}` exited with {done.returncode}"

        return cls(description, shown, apply, f"would run `{shown}`", ask=ask, unavailable=unavailable,
                   reruns=reruns)


def _reporting_os_errors(action: Callable[[], object]) -> Callable[[], str | None]:
    """A fix's `apply`: run `action`; None when it worked, else the operating system's reason."""

    def apply() -> str | None:
        try:
            action()
        except OSError as exc:
            return f"{exc.strerror or exc}"
        return None

    return apply
