"""Reading many reports at a bounded memory cost: paths go to worker processes in chunks, each
worker reads and parses its reports and sends back only their summaries (`triage.summarize`), and
the summaries come back in the order of the paths, a few chunks ahead at most.

`render(report, raw_bytes) -> str`, when given, is called where the report is read (in the worker)
and its text travels in the summary: the costly part of an output (its per-report JSON, redacted)
is made in parallel too. It must be a module-level function, so that it can be sent to a worker.

Few files, or `jobs=1`, are read in this process: starting workers would cost more than it saves.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path

from perspt_doctor.report.triage import (
    ReportFormatError,
    ReportSummary,
    Skipped,
    Triage,
    TriagedReport,
    parse_report_bytes,
    read_report_bytes,
    summarize,
)

CHUNK = 32
AHEAD_PER_WORKER = 4
Item = ReportSummary | Skipped
Render = Callable[[TriagedReport, bytes], str]


def summarize_path(path: str, render: Render | None = None) -> Item:
    """One report, read, parsed and reduced to its summary (with its rendered text when asked)."""
    try:
        raw = read_report_bytes(Path(path))
        report = parse_report_bytes(path, raw)
    except ReportFormatError as exc:
        return Skipped(path, str(exc))
    return summarize(report, render(report, raw) if render is not None else "")


def _summarize_chunk(paths: list[str], render: Render | None) -> list[Item]:
    return [summarize_path(path, render) for path in paths]


def _worker_setup() -> None:
    """Ctrl-C is the main process's to handle: it stops handing out chunks and the workers finish theirs."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_jobs() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def iter_reports(paths: Iterable[Path | str], *, jobs: int | None = None, render: Render | None = None,
                 chunk: int = CHUNK) -> Iterator[Item]:
    """Each path's summary or skip reason, in the order of `paths`."""
    workers = default_jobs() if jobs is None else max(jobs, 1)
    names = (str(path) for path in paths)
    first = list(islice(names, chunk * 2))
    if workers == 1 or len(first) < chunk * 2:
        for name in first:
            yield summarize_path(name, render)
        for name in names:
            yield summarize_path(name, render)
        return
    chunks = _chunks(first, names, chunk)
    try:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_setup)
    except (OSError, NotImplementedError, ImportError):  # no process pools here (no /dev/shm, a sandbox)
        for paths_chunk in chunks:
            yield from _summarize_chunk(paths_chunk, render)
        return
    with pool:
        pending: deque[Future[list[Item]]] = deque()
        for paths_chunk in chunks:
            pending.append(pool.submit(_summarize_chunk, paths_chunk, render))
            if len(pending) >= workers * AHEAD_PER_WORKER:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _chunks(first: list[str], rest: Iterator[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(first), size):
        yield first[start:start + size]
    while True:
        piece = list(islice(rest, size))
        if not piece:
            return
        yield piece


def triage_files(paths: Iterable[Path], *, jobs: int | None = 1) -> Triage:
    """Every report read and summarized, held in memory (see `Triage`)."""
    result = Triage()
    for item in iter_reports(paths, jobs=jobs):
        if isinstance(item, Skipped):
            result.skipped.append(item)
        else:
            result.reports.append(item)
    return result
