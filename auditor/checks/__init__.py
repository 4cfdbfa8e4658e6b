"""Rubric checks: a registry of check types, built once per rule pack, run on annotations.

A check type is a small pure function `(ctx, spec, params) -> list[Finding]` with a pydantic
model for its params. `build_checks` binds every configured check to its type and validates its
params; unknown types or bad params are ConfigErrors naming rubric.yaml and the key.
"""

from auditor.checks.base import Check, CheckContext
from auditor.checks.registry import (
    build_checks,
    history_codes,
    not_applicable,
    registered_types,
    run_checks,
)

__all__ = [
    "Check",
    "CheckContext",
    "build_checks",
    "history_codes",
    "not_applicable",
    "registered_types",
    "run_checks",
]
