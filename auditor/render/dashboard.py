"""RegionsReport + weakest reports -> one self-contained HTML dashboard with inline SVG charts.

This module only lays charts out (coordinates, colours, labels); the template draws them and
jinja2's autoescaping makes every piece of report text inert. Nothing refers to a URL, so the
file opens offline and prints as it looks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from auditor.render import environment
from auditor.render.charts import PASS_STOPS, SHARE_STOPS, distribution, heatmap, trend_chart
from auditor.schema import GROUP_NOUN, Leniency, RegionsReport
from auditor.stats import SEVERITY_RANK, FindingSummary, Vocabulary, WeakReport


# -- weakest reports --------------------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    """A stretch of report text, highlighted when a finding points at it."""

    text: str
    severity: str | None = None
    title: str = ""


@dataclass(frozen=True)
class WeakView:
    """A weak report with its anchor and highlighted text."""

    report: WeakReport
    anchor: str
    main: list[FindingSummary] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)


def anchor_for(report_id: str, index: int) -> str:
    """An HTML id for a report's detail section (unique even if ids collide after cleaning)."""
    return f"report-{index}-" + re.sub(r"[^A-Za-z0-9_-]+", "-", report_id).strip("-")


def _in_figure(text: str, i: int) -> bool:
    """True when offset `i` falls inside a figure such as "12", "3.5" or "1,200"."""

    def digit(j: int) -> bool:
        return 0 <= j < len(text) and text[j].isdigit()

    def separator(j: int) -> bool:  # "," or "." between two digits
        return 0 <= j < len(text) and text[j] in ".," and digit(j - 1) and digit(j + 1)

    return (digit(i - 1) or separator(i - 1)) and (digit(i) or separator(i))


def whole_figures(text: str, start: int, end: int) -> tuple[int, int]:
    """A span widened so that it never starts or ends inside a figure ("3 of 12", not "3 of 1")."""
    while start > 0 and _in_figure(text, start):
        start -= 1
    while end < len(text) and _in_figure(text, end):
        end += 1
    return start, end


def segments(report: WeakReport) -> list[Segment]:
    """Split the text at evidence offsets, widened to whole figures; overlapping or
    out-of-range evidence is skipped."""
    spans = list(
        (*whole_figures(report.text, start, end), SEVERITY_RANK.get(f.severity, 9), f)
        for f in report.findings
        for start, end in f.evidence
        if 0 <= start < end <= len(report.text)
    )
    spans.sort(key=lambda span: span[:3])  # equal spans keep finding order, never compare them
    out, pos = [], 0
    for start, end, _, f in spans:
        if start < pos:
            continue
        if start > pos:
            out.append(Segment(report.text[pos:start]))
        out.append(Segment(report.text[start:end], f.severity, f"{f.code}: {f.message}"))
        pos = end
    if pos < len(report.text):
        out.append(Segment(report.text[pos:]))
    return out


def main_findings(report: WeakReport, vocab: Vocabulary) -> list[FindingSummary]:
    """A report's findings, most severe first and, within a severity, heaviest check first."""
    return sorted(
        report.findings,
        key=lambda f: (SEVERITY_RANK.get(f.severity, 9), -vocab.weights.get(f.code, 0)),
    )


# -- the page ---------------------------------------------------------------------------------
def _pct_slope(s: float | None, period: str) -> str:
    return "" if s is None else f"{s * 100:+.1f} pts/{period}"


def _pct(v: float) -> str:
    return f"{v:.0%}"


def render_dashboard(
    report: RegionsReport,
    vocab: Vocabulary,
    weakest: Sequence[WeakReport],
    source: str = "",
    check_labels: Mapping[str, str] | None = None,
    leniency: Leniency | None = None,
) -> str:
    """The whole dashboard as one HTML string; checks are named by `check_labels` (stats.yaml)
    where given, else by their rubric name. `leniency` (the managers' ratings against their
    narratives) adds its section."""
    labels = {c: (check_labels or {}).get(c, name) for c, name in vocab.checks.items()}
    groups = [g for g in report.groups if g.n]
    checks = [(c, labels[c], False) for c in vocab.checks]
    check_map = heatmap(groups, checks, lambda g, c: g.check_pass_rates.get(c), PASS_STOPS, 1.0)
    comp_cols = [(c, name, c in vocab.serving) for c, name in vocab.competencies.items()]
    comp_cols.append(("", "(no focus)", False))
    top_share = max(
        [v for g in groups for v in g.competency_share.values()]
        + [g.no_focus_share or 0 for g in groups]
        + [0.05]
    )
    comp_map = heatmap(
        groups,
        comp_cols,
        lambda g, c: g.competency_share.get(c) if c else g.no_focus_share,
        SHARE_STOPS,
        top_share,
    )
    prio_cols = [(p, name, True) for p, name in vocab.active_priorities.items()]
    prio_cols.append(("", "any active priority", False))
    prio_map = heatmap(
        groups,
        prio_cols,
        lambda g, p: g.priority_share.get(p) if p else g.alignment_rate,
        SHARE_STOPS,
        1.0,
    )
    n_ok = sum(g.n for g in groups)
    org_mean = (sum((g.mean_score or 0) * g.n for g in groups) / n_ok) if n_ok else None
    dist = distribution(groups, org_mean)

    tr = report.trends
    per = tr.period
    shares = [v for series in tr.competency_share.values() for v in series if v is not None]
    top = max(shares + [0.05])
    top = min(1.0, (int(top * 10) + 1) / 10)  # round up to the next 10% for readable axes
    trend_charts = [
        trend_chart(
            "Mean score",
            tr.mean_score,
            tr.mean_score_ci,
            tr.periods,
            tr.small_sample,
            100.0,
            lambda v: f"{v:.0f}",
            "" if tr.slopes.mean_score is None else f"{tr.slopes.mean_score:+.1f} points/{per}",
        ),
        trend_chart(
            "Aligned to an active priority",
            tr.alignment_rate,
            tr.alignment_rate_ci,
            tr.periods,
            tr.small_sample,
            1.0,
            _pct,
            _pct_slope(tr.slopes.alignment_rate, per),
        ),
    ] + [
        trend_chart(
            vocab.competencies.get(c, c),
            series,
            tr.competency_share_ci.get(c, []),
            tr.periods,
            tr.small_sample,
            top,
            _pct,
            _pct_slope(tr.slopes.competency_share.get(c), per),
            marked=c in vocab.serving,
        )
        for c, series in tr.competency_share.items()
    ]
    weak = [
        WeakView(w, anchor_for(w.id, i), main_findings(w, vocab), segments(w))
        for i, w in enumerate(weakest)
    ]
    return (
        environment()
        .get_template("dashboard.html")
        .render(
            report=report,
            vocab=vocab,
            labels=labels,
            source=source,
            noun=GROUP_NOUN[report.by],
            check_map=check_map,
            comp_map=comp_map,
            prio_map=prio_map,
            dist=dist,
            trend_charts=trend_charts,
            weak=weak,
            follow=[g for g in report.groups if g.follow_through],
            leniency=leniency,
            notes=report.notes + report.consistency.notes + report.trends.notes,
            serving_priorities=", ".join(vocab.active_priorities.values()),
        )
    )
