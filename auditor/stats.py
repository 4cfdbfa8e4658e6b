"""ReportAudits -> group statistics, consistency across groups, outliers and trends (no spaCy).

Statistics run on compact per-report records (`Record`: scores, verdicts, failed check codes,
focus ids, signals, metadata), so a large results.jsonl costs memory for those only, never for
texts; a `Collector` keeps the full text of just the N weakest reports. A statistic that is
undefined for the data at hand comes out as None, with a note that says why. The formulas are
documented in docs/regions.md.
"""

from __future__ import annotations

import heapq
import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from scipy import stats as sps

from auditor.config import DEFAULT_RULES_DIR, RuleSet, _parse, _read_yaml
from auditor.schema import ReportAudit, Signals
from auditor.textsafety import escape_controls

GroupBy = Literal["region", "manager", "period"]
PeriodKind = Literal["month", "quarter"]
UNKNOWN = "unknown"
VERDICTS = ("strong", "adequate", "weak")
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
GROUP_NOUN = {"region": "regions", "manager": "managers", "period": "periods"}
ERROR_SAMPLES = 20  # failed reports listed by id and message; all are counted


# -- settings (rules/stats.yaml) --------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BootstrapSettings(_Strict):
    """Percentile bootstrap for a group's mean score."""

    resamples: int = Field(ge=100, le=100_000)
    confidence: float = Field(gt=0.5, lt=1)
    seed: int


class OutlierSettings(_Strict):
    """When a manager (or region) differs enough from its baseline to be named."""

    confidence: float = Field(gt=0.5, lt=1)
    min_rate_difference: float = Field(ge=0, le=1)
    min_score_difference: float = Field(ge=0, le=100)
    rates: dict[str, str]

    @field_validator("rates")
    @classmethod
    def _known_signals(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(Signals.model_fields))
        if unknown:
            raise ValueError(f"unknown signal(s) {', '.join(unknown)}; "
                             f"allowed: {', '.join(Signals.model_fields)}")
        return value


class IndexBand(_Strict):
    """The one-sentence meaning of a consistency index at or above `min`."""

    min: float = Field(ge=0, le=100)
    text: str


class StatsSettings(_Strict):
    """Defaults for `auditor regions` and the dashboard (rules/stats.yaml)."""

    min_group_size: int = Field(ge=1)
    bootstrap: BootstrapSettings
    null_permutations: int = Field(ge=0, le=10_000)
    divergent_checks: int = Field(ge=1)
    weakest_reports: int = Field(ge=0)
    outliers: OutlierSettings
    index_bands: tuple[IndexBand, ...] = Field(min_length=1)

    def meaning(self, index: float, by: GroupBy) -> str:
        """The sentence that says what a consistency index means."""
        for band in sorted(self.index_bands, key=lambda b: -b.min):
            if index >= band.min:
                return band.text.replace("{groups}", GROUP_NOUN[by])
        return ""


def load_settings(directory: str | Path | None = None) -> StatsSettings:
    """Read stats.yaml from a rule pack, falling back to the bundled one when the pack has none."""
    path = Path(directory or DEFAULT_RULES_DIR) / "stats.yaml"
    if not path.is_file():
        path = DEFAULT_RULES_DIR / "stats.yaml"
    return _parse(StatsSettings, path, _read_yaml(path))


# -- vocabulary -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Vocabulary:
    """The ids (and display names) statistics are laid out by, in rule-pack order."""

    checks: dict[str, str]
    competencies: dict[str, str]
    active_priorities: dict[str, str]
    serving: frozenset[str] = frozenset()
    weights: dict[str, float] = field(default_factory=dict)

    def extended(self, records: Iterable[Record]) -> Vocabulary:
        """The same vocabulary plus ids that occur in the records but not in the rule pack."""
        codes, comps, prios = set(), set(), set()
        for r in records:
            codes |= r.failed
            comps.update(r.focus)
            prios.update(r.aligned)
        return Vocabulary(
            checks={**self.checks, **{c: c for c in sorted(codes - set(self.checks))}},
            competencies={**self.competencies,
                          **{c: c for c in sorted(comps - set(self.competencies))}},
            active_priorities={**self.active_priorities,
                               **{p: p for p in sorted(prios - set(self.active_priorities))}},
            serving=self.serving, weights=self.weights,
        )


def vocabulary(rules: RuleSet) -> Vocabulary:
    """Checks, competencies and active priorities of a rule pack."""
    strategy = rules.strategy
    priority_names = {p.id: p.name for p in rules.taxonomy.priorities}
    return Vocabulary(
        checks={c.code: c.name for c in rules.rubric.checks},
        competencies={c.id: c.name for c in rules.taxonomy.competencies},
        active_priorities={p: priority_names[p] for p in strategy.active_priorities},
        serving=frozenset(c for p in strategy.active_priorities
                          for c in strategy.alignment.get(p, ())),
        weights={c.code: c.weight for c in rules.rubric.checks},
    )


# -- compact records --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Record:
    """What the statistics need of one audit (no text, no evidence)."""

    id: str
    region: str
    manager: str
    date: date | None
    score: int | None
    verdict: str | None
    failed: frozenset[str]
    focus: tuple[str, ...]
    aligned: tuple[str, ...]
    flags: frozenset[str]
    error: str | None

    @property
    def ok(self) -> bool:
        """True when the report was audited."""
        return self.error is None


def _label(metadata: dict[str, Any], key: str) -> str:
    value = metadata.get(key)
    text = str(value).strip() if value is not None else ""
    # Interned: a few distinct region/manager names repeated over many records.
    return sys.intern(text or UNKNOWN)


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def compact(audit: ReportAudit, pool: dict[Any, Any] | None = None) -> Record:
    """The compact record of one audit; `pool` shares equal code sets and tuples between records."""
    def shared(value: Any) -> Any:
        # Most reports repeat a few hundred combinations of failed checks, signals and focus:
        # sharing one object per combination cuts a record's memory by about two thirds.
        return value if pool is None else pool.setdefault(value, value)

    meta = audit.metadata
    signals = audit.signals.model_dump() if audit.signals else {}
    return Record(
        id=audit.id, region=_label(meta, "region"), manager=_label(meta, "manager"),
        date=_date(meta.get("date")), score=audit.score if audit.ok else None,
        verdict=audit.verdict if audit.ok else None,
        failed=shared(frozenset(sys.intern(f.code) for f in audit.findings)),
        focus=shared(tuple(sys.intern(c) for c in audit.focus_competencies)),
        aligned=shared(tuple(sys.intern(p) for p in audit.aligned_priorities)),
        flags=shared(frozenset(k for k, v in signals.items() if v)), error=audit.error,
    )


@dataclass(frozen=True)
class FindingSummary:
    """One failed check of a report: its first message, how often it fired, all evidence."""

    code: str
    name: str
    severity: str
    message: str
    count: int
    evidence: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class WeakReport:
    """A low-scoring report kept in full for the dashboard's detail section."""

    id: str
    metadata: dict[str, str]
    score: int
    verdict: str
    findings: tuple[FindingSummary, ...]
    text: str


def summarise_findings(audit: ReportAudit) -> tuple[FindingSummary, ...]:
    """Findings grouped by check code, most severe first (rubric order within a severity)."""
    grouped: dict[str, list[Any]] = {}
    for f in audit.findings:
        grouped.setdefault(f.code, []).append(f)
    out = [FindingSummary(code=code, name=fs[0].name, severity=fs[0].severity,
                          message=fs[0].message, count=len(fs),
                          evidence=tuple((e.start, e.end) for f in fs for e in f.evidence))
           for code, fs in grouped.items()]
    return tuple(sorted(out, key=lambda s: SEVERITY_RANK.get(s.severity, 9)))


class Collector:
    """Takes audits one at a time; keeps compact records and only the N weakest reports whole."""

    def __init__(self, weakest: int = 0) -> None:
        """Keep the full text of at most `weakest` reports."""
        self.records: list[Record] = []
        self._pool: dict[Any, Any] = {}
        self._limit = weakest
        # Max-heap on score via negation: the top is the report to evict next; ties evict the
        # later report, so equal scores keep input order.
        self._heap: list[tuple[int, int, WeakReport]] = []

    def add(self, audit: ReportAudit) -> None:
        """Take one audit."""
        self.records.append(compact(audit, self._pool))
        if not self._limit or not audit.ok or audit.score is None:
            return
        key = (-audit.score, -len(self.records))
        if len(self._heap) >= self._limit and key <= self._heap[0][:2]:
            return
        weak = WeakReport(
            id=audit.id, metadata={k: str(v) for k, v in audit.metadata.items()},
            score=audit.score, verdict=audit.verdict or "", findings=summarise_findings(audit),
            text=audit.text or "")
        if len(self._heap) >= self._limit:
            heapq.heapreplace(self._heap, (*key, weak))
        else:
            heapq.heappush(self._heap, (*key, weak))

    def extend(self, audits: Iterable[ReportAudit]) -> Collector:
        """Take every audit of a stream; returns self."""
        for audit in audits:
            self.add(audit)
        return self

    def weakest(self) -> list[WeakReport]:
        """The kept reports, lowest score first (input order among equal scores)."""
        return [w for *_, w in sorted(self._heap, key=lambda t: (-t[0], -t[1]))]


# -- reading saved results --------------------------------------------------------------------
def read_results(path: Path) -> Iterator[ReportAudit]:
    """Stream a results.jsonl; a line that is not a ReportAudit comes out as an error audit."""
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield ReportAudit.model_validate_json(line)
            except ValidationError as exc:
                where = f"{path}:{lineno}"
                reason = exc.errors()[0]["msg"] if exc.errors() else str(exc)
                yield ReportAudit(id=where, error=f"{where}: not an audit result: {reason}")


def is_results_file(path: Path) -> bool:
    """True when the first record of a JSON Lines file is a ReportAudit (not a raw report)."""
    if not path.is_file() or path.suffix.lower() not in (".jsonl", ".ndjson"):
        return False
    try:
        with path.open("rb") as fh:
            first = next((line for line in fh if line.strip()), b"")
        obj = json.loads(first)
    except ValueError:
        return False
    return isinstance(obj, dict) and {"findings", "verdict", "score"} <= obj.keys()


# -- output (the JSON contract of `auditor regions --format json`) -----------------------------
class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupStats(_Out):
    """Statistics of one group (region, manager or period)."""

    name: str
    region: str | None = None
    n: int
    errors: int
    managers: int
    mean_score: float | None
    median_score: float | None
    score_ci: tuple[float, float] | None
    score_quartiles: tuple[float, float, float, float, float] | None
    verdicts: dict[str, float]
    check_pass_rates: dict[str, float]
    competency_share: dict[str, float]
    priority_share: dict[str, float]
    alignment_rate: float | None
    no_focus_share: float | None
    divergence: float | None
    small_sample: bool


class Extreme(_Out):
    """A group and its pass rate of one check."""

    group: str
    rate: float


class DivergentCheck(_Out):
    """A check whose pass rate differs between groups."""

    code: str
    name: str
    spread: float
    p: float | None
    p_holm: float | None
    lowest: Extreme
    highest: Extreme


class Consistency(_Out):
    """How alike the groups are."""

    index: float | None
    meaning: str | None
    icc: float | None
    between_share: float | None
    kruskal_p: float | None
    pass_rate_spread: float | None
    noise_spread: float | None
    groups_compared: list[str]
    most_divergent_checks: list[DivergentCheck]
    notes: list[str]


class Outlier(_Out):
    """A manager (or region) far from its baseline on a concern rate or on the mean score."""

    level: Literal["manager", "region"]
    manager: str | None
    region: str
    reason: str
    value: float
    region_value: float
    baseline: str
    difference: float
    ci: tuple[float, float]
    n: int
    message: str


class TrendSlopes(_Out):
    """Least-squares change per period of each trend series (None with fewer than 2 periods)."""

    mean_score: float | None
    alignment_rate: float | None
    competency_share: dict[str, float | None]
    check_pass_rates: dict[str, float | None]


class Trends(_Out):
    """Per-period series; `undated` reports have no usable date and are left out."""

    period: PeriodKind
    periods: list[str]
    n: list[int]
    small_sample: list[bool]
    mean_score: list[float | None]
    alignment_rate: list[float | None]
    competency_share: dict[str, list[float | None]]
    check_pass_rates: dict[str, list[float | None]]
    slopes: TrendSlopes
    undated: int
    notes: list[str]


class ErrorSample(_Out):
    """A report that could not be audited."""

    id: str
    error: str


class RegionsReport(_Out):
    """The whole output of `auditor regions`."""

    by: GroupBy
    period: PeriodKind
    min_group_size: int
    n_reports: int
    n_errors: int
    errors: list[ErrorSample]
    groups: list[GroupStats]
    consistency: Consistency
    outliers: list[Outlier]
    trends: Trends
    notes: list[str]


# -- statistics (pure functions) --------------------------------------------------------------
def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def bootstrap_mean_ci(values: Sequence[float], resamples: int, confidence: float,
                      rng: np.random.Generator) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of the mean; None for fewer than 2 values."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return None
    means = np.empty(resamples)
    chunk = max(1, 2_000_000 // x.size)  # bounds the resample matrix to ~16 MB
    for start in range(0, resamples, chunk):
        k = min(chunk, resamples - start)
        means[start:start + k] = x[rng.integers(0, x.size, size=(k, x.size))].mean(axis=1)
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(means, [tail, 1 - tail])
    return float(lo), float(hi)


def _anova(groups: Sequence[Sequence[float]]) -> tuple[float, float, int, int, float] | None:
    """Between and within sums of squares, group count, total n and n0 (non-empty groups)."""
    arrays = [np.asarray(g, dtype=float) for g in groups if len(g)]
    g, n = len(arrays), sum(a.size for a in arrays)
    if g < 2:
        return None
    grand = np.concatenate(arrays).mean()
    ssb = float(sum(a.size * (a.mean() - grand) ** 2 for a in arrays))
    ssw = float(sum(((a - a.mean()) ** 2).sum() for a in arrays))
    n0 = (n - sum(a.size ** 2 for a in arrays) / n) / (g - 1)
    return ssb, ssw, g, n, n0


def icc1(groups: Sequence[Sequence[float]]) -> float | None:
    """ICC(1), one-way random effects (ANOVA estimator with n0 for unequal group sizes)."""
    parts = _anova(groups)
    if parts is None:
        return None
    ssb, ssw, g, n, n0 = parts
    if n <= g:
        return None  # every group has one value: no within-group variance to compare with
    msb, msw = ssb / (g - 1), ssw / (n - g)
    denominator = msb + (n0 - 1) * msw
    return None if denominator <= 0 else (msb - msw) / denominator


def between_share(groups: Sequence[Sequence[float]]) -> float | None:
    """Share of the total sum of squares that lies between groups (eta squared)."""
    parts = _anova(groups)
    if parts is None or parts[0] + parts[1] <= 0:
        return None
    return parts[0] / (parts[0] + parts[1])


def jensen_shannon(p: Sequence[float], q: Sequence[float]) -> float | None:
    """Jensen-Shannon divergence (log base 2, so 0-1) of two count or probability vectors."""
    a, b = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if a.sum() <= 0 or b.sum() <= 0:
        return None
    a, b = a / a.sum(), b / b.sum()
    m = (a + b) / 2

    def kl(x: np.ndarray) -> float:
        mask = x > 0
        return float(np.sum(x[mask] * np.log2(x[mask] / m[mask])))

    return min(1.0, max(0.0, (kl(a) + kl(b)) / 2))


def kruskal_p(groups: Sequence[Sequence[float]]) -> float | None:
    """Kruskal-Wallis p-value; None with fewer than 2 non-empty groups or all values equal."""
    arrays = [list(g) for g in groups if len(g)]
    if len(arrays) < 2 or len({v for a in arrays for v in a}) < 2:
        return None
    try:
        p = sps.kruskal(*arrays).pvalue
    except ValueError:
        return None
    return float(p) if math.isfinite(p) else None


def _z(confidence: float) -> float:
    return float(sps.norm.ppf(1 - (1 - confidence) / 2))


def wilson_interval(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n."""
    z = _z(confidence)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_difference_ci(k1: int, n1: int, k2: int, n2: int,
                       confidence: float) -> tuple[float, float, float]:
    """Difference p1 - p2 with Newcombe's hybrid score interval (good for small n)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, confidence)
    l2, u2 = wilson_interval(k2, n2, confidence)
    d = p1 - p2
    return d, d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2)


def welch_interval(m1: float, v1: float, n1: int, m2: float, v2: float, n2: int,
                   confidence: float) -> tuple[float, float, float] | None:
    """Difference of means m1 - m2 from means and sample variances, with Welch's t interval."""
    if n1 < 2 or n2 < 2:
        return None
    d = m1 - m2
    s1, s2 = v1 / n1, v2 / n2
    se = math.sqrt(s1 + s2)
    if se == 0:
        return d, d, d
    df = (s1 + s2) ** 2 / (s1 ** 2 / (n1 - 1) + s2 ** 2 / (n2 - 1))
    t = float(sps.t.ppf(1 - (1 - confidence) / 2, df))
    return d, d - t * se, d + t * se


def mean_difference_ci(a: Sequence[float], b: Sequence[float],
                       confidence: float) -> tuple[float, float, float] | None:
    """Difference of means with Welch's t interval; None when either side has < 2 values."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size < 2 or y.size < 2:
        return None
    return welch_interval(float(x.mean()), float(x.var(ddof=1)), x.size,
                          float(y.mean()), float(y.var(ddof=1)), y.size, confidence)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted = [0.0] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def period_of(day: date | None, kind: PeriodKind) -> str:
    """`2025-02` (month) or `2025-Q1` (quarter); "unknown" without a date."""
    if day is None:
        return UNKNOWN
    if kind == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def _period_ordinal(label: str) -> int:
    year, rest = label.split("-")
    return int(year) * 12 + (int(rest[1:]) * 3 if rest.startswith("Q") else int(rest))


def _share(count: int, n: int) -> float | None:
    return count / n if n else None


def _focus_counts(records: Iterable[Record], competencies: Sequence[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(competencies)}
    counts = np.zeros(len(competencies) + 1)
    for r in records:
        for c in r.focus:
            counts[index[c]] += 1
        if not r.focus:
            counts[-1] += 1  # reports that coach nothing are part of what a group coaches
    return counts


def group_stats(name: str, records: Sequence[Record], vocab: Vocabulary, org_focus: np.ndarray,
                settings: StatsSettings, rng: np.random.Generator,
                region: str | None = None) -> GroupStats:
    """Statistics of one group of records (error records are counted, not analysed)."""
    ok = [r for r in records if r.ok]
    n = len(ok)
    scores = np.array([r.score for r in ok], dtype=float)
    failed = Counter(c for r in ok for c in r.failed)
    focus = Counter(c for r in ok for c in r.focus)
    aligned = Counter(p for r in ok for p in set(r.aligned))
    verdicts = Counter(r.verdict for r in ok)
    ci = bootstrap_mean_ci(scores, settings.bootstrap.resamples, settings.bootstrap.confidence,
                           rng)
    quartiles = tuple(_r(q, 2) for q in np.percentile(scores, [0, 25, 50, 75, 100])) if n \
        else None
    return GroupStats(
        name=name, region=region, n=n, errors=len(records) - n,
        managers=len({r.manager for r in records}),
        mean_score=_r(scores.mean(), 2) if n else None,
        median_score=_r(float(np.median(scores)), 2) if n else None,
        score_ci=(_r(ci[0], 2), _r(ci[1], 2)) if ci else None,
        score_quartiles=quartiles,
        verdicts={v: _r(verdicts[v] / n) for v in VERDICTS} if n else {},
        check_pass_rates={c: _r(1 - failed[c] / n) for c in vocab.checks} if n else {},
        competency_share={c: _r(focus[c] / n) for c in vocab.competencies} if n else {},
        priority_share={p: _r(aligned[p] / n) for p in vocab.active_priorities} if n else {},
        alignment_rate=_r(_share(sum(1 for r in ok if r.aligned), n)),
        no_focus_share=_r(_share(sum(1 for r in ok if not r.focus), n)),
        divergence=_r(jensen_shannon(_focus_counts(ok, list(vocab.competencies)), org_focus)),
        small_sample=n < settings.min_group_size,
    )


def _rates(passed: np.ndarray, labels: np.ndarray, n_groups: int) -> np.ndarray:
    """Per-group pass rate of every check (groups x checks)."""
    totals = np.bincount(labels, minlength=n_groups)
    passes = np.stack([np.bincount(labels, weights=col, minlength=n_groups)
                       for col in passed.T], axis=1)
    return passes / totals[:, None]


def _mean_spread(rates: np.ndarray) -> float:
    return float((rates.max(axis=0) - rates.min(axis=0)).mean())


def consistency(groups: dict[str, list[Record]], vocab: Vocabulary, settings: StatsSettings,
                by: GroupBy, rng: np.random.Generator) -> Consistency:
    """Consistency index, ICC(1), Kruskal-Wallis and the most divergent checks across groups."""
    notes: list[str] = []
    ok = {name: [r for r in recs if r.ok] for name, recs in groups.items()}
    ok = {name: recs for name, recs in ok.items() if recs}
    noun = GROUP_NOUN[by]
    score_groups = [[float(r.score) for r in recs] for recs in ok.values()]  # type: ignore[arg-type]
    icc = icc1(score_groups)
    kw = kruskal_p(score_groups)
    share = between_share(score_groups)
    all_scores = {s for g in score_groups for s in g}
    if len(ok) < 2:
        notes.append(f"Consistency across {noun} needs at least two {noun} with audited "
                     f"reports; found {len(ok)}: the index, ICC(1) and Kruskal-Wallis are "
                     "undefined.")
    elif len(all_scores) < 2:
        notes.append("All scores are equal: ICC(1) and Kruskal-Wallis are undefined; scores "
                     "do not differ between " + noun + ".")
    elif icc is None:
        notes.append(f"Every {by} has a single report: ICC(1) and the consistency index are "
                     "undefined.")

    eligible = [name for name, recs in ok.items() if len(recs) >= settings.min_group_size]
    if len(eligible) < 2 and len(ok) >= 2:
        notes.append(f"Fewer than two {noun} have {settings.min_group_size} or more reports; "
                     f"pass-rate spread uses all {noun} and is noisy: read the index as "
                     "provisional.")
        eligible = list(ok)
    spread = noise = None
    divergent: list[DivergentCheck] = []
    if len(eligible) >= 2:
        recs = [(i, r) for i, name in enumerate(eligible) for r in ok[name]]
        labels = np.array([i for i, _ in recs])
        column = {c: j for j, c in enumerate(vocab.checks)}
        passed = np.ones((len(recs), len(column)))
        for i, (_, r) in enumerate(recs):
            for code in r.failed:
                passed[i, column[code]] = 0
        rates = _rates(passed, labels, len(eligible))
        spread = _mean_spread(rates)
        if settings.null_permutations:
            # What the spread would be if group labels were random: sampling noise alone.
            noise = float(np.mean([_mean_spread(_rates(passed, rng.permutation(labels),
                                                       len(eligible)))
                                   for _ in range(settings.null_permutations)]))
        divergent = _divergent_checks(rates, passed, labels, eligible, vocab, settings)

    index = meaning = None
    # Equal scores everywhere: no score variance lies between groups, so that part is 0.
    between = max(0.0, icc) if icc is not None else (0.0 if len(all_scores) == 1 else None)
    if len(ok) >= 2 and spread is not None and between is not None:
        excess = max(0.0, spread - (noise or 0.0))
        index = 100 * (1 - between) * (1 - excess)
        meaning = settings.meaning(index, by)
    return Consistency(
        index=_r(index, 1), meaning=meaning, icc=_r(icc), between_share=_r(share),
        kruskal_p=_r(kw, 6), pass_rate_spread=_r(spread), noise_spread=_r(noise),
        groups_compared=eligible if spread is not None else [],
        most_divergent_checks=divergent, notes=notes,
    )


def _divergent_checks(rates: np.ndarray, passed: np.ndarray, labels: np.ndarray,
                      names: list[str], vocab: Vocabulary,
                      settings: StatsSettings) -> list[DivergentCheck]:
    """Checks ranked by a chi-square test of pass/fail x group, then by pass-rate spread."""
    tested: list[tuple[int, float]] = []
    for j in range(passed.shape[1]):
        passes = np.bincount(labels, weights=passed[:, j], minlength=len(names))
        totals = np.bincount(labels, minlength=len(names))
        table = np.stack([passes, totals - passes])
        if table.sum(axis=1).min() == 0:
            continue  # every report passes (or fails) this check: nothing can differ
        tested.append((j, float(sps.chi2_contingency(table, correction=False).pvalue)))
    adjusted = holm([p for _, p in tested])
    codes = list(vocab.checks)
    out = []
    for (j, p), p_adj in zip(tested, adjusted, strict=True):
        lo, hi = int(rates[:, j].argmin()), int(rates[:, j].argmax())
        out.append(DivergentCheck(
            code=codes[j], name=vocab.checks[codes[j]],
            spread=_r(rates[hi, j] - rates[lo, j]), p=_r(p, 6), p_holm=_r(p_adj, 6),
            lowest=Extreme(group=names[lo], rate=_r(rates[lo, j])),
            highest=Extreme(group=names[hi], rate=_r(rates[hi, j]))))
    out.sort(key=lambda d: (d.p, -d.spread))
    return out[:settings.divergent_checks]


@dataclass
class _Tally:
    """Report count, signal counts and score moments; a baseline is `whole - part`."""

    n: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    total: float = 0.0
    squares: float = 0.0

    def add(self, r: Record) -> None:
        """Count one audited record."""
        self.n += 1
        self.flags.update(r.flags)
        self.total += r.score or 0
        self.squares += (r.score or 0) ** 2

    def __sub__(self, other: _Tally) -> _Tally:
        flags = Counter(self.flags)
        flags.subtract(other.flags)
        return _Tally(self.n - other.n, flags, self.total - other.total,
                      self.squares - other.squares)

    @property
    def mean(self) -> float:
        """Mean score."""
        return self.total / self.n

    @property
    def var(self) -> float:
        """Sample variance of the scores (n - 1 denominator)."""
        # Scores are integers, so these sums are exact in float64: no cancellation error.
        return max(0.0, (self.squares - self.total ** 2 / self.n) / (self.n - 1))


def _compare(level: Literal["manager", "region"], manager: str | None, region: str,
             mine: _Tally, rest: _Tally, baseline: str,
             settings: StatsSettings) -> list[Outlier]:
    """Outliers of one manager or region against its baseline."""
    cfg = settings.outliers
    pct = "{:.0%}".format
    found = []
    for signal, label in cfg.rates.items():
        k1, k2 = mine.flags[signal], rest.flags[signal]
        d, lo, hi = rate_difference_ci(k1, mine.n, k2, rest.n, cfg.confidence)
        if d >= cfg.min_rate_difference and lo > 0:
            found.append(Outlier(
                level=level, manager=manager, region=region, reason=f"{signal}_rate",
                value=_r(k1 / mine.n), region_value=_r(k2 / rest.n), baseline=baseline,
                difference=_r(d), ci=(_r(lo), _r(hi)), n=mine.n,
                message=(f"{label} in {pct(k1 / mine.n)} of {mine.n} reports vs "
                         f"{pct(k2 / rest.n)} in the {baseline} ({d * 100:+.0f} pts, "
                         f"{cfg.confidence:.0%} CI {lo * 100:+.0f} to {hi * 100:+.0f})")))
    diff = welch_interval(mine.mean, mine.var, mine.n, rest.mean, rest.var, rest.n,
                          cfg.confidence) if mine.n > 1 and rest.n > 1 else None
    if diff and abs(diff[0]) >= cfg.min_score_difference and (diff[1] > 0 or diff[2] < 0):
        d, lo, hi = diff
        found.append(Outlier(
            level=level, manager=manager, region=region, reason="mean_score",
            value=_r(mine.mean, 2), region_value=_r(rest.mean, 2),
            baseline=baseline, difference=_r(d, 2), ci=(_r(lo, 2), _r(hi, 2)), n=mine.n,
            message=(f"mean score {mine.mean:.0f} over {mine.n} reports vs "
                     f"{rest.mean:.0f} in the {baseline} ({d:+.0f} points, "
                     f"{cfg.confidence:.0%} CI {lo:+.0f} to {hi:+.0f})")))
    return found


def find_outliers(records: Sequence[Record], settings: StatsSettings) -> list[Outlier]:
    """Managers far from the rest of their region, and regions far from the rest of the org."""
    org = _Tally()
    regions: dict[str, _Tally] = defaultdict(_Tally)
    managers: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    for r in records:
        if r.ok:
            org.add(r)
            regions[r.region].add(r)
            managers[(r.region, r.manager)].add(r)
    found: list[Outlier] = []
    for (region, manager), mine in sorted(managers.items()):
        if manager == UNKNOWN:
            continue
        rest, baseline = regions[region] - mine, f"rest of {region}"
        if not rest.n:  # the region's only manager: compare with everyone else
            rest, baseline = org - mine, "rest of organisation"
        if rest.n:
            found += _compare("manager", manager, region, mine, rest, baseline, settings)
    if len(regions) >= 2:
        for region, mine in sorted(regions.items()):
            if region != UNKNOWN:
                found += _compare("region", None, region, mine, org - mine,
                                  "rest of organisation", settings)
    # Largest differences first; rates (0-1) and scores (points) are ranked on a common scale.
    return sorted(found, key=lambda o: -abs(o.difference) / (100 if o.reason == "mean_score"
                                                               else 1))


def _slope(values: Sequence[float | None], x: Sequence[int], n: Sequence[int]) -> float | None:
    points = [(xi, v, ni) for xi, v, ni in zip(x, values, n, strict=True) if v is not None]
    if len({p[0] for p in points}) < 2:
        return None
    xs, ys, ws = (np.array(col, dtype=float) for col in zip(*points, strict=True))
    # Weight by sqrt(n): a period with four times the reports has half the standard error.
    return float(np.polyfit(xs, ys, 1, w=np.sqrt(ws))[0])


def trends(records: Sequence[Record], vocab: Vocabulary, kind: PeriodKind,
           settings: StatsSettings) -> Trends:
    """Per-period mean score, alignment, competency shares and check pass rates, with slopes."""
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
    periods = sorted(buckets, key=_period_ordinal)
    n = [len(buckets[p]) for p in periods]

    def series(fn: Callable[[Record], bool]) -> list[float | None]:
        return [_r(_share(sum(1 for r in buckets[p] if fn(r)), len(buckets[p]))) for p in periods]

    mean = [_r(float(np.mean([r.score for r in buckets[p]])), 2) for p in periods]
    align = series(lambda r: bool(r.aligned))
    comps = {c: series(lambda r, c=c: c in r.focus) for c in vocab.competencies}
    checks = {c: series(lambda r, c=c: c not in r.failed) for c in vocab.checks}
    x = [_period_ordinal(p) // (1 if kind == "month" else 3) for p in periods]
    notes = []
    if len(periods) < 2:
        notes.append(f"Trends need dated reports in at least two {kind}s; found {len(periods)}.")
    small = [p for p, k in zip(periods, n, strict=True) if k < settings.min_group_size]
    if small and len(periods) >= 2:
        notes.append(f"{len(small)} of {len(periods)} {kind}s have fewer than "
                     f"{settings.min_group_size} reports ({', '.join(small[:6])}"
                     f"{', ...' if len(small) > 6 else ''}): read their points with care.")
    if undated:
        notes.append(f"{undated} audited report(s) have no usable date and are not in the trends.")
    return Trends(
        period=kind, periods=periods, n=n,
        small_sample=[k < settings.min_group_size for k in n], mean_score=mean,
        alignment_rate=align, competency_share=comps, check_pass_rates=checks,
        slopes=TrendSlopes(
            mean_score=_r(_slope(mean, x, n), 3), alignment_rate=_r(_slope(align, x, n)),
            competency_share={c: _r(_slope(v, x, n)) for c, v in comps.items()},
            check_pass_rates={c: _r(_slope(v, x, n)) for c, v in checks.items()}),
        undated=undated, notes=notes,
    )


def _group_key(record: Record, by: GroupBy, kind: PeriodKind) -> tuple[str, str]:
    if by == "region":
        return record.region, record.region
    if by == "manager":
        return record.region, record.manager
    return period_of(record.date, kind), period_of(record.date, kind)


def _group_order(key: tuple[str, str], by: GroupBy) -> tuple[Any, ...]:
    if by == "period":
        return (key[0] == UNKNOWN, _period_ordinal(key[0]) if key[0] != UNKNOWN else 0)
    return (key[0] == UNKNOWN, key[0], key[1] == UNKNOWN, key[1])


def analyse(records: Sequence[Record], vocab: Vocabulary, settings: StatsSettings,
            by: GroupBy = "region", period: PeriodKind = "quarter") -> RegionsReport:
    """All statistics of `auditor regions` for a set of compact records."""
    vocab = vocab.extended(records)
    rng = np.random.default_rng(settings.bootstrap.seed)
    ok = [r for r in records if r.ok]
    org_focus = _focus_counts(ok, list(vocab.competencies))
    keyed: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for r in records:
        keyed[_group_key(r, by, period)].append(r)
    keys = sorted(keyed, key=lambda k: _group_order(k, by))
    groups = [group_stats(k[1], keyed[k], vocab, org_focus, settings, rng,
                          region=k[0] if by == "manager" else None) for k in keys]
    # Managers are named "m-13"; two regions may share a manager id, so key by both.
    named = {(f"{k[1]} ({k[0]})" if by == "manager" else k[1]): keyed[k] for k in keys}
    errors = [r for r in records if not r.ok]
    notes = []
    if errors:
        notes.append(f"{len(errors)} of {len(records)} report(s) could not be audited; they are "
                     "counted per group under 'errors' and left out of the statistics.")
    if not ok:
        notes.append("No audited reports: every statistic is undefined.")
    small = [g.name for g in groups if g.small_sample and g.n]
    if small:
        notes.append(f"{len(small)} of {len(groups)} {GROUP_NOUN[by]} have fewer than "
                     f"{settings.min_group_size} "
                     "audited reports (small_sample): their figures are shown but not ranked.")
    return RegionsReport(
        by=by, period=period, min_group_size=settings.min_group_size,
        n_reports=len(records), n_errors=len(errors),
        errors=[ErrorSample(id=r.id, error=r.error or "") for r in errors[:ERROR_SAMPLES]],
        groups=groups, consistency=consistency(named, vocab, settings, by, rng),
        outliers=find_outliers(records, settings), trends=trends(records, vocab, period, settings),
        notes=notes,
    )


# -- text output ------------------------------------------------------------------------------
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
    yield (f"{report.n_reports} reports ({report.n_errors} failed), {len(report.groups)} "
           f"{noun}, minimum group size {report.min_group_size}")
    if con.index is not None:
        yield f"Consistency index {con.index:.0f}/100: {con.meaning}"
        yield (f"  ICC(1) {con.icc if con.icc is not None else 'n/a'}  between-{report.by} "
               f"share of score variance {_pct(con.between_share).strip()}  Kruskal-Wallis "
               f"p {_p(con.kruskal_p)}  pass-rate spread {_pct(con.pass_rate_spread).strip()} "
               f"(noise alone {_pct(con.noise_spread).strip()})")
    else:
        yield "Consistency index: undefined (see notes)"
    ranked = sorted((g for g in report.groups if not g.small_sample),
                    key=lambda g: -(g.mean_score or 0))
    small = [g for g in report.groups if g.small_sample]
    yield ""
    yield (f"{report.by.capitalize():<24}{'n':>5}{'err':>5}{'mgrs':>5}  {'mean [95% CI]':<20}"
           f"{'weak':>6}{'aligned':>8}{'no focus':>9}{'JSD':>6}")
    for title, rows in ((f"ranked by mean score (n >= {report.min_group_size})", ranked),
                        (f"small samples (n < {report.min_group_size}), not ranked", small)):
        if not rows:
            continue
        yield f"  {title}"
        for g in rows:
            name = f"{g.name} ({g.region})" if g.region else g.name
            mean = f"{g.mean_score:.1f}" if g.mean_score is not None else "n/a"
            ci = f"[{g.score_ci[0]:.1f}, {g.score_ci[1]:.1f}]" if g.score_ci else "[n/a]"
            jsd = f"{g.divergence:.3f}" if g.divergence is not None else "  n/a"
            yield (f"  {name[:22]:<22}{g.n:>5}{g.errors:>5}{g.managers:>5}  "
                   f"{mean + ' ' + ci:<20}{_pct(g.verdicts.get('weak')):>6}"
                   f"{_pct(g.alignment_rate):>8}{_pct(g.no_focus_share):>9}{jsd:>6}")
    if con.most_divergent_checks:
        yield ""
        yield f"Most divergent checks (chi-square across {noun}; p Holm-adjusted)"
        for d in con.most_divergent_checks:
            yield (f"  {d.code:<8}{d.name:<30} p {_p(d.p_holm):<7} pass rate "
                   f"{d.lowest.rate:.0%} in {d.lowest.group} .. {d.highest.rate:.0%} in "
                   f"{d.highest.group}")
    yield ""
    yield "Outliers" if report.outliers else "Outliers: none found"
    for o in report.outliers:
        who = f"{o.manager} ({o.region})" if o.manager else f"{o.region} (region)"
        yield f"  {who}: {o.message}"
    tr = report.trends
    if len(tr.periods) >= 2:
        yield ""
        yield (f"Trends by {tr.period}, {tr.periods[0]} .. {tr.periods[-1]} ({len(tr.periods)} "
               f"{tr.period}s): first -> last {tr.period}, change per {tr.period} (weighted fit)")

        def line(name: str, series: list[float | None], slope: float | None,
                 scale: float, unit: str) -> str:
            shown = [v for v in series if v is not None]
            if not shown or slope is None:
                return f"  {name[:38]:<39}n/a"
            first, last = (f"{v * scale:.0f}" + ("%" if unit == "pts" else "")
                           for v in (shown[0], shown[-1]))
            return f"  {name[:38]:<39}{first:>5} -> {last:<6}{slope * scale:+6.2f} {unit}"

        yield line("mean score", tr.mean_score, tr.slopes.mean_score, 1, "points")
        yield line("aligned to an active priority", tr.alignment_rate, tr.slopes.alignment_rate,
                   100, "pts")
        for c, series in tr.competency_share.items():
            yield line("focus: " + vocab.competencies.get(c, c), series,
                       tr.slopes.competency_share.get(c), 100, "pts")
    notes = report.notes + con.notes + tr.notes
    if notes:
        yield ""
        yield "Notes"
        for note in notes:
            yield f"  - {note}"
