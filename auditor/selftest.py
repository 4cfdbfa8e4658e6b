"""Run each check's own examples (rubric.yaml `examples`) through the engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from auditor.engine import Auditor
from auditor.schema import Report


@dataclass(frozen=True)
class ExampleOutcome:
    """Whether one example behaved as its check says it must."""

    code: str
    expect: str  # "flag" or "pass"
    text: str
    ok: bool


def run_examples(engine: Auditor) -> Iterator[ExampleOutcome]:
    """Audit every example of every active check and compare with its expectation."""
    for check in engine.checks:
        spec = check.spec
        cases = [("flag", t) for t in spec.examples.flag]
        cases += [("pass", t) for t in spec.examples.pass_]
        for expect, text in cases:
            audit = engine.audit(Report(id=f"{spec.code}-example", text=text))
            flagged = any(f.code == spec.code for f in audit.findings)
            yield ExampleOutcome(spec.code, expect, text, flagged == (expect == "flag"))
