"""Audit a stream of records in several worker processes: input order kept, memory bounded.

Each worker builds its own `Auditor` (its own spaCy pipeline) once; batches go out in order and
at most `2 × workers` of them are in flight, so memory does not grow with the input.

A worker that dies (a crash, an OOM kill, kill -9) breaks the pool: a new pool replaces it and
the batches that were in flight are audited again one record at a time, alone in the pool, so
that a death is the doing of the record that ran; a record that kills a worker twice that way
becomes an error record, and the others are audited as usual. Workers that cannot start at all
raise `WorkerPoolError`. Each worker watches its parent and exits when the parent dies, so no
worker outlives a killed run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any

from auditor.schema import FailedRecord, Report, ReportAudit

Batch = list[Report | FailedRecord]
DIED_TWICE = "worker process died twice on this record; record not audited"
WATCH_INTERVAL = 0.5  # seconds between a worker's checks that its parent is alive

_engine: Any = None  # this worker process's Auditor
_start_error: str | None = None  # why it could not be built


def failed_audits(batch: Batch, reason: str) -> list[ReportAudit]:
    """The batch as error audits; a record that had failed to read keeps its own error."""
    return [
        ReportAudit(
            id=r.id,
            metadata=r.metadata,
            warnings=r.warnings,
            error=r.error if isinstance(r, FailedRecord) else reason,
        )
        for r in batch
    ]


class WorkerPoolError(RuntimeError):
    """The worker processes cannot audit at all (exit code 3)."""


def _watch_parent(parent: int) -> None:
    """Exit this process as soon as `parent` is no longer its parent (it died)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_INTERVAL)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _start_worker(
    parent: int, make_engine: Callable[..., Any] | None, auditor_kwargs: dict[str, Any]
) -> None:
    global _engine, _start_error
    _watch_parent(parent)
    try:
        from threadpoolctl import threadpool_limits

        # One BLAS thread per worker: workers already use the cores, more oversubscribe them.
        threadpool_limits(limits=1)
        # The parent process checked the models and warned (cli `_check_models`): not again.
        logging.getLogger("auditor.learned").setLevel(logging.ERROR)
        if make_engine is None:
            from auditor.engine import Auditor  # spaCy loads in the worker, once

            make_engine = Auditor
        _engine = make_engine(**auditor_kwargs)
    except Exception as exc:
        _start_error = f"{type(exc).__name__}: {exc}"


def _ready() -> str | None:
    """None when this worker can audit, else why not."""
    return _start_error


def _audit_batch(batch: Batch) -> list[ReportAudit]:
    if _engine is None:
        raise WorkerPoolError(f"a worker process could not start: {_start_error}")
    return list(_engine.audit_stream(batch, len(batch)))


class _Pool:
    """A process pool that is replaced by a new one when one of its processes dies."""

    def __init__(self, workers: int, initargs: tuple[Any, ...]) -> None:
        self.workers, self.initargs = workers, initargs
        self.pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")  # no fork of a parent's threads or state
        pool = ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_start_worker, initargs=self.initargs
        )
        try:  # one call per worker: all of them start (and load) at once
            errors = {f.result() for f in [pool.submit(_ready) for _ in range(self.workers)]}
        except BrokenProcessPool as exc:
            pool.shutdown(cancel_futures=True)
            raise WorkerPoolError(f"worker processes died while starting ({exc})") from None
        if errors != {None}:
            pool.shutdown(cancel_futures=True)
            reason = "; ".join(sorted(e for e in errors if e))
            raise WorkerPoolError(f"worker processes could not start: {reason}")
        return pool

    def submit(self, batch: Batch) -> Future[list[ReportAudit]]:
        try:
            return self.pool.submit(_audit_batch, batch)
        except BrokenProcessPool as exc:  # it broke since the last result
            future: Future[list[ReportAudit]] = Future()
            future.set_exception(exc)
            return future

    def restart(self) -> None:
        self.pool.shutdown(cancel_futures=True)
        self.pool = self._start()

    def alone(self, record: Report | FailedRecord) -> ReportAudit:
        """Audit a record of a batch whose pool broke, as the only task in the pool.

        Only a death while it runs alone is the record's doing (a batch that broke may not
        even have started), so a record is given up after two of those.
        """
        for _ in range(2):
            try:
                return self.submit([record]).result()[0]
            except BrokenProcessPool:
                self.restart()
        return failed_audits([record], DIED_TWICE)[0]

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


def _broken(future: Future[list[ReportAudit]] | None) -> bool:
    return future is None or isinstance(future.exception(), BrokenProcessPool)


def audit_parallel(
    records: Iterable[Report | FailedRecord],
    workers: int,
    batch_size: int = 32,
    make_engine: Callable[..., Any] | None = None,
    **auditor_kwargs: Any,
) -> Iterator[ReportAudit]:
    """`Auditor(**auditor_kwargs).audit_stream(records)`, spread over `workers` processes.

    `make_engine(**auditor_kwargs)` builds each worker's engine instead of `Auditor` (it must
    be picklable, e.g. a module-level class, and have `audit_stream(records, batch_size)`).
    """
    it = iter(records)
    pool = _Pool(workers, (os.getpid(), make_engine, auditor_kwargs))
    # (batch, its future), or (batch, None) for a batch to audit again one record at a time.
    pending: deque[tuple[Batch, Future[list[ReportAudit]] | None]] = deque()
    owed = 0  # batches not submitted while records are audited alone

    def submit() -> None:
        batch = list(islice(it, batch_size))
        if batch:
            pending.append((batch, pool.submit(batch)))

    try:
        for _ in range(2 * workers):
            submit()
        while pending:
            batch, future = pending.popleft()
            if future is None:
                results = [pool.alone(r) for r in batch]
            else:
                try:
                    results = future.result()
                except BrokenProcessPool:
                    # Every batch in flight died with the pool; those that finished before stay.
                    redo = [(batch, None), *((b, None if _broken(f) else f) for b, f in pending)]
                    pending.clear()
                    pending.extend(redo)
                    pool.restart()
                    continue
            owed += 1
            if all(f is not None for _, f in pending):  # nothing to audit alone: refill
                for _ in range(owed):
                    submit()
                owed = 0
            yield from results
    finally:
        pool.close()
