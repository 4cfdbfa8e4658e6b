"""Findings + configured weights -> score (0-100) and verdict.

Pure; the thresholds are compared here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from auditor.config import CheckSpec, Scoring
from auditor.schema import Finding, ReportAudit, Verdict

#: What makes `auditor check --fail-on` exit 1.
FailOn = Literal["error", "warning", "weak"]
FAIL_ON: tuple[FailOn, ...] = ("error", "warning", "weak")


def score_report(
    findings: Iterable[Finding], checks: Iterable[CheckSpec], scoring: Scoring
) -> tuple[int, Verdict]:
    """Score = share of check weight that passes; verdict from gates, then thresholds."""
    checks = list(checks)
    failed = {f.code for f in findings}
    total = sum(c.weight for c in checks)
    passed = sum(c.weight for c in checks if c.code not in failed)
    score = round(100 * passed / total) if total else 100
    return score, verdict_for(score, failed, scoring)


def verdict_for(score: float, failed: set[str], scoring: Scoring) -> Verdict:
    """The verdict for a score and the set of failed check codes."""
    if failed & set(scoring.weak_if_any):
        return "weak"
    for rule in scoring.weak_if_count:
        if len(failed & set(rule.checks)) >= rule.at_least and set(rule.and_failed) <= failed:
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
