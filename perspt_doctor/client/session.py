"""One chat session: the conversation, the providers that may answer, and the history store.

`ask()` runs one turn through the fallback routes, feeding text to a sink as it arrives. A turn
that is cancelled (Ctrl+C) or fails midway keeps what arrived, in the conversation and in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from perspt_doctor.client.conversation import Conversation, Sampling
from perspt_doctor.client.failures import Failure, describe
from perspt_doctor.client.fallback import Cooldown, FallbackRoute, build_routes, default_model
from perspt_doctor.client.render import OutputLost, Sink, showing
from perspt_doctor.client.request_log import endpoint_of, log_failure
from perspt_doctor.client.roles import Role
from perspt_doctor.client.usage import UsageTotals
from perspt_doctor.providers.base import Adapter, ChatRequest, Usage
from perspt_doctor.providers.model_names import suggest

if TYPE_CHECKING:
    from perspt_doctor.providers.retry import Waiter

log = logging.getLogger(__name__)

AdapterFactory = Callable[[Any, str, bool], Adapter]


def registry_factory(settings: Any, provider: str, streaming: bool) -> Adapter:
    from perspt_doctor.providers.registry import make_adapter

    return make_adapter(settings, provider, streaming=streaming)


@dataclass
class Skipped:
    route: FallbackRoute
    failure: Failure


@dataclass
class TurnResult:
    text: str
    status: str
    """complete, interrupted or error"""
    route: FallbackRoute | None = None
    usage: Usage | None = None
    failure: Failure | None = None
    error: BaseException | None = None
    skipped: list[Skipped] = field(default_factory=list)


class TurnFailed(Exception):
    def __init__(self, result: TurnResult) -> None:
        super().__init__(result.failure.line() if result.failure else "the request failed")
        self.result = result


class ChatSession:
    def __init__(self, settings: Any, *, streaming: bool, store: Any | None = None,
                 adapter_factory: AdapterFactory = registry_factory,
                 notify: Callable[[str], None] | None = None, retry_wait: Waiter | None = None,
                 cooldown: Cooldown | None = None) -> None:
        self.settings = settings
        self.streaming = streaming
        self.store = store
        self._factory = adapter_factory
        self._notify = notify or (lambda line: None)
        self._retry_wait = retry_wait
        self.provider: str = settings.provider.value
        self.model: str = settings.model.value
        self.sampling = Sampling.from_settings(settings)
        self.conversation = Conversation(system_prompt=settings.get("system_prompt"),
                                         history_limit=settings.integer("conversation_history_limit"))
        self.conversation_id: int | None = None
        self._adapters: dict[str, Adapter] = {}
        self.last: TurnResult | None = None
        self.usage = UsageTotals()
        """This session's token usage (the REPL's `/usage`)."""
        self.show_usage = False
        """`--usage`: each turn says what it cost, on stderr."""
        self.cooldown = cooldown or Cooldown()
        self.role: str | None = None
        self.models_seen: list[str] = []
        """Model names of the last model list (for completion)."""
        self._model_of: dict[str, str] = {}
        """The model last used with each provider this session (`/provider X` brings it back)."""
        self.attachments = ""
        """Files given with -f, sent before the first message of the REPL."""
        self._after_reply: list[str] = []

    # ---- providers -------------------------------------------------------------------
    def adapter(self, provider: str) -> Adapter:
        if provider not in self._adapters:
            adapter = self._factory(self.settings, provider, self.streaming)
            if self._retry_wait is not None and hasattr(adapter, "wait"):
                adapter.wait = self._retry_wait  # HTTPAdapter: the waits before a retry are shown
            self._adapters[provider] = adapter
        return self._adapters[provider]

    def routes(self) -> list[FallbackRoute]:
        return build_routes(self.settings, self.provider, self.model)

    async def aclose(self) -> None:
        adapters, self._adapters = list(self._adapters.values()), {}
        for adapter in adapters:
            try:
                await adapter.aclose()
            except Exception:  # noqa: BLE001 - closing must not hide the real outcome
                log.debug("closing an adapter failed", exc_info=True)

    async def list_models(self, provider: str | None = None) -> list[str]:
        listing = await self.adapter(provider or self.provider).list_models()
        names = sorted(m.id for m in listing.models)
        if (provider or self.provider) == self.provider:
            self.models_seen = names
        return names

    async def switch_provider(self, provider: str) -> None:
        old = self._adapters.pop(self.provider, None) if provider != self.provider else None
        if old is not None:
            await old.aclose()
        self._model_of[self.provider] = self.model
        self.provider = provider
        self.model = self._model_of.get(provider) or default_model(provider) or self.model

    # ---- the conversation ------------------------------------------------------------
    def apply_role(self, role: Role, *, flags_win: bool = False) -> None:
        """Use a role's provider, model, options and system prompt; with `flags_win`, what the command
        line gave explicitly stays (`perspt --role r -m X`)."""
        from perspt_doctor import catalog

        flags = self.settings.flags
        if role.provider and not (flags_win and flags.provider):
            self.provider = catalog.resolve_provider(role.provider, f"roles.{role.name}.provider")
            self.model = default_model(self.provider) or self.model
        if role.model and not (flags_win and flags.model):
            self.model = role.model
        sampling = Sampling.from_settings(self.settings)
        for key, value in role.sampling.items():
            if not (flags_win and key in flags.extra):
                setattr(sampling, key, value)
        self.sampling = sampling
        if role.system_prompt and not (flags_win and "system_prompt" in flags.extra):
            self.set_system_prompt(role.system_prompt)
        self.role = role.name

    def undo(self) -> str | None:
        """Drop the last exchange, from the conversation the model sees and from the stored one;
        returns its question."""
        question = self.conversation.drop_last_exchange()
        if question is not None and self.conversation_id is not None:
            self._store_call("drop_last_exchange", self.conversation_id)
        return question

    def new_conversation(self) -> None:
        self.conversation.clear()
        self.conversation_id = None

    def resume(self, stored: Any) -> None:
        """Go on with a stored conversation (a `history.Conversation`): its answered turns become the
        context, its provider and model are used unless the command line named others, its system prompt
        unless the command line gave one, and new turns are appended to it in the store."""
        from perspt_doctor.settings.sources import Source

        self.conversation.clear()
        self.conversation.extend_answered((m.role, m.content) for m in stored.messages)
        self.conversation_id = stored.id
        if stored.system_prompt and self.settings.resolved("system_prompt").source != Source.FLAG:
            self.conversation.system_prompt = stored.system_prompt
        if stored.provider and stored.model and self.settings.provider.source != Source.FLAG \
                and self.settings.model.source != Source.FLAG:
            self.provider, self.model = stored.provider, stored.model

    def set_system_prompt(self, prompt: str | None) -> None:
        self.conversation.system_prompt = prompt or None
        if self.conversation_id is not None:
            self._store_call("set_system_prompt", self.conversation_id, self.conversation.system_prompt)

    async def ask(self, text: str, sink: Sink) -> TurnResult:
        """One turn. Raises CancelledError (after saving the partial reply) when cancelled,
        TurnFailed when no route produced a reply."""
        from perspt_doctor.client.history_store import StoredMessage

        self.conversation.add("user", text)
        self._record(StoredMessage("user", text))
        result = TurnResult(text="", status="error")
        routes = self.cooldown.usable(self.routes())
        for index, route in enumerate(routes):
            pieces: list[str] = []
            started = time.monotonic()
            try:
                usage, finish = await self._run(route, sink, pieces)
            except (asyncio.CancelledError, OutputLost):
                self._finish(TurnResult("".join(pieces), "interrupted", route, skipped=result.skipped))
                raise
            except Exception as exc:  # noqa: BLE001 - every failure is described, none swallowed
                failure = await self._describe(exc, route)
                partial = "".join(pieces)
                has_next = index + 1 < len(routes)
                adapter = self._adapters.get(route.provider)
                log_failure(failure, exc, provider=route.provider, model=route.model,
                            endpoint=endpoint_of(exc, getattr(adapter, "base_url", None)),
                            seconds=time.monotonic() - started,
                            final=bool(partial) or route.on_failure == "fail" or not has_next)
                if partial or route.on_failure == "fail" or not has_next:
                    self._finish(TurnResult(partial, "error", route, failure=failure, error=exc,
                                            skipped=result.skipped))
                    raise TurnFailed(self.last or result) from exc
                result.skipped.append(Skipped(route, failure))
                self.cooldown.failed(route)
                following = routes[index + 1]
                self._notify(f"{route.provider}/{route.model} failed ({failure.summary()}); trying "
                             f"{following.provider}/{following.model} ({following.origin})")
                continue
            done = TurnResult("".join(pieces), "complete", route, usage, skipped=result.skipped)
            self.cooldown.answered(route)
            if result.skipped:
                reasons = "; ".join(f"{s.route.provider} skipped: {s.failure.kind}" for s in result.skipped)
                # said after the reply is shown, on its own line, not into the live region
                self._after_reply.append(
                    f"answered by {route.provider}/{route.model} ({route.origin}); {reasons}; this session "
                    f"uses the fallback for {self.cooldown.seconds:.0f} s before trying "
                    f"{', '.join(s.route.provider for s in result.skipped)} again")
            if not done.text:  # said, or the user sees nothing at all and wonders
                why = f" (finish reason: {finish})" if finish else ""
                self._after_reply.append(f"{route.provider}/{route.model} sent an empty reply{why}")
            self._finish(done)
            return done
        raise AssertionError("unreachable: the last route always fails hard")

    def say_pending(self) -> None:
        """The notices held back while a reply was shown: called once the reply is finished."""
        pending, self._after_reply = self._after_reply, []
        for line in pending:
            self._notify(line)

    async def _run(self, route: FallbackRoute, sink: Sink, pieces: list[str]) -> tuple[Usage | None, str | None]:
        """The reply, fed to `sink` and kept in `pieces`: (its usage, its finish reason)."""
        adapter = self.adapter(route.provider)
        request: ChatRequest = self.conversation.request(route.model, self.sampling)
        from perspt_doctor.redact import StreamRedactor, redact_known

        feed = showing(sink.feed)
        if not self.streaming:
            response = await adapter.chat(request)
            text = redact_known(response.text)
            pieces.append(text)
            feed(text)
            return response.usage, response.finish_reason
        usage: Usage | None = None
        finish: str | None = None
        append = pieces.append
        # A reply that echoes a known key (one the user set, or one of its encodings) shows and keeps
        # [REDACTED] instead; a key split across chunks is caught by holding back a possible start.
        guard = StreamRedactor()
        stream = adapter.stream(request)
        try:
            async for chunk in stream:
                if chunk.text:
                    text = guard.feed(chunk.text)
                    if text:
                        append(text)
                        feed(text)
                if chunk.usage is not None:
                    usage = chunk.usage
                if chunk.finish_reason:
                    finish = chunk.finish_reason
        finally:
            try:
                rest = guard.flush()
                if rest:
                    append(rest)
                    feed(rest)
            finally:
                # Cancelled or failed: close the response now, so the connection stops at once.
                close = getattr(stream, "aclose", None)
                if close is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.shield(asyncio.wait_for(close(), timeout=5))
        return usage, finish

    async def _describe(self, exc: BaseException, route: FallbackRoute) -> Failure:
        from perspt_doctor.providers.errors import ModelNotFoundError

        if isinstance(exc, ModelNotFoundError) and not exc.suggestions:
            try:
                names = await asyncio.wait_for(self.list_models(route.provider), timeout=10)
            except Exception:  # noqa: BLE001 - suggestions are a bonus
                names = []
            exc.with_suggestions(suggest(route.model, names))
            if exc.model is None:
                exc.model = route.model
        return describe(exc, route.provider)

    # ---- history ---------------------------------------------------------------------
    def _finish(self, result: TurnResult) -> None:
        from perspt_doctor.client.history_store import StoredMessage

        self.last = result
        if result.text or result.status == "complete":
            self.usage.add_usage(result.usage)
        if result.text:
            self.conversation.add("assistant", result.text)
        else:
            self.conversation.drop_last_user()
        if result.text or result.status != "complete":
            usage = result.usage
            self._record(StoredMessage(
                "assistant", result.text, provider=result.route.provider if result.route else None,
                model=result.route.model if result.route else None, status=result.status,
                error=result.failure.line() if result.failure else None,
                input_tokens=usage.input_tokens if usage else None,
                output_tokens=usage.output_tokens if usage else None))

    def _record(self, message: Any) -> None:
        if self.store is None:
            return
        if self.conversation_id is None:
            cid = self._store_call("start_conversation", provider=self.provider, model=self.model,
                                   system_prompt=self.conversation.system_prompt)
            if cid is None:
                return
            self.conversation_id = cid
            keep = self.settings.get("resource_limits.max_history_size")
            if isinstance(keep, int) and keep > 0:
                self._store_call("prune", keep)
        self._store_call("add_message", self.conversation_id, message)

    def _store_call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The history is a convenience: if it breaks, say so once and go on chatting."""
        import sqlite3

        from perspt_doctor.client.history_store import HistoryError

        if self.store is None:
            return None
        try:
            return getattr(self.store, name)(*args, **kwargs)
        except (HistoryError, sqlite3.Error, OSError) as exc:
            self._notify(f"history disabled for this session: {exc}")
            self.store = None
            return None
