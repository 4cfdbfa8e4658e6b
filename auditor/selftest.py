"""Run the pack's own examples: the checks' (rubric.yaml) and the reader's (reading.yaml)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from auditor.checks import build_checks
from auditor.config import RuleSet, load_followthrough
from auditor.engine import Auditor
from auditor.followthrough import judge_pair, split_example
from auditor.schema import Report, ReportAudit


@dataclass(frozen=True)
class ExampleOutcome:
    """Whether one example behaved as its check (or reading rule) says it must."""

    code: str  # a check code, or "reading.SECTION"
    expect: str  # "flag" or "pass"; for a reading rule "find SIGNAL" or "not find SIGNAL"
    text: str
    ok: bool


def reading_examples(rules: RuleSet) -> Iterator[tuple[str, str, bool, str]]:
    """(code, signal, whether it must be found, text) for every example of reading.yaml."""
    for section in ("praise", "exceptions"):
        examples = getattr(rules.reading, section).examples
        if examples is None:
            continue
        for present, texts in ((True, examples.present), (False, examples.absent)):
            for text in texts:
                yield f"reading.{section}", examples.signal, present, text


def run_examples(engine: Auditor) -> Iterator[ExampleOutcome]:
    """Audit every example of every active check and compare with its expectation."""
    for check in engine.checks:
        spec = check.spec
        cases = [("flag", t) for t in spec.examples.flag]
        cases += [("pass", t) for t in spec.examples.pass_]
        for expect, text in cases:
            report = Report(id=f"{spec.code}-example", text=text, metadata=spec.examples.metadata)
            audit = engine.audit(report)
            flagged = any(f.code == spec.code for f in audit.findings)
            yield ExampleOutcome(spec.code, expect, text, flagged == (expect == "flag"))
    yield from _history_examples(engine)
    for code, signal, present, text in reading_examples(engine.rules):
        found = engine.nlp(text)._.fcr.has(signal)
        expect = f"{'' if present else 'not '}find {signal}"
        yield ExampleOutcome(code, expect, text, found == present)


def audit_example_pair(engine: Auditor, text: str) -> ReportAudit:
    """The later report of a history check's example, judged against the earlier one."""
    previous, current = split_example(text)
    meta = {"rep": "example"}
    first = engine.audit(
        Report(id="previous", text=previous, metadata={**meta, "date": "2026-01-05"})
    )
    second = engine.audit(
        Report(id="current", text=current, metadata={**meta, "date": "2026-02-05"})
    )
    found = load_followthrough(engine.rules.source)
    if found is None:
        return second
    return judge_pair(engine.rules, found, first, second)


def _history_examples(engine: Auditor) -> Iterator[ExampleOutcome]:
    """The examples of the history checks (FOL001): pairs of reports of one rep."""
    for check in build_checks(engine.rules):
        spec = check.spec
        if not check.type.history:
            continue
        cases = [("flag", t) for t in spec.examples.flag]
        cases += [("pass", t) for t in spec.examples.pass_]
        for expect, text in cases:
            audit = audit_example_pair(engine, text)
            flagged = any(f.code == spec.code for f in audit.findings)
            yield ExampleOutcome(spec.code, expect, text, flagged == (expect == "flag"))
