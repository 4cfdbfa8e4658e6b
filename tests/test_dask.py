"""`auditor audit --engine dask`: the same results as a local run; no record lost on failures.

Dask workers are processes that build their own pipeline: they use a small rule pack
(cli_support.small_pack) and are compared with local runs over the same pack.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import RULES_ONLY, Cli, small_pack

from auditor.config import RuleSet, load_ruleset
from auditor.schema import FailedRecord, Report

pytest.importorskip("distributed", reason="dask[distributed] is not installed (the dask extra)")

import dask
from distributed import LocalCluster

from auditor.dask_engine import audit_dask

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "sample_reports"


class WorkerKiller(Report):
    """A report whose unpickling kills the process, unless that is the test's own process."""

    def __setstate__(self, state: Any) -> None:
        if multiprocessing.parent_process() is not None:  # a worker process spawned by Dask
            os._exit(1)
        super().__setstate__(state)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_pack(tmp_path_factory.mktemp("dask") / "pack")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A one-worker cluster that gives up on a batch at its first dead worker."""
    path = os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))
    with (
        pytest.MonkeyPatch.context() as mp,
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
    ):
        mp.setenv("PYTHONPATH", path)  # the workers can unpickle WorkerKiller
        with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
            yield cluster.scheduler_address


def test_dask_writes_the_same_results_as_a_local_run(cli: Cli, pack: Path, tmp_path: Path) -> None:
    lines = (CORPUS / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:14]
    lines[3:3] = ['{"id": "broken"', json.dumps({"id": "empty", "text": " "})]
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outputs = []
    for engine, workers in (("local", "1"), ("dask", "2")):
        out = tmp_path / engine
        result = cli(
            "audit",
            str(data),
            "--out",
            str(out),
            "--engine",
            engine,
            "--workers",
            workers,
            "--batch-size",
            "3",
            "--quiet",
            "--rubric",
            str(pack),
            *RULES_ONLY,
        )
        assert result.exit_code == 1, result.output  # the two bad records
        outputs.append((out / "results.jsonl").read_bytes())
    assert outputs[0] == outputs[1]
    assert len(outputs[1].splitlines()) == 16


def test_a_dead_worker_or_a_failed_batch_loses_no_record(scheduler: str, pack: Path) -> None:
    rules: RuleSet = load_ruleset(pack)
    records: list[Report | FailedRecord] = [
        Report(id=f"r{i}", text="You asked two questions.") for i in range(6)
    ]
    records[1:1] = [WorkerKiller(id="killer", text="x"), FailedRecord(id="bad", error="bad UTF-8")]
    audits = list(audit_dask(records, workers=1, batch_size=2, scheduler=scheduler, rules=rules))
    assert [a.id for a in audits] == [r.id for r in records]
    errors = {a.id: a.error for a in audits if a.error}
    # The killer's batch fails; so may the other batch then in flight on the dying worker.
    assert {"r0", "killer"} <= errors.keys() <= {"r0", "killer", "bad", "r1"}
    assert "KilledWorker" in errors["killer"] and errors["bad"] == "bad UTF-8"
    assert not {"r2", "r3", "r4", "r5"} & errors.keys()  # audited by the restarted worker
    # A worker whose Auditor cannot be built fails every batch: each comes back as errors.
    audits = list(
        audit_dask(
            records[4:], workers=1, batch_size=2, scheduler=scheduler, rules="not a rule pack"
        )
    )
    assert [a.id for a in audits] == ["r2", "r3", "r4", "r5"]
    assert all("worker process failed" in (a.error or "") for a in audits)


def test_without_dask_the_engine_asks_for_the_extra(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    result = cli(
        "audit", str(CORPUS / "dev.jsonl"), "--out", str(tmp_path), "--engine", "dask", *RULES_ONLY
    )
    assert result.exit_code == 2
    assert result.output.strip().endswith("pip install 'fcr-auditor[dask]'")
