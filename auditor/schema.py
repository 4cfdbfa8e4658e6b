"""Pydantic boundary types: what comes in (Report), what goes out (ReportAudit, RegionsReport).

Offsets: every `Evidence` is a half-open `[start, end)` range of Python `str` indices (Unicode
code points) into `Report.text`, exactly as given, so `report.text[start:end] == evidence.text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Severity = Literal["error", "warning", "info"]
Verdict = Literal["strong", "adequate", "weak"]
#: The verdicts from worst to best; the one place their order is written.
VERDICTS: tuple[Verdict, ...] = ("weak", "adequate", "strong")
RepLevel = Literal["new", "experienced"]
#: A report's compliance status: its rubric's compliance check failed ("risk") or passed.
Compliance = Literal["risk", "clear"]
#: What became of a record: audited; not audited (`error` says why); or in a language the rule
#: pack does not cover (`error` names both languages, `language` is the report's).
Status = Literal["audited", "error", "unsupported_language"]

METADATA_FIELDS = ("region", "manager", "rep", "rep_level", "date")


def read_rep_level(metadata: dict[str, Any]) -> str | None:
    """The rep's level (new / experienced), normalised, if the metadata gives it."""
    level = metadata.get("rep_level")
    return str(level).strip().lower() if level else None


class Report(BaseModel):
    """One coaching report as read from any input format."""

    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)

    @property
    def rep_level(self) -> str | None:
        """The rep's level (new / experienced) if the metadata gives it."""
        return read_rep_level(self.metadata)


@dataclass(frozen=True)
class FailedRecord:
    """An input record that could not be read; it comes out as a ReportAudit with `error`."""

    id: str
    error: str
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Evidence(BaseModel):
    """A stretch of the report text: `[start, end)` code-point offsets and the text itself."""

    start: int
    end: int
    text: str


class Tag(BaseModel):
    """A taxonomy id found in the report, with where it was found."""

    id: str
    evidence: list[Evidence] = Field(default_factory=list)


class Finding(BaseModel):
    """One rubric check that flagged the report."""

    code: str
    name: str
    severity: Severity
    message: str
    suggestion: str
    evidence: list[Evidence] = Field(default_factory=list)
    explanation: str | None = None


class StarStatus(BaseModel):
    """Which STAR parts the report contains."""

    situation: bool
    action: bool
    result: bool


class NextObjective(BaseModel):
    """Whether a next objective exists, and its SMART facets (best objective found)."""

    present: bool
    specific: bool
    measurable: bool
    time_bound: bool
    smart: bool
    evidence: list[Evidence] = Field(default_factory=list)


class Signals(BaseModel):
    """Report-level yes/no signals the rater's guide defines."""

    observed_behavior: bool
    reinforcement: bool
    dialogue: bool
    judgmental: bool
    numbers_only: bool
    compliance_risk: bool


class VerdictChange(BaseModel):
    """How calibration to graders changed the rubric's verdict, and why."""

    rubric: Verdict
    calibrated: Verdict
    value: float
    reason: str


#: Whether a report follows up the objective of the rep's previous report (docs/followthrough.md);
#: `not_assessed` when it cannot be told (`reason` says why).
FollowStatus = Literal["followed_up", "partly", "not_followed_up", "not_assessed"]


class FollowThrough(BaseModel):
    """How a report follows up the previous report of the same rep (`auditor audit` only).

    `previous_objective` offsets index the previous report's text; `back_references` (this
    report's `follow_up` sentences that the decision used) index this report's text.
    """

    status: FollowStatus
    reason: str
    previous_id: str | None = None
    previous_date: str | None = None
    previous_objective: list[Evidence] = Field(default_factory=list)
    back_references: list[Evidence] = Field(default_factory=list)
    shared: list[str] = Field(default_factory=list)


ReviewKind = Literal["accept", "reject", "verdict"]


class ReviewDecision(BaseModel):
    """A reviewer's decision on one finding (accept / reject its code) or on the verdict.

    `at` is when it was recorded, ISO 8601 in UTC; `id` its number in the store's trail.
    """

    id: int | None = None
    report_id: str
    kind: ReviewKind
    code: str | None = None
    verdict: Verdict | None = None
    reviewer: str
    reason: str
    at: str


class ReviewApplied(BaseModel):
    """Reviewer decisions applied to an audit: its score and verdict as audited, the latest
    decision per finding and verdict, and whether they changed the findings or the verdict."""

    score: int | None
    verdict: Verdict | None
    decisions: list[ReviewDecision]
    changed: bool


class ReportAudit(BaseModel):
    """The audit of one report: tags, checklist, findings, score and verdict, or an error.

    `compliance` is None when the report was not audited or the rubric's compliance check did
    not run; `verdict_change` is set only when a calibration changed the rubric's verdict.
    `language` is the report's ISO 639-1 code as detected (the pack's for a text too short to
    tell); None when the record failed before its language was told. `follow_up` are the
    sentences that look back at an earlier visit or objective; `follow_through` is set by
    `auditor audit` once the whole batch is known (None elsewhere and on failed records).
    """

    id: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    score: int | None = None
    verdict: Verdict | None = None
    compliance: Compliance | None = None
    verdict_change: VerdictChange | None = None
    priorities: list[Tag] = Field(default_factory=list)
    competencies: list[Tag] = Field(default_factory=list)
    focus_competencies: list[str] = Field(default_factory=list)
    aligned_priorities: list[str] = Field(default_factory=list)
    star: StarStatus | None = None
    next_objective: NextObjective | None = None
    signals: Signals | None = None
    findings: list[Finding] = Field(default_factory=list)
    #: Codes of checks that could not be judged on this report (they pass; statistics leave the
    #: report out of their rates). Written only when there are any.
    not_applicable: list[str] = Field(default_factory=list, exclude_if=lambda v: not v)
    follow_up: list[Evidence] = Field(default_factory=list)
    follow_through: FollowThrough | None = None
    language: str | None = None
    status: Status = "audited"
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)
    text: str | None = None
    #: Set only on an audit read from the store with reviewer decisions (never written as null).
    review: ReviewApplied | None = Field(default=None, exclude_if=lambda v: v is None)

    @model_validator(mode="after")
    def _error_means_not_audited(self) -> ReportAudit:
        if self.error is not None and self.status == "audited":
            self.status = "error"
        return self

    @property
    def ok(self) -> bool:
        """True when the report was audited (no error)."""
        return self.error is None

    @property
    def rep_level(self) -> str | None:
        """The rep's level, read from the metadata as the audit's checks read it."""
        return read_rep_level(self.metadata)


# -- regions output (the JSON contract of `auditor regions --format json`) -------------------
GroupBy = Literal["region", "manager", "rep", "period"]
PeriodKind = Literal["month", "quarter"]
GROUP_NOUN = {"region": "regions", "manager": "managers", "rep": "reps", "period": "periods"}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupStats(_Out):
    """Statistics of one group (region, manager or period)."""

    name: str
    region: str | None = None
    n: int
    errors: int
    managers: int
    mean_score: float | None
    median_score: float | None
    score_ci: tuple[float, float] | None
    score_quartiles: tuple[float, float, float, float, float] | None
    verdicts: dict[str, float]
    #: Pass rate over the reports each check applies to (None: it applies to none of them).
    check_pass_rates: dict[str, float | None]
    competency_share: dict[str, float]
    priority_share: dict[str, float]
    alignment_rate: float | None
    no_focus_share: float | None
    compliance_risks: int
    compliance_risk_share: float | None
    divergence: float | None
    small_sample: bool
    follow_through: GroupFollowThrough | None = None
    #: How many of the group's reports each check applies to (the pass rate's denominator).
    check_reports: dict[str, int] = Field(default_factory=dict)


class GroupFollowThrough(_Out):
    """Follow-through of a group's reports that carry a status: counts, and the followed-up rate."""

    n: int
    statuses: dict[str, int]
    rate: float | None
    ci: tuple[float, float] | None


class Gap(_Out):
    """A check pass rate or competency share of a group below the organisation's."""

    kind: Literal["check", "competency"]
    id: str
    name: str
    rate: float
    org_rate: float
    gap: float
    n: int
    ci: tuple[float, float]
    clear: bool


class WorkOn(_Out):
    """What one group should work on: its largest gaps below the organisation."""

    group: str
    region: str | None
    n: int
    small_sample: bool
    gaps: list[Gap]


class Extreme(_Out):
    """A group and its pass rate of one check."""

    group: str
    rate: float


class DivergentCheck(_Out):
    """A check whose pass rate differs between groups."""

    code: str
    name: str
    spread: float
    p: float | None
    p_holm: float | None
    lowest: Extreme
    highest: Extreme


class Consistency(_Out):
    """How alike the groups are."""

    index: float | None
    meaning: str | None
    icc: float | None
    between_share: float | None
    kruskal_p: float | None
    pass_rate_spread: float | None
    noise_spread: float | None
    groups_compared: list[str]
    most_divergent_checks: list[DivergentCheck]
    notes: list[str]
    index_ci: tuple[float, float] | None = None


class Outlier(_Out):
    """A manager (or region) far from its baseline on a concern rate or on the mean score."""

    level: Literal["manager", "region", "split"]
    manager: str | None
    region: str
    reason: str
    value: float
    region_value: float
    baseline: str
    difference: float
    ci: tuple[float, float]
    n: int
    message: str


class TrendSlopes(_Out):
    """Least-squares change per period of each trend series (None with fewer than 2 periods)."""

    mean_score: float | None
    alignment_rate: float | None
    competency_share: dict[str, float | None]
    check_pass_rates: dict[str, float | None]


class Trends(_Out):
    """Per-period series; `undated` reports have no usable date and are left out."""

    period: PeriodKind
    periods: list[str]
    n: list[int]
    small_sample: list[bool]
    mean_score: list[float | None]
    alignment_rate: list[float | None]
    competency_share: dict[str, list[float | None]]
    check_pass_rates: dict[str, list[float | None]]
    slopes: TrendSlopes
    undated: int
    notes: list[str]
    mean_score_ci: list[tuple[float, float] | None] = Field(default_factory=list)
    alignment_rate_ci: list[tuple[float, float] | None] = Field(default_factory=list)
    competency_share_ci: dict[str, list[tuple[float, float] | None]] = Field(default_factory=dict)
    check_pass_rates_ci: dict[str, list[tuple[float, float] | None]] = Field(default_factory=dict)


LeniencyCall = Literal["lenient", "harsh", "in line", "too few reports"]


class ManagerLeniency(_Out):
    """How one manager's ratings sit relative to what their narratives support.

    `leniency` is the mean over the manager's rated reports of (the rating, 0-1 on its scale,
    minus the mean rating of narratives with a similar score), in -1..1; `ci` its bootstrap
    interval (adjusted for the number of managers compared and small samples).
    """

    manager: str
    region: str
    n: int
    leniency: float | None
    ci: tuple[float, float] | None
    mean_rating: float | None
    mean_score: float | None
    call: LeniencyCall


class Leniency(_Out):
    """Per-manager leniency of ratings (docs/ratings.md) and the organisation's level (the
    median manager) that a lenient or harsh manager's interval excludes."""

    n_rated: int
    org_level: float
    confidence: float
    min_reports: int
    managers: list[ManagerLeniency]
    lenient: list[str]
    harsh: list[str]
    notes: list[str]


class ErrorSample(_Out):
    """A report that could not be audited."""

    id: str
    error: str


class RegionsReport(_Out):
    """The whole output of `auditor regions`."""

    by: GroupBy
    period: PeriodKind
    min_group_size: int
    n_reports: int
    n_errors: int
    errors: list[ErrorSample]
    groups: list[GroupStats]
    consistency: Consistency
    outliers: list[Outlier]
    trends: Trends
    notes: list[str]
    region_aliases: dict[str, list[str]] = Field(default_factory=dict)
    work_on: list[WorkOn] = Field(default_factory=list)
    #: Set for `--by manager` when reports carry ratings (None otherwise).
    leniency: Leniency | None = None


# -- rep timeline (the JSON contract of `auditor rep --format json`) --------------------------
TrendDirection = Literal["improving", "declining", "steady", "too_few"]
TREND_DIRECTIONS: tuple[TrendDirection, ...] = ("improving", "declining", "steady", "too_few")


class RepVisit(_Out):
    """One report of the rep: when, by whom, how it scored, what it coached and set as the next
    objective, and whether the next visit followed that objective up.

    `followed_up` is the status the rep's next report gave this one's objective (its
    `follow_through` naming this report); `not_assessed` when the next report does not say;
    None when there is no later report. `followed_up_in` is that next report's id.
    """

    id: str
    date: str | None
    manager: str | None
    score: int | None
    verdict: Verdict | None
    competencies: list[str]
    objective: str | None
    followed_up: FollowStatus | None
    followed_up_in: str | None
    error: str | None = None


class TrendPoint(_Out):
    """A dated visit on a competency's trend: its day and score."""

    id: str
    date: str
    score: int


class CompetencyTrend(_Out):
    """A competency coached in at least two of the rep's visits and how its reports moved.

    `level` is the least-squares line through the scores of the dated visits coaching it, at
    the latest of them (0-100); `slope` that line's change per `per_days` days; both None with
    fewer than the minimum of dated visits (`direction` "too_few").
    """

    id: str
    name: str
    visits: int
    points: list[TrendPoint]
    level: float | None
    slope: float | None
    per_days: int
    direction: TrendDirection
    statement: str


class RepTimeline(_Out):
    """The whole output of `auditor rep`: the rep's visits by date (undated last) and trends."""

    rep: str
    n_reports: int
    n_errors: int
    undated: int
    visits: list[RepVisit]
    overall: CompetencyTrend | None
    trends: list[CompetencyTrend]
    notes: list[str]
