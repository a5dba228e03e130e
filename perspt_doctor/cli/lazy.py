"""Click groups: `Group`, whose unknown-command error suggests through perspt's one did-you-mean (click's
own offered `reset` first for `perspt config set`); and the root's `LazyGroup`, whose subcommands are
imported only when used, so `perspt --help` stays cheap, and whose arguments are a prompt when the first
one is not a command (`perspt what is tcp`)."""

from __future__ import annotations

import importlib
from typing import Any

import click

PROMPT_WORDS = "perspt.prompt_words"
"""`ctx.meta` key: the words of a prompt given as arguments (set by `resolve_command`)."""

TYPO_CUTOFF = 0.75
"""How close (difflib's ratio) one word must be to a command name to be taken for a typo of it:
`doctr`, `modles`, `histroy` are; `hi`, `tcp`, `doc` are prompts."""


class Group(click.Group):
    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            from perspt_doctor.suggest import did_you_mean

            close = did_you_mean(exc.command_name, self.list_commands(ctx), limit=1)
            raise click.exceptions.NoSuchCommand(exc.command_name, possibilities=close, ctx=ctx) from None


class LazyGroup(Group):
    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None,
                 short_help: dict[str, str] | None = None, prompt_command: click.Command | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}
        self.short_help_for: dict[str, str] = dict(short_help or {})
        """The line `--help` shows for each subcommand, without importing it."""
        self.prompt_command = prompt_command
        """Run when the arguments are a question, not a command; the words are in `ctx.meta[PROMPT_WORDS]`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            module_name, attr = self.lazy_subcommands[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"{module_name}:{attr} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        """A command name runs that command. Otherwise the arguments are a prompt, unless they are one
        word that looks like a typo of a command name (then: click's `No such command`, with did-you-mean)
        or an option click did not know (then: click's `No such option`)."""
        name = click.utils.make_str(args[0])
        if self.prompt_command is None or ctx.resilient_parsing or name.startswith("-") \
                or self.get_command(ctx, name) is not None:
            return super().resolve_command(ctx, args)
        from perspt_doctor.suggest import did_you_mean

        commands = self.list_commands(ctx)
        close = did_you_mean(name, commands, limit=1, cutoff=TYPO_CUTOFF, prefixes=False)
        if close and self._reads_as_that_command(ctx, close[0], args[1:]):
            raise click.exceptions.NoSuchCommand(name, possibilities=close, ctx=ctx)
        misplaced = [word for word in args[1:] if word in self._option_names()]
        if misplaced:
            raise click.UsageError(f"{misplaced[0]} after the question would be sent as part of it: put the "
                                   f"options first: perspt {misplaced[0]} ... {name} ...", ctx=ctx)
        ctx.meta[PROMPT_WORDS] = [click.utils.make_str(word) for word in args]
        return self.prompt_command.name, self.prompt_command, []

    def _reads_as_that_command(self, ctx: click.Context, command: str, rest: list[str]) -> bool:
        """A near miss of `command` is a typo, not a question, when nothing follows it, when an option
        follows it (`perspt doctr --offline`), or when one of that command's own subcommands does
        (`perspt histroy list`): no question reads like that, and sending it would cost a request."""
        if not rest or any(word.startswith("-") for word in rest):
            return True
        group = self.get_command(ctx, command)
        return isinstance(group, click.Group) and rest[0] in group.list_commands(ctx)

    def _option_names(self) -> set[str]:
        return {opt for param in self.params if isinstance(param, click.Option)
                for opt in (*param.opts, *param.secondary_opts)}

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.short_help_for.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
