"""Load and validate a rule pack (rules/ directory) into one immutable RuleSet.

Every file is validated once, when it is loaded, with pydantic `extra="forbid"`. Errors name the
file, the key path and, where the value must come from a fixed set, the allowed values.

`auditor.config` is the public entry: callers import every name from here, never from the
modules of the package, which are

- `base`: the bundled pack's directory, `ConfigError`, the strict model base, YAML reading and
  the error messages;
- `rules`: the models of the rule pack (taxonomy, sections, reading, strategy, rubric, lexicons);
- `language`: the language the pack covers and the thresholds of telling a report's language;
- `loading`: `load_ruleset`, which reads the pack's files and checks the ids across them;
- `stats`: the settings of `auditor regions` and `auditor outcomes` (stats.yaml), read on their
  own by `load_settings`;
- `ratings`: the rating scales (ratings.yaml) and reading a rating onto them;
- `checklist`: the checklist of `auditor check` (checklist.yaml), read by `load_checklist`;
- `followthrough`: the follow-through decision (followthrough.yaml), read by `load_followthrough`.
"""

from auditor.config.base import DEFAULT_RULES_DIR, ConfigError, validation_problems
from auditor.config.checklist import CHECKLIST_FIELDS, Checklist, ChecklistItem, load_checklist
from auditor.config.followthrough import FollowThroughSettings, load_followthrough
from auditor.config.language import LanguageSettings
from auditor.config.loading import load_ruleset
from auditor.config.ratings import OVERALL, Rating, RatingScales, label_key, load_ratings
from auditor.config.rules import (
    CheckExamples,
    CheckSpec,
    ComplianceGate,
    CueName,
    ExceptionSpec,
    FocusSpec,
    Lexicon,
    Limits,
    NumbersOnlySpec,
    PositionalHeadings,
    PraiseSpec,
    Reading,
    Role,
    Rubric,
    RuleSet,
    RuleSpec,
    Scoring,
    Sections,
    SignalExamples,
    SmartSpec,
    SpecificSpec,
    Strategy,
    Taxonomy,
    TaxonomyEntry,
    Thresholds,
    WeakIfCount,
)
from auditor.config.stats import (
    BootstrapSettings,
    IndexBand,
    LeniencySettings,
    OutcomeMessages,
    OutcomeSettings,
    OutlierMessages,
    OutlierSettings,
    RegionAlias,
    RepSettings,
    StatsSettings,
    load_settings,
)

__all__ = [
    "CHECKLIST_FIELDS",
    "DEFAULT_RULES_DIR",
    "BootstrapSettings",
    "CheckExamples",
    "CheckSpec",
    "ComplianceGate",
    "Checklist",
    "ChecklistItem",
    "ConfigError",
    "CueName",
    "ExceptionSpec",
    "FocusSpec",
    "FollowThroughSettings",
    "OVERALL",
    "IndexBand",
    "LanguageSettings",
    "LeniencySettings",
    "Lexicon",
    "Limits",
    "NumbersOnlySpec",
    "OutcomeMessages",
    "OutcomeSettings",
    "OutlierMessages",
    "OutlierSettings",
    "PositionalHeadings",
    "PraiseSpec",
    "Rating",
    "RatingScales",
    "Reading",
    "Role",
    "Rubric",
    "RuleSet",
    "RegionAlias",
    "RepSettings",
    "RuleSpec",
    "Scoring",
    "Sections",
    "SignalExamples",
    "SmartSpec",
    "SpecificSpec",
    "StatsSettings",
    "Strategy",
    "Taxonomy",
    "TaxonomyEntry",
    "Thresholds",
    "WeakIfCount",
    "load_checklist",
    "load_followthrough",
    "label_key",
    "load_ratings",
    "load_ruleset",
    "load_settings",
    "validation_problems",
]
