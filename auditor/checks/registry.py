"""The explicit registry of check types and the binding of configured checks to them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from auditor.checks import generic, ratings, specific
from auditor.checks.base import Check, CheckContext, CheckType
from auditor.config import ConfigError, RuleSet, validation_problems
from auditor.schema import Finding


def registered_types() -> dict[str, CheckType]:
    """All check types, generic first (built on each call; no process-wide state)."""
    types = [*generic.TYPES, *specific.TYPES, *ratings.TYPES]
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


def history_codes(rules: RuleSet) -> set[str]:
    """Codes of the pack's history checks (judged over a batch, never on one report's labels)."""
    types = registered_types()
    return {c.code for c in rules.rubric.checks if c.type in types and types[c.type].history}


def run_checks(checks: Sequence[Check], ctx: CheckContext) -> list[Finding]:
    """Run all checks; findings in rubric order."""
    return [f for check in checks for f in check.run(ctx)]


def not_applicable(checks: Sequence[Check], ctx: CheckContext) -> list[str]:
    """Codes of the checks that cannot be judged on this report (rubric order)."""
    return [check.spec.code for check in checks if not check.applies_to(ctx)]
