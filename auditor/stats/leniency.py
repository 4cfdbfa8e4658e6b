"""Per-manager leniency: ratings relative to what the narratives support, with an interval.

Each rated report's normalised rating (0-1 on its scale) is compared with what narratives of
the same quality get across the organisation: a least-squares line of rating on score fitted
within its narrative-score bin (`score_bins` bins of equal size by score rank; ties share a
bin), so a ceiling or floor of the scale bends the expectation as it bends the ratings. A manager's
leniency is the mean of these differences over their rated reports, in scale units (+0.25 is
a quarter of the scale, one point on 1-5, above what such narratives usually get). The
organisation's level is the median leniency of the managers with at least `min_reports` rated
reports: the typical manager, which one very lenient manager cannot drag. A manager is named
lenient (harsh) only with at least `min_reports` rated reports and a percentile-bootstrap
interval entirely above (below) that level; the intervals are Bonferroni-adjusted over the
managers compared, so `confidence` holds for all of them at once (with 40 managers at 95% each,
two would be named by chance), and widened for small samples as Hesterberg's expanded
percentile interval does. Why not the rating minus the score, or ranks: docs/ratings.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from auditor.config import OVERALL, LeniencySettings, RatingScales
from auditor.schema import Leniency, LeniencyCall, ManagerLeniency, ReportAudit
from auditor.stats.measures import bootstrap_mean_ci, rounded
from auditor.stats.records import UNKNOWN


@dataclass(frozen=True, slots=True)
class RatedReport:
    """What leniency needs of one audited, rated report."""

    region: str
    manager: str
    rating: float  # normalised 0..1
    score: float  # the narrative's audit score, 0..100


def report_rating(audit: ReportAudit, scales: RatingScales) -> float | None:
    """The report's normalised rating: the overall one, else the mean of its competency
    ratings; None when it has none on a scale."""
    ratings = audit.metadata.get("ratings")
    if not isinstance(ratings, dict):
        return None
    read = {str(k): scales.read(v, str(k)) for k, v in ratings.items()}
    overall = read.pop(OVERALL, None)
    if overall is not None:
        return overall.value
    values = [r.value for r in read.values() if r is not None]
    return float(np.mean(values)) if values else None


def _label(value: object) -> str:
    text = str(value).strip() if value is not None else ""
    return text or UNKNOWN


def rated_reports(
    audits: Iterable[ReportAudit], scales: RatingScales, into: list[RatedReport]
) -> Iterator[ReportAudit]:
    """Pass `audits` through, appending each audited, rated one to `into` on the way."""
    for audit in audits:
        if audit.ok and audit.score is not None:
            rating = report_rating(audit, scales)
            if rating is not None:
                meta = audit.metadata
                into.append(
                    RatedReport(
                        _label(meta.get("region")),
                        _label(meta.get("manager")),
                        rating,
                        float(audit.score),
                    )
                )
        yield audit


def expected_ratings(ratings: np.ndarray, scores: np.ndarray, bins: int) -> np.ndarray:
    """Per report, the rating narratives of its score get: a least-squares line of rating on
    score within its score bin (the bin's mean when its scores do not vary)."""
    rank = (sps.rankdata(scores) - 0.5) / scores.size  # mid-ranks: tied scores share a bin
    which = np.minimum((rank * bins).astype(int), bins - 1)
    expected = np.empty_like(ratings)
    for b in np.unique(which):
        mine = which == b
        x, y = scores[mine], ratings[mine]
        spread = float(((x - x.mean()) ** 2).sum())
        slope = float(((x - x.mean()) * (y - y.mean())).sum()) / spread if spread else 0.0
        expected[mine] = y.mean() + slope * (x - x.mean())
    return expected


def expanded(confidence: float, n: int) -> float:
    """The confidence to take bootstrap percentiles at so that an interval of the mean of `n`
    values covers about `confidence` (Hesterberg's expanded percentile interval)."""
    if n < 2:
        return confidence
    t = float(sps.t.ppf(1 - (1 - confidence) / 2, n - 1))
    return float(1 - 2 * sps.norm.cdf(-np.sqrt(n / (n - 1)) * t))


def _call(ci: tuple[float, float], level: float) -> LeniencyCall:
    if ci[0] > level:
        return "lenient"
    if ci[1] < level:
        return "harsh"
    return "in line"


def manager_leniency(rated: Sequence[RatedReport], settings: LeniencySettings) -> Leniency | None:
    """Leniency of every manager with rated reports (None when no report is rated)."""
    if not rated:
        return None
    ratings = np.array([r.rating for r in rated])
    gap = ratings - expected_ratings(
        ratings, np.array([r.score for r in rated]), settings.score_bins
    )
    rows: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rated):
        rows[(r.region, r.manager)].append(i)
    rng = np.random.default_rng(settings.seed)
    keys = sorted(rows)
    counted = [float(gap[rows[k]].mean()) for k in keys if len(rows[k]) >= settings.min_reports]
    level = float(np.median(counted)) if counted else 0.0
    each = 1 - (1 - settings.confidence) / max(len(counted), 1)
    cis = {
        k: bootstrap_mean_ci(gap[rows[k]], settings.resamples, expanded(each, len(rows[k])), rng)
        for k in keys
    }
    managers = []
    for region, manager in keys:
        idx = rows[(region, manager)]
        ci = cis[(region, manager)]
        managers.append(
            ManagerLeniency(
                manager=manager,
                region=region,
                n=len(idx),
                leniency=rounded(float(gap[idx].mean()), 3),
                ci=(round(ci[0], 3), round(ci[1], 3)) if ci else None,
                mean_rating=rounded(float(np.mean([rated[i].rating for i in idx])), 3),
                mean_score=rounded(float(np.mean([rated[i].score for i in idx])), 2),
                call="too few reports"
                if ci is None or len(idx) < settings.min_reports
                else _call(ci, level),
            )
        )
    few = sum(1 for m in managers if m.call == "too few reports")
    notes = [
        f"Leniency compares {len(rated)} rated report(s): each rating (0-1 of its scale) minus "
        f"what narratives of a similar score get (a line of rating on score in each of "
        f"{settings.score_bins} score bins)."
    ]
    if counted:
        notes.append(
            f"The organisation's level ({level:+.3f}) is the median of the {len(counted)} "
            f"manager(s) with at least {settings.min_reports} rated reports; each interval is at "
            f"{each:.2%} so that all {len(counted)} hold together at {settings.confidence:.0%}."
        )
    if few:
        notes.append(
            f"{few} manager(s) have fewer than {settings.min_reports} rated reports: "
            "shown, never named lenient or harsh."
        )
    return Leniency(
        n_rated=len(rated),
        org_level=round(level, 3),
        confidence=settings.confidence,
        min_reports=settings.min_reports,
        managers=managers,
        lenient=[f"{m.manager} ({m.region})" for m in managers if m.call == "lenient"],
        harsh=[f"{m.manager} ({m.region})" for m in managers if m.call == "harsh"],
        notes=notes,
    )
