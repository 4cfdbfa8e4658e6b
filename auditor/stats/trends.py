"""Per-period statistics and their slopes: coaching over time (`auditor regions`' trends).

A period with few reports is marked, undated reports are counted, and slopes weight each period
by the square root of its reports. The formulas are documented in docs/regions.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date

import numpy as np

from auditor.config import StatsSettings
from auditor.schema import PeriodKind, Trends, TrendSlopes
from auditor.stats.measures import bootstrap_mean_ci, rounded, share, wilson_interval
from auditor.stats.records import UNKNOWN, Record, Vocabulary


def period_of(day: date | None, kind: PeriodKind) -> str:
    """`2025-02` (month) or `2025-Q1` (quarter); "unknown" without a date."""
    if day is None:
        return UNKNOWN
    if kind == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def period_ordinal(label: str) -> int:
    """A period label as a month count, for ordering and spacing (`2025-Q1` is its last month)."""
    year, rest = label.split("-")
    return int(year) * 12 + (int(rest[1:]) * 3 if rest.startswith("Q") else int(rest))


def _slope(values: Sequence[float | None], x: Sequence[int], n: Sequence[int]) -> float | None:
    points = [(xi, v, ni) for xi, v, ni in zip(x, values, n, strict=True) if v is not None]
    if len({p[0] for p in points}) < 2:
        return None
    xs, ys, ws = (np.array(col, dtype=float) for col in zip(*points, strict=True))
    # Weight by sqrt(n): a period with four times the reports has half the standard error.
    return float(np.polyfit(xs, ys, 1, w=np.sqrt(ws))[0])


def _pair(ci: tuple[float, float] | None, digits: int = 4) -> tuple[float, float] | None:
    """An interval rounded for output."""
    return (round(ci[0], digits), round(ci[1], digits)) if ci else None


def trends(
    records: Sequence[Record], vocab: Vocabulary, kind: PeriodKind, settings: StatsSettings
) -> Trends:
    """Per-period mean score, alignment, competency shares and check pass rates, with slopes.

    Each period's value has an interval: a percentile bootstrap for the mean score, Wilson for
    the shares (at the bootstrap's confidence).
    """
    buckets: dict[str, list[Record]] = defaultdict(list)
    undated = 0
    for r in records:
        if not r.ok:
            continue
        label = period_of(r.date, kind)
        if label == UNKNOWN:
            undated += 1
        else:
            buckets[label].append(r)
    periods = sorted(buckets, key=period_ordinal)
    n = [len(buckets[p]) for p in periods]

    confidence = settings.bootstrap.confidence

    def count(fn: Callable[[Record], bool]) -> list[int]:
        return [sum(1 for r in buckets[p] if fn(r)) for p in periods]

    def rates(counts: list[int], of: list[int] = n) -> list[float | None]:
        return [rounded(share(k, m)) for k, m in zip(counts, of, strict=True)]

    def intervals(counts: list[int], of: list[int] = n) -> list[tuple[float, float] | None]:
        return [
            _pair(wilson_interval(k, m, confidence)) if m else None
            for k, m in zip(counts, of, strict=True)
        ]

    def focuses_on(c: str) -> Callable[[Record], bool]:
        return lambda r: c in r.focus

    def passes(c: str) -> Callable[[Record], bool]:
        return lambda r: c not in r.failed and c not in r.not_applicable

    def judged(c: str) -> list[int]:
        return count(lambda r: c not in r.not_applicable)

    rng = np.random.default_rng(settings.bootstrap.seed)
    scores = [np.array([r.score for r in buckets[p]], dtype=float) for p in periods]
    mean = [rounded(float(s.mean()), 2) for s in scores]
    mean_ci = [
        _pair(bootstrap_mean_ci(s, settings.bootstrap.resamples, confidence, rng), 2)
        for s in scores
    ]
    aligned = count(lambda r: bool(r.aligned))
    comp_counts = {c: count(focuses_on(c)) for c in vocab.competencies}
    check_counts = {c: count(passes(c)) for c in vocab.checks}
    check_judged = {c: judged(c) for c in vocab.checks}
    align = rates(aligned)
    comps = {c: rates(k) for c, k in comp_counts.items()}
    checks = {c: rates(k, check_judged[c]) for c, k in check_counts.items()}
    x = [period_ordinal(p) // (1 if kind == "month" else 3) for p in periods]
    notes = []
    if len(periods) < 2:
        notes.append(f"Trends need dated reports in at least two {kind}s; found {len(periods)}.")
    small = [p for p, k in zip(periods, n, strict=True) if k < settings.min_group_size]
    if small and len(periods) >= 2:
        notes.append(
            f"{len(small)} of {len(periods)} {kind}s have fewer than "
            f"{settings.min_group_size} reports ({', '.join(small[:6])}"
            f"{', ...' if len(small) > 6 else ''}): read their points with care."
        )
    if undated:
        notes.append(f"{undated} audited report(s) have no usable date and are not in the trends.")
    return Trends(
        period=kind,
        periods=periods,
        n=n,
        small_sample=[k < settings.min_group_size for k in n],
        mean_score=mean,
        alignment_rate=align,
        competency_share=comps,
        check_pass_rates=checks,
        slopes=TrendSlopes(
            mean_score=rounded(_slope(mean, x, n), 3),
            alignment_rate=rounded(_slope(align, x, n)),
            competency_share={c: rounded(_slope(v, x, n)) for c, v in comps.items()},
            check_pass_rates={c: rounded(_slope(v, x, n)) for c, v in checks.items()},
        ),
        undated=undated,
        notes=notes,
        mean_score_ci=mean_ci,
        alignment_rate_ci=intervals(aligned),
        competency_share_ci={c: intervals(k) for c, k in comp_counts.items()},
        check_pass_rates_ci={c: intervals(k, check_judged[c]) for c, k in check_counts.items()},
    )
