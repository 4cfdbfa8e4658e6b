"""Every check's own examples (rubric.yaml) flag or pass as declared; so do the reader's
examples (reading.yaml), which find their signal or not.

That every check has flag and pass examples is enforced when the pack loads (see
tests/fixtures/bad_rules/empty_examples.yaml in test_config.py).
"""

from __future__ import annotations

import pytest

from auditor.checks import registered_types
from auditor.config import load_ruleset
from auditor.schema import Report
from auditor.selftest import reading_examples

#: Check types whose examples are pairs of reports (tests/test_followthrough_cli.py runs them).
HISTORY = {name for name, t in registered_types().items() if t.history}
METADATA = {c.code: c.examples.metadata for c in load_ruleset().rubric.checks}
CASES = [
    (c.code, expect, text)
    for c in load_ruleset().rubric.checks
    if c.type not in HISTORY
    for expect, texts in (("flag", c.examples.flag), ("pass", c.examples.pass_))
    for text in texts
]


@pytest.mark.parametrize(
    ("code", "expect", "text"), CASES, ids=[f"{c}-{e}-{i}" for i, (c, e, _) in enumerate(CASES)]
)
def test_check_example(engine, code: str, expect: str, text: str) -> None:
    audit = engine.audit(Report(id="example", text=text, metadata=METADATA[code]))
    flagged = code in {f.code for f in audit.findings}
    assert flagged == (expect == "flag"), [f.code for f in audit.findings]


READING = list(reading_examples(load_ruleset()))


@pytest.mark.parametrize(
    ("code", "signal", "present", "text"),
    READING,
    ids=[f"{c}-{p}-{i}" for i, (c, _, p, _) in enumerate(READING)],
)
def test_reading_example(engine, code: str, signal: str, present: bool, text: str) -> None:
    assert engine.nlp(text)._.fcr.has(signal) == present


def test_every_check_type_is_exercised(rules) -> None:
    from auditor.checks import registered_types

    used = {c.type for c in rules.rubric.checks}
    assert used == set(registered_types())
