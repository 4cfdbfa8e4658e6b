"""Check types whose logic YAML cannot express."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from auditor.checks.base import CheckContext, CheckType, finding
from auditor.config import CheckSpec
from auditor.schema import Finding


class NoParams(BaseModel):
    """These types take no params."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def smart_objective(ctx: CheckContext, spec: CheckSpec, _: NoParams) -> list[Finding]:
    """Flag a next objective whose best unit lacks a SMART facet (silent when none exists)."""
    best = ctx.ann.best_objective
    if best is None or best.smart:
        return []
    missing = [
        name
        for name, ok in (
            ("a specific behaviour", best.specific),
            ("a measure or observable criterion", best.measurable),
            ("a time bound", best.time_bound),
        )
        if not ok
    ]
    hits = [h for h in ctx.ann.signal("next_objective") if h.start == best.start]
    return [
        finding(
            spec,
            hits,
            missing=" and ".join(missing),
            explanation=f"best objective has {best.facets}/3 facets",
        )
    ]


def aligned_priorities(focus: tuple[str, ...], ctx: CheckContext) -> list[str]:
    """Active priorities served by at least one of the focus competencies."""
    strategy = ctx.rules.strategy
    return [
        p for p in strategy.active_priorities if set(strategy.alignment.get(p, ())) & set(focus)
    ]


def alignment(ctx: CheckContext, spec: CheckSpec, _: NoParams) -> list[Finding]:
    """Flag when no focus competency serves an active strategic priority."""
    if aligned_priorities(ctx.ann.focus, ctx):
        return []
    return [
        finding(
            spec,
            ctx.ann.focus_evidence[:5],
            items=", ".join(ctx.ann.focus) or "none",
            explanation="alignment map in strategy.yaml",
        )
    ]


def follow_through(ctx: CheckContext, spec: CheckSpec, _: NoParams) -> list[Finding]:
    """Nothing on one report: the previous report is needed (`auditor.followthrough` judges)."""
    return []


TYPES = (
    CheckType(
        "smart_objective",
        smart_objective,
        NoParams,
        "Flags a next objective that is not specific, measurable and time-bound.",
        signal="next_objective",
    ),
    CheckType(
        "alignment",
        alignment,
        NoParams,
        "Flags when no focus competency serves an active priority (strategy.yaml).",
        signal="focus_competencies",
    ),
    CheckType(
        "follow_through",
        follow_through,
        NoParams,
        "Flags a report that does not follow up the objective of the rep's previous report "
        "(auditor audit, over the batch; rules/followthrough.yaml).",
        signal="follow_up",
        history=True,
    ),
)
