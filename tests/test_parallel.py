"""Worker processes: every record comes out once, in order, whatever happens to a worker.

`Instant` stands in for the Auditor in the workers (no spaCy), so pools start in a fraction of
a second; test_resume.py kills real workers of a real `auditor audit`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from auditor.parallel import DIED_TWICE, WorkerPoolError, audit_parallel
from auditor.schema import FailedRecord, Report, ReportAudit


class Instant:
    """A worker engine that scores a report by its length and dies on request.

    Text "die" kills the worker every time; "die once" only the first time (a file in
    `marks` remembers it across processes).
    """

    def __init__(self, marks: str) -> None:
        self.marks = Path(marks)

    def audit_stream(self, records: Iterable[Report | FailedRecord],
                     batch_size: int) -> Iterator[ReportAudit]:
        for rec in records:
            if isinstance(rec, FailedRecord):
                yield ReportAudit(id=rec.id, metadata=rec.metadata, error=rec.error)
                continue
            mark = self.marks / rec.id
            if rec.text == "die" or (rec.text == "die once" and not mark.exists()):
                mark.touch()
                os._exit(9)  # as a segfault or an OOM kill would: no exception, no cleanup
            yield ReportAudit(id=rec.id, score=len(rec.text))


def _records(n: int, **special: str) -> list[Report | FailedRecord]:
    records: list[Report | FailedRecord] = [
        Report(id=f"r{i}", text=special.get(f"r{i}", "x" * i)) for i in range(n)]
    records.insert(3, FailedRecord(id="bad", error="invalid UTF-8"))
    return records


def test_a_record_that_kills_its_worker_twice_is_the_only_error(tmp_path: Path) -> None:
    records = _records(30, r7="die", r20="die once")
    audits = list(audit_parallel(records, workers=2, batch_size=4, make_engine=Instant,
                                 marks=str(tmp_path)))
    assert [a.id for a in audits] == [r.id for r in records]
    errors = {a.id: a.error for a in audits if a.error}
    assert errors == {"r7": DIED_TWICE, "bad": "invalid UTF-8"}
    assert (tmp_path / "r20").exists()  # it did kill a worker, once
    assert audits[-1].score == 29 and audits[21].score == len("die once")  # r20, after "bad"


def test_workers_that_cannot_start_make_the_pool_unusable() -> None:
    records = [Report(id=f"r{i}", text="You asked two questions.") for i in range(5)]
    with pytest.raises(WorkerPoolError, match="could not start: AttributeError"):
        list(audit_parallel(records, workers=1, batch_size=2, rules="not a rule pack"))
