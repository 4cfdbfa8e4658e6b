"""The settings of `auditor regions` and the dashboard (rules/stats.yaml)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from auditor.config.base import DEFAULT_RULES_DIR, StrictModel, load_file
from auditor.schema import GROUP_NOUN, GroupBy, Signals


class BootstrapSettings(StrictModel):
    """Percentile bootstrap for a group's mean score."""

    resamples: int = Field(ge=100, le=100_000)
    confidence: float = Field(gt=0.5, lt=1)
    seed: int


class OutlierSettings(StrictModel):
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


class StatsSettings(StrictModel):
    """Defaults for `auditor regions` and the dashboard (rules/stats.yaml)."""

    min_group_size: int = Field(ge=1)
    bootstrap: BootstrapSettings
    null_permutations: int = Field(ge=0, le=10_000)
    divergent_checks: int = Field(ge=1)
    weakest_reports: int = Field(ge=0)
    outliers: OutlierSettings
    index_bands: tuple[IndexBand, ...] = Field(min_length=1)
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
    if not path.is_file():
        path = DEFAULT_RULES_DIR / "stats.yaml"
    return load_file(StatsSettings, path)
