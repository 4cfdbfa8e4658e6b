"""Audit a stream of records on a Dask cluster: input order kept, memory bounded.

The same pure per-batch audit as `auditor.parallel`, run by Dask workers: a `LocalCluster` of
`workers` single-threaded processes, or the cluster behind a scheduler address. The Auditor's
arguments (the loaded rule pack and learned models, about 4 MB) travel once per worker, in a
worker plugin that the scheduler also hands to restarted and late-joining workers; a worker
builds its Auditor on its first batch of the run and reuses it. Batches go out in order, at most
two per worker thread in flight; a batch that fails, or whose worker dies, comes back as error
records, so no record is ever lost.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from itertools import islice
from typing import Any

from distributed import Client, Future, LocalCluster, WorkerPlugin, get_worker

from auditor.parallel import failed_audits
from auditor.schema import FailedRecord, Report, ReportAudit

#: Seconds to wait for a first worker of a cluster given by its scheduler address.
WORKER_WAIT_S = 60

_lock = threading.Lock()
_cached: tuple[str, Any] | None = None  # (run key, Auditor) of this worker process


class _AuditorArgs(WorkerPlugin):
    """The Auditor's arguments of one run, held by every worker of the cluster."""

    def __init__(self, auditor_kwargs: dict[str, Any]) -> None:
        self.auditor_kwargs = auditor_kwargs


def _engine(key: str) -> Any:
    """This worker's Auditor for the run `key`, built on first use."""
    global _cached
    with _lock:
        if _cached is None or _cached[0] != key:
            from threadpoolctl import threadpool_limits

            from auditor.engine import Auditor  # spaCy loads in the worker, once per run

            threadpool_limits(limits=1)  # one BLAS thread: the workers already use the cores
            # The client checked the models and warned (cli `_check_models`): not again.
            logging.getLogger("auditor.learned").setLevel(logging.ERROR)
            _cached = None  # a long-lived worker drops the previous run's pipeline first
            plugin = get_worker().plugins[key]
            assert isinstance(plugin, _AuditorArgs)
            _cached = (key, Auditor(**plugin.auditor_kwargs))
        return _cached[1]


def _audit_batch(key: str, batch: list[Report | FailedRecord]) -> list[ReportAudit]:
    return list(_engine(key).audit_stream(batch, len(batch)))


def audit_dask(
    records: Iterable[Report | FailedRecord],
    workers: int,
    batch_size: int = 32,
    scheduler: str | None = None,
    **auditor_kwargs: Any,
) -> Iterator[ReportAudit]:
    """`Auditor(**auditor_kwargs).audit_stream(records)` on a Dask cluster.

    Without `scheduler`, on a `LocalCluster` of `workers` processes (one thread each), closed
    at the end; with it, on that running cluster (`workers` is then unused).
    """
    it = iter(records)
    with ExitStack() as stack:
        if scheduler:
            client = stack.enter_context(Client(scheduler))
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
            )
            client = stack.enter_context(Client(cluster))
        key = f"fcr-auditor-{uuid.uuid4().hex}"
        client.register_plugin(_AuditorArgs(auditor_kwargs), name=key)
        stack.callback(client.unregister_worker_plugin, key)
        in_flight = 2 * max(1, sum(client.nthreads().values()))
        pending: deque[tuple[list[Report | FailedRecord], Future]] = deque()

        def submit() -> None:
            batch = list(islice(it, batch_size))
            if batch:
                pending.append((batch, client.submit(_audit_batch, key, batch, pure=False)))

        for _ in range(in_flight):
            submit()
        while pending:
            batch, future = pending.popleft()
            try:
                results = future.result()
            except Exception as exc:
                results = failed_audits(
                    batch,
                    f"worker process failed ({type(exc).__name__}: {exc}); record not audited",
                )
            submit()
            yield from results
