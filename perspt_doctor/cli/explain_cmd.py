"""`perspt explain TOPIC`: a section of the troubleshooting guide or the checks reference, from the
copy installed with perspt (no network, no checkout). Rich Markdown on a terminal, the plain Markdown
text on a pipe; an unknown topic is a usage error (exit 2) with a did-you-mean."""

from __future__ import annotations

import sys

import click

from perspt_doctor.cli.errors import echo
from perspt_doctor.errors import UsageError, UserError


@click.command("explain", help="Show the documentation for a check (`dns.openai`), a category (`dns`), a "
                                "troubleshooting topic (`api-keys`) or a docs link the doctor printed. "
                                "Without TOPIC, list the topics.")
@click.argument("topic", nargs=-1)
def explain(topic: tuple[str, ...]) -> None:
    from perspt_doctor.report import explain as docs

    if not topic:
        echo(_index_text(docs.index()))
        return
    wanted = " ".join(topic)
    try:
        found = docs.find(wanted)
    except docs.UnknownTopic as exc:
        hint = f"did you mean: {', '.join(exc.suggestions)}?" if exc.suggestions else None
        raise UsageError(f"{exc}; `perspt explain` lists the topics", hint=hint) from None
    except OSError as exc:
        raise UserError(f"the documentation is not installed with perspt: {exc}") from None
    _show(docs.to_markdown(found))


def _show(markdown: str) -> None:
    """Rendered by rich on a terminal (colour as the doctor decides it) or with FORCE_COLOR; else as is."""
    from perspt_doctor.report.colour import choose_style

    style = choose_style(sys.stdout)
    if style.width is None and not style.colour:
        echo(markdown, nl=False)
        return
    from rich.console import Console
    from rich.markdown import Markdown

    Console(file=sys.stdout, force_terminal=style.colour, no_color=not style.colour, width=style.width or 100,
            highlight=False, emoji=False).print(Markdown(markdown))


def _index_text(index: dict[str, list[tuple[str, str]]]) -> str:
    width = max(len(topic) for rows in index.values() for topic, _ in rows)
    lines = ["perspt explain TOPIC shows the documentation of a topic, a category of checks or one check",
             "(`perspt explain api-keys`, `perspt explain dns`, `perspt explain dns.openai`).", "",
             "Troubleshooting topics:"]
    lines += [f"  {topic.ljust(width)}  {title}" for topic, title in index["troubleshooting"]]
    lines += ["", "Categories of checks (and their checks; a provider's check id works too, e.g. tls.groq):"]
    lines += [f"  {topic.ljust(width)}  {checks}" for topic, checks in index["checks"]]
    return "\n".join(lines)
