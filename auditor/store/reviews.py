"""Reviewer decisions applied to an audit: rejected findings leave the score, verdicts follow.

Pure: the latest decision per finding code (and one for the verdict) counts; the score and
verdict are recomputed with the rubric's own scoring (auditor.scoring) over the checks that ran.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditor.config import RuleSet
from auditor.schema import ReportAudit, ReviewApplied, ReviewDecision
from auditor.scoring import compliance_of, score_report


def latest_decisions(decisions: Iterable[ReviewDecision]) -> list[ReviewDecision]:
    """The last decision per finding code and for the verdict, in the order of the trail."""
    latest: dict[str | None, ReviewDecision] = {}
    for decision in decisions:
        key = None if decision.kind == "verdict" else decision.code
        latest.pop(key, None)
        latest[key] = decision
    return list(latest.values())


def apply_reviews(
    audit: ReportAudit, decisions: Iterable[ReviewDecision], rules: RuleSet, ignored: Iterable[str]
) -> ReportAudit:
    """The audit as the reviewers left it, with `review` saying what they decided.

    A rejected finding is dropped and the score, verdict and compliance are recomputed over the
    checks that ran (the rule pack's minus `ignored`); a calibration's verdict change is then
    void. A verdict set by a reviewer wins over any computed one. No decisions: `audit` itself.
    """
    latest = latest_decisions(decisions)
    if not latest or audit.error is not None:
        return audit
    rejected = {d.code for d in latest if d.kind == "reject"}
    set_verdict = next((d.verdict for d in latest if d.kind == "verdict"), None)
    findings = [f for f in audit.findings if f.code not in rejected]
    update: dict[str, object] = {}
    if len(findings) < len(audit.findings):
        skip = set(ignored)
        checks = [c for c in rules.rubric.checks if c.code not in skip]
        scoring = rules.rubric.scoring
        score, verdict = score_report(findings, checks, scoring)
        failed = {f.code for f in findings}
        update = {
            "findings": findings,
            "score": score,
            "verdict": verdict,
            "compliance": compliance_of(failed, scoring, (c.code for c in checks)),
            "verdict_change": None,
        }
    if set_verdict is not None:
        update["verdict"] = set_verdict
    changed = bool(update) and (
        len(findings) < len(audit.findings) or update["verdict"] != audit.verdict
    )
    update["review"] = ReviewApplied(
        score=audit.score, verdict=audit.verdict, decisions=latest, changed=changed
    )
    return audit.model_copy(update=update)
