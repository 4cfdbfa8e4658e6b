"""One `auditor audit` run: the results writer (fresh or resumed), the audit loop, the
follow-through pass over the whole batch, the dashboard.

The command line parses options, builds the audit stream and reports progress and failures;
what a run writes and what it depends on is decided here.
"""

from __future__ import annotations

import errno
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.atomic import write_text_atomic
from auditor.config import RuleSet, StatsSettings, load_followthrough
from auditor.followthrough import BatchHistory, FollowThroughPass, History, Vocabulary
from auditor.io import AtomicResults, read_results
from auditor.io.fingerprint import fingerprint, json_digest, tree_digest
from auditor.io.results import ResumeError
from auditor.io.summary import RunTally
from auditor.render.dashboard import render_dashboard
from auditor.schema import FailedRecord, Report, ReportAudit
from auditor.stats import analyse_audits, leniency_of

if TYPE_CHECKING:
    from auditor.learned.calibration import Calibration
    from auditor.learned.focus_model import FocusModel
    from auditor.learned.sentence_model import SentenceRoleModel
    from auditor.store import AuditConfig, StoreWriter

#: `Auditor.audit_stream` or one of its parallel counterparts.
AuditStream = Callable[..., Iterator[ReportAudit]]
Progress = Callable[[Iterator[ReportAudit]], Iterator[ReportAudit]]
#: Given the audits of a whole batch (a stream), the pass that finishes each one.
BatchPass = Callable[[Iterable[ReportAudit]], Callable[[ReportAudit], ReportAudit]]


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


def follow_through_pass(
    rules: RuleSet,
    ignore: Iterable[str] = (),
    calibration: Calibration | None = None,
    history: History | None = None,
) -> BatchPass | None:
    """The follow-through pass of a batch (None when the pack has no followthrough.yaml).

    It keeps compact facts of every dated report of the batch, then judges each report
    against the rep's previous one there or, when `history` (an audit store) knows a later
    one, against that; a calibration is applied again to a rescored audit.
    """
    settings = load_followthrough(rules.source)
    if settings is None:
        return None
    calibrate = None
    if calibration is not None:
        from auditor.engine import calibrated

        calibrate = functools.partial(
            calibrated, calibration=calibration, scoring=rules.rubric.scoring
        )
    codes = list(ignore)

    def prepare(audits: Iterable[ReportAudit]) -> Callable[[ReportAudit], ReportAudit]:
        batch = BatchHistory(Vocabulary(settings))
        for audit in audits:
            batch.add(audit)
        return FollowThroughPass(rules, settings, batch, history, codes, calibrate)

    return prepare


def audit_into(
    out: AtomicResults,
    stream: AuditStream,
    records: Iterable[Report | FailedRecord],
    batch_size: int,
    progress: Progress = iter,
    finish: BatchPass | None = None,
    store: StoreWriter | None = None,
) -> RunTally:
    """Audit the records not yet in `out` into it and commit; the tally counts the whole run.

    With `finish`, the committed results are the partial file's audits passed through it,
    once every record is audited (the partial file itself is never rewritten). With `store`,
    those same final audits go to the audit store, which has them all before the results are
    committed (a resumed run offers them again: the store keeps each version once).
    """
    rest = itertools.islice(records, out.done, None)
    for result in progress(stream(rest, batch_size=batch_size)):
        out.write(result)
    tally = RunTally()
    judge = finish(out.done_audits()) if finish is not None else None

    def counted(audit: ReportAudit) -> ReportAudit:
        audit = judge(audit) if judge is not None else audit
        tally.add(audit)
        if store is not None:
            store.add(audit)
        return audit

    out.commit(counted, before_commit=store.flush if store is not None else None)
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
        render_dashboard(
            analysis.report,
            analysis.vocab,
            analysis.weakest,
            source=str(results),
            check_labels=settings.check_labels,
            leniency=leniency_of(analysis, settings),
        ),
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
