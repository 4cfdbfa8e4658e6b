"""Audit a stream of records in several worker processes: input order kept, memory bounded.

Each worker builds its own `Auditor` (its own spaCy pipeline) once; batches go out in order and
at most `2 × workers` of them are in flight, so memory does not grow with the input. A batch
whose worker dies comes back as error records, so no record is ever lost.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any

from auditor.schema import FailedRecord, Report, ReportAudit

_engine: Any = None  # this worker process's Auditor


def _start_worker(auditor_kwargs: dict[str, Any]) -> None:
    global _engine
    from threadpoolctl import threadpool_limits

    from auditor.engine import Auditor  # spaCy loads in the worker, once

    # One BLAS thread per worker: workers already use the cores, more threads oversubscribe them.
    threadpool_limits(limits=1)
    _engine = Auditor(**auditor_kwargs)


def _audit_batch(batch: list[Report | FailedRecord]) -> list[ReportAudit]:
    return list(_engine.audit_stream(batch, len(batch)))


def _lost(batch: list[Report | FailedRecord], exc: BaseException) -> list[ReportAudit]:
    reason = f"worker process failed ({type(exc).__name__}: {exc}); record not audited"
    return [ReportAudit(id=r.id, metadata=r.metadata,
                        error=r.error if isinstance(r, FailedRecord) else reason) for r in batch]


def audit_parallel(records: Iterable[Report | FailedRecord], workers: int, batch_size: int = 32,
                   **auditor_kwargs: Any) -> Iterator[ReportAudit]:
    """`Auditor(**auditor_kwargs).audit_stream(records)`, spread over `workers` processes."""
    it = iter(records)
    context = multiprocessing.get_context("spawn")  # no fork of a parent's threads or state
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(auditor_kwargs,)) as pool:
        pending: deque[tuple[list[Report | FailedRecord], Future[list[ReportAudit]]]] = deque()

        def submit() -> None:
            batch = list(islice(it, batch_size))
            if not batch:
                return
            try:
                future = pool.submit(_audit_batch, batch)
            except BrokenProcessPool as exc:
                future = Future()
                future.set_exception(exc)
            pending.append((batch, future))

        for _ in range(2 * workers):
            submit()
        while pending:
            batch, future = pending.popleft()
            try:
                results = future.result()
            except Exception as exc:  # noqa: BLE001 (a dead worker must not lose records)
                results = _lost(batch, exc)
            submit()
            yield from results
