"""Reports in another language: a status instead of a verdict, counted; mixed ones warned."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import RULES_ONLY, Cli
from fastapi.testclient import TestClient
from language_samples import LONG, MIXED

from auditor.api import create_app
from auditor.io.summary import RunTally
from auditor.schema import Report, ReportAudit

FRENCH = "report is in French (fr); this rule pack covers English (en)"


def test_engine_gives_a_french_report_a_status_not_a_verdict(engine) -> None:
    audit = engine.audit(Report(id="fr-1", text=LONG["fr"], metadata={"region": "FR"}))
    assert audit.status == "unsupported_language"
    assert audit.language == "fr"
    assert audit.error == FRENCH
    assert (audit.score, audit.verdict, audit.findings, audit.star) == (None, None, [], None)
    assert audit.metadata == {"region": "FR"}


def test_engine_audits_english_and_mixed_reports(engine) -> None:
    english, mixed = engine.audit_stream(
        [Report(id="en", text=LONG["en"]), Report(id="mix", text=MIXED, warnings=["w"])]
    )
    assert (english.status, english.language, english.warnings) == ("audited", "en", [])
    assert english.verdict is not None
    assert (mixed.status, mixed.language, mixed.verdict is not None) == ("audited", "en", True)
    assert mixed.warnings[0] == "w"
    assert mixed.warnings[1].startswith("report is partly in German (de)")


def test_error_records_have_status_error() -> None:
    assert ReportAudit(id="x", error="empty report").status == "error"
    assert ReportAudit(id="x").status == "audited"


def test_summary_counts_unsupported_languages() -> None:
    tally = RunTally()
    tally.add(ReportAudit(id="a", score=80, verdict="adequate", language="en"))
    for rid, code in (("f1", "fr"), ("f2", "fr"), ("d1", "de")):
        tally.add(ReportAudit(id=rid, language=code, status="unsupported_language", error="x"))
    text = tally.text(1.0)
    assert tally.counts["error"] == 3
    assert "unsupported language         3  (fr 2, de 1)" in text


def test_audit_command_counts_and_exits_1(cli: Cli, tmp_path: Path) -> None:
    records = [
        {"id": "en-1", "text": LONG["en"]},
        {"id": "fr-1", "text": LONG["fr"]},
        {"id": "ja-1", "text": LONG["ja"]},
        {"id": "mix-1", "text": MIXED},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = cli("audit", str(src), "--out", str(tmp_path / "out"), *RULES_ONLY)
    assert result.exit_code == 1  # as with any record that could not be audited
    assert "unsupported language         2  (fr 1, ja 1)" in result.stdout
    assert "report is in French: 1 (fr-1)" in result.stdout
    lines = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    out = {d["id"]: d for d in map(json.loads, lines)}
    assert out["fr-1"]["status"] == "unsupported_language"
    assert out["ja-1"]["error"] == (
        "report is in Japanese (ja); this rule pack covers English (en)"
    )
    assert out["mix-1"]["verdict"] and "German (de)" in out["mix-1"]["warnings"][0]
    assert (out["en-1"]["status"], out["en-1"]["warnings"]) == ("audited", [])


def test_check_command_refuses_a_french_draft(cli: Cli, tmp_path: Path) -> None:
    draft = tmp_path / "brouillon.txt"
    draft.write_text(LONG["fr"], encoding="utf-8")
    result = cli("check", str(draft), *RULES_ONLY)
    assert result.exit_code == 2  # a file that could not be checked
    assert FRENCH in result.stderr


def test_api_refuses_a_french_draft_with_its_language(engine) -> None:
    client = TestClient(create_app(engine=engine))
    response = client.post("/api/check", json={"text": LONG["fr"]})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "unsupported_language"
    assert body["message"] == FRENCH
    assert body["fields"][0]["loc"] == ["body", "text"]
    mixed = client.post("/api/check", json={"text": MIXED})
    assert mixed.status_code == 200
    assert mixed.json()["language"] == "en"
    assert "German (de)" in mixed.json()["warnings"][0]


def test_english_corpus_reports_are_audited_as_before(engine) -> None:
    """Only `language` and `status` are new on them: no report is refused or warned about."""
    path = Path(__file__).resolve().parent.parent / "corpus" / "sample_reports" / "test.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    reports = [Report(id=r["id"], text=r["text"]) for r in records]
    audits = list(engine.audit_stream(reports))
    assert {(a.status, a.language) for a in audits} == {("audited", "en")}
    # The only warnings are on the few reports partly written in another language.
    warned = {a.id: a.warnings for a in audits if a.warnings}
    assert all(len(w) == 1 and w[0].startswith("report is partly in") for w in warned.values())
    assert len(warned) <= 3, sorted(warned)


def test_reports_written_in_other_languages_get_a_language_status(engine) -> None:
    """Real-shaped Spanish, French and Portuguese reports (docs/labels.md) are never given an
    English verdict."""
    path = Path(__file__).resolve().parent.parent / "corpus" / "language" / "other_languages.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    audits = list(engine.audit_stream([Report(id=r["id"], text=r["text"]) for r in records]))
    assert len(audits) == 31
    assert {a.status for a in audits} == {"unsupported_language"}
    assert {a.language for a in audits} <= {"es", "fr", "pt"}
    assert all(a.score is None and a.verdict is None for a in audits)
