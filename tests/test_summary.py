"""The end-of-run summary groups failures by kind, with counts and the first ids."""

from __future__ import annotations

import pytest

from auditor.io.summary import RunTally, error_kind
from auditor.schema import ReportAudit


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("/data/in/batch.jsonl:7: malformed JSON: Expecting value: line 1", "malformed JSON"),
        ("<stdin>:3: malformed JSON: Expecting value", "malformed JSON"),
        (
            "crm.csv:row6: 5 columns but the header has 4 (quote fields)",
            "N columns but the header has N",
        ),
        (
            "export.csv: row 2: a quoted field is not closed as expected (x), so lines",
            "a quoted field is not closed as expected",
        ),
        ("empty report: the text is empty or whitespace only", "empty report"),
        ("report too long: 60000 characters (limit 50000)", "report too long"),
        ("duplicate id 'a-1' (first seen at x.jsonl#1)", "duplicate id …"),
        ("latin1.txt: invalid UTF-8 at byte 1", "invalid UTF-8 at byte N"),
        (
            "worker process died twice on this record; record not audited",
            "worker process died twice on this record",
        ),
    ],
)
def test_error_kind_drops_place_and_specifics(message: str, kind: str) -> None:
    assert error_kind(message) == kind


def test_tally_lists_kinds_by_count_with_first_ids() -> None:
    tally = RunTally()
    for i in range(5):
        tally.add(ReportAudit(id=f"e-{i}", error="empty report: the text is empty"))
    tally.add(ReportAudit(id="d-\x1b[31m", error="duplicate id 'x' (first seen at a)"))
    tally.add(ReportAudit(id="ok", score=80, verdict="adequate"))
    text = tally.text(1.0)
    assert "  empty report: 5 (e-0, e-1, e-2, …)" in text
    assert "  duplicate id …: 1 (d-\\x1b[31m)" in text  # control characters escaped
    assert text.index("empty report") < text.index("duplicate id")
    assert tally.counts["error"] == 6 and tally.counts["adequate"] == 1
