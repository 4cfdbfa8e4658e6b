"""The rating check type: a rating the narrative gives no behavioural evidence for.

Ratings come from the report's `metadata["ratings"]` (id -> value as exported; see
docs/ratings.md), read onto the pack's scales (ratings.yaml). A report without ratings, or
without a rating in the check's band, passes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from auditor.checks.base import CheckContext, CheckType, finding
from auditor.config import CheckSpec, Rating, RatingScales
from auditor.schema import Finding


class RatingParams(BaseModel):
    """Params of `rating_evidence`: the band of rating that needs evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    band: Literal["high", "low"]


def report_ratings(ctx: CheckContext) -> Iterator[tuple[str, Rating]]:
    """(rating id, rating) of every rating of the report that is on a scale."""
    ratings = ctx.metadata.get("ratings")
    if not isinstance(ratings, dict):
        return
    for rid, value in ratings.items():
        rating = ctx.rules.ratings.read(value, str(rid))
        if rating is not None:
            yield str(rid), rating


def unreadable_ratings(metadata: Mapping[str, Any], scales: RatingScales) -> list[str]:
    """A record warning for every rating in `metadata["ratings"]` on none of `scales`."""
    ratings = metadata.get("ratings")
    if not isinstance(ratings, dict):
        return []
    return [
        f"rating {str(rid)!r}: {str(value)[:40]!r} is on none of the rating scales "
        f"({', '.join(scales.scales)}); ignored"
        for rid, value in ratings.items()
        if scales.read(value, str(rid)) is None
    ]


def evidenced(ctx: CheckContext, rid: str) -> bool:
    """Whether the narrative gives behavioural evidence for rating `rid`: observed behaviour,
    and for a competency's rating a mention of that competency too."""
    if not ctx.ann.has("observed_behavior"):
        return False
    if rid in ctx.rules.competency_ids:
        return any(h.label == rid for h in ctx.ann.competencies)
    return True


def rating_evidence(ctx: CheckContext, spec: CheckSpec, p: RatingParams) -> list[Finding]:
    """Flag the report once when a rating in the band has no behavioural evidence."""
    bare = [
        f"{rid} {r.text!r}"
        for rid, r in report_ratings(ctx)
        if r.band == p.band and not evidenced(ctx, rid)
    ]
    if not bare:
        return []
    return [
        finding(
            spec,
            items=", ".join(bare),
            explanation=f"{p.band} rating(s) {', '.join(bare)}; no observed behaviour for them",
        )
    ]


def has_rating_in_band(ctx: CheckContext, p: RatingParams) -> bool:
    """Whether the report carries a rating in the check's band (else the check does not apply)."""
    return any(r.band == p.band for _, r in report_ratings(ctx))


TYPES = (
    CheckType(
        "rating_evidence",
        rating_evidence,
        RatingParams,
        "Flags a rating in a band (high/low) whose behaviour the narrative does not show.",
        signal="observed_behavior",
        applies=has_rating_in_band,
    ),
)
