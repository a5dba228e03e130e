"""One clear line for a failed request: what kind of failure, the root cause, and the doctor command
that explains it. Tracebacks are the caller's business (only with --debug)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Failure:
    kind: str
    """authentication, rate_limit, network/tls, ..."""
    provider: str | None
    message: str
    root_cause: str | None
    doctor: str | None
    """The doctor command that diagnoses it, e.g. `perspt doctor --provider openai --only 'tls.*'`."""
    hint: str | None = None
    layer: str | None = None
    """The classifier's layer of the cause (proxy, dns, tcp, tls, http, auth, ...)."""

    def line(self) -> str:
        from perspt_doctor.redact import redact

        text = f"Error ({self.kind}): {self.message}"
        if self.root_cause and self.root_cause.lower() not in self.message.lower():
            text += f" [root cause: {self.root_cause}]"
        if self.doctor:
            text += f" | diagnose: {self.doctor}"
        return redact(text)

    def summary(self) -> str:
        """`kind: message`, for notices that already say which provider it was."""
        from perspt_doctor.redact import redact

        return redact(f"{self.kind}: {self.message}")

    def lines(self) -> list[str]:
        from perspt_doctor.redact import redact

        out = [self.line()]
        if self.hint:
            out.append(redact(f"Hint: {self.hint}"))
        return out


def describe(exc: BaseException, provider: str | None = None) -> Failure:
    """The failure in one line. What failed and which check explains it come from the transport's one
    classifier (`transport/classify.py`), so this line, `--test-connection` and the doctor agree."""
    from perspt_doctor.transport.classify import TLS_LIBRARY_HINT, Kind, classify, tls_library_fault

    if tls_library_fault() is not None:  # nothing below can even be imported: the cause is Python itself
        cause = classify(exc)
        return Failure("runtime", provider, cause.message, None, cause.doctor_command(), TLS_LIBRARY_HINT,
                       cause.layer)
    from perspt_doctor.providers.errors import ModelNotFoundError, NetworkError, ProviderError
    from perspt_doctor.transport.trust import TransportConfigError

    if isinstance(exc, ProviderError):
        pid = exc.provider or provider
        cause = exc.classified()
        kind = exc.kind
        if isinstance(exc, NetworkError):
            kind = "network/stream" if cause.kind is Kind.STREAM_CUT else f"network/{cause.layer}"
            root: str | None = cause.describe()
        else:
            root = _chained_cause(exc)
        message = exc.message
        if isinstance(exc, ModelNotFoundError) and exc.model and exc.model not in message:
            message = f"model '{exc.model}' not found: {message}"
        if exc.status and f"HTTP {exc.status}" not in message:
            message += f" (HTTP {exc.status})"
        return Failure(kind, pid, f"{pid}: {message}" if pid else message, root, cause.doctor_command(pid), exc.hint,
                       cause.layer)
    cause = classify(exc)
    if isinstance(exc, TransportConfigError):
        return Failure("configuration", provider, exc.message, None, cause.doctor_command(provider), exc.hint,
                       cause.layer)
    text = str(exc) or type(exc).__name__
    known = cause.kind is not Kind.UNKNOWN
    root = cause.describe() if known else None
    return Failure(type(exc).__name__, provider, text, root, cause.doctor_command(provider) if known else None, None,
                   cause.layer if known else None)


def _chained_cause(exc: BaseException) -> str | None:
    """What an adapter-made provider error was raised from (invalid JSON, a broken stream), if anything."""
    if exc.__cause__ is None and exc.__context__ is None:
        return None
    from perspt_doctor.transport.classify import Kind, classify

    found = classify(exc)
    if found.kind is Kind.UNKNOWN and found.detail.startswith(type(exc).__name__):
        return None
    return found.describe()
