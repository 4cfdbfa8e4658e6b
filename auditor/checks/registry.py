"""The explicit registry of check types and the binding of configured checks to them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from auditor.annotations import Annotations, Hit
from auditor.config import CheckSpec, ConfigError, RuleSet, validation_problems
from auditor.schema import Evidence, Finding


@dataclass(frozen=True)
class CheckContext:
    """What a check may read: the report's annotations and the rule pack."""

    ann: Annotations
    rules: RuleSet


CheckFn = Callable[[CheckContext, CheckSpec, Any], list[Finding]]


@dataclass(frozen=True)
class CheckType:
    """A registered check type: its function and its params model."""

    name: str
    fn: CheckFn
    params: type[BaseModel]
    doc: str


@dataclass(frozen=True)
class Check:
    """A configured check bound to its type, with validated params."""

    spec: CheckSpec
    type: CheckType
    params: BaseModel

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Findings for one report (empty when the check passes)."""
        return self.type.fn(ctx, self.spec, self.params)


def registered_types() -> dict[str, CheckType]:
    """All check types, generic first (built on each call; no process-wide state)."""
    from auditor.checks import generic, specific

    types = [*generic.TYPES, *specific.TYPES]
    return {t.name: t for t in types}


def build_checks(rules: RuleSet) -> list[Check]:
    """Bind every check of the pack to its type; raise ConfigError on unknown types or params."""
    types = registered_types()
    rubric = Path(rules.source) / "rubric.yaml"
    out = []
    for i, spec in enumerate(rules.rubric.checks):
        ctype = types.get(spec.type)
        if ctype is None:
            raise ConfigError(
                f"{rubric}: checks[{i}].type: unknown check type {spec.type!r} ({spec.code}); "
                f"allowed: {', '.join(types)}"
            )
        try:
            params = ctype.params.model_validate(spec.params)
        except ValidationError as exc:
            details = "; ".join(validation_problems(exc))
            raise ConfigError(f"{rubric}: checks[{i}].params ({spec.code}): {details}") from None
        out.append(Check(spec, ctype, params))
    return out


def run_checks(checks: Sequence[Check], ctx: CheckContext) -> list[Finding]:
    """Run all checks; findings in rubric order."""
    return [f for check in checks for f in check.run(ctx)]


def finding(spec: CheckSpec, hits: Sequence[Hit] = (), explanation: str | None = None,
            **fmt: Any) -> Finding:
    """A Finding for `spec`, its message formatted with `fmt` and the first hit's text."""
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
