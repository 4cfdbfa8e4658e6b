"""Managers far from the rest of their region, and regions far from the rest of the org.

Every comparison is a report set against its baseline (`whole - part`): a difference in a
concern rate (Newcombe interval) or in the mean score (Welch interval) that is both large
enough and clear of zero at the configured confidence is named, in the sentences of
stats.yaml `outliers.messages`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from auditor.config import StatsSettings
from auditor.schema import Outlier
from auditor.stats.measures import rate_difference_ci, rounded, welch_interval
from auditor.stats.records import UNKNOWN, Record


@dataclass
class _Tally:
    """Report count, signal counts and score moments; a baseline is `whole - part`."""

    n: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    total: float = 0.0
    squares: float = 0.0

    def add(self, r: Record) -> None:
        """Count one audited record."""
        self.n += 1
        self.flags.update(r.flags)
        self.total += r.score or 0
        self.squares += (r.score or 0) ** 2

    def __sub__(self, other: _Tally) -> _Tally:
        flags = Counter(self.flags)
        flags.subtract(other.flags)
        return _Tally(
            self.n - other.n, flags, self.total - other.total, self.squares - other.squares
        )

    @property
    def mean(self) -> float:
        """Mean score."""
        return self.total / self.n

    @property
    def var(self) -> float:
        """Sample variance of the scores (n - 1 denominator)."""
        # Scores are integers, so these sums are exact in float64: no cancellation error.
        return max(0.0, (self.squares - self.total**2 / self.n) / (self.n - 1))


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _points(x: float) -> str:
    return f"{x:+.0f}"


def _rates(
    mine: _Tally, rest: _Tally, settings: StatsSettings
) -> list[tuple[str, str, int, int, tuple[float, float, float]]]:
    """(signal, label, k1, k2, (d, lo, hi)) for every concern rate clearly above its baseline."""
    cfg = settings.outliers
    out = []
    for signal, label in cfg.rates.items():
        k1, k2 = mine.flags[signal], rest.flags[signal]
        d, lo, hi = rate_difference_ci(k1, mine.n, k2, rest.n, cfg.confidence)
        if d >= cfg.min_rate_difference and lo > 0:
            out.append((signal, label, k1, k2, (d, lo, hi)))
    return out


def _score(
    mine: _Tally, rest: _Tally, settings: StatsSettings
) -> tuple[float, float, float] | None:
    """The difference of mean scores and its interval when it is large and clear of zero."""
    cfg = settings.outliers
    diff = (
        welch_interval(mine.mean, mine.var, mine.n, rest.mean, rest.var, rest.n, cfg.confidence)
        if mine.n > 1 and rest.n > 1
        else None
    )
    if diff and abs(diff[0]) >= cfg.min_score_difference and (diff[1] > 0 or diff[2] < 0):
        return diff
    return None


def _compare(
    level: Literal["manager", "region"],
    manager: str | None,
    region: str,
    mine: _Tally,
    rest: _Tally,
    baseline: str,
    settings: StatsSettings,
) -> list[Outlier]:
    """Outliers of one manager or region against its baseline."""
    cfg = settings.outliers
    confidence = _pct(cfg.confidence)
    found = []
    for signal, label, k1, k2, (d, lo, hi) in _rates(mine, rest, settings):
        found.append(
            Outlier(
                level=level,
                manager=manager,
                region=region,
                reason=f"{signal}_rate",
                value=rounded(k1 / mine.n),
                region_value=rounded(k2 / rest.n),
                baseline=baseline,
                difference=rounded(d),
                ci=(rounded(lo), rounded(hi)),
                n=mine.n,
                message=cfg.messages.rate.format(
                    label=label,
                    value=_pct(k1 / mine.n),
                    n=mine.n,
                    baseline_value=_pct(k2 / rest.n),
                    baseline=baseline,
                    difference=_points(d * 100),
                    low=_points(lo * 100),
                    high=_points(hi * 100),
                    confidence=confidence,
                ),
            )
        )
    diff = _score(mine, rest, settings)
    if diff:
        d, lo, hi = diff
        found.append(
            Outlier(
                level=level,
                manager=manager,
                region=region,
                reason="mean_score",
                value=rounded(mine.mean, 2),
                region_value=rounded(rest.mean, 2),
                baseline=baseline,
                difference=rounded(d, 2),
                ci=(rounded(lo, 2), rounded(hi, 2)),
                n=mine.n,
                message=cfg.messages.score.format(
                    value=f"{mine.mean:.0f}",
                    n=mine.n,
                    baseline_value=f"{rest.mean:.0f}",
                    baseline=baseline,
                    difference=_points(d),
                    low=_points(lo),
                    high=_points(hi),
                    confidence=confidence,
                ),
            )
        )
    return found


def _split(
    region: str, pair: Sequence[tuple[str, _Tally]], settings: StatsSettings
) -> list[Outlier]:
    """A region of exactly two managers, each the other's baseline: one comparison, stated once.

    Each difference is stated from the manager with the higher value, so a split shows once
    instead of as two mirrored outliers.
    """
    cfg = settings.outliers
    confidence = _pct(cfg.confidence)
    found = []

    def outlier(
        high: tuple[str, _Tally],
        low: tuple[str, _Tally],
        reason: str,
        values: tuple[float, float],
        diff: tuple[float, float, float],
        message: str,
    ) -> Outlier:
        return Outlier(
            level="split",
            manager=high[0],
            region=region,
            reason=reason,
            value=rounded(values[0], 4),
            region_value=rounded(values[1], 4),
            baseline=low[0],
            difference=rounded(diff[0], 4),
            ci=(rounded(diff[1], 4), rounded(diff[2], 4)),
            n=high[1].n,
            message=message,
        )

    for high, low in (pair, pair[::-1]):
        for signal, label, k1, k2, (d, lo, hi) in _rates(high[1], low[1], settings):
            v1, v2 = k1 / high[1].n, k2 / low[1].n
            text = cfg.messages.split_rate.format(
                label=label,
                high_manager=high[0],
                high_value=_pct(v1),
                high_n=high[1].n,
                low_manager=low[0],
                low_value=_pct(v2),
                low_n=low[1].n,
                difference=_points(d * 100),
                low=_points(lo * 100),
                high=_points(hi * 100),
                confidence=confidence,
            )
            found.append(outlier(high, low, f"{signal}_rate", (v1, v2), (d, lo, hi), text))
    high, low = sorted(pair, key=lambda m: -m[1].mean)
    diff = _score(high[1], low[1], settings)
    if diff:
        text = cfg.messages.split_score.format(
            high_manager=high[0],
            high_value=f"{high[1].mean:.0f}",
            high_n=high[1].n,
            low_manager=low[0],
            low_value=f"{low[1].mean:.0f}",
            low_n=low[1].n,
            difference=_points(diff[0]),
            low=_points(diff[1]),
            high=_points(diff[2]),
            confidence=confidence,
        )
        found.append(outlier(high, low, "mean_score", (high[1].mean, low[1].mean), diff, text))
    return found


def find_outliers(records: Sequence[Record], settings: StatsSettings) -> list[Outlier]:
    """Managers far from the rest of their region, and regions far from the rest of the org.

    Only managers and regions with at least `outliers.min_reports` audited reports are
    compared. A region of exactly two managers is compared as a split (`_split`); a region's
    only manager is the region itself, so it is named at region level only.
    """
    minimum = settings.outliers.min_reports
    org = _Tally()
    regions: dict[str, _Tally] = defaultdict(_Tally)
    managers: dict[str, dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    for r in records:
        if r.ok:
            org.add(r)
            regions[r.region].add(r)
            managers[r.region][r.manager].add(r)
    compare_regions = len(regions) >= 2
    found: list[Outlier] = []
    for region, staff in sorted(managers.items()):
        known = sorted((m, t) for m, t in staff.items() if m != UNKNOWN)
        if len(staff) == 2 and len(known) == 2:
            if all(t.n >= minimum for _, t in known):
                found += _split(region, known, settings)
            continue
        for manager, mine in known:
            rest, baseline = regions[region] - mine, f"rest of {region}"
            if not rest.n:  # the region's only manager: the region-level comparison names it
                if compare_regions and region != UNKNOWN:
                    continue
                rest, baseline = org - mine, "rest of organisation"
            if rest.n and mine.n >= minimum:
                found += _compare("manager", manager, region, mine, rest, baseline, settings)
    if compare_regions:
        for region, mine in sorted(regions.items()):
            if region != UNKNOWN and mine.n >= minimum:
                found += _compare(
                    "region", None, region, mine, org - mine, "rest of organisation", settings
                )
    # Largest differences first; rates (0-1) and scores (points) are ranked on a common scale.
    return sorted(
        found, key=lambda o: -abs(o.difference) / (100 if o.reason == "mean_score" else 1)
    )
