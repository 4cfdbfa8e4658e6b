"""One `auditor audit` run: the results writer (fresh or resumed), the audit loop, the dashboard.

The command line parses options, builds the audit stream and reports progress and failures;
what a run writes and what it depends on is decided here.
"""

from __future__ import annotations

import errno
import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.atomic import write_text_atomic
from auditor.config import RuleSet, StatsSettings
from auditor.io import AtomicResults, read_results
from auditor.io.fingerprint import fingerprint, json_digest, tree_digest
from auditor.io.results import ResumeError
from auditor.io.summary import RunTally
from auditor.render.dashboard import render_dashboard
from auditor.schema import FailedRecord, Report, ReportAudit
from auditor.stats import analyse_audits

if TYPE_CHECKING:
    from auditor.learned.calibration import Calibration
    from auditor.learned.focus_model import FocusModel
    from auditor.learned.sentence_model import SentenceRoleModel
    from auditor.store import AuditConfig, StoreWriter

#: `Auditor.audit_stream` or one of its parallel counterparts.
AuditStream = Callable[..., Iterator[ReportAudit]]
Progress = Callable[[Iterator[ReportAudit]], Iterator[ReportAudit]]


def open_results(
    out_dir: Path,
    inputs: Iterable[str],
    rules: RuleSet,
    models: tuple[SentenceRoleModel | None, Calibration | None, FocusModel | None],
    options: dict[str, Any],
    resume: bool,
) -> AtomicResults:
    """The results writer, fresh or resuming an interrupted run with the same fingerprint.

    Raises ResumeError when it cannot resume, OSError when it cannot write to `out_dir`.
    """
    inputs = list(inputs)
    if resume and "-" in inputs:
        raise ResumeError(
            "--resume cannot check that stdin holds the same reports; save them to a file"
        )
    return AtomicResults(
        out_dir, fingerprint(inputs, rules.source, model_hashes(models), options), resume
    )


def model_hashes(
    models: tuple[SentenceRoleModel | None, Calibration | None, FocusModel | None],
) -> dict[str, str | None]:
    """The learned pieces by hash (None when off): part of a run's fingerprint and of a stored
    audit's version."""
    sm, cal, fm = models
    return {
        "sentence model": sm.sha256 if sm else None,
        "hybrid": json_digest(sm.hybrid.model_dump(mode="json")) if sm else None,
        "calibration": json_digest(cal.artefact) if cal else None,
        "focus model": fm.sha256 if fm else None,
    }


def audit_config(
    rules: RuleSet,
    models: tuple[SentenceRoleModel | None, Calibration | None, FocusModel | None],
    ignored: Iterable[str],
) -> AuditConfig:
    """What a stored audit's version depends on besides the text: pack, models, ignored checks."""
    from auditor.store import AuditConfig  # SQLAlchemy loads only for a store

    return AuditConfig(
        tree_digest(Path(rules.source)), model_hashes(models), tuple(sorted(ignored))
    )


def audit_into(
    out: AtomicResults,
    stream: AuditStream,
    records: Iterable[Report | FailedRecord],
    batch_size: int,
    progress: Progress = iter,
    store: StoreWriter | None = None,
) -> RunTally:
    """Audit the records not yet in `out` into it and commit; the tally counts the whole run.

    With `store`, every audit also goes to the audit store once it is in the partial file (on
    resume, the earlier audits are offered again: the store keeps each version once), and the
    store has them all before the results are committed.
    """
    tally = RunTally()
    for done in out.done_audits() if out.done else ():
        tally.add(done)
        if store is not None:
            store.add(done)
    rest = itertools.islice(records, out.done, None)
    for result in progress(stream(rest, batch_size=batch_size)):
        out.write(result)
        tally.add(result)
        if store is not None:
            store.add(result)
    if store is not None:
        store.flush()
    out.commit()
    return tally


def write_dashboard(out_dir: Path, rules: RuleSet, settings: StatsSettings) -> Path:
    """Render DIR/dashboard.html from the committed DIR/results.jsonl, read back as a stream."""
    results = out_dir / "results.jsonl"
    analysis = analyse_audits(
        read_results(results), rules, settings, weakest=settings.weakest_reports
    )
    path = out_dir / "dashboard.html"
    write_text_atomic(
        path,
        render_dashboard(analysis.report, analysis.vocab, analysis.weakest, source=str(results)),
    )
    return path


def failure(exc: BaseException, out: AtomicResults | None) -> str:
    """What made a run fail, in one line, and where its results so far are kept."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        what = f"out of disk space ({exc.filename or 'writing the results'})"
    else:
        what = f"{type(exc).__name__}: {exc}"
    if out is not None and out.partial.is_file():
        what += (
            f"; the results so far are kept in {out.partial}: rerun the same command with "
            f"--resume to continue"
        )
    return what
