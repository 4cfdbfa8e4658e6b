"""The settings of `auditor regions` and the dashboard (rules/stats.yaml)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from auditor.config.base import DEFAULT_RULES_DIR, StrictModel, load_file
from auditor.schema import GROUP_NOUN, TREND_DIRECTIONS, GroupBy, Signals


class BootstrapSettings(StrictModel):
    """Percentile bootstrap for a group's mean score."""

    resamples: int = Field(ge=100, le=100_000)
    confidence: float = Field(gt=0.5, lt=1)
    seed: int


class OutlierMessages(StrictModel):
    """Sentences of an outlier; `{placeholders}` are filled by auditor.stats.outliers."""

    rate: str
    score: str
    split_rate: str
    split_score: str


class OutlierSettings(StrictModel):
    """When a manager (or region) differs enough from its baseline to be named."""

    confidence: float = Field(gt=0.5, lt=1)
    min_rate_difference: float = Field(ge=0, le=1)
    min_score_difference: float = Field(ge=0, le=100)
    min_reports: int = Field(default=10, ge=2)
    rates: dict[str, str]
    messages: OutlierMessages

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


class LeniencySettings(StrictModel):
    """Per-manager leniency of ratings: its bootstrap and when a manager is named."""

    min_reports: int = Field(default=20, ge=2)
    score_bins: int = Field(default=10, ge=1, le=100)
    resamples: int = Field(default=2000, ge=100, le=100_000)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    seed: int = 11


class IndexBand(StrictModel):
    """The one-sentence meaning of a consistency index at or above `min`."""

    min: float = Field(ge=0, le=100)
    text: str


#: The coaching measures of one rep's period that `auditor outcomes` relates to a KPI's change.
OUTCOME_MEASURES = ("mean_score", "share_strong", "reports")


class OutcomeMessages(StrictModel):
    """The sentences of `auditor outcomes` (str.format fields are named in stats.yaml)."""

    rises: str
    falls: str
    unclear: str
    too_few: str
    not_tested: str
    constant: str
    one_sided: str
    no_claim: str
    caveat: str
    intervals: str
    unit_nouns: dict[str, str]


class OutcomeSettings(StrictModel):
    """When `auditor outcomes` states an association between coaching and a KPI's change."""

    min_units: int = Field(ge=3)
    min_pairs: int = Field(ge=5)
    min_pairs_per_group: int = Field(ge=2)
    bootstrap: BootstrapSettings
    measures: dict[str, str]
    competency_measure: str
    messages: OutcomeMessages

    @field_validator("measures")
    @classmethod
    def _known_measures(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(OUTCOME_MEASURES))
        if unknown or not value:
            raise ValueError(
                f"unknown or no measure(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(OUTCOME_MEASURES)}"
            )
        return value


class RepMessages(StrictModel):
    """The sentences of a competency trend in `auditor rep` (str.format fields in stats.yaml)."""

    trend: str
    too_few: str
    overall: str
    directions: dict[str, str]

    @field_validator("directions")
    @classmethod
    def _all_directions(cls, value: dict[str, str]) -> dict[str, str]:
        if set(value) != set(TREND_DIRECTIONS):
            raise ValueError(f"give exactly these directions: {', '.join(TREND_DIRECTIONS)}")
        return value


class RepSettings(StrictModel):
    """When `auditor rep` states a trend per competency, and how it says it."""

    min_visits: int = Field(ge=2)
    per_days: int = Field(ge=1)
    steady_within: float = Field(ge=0)
    messages: RepMessages


class RegionAlias(StrictModel):
    """One region name and the names in the data that mean the same place."""

    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = Field(min_length=1)


class StatsSettings(StrictModel):
    """Defaults for `auditor regions`, the dashboard and `auditor outcomes` (rules/stats.yaml)."""

    min_group_size: int = Field(ge=1)
    bootstrap: BootstrapSettings
    null_permutations: int = Field(ge=0, le=10_000)
    divergent_checks: int = Field(ge=1)
    weakest_reports: int = Field(ge=0)
    outliers: OutlierSettings
    index_bands: tuple[IndexBand, ...] = Field(min_length=1)
    outcomes: OutcomeSettings | None = None  # a pack's file without it takes the bundled one
    rep: RepSettings | None = None  # likewise
    index_resamples: int = Field(default=200, ge=0, le=10_000)
    region_aliases: tuple[RegionAlias, ...] = ()
    check_labels: dict[str, str] = Field(default_factory=dict)
    work_on: int = Field(default=3, ge=1)
    work_on_min_gap: float = Field(default=0.05, ge=0, le=1)
    follow_through_done: tuple[str, ...] = ("followed_up",)

    @field_validator("region_aliases")
    @classmethod
    def _one_name_per_alias(cls, value: tuple[RegionAlias, ...]) -> tuple[RegionAlias, ...]:
        seen: dict[str, str] = {}
        for entry in value:
            for alias in (entry.name, *entry.aliases):
                key = alias.strip().casefold()
                if seen.setdefault(key, entry.name) != entry.name:
                    raise ValueError(
                        f"region alias {alias!r} maps to both {seen[key]!r} and {entry.name!r}"
                    )
        return value

    def alias_map(self) -> dict[str, str]:
        """Every alias and region name (case-folded, trimmed) -> the region name."""
        return {
            alias.strip().casefold(): entry.name
            for entry in self.region_aliases
            for alias in (entry.name, *entry.aliases)
        }

    leniency: LeniencySettings = LeniencySettings()

    def meaning(self, index: float, by: GroupBy) -> str:
        """The sentence that says what a consistency index means."""
        for band in sorted(self.index_bands, key=lambda b: -b.min):
            if index >= band.min:
                return band.text.replace("{groups}", GROUP_NOUN[by])
        return ""


def load_settings(directory: str | Path | None = None) -> StatsSettings:
    """Read stats.yaml from a rule pack, falling back to the bundled one when the pack has none."""
    path = Path(directory or DEFAULT_RULES_DIR) / "stats.yaml"
    bundled = DEFAULT_RULES_DIR / "stats.yaml"
    if not path.is_file():
        path = bundled
    settings = load_file(StatsSettings, path)
    if (settings.outcomes is None or settings.rep is None) and path != bundled:
        defaults = load_file(StatsSettings, bundled)
        settings = settings.model_copy(
            update={
                "outcomes": settings.outcomes or defaults.outcomes,
                "rep": settings.rep or defaults.rep,
            }
        )
    return settings
