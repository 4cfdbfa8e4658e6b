"""Worker processes: a worker that cannot audit still returns every record, in order."""

from __future__ import annotations

from auditor.parallel import audit_parallel
from auditor.schema import FailedRecord, Report


def test_a_failed_worker_loses_no_record() -> None:
    records = [Report(id=f"r{i}", text="You asked two questions.") for i in range(5)]
    records.insert(2, FailedRecord(id="bad", error="invalid UTF-8"))
    # A worker whose Auditor cannot be built breaks the pool: no batch gets audited.
    audits = list(audit_parallel(records, workers=1, batch_size=2, rules="not a rule pack"))
    assert [a.id for a in audits] == [r.id for r in records]
    assert audits[2].error == "invalid UTF-8"  # a record that failed to read keeps its reason
    assert all("worker process failed" in (a.error or "") for a in audits if a.id != "bad")
