"""The root command: chat by default, the seed guide's flags as aliases of the subcommands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import click

from perspt_doctor._version import __version__
from perspt_doctor.cli import complete
from perspt_doctor.cli.app_context import AppContext
from perspt_doctor.cli.lazy import PROMPT_WORDS, LazyGroup
from perspt_doctor.errors import ExitCode

if TYPE_CHECKING:
    from perspt_doctor.client.continuation import ConversationRef
    from perspt_doctor.client.options import ChatOptions

SUBCOMMANDS = {
    "doctor": "perspt_doctor.cli.doctor_cmd:doctor",
    "report": "perspt_doctor.cli.report_cmd:report",
    "triage": "perspt_doctor.cli.triage_cmd:triage",
    "models": "perspt_doctor.cli.models_cmd:models",
    "config": "perspt_doctor.cli.config_cmd:config",
    "keys": "perspt_doctor.cli.keys_cmd:keys",
    "history": "perspt_doctor.cli.history_cmd:history",
    "explain": "perspt_doctor.cli.explain_cmd:explain",
}

SHORT_HELP = {
    "doctor": "Find out why perspt does not work here, and how to fix it.",
    "report": "Write a sanitized Markdown issue report.",
    "triage": "Support: rank root causes across users' reports.",
    "models": "List the models a provider offers (live).",
    "config": "Show, check, create, migrate or reset the config file.",
    "keys": "Store API keys in the OS keyring (or a private key file).",
    "history": "List, show, export, import or clear conversations.",
    "explain": "Show the docs for a check or a topic, offline.",
}

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

HELP = """Chat with LLMs from many providers. Run `perspt doctor` when something does not work.

\b
  perspt                          the interactive chat
  perspt what is tcp              one question (or: perspt -q "what is tcp")
  cat notes.txt | perspt -q "summarize this"
                                  the piped text, a blank line, then the question
  perspt --continue "and udp?"    go on with the latest conversation

Arguments that are not a command are the question. Piped input is text of at most 1 MiB."""

PROMPT = click.Command("prompt", hidden=True, help="The arguments were a question (see `perspt --help`).")
"""What `LazyGroup` resolves a question given as arguments to; the root command itself answers it."""


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"perspt {__version__}")
        ctx.exit(ExitCode.OK)


@click.group(
    cls=LazyGroup,
    lazy_subcommands=SUBCOMMANDS,
    short_help=SHORT_HELP,
    prompt_command=PROMPT,
    invoke_without_command=True,
    subcommand_metavar="[COMMAND [ARGS]... | QUESTION...]",
    context_settings=CONTEXT_SETTINGS,
    help=HELP,
)
@click.option("-q", "--question", "question", metavar="TEXT",
              help="Ask one question, print the answer, exit. Text piped in is sent before it.")
@click.option("-p", "--provider-type", "--provider", "provider", metavar="ID", shell_complete=complete.providers,
              help="Provider: openai, anthropic, google, groq, cohere, xai, deepseek, mistral, openrouter, ollama, "
                   "openai-compatible.")
@click.option("-m", "--model", metavar="NAME", shell_complete=complete.models, help="Model name (case-sensitive).")
@click.option("-k", "--api-key", metavar="KEY",
              help="API key (visible to other users in the process list: prefer `perspt keys set`).")
@click.option("--base-url", metavar="URL", help="Base URL of the provider's API.")
@click.option("-c", "--config", "config_file", metavar="FILE", help="Config file to read.")
@click.option("--no-config", is_flag=True, help="Ignore the config file.")
@click.option("--force-provider", metavar="ID", shell_complete=complete.providers, help="Use this provider whatever the config says.")
@click.option("--force-model", metavar="NAME", help="Use this model whatever the config says.")
@click.option("--stream/--no-stream", default=None, help="Stream the reply as it arrives.")
@click.option("-C", "--continue", "continue_latest", is_flag=True,
              help="Go on with the latest stored conversation (with -q, a question, piped text or the chat).")
@click.option("--conversation", "conversation_id", metavar="ID",
              help="Go on with this stored conversation (an id from `perspt history list`).")
@click.option("--usage", "show_usage", is_flag=True, help="Print each reply's token usage on stderr.")
@click.option("-s", "--system", "system_prompt", metavar="TEXT", help="System prompt for this session.")
@click.option("-o", "--option", "request_options", type=(str, str), multiple=True, metavar="NAME VALUE",
              help="A request option for this run: temperature, top_p, max_tokens, frequency_penalty "
                   "(repeatable; checked like the config file).")
@click.option("-f", "--file", "files", metavar="PATH", multiple=True,
              help="Add a text file's contents to the prompt (repeatable).")
@click.option("--role", metavar="NAME", help="A role from the config's `roles`: its prompt, model and options.")
@click.option("--list-models", is_flag=True, help="Same as `perspt models`.")
@click.option("--test-connection", is_flag=True, help="Check DNS, TLS, key, model and a one-token reply, step by step.")
@click.option("--validate-config", is_flag=True, help="Same as `perspt config validate`.")
@click.option("--fix-issues", is_flag=True, help="With --validate-config: apply the safe fixes.")
@click.option("--dry-run", is_flag=True, help="With --fix-issues: show what would change, change nothing.")
@click.option("-y", "--yes", is_flag=True, help="With --fix-issues: do not ask before moving a key.")
@click.option("--force", is_flag=True, help="With --create-config: replace an existing file (a backup is kept).")
@click.option("--create-config", "--create-default-config", "create_config", is_flag=True,
              help="Same as `perspt config create`.")
@click.option("--setup", "--reconfigure", "setup", is_flag=True, help="Interactive set-up: provider, model, key.")
@click.option("--config-from-env", is_flag=True, help="Same as `perspt config from-env`.")
@click.option("--migrate-config", is_flag=True, help="Same as `perspt config migrate`.")
@click.option("--export-history", metavar="FILE", help="Same as `perspt history export FILE`.")
@click.option("-v", "--verbose", is_flag=True, help="Say more.")
@click.option("--debug", is_flag=True, help="Debug logging, and tracebacks for errors.")
@click.option("--log-level", metavar="LEVEL",
              type=click.Choice(["trace", "debug", "info", "warning", "warn", "error", "critical"],
                                case_sensitive=False),
              help="Log level for the console and the log file.")
@click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Print the version and exit.")
@click.pass_context
def cli(ctx: click.Context, **opts: Any) -> None:
    app = ctx.ensure_object(AppContext)
    _reject_contradictions(opts)
    _reject_undecodable(opts, ctx.meta.get(PROMPT_WORDS) or [])
    flags = app.flags
    flags.provider = opts["force_provider"] or opts["provider"]
    flags.model = opts["force_model"] or opts["model"]
    flags.api_key = opts["api_key"]
    flags.base_url = opts["base_url"]
    flags.config = opts["config_file"]
    flags.no_config = opts["no_config"]
    flags.stream = opts["stream"]
    if opts["system_prompt"] is not None:
        flags.extra["system_prompt"] = opts["system_prompt"]
    for name, raw in opts["request_options"]:
        from perspt_doctor.settings.resolve import request_option

        flags.extra[name] = request_option(name, raw)
    app.verbose = opts["verbose"]
    app.debug = opts["debug"]
    app.log_level = opts["log_level"]
    if flags.api_key:
        from perspt_doctor.redact import register_secret

        register_secret(flags.api_key, "--api-key")
    if ctx.invoked_subcommand is not None and PROMPT_WORDS not in ctx.meta:
        return
    words = ctx.meta.get(PROMPT_WORDS)
    if words:
        if opts["question"] is not None:
            raise click.UsageError("a question both in -q and as arguments: give it once")
        opts["question"] = " ".join(words)
    _run_alias_or_chat(ctx, app, opts)


MODIFIERS = {"fix_issues": ("--fix-issues", ("validate_config",)),
             "dry_run": ("--dry-run", ("validate_config",)),
             "yes": ("--yes", ("validate_config",)),
             "force": ("--force", ("create_config",))}
"""Flags that only modify another flag: `--fix-issues` means nothing without `--validate-config`."""


def _reject_contradictions(opts: dict[str, Any]) -> None:
    if opts["no_config"] and opts["config_file"]:
        raise click.UsageError("--no-config and --config contradict each other: use one of them")
    for name, (flag, needs) in MODIFIERS.items():
        if opts[name] and not any(opts[n] for n in needs):
            wanted = " or ".join("--" + n.replace("_", "-") for n in needs)
            raise click.UsageError(f"{flag} only works with {wanted}")


TEXT_OPTIONS = {"question": "-q", "provider": "--provider", "model": "--model", "api_key": "--api-key",
                "base_url": "--base-url", "force_provider": "--force-provider", "force_model": "--force-model",
                "conversation_id": "--conversation", "system_prompt": "--system", "role": "--role"}
"""Options whose value is text sent or matched as such (file paths may hold any bytes: they are not here)."""


def _reject_undecodable(opts: dict[str, Any], words: list[str]) -> None:
    """A byte that is not UTF-8 in the question or a text option (a terminal set to Latin-1) reaches
    Python as a lone surrogate, which no request can carry: say so before anything is sent."""
    given = [(flag, opts[name]) for name, flag in TEXT_OPTIONS.items() if isinstance(opts[name], str)]
    given += [("-o", value) for pair in opts["request_options"] for value in pair]
    given += [("the question", word) for word in words]
    if not given:
        return
    from perspt_doctor.settings.key_text import undecodable_byte

    for where, text in given:
        bad = undecodable_byte(text)
        if bad is not None:
            raise click.UsageError(f"{where} holds a byte that is not UTF-8 text (0x{bad:02X}): set the terminal's "
                                   "encoding to UTF-8 (LANG=C.UTF-8) and type it again")


LATEST: Literal["latest"] = "latest"
"""`--continue`: the conversation updated last (client.continuation.LATEST; not imported, to keep --help fast)."""


def _resume(opts: dict[str, Any]) -> ConversationRef | None:
    if opts["conversation_id"] is None:
        return LATEST if opts["continue_latest"] else None
    if opts["continue_latest"]:
        raise click.UsageError("--continue and --conversation contradict each other: use one of them")
    from perspt_doctor.client.continuation import parse_ref

    return parse_ref(opts["conversation_id"])


def _invoke_sub(ctx: click.Context, name: str, sub: str | None = None, **kwargs: Any) -> None:
    group = ctx.command
    assert isinstance(group, click.Group)
    command = group.get_command(ctx, name)
    assert command is not None
    if sub is not None:
        assert isinstance(command, click.Group)
        sub_ctx = command.make_context(name, [], parent=ctx, resilient_parsing=True)
        subcommand = command.get_command(sub_ctx, sub)
        assert subcommand is not None
        with sub_ctx:
            sub_ctx.invoke(subcommand, **kwargs)
        return
    ctx.invoke(command, **kwargs)


def _run_alias_or_chat(ctx: click.Context, app: AppContext, opts: dict[str, Any]) -> None:
    if opts["list_models"]:
        _invoke_sub(ctx, "models")
    elif opts["validate_config"]:
        _invoke_sub(ctx, "config", "validate", fix_issues=opts["fix_issues"], dry_run=opts["dry_run"],
                    yes=opts["yes"])
    elif opts["create_config"]:
        _invoke_sub(ctx, "config", "create", force=opts["force"])
    elif opts["setup"]:
        _invoke_sub(ctx, "config", "setup")
    elif opts["config_from_env"]:
        _invoke_sub(ctx, "config", "from-env")
    elif opts["migrate_config"]:
        _invoke_sub(ctx, "config", "migrate")
    elif opts["export_history"]:
        _invoke_sub(ctx, "history", "export", output=opts["export_history"])
    elif opts["test_connection"]:
        from perspt_doctor.client.connection_test import run_connection_test

        ctx.exit(run_connection_test(_chat_options(app)))
    else:
        from perspt_doctor.client.app import run_chat

        options = _chat_options(app, resume=_resume(opts), show_usage=opts["show_usage"], role=opts["role"],
                                files=opts["files"])
        ctx.exit(run_chat(options, question=opts["question"]))


def _chat_options(app: AppContext, resume: ConversationRef | None = None, show_usage: bool = False,
                  role: str | None = None, files: tuple[str, ...] = ()) -> ChatOptions:
    """What the chat takes from the command line: the settings resolved once, --debug, --role, --file."""
    from perspt_doctor.client.options import ChatOptions

    return ChatOptions(settings=app.settings(), debug=app.debug, resume=resume, show_usage=show_usage, role=role,
                       files=files)
