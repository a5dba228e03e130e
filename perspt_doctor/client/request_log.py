"""The log records of the chat's requests: one ERROR record per failed request (the cause's kind, the
provider, the endpoint, the HTTP status and how long it took), so that `grep -i error perspt.log` and
`perspt report`'s "Last errors in the log" find them. Every record passes the log handlers' redactor;
none holds a request or reply body."""

from __future__ import annotations

from perspt_doctor.client.failures import Failure
from perspt_doctor.logs import get_logger

log = get_logger("client")


def endpoint_of(exc: BaseException, fallback: str | None) -> str | None:
    """The URL the failed request went to: the classified cause's, else the adapter's base URL."""
    cause = getattr(exc, "cause", None)
    url = getattr(cause, "url", None) or getattr(exc, "url", None)
    return str(url) if url else fallback


def log_failure(failure: Failure, exc: BaseException, *, provider: str, model: str, endpoint: str | None,
                seconds: float, final: bool) -> None:
    """One ERROR record (WARNING when a fallback route follows) for a request that failed."""
    from perspt_doctor.transport.classify import classify

    cause = exc.classified() if hasattr(exc, "classified") else classify(exc)
    status = getattr(exc, "status", None) or cause.status
    log.log(40 if final else 30,
            "request failed: kind=%s provider=%s model=%s endpoint=%s status=%s duration=%.2fs: %s",
            cause.kind.value, provider, model, endpoint or "-", status if status else "-", seconds,
            failure.summary())
