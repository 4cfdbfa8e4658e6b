"""audit(report) -> ReportAudit: read with the NLP pipeline, run the checks, score.

The pipeline and checks are built once per `Auditor`; `audit_stream` keeps input order, passes
records that failed to read through as errors, and never holds more than one batch in memory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from itertools import islice

from auditor.annotations import Annotations, Hit
from auditor.checks import CheckContext, build_checks, run_checks
from auditor.checks.specific import aligned_priorities
from auditor.config import RuleSet, load_ruleset
from auditor.nlp.pipeline import build_nlp
from auditor.schema import (
    Evidence,
    FailedRecord,
    NextObjective,
    Report,
    ReportAudit,
    Signals,
    StarStatus,
    Tag,
)
from auditor.scoring import score_report


def _tags(hits: Iterable[Hit]) -> list[Tag]:
    grouped: dict[str, list[Evidence]] = {}
    for h in hits:
        grouped.setdefault(h.label, []).append(Evidence(start=h.start, end=h.end, text=h.text))
    return [Tag(id=k, evidence=v) for k, v in grouped.items()]


class Auditor:
    """Audits coaching reports against one rule pack."""

    def __init__(self, rules: RuleSet | None = None, ignore: Iterable[str] = ()) -> None:
        self.rules = rules or load_ruleset()
        ignored = set(ignore)
        self.checks = [c for c in build_checks(self.rules) if c.spec.code not in ignored]
        self.nlp = build_nlp(self.rules)
        self.max_chars = self.rules.rubric.limits.max_chars

    def _validate(self, report: Report) -> str | None:
        if not report.text.strip():
            return "empty report: the text is empty or whitespace only"
        if len(report.text) > self.max_chars:
            return f"report too long: {len(report.text)} characters (limit {self.max_chars})"
        return None

    def audit(self, report: Report) -> ReportAudit:
        """Audit one report."""
        return next(self.audit_stream([report]))

    def annotate(self, report: Report) -> Annotations:
        """The annotations the checks read, for one report (no checks run)."""
        return self._annotations(self.nlp(report.text), report)

    def audit_stream(self, records: Iterable[Report | FailedRecord],
                     batch_size: int = 32) -> Iterator[ReportAudit]:
        """Audit records in input order; bad records come out as audits with `error`."""
        it = iter(records)
        while batch := list(islice(it, batch_size)):
            todo = []
            results: list[ReportAudit | None] = []
            for rec in batch:
                err = rec.error if isinstance(rec, FailedRecord) else self._validate(rec)
                if err:
                    results.append(ReportAudit(id=rec.id, metadata=rec.metadata, error=err))
                else:
                    todo.append((rec.text, len(results)))
                    results.append(None)
            for doc, idx in self.nlp.pipe(todo, as_tuples=True, batch_size=batch_size):
                rec = batch[idx]
                results[idx] = self._audit_doc(doc, rec)
            yield from results  # type: ignore[misc]

    def _annotations(self, doc, report: Report) -> Annotations:  # noqa: ANN001 (spaCy Doc)
        return dataclasses.replace(doc._.fcr, rep_level=report.rep_level)

    def _audit_doc(self, doc, report: Report) -> ReportAudit:  # noqa: ANN001 (spaCy Doc)
        ann = self._annotations(doc, report)
        ctx = CheckContext(ann, self.rules)
        findings = run_checks(self.checks, ctx)
        score, verdict = score_report(findings, (c.spec for c in self.checks),
                                      self.rules.rubric.scoring)
        best = ann.best_objective
        return ReportAudit(
            id=report.id,
            metadata=report.metadata,
            score=score,
            verdict=verdict,
            priorities=_tags(ann.priorities),
            competencies=_tags(ann.competencies),
            focus_competencies=list(ann.focus),
            aligned_priorities=aligned_priorities(ann.focus, ctx),
            star=StarStatus(situation=ann.has("situation"), action=ann.has("action"),
                            result=ann.has("result")),
            next_objective=NextObjective(
                present=ann.has("next_objective"),
                specific=bool(best and best.specific),
                measurable=bool(best and best.measurable),
                time_bound=bool(best and best.time_bound),
                smart=bool(best and best.smart),
                evidence=[Evidence(start=o.start, end=o.end, text=o.text)
                          for o in ann.objectives],
            ),
            signals=Signals(**{name: ann.has(name) for name in Signals.model_fields}),
            findings=findings,
            text=report.text,
        )
