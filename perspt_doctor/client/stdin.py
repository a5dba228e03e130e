"""Text piped into perspt: read with a bound, refused when it is not text, and put before the question.

`cat notes.txt | perspt -q "summarize this"` sends the piped text, a blank line, then the question (as
`llm` does); piped text alone is the question.
"""

from __future__ import annotations

import sys
from typing import BinaryIO

from perspt_doctor.errors import UsageError

MAX_PIPED_BYTES = 1024 * 1024
"""1 MiB: far more than a prompt needs, far less than a file pasted by mistake (a log, an image)."""


def is_piped(stream: BinaryIO | None = None) -> bool:
    """Standard input is a pipe or a file, not a terminal."""
    target = stream or _stdin()
    return target is not None and not target.isatty()


def read_piped(stream: BinaryIO | None = None, limit: int = MAX_PIPED_BYTES) -> str:
    """All of standard input as text. Raises UsageError above `limit` bytes, or for bytes that are not
    UTF-8 text (a NUL byte, an invalid sequence)."""
    target = stream or _stdin()
    if target is None:
        return ""
    data = target.read(limit + 1)
    if len(data) > limit:
        raise UsageError(f"standard input is larger than {limit // 1024} KiB, the limit for piped text",
                         hint="send the part that matters, e.g. `head -c 100000 FILE | perspt -q ...`")
    return prompt_text(data, "standard input")


def prompt_text(data: bytes, what: str) -> str:
    """`data` as the text of a prompt, for piped input and `-f` files alike. UsageError naming `what` for
    bytes that are not UTF-8 text (a NUL byte, an invalid sequence); a byte order mark is dropped."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise UsageError(f"{what} is binary (a NUL byte at offset {nul}); perspt sends text only",
                         hint="convert it to text first (pdftotext, strings, jq ...)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} is not UTF-8 text (an invalid byte at offset {exc.start})",
                         hint="convert it first, e.g. `iconv -f latin1 -t utf-8 FILE | perspt -q ...`") from None


def with_piped(piped: str | None, question: str | None) -> str | None:
    """The message to send: the piped text, a blank line, the question; either alone; None if neither."""
    text = piped if piped and piped.strip() else None
    if text is None:
        return question
    if question is None:
        return text
    return f"{text.rstrip()}\n\n{question}"


def _stdin() -> BinaryIO | None:
    stream = sys.stdin
    return getattr(stream, "buffer", None) if stream is not None else None
