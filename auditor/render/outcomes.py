"""`auditor outcomes` as terminal text or a self-contained HTML page (its own template).

The page uses no URL: styles are inline and the interval chart is an inline SVG laid out here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from auditor.render import environment
from auditor.stats.outcomes import Association, OutcomesReport
from auditor.textsafety import escape_controls

TESTED = ("rises", "falls", "unclear")
SHOWN_PROBLEMS = 10
_CHART_W, _LABEL_W, _ROW_H = 640, 260, 24


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _interval(low: float | None, high: float | None) -> str:
    return "n/a" if low is None or high is None else f"{_num(low)} to {_num(high)}"


def iter_outcomes_text(report: OutcomesReport) -> Iterator[str]:
    """The report as lines of terminal text (report text escaped)."""
    yield escape_controls(
        f"Coaching and {report.kpi}: {report.pairs} pairs from {report.units} {report.unit_noun}, "
        f"coaching in one {report.period} and the KPI's change to the next"
        + (f" ({report.periods[0]} to {report.periods[-1]})" if report.periods else "")
    )
    yield (
        f"Reports: {report.reports_used} used, {report.reports_failed} not audited, "
        f"{report.reports_without_unit} without a {report.unit}, {report.reports_undated} undated. "
        f"KPI rows: {report.kpi_rows} read, {len(report.kpi_problems)} not used."
    )
    yield ""
    for claim in report.claims:
        yield escape_controls(claim)
    yield ""
    tested = [a for a in report.associations if a.status in TESTED]
    if tested:
        width = max(len(a.name) for a in tested)
        yield f"{'measure':<{width}}  {'rho':>6}  {'interval':<16}  higher minus lower change"
        for a in tested:
            yield escape_controls(
                f"{a.name:<{width}}  {_num(a.rho):>6}  {_interval(a.low, a.high):<16}  "
                f"{_num(a.difference)} ({_interval(a.difference_low, a.difference_high)}; "
                f"{a.higher})  {a.status}"
            )
        yield ""
    for a in report.associations:
        if a.status not in TESTED:
            yield escape_controls(a.statement)
    for problem in report.kpi_problems[:SHOWN_PROBLEMS]:
        yield escape_controls(f"KPI row not used: {problem}")
    if len(report.kpi_problems) > SHOWN_PROBLEMS:
        yield f"... and {len(report.kpi_problems) - SHOWN_PROBLEMS} more KPI rows not used."
    yield ""
    if report.intervals:
        yield report.intervals
    yield escape_controls(report.caveat)


@dataclass(frozen=True)
class _Bar:
    """One measure's rho and interval on the chart, in SVG coordinates."""

    label: str
    y: float
    x: float
    x_low: float
    x_high: float
    cls: str
    title: str


def _x(rho: float) -> float:
    return _LABEL_W + (rho + 1) / 2 * (_CHART_W - _LABEL_W - 10)


def _bars(tested: list[Association]) -> list[_Bar]:
    return [
        _Bar(
            label=a.name,
            y=(i + 1) * _ROW_H,
            x=_x(a.rho or 0.0),
            x_low=_x(a.low if a.low is not None else a.rho or 0.0),
            x_high=_x(a.high if a.high is not None else a.rho or 0.0),
            cls=a.status,
            title=f"{a.name}: rho {_num(a.rho)}, interval {_interval(a.low, a.high)}",
        )
        for i, a in enumerate(tested)
    ]


def render_outcomes_html(report: OutcomesReport, source: str) -> str:
    """The report as one self-contained HTML page."""
    tested = [a for a in report.associations if a.status in TESTED]
    return (
        environment()
        .get_template("outcomes.html")
        .render(
            report=report,
            source=source,
            tested=tested,
            untested=[a for a in report.associations if a.status not in TESTED],
            bars=_bars(tested),
            chart={
                "width": _CHART_W,
                "height": (len(tested) + 1.5) * _ROW_H,
                "zero": _x(0.0),
                "label_w": _LABEL_W,
            },
            num=_num,
            interval=_interval,
        )
    )
