"""What every check type builds on: the context a check reads, the type and binding records, and
the one way to make a Finding."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from auditor.annotations import Annotations, Hit
from auditor.config import CheckSpec, RuleSet
from auditor.schema import Evidence, Finding


@dataclass(frozen=True)
class CheckContext:
    """What a check may read: the report's annotations, the rule pack and its metadata."""

    ann: Annotations
    rules: RuleSet
    metadata: Mapping[str, Any] = field(default_factory=dict)


CheckFn = Callable[[CheckContext, CheckSpec, Any], list[Finding]]
#: Whether a check can be judged on a report at all (e.g. a rating check on a report without
#: ratings): a check that does not apply passes, and statistics leave the report out of its rate.
AppliesFn = Callable[[CheckContext, Any], bool]


@dataclass(frozen=True)
class CheckType:
    """A registered check type: its function, its params model and the signal it reads.

    `signal` is for types that read a fixed signal; generic types read their params' `signal`.
    `history` types compare a report with the rep's previous one: they flag nothing on one
    report and do not apply to it; `auditor audit` runs them once the batch is known
    (`auditor.followthrough`). `applies` (None: always) tells whether the check applies.
    """

    name: str
    fn: CheckFn
    params: type[BaseModel]
    doc: str
    signal: str | None = None
    history: bool = False
    applies: AppliesFn | None = None


@dataclass(frozen=True)
class Check:
    """A configured check bound to its type, with validated params."""

    spec: CheckSpec
    type: CheckType
    params: BaseModel

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Findings for one report (empty when the check passes)."""
        return self.type.fn(ctx, self.spec, self.params)

    def applies_to(self, ctx: CheckContext) -> bool:
        """Whether the check can be judged on this report alone (history checks never can)."""
        if self.type.history:
            return False
        return self.type.applies is None or self.type.applies(ctx, self.params)

    @property
    def signal(self) -> str | None:
        """The signal this check reads: its params' `signal`, else its type's (None if neither)."""
        return getattr(self.params, "signal", None) or self.type.signal


def distinct_spans(hits: Sequence[Hit]) -> list[Hit]:
    """`hits` in text order with no two overlapping: a hit inside another is dropped (the longer
    one stays) and hits that overlap in part become one hit over both.

    One phrase flagged by two rules ("tickets to the match if he prescribes" and "tickets") is
    one piece of evidence, not two.
    """
    out: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, -h.end)):
        last = out[-1] if out else None
        if last is None or h.start >= last.end:
            out.append(h)
        elif h.end > last.end:  # partial overlap: one hit over both
            text = last.text + h.text[last.end - h.start :]
            out[-1] = Hit(last.start, h.end, last.label, text, last.source)
    return out


def finding(
    spec: CheckSpec, hits: Sequence[Hit] = (), explanation: str | None = None, **fmt: Any
) -> Finding:
    """A Finding for `spec`, its message formatted with `fmt` and the first hit's text.

    The evidence is `distinct_spans(hits)`: never two overlapping spans.
    """
    hits = distinct_spans(hits)
    if hits and "text" not in fmt:
        fmt["text"] = hits[0].text.strip()
    try:
        message = spec.message.format(**fmt)
    except (KeyError, IndexError):
        message = spec.message
    return Finding(
        code=spec.code,
        name=spec.name,
        severity=spec.severity,
        message=message,
        suggestion=spec.suggestion,
        evidence=[Evidence(start=h.start, end=h.end, text=h.text) for h in hits],
        explanation=explanation,
    )
