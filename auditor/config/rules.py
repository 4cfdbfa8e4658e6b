"""The models of a rule pack: taxonomy, sections, reading, strategy, rubric and lexicons.

`load_ruleset` (loading.py) reads the files of a pack into one immutable `RuleSet`.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, field_validator

from auditor.annotations import SIGNALS
from auditor.config.base import StrictModel
from auditor.config.language import LanguageSettings
from auditor.config.ratings import RatingScales, load_ratings
from auditor.token_patterns import token_pattern_errors

Role = Literal["situation", "action", "result", "next_objective", "reinforcement", "rep_voice"]
CueName = Literal[
    "situation",
    "setting",
    "action",
    "result",
    "next_objective",
    "reinforcement",
    "rep_voice",
    "observed",
]


class RuleSpec(StrictModel):
    """One rule shape for every matcher: lemma phrases, exact phrases, token patterns, regexes."""

    phrases: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    patterns: tuple[tuple[dict[str, Any], ...], ...] = ()
    regex: tuple[str, ...] = ()

    @field_validator("patterns")
    @classmethod
    def _valid_patterns(cls, value: tuple[tuple[dict[str, Any], ...], ...]) -> Any:
        for i, pattern in enumerate(value):
            errors = token_pattern_errors([dict(t) for t in pattern])
            if errors:
                raise ValueError(f"token pattern {i} is invalid: {'; '.join(errors)}")
        return value

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for expr in value:
            try:
                re.compile(expr)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {expr!r}: {exc}") from exc
        return value


class TaxonomyEntry(RuleSpec):
    """A strategic priority or a competency with the cues that signal it.

    `context` phrases (people, materials, documents) count towards a competency's focus with
    the reduced weight `focus.context_factor`: mentioning a nurse is not coaching engagement.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    definition: str
    context: tuple[str, ...] = ()


class Taxonomy(StrictModel):
    """Priorities and competencies (rules/taxonomy.yaml)."""

    priorities: tuple[TaxonomyEntry, ...]
    competencies: tuple[TaxonomyEntry, ...]


class SpecificSpec(StrictModel):
    """Verbs whose lemma makes an objective name a behaviour."""

    lemmas: tuple[str, ...]


class SmartSpec(StrictModel):
    """Cues for the SMART facets of a next objective."""

    window: int = Field(default=1, ge=0, le=5)
    time: RuleSpec
    measure: RuleSpec
    specific: SpecificSpec


class FocusSpec(StrictModel):
    """How competency mentions add up to a focus competency."""

    role_weights: dict[Role, float]
    passing_weight: float = Field(ge=0)
    context_factor: float = Field(default=0.5, ge=0, le=1)
    top_min_score: float = Field(gt=0)
    topic_weight: float = Field(default=1.25, ge=0)
    min_score: float = Field(gt=0)
    # Weight of a mention in a sentence without a coaching role that is neither the report's
    # opening sentence nor under a heading; None: such mentions weigh `passing_weight`.
    body_weight: float | None = Field(default=None, ge=0)


class NumbersOnlySpec(StrictModel):
    """When a report counts as numbers only."""

    min_metric_hits: int = Field(ge=1)
    max_coaching_sentences: int = Field(ge=0)
    max_observed: int = Field(ge=0)
    # The roles of a sentence that coaches (counted against `max_coaching_sentences`).
    coaching_roles: tuple[Role, ...] = ("action", "result", "next_objective", "reinforcement")


class PositionalHeadings(StrictModel):
    """Heading words whose role depends on their position in the report."""

    words: tuple[str, ...]
    early_share: float = Field(gt=0, lt=1)
    early: Role
    late: Role


class Sections(StrictModel):
    """Section headings, sentence cues, SMART facets and focus (rules/sections.yaml)."""

    headings: dict[Role, tuple[str, ...]]
    positional_headings: PositionalHeadings
    setting_sentences: int = Field(default=2, ge=0)
    cues: dict[CueName, RuleSpec]
    smart: SmartSpec
    numbers_only: NumbersOnlySpec
    focus: FocusSpec


class NotEvidenceFor(StrictModel):
    """Taxonomy ids that a sentence with a lexicon hit is no evidence of."""

    priorities: tuple[str, ...] = ()
    competencies: tuple[str, ...] = ()

    @property
    def labels(self) -> set[tuple[str, str]]:
        """(kind, id) pairs: ("priority", id) and ("competency", id)."""
        return {("priority", p) for p in self.priorities} | {
            ("competency", c) for c in self.competencies
        }


class Lexicon(RuleSpec):
    """A word list for one signal, with phrases that cancel a hit near it (`Reading.exceptions`)
    and the taxonomy ids its hit's sentence does not evidence (`not_evidence_for`).

    `bare` rules count only in a sentence that names no behaviour: no coaching verb
    (`smart.specific.lemmas`), no observed-behaviour cue and no rep's-voice cue ("do better").
    """

    label: Literal["judgmental", "compliance_risk", "metric", "back_reference"]
    exceptions: tuple[str, ...] = ()
    not_evidence_for: NotEvidenceFor = NotEvidenceFor()
    bare: RuleSpec = RuleSpec()


class SignalExamples(StrictModel):
    """Texts in which the reader must find `signal`, and texts in which it must not."""

    signal: str
    present: tuple[str, ...] = Field(min_length=1)
    absent: tuple[str, ...] = Field(min_length=1)

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, value: str) -> str:
        if value not in SIGNALS:
            raise ValueError(f"unknown signal {value!r}; allowed: {', '.join(SIGNALS)}")
        return value


class PraiseSpec(StrictModel):
    """A praise cue is no reinforcement when a negation word stands just before it."""

    negation: tuple[str, ...] = Field(default=("not", "n't", "never", "no", "hardly"), min_length=1)
    words_between: int = Field(default=1, ge=0, le=5)
    window: int = Field(default=12, ge=1)
    examples: SignalExamples | None = None


class ExceptionSpec(StrictModel):
    """How far a lexicon exception reaches: the hit's sentence and the ones after it."""

    sentences: int = Field(default=3, ge=1)
    examples: SignalExamples | None = None


class Reading(StrictModel):
    """How the reader treats the words around a cue (rules/reading.yaml, optional)."""

    praise: PraiseSpec = PraiseSpec()
    exceptions: ExceptionSpec = ExceptionSpec()


class Strategy(StrictModel):
    """Active priorities and the alignment map (rules/strategy.yaml)."""

    active_priorities: tuple[str, ...]
    alignment: dict[str, tuple[str, ...]]


class CheckExamples(StrictModel):
    """Texts that must make the check flag, and texts that must not; `metadata` is the
    metadata every example report carries (e.g. ratings)."""

    metadata: dict[str, Any] = Field(default_factory=dict)
    flag: tuple[str, ...] = Field(min_length=1)
    pass_: tuple[str, ...] = Field(min_length=1, alias="pass")


class CheckSpec(StrictModel):
    """One rubric check as configured; its `type` selects the Python check function."""

    code: str = Field(pattern=r"^[A-Z]{2,5}\d{3}$")
    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    type: str
    params: dict[str, Any] = Field(default_factory=dict)
    severity: Literal["error", "warning", "info"]
    weight: float = Field(ge=0)
    message: str
    suggestion: str
    why: str
    examples: CheckExamples


class WeakIfCount(StrictModel):
    """Weak when at least `at_least` of `checks` fail (and every `and_failed` check fails)."""

    checks: tuple[str, ...]
    at_least: int = Field(ge=1)
    and_failed: tuple[str, ...] = ()


class Thresholds(StrictModel):
    """Score thresholds for the verdicts."""

    strong: float = Field(ge=0, le=100)
    adequate: float = Field(ge=0, le=100)


class ComplianceGate(StrictModel):
    """When `check` fails the report has a compliance risk: weak, its score at most `max_score`."""

    check: str
    max_score: int = Field(default=40, ge=0, le=100)


class Scoring(StrictModel):
    """Weights become a score; thresholds and gates make the verdict."""

    thresholds: Thresholds
    strong_requires: tuple[str, ...] = ()
    weak_if_any: tuple[str, ...] = ()
    weak_if_count: tuple[WeakIfCount, ...] = ()
    compliance: ComplianceGate | None = None

    @property
    def gate_checks(self) -> tuple[str, ...]:
        """The checks whose failure alone makes a report weak (weak_if_any, compliance)."""
        extra = (self.compliance.check,) if self.compliance else ()
        return self.weak_if_any + tuple(c for c in extra if c not in self.weak_if_any)


class Limits(StrictModel):
    """Input limits: beyond them a record fails alone, with a message that names the limit."""

    max_chars: int = Field(default=50_000, gt=0)
    max_metadata_depth: int = Field(default=20, ge=1, le=200)
    max_metadata_values: int = Field(default=2_000, ge=1)
    max_front_matter_chars: int = Field(default=10_000, gt=0, le=1_000_000)


class Rubric(StrictModel):
    """Checks, scoring and limits (rules/rubric.yaml)."""

    limits: Limits = Limits()
    checks: tuple[CheckSpec, ...] = Field(min_length=1)
    scoring: Scoring


class RuleSet(StrictModel):
    """A whole validated rule pack."""

    source: str
    taxonomy: Taxonomy
    sections: Sections
    strategy: Strategy
    rubric: Rubric
    lexicons: dict[str, Lexicon]
    reading: Reading = Reading()
    language: LanguageSettings = LanguageSettings()
    # ratings.yaml of the pack, else the bundled one (rating scales are shared knowledge).
    ratings: RatingScales = Field(default_factory=load_ratings)

    @cached_property
    def checks_by_code(self) -> dict[str, CheckSpec]:
        """Checks keyed by code."""
        return {c.code: c for c in self.rubric.checks}

    @cached_property
    def verdict_checks(self) -> frozenset[str]:
        """Codes of the checks that can move a rubric verdict: weighted, or named by a scoring
        rule. A calibration that never saw any other check (weight 0, e.g. RAT001) loses
        nothing by it."""
        scoring = self.rubric.scoring
        named = {*scoring.strong_requires, *scoring.gate_checks}
        named.update(code for rule in scoring.weak_if_count for code in rule.checks)
        return frozenset(c.code for c in self.rubric.checks if c.weight > 0 or c.code in named)

    @cached_property
    def competency_ids(self) -> tuple[str, ...]:
        """All competency ids in taxonomy order."""
        return tuple(c.id for c in self.taxonomy.competencies)

    @cached_property
    def priority_ids(self) -> tuple[str, ...]:
        """All priority ids in taxonomy order."""
        return tuple(p.id for p in self.taxonomy.priorities)
