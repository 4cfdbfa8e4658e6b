"""Per-manager leniency: ratings relative to what the narratives support, with an interval.

Each rated report gets the percentile of its rating among all rated reports minus the
percentile of its narrative score (mid-ranks, so ties share a percentile). A manager's leniency
is the mean over their rated reports; the organisation's is 0 by construction. A manager is
named lenient (harsh) only with at least `min_reports` rated reports and a percentile-bootstrap
interval entirely above (below) 0. Why ranks: docs/ratings.md.
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


def _percentiles(values: np.ndarray) -> np.ndarray:
    return (sps.rankdata(values) - 0.5) / values.size


def _call(n: int, ci: tuple[float, float] | None, settings: LeniencySettings) -> LeniencyCall:
    if ci is None or n < settings.min_reports:
        return "too few reports"
    if ci[0] > 0:
        return "lenient"
    if ci[1] < 0:
        return "harsh"
    return "in line"


def manager_leniency(rated: Sequence[RatedReport], settings: LeniencySettings) -> Leniency | None:
    """Leniency of every manager with rated reports (None when no report is rated)."""
    if not rated:
        return None
    gap = _percentiles(np.array([r.rating for r in rated])) - _percentiles(
        np.array([r.score for r in rated])
    )
    rows: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rated):
        rows[(r.region, r.manager)].append(i)
    rng = np.random.default_rng(settings.seed)
    managers = []
    for (region, manager), idx in sorted(rows.items()):
        mine = gap[idx]
        ci = bootstrap_mean_ci(mine, settings.resamples, settings.confidence, rng)
        managers.append(
            ManagerLeniency(
                manager=manager,
                region=region,
                n=len(idx),
                leniency=rounded(float(mine.mean()), 3),
                ci=(round(ci[0], 3), round(ci[1], 3)) if ci else None,
                mean_rating=rounded(float(np.mean([rated[i].rating for i in idx])), 3),
                mean_score=rounded(float(np.mean([rated[i].score for i in idx])), 2),
                call=_call(len(idx), ci, settings),
            )
        )
    few = sum(1 for m in managers if m.call == "too few reports")
    notes = [
        f"Leniency compares {len(rated)} rated report(s): each rating's percentile minus its "
        "narrative score's percentile; 0 is the organisation's level."
    ]
    if few:
        notes.append(
            f"{few} manager(s) have fewer than {settings.min_reports} rated reports: "
            "shown, never named lenient or harsh."
        )
    return Leniency(
        n_rated=len(rated),
        confidence=settings.confidence,
        min_reports=settings.min_reports,
        managers=managers,
        lenient=[f"{m.manager} ({m.region})" for m in managers if m.call == "lenient"],
        harsh=[f"{m.manager} ({m.region})" for m in managers if m.call == "harsh"],
        notes=notes,
    )
