"""`auditor regions` and the dashboard that `auditor audit` writes: formats, exits, escaping."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.schema import Finding, ReportAudit, Signals

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "sample_reports" / "dev.jsonl"
NO_SIGNALS = dict.fromkeys(Signals.model_fields, False)
SCRIPT = '<script>window.__pwned = 1</script> & "quotes"'


def _audit(
    rid: str,
    region: str,
    manager: str,
    day: str,
    score: int,
    signals: tuple[str, ...] = (),
    text: str = "Report text.",
) -> ReportAudit:
    findings = (
        [
            Finding(
                code="JUD001",
                name="judgemental-language",
                severity="error",
                message=f'Judgemental language: "{text[:12]}".',
                suggestion="describe",
                evidence=[{"start": 0, "end": min(8, len(text)), "text": text[:8]}],
            )
        ]
        if "judgmental" in signals
        else []
    )
    return ReportAudit(
        id=rid,
        metadata={"region": region, "manager": manager, "date": day},
        score=score,
        verdict="weak" if score < 45 else "adequate",
        focus_competencies=["messaging"],
        aligned_priorities=["market_access"],
        findings=findings,
        signals=Signals(**{**NO_SIGNALS, **dict.fromkeys(signals, True)}),
        text=text,
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results.jsonl with a planted judgemental manager, one failed record, a <script> text."""
    lines = []
    for region in ("North", "South", "West"):
        for m in (1, 2, 3):
            manager = f"m-{region[0]}{m}"
            for i in range(10):
                judge = manager == "m-S3" and i < 9
                lines.append(
                    _audit(
                        f"{manager}-{i}",
                        region,
                        manager,
                        f"2025-{1 + i % 6:02d}-10",
                        70 + i % 4,
                        ("judgmental",) if judge else (),
                    )
                )
    lines.append(_audit("evil", "North", "m-N1", "2025-03-03", 5, ("judgmental",), SCRIPT))
    lines.append(ReportAudit(id="broken", metadata={"region": "West"}, error="empty report"))
    path = tmp_path_factory.mktemp("regions") / "results.jsonl"
    path.write_text("".join(a.model_dump_json() + "\n" for a in lines), encoding="utf-8")
    return path


def _page_script_only(html: str) -> bool:
    """True when the only <script> is the dashboard's own (the period filter), with no URL."""
    lower = html.lower()
    if lower.count("<script") != 1:
        return False
    script = lower[lower.index("<script") : lower.index("</script>")]
    return "//" not in script and "src=" not in script


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_text_names_the_planted_manager_and_counts_errors(results: Path) -> None:
    code, out, _ = _run("regions", str(results))
    assert code == 0
    assert "m-S3 (South): judgemental language in 90% of 10 reports" in out
    assert "92 reports (1 failed), 3 regions" in out
    assert "1 of 92 report(s) could not be audited" in out


def test_json_contract_and_grouping_options(results: Path) -> None:
    code, out, _ = _run("regions", str(results), "--format", "json", "--min-group-size", "5")
    assert code == 0
    data = json.loads(out)
    assert [g["name"] for g in data["groups"]] == ["North", "South", "West"]
    assert all(not g["small_sample"] for g in data["groups"])
    assert data["n_errors"] == 1 and data["groups"][2]["errors"] == 1
    assert {"index", "icc", "kruskal_p", "most_divergent_checks"} <= data["consistency"].keys()
    assert any(
        o["manager"] == "m-S3" and o["reason"] == "judgmental_rate" for o in data["outliers"]
    )

    data = json.loads(_run("regions", str(results), "--format", "json", "--by", "manager")[1])
    assert len(data["groups"]) == 10 and all(g["small_sample"] for g in data["groups"])
    unknown = data["groups"][-1]  # the failed record has a region but no manager
    assert (unknown["name"], unknown["region"], unknown["n"], unknown["errors"]) == (
        "unknown",
        "West",
        0,
        1,
    )
    data = json.loads(
        _run("regions", str(results), "--format", "json", "--by", "period", "--period", "month")[1]
    )
    assert [g["name"] for g in data["groups"]][:2] == ["2025-01", "2025-02"]
    assert data["trends"]["period"] == "month"


def test_html_is_self_contained_and_escapes_report_text(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "dash.html"
    code, _, err = _run("regions", str(results), "--format", "html", "--out", str(out))
    assert code == 0 and str(out) in err
    html = out.read_text(encoding="utf-8")
    assert _page_script_only(html)  # the report's <script> is text
    assert 'id="follow-through"' not in html  # no audit carries a follow-through status
    # the evidence highlight splits the text after "<script>"; both parts are escaped
    assert "&lt;script&gt;</mark>window.__pwned = 1&lt;/script&gt; &amp; &#34;quotes&#34;" in html
    assert 'title="JUD001: Judgemental language: &#34;&lt;script&gt;wind&#34;."' in html
    assert not re.search(r"(?:https?:)?//[a-z0-9]", html, re.IGNORECASE)  # no external URLs
    assert not re.search(r"""(?:src|href)=["'](?!#)""", html)  # links are in-page anchors only
    anchors = set(re.findall(r'id="(report-[^"]+)"', html))
    assert anchors and anchors == set(re.findall(r'href="#(report-[^"]+)"', html))
    assert html.count("<svg") >= 5 and "@media print" in html


def test_region_aliases_in_json_and_text(tmp_path: Path) -> None:
    lines = [
        _audit(f"{region}-{i}", region, f"m-{i % 2}", "2025-02-10", 70 + i)
        for region in ("EMEA-UK", "UK-IE", "EU-UK", "NA-East")
        for i in range(4)
    ]
    path = tmp_path / "results.jsonl"
    path.write_text("".join(a.model_dump_json() + "\n" for a in lines), encoding="utf-8")
    data = json.loads(_run("regions", str(path), "--format", "json")[1])
    assert {g["name"]: g["n"] for g in data["groups"]} == {"EMEA-UK": 12, "NA-East": 4}
    assert data["region_aliases"] == {"EMEA-UK": ["EU-UK", "UK-IE"]}
    code, out, _ = _run("regions", str(path))
    assert code == 0 and "Regions merged: EMEA-UK = EMEA-UK + EU-UK, UK-IE" in out


def test_unusable_input_exits_2(tmp_path: Path) -> None:
    code, _, err = _run("regions", str(tmp_path / "missing.jsonl"))
    assert code == 2 and err.startswith("auditor: ") and len(err.strip().splitlines()) == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    code, _, err = _run("regions", str(empty))
    assert code == 2 and "no reports" in err


def test_audit_writes_the_dashboard_and_regions_reads_raw_reports(tmp_path: Path) -> None:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:6]
    evil = {
        "id": "evil",
        "region": "North",
        "manager": "m-x",
        "date": "2025-01-02",
        "text": f"You were lazy. {SCRIPT}",
    }
    raw = tmp_path / "raw.jsonl"
    raw.write_text("\n".join(lines + [json.dumps(evil)]) + "\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    code, out, _ = _run("audit", str(raw), "--out", str(out_dir), "--quiet")
    assert code == 0
    dashboard = out_dir / "dashboard.html"
    assert f"dashboard: {dashboard}" in out and dashboard.is_file()
    html = dashboard.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned" in html and _page_script_only(html)

    code, out, _ = _run("regions", str(raw), "--format", "json", "--quiet")
    assert code == 0
    data = json.loads(out)
    assert data["n_reports"] == 7 and data["n_errors"] == 0
    assert sum(g["n"] for g in data["groups"]) == 7
