"""Generic check types: most rubric items are YAML instances of these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from auditor.annotations import SIGNALS
from auditor.checks.base import CheckContext, CheckType, distinct_spans, finding
from auditor.config import CheckSpec
from auditor.schema import Finding

SignalName = Literal[SIGNALS]  # type: ignore[valid-type]


class SignalParams(BaseModel):
    """Params naming one signal."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    signal: SignalName


class ExistenceParams(SignalParams):
    """Params for existence: one finding per hit, or one per report with all hits as evidence."""

    per: Literal["hit", "report"] = "hit"


class OccurrenceParams(SignalParams):
    """Params for a count range, optionally per rep level."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    max_by_rep_level: dict[Literal["new", "experienced"], int] = Field(default_factory=dict)

    def top(self, rep_level: str | None) -> int | None:
        """The maximum for a rep level (`max` when the level is unknown or has none of its own)."""
        by_level = cast(dict[str, int], self.max_by_rep_level)  # keys validated as rep levels
        return by_level.get(rep_level or "", self.max)


def _sources(hits: tuple) -> str:
    return "fired: " + ", ".join(sorted({h.source for h in hits if h.source})[:5])


def presence(ctx: CheckContext, spec: CheckSpec, p: SignalParams) -> list[Finding]:
    """Flag when the signal is absent."""
    return [] if ctx.ann.has(p.signal) else [finding(spec, explanation=f"no {p.signal} found")]


def existence(ctx: CheckContext, spec: CheckSpec, p: ExistenceParams) -> list[Finding]:
    """Flag every occurrence of the signal (or, per report, once with every hit as evidence).

    Overlapping hits are one occurrence (`distinct_spans`); its explanation names every rule
    that fired on it.
    """
    hits = ctx.ann.signal(p.signal)
    if p.per == "report":
        return [finding(spec, hits, explanation=_sources(hits))] if hits else []
    out = []
    for span in distinct_spans(hits):
        fired = tuple(h for h in hits if span.start <= h.start and h.end <= span.end)
        out.append(finding(spec, (span,), explanation=_sources(fired)))
    return out


def _items(ctx: CheckContext, signal: str) -> tuple[str, ...]:
    if signal == "focus_competencies":
        return ctx.ann.focus
    if signal == "priorities":
        return tuple(dict.fromkeys(h.label for h in ctx.ann.priorities))
    return tuple(h.text for h in ctx.ann.signal(signal))


def occurrence(ctx: CheckContext, spec: CheckSpec, p: OccurrenceParams) -> list[Finding]:
    """Flag when the number of distinct items of a signal is outside [min, max]."""
    items = _items(ctx, p.signal)
    top = p.top(ctx.ann.rep_level)
    n = len(items)
    if (p.min is not None and n < p.min) or (top is not None and n > top):
        hits = [h for h in ctx.ann.signal(p.signal)][:10]
        return [
            finding(
                spec,
                hits,
                explanation=_sources(tuple(hits)) if hits else None,
                count=n,
                items=", ".join(items) or "none",
                max=top,
                min=p.min,
            )
        ]
    return []


def count_range(
    checks: Iterable[CheckSpec], signal: str, rep_level: str | None
) -> tuple[int, int | None]:
    """(min, max or None): the counts of a signal's items no occurrence check flags for a rep."""
    low, high = 0, None
    for spec in checks:
        if spec.type != "occurrence" or spec.params.get("signal") != signal:
            continue
        p = OccurrenceParams.model_validate(spec.params)
        low = max(low, p.min or 0)
        top = p.top(rep_level)
        if top is not None:
            high = top if high is None else min(high, top)
    return low, high


TYPES = (
    CheckType("presence", presence, SignalParams, "Flags when a signal is absent."),
    CheckType(
        "existence",
        existence,
        ExistenceParams,
        "Flags every occurrence of a signal (per: hit), or once per report (per: report).",
    ),
    CheckType(
        "occurrence",
        occurrence,
        OccurrenceParams,
        "Flags when a signal's count is outside min/max (max may depend on rep level).",
    ),
)
