"""Showing a reply as it streams. Every piece passes `textsafe.printable` first: a reply cannot drive
the terminal (clear it, move the cursor, set the title or the clipboard).

`PlainSink` writes text straight to a file (a pipe, a file): no rich, one buffered write per chunk,
a flush at most every 50 ms.

`MarkdownSink` renders Markdown on a terminal at a cost linear in the reply's length. The reply
is cut into blocks (paragraphs, fenced code, headings, lists); a block is rendered with rich exactly
once, when it is complete, and printed above a small live region that shows only the block still
being written. That open block is bounded in size (long ones are committed in pieces), and the
live region is redrawn at most a few times a second, so no chunk ever costs more than a constant.
Blocks completed between two redraws are printed together, as one document in one print, so a
reply with a heading or a list item every few tokens costs no more per block than plain prose.
What the terminal shows is the same as one rendering of the whole reply. The Markdown itself comes
from render_markdown.py (one shared parser; rich's elements with a shortcut for a line that fits).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, Protocol

from perspt_doctor.colour import can_encode
from perspt_doctor.textsafe import printable

if TYPE_CHECKING:
    from rich.console import Console

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")
_LIST_ITEM = re.compile(r"^ {0,3}([-+*]|\d{1,9}[.)])(\s|$)")
_RULE = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")


class Sink(Protocol):
    def feed(self, text: str) -> None: ...

    def finish(self) -> None:
        """The reply is over (complete or not): show everything that arrived."""


class OutputLost(Exception):
    """Showing the reply failed: its reader went away (`perspt -q ... | head`) or the output cannot take
    it (a full disk). Not the provider's failure: no fallback, no retry; what arrived is kept."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def reply_stream(stream: IO[str]) -> IO[str]:
    """`stream`, made able to show any reply. An ASCII-only standard output is a misconfigured locale
    (`LANG=C` without Python's UTF-8 coercion, `PYTHONIOENCODING=ascii`): the reply is written in UTF-8, as
    click writes every other command's output. Any other encoding shows what it cannot encode as `?`
    rather than failing the turn."""
    import codecs

    reconfigure = getattr(stream, "reconfigure", None)
    encoding = getattr(stream, "encoding", None)
    if reconfigure is None or not encoding:
        return stream
    if can_encode(stream, "\U0010ffff"):
        return stream  # holds every character (printable() has already replaced lone surrogates)
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return stream
    if name == "ascii":
        reconfigure(encoding="utf-8", errors="replace")
    elif getattr(stream, "errors", "strict") == "strict":
        reconfigure(errors="replace")
    return stream


def showing(write: Callable[..., None]) -> Callable[..., None]:
    """`write` (a sink's `feed` or `finish`), with a failure to write raised as OutputLost."""

    def guarded(*args: Any) -> None:
        try:
            write(*args)
        except OSError as exc:
            raise OutputLost(exc) from exc

    return guarded


class PlainSink:
    FLUSH_EVERY_S = 0.05

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._write = stream.write
        self._last_flush = time.monotonic()
        self._ends_with_newline = True
        self.wrote = False

    def feed(self, text: str) -> None:
        text = printable(text)
        if not text:
            return
        self._write(text)
        self.wrote = True
        self._ends_with_newline = text.endswith("\n")
        now = time.monotonic()
        if now - self._last_flush >= self.FLUSH_EVERY_S:
            self._stream.flush()
            self._last_flush = now

    def finish(self) -> None:
        if self.wrote and not self._ends_with_newline:
            self._write("\n")
            self._ends_with_newline = True
        self._stream.flush()


class BlockSplitter:
    """Cuts streamed Markdown into complete blocks, looking at each character once.

    `feed` returns the blocks completed by the new text; `tail` is the open block.
    """

    def __init__(self, max_lines: int = 40, max_chars: int = 4000) -> None:
        self.max_lines = max(max_lines, 4)
        self.max_chars = max(max_chars, 200)
        self._lines: list[str] = []
        self._chars = 0
        self._partial = ""
        self._fence: str | None = None
        self._fence_opener = ""
        self._blank_pending = False
        self._in_list = False

    @property
    def tail(self) -> str:
        if not self._lines:
            return self._partial
        body = "\n".join(self._lines)
        return body + "\n" + self._partial if self._partial else body

    def feed(self, text: str) -> list[str]:
        done: list[str] = []
        parts = text.split("\n")
        if len(parts) == 1:
            self._partial += text
            while len(self._partial) > self.max_chars:
                self._split_long_line(done)
            return done
        self._line(self._partial + parts[0], done)
        for middle in parts[1:-1]:
            self._line(middle, done)
        self._partial = parts[-1]
        while len(self._partial) > self.max_chars:
            self._split_long_line(done)
        return done

    def close(self) -> list[str]:
        done: list[str] = []
        if self._partial:
            self._line(self._partial, done)
            self._partial = ""
        self._commit(done)
        return done

    # ---- internals ------------------------------------------------------------------
    def _line(self, line: str, done: list[str]) -> None:
        if self._fence is not None:
            self._append(line)
            stripped = line.strip()
            if stripped.startswith(self._fence) and stripped.strip(self._fence[0]) == "":
                self._fence = None
                self._commit(done)
            elif len(self._lines) >= self.max_lines or self._chars >= self.max_chars:
                self._commit(done)
                self._append(self._fence_opener)
            return
        if not line.strip():
            if self._lines:
                self._blank_pending = True
            return
        fence = _FENCE.match(line)
        if self._blank_pending:
            self._blank_pending = False
            continues = line[:1] in (" ", "\t") or (self._in_list and _LIST_ITEM.match(line) is not None)
            if continues and not fence:
                self._append("")
            else:
                self._commit(done)
        if fence:
            self._commit(done)
            marker = fence.group(1)
            self._fence = marker[0] * len(marker)
            self._fence_opener = line
            self._append(line)
            return
        if _HEADING.match(line) or _RULE.match(line):
            self._commit(done)
            self._append(line)
            self._commit(done)
            return
        if not self._lines:
            self._in_list = _LIST_ITEM.match(line) is not None
        self._append(line)
        if len(self._lines) >= self.max_lines or self._chars >= self.max_chars:
            self._commit(done)

    def _append(self, line: str) -> None:
        self._lines.append(line)
        self._chars += len(line) + 1

    def _commit(self, done: list[str]) -> None:
        self._blank_pending = False
        if self._lines:
            if self._fence is not None:
                self._lines.append(self._fence)
            done.append("\n".join(self._lines))
        self._lines = []
        self._chars = 0
        self._in_list = False

    def _split_long_line(self, done: list[str]) -> None:
        """A line longer than the live region can hold: commit it up to its last space."""
        cut = self._partial.rfind(" ", 0, self.max_chars)
        if cut <= 0:
            cut = self.max_chars
        head, self._partial = self._partial[:cut], self._partial[cut:].lstrip(" ")
        if self._fence is not None:
            self._line(head, done)
            return
        self._append(head)
        self._commit(done)


class MarkdownSink:
    """Markdown on a terminal. `feed` is the one way text comes in.

    Completed blocks wait in `_pending` and are printed together at most every REFRESH_EVERY_S, in
    one `print` (a reply of many small blocks, a heading or a list item every few tokens, would
    otherwise cost a print and a redraw of the live region per block); the live region is redrawn
    only when its text changed. Each block is parsed once, with one Markdown parser for the reply.
    """

    REFRESH_EVERY_S = 0.1

    def __init__(self, console: Console, *, code_theme: str = "monokai") -> None:
        from rich.live import Live

        self._console = console
        self._code_theme = code_theme
        height = max(console.size.height, 8)
        width = max(console.size.width, 20)
        self._splitter = BlockSplitter(max_lines=max(height // 2, 4), max_chars=max(width * height // 3, 400))
        self._live = Live(console=console, auto_refresh=False, transient=True, vertical_overflow="crop",
                          redirect_stdout=False, redirect_stderr=False)
        self._started = False
        self._last_refresh = 0.0
        self._incoming: list[str] = []
        self._pending: list[str] = []
        self._shown_tail = ""
        self._printed = False
        self._after_rule = False

    def _markdown(self, text: str) -> Any:
        from perspt_doctor.client.render_markdown import markdown

        return markdown(text, self._code_theme)

    def feed(self, text: str) -> None:
        text = printable(text)
        if not text:
            return
        if not self._started:
            self._live.start()
            self._started = True
        self._incoming.append(text)
        now = time.monotonic()
        if now - self._last_refresh >= self.REFRESH_EVERY_S:
            self._split_incoming()
            self._show(self._splitter.tail)
            self._last_refresh = now

    def _split_incoming(self) -> None:
        """What arrived since the last refresh goes to the splitter in one piece."""
        if self._incoming:
            self._pending.extend(self._splitter.feed("".join(self._incoming)))
            self._incoming = []

    def _show(self, tail: str) -> None:
        """Print the pending blocks above the live region and show `tail` in it."""
        if self._pending:
            # Printing above the live region redraws it with what it last drew (rich's Live), which
            # may hold the blocks being printed: empty it first, print, then draw the new tail. The
            # three writes leave in one piece (the console's buffer); the tail is rendered once.
            with self._live.console:
                self._live.update("", refresh=True)
                self._print_blocks(self._pending)
                self._live.update(self._tail_renderable(tail), refresh=True)
            self._pending = []
        elif tail != self._shown_tail:
            self._live.update(self._tail_renderable(tail), refresh=True)
        self._shown_tail = tail

    def _print_blocks(self, blocks: list[str]) -> None:
        """The blocks as one Markdown document, in one print."""
        self._live.console.print(self._rendered("\n\n".join(blocks)), soft_wrap=True)
        self._printed = True
        self._after_rule = _RULE.match(blocks[-1]) is not None

    def _tail_renderable(self, tail: str) -> Any:
        return self._rendered(tail) if tail.strip() else ""

    def _rendered(self, text: str) -> Any:
        """`text` rendered as it looks in one rendering of the whole reply. Within a document rich puts
        one blank line before each block unless the block before is a rule; a document of its own may
        begin with that blank line too (one starting with a list does), so below what was printed
        before, a document begins with exactly one blank line, and after a rule with what rich gives."""
        from rich.segment import Segment, Segments

        console = self._live.console
        segments = list(console.render(self._markdown(text), console.options))
        if self._printed and not self._after_rule and (not segments or segments[0] != Segment.line()):
            segments.insert(0, Segment.line())
        return Segments(segments)

    def finish(self) -> None:
        if not self._started:
            return
        self._split_incoming()
        self._pending.extend(self._splitter.close())
        self._show("")
        self._live.stop()
        self._started = False


def make_sink(stream: IO[str], *, markdown: bool, console: Console | None = None) -> Sink:
    if not markdown:
        return PlainSink(stream)
    if console is None:
        from rich.console import Console

        console = Console(file=stream, highlight=False, soft_wrap=False)
    return MarkdownSink(console)


def render_markdown_once(text: str, console: Console) -> None:
    from rich.markdown import Markdown

    console.print(Markdown(printable(text), code_theme="monokai"))


class BufferedMarkdown:
    """--no-stream on a terminal: wait for the whole reply, render it once."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._parts: list[str] = []

    def feed(self, text: str) -> None:
        self._parts.append(printable(text))

    def finish(self) -> None:
        if not self._parts:
            return
        from rich.console import Console

        render_markdown_once("".join(self._parts), Console(file=self._stream, highlight=False))
        self._parts = []
