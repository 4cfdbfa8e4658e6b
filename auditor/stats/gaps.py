"""What each group should work on: the checks and competencies furthest below the organisation.

A check's rate is its pass rate, a competency's the share of reports whose focus includes it
(only competencies that serve an active priority, when the strategy has any). The organisation's
rate is over all audited reports; each gap comes with the group's n and a Wilson interval, and
is `clear` when the interval lies wholly below the organisation's rate. Clear gaps come first,
then the largest; a group lists at most `work_on` of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from auditor.config import StatsSettings
from auditor.schema import Gap, GroupStats, WorkOn
from auditor.stats.measures import rounded, wilson_interval
from auditor.stats.records import Vocabulary


def _org_rates(
    groups: Sequence[GroupStats], field: str, counts: str | None = None
) -> dict[str, float]:
    """Report-weighted mean of a per-group rate dict: the rate over all audited reports (for
    check pass rates, over the reports each check applies to: `counts` names their field)."""
    totals: dict[str, float] = {}
    weights: dict[str, float] = {}
    for g in groups:
        sizes = getattr(g, counts) if counts else {}
        for key, rate in getattr(g, field).items():
            m = sizes.get(key, g.n)
            if rate is None or not m:
                continue
            totals[key] = totals.get(key, 0.0) + rate * m
            weights[key] = weights.get(key, 0.0) + m
    return {key: total / weights[key] for key, total in totals.items()}


def _gaps(
    kind: Literal["check", "competency"],
    g: GroupStats,
    rates: Mapping[str, float | None],
    org: Mapping[str, float],
    names: Mapping[str, str],
    settings: StatsSettings,
    counts: Mapping[str, int] | None = None,
) -> list[Gap]:
    out = []
    for key, rate in rates.items():
        if rate is None or key not in names or org.get(key) is None:
            continue
        if org[key] - rate < settings.work_on_min_gap:
            continue
        n = counts.get(key, g.n) if counts else g.n
        lo, hi = wilson_interval(round(rate * n), n, settings.bootstrap.confidence)
        out.append(
            Gap(
                kind=kind,
                id=key,
                name=names[key],
                rate=rate,
                org_rate=rounded(org[key]),
                gap=rounded(rate - org[key]),
                n=n,
                ci=(rounded(lo), rounded(hi)),
                clear=hi < org[key],
            )
        )
    return out


def work_on(
    groups: Sequence[GroupStats], vocab: Vocabulary, settings: StatsSettings
) -> list[WorkOn]:
    """Per group with audited reports, its largest gaps below the organisation (checks first)."""
    audited = [g for g in groups if g.n]
    checks = _org_rates(audited, "check_pass_rates", "check_reports")
    comps = _org_rates(audited, "competency_share")
    check_names = {c: settings.check_labels.get(c, name) for c, name in vocab.checks.items()}
    comp_names = {
        c: name for c, name in vocab.competencies.items() if c in vocab.serving or not vocab.serving
    }
    return [
        WorkOn(
            group=g.name,
            region=g.region,
            n=g.n,
            small_sample=g.small_sample,
            gaps=sorted(
                _gaps(
                    "check", g, g.check_pass_rates, checks, check_names, settings, g.check_reports
                )
                + _gaps("competency", g, g.competency_share, comps, comp_names, settings),
                key=lambda x: (not x.clear, x.gap),
            )[: settings.work_on],
        )
        for g in audited
    ]
