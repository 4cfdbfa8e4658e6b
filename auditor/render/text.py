"""Plain text for a terminal: a RegionsReport (`auditor regions --format text`) and the
checklist under `auditor check`'s score."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from auditor.checks.generic import count_range
from auditor.config import Checklist, CheckSpec
from auditor.schema import GROUP_NOUN, RegionsReport, ReportAudit
from auditor.textsafety import escape_controls

if TYPE_CHECKING:  # auditor.stats imports scipy.stats: too slow for `auditor check`'s start
    from auditor.stats import Vocabulary


def _pct(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:5.0%}"


def _p(p: float | None) -> str:
    if p is None:
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def iter_text_report(report: RegionsReport, vocab: Vocabulary) -> Iterator[str]:
    """A readable plain-text version of a RegionsReport, safe to print to a terminal.

    Names and notes come from report metadata: control characters in them are escaped.
    """
    return map(escape_controls, _text_lines(report, vocab))


def _text_lines(report: RegionsReport, vocab: Vocabulary) -> Iterator[str]:
    noun = GROUP_NOUN[report.by]
    con = report.consistency
    yield (
        f"{report.n_reports} reports ({report.n_errors} failed), {len(report.groups)} "
        f"{noun}, minimum group size {report.min_group_size}"
    )
    if report.region_aliases:
        yield "Regions merged: " + "; ".join(
            f"{name} = {name} + {', '.join(names)}" for name, names in report.region_aliases.items()
        )
    if con.index is not None:
        interval = f" [95% CI {con.index_ci[0]:.0f}-{con.index_ci[1]:.0f}]" if con.index_ci else ""
        yield f"Consistency index {con.index:.0f}/100{interval}: {con.meaning}"
        yield (
            f"  ICC(1) {con.icc if con.icc is not None else 'n/a'}  between-{report.by} "
            f"share of score variance {_pct(con.between_share).strip()}  Kruskal-Wallis "
            f"p {_p(con.kruskal_p)}  pass-rate spread {_pct(con.pass_rate_spread).strip()} "
            f"(noise alone {_pct(con.noise_spread).strip()})"
        )
    else:
        yield "Consistency index: undefined (see notes)"
    # Periods are listed in date order (report.groups' order), small ones marked with "*";
    # regions and managers are ranked by score, small samples apart.
    if report.by == "period":
        ranked, small = list(report.groups), []
    else:
        ranked = sorted(
            (g for g in report.groups if not g.small_sample), key=lambda g: -(g.mean_score or 0)
        )
        small = [g for g in report.groups if g.small_sample]
    yield ""
    yield (
        f"{report.by.capitalize():<24}{'n':>5}{'err':>5}{'mgrs':>5}  {'mean [95% CI]':<20}"
        f"{'weak':>6}{'aligned':>8}{'no focus':>9}{'JSD':>6}"
    )
    first = (
        f"in date order (* fewer than {report.min_group_size} reports)"
        if report.by == "period"
        else f"ranked by mean score (n >= {report.min_group_size})"
    )
    for title, rows in (
        (first, ranked),
        (f"small samples (n < {report.min_group_size}), not ranked", small),
    ):
        if not rows:
            continue
        yield f"  {title}"
        for g in rows:
            name = f"{g.name} ({g.region})" if g.region else g.name
            name += "*" if g.small_sample and report.by == "period" else ""
            mean = f"{g.mean_score:.1f}" if g.mean_score is not None else "n/a"
            ci = f"[{g.score_ci[0]:.1f}, {g.score_ci[1]:.1f}]" if g.score_ci else "[n/a]"
            jsd = f"{g.divergence:.3f}" if g.divergence is not None else "  n/a"
            yield (
                f"  {name[:22]:<22}{g.n:>5}{g.errors:>5}{g.managers:>5}  "
                f"{mean + ' ' + ci:<20}{_pct(g.verdicts.get('weak')):>6}"
                f"{_pct(g.alignment_rate):>8}{_pct(g.no_focus_share):>9}{jsd:>6}"
            )
    if con.most_divergent_checks:
        yield ""
        yield f"Most divergent checks (chi-square across {noun}; p Holm-adjusted)"
        for d in con.most_divergent_checks:
            yield (
                f"  {d.code:<8}{d.name:<30} p {_p(d.p_holm):<7} pass rate "
                f"{d.lowest.rate:.0%} in {d.lowest.group} .. {d.highest.rate:.0%} in "
                f"{d.highest.group}"
            )
    yield ""
    yield "Outliers" if report.outliers else "Outliers: none found"
    for o in report.outliers:
        who = {
            "manager": f"{o.manager} ({o.region})",
            "region": f"{o.region} (region)",
            "split": f"{o.region} (split)",
        }[o.level]
        yield f"  {who}: {o.message}"
    tr = report.trends
    if len(tr.periods) >= 2:
        yield ""
        yield (
            f"Trends by {tr.period}, {tr.periods[0]} .. {tr.periods[-1]} ({len(tr.periods)} "
            f"{tr.period}s): first -> last {tr.period}, change per {tr.period} (weighted fit)"
        )

        def line(
            name: str, series: list[float | None], slope: float | None, scale: float, unit: str
        ) -> str:
            shown = [v for v in series if v is not None]
            if not shown or slope is None:
                return f"  {name[:38]:<39}n/a"
            first, last = (
                f"{v * scale:.0f}" + ("%" if unit == "pts" else "") for v in (shown[0], shown[-1])
            )
            return f"  {name[:38]:<39}{first:>5} -> {last:<6}{slope * scale:+6.2f} {unit}"

        yield line("mean score", tr.mean_score, tr.slopes.mean_score, 1, "points")
        yield line(
            "aligned to an active priority", tr.alignment_rate, tr.slopes.alignment_rate, 100, "pts"
        )
        for c, series in tr.competency_share.items():
            yield line(
                "focus: " + vocab.competencies.get(c, c),
                series,
                tr.slopes.competency_share.get(c),
                100,
                "pts",
            )
    notes = report.notes + con.notes + tr.notes
    if notes:
        yield ""
        yield "Notes"
        for note in notes:
            yield f"  - {note}"


def iter_checklist(
    audit: ReportAudit,
    checklist: Checklist,
    checks: Iterable[CheckSpec],
    names: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """`  [x] label` per checklist item; the focus range is what `checks` allow the audit's rep.

    The focus competencies are shown by their `names` (id -> taxonomy name) where given.
    """
    names = names or {}
    for item in checklist.items:
        if item.field == "focus_competencies":
            focus = audit.focus_competencies
            low, high = count_range(checks, item.field, audit.rep_level)
            ok = low <= len(focus) and (high is None or len(focus) <= high)
            span = f"{low}-{high}" if high is not None else f"{low}+"
            shown = ", ".join(names.get(c, c) for c in focus)
            label = f"{item.label} {span} ({shown or 'none'})"
        else:
            part, name = item.field.split(".")
            ok, label = getattr(getattr(audit, part), name), item.label
        yield f"  [{'x' if ok else ' '}] {label}"
