"""audit(report) -> ReportAudit: read with the NLP pipeline, run the checks, score.

The pipeline and checks are built once per `Auditor`; `audit_stream` keeps input order, passes
records that failed to read through as errors, tells each report's language first (one in a
language the pack does not cover is not read: `status` unsupported_language), and never holds
more than one batch in memory.
The sentence-role model, when there is one, runs once per batch over the sentences of the
reports whose rules left empty a signal it may fill.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING

from auditor.annotations import Annotations, Hit
from auditor.checks import CheckContext, build_checks, not_applicable, run_checks
from auditor.checks.ratings import unreadable_ratings
from auditor.checks.specific import aligned_priorities
from auditor.config import RuleSet, Scoring, load_ruleset
from auditor.language import LanguageTeller, ReportLanguage
from auditor.learned.calibration import Calibration
from auditor.learned.focus_model import FocusModel
from auditor.learned.hybrid import (
    Mode,
    combine,
    open_roles,
    protected_signals,
    with_sources,
)
from auditor.learned.sentence_model import SentenceRoleModel
from auditor.nlp.pipeline import build_nlp
from auditor.nlp.sentences import sentence_facts
from auditor.schema import (
    Evidence,
    FailedRecord,
    NextObjective,
    Report,
    ReportAudit,
    Signals,
    StarStatus,
    Tag,
    VerdictChange,
)
from auditor.scoring import compliance_of, gated, score_report
from auditor.textsafety import is_blank

if TYPE_CHECKING:
    from spacy.tokens import Doc


def _tags(hits: Iterable[Hit]) -> list[Tag]:
    grouped: dict[str, list[Evidence]] = {}
    for h in hits:
        grouped.setdefault(h.label, []).append(Evidence(start=h.start, end=h.end, text=h.text))
    return [Tag(id=k, evidence=v) for k, v in grouped.items()]


def calibrated(audit: ReportAudit, calibration: Calibration, scoring: Scoring) -> ReportAudit:
    """The audit with the calibration's verdict, unless the rubric's gates make it weak; a
    verdict the calibration changed carries `verdict_change` (audits with an error pass)."""
    if audit.error or audit.verdict is None or gated({f.code for f in audit.findings}, scoring):
        return audit
    verdict = calibration.verdict(audit)
    if verdict == audit.verdict:
        return audit
    change = VerdictChange(
        rubric=audit.verdict,
        calibrated=verdict,
        value=round(calibration.value(audit), 2),
        reason=calibration.explain(audit),
    )
    return audit.model_copy(update={"verdict": verdict, "verdict_change": change})


class Auditor:
    """Audits coaching reports against one rule pack."""

    def __init__(
        self,
        rules: RuleSet | None = None,
        ignore: Iterable[str] = (),
        sentence_model: SentenceRoleModel | None = None,
        calibration: Calibration | None = None,
        sentence_mode: Mode = "hybrid",
        focus_model: FocusModel | None = None,
    ) -> None:
        self.rules = rules or load_ruleset()
        ignored = set(ignore)
        # A history check (FOL001) needs the rep's previous report: the batch runs it later.
        judged = [c for c in build_checks(self.rules) if c.spec.code not in ignored]
        self.checks = [c for c in judged if not c.type.history]
        self._judged = judged  # with history checks, which never apply to one report alone
        self.nlp = build_nlp(self.rules)
        self.max_chars = self.rules.rubric.limits.max_chars
        self.languages = LanguageTeller(self.rules.language, self.rules.source)
        # Which signal each check reads, by code: the hybrid's rule-only and source notes need it.
        self._signal_of = {c.spec.code: c.signal for c in self.checks}
        self.sentence_model: SentenceRoleModel | None = None
        self.calibration: Calibration | None = None
        self.focus_model: FocusModel | None = None
        self._set_models(sentence_model, calibration, sentence_mode, focus_model)

    def _set_models(
        self,
        sentence_model: SentenceRoleModel | None,
        calibration: Calibration | None,
        sentence_mode: Mode,
        focus_model: FocusModel | None,
    ) -> None:
        if calibration is not None:
            codes = [c.spec.code for c in self.checks]
            calibration.check_fits(codes, sentence_model.sha256 if sentence_model else None)
            calibration.warn_unseen([c for c in codes if c in self.rules.verdict_checks])
        self.sentence_model, self.calibration = sentence_model, calibration
        self.focus_model = focus_model
        self.sentence_mode = sentence_mode
        self._protected = (
            protected_signals(sentence_model.hybrid, self._signal_of) if sentence_model else set()
        )

    def with_models(
        self,
        sentence_model: SentenceRoleModel | None = None,
        calibration: Calibration | None = None,
        sentence_mode: Mode = "hybrid",
        focus_model: FocusModel | None = None,
    ) -> Auditor:
        """A copy sharing this auditor's pipeline and checks, with other learned pieces."""
        other = copy.copy(self)
        other._set_models(sentence_model, calibration, sentence_mode, focus_model)
        return other

    def _validate(self, report: Report) -> str | None:
        if is_blank(report.text):
            return "empty report: the text is empty or whitespace only"
        if len(report.text) > self.max_chars:
            return f"report too long: {len(report.text)} characters (limit {self.max_chars})"
        return None

    def audit(self, report: Report) -> ReportAudit:
        """Audit one report."""
        return next(self.audit_stream([report]))

    def audit_stream(
        self, records: Iterable[Report | FailedRecord], batch_size: int = 32
    ) -> Iterator[ReportAudit]:
        """Audit records in input order; bad records come out as audits with `error`."""
        it = iter(records)
        while batch := list(islice(it, batch_size)):
            todo: list[tuple[str, int]] = []
            reports: dict[int, tuple[Report, ReportLanguage]] = {}
            results: list[ReportAudit] = []
            for rec in batch:
                err = rec.error if isinstance(rec, FailedRecord) else self._validate(rec)
                if err or isinstance(rec, FailedRecord):
                    results.append(
                        ReportAudit(
                            id=rec.id, metadata=rec.metadata, error=err, warnings=rec.warnings
                        )
                    )
                    continue
                found = self.languages.tell(rec.text)
                unsupported = self.languages.unsupported(found)
                if unsupported:
                    results.append(
                        ReportAudit(
                            id=rec.id,
                            metadata=rec.metadata,
                            language=found.code,
                            status="unsupported_language",
                            error=unsupported,
                            warnings=rec.warnings,
                        )
                    )
                    continue
                todo.append((rec.text, len(results)))
                reports[len(results)] = (rec, found)
                results.append(ReportAudit(id=rec.id))  # replaced by its audit below
            read = list(self.nlp.pipe(todo, as_tuples=True, batch_size=batch_size))
            anns = self._annotations([(doc, reports[idx][0]) for doc, idx in read])
            for (_, idx), ann in zip(read, anns, strict=True):
                results[idx] = self._audit(ann, *reports[idx])
            yield from results

    def annotate(self, reports: Iterable[Report], batch_size: int = 32) -> Iterator[Annotations]:
        """What the checks would read for each report (for training the learned pieces)."""
        it = iter(reports)
        while batch := list(islice(it, batch_size)):
            docs = self.nlp.pipe([r.text for r in batch], batch_size=batch_size)
            yield from self._annotations(list(zip(docs, batch, strict=True)))

    def _annotations(self, read: list[tuple[Doc, Report]]) -> list[Annotations]:
        """The annotations the checks read, for a batch of read reports."""
        anns = [dataclasses.replace(doc._.fcr, rep_level=rec.rep_level) for doc, rec in read]
        model = self.sentence_model
        if model is None:
            return anns
        # Rules first; the model adds sentence-role evidence as docs/models.md describes.
        todo = [
            i
            for i, ann in enumerate(anns)
            if open_roles(ann, model.labels, model.hybrid, self._protected, self.sentence_mode)
        ]
        lemmas = self.rules.sections.smart.specific.lemmas
        facts = {i: sentence_facts(read[i][0], lemmas) for i in todo}
        probas = model.predict_proba_reports([[s.text for s in facts[i]] for i in todo])
        for i, proba in zip(todo, probas, strict=True):
            anns[i] = combine(
                anns[i],
                facts[i],
                proba,
                model.labels,
                model.hybrid,
                self._protected,
                self.sentence_mode,
                self.rules.sections.smart.window,
            )
        return anns

    def _audit(self, ann: Annotations, report: Report, found: ReportLanguage) -> ReportAudit:
        if self.focus_model is not None:
            ann = self.focus_model.decide(ann)
        ctx = CheckContext(ann, self.rules, report.metadata)
        findings = run_checks(self.checks, ctx)
        if self.sentence_model is not None:
            findings = with_sources(findings, ann, self._signal_of)
        scoring = self.rules.rubric.scoring
        score, verdict = score_report(findings, (c.spec for c in self.checks), scoring)
        best = ann.best_objective
        mixed = self.languages.mixed(found)
        audit = ReportAudit(
            id=report.id,
            metadata=report.metadata,
            score=score,
            verdict=verdict,
            compliance=compliance_of(
                {f.code for f in findings}, scoring, (c.spec.code for c in self.checks)
            ),
            priorities=_tags(ann.priorities),
            competencies=_tags(ann.competencies),
            focus_competencies=list(ann.focus),
            aligned_priorities=aligned_priorities(ann.focus, ctx),
            star=StarStatus(
                situation=ann.has("situation"), action=ann.has("action"), result=ann.has("result")
            ),
            next_objective=NextObjective(
                present=ann.has("next_objective"),
                specific=bool(best and best.specific),
                measurable=bool(best and best.measurable),
                time_bound=bool(best and best.time_bound),
                smart=bool(best and best.smart),
                evidence=[Evidence(start=o.start, end=o.end, text=o.text) for o in ann.objectives],
            ),
            signals=Signals(**{name: ann.has(name) for name in Signals.model_fields}),
            findings=findings,
            not_applicable=not_applicable(self._judged, ctx),
            follow_up=[
                Evidence(start=h.start, end=h.end, text=h.text) for h in ann.signal("follow_up")
            ],
            language=found.code,
            warnings=[
                *report.warnings,
                *unreadable_ratings(report.metadata, self.rules.ratings),
                *([mixed] if mixed else []),
            ],
            text=report.text,
        )
        return calibrated(audit, self.calibration, scoring) if self.calibration else audit
