"""`auditor regions --export DIR`: the region, manager and rep tables as CSV and tables.xlsx,
read back with csv and openpyxl, carry the JSON output's figures; formula-like text is escaped.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from cli_support import RULES_ONLY, Cli
from openpyxl import load_workbook
from test_ratings_leniency import LENIENT, SETTINGS, rated_audits

from auditor.io.exports import WORKBOOK, export_tables, safe_cell, table_rows
from auditor.schema import ReportAudit
from auditor.stats import analyse_audits, tables

NOUNS = ("regions", "managers", "reps")


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _sheet(path: Path, name: str) -> list[dict[str, object]]:
    book = load_workbook(path, read_only=True)
    rows = [list(r) for r in book[name].iter_rows(values_only=True)]
    book.close()
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-m", "'-m"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("m-1", "m-1"),
        (-0.25, -0.25),
        (None, None),
    ],
)
def test_formula_like_text_is_escaped(value, written) -> None:
    assert safe_cell(value) == written


def test_tables_read_back_with_the_json_figures(rules, tmp_path: Path) -> None:
    audits = rated_audits()
    audits.append(
        ReportAudit(
            id="evil",
            metadata={"region": "=cmd|' /C calc'!A0", "manager": "@m", "rep": "+r"},
            score=40,
            verdict="weak",
        )
    )
    analysis = analyse_audits(audits, rules, SETTINGS, by="region")
    reports = tables(analysis, SETTINGS)
    assert reports["region"] is analysis.report  # the report already made is reused
    written = export_tables(reports, tmp_path / "out")
    assert [p.name for p in written] == [f"{n}.csv" for n in NOUNS] + [WORKBOOK]

    managers = reports["manager"]
    csv_rows = _csv(tmp_path / "out" / "managers.csv")
    xlsx_rows = _sheet(tmp_path / "out" / WORKBOOK, "managers")
    assert len(csv_rows) == len(xlsx_rows) == len(managers.groups)
    assert managers.leniency is not None
    lenient = {(m.region, m.manager): m for m in managers.leniency.managers}
    for group, c, x in zip(managers.groups, csv_rows, xlsx_rows, strict=True):
        assert c["manager"] == safe_cell(group.name) == x["manager"]
        assert float(c["mean_score"]) == group.mean_score == x["mean_score"]
        assert (x["score_ci_low"], x["score_ci_high"]) == (group.score_ci or (None, None))
        assert x["check_pass_rates.OBS001"] == group.check_pass_rates["OBS001"]
        assert x["small_sample"] is group.small_sample
        m = lenient.get((group.region or "", group.name))
        if m is not None:
            assert x["leniency.leniency"] == m.leniency
            assert x["leniency.call"] == c["leniency.call"] == m.call
    calls = {x["manager"]: x["leniency.call"] for x in xlsx_rows}
    assert calls[LENIENT] == "lenient"
    assert calls["'@m"] is None  # an unrated manager: empty leniency cells
    # Formula-like names come back as text, never as formulas.
    regions = _sheet(tmp_path / "out" / WORKBOOK, "regions")
    assert "'=cmd|' /C calc'!A0" in [r["region"] for r in regions]
    assert "'+r" in [r["rep"] for r in _csv(tmp_path / "out" / "reps.csv")]
    book = load_workbook(tmp_path / "out" / WORKBOOK)
    assert all(cell.data_type != "f" for ws in book for row in ws.iter_rows() for cell in row)
    # The region table has no leniency columns; the rep table groups by rep within region.
    assert not any(k.startswith("leniency") for k in table_rows(reports["region"])[0])
    assert {r["rep"] for r in _csv(tmp_path / "out" / "reps.csv")} >= {"unknown"}


CSV_EXPORT = "Id,Comments,Manager,Territory,Overall Rating,Discovery Rating\n" + "".join(
    f'r{i},"{text}",{manager},North,{rating},{disc}\n'
    for i, (text, manager, rating, disc) in enumerate(
        [
            ("Good day overall, the rep seems motivated and has potential.", "m-a", "5", ""),
            (
                "I observed that you asked Dr Lee 'what do you see in your newly diagnosed "
                "patients?' before showing any data.",
                "m-a",
                "Meets",
                "Exceeds",
            ),
            ("Great day in the field, thanks for the effort. Keep it up.", "m-b", "1", "n/a"),
            ("You presented the efficacy data. Next time ask more questions.", "m-b", "", ""),
        ]
    )
)


def test_cli_regions_with_rating_columns_and_export(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(CSV_EXPORT, encoding="utf-8")
    out = tmp_path / "tables"
    result = cli(
        "regions",
        str(export),
        "--map",
        "rating=Overall Rating",
        "--map",
        "rating.customer_discovery=Discovery Rating",
        "--by",
        "manager",
        "--format",
        "json",
        "--export",
        str(out),
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    leniency = data["leniency"]
    assert leniency["n_rated"] == 3
    assert [(m["manager"], m["n"], m["call"]) for m in leniency["managers"]] == [
        ("m-a", 2, "too few reports"),
        ("m-b", 1, "too few reports"),
    ]
    assert (leniency["lenient"], leniency["harsh"]) == ([], [])
    rows = {r["manager"]: r for r in _csv(out / "managers.csv")}
    for group in data["groups"]:
        assert float(rows[group["name"]]["mean_score"]) == group["mean_score"]
        assert rows[group["name"]]["leniency.n"] == str(
            next(m["n"] for m in leniency["managers"] if m["manager"] == group["name"])
        )
    assert _sheet(out / WORKBOOK, "managers")[0]["manager"] == "m-a"
    assert f"tables: {out / 'regions.csv'}" in result.stderr


def test_cli_rating_findings_and_warnings_in_audit(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(CSV_EXPORT, encoding="utf-8")
    out = tmp_path / "out"
    maps = ("--map", "rating=Overall Rating", "--map", "rating.customer_discovery=Discovery Rating")
    result = cli("audit", str(export), "--out", str(out), "--quiet", *maps, *RULES_ONLY)
    assert result.exit_code == 0, result.output
    audits = {
        a["id"]: a
        for a in map(json.loads, (out / "results.jsonl").read_text(encoding="utf-8").splitlines())
    }
    codes = {
        rid: {f["code"] for f in a["findings"]} & {"RAT001", "RAT002"} for rid, a in audits.items()
    }
    # r0: a 5 on an impression; r1: "Exceeds" on discovery the narrative does not mention;
    # r2: a 1 with no reason; r3: no rating at all.
    assert codes == {"r0": {"RAT001"}, "r1": {"RAT001"}, "r2": {"RAT002"}, "r3": set()}
    assert audits["r1"]["metadata"]["ratings"] == {
        "overall": "Meets",
        "customer_discovery": "Exceeds",
    }
    assert any("'n/a' is on none of the rating scales" in w for w in audits["r2"]["warnings"])
    # Kept as exported; the checks and leniency ignore a value on no scale.
    assert audits["r2"]["metadata"]["ratings"] == {"overall": "1", "customer_discovery": "n/a"}


def test_export_into_a_file_is_refused(cli: Cli, tmp_path: Path, rules) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text(
        "".join(a.model_dump_json() + "\n" for a in rated_audits()[:40]), encoding="utf-8"
    )
    blocker = tmp_path / "taken"
    blocker.write_text("x", encoding="utf-8")
    result = cli("regions", str(results), "--export", str(blocker))
    assert result.exit_code == 2
    assert "is a file" in result.stderr
    result = cli("regions", str(results), "--export", str(blocker / "sub"))
    assert result.exit_code == 2
    assert result.stderr.startswith("auditor: --export ")
