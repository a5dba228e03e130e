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


def test_a_huge_single_line_is_cut_at_spaces() -> None:
    words = " ".join(f"w{i}" for i in range(3000))
    blocks = split_all(words, 500, max_chars=500)
    assert all(len(b) <= 500 for b in blocks)
    assert " ".join(blocks).split() == words.split()


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
