"""What a run produced: one Outcome per check, and the DoctorRun that aggregates them."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from perspt_doctor.engine.check_model import Check, Result, Status
from perspt_doctor.errors import ExitCode

STATUS_ORDER: tuple[Status, ...] = (Status.OK, Status.WARN, Status.FAIL, Status.SKIP, Status.ERROR)


@dataclass
class Outcome:
    check: Check
    result: Result
    duration_ms: int = 0
    depends_on: tuple[str, ...] = ()
    """The concrete ids this check waited for."""
    blocked_by: str | None = None
    """For a skip caused by a failed dependency: the id of the check that failed first."""
    suppressed: bool = False

    @property
    def id(self) -> str:
        return self.check.id

    @property
    def status(self) -> Status:
        return self.result.status

    @property
    def public_facts(self) -> Any:
        """The facts as every output shows them (JSON, --verbose, run history, reports): redacted, values
        under secret-like names hidden, cyclic or runaway structures cut. The one place facts leave the
        engine; checks and fixes still read `result.facts` as the check wrote them."""
        from perspt_doctor.redact import redact_facts

        return redact_facts(self.result.facts)

    @property
    def counts_as_problem(self) -> bool:
        return not self.suppressed and self.status in (Status.WARN, Status.FAIL, Status.ERROR)


@dataclass
class DoctorRun:
    started_at: _dt.datetime
    duration_ms: int
    offline: bool
    outcomes: list[Outcome]
    providers: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    """The options that shaped this run (for the JSON document and run history)."""
    disabled_sources: list[str] = field(default_factory=list)
    config_path: str | None = None
    suppress_patterns: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Counts by status; suppressed rows are counted separately, not under their status."""
        counts = {s.value: 0 for s in STATUS_ORDER}
        for outcome in self.outcomes:
            if not outcome.suppressed:
                counts[outcome.status.value] += 1
        return counts

    @property
    def suppressed_count(self) -> int:
        return sum(1 for o in self.outcomes if o.suppressed)

    @property
    def summary_status(self) -> str:
        counts = self.counts
        for status in ("fail", "error", "warn"):
            if counts[status]:
                return status
        return "ok"

    def exit_code(self, *, strict: bool = False) -> ExitCode:
        """OK fine; FAILURE a failure (or, with --strict, a warning); CHECK_ERROR no failure but a check
        could not finish."""
        counts = self.counts
        if counts["fail"]:
            return ExitCode.FAILURE
        if counts["error"]:
            return ExitCode.CHECK_ERROR
        if strict and counts["warn"]:
            return ExitCode.FAILURE
        return ExitCode.OK

    def by_id(self) -> dict[str, Outcome]:
        return {o.id: o for o in self.outcomes}

    def problems(self) -> Iterable[Outcome]:
        return (o for o in self.outcomes if o.counts_as_problem)
