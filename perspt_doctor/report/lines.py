"""Logical lines of a report and how they reach the output.

A `Line` is what the report means to say (a mark, a label, a body); `print_lines` decides how it looks:
on a terminal the body is wrapped to the width with a hanging indent under the body's first word, so no
word is ever cut at the edge; off a terminal each line is written whole, for grep. Every piece of text
passes through the redactor on its way out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from perspt_doctor.report.colour import Style

NARROWEST_BODY = 24
"""Below this many columns beside the label, the body moves under the label instead."""


@dataclass(frozen=True)
class Line:
    indent: int = 0
    mark: str = ""
    mark_style: str = ""
    label: str = ""
    label_style: str = ""
    body: str = ""
    body_style: str = ""
    tail: str = ""
    tail_style: str = ""

    @classmethod
    def blank(cls) -> Line:
        return cls()

    @classmethod
    def text(cls, body: str, style: str = "", *, indent: int = 0) -> Line:
        return cls(indent=indent, body=body, body_style=style)

    @classmethod
    def row(cls, *, indent: int, mark: str, mark_style: str, label: str, body: str) -> Line:
        return cls(indent=indent, mark=mark, mark_style=mark_style, label=label, body=body)

    @classmethod
    def labelled(cls, label: str, body: str, *, indent: int, label_style: str = "cyan",
                 body_style: str = "") -> Line:
        return cls(indent=indent, label=label, label_style=label_style, body=body, body_style=body_style)

    def with_tail(self, tail: str, style: str = "") -> Line:
        return replace(self, tail=tail, tail_style=style)

    @property
    def is_blank(self) -> bool:
        return not (self.mark or self.label or self.body or self.tail)

    def head(self) -> list[tuple[str, str]]:
        """The part before the body, as (text, style) pieces: indent, mark, label."""
        pieces = [(" " * self.indent, "")]
        if self.mark:
            pieces += [(self.mark, self.mark_style), (" ", "")]
        if self.label:
            pieces += [(self.label, self.label_style), ("  " if self.mark else " ", "")]
        return pieces

    def plain(self) -> str:
        return "".join(text for text, _ in self.head()) + self.body + self.tail


def print_lines(lines: list[Line], stream: IO[str], style: Style) -> None:
    from perspt_doctor.redact import redact

    lines = [_redacted(line, redact) for line in lines]
    if style.width is None and not style.colour:
        for line in lines:
            stream.write(line.plain() + "\n")
        stream.flush()
        return
    console = _console(stream, style)
    width = style.width
    for line in lines:
        for text in (wrap(line, console, width) if width else [_assemble(line)]):
            if style.colour:
                console.print(text, soft_wrap=True)
            else:
                stream.write(text.plain + "\n")
    stream.flush()


def wrap(line: Line, console: Console, width: int) -> list[Text]:
    """The line as screen rows no wider than `width`: the body wrapped at spaces, its continuation rows
    indented to where the body began (a hanging indent)."""
    from rich.text import Text

    head = Text.assemble(*line.head())
    body = Text(line.body, line.body_style)
    tail = Text(line.tail, line.tail_style)
    hang = head.cell_len
    if not (line.body or line.tail):
        return [head]
    rows: list[Text] = []
    longest = max((len(word) for word in (line.body + line.tail).split()), default=0)
    room = min(width - NARROWEST_BODY, width - longest)
    if hang > room and (line.label or line.mark):
        # The body moves under its label, indented less, so that its longest word (a URL, a command)
        # still fits on one row instead of being cut.
        alone = head.copy()
        alone.rstrip()
        rows.append(alone)
        hang = max(min(line.indent + 4, room), 0)
        head = Text(" " * hang)
    elif hang > width - longest:
        hang = max(width - longest, 0)
        head = Text(" " * hang)
    for number, piece in enumerate(body.wrap(console, max(width - hang, 1), overflow="fold")):
        piece.rstrip()
        rows.append((head if number == 0 else Text(" " * hang)) + piece)
    if tail.plain:
        # A tail (a duration, the names of skipped checks) is kept whole: on the last row if it fits.
        if rows and rows[-1].cell_len + tail.cell_len <= width:
            rows[-1] = rows[-1] + tail
        else:
            tail = Text(line.tail.lstrip(), line.tail_style)
            rows.extend(Text(" " * hang) + piece for piece in tail.wrap(console, max(width - hang, 1), overflow="fold"))
    return rows


def _assemble(line: Line) -> Text:
    from rich.text import Text

    return Text.assemble(*line.head(), (line.body, line.body_style), (line.tail, line.tail_style))


def _console(stream: IO[str], style: Style) -> Console:
    from rich.console import Console

    return Console(file=stream, highlight=False, emoji=False, markup=False, force_terminal=style.colour,
                   no_color=not style.colour, width=style.width or 10_000, soft_wrap=True)


def _redacted(line: Line, redact: Callable[[str], str]) -> Line:
    """Redacted, and without control sequences (a plugin's or a server's text must not drive the terminal)."""
    from perspt_doctor.textsafe import printable

    def clean(text: str) -> str:
        return printable(redact(text), newlines=False)

    return replace(line, mark=clean(line.mark), label=clean(line.label), body=clean(line.body),
                   tail=clean(line.tail))
