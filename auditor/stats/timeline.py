"""A rep's reports over time (`auditor rep`): visits, objectives followed up, competency trends.

Pure: audits in, a RepTimeline out. A trend is a least-squares line through the scores of the
dated reports coaching a competency against the visit day (docs/rep.md), never an average of
snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from auditor.config import RepSettings
from auditor.schema import (
    CompetencyTrend,
    FollowStatus,
    ReportAudit,
    RepTimeline,
    RepVisit,
    TrendDirection,
    TrendPoint,
)
from auditor.stats.records import UNKNOWN, Record, compact


def rep_of(audit: ReportAudit) -> str | None:
    """The rep an audit's metadata names (trimmed), None when it names none."""
    value = audit.metadata.get("rep")
    text = str(value).strip() if value is not None else ""
    return text or None


def _objective(audit: ReportAudit) -> str | None:
    objective = audit.next_objective
    if objective is None or not objective.present or not objective.evidence:
        return None
    return " … ".join(e.text.strip() for e in objective.evidence)


def _visits(pairs: Sequence[tuple[ReportAudit, Record]], names: dict[str, str]) -> list[RepVisit]:
    """The visits in order, each with the status its next report gave its objective: the
    report whose `follow_through` names it, else `not_assessed` when a later dated report
    exists, else None."""
    by_previous = {
        a.follow_through.previous_id: a
        for a, _r in pairs
        if a.follow_through is not None and a.follow_through.previous_id
    }
    later = [(r.date, a.id) for a, r in pairs if r.ok and r.date is not None]
    visits = []
    for a, r in pairs:
        follower = by_previous.get(a.id)
        status: FollowStatus | None = None
        follower_id = None
        if follower is not None and follower.follow_through is not None:
            status, follower_id = follower.follow_through.status, follower.id
        elif r.date is not None:
            follower_id = next((i for d, i in later if d > r.date), None)
            status = "not_assessed" if follower_id else None
        visits.append(
            RepVisit(
                id=a.id,
                date=r.date.isoformat() if r.date else None,
                manager=None if r.manager == UNKNOWN else r.manager,
                score=r.score,
                verdict=a.verdict if a.ok else None,
                competencies=[names.get(c, c) for c in r.focus],
                objective=_objective(a) if a.ok else None,
                followed_up=status,
                followed_up_in=follower_id,
                error=a.error,
            )
        )
    return visits


def _direction(slope: float, settings: RepSettings) -> TrendDirection:
    if slope > settings.steady_within:
        return "improving"
    if slope < -settings.steady_within:
        return "declining"
    return "steady"


def _trend(
    cid: str, name: str, visits: int, points: Sequence[TrendPoint], settings: RepSettings
) -> CompetencyTrend:
    """The line through `points` (dated visits, oldest first) and its statement."""
    words = settings.messages
    fields = {
        "name": name,
        "visits": visits,
        "dated": len(points),
        "per_days": settings.per_days,
        "min_visits": settings.min_visits,
        "first": points[0].date if points else "",
        "last": points[-1].date if points else "",
    }
    days = np.array([np.datetime64(p.date).astype(int) for p in points], dtype=float)
    if len(points) < settings.min_visits or len(set(days)) < 2:
        direction: TrendDirection = "too_few"
        level = slope = None
        statement = words.too_few.format(**fields)
    else:
        scores = np.array([p.score for p in points], dtype=float)
        # Days counted back from the latest visit: the intercept is the level there.
        per_day, at_last = np.polyfit(days - days[-1], scores, 1)
        level = round(float(np.clip(at_last, 0, 100)), 1)
        slope = round(float(per_day * settings.per_days), 2)
        direction = _direction(slope, settings)
        statement = words.trend.format(
            **fields, level=level, slope=f"{slope:+.2f}", direction=words.directions[direction]
        )
    return CompetencyTrend(
        id=cid,
        name=name,
        visits=visits,
        points=list(points),
        level=level,
        slope=slope,
        per_days=settings.per_days,
        direction=direction,
        statement=statement,
    )


def rep_timeline(
    rep: str,
    audits: Iterable[ReportAudit],
    competency_names: dict[str, str],
    settings: RepSettings,
) -> RepTimeline:
    """The timeline of one rep's audits: visits by date (undated last, then by id), whether
    each objective was followed up at the next visit, and a trend per competency coached at
    least twice (rule-pack order, then ids the pack does not know)."""
    pairs = sorted(
        ((a, compact(a)) for a in audits),
        key=lambda p: (p[1].date is None, p[1].date.isoformat() if p[1].date else "", p[0].id),
    )
    dated = [
        (TrendPoint(id=a.id, date=r.date.isoformat(), score=r.score), r.focus)
        for a, r in pairs
        if r.ok and r.date is not None and r.score is not None
    ]
    coached: dict[str, int] = {}
    for _a, r in pairs:
        if r.ok:
            for c in r.focus:
                coached[c] = coached.get(c, 0) + 1
    order = [c for c in competency_names if c in coached] + sorted(
        c for c in coached if c not in competency_names
    )

    def points(cid: str | None) -> list[TrendPoint]:
        return [p for p, focus in dated if cid is None or cid in focus]

    n_ok = sum(1 for _a, r in pairs if r.ok)
    undated = sum(1 for _a, r in pairs if r.date is None)
    notes = []
    if undated:
        notes.append(
            f"{undated} report(s) have no usable date: listed last and left out of the trends."
        )
    return RepTimeline(
        rep=rep,
        n_reports=len(pairs),
        n_errors=len(pairs) - n_ok,
        undated=undated,
        visits=_visits(pairs, competency_names),
        overall=_trend("", settings.messages.overall, n_ok, points(None), settings)
        if n_ok
        else None,
        trends=[
            _trend(c, competency_names.get(c, c), coached[c], points(c), settings)
            for c in order
            if coached[c] >= 2
        ],
        notes=notes,
    )
