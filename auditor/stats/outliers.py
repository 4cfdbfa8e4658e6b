"""Managers far from the rest of their region, and regions far from the rest of the org.

Every comparison is a report set against its baseline (`whole - part`): a difference in a
concern rate (Newcombe interval) or in the mean score (Welch interval) that is both large
enough and clear of zero at the configured confidence is named.
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
    pct = "{:.0%}".format
    found = []
    for signal, label in cfg.rates.items():
        k1, k2 = mine.flags[signal], rest.flags[signal]
        d, lo, hi = rate_difference_ci(k1, mine.n, k2, rest.n, cfg.confidence)
        if d >= cfg.min_rate_difference and lo > 0:
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
                    message=(
                        f"{label} in {pct(k1 / mine.n)} of {mine.n} reports vs "
                        f"{pct(k2 / rest.n)} in the {baseline} ({d * 100:+.0f} pts, "
                        f"{cfg.confidence:.0%} CI {lo * 100:+.0f} to {hi * 100:+.0f})"
                    ),
                )
            )
    diff = (
        welch_interval(mine.mean, mine.var, mine.n, rest.mean, rest.var, rest.n, cfg.confidence)
        if mine.n > 1 and rest.n > 1
        else None
    )
    if diff and abs(diff[0]) >= cfg.min_score_difference and (diff[1] > 0 or diff[2] < 0):
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
                message=(
                    f"mean score {mine.mean:.0f} over {mine.n} reports vs "
                    f"{rest.mean:.0f} in the {baseline} ({d:+.0f} points, "
                    f"{cfg.confidence:.0%} CI {lo:+.0f} to {hi:+.0f})"
                ),
            )
        )
    return found


def find_outliers(records: Sequence[Record], settings: StatsSettings) -> list[Outlier]:
    """Managers far from the rest of their region, and regions far from the rest of the org."""
    org = _Tally()
    regions: dict[str, _Tally] = defaultdict(_Tally)
    managers: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    for r in records:
        if r.ok:
            org.add(r)
            regions[r.region].add(r)
            managers[(r.region, r.manager)].add(r)
    found: list[Outlier] = []
    for (region, manager), mine in sorted(managers.items()):
        if manager == UNKNOWN:
            continue
        rest, baseline = regions[region] - mine, f"rest of {region}"
        if not rest.n:  # the region's only manager: compare with everyone else
            rest, baseline = org - mine, "rest of organisation"
        if rest.n:
            found += _compare("manager", manager, region, mine, rest, baseline, settings)
    if len(regions) >= 2:
        for region, mine in sorted(regions.items()):
            if region != UNKNOWN:
                found += _compare(
                    "region", None, region, mine, org - mine, "rest of organisation", settings
                )
    # Largest differences first; rates (0-1) and scores (points) are ranked on a common scale.
    return sorted(
        found, key=lambda o: -abs(o.difference) / (100 if o.reason == "mean_score" else 1)
    )
