"""Rating scales (rules/ratings.yaml) and reading a rating value onto them.

A value is read onto one scale as a normalised value (0 lowest, 1 highest) and a band; a value
on no scale reads as None, never an exception.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from auditor.config.base import DEFAULT_RULES_DIR, StrictModel, load_file

Band = Literal["low", "mid", "high"]
#: The rating id of the overall rating (`--map rating=COLUMN`); others are competency ids.
OVERALL = "overall"
_NUMBER = r"(\d{1,6}(?:[.,]\d{1,6})?)"
_PERCENT = re.compile(rf"^{_NUMBER}\s*%$")
_FRACTION = re.compile(rf"^{_NUMBER}\s*/\s*(\d{{1,6}})$")
_BARE = re.compile(rf"^{_NUMBER}$")


def label_key(text: str) -> str:
    """How labels compare: case-folded, "-" and "_" between letters as spaces, whitespace
    collapsed, no final full stop."""
    return " ".join(re.sub(r"(?<=[^\W\d_])[-_](?=[^\W\d_])", " ", text).casefold().split()).rstrip(
        "."
    )


@dataclass(frozen=True, slots=True)
class Rating:
    """A rating value read onto a scale."""

    text: str
    scale: str
    value: float  # 0 (lowest) .. 1 (highest)
    band: Band


class PointScale(StrictModel):
    """A numeric scale (`points`) or a percentage (`percent`) with its low and high bands."""

    kind: Literal["points", "percent"]
    min: float
    max: float
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> PointScale:
        if not self.min <= self.low < self.high <= self.max:
            raise ValueError("expected min <= low < high <= max")
        return self

    def read(self, name: str, text: str, number: float) -> Rating | None:
        """The rating of `number` on this scale (None outside min..max)."""
        if not self.min <= number <= self.max:
            return None
        band: Band = "low" if number <= self.low else "high" if number >= self.high else "mid"
        return Rating(text, name, (number - self.min) / (self.max - self.min), band)


class Level(StrictModel):
    """One level of a label scale: its value, band and words."""

    value: float = Field(ge=0, le=1)
    band: Band
    labels: tuple[str, ...] = Field(min_length=1)


class LabelScale(StrictModel):
    """A scale of words ("below / meets / exceeds")."""

    kind: Literal["labels"]
    levels: tuple[Level, ...] = Field(min_length=2)


Scale = Annotated[PointScale | LabelScale, Field(discriminator="kind")]


class NumericDefaults(StrictModel):
    """Which points scale a bare number is read on, by rating id (`default` for the rest)."""

    default: str
    by_rating: dict[str, str] = Field(default_factory=dict)


class RatingScales(StrictModel):
    """The rating scales of a pack (rules/ratings.yaml)."""

    numeric: NumericDefaults
    scales: dict[str, Scale] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RatingScales:
        points = {n for n, s in self.scales.items() if s.kind == "points"}
        for key, name in {"default": self.numeric.default, **self.numeric.by_rating}.items():
            if name not in points:
                raise ValueError(
                    f"numeric.{key}: {name!r} is not a points scale; allowed: "
                    f"{', '.join(sorted(points))}"
                )
        if sum(1 for s in self.scales.values() if s.kind == "percent") > 1:
            raise ValueError("scales: at most one percent scale")
        seen: dict[str, str] = {}
        for name, scale in self.scales.items():
            for level in scale.levels if isinstance(scale, LabelScale) else ():
                for label in level.labels:
                    key = label_key(label)
                    if key in seen:
                        raise ValueError(
                            f"scales.{name}: label {label!r} is also on scale {seen[key]!r}"
                        )
                    seen[key] = name
        return self

    @cached_property
    def _labels(self) -> dict[str, Rating]:
        return {
            label_key(label): Rating(label, name, level.value, level.band)
            for name, scale in self.scales.items()
            if isinstance(scale, LabelScale)
            for level in scale.levels
            for label in level.labels
        }

    def _points(self, name: str) -> PointScale:
        scale = self.scales[name]
        assert isinstance(scale, PointScale)  # validated: numeric names points scales
        return scale

    def read(self, value: Any, rating: str = OVERALL) -> Rating | None:
        """`value` read onto a scale (numbers on the rating's numeric scale), or None."""
        if isinstance(value, bool) or value is None:
            return None
        text = (value if isinstance(value, str) else str(value)).strip()
        key = label_key(text)
        if key in self._labels:
            return replace(self._labels[key], text=text)
        candidates: list[tuple[str, float]] = []
        if match := _PERCENT.match(key):
            percent = [n for n, s in self.scales.items() if s.kind == "percent"]
            candidates = [(n, _number(match[1])) for n in percent]
        elif match := _FRACTION.match(key):
            top = float(match[2])
            candidates = [
                (n, _number(match[1]))
                for n, s in self.scales.items()
                if isinstance(s, PointScale) and s.kind == "points" and s.max == top
            ]
        elif match := _BARE.match(key):
            name = self.numeric.by_rating.get(rating, self.numeric.default)
            candidates = [(name, _number(match[1]))]
        for name, number in candidates[:1]:
            if math.isfinite(number):
                return self._points(name).read(name, text, number)
        return None


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def load_ratings(directory: str | Path | None = None) -> RatingScales:
    """Read ratings.yaml from a rule pack, falling back to the bundled one when it has none."""
    path = Path(directory or DEFAULT_RULES_DIR) / "ratings.yaml"
    if not path.is_file():
        path = DEFAULT_RULES_DIR / "ratings.yaml"
    return load_file(RatingScales, path)
