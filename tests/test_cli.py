"""`auditor check` (linter lines, summary, JSON, exit codes) and `auditor audit` (results)."""

from __future__ import annotations

import csv
import itertools
import json
import re
from pathlib import Path

from cli_support import RULES_ONLY, Cli

from auditor.io import read_inputs
from auditor.schema import Evidence, ReportAudit

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "sample_reports" / "dev.jsonl"

# A compliance red flag (the rubric's own CMP001 example) in the middle of line 3.
RISKY = (
    "Call objective: agree a trial of Cardiova with Dr Silva.\n"
    "Observed: you opened with the efficacy slides and asked one open question.\n"
    "Afterwards you told me: Offer Dr Silva tickets to the match if he prescribes more.\n"
    "Next ride-along by 15 May: ask two open questions before showing data.\n"
)
CLEAN = (
    "Call objective with Dr Ruiz was to agree a trial of Cardiova in newly diagnosed "
    "patients. You opened with her own patient numbers and asked two open questions "
    "before showing any data. As a result she agreed to try it in two patients. By the "
    "next ride-along on 15 May, ask for a follow-up date before leaving the room."
)
UNICODE = (
    "Réunion à l'hôpital Sainte-Thérèse 🏥 avec Dr Müller. 👍 You asked “what worries "
    "you about switching?” and she said the renal dosing 😟. Next ride-along on 3 June, "
    "ask two open questions ✅ before showing data. Naïve praise aside: great résumé "
    "of the study!"
)
AUDIT_KEYS = {
    "id",
    "metadata",
    "score",
    "verdict",
    "compliance",
    "verdict_change",
    "priorities",
    "competencies",
    "focus_competencies",
    "star",
    "next_objective",
    "findings",
    "error",
}


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset (computed independently of the CLI)."""
    before = text[:offset].split("\n")
    return len(before), len(before[-1]) + 1


def all_evidence(audit: ReportAudit) -> list[Evidence]:
    """Every evidence span an audit carries."""
    tags = [e for t in (*audit.priorities, *audit.competencies) for e in t.evidence]
    return [*tags, *audit.next_objective.evidence, *(e for f in audit.findings for e in f.evidence)]


def test_check_prints_linter_lines_and_summary(cli: Cli, tmp_path: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text(RISKY, encoding="utf-8")
    as_json = cli("check", str(draft), "--format", "json", *RULES_ONLY)
    as_text = cli("check", str(draft), *RULES_ONLY)
    assert as_json.exit_code == as_text.exit_code == 1  # error-severity findings
    raw = json.loads(as_json.stdout)
    assert AUDIT_KEYS <= set(raw)
    audit = ReportAudit.model_validate(raw)
    assert audit.id == "draft" and audit.error is None and audit.text == RISKY
    risks = [f for f in audit.findings if f.code == "CMP001"]
    assert risks and all(f.severity == "error" for f in risks)

    # One linter line per check code at its first span, then (indented) every span when there
    # are several, then the suggestion.
    by_code: dict[str, list] = {}
    for f in sorted(audit.findings, key=lambda f: min((e.start for e in f.evidence), default=0)):
        by_code.setdefault(f.code, []).append(f)
    expected = []
    for code, found in by_code.items():
        starts = [s for s, _ in sorted({(e.start, e.end) for f in found for e in f.evidence})]
        line, col = line_col(RISKY, starts[0]) if starts else (1, 1)
        block = [f"{draft}:{line}:{col}: {found[0].severity} {code} {found[0].message}"]
        if len(starts) > 1:
            block += [f"    {'{}:{}'.format(*line_col(RISKY, s))} " for s in starts]
        expected.append((starts[0] if starts else 0, block, found[0].suggestion))
    expected.sort(key=lambda x: x[0])
    lines = as_text.stdout.splitlines()
    n = sum(len(block) + 1 for _, block, _ in expected)
    got = iter(lines[:n])
    for _, block, suggestion in expected:
        assert next(got) == block[0]
        for position in block[1:]:
            assert next(got).startswith(position + '"')
        assert next(got) == f"    suggestion: {suggestion}"
    linter = [x for x in lines[:n] if not x.startswith("    ")]
    assert lines[n] == ""  # then a blank line and the summary
    positions = [tuple(map(int, x[len(str(draft)) + 1 :].split(":")[:2])) for x in linter]
    assert positions == sorted(positions)  # in text order
    assert any(x.startswith(f"{draft}:3:") and " error CMP001 " in x for x in linter)
    assert all(
        re.fullmatch(r".+:\d+:\d+: (error|warning|info) [A-Z]{2,5}\d{3} .+", x) for x in linter
    )

    summary = lines[n + 1 :]
    assert summary[0] == f"score {audit.score}/100  verdict {audit.verdict}"
    assert audit.compliance == "risk" and audit.score is not None and audit.score <= 40
    assert summary[1] == "compliance: risk (a gate: the report is weak, its score at most 40)"
    marks = {re.sub(r" \(.*\)$", "", x[6:]): x[3] == "x" for x in summary[2:]}
    assert marks == {
        "situation": audit.star.situation,
        "action": audit.star.action,
        "result": audit.star.result,
        "focus 1-2": 1 <= len(audit.focus_competencies) <= 2,
        "next objective": audit.next_objective.present,
        "SMART": audit.next_objective.smart,
        "observed behaviour": audit.signals.observed_behavior,
        "reinforcement": audit.signals.reinforcement,
        "rep's voice": audit.signals.dialogue,
    }


def test_check_stdin_without_error_findings_exits_0(cli: Cli) -> None:
    result = cli("check", "-", input=CLEAN)
    assert result.exit_code == 0, result.output
    for line in result.stdout.splitlines():
        if re.match(r"-:\d+:\d+: ", line):
            assert " error " not in line
    assert re.search(r"^score \d+/100  verdict (strong|adequate|weak)$", result.stdout, re.M)


def test_check_refuses_unusable_input(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    result = cli("check", str(empty), *RULES_ONLY)
    assert result.exit_code == 2
    assert (
        result.stderr == f"auditor: {empty}: empty report: the text is empty or whitespace only\n"
    )
    missing = cli("check", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2 and "no such file or directory" in missing.stderr


def test_audit_writes_results_and_summary_with_exact_offsets(cli: Cli, tmp_path: Path) -> None:
    src = tmp_path / "batch.jsonl"
    records = [
        {"id": "u-1", "text": UNICODE, "region": "EMEA-FR"},
        {"id": "u-2", "text": RISKY.replace("\n", "\r\n")},
        {"id": "u-3", "text": CLEAN, "rep_level": "new"},
    ]
    src.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    out = tmp_path / "out"
    result = cli("audit", str(src), "--out", str(out), "--quiet", *RULES_ONLY)
    assert result.exit_code == 0, result.output
    audits = [
        ReportAudit.model_validate_json(x)
        for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [a.id for a in audits] == ["u-1", "u-2", "u-3"]
    with (out / "results.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["u-1", "u-2", "u-3"]
    assert [r["verdict"] for r in rows] == [a.verdict for a in audits]
    assert [r["score"] for r in rows] == [str(a.score) for a in audits]
    assert [r["compliance"] for r in rows] == [a.compliance for a in audits]
    assert rows[0]["region"] == "EMEA-FR"

    assert re.search(r"^reports\s+3$", result.stdout, re.M)
    assert re.search(r"^failed \(error\)\s+0$", result.stdout, re.M)
    for verdict in ("strong", "adequate", "weak"):
        n = sum(a.verdict == verdict for a in audits)
        assert re.search(rf"^{verdict}\s+{n}\s", result.stdout, re.M)
    assert f"results: {out / 'results.jsonl'}" in result.stdout

    for audit, record in zip(audits, records, strict=True):
        assert audit.text == record["text"]
        evidence = all_evidence(audit)
        assert evidence
        for e in evidence:
            assert record["text"][e.start : e.end] == e.text, (audit.id, e)
    assert any(e.start > UNICODE.index("🏥") for e in all_evidence(audits[0]))


def test_evidence_offsets_on_corpus_reports(engine) -> None:
    records = list(itertools.islice(read_inputs([str(CORPUS)]), 40))
    n = 0
    for record, audit in zip(records, engine.audit_stream(records), strict=True):
        for e in all_evidence(audit):
            assert record.text[e.start : e.end] == e.text, (audit.id, e)
            n += 1
    assert n > 100
