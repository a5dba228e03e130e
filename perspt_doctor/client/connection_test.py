"""`perspt --test-connection`: DNS, TLS, authentication, model, and a one-token stream, each step
printed as it passes or fails; the first failure names the doctor command that explains it."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from perspt_doctor.client.failures import Failure, describe
from perspt_doctor.errors import ExitCode
from perspt_doctor.providers.model_names import suggest

if TYPE_CHECKING:
    from perspt_doctor.client.options import ChatOptions
    from perspt_doctor.providers.base import Adapter


class StepFailed(Exception):
    def __init__(self, message: str, *, doctor: str | None = None, hint: str | None = None,
                 step: str | None = None) -> None:
        super().__init__(message)
        self.doctor = doctor
        self.hint = hint
        self.step = step
        """The step that really failed, when it is not the one that ran (a refused proxy under Authentication)."""


class Skip(Exception):
    """The step does not apply; the message says why."""


@dataclass
class Printer:
    out: IO[str]

    def line(self, text: str) -> None:
        from perspt_doctor.redact import redact
        from perspt_doctor.textsafe import printable

        self.out.write(printable(redact(text)) + "\n")
        self.out.flush()

    def step(self, verdict: str, name: str, detail: str) -> None:
        self.line(f"  [{verdict:^4}] {name:<15} {detail}")


class ConnectionTest:
    def __init__(self, settings: Any, printer: Printer, *,
                 adapter_factory: Callable[[Any, str], Adapter] | None = None) -> None:
        from perspt_doctor.transport.factory import timeouts_from
        from perspt_doctor.transport.route import route_for

        self.settings = settings
        self.printer = printer
        self.provider: str = settings.provider.value
        self.model: str = settings.model.value
        route = route_for(settings, self.provider)  # the client's own route decision
        self.endpoint = route.endpoint
        self.timeout = timeouts_from(settings).connect
        self.proxy = route.decision.display
        self.proxy_url = route.proxy_url
        self._factory = adapter_factory
        self._adapter: Adapter | None = None
        self.models: list[str] | None = None

    def adapter(self) -> Adapter:
        if self._adapter is None:
            if self._factory is not None:
                self._adapter = self._factory(self.settings, self.provider)
            else:
                from perspt_doctor.providers.registry import make_adapter

                self._adapter = make_adapter(self.settings, self.provider, streaming=True)
        return self._adapter

    def doctor(self, area: str) -> str:
        return f"perspt doctor --provider {self.provider} --only '{area}.*'"

    def _classified(self, exc: BaseException) -> StepFailed:
        """A failed step's line, named by the one classifier (as the chat client and the doctor name it)."""
        from perspt_doctor.transport.classify import Kind, classify

        cause = classify(exc, proxy=self.proxy_url, provider=self.provider)
        hint = None
        if cause.kind is Kind.TLS_UNTRUSTED:
            hint = "behind a TLS-inspecting proxy? set `network.ca_bundle` to its CA, or `network.trust_store` to `system`"
        where = cause.host or self.endpoint.authority
        return StepFailed(f"{where}: {cause.message}", doctor=cause.doctor_command(self.provider), hint=hint)

    # ---- steps ------------------------------------------------------------------------
    async def dns(self) -> str:
        if self.proxy:
            raise Skip(f"requests go through the proxy {self.proxy}, which resolves {self.endpoint.host}")
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(self.endpoint.host, self.endpoint.port,
                                                            type=socket.SOCK_STREAM), self.timeout)
        except (socket.gaierror, OSError) as exc:
            raise self._classified(exc) from exc
        except asyncio.TimeoutError as exc:
            raise StepFailed(f"no DNS answer for {self.endpoint.host} within {self.timeout:g} s",
                             doctor=self.doctor("dns")) from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        shown = ", ".join(addresses[:3]) + (f" (+{len(addresses) - 3})" if len(addresses) > 3 else "")
        return f"{self.endpoint.host} -> {shown}"

    async def tls(self) -> str:
        if not self.endpoint.is_https:
            raise Skip(f"{self.endpoint.scheme}:// URL, no TLS")
        if self.proxy:
            raise Skip("through the proxy: the next step's request checks TLS end to end")
        return await asyncio.get_running_loop().run_in_executor(None, self._handshake)

    def _handshake(self) -> str:
        import ssl

        from perspt_doctor.transport.factory import ssl_context

        try:
            context = ssl_context(self.settings)
            with socket.create_connection((self.endpoint.host, self.endpoint.port), timeout=self.timeout) as raw, \
                    context.wrap_socket(raw, server_hostname=self.endpoint.host) as tls:
                version = tls.version()
                cert = tls.getpeercert() or {}
        except TimeoutError as exc:
            raise StepFailed(f"no connection to {self.endpoint.authority} within {self.timeout:g} s",
                             doctor=self.doctor("tcp")) from exc
        except (ssl.SSLError, OSError) as exc:
            raise self._classified(exc) from exc
        issuer: dict[str, str] = {}
        rdns: Any = cert.get("issuer", ())
        for rdn in rdns:
            for name, value in rdn:
                issuer[str(name)] = str(value)
        by = issuer.get("organizationName") or issuer.get("commonName") or "unknown issuer"
        return f"{version}, certificate issued by {by}"

    async def auth(self) -> str:
        try:
            listing = await self.adapter().list_models()
        except Exception as exc:  # noqa: BLE001 - reported as this step's failure
            raise self._failed(describe(exc, self.provider)) from exc
        self.models = sorted(m.id for m in listing.models)
        return f"key accepted; {len(self.models)} models listed"

    async def model_present(self) -> str:
        if self.models is None:
            raise Skip("no model list")
        if self.model in self.models:
            return f"{self.model} is available"
        close = suggest(self.model, self.models)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise StepFailed(f"no model '{self.model}' at {self.provider}", doctor=self.doctor("model"),
                         hint=f"{hint}`perspt models --provider {self.provider}` lists them")

    async def stream(self) -> str:
        from perspt_doctor.providers.base import ChatRequest, Message

        request = ChatRequest(model=self.model, messages=[Message("user", "Reply with the word OK.")], max_tokens=1)
        started = time.perf_counter()
        first: float | None = None
        chunks = 0
        try:
            async for chunk in self.adapter().stream(request):
                chunks += 1
                if first is None and (chunk.text or chunk.finish_reason):
                    first = time.perf_counter() - started
        except Exception as exc:  # noqa: BLE001 - reported as this step's failure
            raise self._failed(describe(exc, self.provider)) from exc
        if first is None:
            raise StepFailed("the stream ended without any token", doctor=self.doctor("http"))
        return f"first token after {first * 1000:.0f} ms ({chunks} chunk{'s' if chunks != 1 else ''})"

    @staticmethod
    def _failed(failure: Failure) -> StepFailed:
        message = failure.message
        if failure.root_cause and failure.root_cause.lower() not in message.lower():
            message += f" [root cause: {failure.root_cause}]"
        step = "Proxy" if failure.layer == "proxy" else None
        return StepFailed(message, doctor=failure.doctor, hint=failure.hint, step=step)

    async def run(self) -> int:
        from perspt_doctor.redact import mask

        key = self.settings.key_for(self.provider)
        self.printer.line(f"Testing {self.provider} with model {self.model}")
        self.printer.line(f"  base URL   {self.endpoint.base_url} ({self.endpoint.origin})")
        self.printer.line(f"  key        {mask(key.value) + ' (' + key.origin + ')' if key.value else 'not set'}")
        if self.proxy:
            self.printer.line(f"  proxy      {self.proxy}")
        steps: list[tuple[str, Callable[[], Awaitable[str]]]] = [
            ("DNS", self.dns), ("TLS", self.tls), ("Authentication", self.auth), ("Model", self.model_present),
            ("Stream", self.stream)]
        try:
            for index, (name, step) in enumerate(steps):
                started = time.perf_counter()
                try:
                    detail = await step()
                except Skip as why:
                    self.printer.step("skip", name, str(why))
                    continue
                except StepFailed as failed:
                    name = failed.step or name
                    self.printer.step("FAIL", name, str(failed))
                    if failed.hint:
                        self.printer.line(f"{'':23}hint: {failed.hint}")
                    if failed.doctor:
                        self.printer.line(f"{'':23}diagnose: {failed.doctor}")
                    for later, _ in steps[index + 1:]:
                        self.printer.step("skip", later, f"not run: {name} failed")
                    self.printer.line(f"Connection test failed at {name}.")
                    return ExitCode.FAILURE
                elapsed = (time.perf_counter() - started) * 1000
                self.printer.step("ok", name, f"{detail} ({elapsed:.0f} ms)")
        finally:
            if self._adapter is not None:
                await self._adapter.aclose()
        self.printer.line("Connection test passed.")
        return ExitCode.OK


def run_connection_test(options: ChatOptions, out: IO[str] | None = None) -> int:
    from perspt_doctor.client.app import check_provider

    check_provider(options.settings)
    return asyncio.run(ConnectionTest(options.settings, Printer(out or sys.stdout)).run())
