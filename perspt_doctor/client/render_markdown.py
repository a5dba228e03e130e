"""rich's Markdown for the streaming sink, built cheaply per block and looking exactly the same.

`markdown(text, code_theme)` gives a rich `Markdown` whose markup is parsed by one shared markdown-it
parser (rich makes a new parser per object, which costs more than parsing a small block) and whose
paragraphs and headings that fit on one line skip rich's line wrapping (render_elements.py). The
parser leaves out the block rules that cannot match the text (a table needs a `|`, a link reference
a `[`, an HTML block a `<`, a quote a `>`): every line is tried against every block rule, so that is
a tenth of the parse, for the same tokens.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.markdown import Markdown

_TEMPLATES: dict[str, Markdown] = {}
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
    """Imported when first drawn: render_elements imports rich."""
    from perspt_doctor.client.render_elements import StreamedMarkdown

    return StreamedMarkdown
