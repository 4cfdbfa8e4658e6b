"""Golden files pin whole-report behaviour: tests/golden/NAME.md audited gives NAME.json.

The expectation holds the judgement and where it comes from, not the full JSON: score, verdict,
focus competencies, priorities and competencies with their evidence, STAR, next objective with
its evidence, signals, and every finding (code, severity, message, suggestion and evidence).
Evidence is pinned as `[start, end, text]` (`[start, end)` str offsets into the report text,
which the test also checks they index). The reports run through the rules alone (the session
`engine`). After an intended change in the rules, rewrite the files
with `python -m pytest tests/test_golden.py --update-golden` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.io import read_text_file
from auditor.schema import Evidence, Report, ReportAudit

GOLDEN = Path(__file__).parent / "golden"
REPORTS = sorted(GOLDEN.glob("*.md"))


def spans(evidence: list[Evidence]) -> list[list[Any]]:
    """Evidence as `[start, end, text]` triples, in the audit's order."""
    return [[e.start, e.end, e.text] for e in evidence]


def summary(audit: ReportAudit) -> dict[str, Any]:
    """The parts of an audit a golden file pins."""
    assert audit.star and audit.next_objective and audit.signals, audit.error
    return {
        "id": audit.id,
        "score": audit.score,
        "verdict": audit.verdict,
        "focus_competencies": audit.focus_competencies,
        "priorities": sorted(t.id for t in audit.priorities),
        "star": audit.star.model_dump(),
        "next_objective": audit.next_objective.model_dump(exclude={"evidence"}),
        "signals": audit.signals.model_dump(),
        "findings": [f.code for f in audit.findings],
        "finding_details": [
            {
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "suggestion": f.suggestion,
                "evidence": spans(f.evidence),
            }
            for f in audit.findings
        ],
        "priority_evidence": {t.id: spans(t.evidence) for t in audit.priorities},
        "competency_evidence": {t.id: spans(t.evidence) for t in audit.competencies},
        "next_objective_evidence": spans(audit.next_objective.evidence),
    }


def all_spans(pinned: dict[str, Any]) -> list[list[Any]]:
    """Every `[start, end, text]` a summary pins."""
    return [
        *(e for f in pinned["finding_details"] for e in f["evidence"]),
        *(
            e
            for key in ("priority_evidence", "competency_evidence")
            for group in pinned[key].values()
            for e in group
        ),
        *pinned["next_objective_evidence"],
    ]


def test_there_are_golden_reports() -> None:
    assert len(REPORTS) >= 5


@pytest.mark.parametrize("path", REPORTS, ids=[p.stem for p in REPORTS])
def test_golden(engine, path: Path, request: pytest.FixtureRequest) -> None:
    report = read_text_file(path)
    assert isinstance(report, Report), report
    actual = summary(engine.audit(report))
    for start, end, text in all_spans(actual):
        assert report.text[start:end] == text, (start, end, text)
    expected_file = path.with_suffix(".json")
    if request.config.getoption("--update-golden"):
        expected_file.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
        return
    assert expected_file.is_file(), f"no {expected_file.name}: run with --update-golden"
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert actual == expected, (
        f"{path.name} no longer audits as {expected_file.name}; if the change is intended, "
        "rerun with --update-golden and review the diff"
    )
