"""live.<provider> (only with --live): a one-token streamed chat with the configured model through the
client's own streaming adapter, timing the first token. It is the only probe that spends tokens, so it
is billable on paid providers, and a plain run skips it.

Category `model`: everything before it has proven the network path and the key; what a real chat adds
is whether this model answers this account (access, region, the chat endpoint, the stream), which is
a question about the model."""

from __future__ import annotations

import time
from typing import Any

from perspt_doctor import api
from perspt_doctor.api import (
    PROVIDERS,
    CheckContext,
    Result,
    check,
    mask,
)

DOCS = "docs/troubleshooting.md#live-request"
PROMPT = "Reply with the single word OK."


def billable(pid: str, settings: Any) -> bool:
    """A cloud provider bills the key whatever the endpoint (a local gateway still forwards); only Ollama
    and an OpenAI-compatible server on this machine cost nothing."""

    if pid == "ollama":
        return False
    if pid != "openai-compatible":
        return True
    try:
        return not api.route_for(settings, pid).endpoint.is_loopback
    except Exception:  # noqa: BLE001 - when in doubt, say it may cost
        return True


@check("live.{provider}", "One-token chat with {provider} (--live, billable)", "model", per_provider=True,
       needs_network=True, timeout=45, depends_on=("http.{provider}", "model.{provider}"), docs=DOCS)
async def live_chat(ctx: CheckContext) -> Result:
    """Sends one real chat request with the configured model and a one-token answer limit, and times the
    first token. Only with `--live`.

    Streams through the client's own adapter (retries off), the only doctor probe that spends tokens: it
    is billable on paid providers, free for Ollama and for an OpenAI-compatible server on this machine. It
    answers what the models list cannot: whether this model really chats with this account (access,
    region, the chat endpoint, the stream).

    ok: the model answered; the summary gives the time to the first token and in all. A stream without
      text is fine too (a reasoning model may spend its one token thinking).
    warn: the provider rate limits the key, or answered with a fault on its side. Fix: wait and retry.
    fail: the provider does not serve this model to this key for chat (with did-you-mean). Fix: pick a
      model from `perspt models --provider PROVIDER`.
    fail: the provider refused the request as malformed, the stream broke the protocol, or the key was
      rejected, denied or out of quota, or the request failed (as in `auth.{provider}`). Fix: the hint
      says which.
    fail: the HTTP client cannot be built from the settings.
    skip: not run without `--live`, or no model is configured for the provider.
    """

    assert ctx.provider is not None
    pid = ctx.provider
    if not ctx.live:
        return Result.skip("not run: --live sends one real chat request (one output token; billable on paid "
                           "providers)", docs=DOCS)
    wanted = api.wanted_models(ctx.settings, pid)
    if not wanted:
        return Result.skip(f"no model is configured for {pid}", docs=DOCS)
    model = wanted[0].model
    costs = billable(pid, ctx.settings)
    facts: dict[str, Any] = {"model": model, "billable": costs}
    timeout = ctx.bounded(max(api.probe_timeout(ctx), 30.0), reserve=0.4)
    try:
        adapter = api.make_adapter(ctx.settings, pid, streaming=True, total_timeout=timeout)
    except api.TransportConfigError as exc:
        return Result.fail(f"cannot build the HTTP client: {exc.message}", hint=exc.hint, facts=facts, docs=DOCS)
    api.no_retries(adapter, timeout)
    request = api.ChatRequest(model=model, messages=[api.Message("user", PROMPT)], max_tokens=1)
    started = time.perf_counter()
    first_chunk: float | None = None
    first_text: float | None = None
    text = ""
    finish: str | None = None
    output_tokens: int | None = None
    try:
        async for chunk in adapter.stream(request):
            now = time.perf_counter()
            first_chunk = first_chunk if first_chunk is not None else now
            if chunk.text:
                first_text = first_text if first_text is not None else now
                text += chunk.text
            if chunk.finish_reason:
                finish = chunk.finish_reason
            if chunk.usage is not None and chunk.usage.output_tokens is not None:
                output_tokens = chunk.usage.output_tokens
    except api.ProviderError as exc:
        facts["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return _failed(ctx, pid, model, exc, facts)
    finally:
        await adapter.aclose()
    total_ms = round((time.perf_counter() - started) * 1000, 1)
    facts.update({"total_ms": total_ms, "finish_reason": finish, "output_tokens": output_tokens,
                  "ttft_ms": round((first_text - started) * 1000, 1) if first_text is not None else None,
                  "first_chunk_ms": round((first_chunk - started) * 1000, 1) if first_chunk is not None else None})
    cost = "billable: one request, a handful of tokens" if costs else "local: no cost"
    if first_text is None:
        return Result.ok(f"{model} answered the stream without text within the 1-token limit (finish: {finish}; "
                         f"{total_ms:.0f} ms; {cost})", facts=facts, docs=DOCS,
                         details=["a reasoning model can spend its only token thinking; the stream itself worked"])
    return Result.ok(f"{model} answered: first token after {facts['ttft_ms']:.0f} ms, done in {total_ms:.0f} ms "
                     f"({cost})", facts=facts, docs=DOCS)


def _failed(ctx: CheckContext, pid: str, model: str, error: api.ProviderError, facts: dict[str, Any]) -> Result:
    name = api.display_name(pid)
    if isinstance(error, api.ModelNotFoundError):
        also = f"; did you mean {', '.join(error.suggestions)}?" if error.suggestions else ""
        return Result.fail(f"{name} does not serve {model!r} to this key for chat{also}", hint=error.hint,
                           details=[f"{name} said: {error.message}"], facts=facts,
                           docs="docs/troubleshooting.md#model-not-available")
    if isinstance(error, api.ContextTooLongError | api.BadRequestError):
        return Result.fail(f"{name} refused the chat request with {model}: {error.message}", hint=error.hint,
                           facts=facts, docs=DOCS)
    if isinstance(error, api.BadResponseError) and error.status and error.status < 400:
        return Result.fail(f"the stream from {name} broke the protocol: {error.message}", hint=error.hint,
                           facts=facts, docs=DOCS)
    lookup = ctx.settings.key_for(pid)
    spec = PROVIDERS[pid]
    probe = api.ModelsProbe(pid, ctx.settings.base_url_for(pid).value or spec.base_url,
                        lookup.origin if lookup.is_set else "no key", lookup.source.label if lookup.is_set else "none",
                        None, error=error)
    if lookup.is_set:

        probe.key_last4 = mask(str(lookup.value))
    verdict = api.auth_verdict(probe)
    verdict.summary = f"chat with {model}: {verdict.summary}"
    verdict.facts = {**facts, **{k: v for k, v in verdict.facts.items() if k not in ("url",)}}
    verdict.docs = DOCS
    return verdict
