"""Golden files pin whole-report behaviour: tests/golden/NAME.md audited gives NAME.json.

The expectation holds the judgement, not the full JSON: score, verdict, focus competencies,
priority ids, STAR, next objective, signals and finding codes. The reports run through the
rules alone (the session `engine`). After an intended change in the rules, rewrite the files
with `python -m pytest tests/test_golden.py --update-golden` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.io import read_text_file
from auditor.schema import Report, ReportAudit

GOLDEN = Path(__file__).parent / "golden"
REPORTS = sorted(GOLDEN.glob("*.md"))


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
    }


def test_there_are_golden_reports() -> None:
    assert len(REPORTS) >= 5


@pytest.mark.parametrize("path", REPORTS, ids=[p.stem for p in REPORTS])
def test_golden(engine, path: Path, request: pytest.FixtureRequest) -> None:  # noqa: ANN001
    report = read_text_file(path)
    assert isinstance(report, Report), report
    actual = summary(engine.audit(report))
    expected_file = path.with_suffix(".json")
    if request.config.getoption("--update-golden"):
        expected_file.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
        return
    assert expected_file.is_file(), f"no {expected_file.name}: run with --update-golden"
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert actual == expected, (
        f"{path.name} no longer audits as {expected_file.name}; if the change is intended, "
        "rerun with --update-golden and review the diff")
