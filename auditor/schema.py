"""Pydantic boundary types: what comes in (Report) and what goes out (ReportAudit).

Offsets: every `Evidence` is a half-open `[start, end)` range of Python `str` indices (Unicode
code points) into `Report.text`, exactly as given, so `report.text[start:end] == evidence.text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning", "info"]
Verdict = Literal["strong", "adequate", "weak"]
RepLevel = Literal["new", "experienced"]

METADATA_FIELDS = ("region", "manager", "rep", "rep_level", "date")


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
        level = self.metadata.get("rep_level")
        return str(level).strip().lower() if level else None


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


class ReportAudit(BaseModel):
    """The audit of one report: tags, checklist, findings, score and verdict, or an error."""

    id: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    score: int | None = None
    verdict: Verdict | None = None
    priorities: list[Tag] = Field(default_factory=list)
    competencies: list[Tag] = Field(default_factory=list)
    focus_competencies: list[str] = Field(default_factory=list)
    aligned_priorities: list[str] = Field(default_factory=list)
    star: StarStatus | None = None
    next_objective: NextObjective | None = None
    signals: Signals | None = None
    findings: list[Finding] = Field(default_factory=list)
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)
    text: str | None = None

    @property
    def ok(self) -> bool:
        """True when the report was audited (no error)."""
        return self.error is None
