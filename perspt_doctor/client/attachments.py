"""`-f/--file PATH`: files whose text goes into the prompt, each in a fenced block named by its path.
Bounded in size; a missing, unreadable or binary file is a usage error before anything is sent."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from perspt_doctor.errors import UsageError

MAX_FILE_BYTES = 256 * 1024
"""Per file: larger files are refused (a prompt that size is a mistake more often than not)."""


def read_files(paths: Sequence[str]) -> str:
    """The files as prompt text ("" for none), in the order given."""
    parts = [_block(Path(raw)) for raw in paths]
    return "".join(parts)


def _block(path: Path) -> str:
    from perspt_doctor.fsutil import UserFileError, read_user_file

    try:
        data = read_user_file(path, MAX_FILE_BYTES, streams=True)
    except UserFileError as exc:
        if exc.code == "not-found":
            raise UsageError(f"-f {path}: no such file") from None
        if exc.code == "is-directory":
            raise UsageError(f"-f {path}: is a directory, not a file") from None
        if exc.code == "too-large":
            raise UsageError(f"-f {path}: more than the {MAX_FILE_BYTES // 1024} KiB a file may add to the prompt",
                             hint="pass the part that matters (head, grep, sed -n) through stdin") from None
        raise UsageError(f"-f {path}: cannot read it ({exc.reason})") from None
    from perspt_doctor.client.stdin import prompt_text

    text = prompt_text(data, f"-f {path}")
    fence = "````" if "```" in text else "```"
    return f"{path.name}:\n{fence}\n{text.rstrip()}\n{fence}\n\n"
