"""Compact records -> group statistics and consistency across groups: a RegionsReport.

A statistic that is undefined for the data at hand comes out as None, with a note that says
why. The formulas are documented in docs/regions.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from auditor.config import RuleSet, StatsSettings
from auditor.schema import (
    GROUP_NOUN,
    VERDICTS,
    Consistency,
    DivergentCheck,
    ErrorSample,
    Extreme,
    GroupBy,
    GroupFollowThrough,
    GroupStats,
    Leniency,
    PeriodKind,
    RegionsReport,
    ReportAudit,
)
from auditor.stats.aliases import merge_regions
from auditor.stats.gaps import work_on
from auditor.stats.leniency import RatedReport, manager_leniency, rated_reports
from auditor.stats.measures import (
    between_share,
    bootstrap_mean_ci,
    holm,
    icc1,
    jensen_shannon,
    kruskal_p,
    rounded,
    share,
    wilson_interval,
)
from auditor.stats.outliers import find_outliers
from auditor.stats.records import UNKNOWN, Collector, Record, Vocabulary, WeakReport, vocabulary
from auditor.stats.trends import period_of, period_ordinal, trends

ERROR_SAMPLES = 20  # failed reports listed by id and message; all are counted
#: The groupings exported as tables (`auditor regions --export`).
TABLES: tuple[GroupBy, ...] = ("region", "manager", "rep")


def _focus_counts(records: Iterable[Record], competencies: Sequence[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(competencies)}
    counts = np.zeros(len(competencies) + 1)
    for r in records:
        for c in r.focus:
            counts[index[c]] += 1
        if not r.focus:
            counts[-1] += 1  # reports that coach nothing are part of what a group coaches
    return counts


def group_stats(
    name: str,
    records: Sequence[Record],
    vocab: Vocabulary,
    org_focus: np.ndarray,
    settings: StatsSettings,
    rng: np.random.Generator,
    region: str | None = None,
) -> GroupStats:
    """Statistics of one group of records (error records are counted, not analysed)."""
    ok = [r for r in records if r.ok]
    n = len(ok)
    scores = np.array([r.score for r in ok], dtype=float)
    failed = Counter(c for r in ok for c in r.failed)
    judged = {c: n - sum(1 for r in ok if c in r.not_applicable) for c in vocab.checks}
    focus = Counter(c for r in ok for c in r.focus)
    aligned = Counter(p for r in ok for p in set(r.aligned))
    verdicts = Counter(r.verdict for r in ok)
    risks = sum(1 for r in ok if r.compliance == "risk")
    ci = bootstrap_mean_ci(scores, settings.bootstrap.resamples, settings.bootstrap.confidence, rng)
    quartiles = (
        tuple(rounded(q, 2) for q in np.percentile(scores, [0, 25, 50, 75, 100])) if n else None
    )
    return GroupStats(
        name=name,
        region=region,
        n=n,
        errors=len(records) - n,
        managers=len({r.manager for r in records}),
        mean_score=rounded(scores.mean(), 2) if n else None,
        median_score=rounded(float(np.median(scores)), 2) if n else None,
        score_ci=(rounded(ci[0], 2), rounded(ci[1], 2)) if ci else None,
        score_quartiles=quartiles,
        verdicts={v: rounded(verdicts[v] / n) for v in reversed(VERDICTS)} if n else {},
        check_pass_rates={
            c: rounded(1 - failed[c] / judged[c]) if judged[c] else None for c in vocab.checks
        }
        if n
        else {},
        check_reports={c: judged[c] for c in vocab.checks} if n else {},
        competency_share={c: rounded(focus[c] / n) for c in vocab.competencies} if n else {},
        priority_share={p: rounded(aligned[p] / n) for p in vocab.active_priorities} if n else {},
        alignment_rate=rounded(share(sum(1 for r in ok if r.aligned), n)),
        no_focus_share=rounded(share(sum(1 for r in ok if not r.focus), n)),
        compliance_risks=risks,
        compliance_risk_share=rounded(share(risks, n)),
        divergence=rounded(jensen_shannon(_focus_counts(ok, list(vocab.competencies)), org_focus)),
        small_sample=n < settings.min_group_size,
        follow_through=follow_through(ok, settings),
    )


def follow_through(records: Sequence[Record], settings: StatsSettings) -> GroupFollowThrough | None:
    """Follow-through statuses of the records that carry one; None when none does."""
    statuses = Counter(r.follow_through for r in records if r.follow_through)
    n = sum(statuses.values())
    if not n:
        return None
    done = sum(statuses[s] for s in settings.follow_through_done)
    lo, hi = wilson_interval(done, n, settings.bootstrap.confidence)
    return GroupFollowThrough(
        n=n,
        statuses=dict(statuses.most_common()),
        rate=rounded(done / n),
        ci=(rounded(lo), rounded(hi)),
    )


def _rates(passed: np.ndarray, labels: np.ndarray, n_groups: int) -> np.ndarray:
    """Per-group pass rate of every check (groups x checks) over the reports it applies to
    (NaN cells of `passed`); NaN where it applies to none of a group's reports."""
    judged = ~np.isnan(passed)
    values = np.where(judged, passed, 0.0)
    passes = np.stack(
        [np.bincount(labels, weights=col, minlength=n_groups) for col in values.T], axis=1
    )
    totals = np.stack(
        [np.bincount(labels, weights=col, minlength=n_groups) for col in judged.T], axis=1
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return passes / totals


def _mean_spread(rates: np.ndarray) -> float:
    """Mean max-min spread of the checks that every group has a rate for."""
    full = ~np.isnan(rates).any(axis=0)
    if not full.any():
        return 0.0
    kept = rates[:, full]
    return float((kept.max(axis=0) - kept.min(axis=0)).mean())


def consistency(
    groups: dict[str, list[Record]],
    vocab: Vocabulary,
    settings: StatsSettings,
    by: GroupBy,
    rng: np.random.Generator,
) -> Consistency:
    """Consistency index, ICC(1), Kruskal-Wallis and the most divergent checks across groups."""
    notes: list[str] = []
    ok = {name: [r for r in recs if r.ok] for name, recs in groups.items()}
    ok = {name: recs for name, recs in ok.items() if recs}
    noun = GROUP_NOUN[by]
    score_groups = [[float(r.score) for r in recs] for recs in ok.values()]  # type: ignore[arg-type]
    icc = icc1(score_groups)
    kw = kruskal_p(score_groups)
    variance_share = between_share(score_groups)
    all_scores = {s for g in score_groups for s in g}
    if len(ok) < 2:
        notes.append(
            f"Consistency across {noun} needs at least two {noun} with audited "
            f"reports; found {len(ok)}: the index, ICC(1) and Kruskal-Wallis are "
            "undefined."
        )
    elif len(all_scores) < 2:
        notes.append(
            "All scores are equal: ICC(1) and Kruskal-Wallis are undefined; scores "
            "do not differ between " + noun + "."
        )
    elif icc is None:
        notes.append(
            f"Every {by} has a single report: ICC(1) and the consistency index are undefined."
        )

    eligible = [name for name, recs in ok.items() if len(recs) >= settings.min_group_size]
    if len(eligible) < 2 and len(ok) >= 2:
        notes.append(
            f"Fewer than two {noun} have {settings.min_group_size} or more reports; "
            f"pass-rate spread uses all {noun} and is noisy: read the index as "
            "provisional."
        )
        eligible = list(ok)
    spread = noise = None
    divergent: list[DivergentCheck] = []
    passed = labels = None
    if len(eligible) >= 2:
        recs = [(i, r) for i, name in enumerate(eligible) for r in ok[name]]
        labels = np.array([i for i, _ in recs])
        column = {c: j for j, c in enumerate(vocab.checks)}
        passed = np.ones((len(recs), len(column)))  # NaN: the check did not apply
        for i, (_, r) in enumerate(recs):
            for code in r.failed:
                passed[i, column[code]] = 0
            for code in r.not_applicable:
                if code in column:
                    passed[i, column[code]] = np.nan
        rates = _rates(passed, labels, len(eligible))
        spread = _mean_spread(rates)
        if settings.null_permutations:
            # What the spread would be if group labels were random: sampling noise alone.
            noise = float(
                np.mean(
                    [
                        _mean_spread(_rates(passed, rng.permutation(labels), len(eligible)))
                        for _ in range(settings.null_permutations)
                    ]
                )
            )
        divergent = _divergent_checks(rates, passed, labels, eligible, vocab, settings)

    index = meaning = index_ci = None
    # Equal scores everywhere: no score variance lies between groups, so that part is 0.
    between = max(0.0, icc) if icc is not None else (0.0 if len(all_scores) == 1 else None)
    if len(ok) >= 2 and spread is not None and between is not None:
        index = _index(icc, spread, noise)
        meaning = settings.meaning(index, by)
        if passed is not None and labels is not None and settings.index_resamples:
            index_ci = _index_interval(score_groups, passed, labels, index, noise, settings, rng)
    return Consistency(
        index=rounded(index, 1),
        meaning=meaning,
        icc=rounded(icc),
        between_share=rounded(variance_share),
        kruskal_p=rounded(kw, 6),
        pass_rate_spread=rounded(spread),
        noise_spread=rounded(noise),
        groups_compared=eligible if spread is not None else [],
        most_divergent_checks=divergent,
        notes=notes,
        index_ci=(rounded(index_ci[0], 1), rounded(index_ci[1], 1)) if index_ci else None,
    )


def _index(icc: float | None, spread: float, noise: float | None) -> float:
    """100 x (1 - max(0, ICC)) x (1 - excess spread); an undefined ICC counts as 0."""
    between = max(0.0, icc) if icc is not None else 0.0
    return 100 * (1 - between) * (1 - max(0.0, spread - (noise or 0.0)))


def _index_interval(
    score_groups: list[list[float]],
    passed: np.ndarray,
    labels: np.ndarray,
    index: float,
    noise: float | None,
    settings: StatsSettings,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Bias-corrected percentile bootstrap of the index: reports resampled within each group.

    The noise spread is kept from the full data. The resampled pass-rate spread is larger than
    the observed one (resampling adds noise), so the interval is shifted by the replicates'
    mean minus the index, and clipped to 0-100.
    """
    scores = [np.asarray(g, dtype=float) for g in score_groups]
    members = [np.flatnonzero(labels == i) for i in range(int(labels.max()) + 1)]
    replicates = np.empty(settings.index_resamples)
    for b in range(settings.index_resamples):
        icc = icc1([g[rng.integers(0, g.size, g.size)] for g in scores])
        rows = np.concatenate([m[rng.integers(0, m.size, m.size)] for m in members])
        rates = _rates(passed[rows], labels[rows], len(members))
        replicates[b] = _index(icc, _mean_spread(rates), noise)
    tail = (1 - settings.bootstrap.confidence) / 2
    shift = float(replicates.mean()) - index
    lo, hi = np.quantile(replicates, [tail, 1 - tail]) - shift
    return float(np.clip(lo, 0, 100)), float(np.clip(hi, 0, 100))


def _divergent_checks(
    rates: np.ndarray,
    passed: np.ndarray,
    labels: np.ndarray,
    names: list[str],
    vocab: Vocabulary,
    settings: StatsSettings,
) -> list[DivergentCheck]:
    """Checks ranked by a chi-square test of pass/fail x group, then by pass-rate spread."""
    tested: list[tuple[int, float]] = []
    for j in range(passed.shape[1]):
        judged = ~np.isnan(passed[:, j])
        passes = np.bincount(labels[judged], weights=passed[judged, j], minlength=len(names))
        totals = np.bincount(labels[judged], minlength=len(names))
        table = np.stack([passes, totals - passes])
        if table.sum(axis=1).min() == 0 or totals.min() == 0:
            continue  # all pass (or fail), or a group has no report it applies to
        tested.append((j, float(sps.chi2_contingency(table, correction=False).pvalue)))
    adjusted = holm([p for _, p in tested])
    codes = list(vocab.checks)
    out = []
    for (j, p), p_adj in zip(tested, adjusted, strict=True):
        lo, hi = int(rates[:, j].argmin()), int(rates[:, j].argmax())
        out.append(
            DivergentCheck(
                code=codes[j],
                name=vocab.checks[codes[j]],
                spread=rounded(rates[hi, j] - rates[lo, j]),
                p=rounded(p, 6),
                p_holm=rounded(p_adj, 6),
                lowest=Extreme(group=names[lo], rate=rounded(rates[lo, j])),
                highest=Extreme(group=names[hi], rate=rounded(rates[hi, j])),
            )
        )
    out.sort(key=lambda d: (d.p, -d.spread))
    return out[: settings.divergent_checks]


#: Groupings whose groups belong to a region (GroupStats.region is set).
IN_REGION: tuple[GroupBy, ...] = ("manager", "rep")


def _group_key(record: Record, by: GroupBy, kind: PeriodKind) -> tuple[str, str]:
    if by == "region":
        return record.region, record.region
    if by == "manager":
        return record.region, record.manager
    if by == "rep":
        return record.region, record.rep
    return period_of(record.date, kind), period_of(record.date, kind)


def _group_order(key: tuple[str, str], by: GroupBy) -> tuple[Any, ...]:
    if by == "period":
        return (key[0] == UNKNOWN, period_ordinal(key[0]) if key[0] != UNKNOWN else 0)
    return (key[0] == UNKNOWN, key[0], key[1] == UNKNOWN, key[1])


def analyse(
    records: Sequence[Record],
    vocab: Vocabulary,
    settings: StatsSettings,
    by: GroupBy = "region",
    period: PeriodKind = "quarter",
) -> RegionsReport:
    """All statistics of `auditor regions` for a set of compact records."""
    records, aliases = merge_regions(records, settings.alias_map())
    vocab = vocab.extended(records)
    rng = np.random.default_rng(settings.bootstrap.seed)
    ok = [r for r in records if r.ok]
    org_focus = _focus_counts(ok, list(vocab.competencies))
    keyed: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for r in records:
        keyed[_group_key(r, by, period)].append(r)
    keys = sorted(keyed, key=lambda k: _group_order(k, by))
    groups = [
        group_stats(
            k[1],
            keyed[k],
            vocab,
            org_focus,
            settings,
            rng,
            region=k[0] if by in IN_REGION else None,
        )
        for k in keys
    ]
    # Managers are named "m-13"; two regions may share a manager id, so key by both.
    named = {(f"{k[1]} ({k[0]})" if by in IN_REGION else k[1]): keyed[k] for k in keys}
    errors = [r for r in records if not r.ok]
    notes = []
    if errors:
        notes.append(
            f"{len(errors)} of {len(records)} report(s) could not be audited; they are "
            "counted per group under 'errors' and left out of the statistics."
        )
    if not ok:
        notes.append("No audited reports: every statistic is undefined.")
    small = [g.name for g in groups if g.small_sample and g.n]
    if small:
        notes.append(
            f"{len(small)} of {len(groups)} {GROUP_NOUN[by]} have fewer than "
            f"{settings.min_group_size} "
            "audited reports (small_sample): their figures are shown but not ranked."
        )
    return RegionsReport(
        by=by,
        period=period,
        min_group_size=settings.min_group_size,
        n_reports=len(records),
        n_errors=len(errors),
        errors=[ErrorSample(id=r.id, error=r.error or "") for r in errors[:ERROR_SAMPLES]],
        groups=groups,
        consistency=consistency(named, vocab, settings, by, rng),
        outliers=find_outliers(records, settings),
        trends=trends(records, vocab, period, settings),
        notes=notes,
        region_aliases=aliases,
        work_on=work_on(groups, vocab, settings),
    )


@dataclass(frozen=True)
class Analysis:
    """A RegionsReport with what its dashboard needs: the vocabulary and the weakest reports;
    the compact and rated records it came from (for the other groupings of `tables`)."""

    report: RegionsReport
    vocab: Vocabulary
    weakest: list[WeakReport]
    records: Sequence[Record] = ()
    rated: Sequence[RatedReport] = ()


def report_for(
    records: Sequence[Record],
    rated: Sequence[RatedReport],
    vocab: Vocabulary,
    settings: StatsSettings,
    by: GroupBy,
    period: PeriodKind,
) -> RegionsReport:
    """`analyse` by `by`; grouped by manager, with the managers' leniency of ratings."""
    report = analyse(records, vocab, settings, by, period)
    if by != "manager":
        return report
    return report.model_copy(update={"leniency": manager_leniency(rated, settings.leniency)})


def leniency_of(analysis: Analysis, settings: StatsSettings) -> Leniency | None:
    """The managers' leniency of ratings, whatever the grouping (None without rated reports)."""
    if analysis.report.leniency is not None:
        return analysis.report.leniency
    return manager_leniency(analysis.rated, settings.leniency)


def tables(analysis: Analysis, settings: StatsSettings) -> dict[GroupBy, RegionsReport]:
    """The region, manager and rep reports of one analysis (its own report reused)."""
    report = analysis.report
    return {
        by: report
        if report.by == by
        else report_for(
            analysis.records, analysis.rated, analysis.vocab, settings, by, report.period
        )
        for by in TABLES
    }


def analyse_audits(
    audits: Iterable[ReportAudit],
    rules: RuleSet,
    settings: StatsSettings,
    by: GroupBy = "region",
    period: PeriodKind = "quarter",
    weakest: int = 0,
) -> Analysis:
    """`analyse` over a stream of audits, keeping the `weakest` lowest-scoring reports whole."""
    rated: list[RatedReport] = []
    collector = Collector(weakest).extend(rated_reports(audits, rules.ratings, rated))
    vocab = vocabulary(rules)
    report = report_for(collector.records, rated, vocab, settings, by, period)
    return Analysis(report, vocab, collector.weakest(), collector.records, rated)
