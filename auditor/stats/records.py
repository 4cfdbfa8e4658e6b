"""ReportAudits -> compact per-report records, and the vocabulary statistics are laid out by.

A `Record` keeps what the statistics need of one audit (scores, verdicts, failed check codes,
focus ids, signals, metadata), so a large results.jsonl costs memory for those only, never for
texts; a `Collector` keeps the full text of just the N weakest reports.
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel

from auditor.config import RuleSet
from auditor.schema import ReportAudit

UNKNOWN = "unknown"
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


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
        codes: set[str] = set()
        comps: set[str] = set()
        prios: set[str] = set()
        for r in records:
            codes |= r.failed
            comps.update(r.focus)
            prios.update(r.aligned)
        return Vocabulary(
            checks={**self.checks, **{c: c for c in sorted(codes - set(self.checks))}},
            competencies={
                **self.competencies,
                **{c: c for c in sorted(comps - set(self.competencies))},
            },
            active_priorities={
                **self.active_priorities,
                **{p: p for p in sorted(prios - set(self.active_priorities))},
            },
            serving=self.serving,
            weights=self.weights,
        )


def vocabulary(rules: RuleSet) -> Vocabulary:
    """Checks, competencies and active priorities of a rule pack."""
    strategy = rules.strategy
    priority_names = {p.id: p.name for p in rules.taxonomy.priorities}
    return Vocabulary(
        checks={c.code: c.name for c in rules.rubric.checks},
        competencies={c.id: c.name for c in rules.taxonomy.competencies},
        active_priorities={p: priority_names[p] for p in strategy.active_priorities},
        serving=frozenset(
            c for p in strategy.active_priorities for c in strategy.alignment.get(p, ())
        ),
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
    compliance: str | None = None  # the audit's compliance status: "risk", "clear" or None
    follow_through: str | None = None  # the status of the audit's follow-through, if it has one
    rep: str = UNKNOWN
    not_applicable: frozenset[str] = frozenset()  # checks that could not be judged on it

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


def _follow_through(audit: ReportAudit) -> str | None:
    """The follow-through status of an audit that was assessed (None for `not_assessed`), from
    its `follow_through` field or, for results from elsewhere, a metadata key."""
    value: Any = audit.follow_through or audit.metadata.get("follow_through")
    if isinstance(value, BaseModel):
        value = value.model_dump()
    status = value.get("status") if isinstance(value, dict) else value
    text = str(status).strip() if status is not None else ""
    return sys.intern(text) if text and text != "not_assessed" else None


def compact(audit: ReportAudit, pool: dict[Any, Any] | None = None) -> Record:
    """The compact record of one audit; `pool` shares equal code sets and tuples between records."""

    def shared(value: Any) -> Any:
        # Most reports repeat a few hundred combinations of failed checks, signals and focus:
        # sharing one object per combination cuts a record's memory by about two thirds.
        return value if pool is None else pool.setdefault(value, value)

    meta = audit.metadata
    signals = audit.signals.model_dump() if audit.signals else {}
    return Record(
        id=audit.id,
        region=_label(meta, "region"),
        manager=_label(meta, "manager"),
        date=_date(meta.get("date")),
        score=audit.score if audit.ok else None,
        verdict=audit.verdict if audit.ok else None,
        failed=shared(frozenset(sys.intern(f.code) for f in audit.findings)),
        focus=shared(tuple(sys.intern(c) for c in audit.focus_competencies)),
        aligned=shared(tuple(sys.intern(p) for p in audit.aligned_priorities)),
        flags=shared(frozenset(k for k, v in signals.items() if v)),
        error=audit.error,
        compliance=audit.compliance,
        follow_through=_follow_through(audit),
        rep=_label(meta, "rep"),
        not_applicable=shared(frozenset(sys.intern(c) for c in audit.not_applicable)),
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
    out = [
        FindingSummary(
            code=code,
            name=fs[0].name,
            severity=fs[0].severity,
            message=fs[0].message,
            count=len(fs),
            evidence=tuple((e.start, e.end) for f in fs for e in f.evidence),
        )
        for code, fs in grouped.items()
    ]
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
            id=audit.id,
            metadata={k: str(v) for k, v in audit.metadata.items()},
            score=audit.score,
            verdict=audit.verdict or "",
            findings=summarise_findings(audit),
            text=audit.text or "",
        )
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
