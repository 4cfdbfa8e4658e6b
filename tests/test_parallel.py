"""Worker processes: every record comes out once, in order, whatever happens to a worker.

`Instant` stands in for the Auditor in the workers (no spaCy), so pools start in a fraction of
a second; test_resume.py kills a real `auditor audit` with real workers.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from auditor.parallel import DIED_TWICE, WorkerPoolError, audit_parallel
from auditor.schema import FailedRecord, Report, ReportAudit

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


class Instant:
    """A worker engine that scores a report by its length and dies on request.

    Text "die" kills the worker every time; "die once" only the first time (a file in
    `marks` remembers it across processes); "slow" takes 10 ms.
    """

    def __init__(self, marks: str) -> None:
        self.marks = Path(marks)

    def audit_stream(
        self, records: Iterable[Report | FailedRecord], batch_size: int
    ) -> Iterator[ReportAudit]:
        for rec in records:
            if isinstance(rec, FailedRecord):
                yield ReportAudit(id=rec.id, metadata=rec.metadata, error=rec.error)
                continue
            mark = self.marks / rec.id
            if rec.text == "die" or (rec.text == "die once" and not mark.exists()):
                mark.touch()
                os._exit(9)  # as a segfault or an OOM kill would: no exception, no cleanup
            if rec.text == "slow":
                time.sleep(0.01)
            yield ReportAudit(id=rec.id, score=len(rec.text))


def _records(n: int, **special: str) -> list[Report | FailedRecord]:
    records: list[Report | FailedRecord] = [
        Report(id=f"r{i}", text=special.get(f"r{i}", "x" * i)) for i in range(n)
    ]
    records.insert(3, FailedRecord(id="bad", error="invalid UTF-8"))
    return records


def test_a_record_that_kills_its_worker_twice_is_the_only_error(tmp_path: Path) -> None:
    records = _records(30, r7="die", r20="die once")
    audits = list(
        audit_parallel(records, workers=2, batch_size=4, make_engine=Instant, marks=str(tmp_path))
    )
    assert [a.id for a in audits] == [r.id for r in records]
    errors = {a.id: a.error for a in audits if a.error}
    assert errors == {"r7": DIED_TWICE, "bad": "invalid UTF-8"}
    assert (tmp_path / "r20").exists()  # it did kill a worker, once
    assert audits[-1].score == 29 and audits[21].score == len("die once")  # r20, after "bad"


def test_workers_that_cannot_start_make_the_pool_unusable() -> None:
    records = [Report(id=f"r{i}", text="You asked two questions.") for i in range(5)]
    with pytest.raises(WorkerPoolError, match="could not start: AttributeError"):
        list(audit_parallel(records, workers=1, batch_size=2, rules="not a rule pack"))


def _children(parent: int) -> list[int]:
    """Processes whose parent is `parent`, from /proc."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] not in ("Z", "X"):
            pids.append(int(stat.parent.name))
    return pids


def test_a_worker_killed_mid_run_costs_no_record(tmp_path: Path) -> None:
    records = [Report(id=f"r{i}", text="slow") for i in range(200)]
    before = set(_children(os.getpid()))
    audits = []
    for audit in audit_parallel(
        records, workers=2, batch_size=4, make_engine=Instant, marks=str(tmp_path)
    ):
        audits.append(audit)
        if len(audits) == 20:  # kill -9 a worker (not the multiprocessing resource tracker)
            workers = [
                p
                for p in set(_children(os.getpid())) - before
                if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()
            ]
            os.kill(workers[0], signal.SIGKILL)
    assert [a.id for a in audits] == [r.id for r in records]
    assert all(a.error is None and a.score == 4 for a in audits)
