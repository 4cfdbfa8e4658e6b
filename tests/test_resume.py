"""`auditor audit` killed, out of disk or failing: exit codes, resumable results, no orphans.

Real processes: a `kill -9` of a running `auditor audit --workers 2` (its workers must go too),
then `--resume`; test_parallel.py kills a worker. Subprocesses get PYTHONPATH set to this
checkout, so they run this code, not another installed copy. They use a small rule pack
(cli_support.small_pack): every process builds its own pipeline, and the run is compared with
an uninterrupted run over the same pack.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import RULES_ONLY, Cli, cli_runner, copy_pack, small_pack

import auditor.engine
import auditor.io.results
from auditor.io.results import MANIFEST, PARTIAL, AtomicResults

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

ROOT = Path(__file__).resolve().parents[1]
TEXTS = (
    "You asked two open questions about her patients. As a result she agreed to try it. "
    "Next time ask for a follow-up date by 15 May.",
    "Visit to the Riverside clinic. You opened with the dosing card. Next time ask the "
    "pharmacist for one change.",
    "Great job today, keep it up.",
)
N = 200
FAST = ("--quiet", "--batch-size", "4", *RULES_ONLY)


def _write_reports(path: Path, n: int, empty: int | None = None) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = "" if i == empty else f"{TEXTS[i % 3]} Call {i}."
            fh.write(json.dumps({"id": f"r{i:04d}", "text": text}) + "\n")
    return path


def _start(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "auditor", "audit", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name; None once the process is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else fields  # a zombie is dead, just not reaped


def _workers(parent: int) -> list[int]:
    """The pool worker processes of `parent` (not its multiprocessing resource tracker)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        pid = int(stat.parent.name)
        fields = _stat(pid)
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if fields and int(fields[1]) == parent and b"spawn_main" in cmdline:
            pids.append(pid)
    return pids


def _no_stray_files(out: Path) -> None:
    """Only finished results: no partial file, manifest or temporary file left."""
    assert sorted(p.name for p in out.iterdir()) == [
        "dashboard.html",
        "results.csv",
        "results.jsonl",
    ]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, tuple[str, ...]]:
    """N short reports, the options of a run over a small pack, and its results (in-process)."""
    root = tmp_path_factory.mktemp("batch")
    reports = _write_reports(root / "in.jsonl", N)
    options = (*FAST, "--rubric", str(small_pack(root / "pack")))
    result = cli_runner()("audit", str(reports), "--out", str(root / "ref"), *options)
    assert result.exit_code == 0, result.output
    return reports, root / "ref", options


def test_kill_9_mid_run_then_resume_equals_an_uninterrupted_run(
    batch: tuple[Path, Path, tuple[str, ...]], tmp_path: Path
) -> None:
    reports, ref, options = batch
    out = tmp_path / "out"
    run = _start(str(reports), "--out", str(out), "--workers", "2", *options)
    _wait_for(lambda: _lines(out / PARTIAL) >= 1, 120, "the first result")
    workers = _workers(run.pid)  # all started before the first batch
    assert len(workers) == 2
    _wait_for(lambda: _lines(out / PARTIAL) >= N // 2, 120, "half of the results")
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)
    _wait_for(lambda: not any(_stat(w) for w in workers), 5, "the workers to exit")
    written = _lines(out / PARTIAL)
    assert N // 2 <= written < N
    assert (out / MANIFEST).is_file() and not (out / "results.jsonl").exists()
    with (out / PARTIAL).open("ab") as fh:  # as if killed in the middle of a line
        fh.write(b'{"id": "r9999", "metadata": {}, "sco')

    resumed = _start(str(reports), "--out", str(out), "--resume", *options)
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr.decode()
    assert f"resuming after the {written} results" in stderr.decode()
    assert f"reports{N:>23}" in stdout.decode()  # the summary counts the resumed results too
    ids = [json.loads(line)["id"] for line in (out / "results.jsonl").open(encoding="utf-8")]
    assert ids == [f"r{i:04d}" for i in range(N)]  # every record once, in order
    assert (out / "results.jsonl").read_bytes() == (ref / "results.jsonl").read_bytes()
    assert (out / "results.csv").read_bytes() == (ref / "results.csv").read_bytes()
    _no_stray_files(out)


# -- in-process: failures, refusals, out of disk ------------------------------------------------
def _one_line(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("auditor: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def _fail_on(monkeypatch: pytest.MonkeyPatch, rid: str) -> None:
    """Make the engine raise an unexpected error when it audits report `rid`."""
    real = auditor.engine.Auditor._audit

    def failing(self, ann, report, *rest):
        if report.id == rid:
            raise RuntimeError("boom")
        return real(self, ann, report, *rest)

    monkeypatch.setattr(auditor.engine.Auditor, "_audit", failing)


def test_unexpected_error_exits_3_then_resume_refuses_changed_runs(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reports = _write_reports(tmp_path / "in.jsonl", 20, empty=15)
    out = tmp_path / "out"
    args = (str(reports), "--out", str(out), *FAST)
    with monkeypatch.context() as m:
        _fail_on(m, "r0010")
        _one_line(
            cli("audit", *args),
            3,
            "audit failed: RuntimeError: boom",
            str(out / PARTIAL),
            "--resume",
        )
        m.setenv("AUDITOR_DEBUG", "1")
        assert "Traceback" in cli("audit", *args).stderr
    assert _lines(out / PARTIAL) == 8  # the batches before r0010's

    pack = copy_pack(tmp_path / "pack", lambda r: r["checks"][0].update(weight=7))
    for changed, differ in (
        (("--ignore", "STAR001"), "options"),
        (("--rubric", str(pack)), "rule pack"),
        (("--sentence-model", str(ROOT / "models" / "sentence_roles")), "models"),
    ):
        _one_line(
            cli("audit", *args, "--resume", *changed),
            2,
            f"cannot resume: the {differ} differ",
            "run without --resume",
        )
    _write_reports(reports, 21)
    _one_line(cli("audit", *args, "--resume"), 2, "cannot resume: the inputs differ")
    _write_reports(reports, 20, empty=15)  # same content, but a new mtime: still refused
    _one_line(cli("audit", *args, "--resume"), 2, "cannot resume: the inputs differ")
    assert _lines(out / PARTIAL) == 8  # refusals leave the partial results alone

    fresh = cli("audit", *args)
    assert fresh.exit_code == 1, fresh.output  # one empty report: a failed record, not a crash
    assert "starting afresh: the 8 results of an interrupted run" in fresh.stderr
    _no_stray_files(out)
    _one_line(cli("audit", *args, "--resume"), 2, "nothing to resume")
    _one_line(cli("audit", "-", "--out", str(out), "--resume", *FAST, input="x"), 2, "stdin")
    (tmp_path / "file").touch()
    _one_line(
        cli("audit", *args[:2], str(tmp_path / "file" / "out"), *FAST),
        2,
        "cannot write the results there",
    )


def test_out_of_disk_space_exits_3_keeps_the_partial_and_resumes(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reports = _write_reports(tmp_path / "in.jsonl", 12)
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert cli("audit", str(reports), "--out", str(ref), *FAST).exit_code == 0
    args = (str(reports), "--out", str(out), *FAST)
    enospc = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out / PARTIAL))
    real_write, real_row = AtomicResults.write, auditor.io.results.csv_row

    def write(self: AtomicResults, audit) -> None:
        if _lines(self.partial) >= 5:
            raise enospc
        real_write(self, audit)

    with monkeypatch.context() as m:
        m.setattr(AtomicResults, "write", write)
        _one_line(cli("audit", *args), 3, "out of disk space", "--resume")
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, PARTIAL]
    assert _lines(out / PARTIAL) == 5

    rows = iter(range(100))

    def row(audit):
        if next(rows) == 3:
            raise enospc
        return real_row(audit)

    with monkeypatch.context() as m:
        m.setattr(auditor.io.results, "csv_row", row)
        failed = cli("audit", *args, "--resume")
    assert failed.exit_code == 3, failed.output
    assert failed.stderr.splitlines()[-1].startswith("auditor: audit failed: out of disk space")
    assert "--resume" in failed.stderr.splitlines()[-1]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, PARTIAL]  # no .results.csv.tmp
    assert _lines(out / PARTIAL) == 12

    done = cli("audit", *args, "--resume")
    assert done.exit_code == 0, done.output
    assert "resuming after the 12 results" in done.stderr
    for name in ("results.jsonl", "results.csv"):
        assert (out / name).read_bytes() == (ref / name).read_bytes()
    _no_stray_files(out)
