"""rich's Markdown for the streaming sink, built cheaply per block and looking exactly the same.

`markdown(text, code_theme)` gives a rich `Markdown` whose markup is parsed by one shared markdown-it
parser (rich makes a new parser per object, which costs more than parsing a small block) and whose
paragraphs render without rich's line wrapping when they fit on one line: a streamed reply is mostly
short paragraphs and list items, and wrapping a line that needs no wrapping was a third of the cost
of drawing it. A paragraph that does not fit, holds a tab or a line break, or is justified other
than "default" (which pads nothing) goes through rich's own wrapping, unchanged. The parser leaves
out the block rules that cannot match the text (a table needs a `|`, a link reference a `[`, an HTML
block a `<`, a quote a `>`): every line is tried against every block rule, so that is a tenth of
the parse, for the same tokens.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.markdown import Markdown

_TEMPLATES: dict[str, Markdown] = {}
_MARKDOWN_CLASS: list[type[Markdown]] = []
_PARSERS: dict[tuple[str, ...], Any] = {}
# A block rule, and the character without which it cannot start a block (markdown_it/rules_block:
# each returns False when the line lacks it). Normalizing the text adds none of these characters.
_PRUNABLE_BLOCK_RULES = (("|", "table"), ("[", "reference"), ("<", "html_block"), (">", "blockquote"))


def markdown(text: str, code_theme: str) -> Markdown:
    """rich's Markdown for `text`. A copy of an empty Markdown keeps whatever else rich's constructor
    sets; only the markup and its parse are replaced."""
    template = _TEMPLATES.get(code_theme)
    if template is None:
        # justify "default": paragraphs are not padded with spaces to the width of the terminal,
        # which looks the same and writes a third less.
        template = _TEMPLATES[code_theme] = _markdown_class()("", code_theme=code_theme, justify="default")
    document = copy.copy(template)
    document.markup = text
    document.parsed = parser_for(text).parse(text)
    return document


def parser_for(text: str) -> Any:
    """rich's markdown-it configuration (CommonMark, strikethrough, tables), less the block rules that
    cannot match `text`; one parser per such set, made once."""
    unused = tuple(rule for char, rule in _PRUNABLE_BLOCK_RULES if char not in text)
    parser = _PARSERS.get(unused)
    if parser is None:
        from markdown_it import MarkdownIt

        parser = MarkdownIt().enable("strikethrough").enable("table")
        if unused:
            parser.disable(list(unused))
        _PARSERS[unused] = parser
    return parser


def _markdown_class() -> type[Markdown]:
    """rich's Markdown with the one-line paragraph shortcut (classes made once, on first use: rich is
    imported only when Markdown is drawn)."""
    if _MARKDOWN_CLASS:
        return _MARKDOWN_CLASS[0]
    from rich.cells import cell_len
    from rich.markdown import Markdown, Paragraph

    class OneLineParagraph(Paragraph):
        def __rich_console__(self, console: Any, options: Any) -> Any:
            text = self.text
            text.justify = self.justify
            plain = text.plain
            if (self.justify == "default" and not text.style and plain and "\n" not in plain
                    and "\t" not in plain and cell_len(plain) <= options.max_width):
                # rich's wrap would return this line as it is (no break, nothing to pad or crop).
                yield from text.render(console, end=text.end)
            else:
                yield text

    class StreamedMarkdown(Markdown):
        elements = {**Markdown.elements, "paragraph_open": OneLineParagraph}

    _MARKDOWN_CLASS.append(StreamedMarkdown)
    return StreamedMarkdown
