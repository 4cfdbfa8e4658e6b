"""`auditor rep` as terminal text or a self-contained HTML page (its own template, no URL)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.render import environment
from auditor.schema import CompetencyTrend, RepTimeline, RepVisit
from auditor.textsafety import escape_controls

#: How a visit's objective fared at the next visit, in words.
FOLLOWED = {
    "followed_up": "followed up",
    "partly": "partly followed up",
    "not_followed_up": "not followed up",
    "not_assessed": "not assessed",
    None: "no later visit",
}
#: Longer objectives (a transcript without sentence breaks) are cut here; JSON keeps them whole.
OBJECTIVE_CHARS = 300


def _objective(visit: RepVisit) -> str:
    text = visit.objective
    if text is None:
        return "none found"
    return text if len(text) <= OBJECTIVE_CHARS else text[: OBJECTIVE_CHARS - 1].rstrip() + "…"


def _score(visit: RepVisit) -> str:
    if visit.error is not None:
        return f"not audited: {visit.error}"
    return f"score {visit.score}, {visit.verdict}"


def _next(visit: RepVisit) -> str:
    words = FOLLOWED[visit.followed_up]
    return f"{words} ({visit.followed_up_in})" if visit.followed_up_in else words


def _trend_lines(trend: CompetencyTrend) -> Iterator[str]:
    yield f"  {trend.statement}"
    if trend.points:
        yield "    scores: " + ", ".join(f"{p.date} {p.score}" for p in trend.points)


def iter_rep_text(timeline: RepTimeline) -> Iterator[str]:
    """The timeline as lines of terminal text (report text escaped)."""
    t = timeline
    yield escape_controls(
        f"Rep {t.rep}: {t.n_reports} reports ({t.n_errors} not audited, {t.undated} undated)"
    )
    yield ""
    for v in t.visits:
        yield escape_controls(
            f"{v.date or 'undated'}  {v.id}  manager {v.manager or 'unknown'}  {_score(v)}"
        )
        if v.error is None:
            yield escape_controls(f"  coached: {', '.join(v.competencies) or 'no focus'}")
            yield escape_controls(f"  next objective: {_objective(v)}")
            yield escape_controls(f"  at the next visit: {_next(v)}")
    yield ""
    yield "Trends (score of the reports coaching each competency, by visit date):"
    if t.overall is not None:
        yield from (escape_controls(line) for line in _trend_lines(t.overall))
    for trend in t.trends:
        yield from (escape_controls(line) for line in _trend_lines(trend))
    if not t.trends:
        yield "  No competency was coached in two or more visits."
    for note in t.notes:
        yield escape_controls(note)


def render_rep_html(timeline: RepTimeline, source: str) -> str:
    """The timeline as one self-contained HTML page."""
    return (
        environment()
        .get_template("rep.html")
        .render(t=timeline, source=source, next=_next, objective=_objective)
    )
