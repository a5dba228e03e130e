"""Reading many reports at a bounded memory cost: paths go to worker processes in chunks, each
worker reads and parses its reports and sends back, for each run of readable reports, one `Batch`: their
counts (a `Tally`), their output text joined, and their summaries only when asked. What the main process
does per report is nothing but write; the batches come back in the order of the paths, a few chunks ahead
at most.

`render(summary, report, raw_bytes) -> str`, when given, is called where the report is read (in the
worker): the costly part of an output (its per-report JSON, redacted) is made in parallel too. It must be
a module-level function, so that it can be sent to a worker. The text travels as UTF-8 bytes (cheaper to
send than a str), or as the str itself when it cannot be encoded (a lone surrogate from a JSON escape),
so that writing it fails, or not, as writing the str would.

Few files, or `jobs=1`, are read in this process: starting workers would cost more than it saves.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice

from perspt_doctor.report.triage import (
    ReportFormatError,
    ReportSummary,
    Skipped,
    Tally,
    Triage,
    TriagedReport,
    parse_report_bytes,
    read_report_bytes,
    summarize,
)

CHUNK = 64
AHEAD_PER_WORKER = 3
Item = ReportSummary | Skipped
Render = Callable[[ReportSummary, TriagedReport, bytes], str]


@dataclass(frozen=True)
class Batch:
    """Readable reports that follow each other in the order of the paths."""

    tally: Tally
    data: bytes | str = b""
    """Their rendered texts, joined: UTF-8 bytes, or a str that UTF-8 cannot encode."""
    summaries: tuple[ReportSummary, ...] = ()
    """Their summaries, when the reader was asked to keep them."""


def read_path(path: str) -> tuple[ReportSummary, TriagedReport, bytes] | Skipped:
    """One report, read, parsed and reduced to its summary, or the reason it was skipped."""
    try:
        raw = read_report_bytes(path)
        report = parse_report_bytes(path, raw)
    except ReportFormatError as exc:
        return Skipped(path, str(exc))
    return summarize(report), report, raw


def read_chunk(paths: list[str], render: Render | None, keep: bool) -> list[Batch | Skipped]:
    """The chunk's reports as batches, with the skipped files between them where they fall."""
    out: list[Batch | Skipped] = []
    run: list[tuple[ReportSummary, str]] = []
    for path in paths:
        item = read_path(path)
        if isinstance(item, Skipped):
            out += [*_batch(run, keep), item]
            run = []
        else:
            summary, report, raw = item
            run.append((summary, render(summary, report, raw) if render is not None else ""))
    out += _batch(run, keep)
    return out


def _batch(run: list[tuple[ReportSummary, str]], keep: bool) -> list[Batch]:
    if not run:
        return []
    tally = Tally()
    for summary, _text in run:
        tally.add(summary)
    summaries = tuple(summary for summary, _text in run) if keep else ()
    return [Batch(tally, _encoded("".join(text for _summary, text in run)), summaries)]


def _encoded(text: str) -> bytes | str:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text


def _worker_setup() -> None:
    """Ctrl-C is the main process's to handle: it stops handing out chunks and the workers finish theirs."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_jobs() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def iter_batches(paths: Iterable[os.PathLike[str] | str], *, jobs: int | None = None, render: Render | None = None,
                 keep: bool = False, chunk: int = CHUNK) -> Iterator[Batch | Skipped]:
    """The reports' batches and the skipped files, in the order of `paths`."""
    workers = default_jobs() if jobs is None else max(jobs, 1)
    names = (os.fspath(path) for path in paths)
    first = list(islice(names, chunk * 2))
    chunks = _chunks(first, names, chunk)
    if workers == 1 or len(first) < chunk * 2:
        for paths_chunk in chunks:
            yield from read_chunk(paths_chunk, render, keep)
        return
    try:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_setup)
    except (OSError, NotImplementedError, ImportError):  # no process pools here (no /dev/shm, a sandbox)
        for paths_chunk in chunks:
            yield from read_chunk(paths_chunk, render, keep)
        return
    with pool:
        pending: deque[Future[list[Batch | Skipped]]] = deque()
        for paths_chunk in chunks:
            pending.append(pool.submit(read_chunk, paths_chunk, render, keep))
            if len(pending) >= workers * AHEAD_PER_WORKER:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def iter_reports(paths: Iterable[os.PathLike[str] | str], *, jobs: int | None = None,
                 chunk: int = CHUNK) -> Iterator[Item]:
    """Each path's summary or skip reason, in the order of `paths`."""
    for item in iter_batches(paths, jobs=jobs, keep=True, chunk=chunk):
        if isinstance(item, Skipped):
            yield item
        else:
            yield from item.summaries


def _chunks(first: list[str], rest: Iterator[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(first), size):
        yield first[start:start + size]
    while True:
        piece = list(islice(rest, size))
        if not piece:
            return
        yield piece


def triage_files(paths: Iterable[os.PathLike[str] | str], *, jobs: int | None = 1) -> Triage:
    """Every report read and summarized, held in memory (see `Triage`)."""
    result = Triage()
    for item in iter_reports(paths, jobs=jobs):
        if isinstance(item, Skipped):
            result.skipped.append(item)
        else:
            result.reports.append(item)
    return result
