"""Coaching in one period against a KPI's change to the next (`auditor outcomes`).

Audits are summed per unit (rep or territory) and period: reports, mean score, share of strong
reports, the focus competencies coached. A pair is a unit's coached period t with its KPI in
t and in t+1; each coaching measure is related to the change KPI(t+1) - KPI(t) by Spearman's
rho and by the difference in mean change between the higher and lower group, with a
rep-clustered bootstrap interval widened for the number of measures (Bonferroni). A claim is
made only when the interval of rho excludes zero and the sample reaches the minimums of
rules/stats.yaml; the sentences come from there too. The method is documented in
docs/outcomes.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel

from auditor.config import OutcomeSettings
from auditor.schema import PeriodKind, ReportAudit
from auditor.stats.association import Interval, Measure, associate
from auditor.stats.measures import rounded
from auditor.stats.records import compact
from auditor.stats.trends import period_of, period_ordinal

Status = Literal["rises", "falls", "unclear", "too_few", "not_tested"]
COMPETENCY = "competency:"


@dataclass(frozen=True)
class KpiRow:
    """One usable KPI value: the unit's name, the period label (`2025-02` or `2025-Q1`)."""

    unit: str
    period: str
    value: float
    where: str


@dataclass(frozen=True)
class KpiProblem:
    """A KPI row that was not used, and why (`FILE:rowN: reason`)."""

    where: str
    reason: str

    def __str__(self) -> str:
        """`FILE:rowN: reason`."""
        return f"{self.where}: {self.reason}"


@dataclass
class KpiTable:
    """The usable rows of a KPI file and the rows that were not used."""

    rows: list[KpiRow] = field(default_factory=list)
    problems: list[KpiProblem] = field(default_factory=list)
    value_column: str = "value"  # the header the values were read from


@dataclass
class _Cell:
    scores: list[int] = field(default_factory=list)
    strong: int = 0
    focus: set[str] = field(default_factory=set)


@dataclass
class Coaching:
    """Audited reports per (unit, period), and the reports that could not be placed."""

    cells: dict[tuple[str, str], _Cell] = field(default_factory=lambda: defaultdict(_Cell))
    used: int = 0
    failed: int = 0
    no_unit: int = 0
    undated: int = 0


def collect_coaching(audits: Iterable[ReportAudit], unit: str, kind: PeriodKind) -> Coaching:
    """Sum audits per unit (metadata field `unit`) and period; count the ones left out."""
    out = Coaching()
    for audit in audits:
        record = compact(audit)
        name = str(audit.metadata.get(unit) or "").strip()
        if not record.ok or record.score is None:
            out.failed += 1
        elif not name:
            out.no_unit += 1
        elif record.date is None:
            out.undated += 1
        else:
            cell = out.cells[(name, period_of(record.date, kind))]
            cell.scores.append(record.score)
            cell.strong += record.verdict == "strong"
            cell.focus.update(record.focus)
            out.used += 1
    return out


class Association(BaseModel):
    """One coaching measure against the KPI's change to the next period."""

    measure: str
    name: str
    status: Status
    pairs: int
    rho: float | None = None
    low: float | None = None
    high: float | None = None
    level: float | None = None
    higher: str = ""  # the higher group of `difference`: "above NUMBER" or "coached"
    difference: float | None = None
    difference_low: float | None = None
    difference_high: float | None = None
    coached: int | None = None
    statement: str


class OutcomesReport(BaseModel):
    """`auditor outcomes`: the sample, each measure's association, the claims and the caveat."""

    kpi: str
    unit: str
    unit_noun: str
    period: PeriodKind
    pairs: int
    units: int
    periods: list[str]
    reports_used: int
    reports_failed: int
    reports_without_unit: int
    reports_undated: int
    kpi_rows: int
    kpi_problems: list[str]
    associations: list[Association]
    claimed: bool
    claims: list[str]  # the associations stated, or the one sentence that none is
    caveat: str
    intervals: str  # how the intervals were made; empty when no measure was tested


def _kpi_values(
    kpi: KpiTable, kind: PeriodKind
) -> tuple[dict[tuple[str, str], float], list[KpiProblem]]:
    """Mean KPI per (unit, period) in the analysis' periods; quarters cannot become months."""
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    problems = list(kpi.problems)
    for row in kpi.rows:
        label = _in_kind(row, kind)
        if label is None:
            problems.append(KpiProblem(row.where, f"quarter {row.period} with --period month"))
        else:
            values[(row.unit, label)].append(row.value)
    return {k: float(np.mean(v)) for k, v in values.items()}, problems


def _in_kind(row: KpiRow, kind: PeriodKind) -> str | None:
    if "Q" in row.period:
        return row.period if kind == "quarter" else None
    if kind == "month":
        return row.period
    year, month = row.period.split("-")
    return f"{year}-Q{(int(month) - 1) // 3 + 1}"


def next_period(label: str, kind: PeriodKind) -> str:
    """The period after `label` (`2025-12` -> `2026-01`, `2025-Q4` -> `2026-Q1`)."""
    months = period_ordinal(label) + (1 if kind == "month" else 3)
    year, month = divmod(months - 1, 12)
    return f"{year:04d}-{month + 1:02d}" if kind == "month" else f"{year:04d}-Q{month // 3 + 1}"


def analyse_outcomes(
    coaching: Coaching,
    kpi: KpiTable,
    settings: OutcomeSettings,
    competencies: Mapping[str, str],
    unit: str,
    kind: PeriodKind,
    kpi_name: str,
) -> OutcomesReport:
    """Pair coaching with the next period's KPI change and test every measure."""
    values, problems = _kpi_values(kpi, kind)
    keys = sorted(
        k for k in coaching.cells if k in values and (k[0], next_period(k[1], kind)) in values
    )
    units = np.array([k[0] for k in keys])
    delta = np.array([values[(u, next_period(p, kind))] - values[(u, p)] for u, p in keys])
    cells = [coaching.cells[k] for k in keys]
    columns: dict[str, np.ndarray] = {
        "mean_score": np.array([np.mean(c.scores) for c in cells]),
        "share_strong": np.array([c.strong / len(c.scores) for c in cells]),
        "reports": np.array([len(c.scores) for c in cells], dtype=float),
    }
    names = dict(settings.measures)
    for cid, cname in competencies.items():
        measure = COMPETENCY + cid
        columns[measure] = np.array([float(cid in c.focus) for c in cells])
        names[measure] = settings.competency_measure.format(competency=cname)
    n_units = len(set(units.tolist()))
    enough = len(keys) >= settings.min_pairs and n_units >= settings.min_units
    tested = [m for m in names if enough and _testable(m, columns[m], settings)]
    boot = settings.bootstrap
    level = 1 - (1 - boot.confidence) / max(1, len(tested))
    found = associate(
        {m: Measure(columns[m], _threshold(m, columns[m])) for m in tested},
        delta,
        units,
        boot.resamples,
        level,
        np.random.default_rng(boot.seed),
    )
    noun = settings.messages.unit_nouns.get(unit, unit)
    fields = {"kpi": kpi_name, "pairs": len(keys), "units": n_units, "unit_noun": noun}
    results = []
    for measure, name in names.items():
        x = columns[measure]
        if measure in found:
            results.append(_tested(measure, name, x, *found[measure], level, settings, fields))
        else:
            results.append(_untested(measure, name, x, enough, settings, fields))
    return OutcomesReport(
        kpi=kpi_name,
        unit=unit,
        unit_noun=noun,
        period=kind,
        pairs=len(keys),
        units=n_units,
        periods=sorted({p for _, p in keys}, key=period_ordinal),
        reports_used=coaching.used,
        reports_failed=coaching.failed,
        reports_without_unit=coaching.no_unit,
        reports_undated=coaching.undated,
        kpi_rows=len(kpi.rows),
        kpi_problems=[str(p) for p in problems],
        associations=results,
        claims=[a.statement for a in results if a.status in ("rises", "falls")]
        or [settings.messages.no_claim.format(kpi=kpi_name)],
        claimed=any(a.status in ("rises", "falls") for a in results),
        caveat=settings.messages.caveat.format(unit_noun=noun),
        intervals=settings.messages.intervals.format(
            resamples=boot.resamples,
            m=len(tested),
            level=f"{level:.1%}",
            nominal=f"{1 - boot.confidence:.0%}",
        )
        if tested
        else "",
    )


def _is_competency(measure: str) -> bool:
    return measure.startswith(COMPETENCY)


def _split(measure: str, x: np.ndarray) -> tuple[int, int]:
    """How many pairs are in the higher group and how many are not."""
    higher = int((x > _threshold(measure, x)).sum()) if x.size else 0
    return higher, int(x.size) - higher


def _testable(measure: str, x: np.ndarray, settings: OutcomeSettings) -> bool:
    """Both groups hold `min_pairs_per_group` pairs: with a handful on one side (say, the few
    months with two reports) every interval is an artefact of those few pairs."""
    return min(_split(measure, x)) >= settings.min_pairs_per_group


def _threshold(measure: str, x: np.ndarray) -> float:
    """Pairs above it form the higher group: coached, or above the median."""
    return 0.5 if _is_competency(measure) else float(np.median(x))


def _tested(
    measure: str,
    name: str,
    x: np.ndarray,
    rho: Interval,
    diff: Interval,
    level: float,
    settings: OutcomeSettings,
    fields: dict[str, object],
) -> Association:
    if rho.low is not None and rho.high is not None and rho.low > 0:
        status: Status = "rises"
    elif rho.high is not None and rho.high < 0:
        status = "falls"
    else:
        status = "unclear"
    text = getattr(settings.messages, status).format(
        **fields,
        measure=name,
        rho=_num(rounded(rho.estimate, 3)),
        low=_num(rounded(rho.low, 3)),
        high=_num(rounded(rho.high, 3)),
        level=f"{level:.1%}",
    )
    return Association(
        measure=measure,
        name=name,
        status=status,
        pairs=int(x.size),
        rho=rounded(rho.estimate, 3),
        low=rounded(rho.low, 3),
        high=rounded(rho.high, 3),
        level=round(level, 4),
        higher="coached" if _is_competency(measure) else f"above {_threshold(measure, x):g}",
        difference=rounded(diff.estimate, 3),
        difference_low=rounded(diff.low, 3),
        difference_high=rounded(diff.high, 3),
        coached=int(x.sum()) if _is_competency(measure) else None,
        statement=" ".join(text.split()),
    )


def _untested(
    measure: str,
    name: str,
    x: np.ndarray,
    enough: bool,
    settings: OutcomeSettings,
    fields: dict[str, object],
) -> Association:
    messages = settings.messages
    coached = int(x.sum()) if _is_competency(measure) else None
    if not enough:
        status: Status = "too_few"
        text = messages.too_few.format(
            **fields, measure=name, min_pairs=settings.min_pairs, min_units=settings.min_units
        )
    elif coached is None and (not x.size or np.ptp(x) == 0):
        status = "not_tested"
        text = messages.constant.format(measure=name)
    elif coached is None:
        status = "not_tested"
        higher, lower = _split(measure, x)
        text = messages.one_sided.format(
            measure=name,
            higher=higher,
            lower=lower,
            split=f"{_threshold(measure, x):g}",
            min=settings.min_pairs_per_group,
        )
    else:
        status = "not_tested"
        text = messages.not_tested.format(
            measure=name,
            coached=coached,
            not_coached=x.size - coached,
            min=settings.min_pairs_per_group,
        )
    return Association(
        measure=measure,
        name=name,
        status=status,
        pairs=int(x.size),
        coached=coached,
        statement=" ".join(text.split()),
    )


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"
