"""Give an audit its follow-through: the `follow_through` field, FOL001 and the score with it.

`FollowThroughPass` runs after a batch is audited, over each audit in input order; the
previous report comes from the batch (`BatchHistory`) or a pluggable `History` provider. The
check is the rubric's history check (type `follow_through`, FOL001); it counts in the score only for
a report that was assessed, so other reports keep their score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from auditor.annotations import Hit
from auditor.checks import build_checks
from auditor.checks.base import finding
from auditor.config import FollowThroughSettings, RuleSet
from auditor.followthrough.decision import Decision, Previous, current_of, decide
from auditor.followthrough.history import BatchHistory, History, latest_previous, rep_and_date
from auditor.followthrough.words import Vocabulary
from auditor.schema import FollowThrough, ReportAudit
from auditor.scoring import score_report


class FollowThroughPass:
    """Judges the follow-through of each audit of a batch against the rep's previous report."""

    def __init__(
        self,
        rules: RuleSet,
        settings: FollowThroughSettings,
        batch: BatchHistory,
        history: History | None = None,
        ignore: Iterable[str] = (),
        calibrate: Callable[[ReportAudit], ReportAudit] | None = None,
    ) -> None:
        ignored = set(ignore)
        checks = [c for c in build_checks(rules) if c.spec.code not in ignored]
        self.rules, self.settings, self.batch, self.history = rules, settings, batch, history
        self.vocab = batch.vocab
        self.calibrate = calibrate
        self.scored = [c.spec for c in checks if not c.type.history]
        self.spec = next((c.spec for c in checks if c.type.history), None)
        self.order = {c.code: i for i, c in enumerate(rules.rubric.checks)}

    def __call__(self, audit: ReportAudit) -> ReportAudit:
        """The audit with `follow_through` set (failed records pass unchanged)."""
        if audit.error is not None:
            return audit
        key = rep_and_date(audit)
        if isinstance(key, str):
            return _not_assessed(audit, key)
        rep, date = key
        previous = latest_previous(self.batch, self.history, rep, date)
        if previous is None:
            return _not_assessed(audit, f"no earlier report of rep {rep!r}")
        if not (previous.words or previous.competencies):  # no objective, or none in words
            return _not_assessed(
                audit, f"the previous report ({previous.id}, {previous.date}) sets no objective"
            )
        current = current_of(audit, self.vocab)
        decision = decide(previous, current, self.vocab)
        field = FollowThrough(
            status=decision.status,
            reason=_reason(decision, previous),
            previous_id=previous.id,
            previous_date=previous.date,
            previous_objective=previous.evidence(),
            back_references=list(current.back_references),
            shared=list(decision.shared),
        )
        return self._rescored(audit.model_copy(update={"follow_through": field}), previous)

    def _rescored(self, audit: ReportAudit, previous: Previous) -> ReportAudit:
        """FOL001 when not followed up, and the score and verdict with the check counted."""
        spec, field = self.spec, audit.follow_through
        if spec is None or field is None:
            return audit
        findings = [f for f in audit.findings if f.code != spec.code]
        if field.status == "not_followed_up":
            objective = " ".join(text.strip() for _, _, text in previous.objective)
            hits = [Hit(e.start, e.end, "follow_up", e.text) for e in field.back_references]
            findings.append(
                finding(
                    spec,
                    hits,
                    explanation=f"previous objective ({previous.id}, {previous.date}): {objective}",
                    previous=previous.id,
                    date=previous.date,
                    objective=objective,
                )
            )
            findings.sort(key=lambda f: self.order.get(f.code, len(self.order)))
        score, verdict = score_report(findings, [*self.scored, spec], self.rules.rubric.scoring)
        rescored = audit.model_copy(
            update={
                "findings": findings,
                "not_applicable": [c for c in audit.not_applicable if c != spec.code],
                "score": score,
                "verdict": verdict,
                "verdict_change": None,
            }
        )
        return self.calibrate(rescored) if self.calibrate else rescored


def _not_assessed(audit: ReportAudit, reason: str) -> ReportAudit:
    field = FollowThrough(status="not_assessed", reason=reason)
    return audit.model_copy(update={"follow_through": field})


def _reason(decision: Decision, previous: Previous) -> str:
    """One line on what the decision rests on."""
    what = {
        "followed_up": "revisits the previous objective",
        "partly": "mentions the previous topic without saying what became of the objective",
        "not_followed_up": "does not refer to the previous objective",
    }[decision.status]
    shared = f"; shared: {', '.join(decision.shared)}" if decision.shared else ""
    return (
        f"{what} ({previous.id}, {previous.date}); follow score {decision.follow:g}, "
        f"mention score {decision.mention:g}{shared}"
    )


#: What separates the earlier report from the later one in a history check's example.
EXAMPLE_SEPARATOR = "\n---\n"


def split_example(text: str) -> tuple[str, str]:
    """A history check's example as (earlier report, later report)."""
    previous, sep, current = text.partition(EXAMPLE_SEPARATOR)
    if not sep:
        raise ValueError("a follow-through example is two reports separated by a line '---'")
    return previous, current


def judge_pair(
    rules: RuleSet, settings: FollowThroughSettings, previous: ReportAudit, current: ReportAudit
) -> ReportAudit:
    """`current` judged against `previous` (both audited, with the same rep, earlier date first)."""
    batch = BatchHistory(Vocabulary(settings))
    batch.add(previous)
    return FollowThroughPass(rules, settings, batch)(current)
