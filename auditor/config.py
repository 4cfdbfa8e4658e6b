"""Load and validate a rule pack (rules/ directory) into one immutable RuleSet.

Every file is validated once, here, with pydantic `extra="forbid"`. Errors name the file, the
key path and, where the value must come from a fixed set, the allowed values. The settings of
`auditor regions` (stats.yaml) are read on their own by `load_settings`.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditor.annotations import SIGNALS
from auditor.schema import GROUP_NOUN, GroupBy, NextObjective, Signals, StarStatus
from auditor.token_patterns import token_pattern_errors

DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

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


class ConfigError(ValueError):
    """A rule pack is missing, malformed or inconsistent; the message names file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleSpec(_Strict):
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


class Taxonomy(_Strict):
    """Priorities and competencies (rules/taxonomy.yaml)."""

    priorities: tuple[TaxonomyEntry, ...]
    competencies: tuple[TaxonomyEntry, ...]


class SpecificSpec(_Strict):
    """Verbs whose lemma makes an objective name a behaviour."""

    lemmas: tuple[str, ...]


class SmartSpec(_Strict):
    """Cues for the SMART facets of a next objective."""

    window: int = Field(default=1, ge=0, le=5)
    time: RuleSpec
    measure: RuleSpec
    specific: SpecificSpec


class FocusSpec(_Strict):
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


class NumbersOnlySpec(_Strict):
    """When a report counts as numbers only."""

    min_metric_hits: int = Field(ge=1)
    max_coaching_sentences: int = Field(ge=0)
    max_observed: int = Field(ge=0)
    # The roles of a sentence that coaches (counted against `max_coaching_sentences`).
    coaching_roles: tuple[Role, ...] = ("action", "result", "next_objective", "reinforcement")


class PositionalHeadings(_Strict):
    """Heading words whose role depends on their position in the report."""

    words: tuple[str, ...]
    early_share: float = Field(gt=0, lt=1)
    early: Role
    late: Role


class Sections(_Strict):
    """Section headings, sentence cues, SMART facets and focus (rules/sections.yaml)."""

    headings: dict[Role, tuple[str, ...]]
    positional_headings: PositionalHeadings
    setting_sentences: int = Field(default=2, ge=0)
    cues: dict[CueName, RuleSpec]
    smart: SmartSpec
    numbers_only: NumbersOnlySpec
    focus: FocusSpec


class Lexicon(RuleSpec):
    """A word list for one signal, with phrases that cancel a hit near it (`Reading.exceptions`)."""

    label: Literal["judgmental", "compliance_risk", "metric"]
    exceptions: tuple[str, ...] = ()


class SignalExamples(_Strict):
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


class PraiseSpec(_Strict):
    """A praise cue is no reinforcement when a negation word stands just before it."""

    negation: tuple[str, ...] = Field(default=("not", "n't", "never", "no", "hardly"), min_length=1)
    words_between: int = Field(default=1, ge=0, le=5)
    window: int = Field(default=12, ge=1)
    examples: SignalExamples | None = None


class ExceptionSpec(_Strict):
    """How far a lexicon exception reaches: the hit's sentence and the ones after it."""

    sentences: int = Field(default=3, ge=1)
    examples: SignalExamples | None = None


class Reading(_Strict):
    """How the reader treats the words around a cue (rules/reading.yaml, optional)."""

    praise: PraiseSpec = PraiseSpec()
    exceptions: ExceptionSpec = ExceptionSpec()


class Strategy(_Strict):
    """Active priorities and the alignment map (rules/strategy.yaml)."""

    active_priorities: tuple[str, ...]
    alignment: dict[str, tuple[str, ...]]


class CheckExamples(_Strict):
    """Texts that must make the check flag, and texts that must not."""

    flag: tuple[str, ...] = Field(min_length=1)
    pass_: tuple[str, ...] = Field(min_length=1, alias="pass")


class CheckSpec(_Strict):
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


class WeakIfCount(_Strict):
    """Weak when at least `at_least` of `checks` fail (and every `and_failed` check fails)."""

    checks: tuple[str, ...]
    at_least: int = Field(ge=1)
    and_failed: tuple[str, ...] = ()


class Thresholds(_Strict):
    """Score thresholds for the verdicts."""

    strong: float = Field(ge=0, le=100)
    adequate: float = Field(ge=0, le=100)


class Scoring(_Strict):
    """Weights become a score; thresholds and gates make the verdict."""

    thresholds: Thresholds
    strong_requires: tuple[str, ...] = ()
    weak_if_any: tuple[str, ...] = ()
    weak_if_count: tuple[WeakIfCount, ...] = ()


class Limits(_Strict):
    """Input limits: beyond them a record fails alone, with a message that names the limit."""

    max_chars: int = Field(default=50_000, gt=0)
    max_metadata_depth: int = Field(default=20, ge=1, le=200)
    max_front_matter_chars: int = Field(default=10_000, gt=0, le=1_000_000)


class Rubric(_Strict):
    """Checks, scoring and limits (rules/rubric.yaml)."""

    limits: Limits = Limits()
    checks: tuple[CheckSpec, ...] = Field(min_length=1)
    scoring: Scoring


class RuleSet(_Strict):
    """A whole validated rule pack."""

    source: str
    taxonomy: Taxonomy
    sections: Sections
    strategy: Strategy
    rubric: Rubric
    lexicons: dict[str, Lexicon]
    reading: Reading = Reading()

    @cached_property
    def checks_by_code(self) -> dict[str, CheckSpec]:
        """Checks keyed by code."""
        return {c.code: c for c in self.rubric.checks}

    @cached_property
    def competency_ids(self) -> tuple[str, ...]:
        """All competency ids in taxonomy order."""
        return tuple(c.id for c in self.taxonomy.competencies)

    @cached_property
    def priority_ids(self) -> tuple[str, ...]:
        """All priority ids in taxonomy order."""
        return tuple(p.id for p in self.taxonomy.priorities)


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        # libyaml's safe loader when present: the same data, ~10x faster than the pure-Python one
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def validation_problems(exc: ValidationError) -> list[str]:
    """Each problem of a pydantic error as `key.path[0]: message (got value)`."""
    lines = []
    for err in exc.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        msg = err["msg"]
        expected = (err.get("ctx") or {}).get("expected")
        if expected and "expected" not in msg and "should be" not in msg:
            msg = f"{msg}; allowed: {expected}"
        got = err.get("input")
        got_text = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
        lines.append(f"{loc or '<top>'}: {msg}{got_text}")
    return lines


def _format_error(path: Path, exc: ValidationError) -> str:
    return "\n".join(f"{path}: {problem}" for problem in validation_problems(exc))


def _parse(model: type[BaseModel], path: Path, data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(path, exc)) from None


def _check_unknown(path: Path, key: str, values: Any, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ConfigError(
            f"{path}: {key}: unknown id(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )


def _cross_check(root: Path, rules: RuleSet) -> None:
    """Ids referenced across files must exist."""
    strategy = root / "strategy.yaml"
    _check_unknown(
        strategy, "active_priorities", rules.strategy.active_priorities, rules.priority_ids
    )
    _check_unknown(strategy, "alignment", rules.strategy.alignment, rules.priority_ids)
    for prio, comps in rules.strategy.alignment.items():
        _check_unknown(strategy, f"alignment.{prio}", comps, rules.competency_ids)
    tax = root / "taxonomy.yaml"
    for kind, ids in (("priorities", rules.priority_ids), ("competencies", rules.competency_ids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ConfigError(f"{tax}: {kind}: duplicate id(s) {', '.join(dupes)}")
    rubric = root / "rubric.yaml"
    codes = tuple(c.code for c in rules.rubric.checks)
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ConfigError(f"{rubric}: checks: duplicate code(s) {', '.join(dupes)}")
    scoring = rules.rubric.scoring
    refs = {
        "scoring.strong_requires": scoring.strong_requires,
        "scoring.weak_if_any": scoring.weak_if_any,
    }
    for n, rule in enumerate(scoring.weak_if_count):
        refs[f"scoring.weak_if_count[{n}]"] = rule.checks + rule.and_failed
    for key, values in refs.items():
        _check_unknown(rubric, key, values, codes)
    if scoring.thresholds.adequate > scoring.thresholds.strong:
        raise ConfigError(f"{rubric}: scoring.thresholds: adequate must not exceed strong")
    for needed in ("judgmental", "compliance_risk", "metric"):
        if needed not in rules.lexicons:
            raise ConfigError(f"{root / 'lexicons'}: no lexicon with label {needed!r}")


def load_ruleset(directory: str | Path | None = None) -> RuleSet:
    """Read and validate the rule pack in `directory` (default: the bundled rules/)."""
    root = Path(directory) if directory else DEFAULT_RULES_DIR
    if not root.is_dir():
        raise ConfigError(f"{root}: rule pack directory not found")
    parts: dict[str, Any] = {}
    for key, model in (
        ("taxonomy", Taxonomy),
        ("sections", Sections),
        ("strategy", Strategy),
        ("rubric", Rubric),
    ):
        path = root / f"{key}.yaml"
        parts[key] = _parse(model, path, _read_yaml(path))
    lexicons: dict[str, Lexicon] = {}
    lex_dir = root / "lexicons"
    for path in sorted(lex_dir.glob("*.yaml")) if lex_dir.is_dir() else ():
        lexicon = _parse(Lexicon, path, _read_yaml(path))
        if lexicon.label in lexicons:
            raise ConfigError(f"{path}: label: {lexicon.label!r} is defined by another lexicon")
        lexicons[lexicon.label] = lexicon
    reading = root / "reading.yaml"
    if reading.is_file():  # optional: without it, the defaults in `Reading`
        parts["reading"] = _parse(Reading, reading, _read_yaml(reading))
    rules = RuleSet(source=str(root), lexicons=lexicons, **parts)
    _cross_check(root, rules)
    return rules


# -- regions statistics settings (rules/stats.yaml) ------------------------------------------
class BootstrapSettings(_Strict):
    """Percentile bootstrap for a group's mean score."""

    resamples: int = Field(ge=100, le=100_000)
    confidence: float = Field(gt=0.5, lt=1)
    seed: int


class OutlierSettings(_Strict):
    """When a manager (or region) differs enough from its baseline to be named."""

    confidence: float = Field(gt=0.5, lt=1)
    min_rate_difference: float = Field(ge=0, le=1)
    min_score_difference: float = Field(ge=0, le=100)
    rates: dict[str, str]

    @field_validator("rates")
    @classmethod
    def _known_signals(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(Signals.model_fields))
        if unknown:
            raise ValueError(
                f"unknown signal(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(Signals.model_fields)}"
            )
        return value


class IndexBand(_Strict):
    """The one-sentence meaning of a consistency index at or above `min`."""

    min: float = Field(ge=0, le=100)
    text: str


class StatsSettings(_Strict):
    """Defaults for `auditor regions` and the dashboard (rules/stats.yaml)."""

    min_group_size: int = Field(ge=1)
    bootstrap: BootstrapSettings
    null_permutations: int = Field(ge=0, le=10_000)
    divergent_checks: int = Field(ge=1)
    weakest_reports: int = Field(ge=0)
    outliers: OutlierSettings
    index_bands: tuple[IndexBand, ...] = Field(min_length=1)

    def meaning(self, index: float, by: GroupBy) -> str:
        """The sentence that says what a consistency index means."""
        for band in sorted(self.index_bands, key=lambda b: -b.min):
            if index >= band.min:
                return band.text.replace("{groups}", GROUP_NOUN[by])
        return ""


def load_settings(directory: str | Path | None = None) -> StatsSettings:
    """Read stats.yaml from a rule pack, falling back to the bundled one when the pack has none."""
    path = Path(directory or DEFAULT_RULES_DIR) / "stats.yaml"
    if not path.is_file():
        path = DEFAULT_RULES_DIR / "stats.yaml"
    return _parse(StatsSettings, path, _read_yaml(path))


# -- the checklist of `auditor check` (rules/checklist.yaml) ---------------------------------
#: Audit fields a checklist item can show: the yes/no ones, and the focus competencies (a count).
CHECKLIST_FIELDS = (
    "focus_competencies",
    *(
        f"{prefix}.{name}"
        for prefix, model in (
            ("star", StarStatus),
            ("next_objective", NextObjective),
            ("signals", Signals),
        )
        for name, info in model.model_fields.items()
        if info.annotation is bool
    ),
)


class ChecklistItem(_Strict):
    """One line of the checklist: its label and the audit field that ticks it."""

    label: str = Field(min_length=1)
    field: str

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        if value not in CHECKLIST_FIELDS:
            raise ValueError(f"unknown field {value!r}; allowed: {', '.join(CHECKLIST_FIELDS)}")
        return value


class Checklist(_Strict):
    """The checklist `auditor check` prints under the score (rules/checklist.yaml)."""

    items: tuple[ChecklistItem, ...] = Field(min_length=1)


def load_checklist(directory: str | Path | None = None) -> Checklist:
    """Read checklist.yaml from a rule pack, falling back to the bundled one when it has none."""
    path = Path(directory or DEFAULT_RULES_DIR) / "checklist.yaml"
    if not path.is_file():
        path = DEFAULT_RULES_DIR / "checklist.yaml"
    return _parse(Checklist, path, _read_yaml(path))
