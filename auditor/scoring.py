"""Findings + configured weights -> score (0-100) and verdict.

Pure; the thresholds are compared here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from auditor.config import CheckSpec, Scoring
from auditor.schema import Compliance, Finding, ReportAudit, Verdict

#: What makes `auditor check --fail-on` exit 1.
FailOn = Literal["error", "warning", "weak"]
FAIL_ON: tuple[FailOn, ...] = ("error", "warning", "weak")


def score_report(
    findings: Iterable[Finding], checks: Iterable[CheckSpec], scoring: Scoring
) -> tuple[int, Verdict]:
    """Score = share of check weight that passes (capped on a compliance risk); verdict from
    gates, then thresholds."""
    checks = list(checks)
    failed = {f.code for f in findings}
    total = sum(c.weight for c in checks)
    passed = sum(c.weight for c in checks if c.code not in failed)
    score = round(100 * passed / total) if total else 100
    if scoring.compliance and scoring.compliance.check in failed:
        score = min(score, scoring.compliance.max_score)
    return score, verdict_for(score, failed, scoring)


def compliance_of(failed: set[str], scoring: Scoring, ran: Iterable[str]) -> Compliance | None:
    """ "risk" when the rubric's compliance check failed, "clear" when it ran and passed, None
    when the rubric has no compliance gate or its check did not run."""
    gate = scoring.compliance
    if gate is None or gate.check not in set(ran):
        return None
    return "risk" if gate.check in failed else "clear"


def gated(failed: set[str], scoring: Scoring) -> bool:
    """Whether the rubric's gates make the report weak whatever its score (or a calibration)."""
    if failed & set(scoring.gate_checks):
        return True
    return any(
        len(failed & set(rule.checks)) >= rule.at_least and set(rule.and_failed) <= failed
        for rule in scoring.weak_if_count
    )


def verdict_for(score: float, failed: set[str], scoring: Scoring) -> Verdict:
    """The verdict for a score and the set of failed check codes."""
    if gated(failed, scoring):
        return "weak"
    if score >= scoring.thresholds.strong and not failed & set(scoring.strong_requires):
        return "strong"
    if score >= scoring.thresholds.adequate:
        return "adequate"
    return "weak"


def fails(audit: ReportAudit, fail_on: FailOn = "error") -> bool:
    """Whether an audit fails a script's gate: an error-severity finding (`error`), a warning-
    or error-severity finding (`warning`), or a weak verdict (`weak`)."""
    if fail_on == "weak":
        return audit.verdict == "weak"
    severities = {"error"} if fail_on == "error" else {"error", "warning"}
    return any(f.severity in severities for f in audit.findings)
