"""rich's Markdown elements with a shortcut for what a streamed reply is mostly made of: a paragraph
or a heading that fits on one line (list items hold paragraphs, so theirs take it too). rich lays
out every line of text through its general machinery (split into lines, find where words break,
divide, justify, crop), a quarter of the cost of drawing a short block. For one line that fits, the
shortcut asks rich's own pieces for what they give (`Lines.justify`, `Text.truncate`, `Text.render`)
and skips the steps that would leave the line unchanged. Anything else (a line that wraps, a tab, a
line break, a styled base text, "full" justification, "ignore" overflow) takes rich's general path.
The segments are the same as rich's: tests/client/test_render.py compares them for many shapes.

Imported only when Markdown is drawn (it imports rich).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, JustifyMethod, RenderResult
from rich.containers import Lines
from rich.markdown import Heading, Markdown, Paragraph
from rich.segment import Segment
from rich.text import Text

_SHORTCUT_JUSTIFY: tuple[JustifyMethod, ...] = ("default", "left", "center", "right")


def one_line(text: Text, console: Console, options: ConsoleOptions, justify: JustifyMethod) -> list[Segment] | None:
    """What `Text.__rich_console__` gives for `text` justified `justify`, when that is one line that
    fits; None when rich's general path is needed."""
    plain = text.plain
    overflow = text.overflow or options.overflow or "fold"
    width = options.max_width
    if (text.style or not plain or "\n" in plain or "\t" in plain or justify not in _SHORTCUT_JUSTIFY
            or overflow == "ignore" or cell_len(plain) > width):
        return None
    # Text.wrap: splitting and dividing give the line itself, trimming and cropping to the width leave
    # a line that fits as it is; justifying ("default" does nothing) is rich's own.
    if justify == "default":
        return list(text.render(console, end=text.end))
    line = text.copy()
    Lines([line]).justify(console, width, justify=justify, overflow=overflow)
    return list(line.render(console, end=text.end))


class OneLineParagraph(Paragraph):
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.text.justify = self.justify
        segments = one_line(self.text, console, options, self.justify)
        if segments is None:
            yield self.text
        else:
            yield from segments


class OneLineHeading(Heading):
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        segments = one_line(self.text, console, options, self.LEVEL_ALIGN.get(self.tag, "left"))
        if segments is None:
            yield from super().__rich_console__(console, options)
        else:
            yield from segments


class StreamedMarkdown(Markdown):
    elements = {**Markdown.elements, "paragraph_open": OneLineParagraph, "heading_open": OneLineHeading}
