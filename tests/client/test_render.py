from __future__ import annotations

import io
import random
from typing import Any

import pytest
from rich.console import Console

from perspt_doctor.client import render
from perspt_doctor.client.render import BlockSplitter, MarkdownSink


def split_all(text: str, pieces: int, **kw: Any) -> list[str]:
    splitter = BlockSplitter(**kw)
    rng = random.Random(7)
    cuts = sorted(rng.sample(range(1, len(text)), min(pieces, len(text) - 1)))
    blocks: list[str] = []
    start = 0
    for cut in [*cuts, len(text)]:
        blocks.extend(splitter.feed(text[start:cut]))
        start = cut
    return blocks + splitter.close()


DOC = """# Title

First paragraph
continues here.

- one
- two

  indented continuation of two

```python
def f():

    return 1
```

1. a

2. b
Last words"""


@pytest.mark.parametrize("pieces", [1, 7, 60, 400])
def test_blocks_do_not_depend_on_how_the_stream_is_cut(pieces: int) -> None:
    assert split_all(DOC, pieces) == [
        "# Title",
        "First paragraph\ncontinues here.",
        "- one\n- two\n\n  indented continuation of two",
        "```python\ndef f():\n\n    return 1\n```",
        "1. a\n\n2. b\nLast words",
    ]


def test_long_code_block_is_committed_in_closed_pieces() -> None:
    code = "```sh\n" + "\n".join(f"echo {i}" for i in range(30)) + "\n```\nafter"
    blocks = split_all(code, 50, max_lines=8)
    assert len(blocks) > 3
    assert all(b.startswith("```sh\n") and b.endswith("\n```") for b in blocks[:-1])
    body = [line for b in blocks[:-1] for line in b.splitlines() if line.startswith("echo")]
    assert body == [f"echo {i}" for i in range(30)]
    assert blocks[-1] == "after"


@pytest.mark.parametrize("pieces", [1, 500])
def test_a_huge_single_line_is_cut_at_spaces(pieces: int) -> None:
    words = " ".join(f"w{i}" for i in range(3000))
    blocks = split_all(words, pieces, max_chars=500)
    assert all(len(b) <= 500 for b in blocks)
    assert " ".join(blocks).split() == words.split()


def test_the_open_block_stays_bounded_when_a_long_line_comes_in_one_piece() -> None:
    splitter = BlockSplitter(max_chars=500)
    done = splitter.feed(" ".join(f"w{i}" for i in range(3000)))
    assert len(done) > 20 and len(splitter.tail) <= 500


class CountingSink(MarkdownSink):
    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.rendered_chars = 0
        self.REFRESH_EVERY_S = 0.0  # redraw the live tail after every chunk: the worst case

    def _markdown(self, text: str) -> Any:
        self.rendered_chars += len(text)
        return super()._markdown(text)


def _reply(tokens: int) -> list[str]:
    rng = random.Random(3)
    words = ["alpha", "beta", "`gamma`", "**delta**", "epsilon"]
    out = []
    for i in range(tokens):
        token = rng.choice(words) + " "
        if i % 97 == 96:
            token += "\n\n"
        elif i % 541 == 0:
            token += "\n```python\nx = 1\ny = 2\n```\n"
        out.append(token)
    return out


def _rendered_per_char(tokens: int) -> float:
    chunks = _reply(tokens)
    console = Console(file=io.StringIO(), force_terminal=True, width=80, height=24)
    sink = CountingSink(console)
    for chunk in chunks:
        sink.feed(chunk)
    sink.finish()
    return sink.rendered_chars / sum(len(c) for c in chunks)


def test_markdown_rendering_cost_is_linear_in_reply_length() -> None:
    """Even redrawing the live tail after every chunk, the text handed to rich per character of
    reply does not grow with the reply (re-rendering the whole reply per chunk would make it 4x
    larger for a 4x longer reply)."""
    small, large = _rendered_per_char(600), _rendered_per_char(2400)
    assert large < 1.2 * small
    assert small < 100


def test_markdown_sink_shows_every_word_once_at_the_end() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=100, height=30)
    sink = MarkdownSink(console)
    for chunk in ["Hello **wor", "ld**\n\n", "```py\nprint(1)\n", "```\n", "tail end"]:
        sink.feed(chunk)
    sink.finish()
    text = out.getvalue()
    assert text.count("Hello world") == 1
    assert "print(1)" in text and "tail end" in text
    assert "**" not in text


def test_make_sink_is_plain_without_a_terminal() -> None:
    assert isinstance(render.make_sink(io.StringIO(), markdown=False), render.PlainSink)


# ---- what a person sees: the terminal's screen, read through a terminal emulator (pyte) ----------

class Terminal(io.TextIOBase):
    """A terminal emulator as the console's file: what it shows, scrolled-off lines included."""

    def __init__(self, cols: int = 80, rows: int = 24) -> None:
        import pyte

        self.cols, self.rows = cols, rows
        self.screen = pyte.HistoryScreen(cols, rows, history=1_000_000, ratio=0.5)
        self._stream = pyte.Stream(self.screen)

    def write(self, text: str) -> int:
        self._stream.feed(text.replace("\n", "\r\n"))  # a tty's output processing (onlcr)
        return len(text)

    def isatty(self) -> bool:
        return True

    def console(self) -> Console:
        return Console(file=self, force_terminal=True, width=self.cols, height=self.rows, color_system="truecolor",
                       highlight=False, soft_wrap=False)

    def lines(self) -> list[str]:
        rows = ["".join(line[x].data for x in range(self.cols)).rstrip() for line in self.screen.history.top]
        rows += [line.rstrip() for line in self.screen.display]
        while rows and not rows[-1]:
            rows.pop()
        return rows


def structured_tokens(cycles: int) -> list[str]:
    """The benchmark's structured reply (a heading, paragraphs with bold and code, a list), each word
    numbered so that a word shown twice or lost is seen."""
    from tests.fakes.openai_fake import STRUCTURED

    tokens: list[str] = []
    for cycle in range(cycles):
        for index, token in enumerate(STRUCTURED):
            tokens.append(token.replace("section", f"section{cycle}").replace("prose", f"prose{cycle}.{index}")
                          .replace("item", f"item{cycle}.{index}"))
        if cycle % 7 == 3:
            tokens += ["```python\n", f"x{cycle} = 1\n", "\n", f"y{cycle} = 2\n", "```\n\n"]
        if cycle % 11 == 5:
            tokens += ["1. first", f"{cycle}\n", "2. second", f"{cycle}\n\n", "---\n\n"]
    return tokens


def whole(text: str) -> list[str]:
    """The reply rendered at once, as it would be without streaming."""
    terminal = Terminal()
    render.render_markdown_once(text, terminal.console())
    return terminal.lines()


def stream(tokens: list[str], refresh_s: float, *, finish: bool = True) -> list[str]:
    terminal = Terminal()
    sink = MarkdownSink(terminal.console())
    sink.REFRESH_EVERY_S = refresh_s
    for token in tokens:
        sink.feed(token)
    if finish:
        sink.finish()
    return terminal.lines()


def words(lines: list[str]) -> list[str]:
    return " ".join(lines).replace("•", " ").split()


@pytest.mark.parametrize("refresh_s", [0.0, 1e9], ids=["redraw-every-chunk", "all-at-the-end"])
@pytest.mark.parametrize("pieces", ["tokens", "random-cuts"])
def test_a_structured_reply_on_a_terminal_looks_like_one_rendering_of_the_whole(refresh_s: float,
                                                                                pieces: str) -> None:
    tokens = structured_tokens(12)
    text = "".join(tokens)
    if pieces == "random-cuts":
        rng = random.Random(5)
        cuts = sorted(rng.sample(range(1, len(text)), 150))
        tokens = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    shown = stream(tokens, refresh_s)
    assert shown == whole(text)
    assert len(shown) > 24 * 4  # scrolled far past one screen
    seen = words(shown)
    numbered = [w for w in seen if any(ch.isdigit() for ch in w) and ("item" in w or "prose" in w)]
    assert len(numbered) == len(set(numbered)) == 12 * 4


@pytest.mark.parametrize("ending", ["- item zq9", "Some **bold zq8", "```python\nx = 1\nzq7 = ", "# Head zq6",
                                    "A paragraph that stops zq5"])
def test_a_reply_that_ends_mid_block_shows_that_block_once(ending: str) -> None:
    tokens = [*structured_tokens(3), *(ending[i:i + 3] for i in range(0, len(ending), 3))]
    text = "".join(tokens)
    for refresh_s in (0.0, 1e9):
        shown = stream(tokens, refresh_s)
        assert shown == whole(text)
        assert sum(line.count(ending[-4:].strip()) for line in shown) == 1


def test_while_streaming_the_screen_never_shows_a_block_twice() -> None:
    """Half-way through a reply (the live region still up), each numbered word is on the screen once
    and in order: the open block is shown below the printed ones, never beside a stale copy of a
    block just printed. The screen is read after every token of a whole cycle."""
    tokens = structured_tokens(3)
    terminal = Terminal()
    sink = MarkdownSink(terminal.console())
    sink.REFRESH_EVERY_S = 0.0
    for stop, token in enumerate(tokens, start=1):
        sink.feed(token)
        if 44 < stop <= 44 * 2 + 6:
            shown = [w for w in words(terminal.lines()) if "item" in w or "prose" in w]
            done = [w for w in words(whole("".join(tokens[:stop]))) if "item" in w or "prose" in w]
            assert shown == done, f"stopped after {token!r}"


def test_an_interrupted_reply_keeps_everything_that_arrived_once_and_in_order() -> None:
    """Ctrl-C ends the turn with `finish()` wherever the stream was (app.one_shot and the REPL)."""
    tokens = structured_tokens(6)
    for stop in (17, 44 * 2 + 25, 44 * 3 + 1):
        shown = stream(tokens[:stop], 0.05)
        assert shown == whole("".join(tokens[:stop]))


# ---- the sink's Markdown (render_markdown): the same segments as rich's own, only cheaper --------

SAMPLES = [
    "A short line with **bold**, *em*, `code`, ~~gone~~ and [a link](https://example.invalid/x).",
    "x" * 59 + " fits",  # exactly the width of 64 columns
    "x" * 60 + " over",  # one column too many: wrapped by rich
    "wide 漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字 chars",
    "a soft\nbreak inside", "a hard  \nbreak inside", "a\ttab inside", "trailing spaces   ",
    "word " * 40,
    "- item with `code`\n- item two " + "y" * 70 + "\n\n  continued",
    "> quoted **text** that is long enough to wrap inside the quote's narrower width, surely",
    "# Heading\n\npara\n\n1. one\n2. two\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |",
    "```python\nx = 1\n```\n\nafter the fence",
    "<div>\nan HTML block\n</div>\n\n[ref]: https://example.invalid/r\n\nsee [ref] and > not a quote",
    "a | b\n--|--\n1 | 2",
    "## Second **level** heading\n\n### Third with `code`\n\n# A first-level heading " + "long " * 12,
    "# 漢字の見出し\n\n###### six   \n\n# **\n\nSetext heading\n==============",
]


@pytest.mark.parametrize("width", [64, 80, 23])
@pytest.mark.parametrize("sample", SAMPLES)
def test_the_sinks_markdown_renders_the_same_segments_as_richs(sample: str, width: int) -> None:
    from rich.markdown import Markdown

    from perspt_doctor.client.render_markdown import markdown

    console = Console(file=io.StringIO(), force_terminal=True, width=width, color_system="truecolor")
    ours = list(console.render(markdown(sample, "monokai"), console.options))
    richs = list(console.render(Markdown(sample, code_theme="monokai", justify="default"), console.options))
    assert ours == richs


def test_a_paragraph_that_fits_skips_richs_wrapping_and_one_that_does_not_is_wrapped(monkeypatch:
                                                                                   pytest.MonkeyPatch) -> None:
    from rich.text import Text

    from perspt_doctor.client.render_markdown import markdown

    wrapped: list[str] = []
    real_wrap = Text.wrap
    monkeypatch.setattr(Text, "wrap", lambda self, *a, **kw: wrapped.append(self.plain) or real_wrap(self, *a, **kw))
    console = Console(file=io.StringIO(), force_terminal=True, width=40)
    list(console.render(markdown("# A heading\n\nshort **one**\n\n- item\n\n" + "long " * 20, "monokai"),
                        console.options))
    assert wrapped == [("long " * 20).strip()]


@pytest.mark.parametrize("sample", [*SAMPLES, "\n\n".join(SAMPLES), "plain words only\n\n- and a list"])
def test_the_parser_without_the_rules_the_text_cannot_use_gives_the_same_tokens(sample: str) -> None:
    from markdown_it import MarkdownIt

    from perspt_doctor.client.render_markdown import parser_for

    full = MarkdownIt().enable("strikethrough").enable("table")
    assert parser_for(sample).parse(sample) == full.parse(sample)


def test_a_block_rule_is_left_out_only_when_its_character_is_absent() -> None:
    from perspt_doctor.client.render_markdown import parser_for

    def active(text: str) -> set[str]:
        return set(parser_for(text).get_active_rules()["block"])

    assert {"table", "reference", "html_block", "blockquote"}.isdisjoint(active("# plain\n\n- words"))
    assert {"table", "reference", "html_block", "blockquote"} <= active("a | b [c] <d> e")
    assert "table" in active("|") and "blockquote" not in active("|")
