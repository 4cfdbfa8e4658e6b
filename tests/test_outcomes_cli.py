"""`auditor outcomes` through click's runner: formats, claims, bad KPI rows, exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import RULES_ONLY, Cli
from outcomes_fixtures import Fixture, write_fixture

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "sample_reports" / "dev.jsonl"
VALUE = ("--kpi-map", "value=pct_to_goal")
CAVEAT = "This is an association, not proof that coaching caused the change"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """Synthetic audits and KPIs where the KPI rises more after better-scored coaching."""
    return write_fixture(tmp_path_factory.mktemp("planted"), seed=1, effect=1.0)


@pytest.fixture(scope="module")
def null(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """The same design without any effect of coaching on the KPI."""
    return write_fixture(tmp_path_factory.mktemp("null"), seed=1, effect=0.0)


def test_planted_effect_is_claimed_in_text(cli: Cli, planted: Fixture) -> None:
    result = cli("outcomes", str(planted.results), "--kpi", str(planted.kpi), *VALUE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Coaching and pct_to_goal: 280 pairs from 40 reps")
    assert "After periods with a higher mean coaching score, pct_to_goal tended to rise more" in out
    assert CAVEAT in out
    assert "rep-clustered percentile bootstrap (2000 resamples)" in out


def test_no_effect_makes_no_claim_in_json(cli: Cli, null: Fixture) -> None:
    result = cli("outcomes", str(null.results), "--kpi", str(null.kpi), *VALUE, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["claimed"] is False
    assert report["claims"] == [
        "No measure shows a clear association with the next period's change in pct_to_goal."
    ]
    assert report["pairs"] == 280 and report["units"] == 40
    scores = next(a for a in report["associations"] if a["measure"] == "mean_score")
    assert scores["status"] == "unclear" and scores["low"] < 0 < scores["high"]
    assert report["caveat"].startswith(CAVEAT)


def test_planted_effect_in_json_and_quarters(cli: Cli, planted: Fixture) -> None:
    result = cli(
        "outcomes",
        str(planted.results),
        "--kpi",
        str(planted.kpi),
        *VALUE,
        "--kpi-name",
        "percent to goal",
        "--period",
        "quarter",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # Eight months fall in three quarters: two pairs per rep (Q1 -> Q2, Q2 -> Q3).
    assert report["period"] == "quarter" and report["periods"] == ["2025-Q1", "2025-Q2"]
    assert report["pairs"] == 80 and report["kpi"] == "percent to goal"


def test_html_is_self_contained_and_escaped(cli: Cli, planted: Fixture, tmp_path: Path) -> None:
    out = tmp_path / "outcomes.html"
    result = cli(
        "outcomes",
        str(planted.results),
        "--kpi",
        str(planted.kpi),
        *VALUE,
        "--kpi-name",
        "<script>x()</script>",
        "--format",
        "html",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"html: {out}"
    page = out.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;x()&lt;/script&gt;" in page
    assert "http://" not in page and "https://" not in page
    assert "tended to rise more" in page and "association, not proof" in page
    assert page.count('<g class="rises">') == 2  # mean score and share strong


def test_bad_kpi_rows_are_reported_and_the_rest_used(
    cli: Cli, planted: Fixture, tmp_path: Path
) -> None:
    kpi = tmp_path / "kpi.csv"
    text = planted.kpi.read_text(encoding="utf-8")
    kpi.write_text(text + ",2025-03,90\nR001,sometime,90\nR002,2025-09,n/a\n", encoding="utf-8")
    result = cli("outcomes", str(planted.results), "--kpi", str(kpi), *VALUE)
    assert result.exit_code == 0, result.output
    assert "auditor: 3 KPI row(s) not used" in result.stderr
    assert f"KPI row not used: {kpi}:row322: no rep" in result.stdout
    assert f"KPI row not used: {kpi}:row323: unreadable period 'sometime'" in result.stdout
    assert f"KPI row not used: {kpi}:row324: value 'n/a' is not a number" in result.stdout
    assert "280 pairs from 40 reps" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--kpi-map", "value=NOPE"), "no column for the KPI's value ('NOPE')"),
        (("--kpi-map", "colour=x"), "--kpi-map 'colour=x': expected FIELD=COLUMN"),
        (("--by", "territory"), "no column for the KPI's territory ('territory')"),
    ],
)
def test_unusable_kpi_options_exit_2(
    cli: Cli, planted: Fixture, args: tuple[str, ...], message: str
) -> None:
    result = cli("outcomes", str(planted.results), "--kpi", str(planted.kpi), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_kpi_file_exits_2(cli: Cli, planted: Fixture, tmp_path: Path) -> None:
    result = cli("outcomes", str(planted.results), "--kpi", str(tmp_path / "none.csv"))
    assert result.exit_code == 2
    assert "no such KPI file" in result.stderr


def test_raw_reports_are_audited_first_and_a_small_sample_makes_no_claim(
    cli: Cli, tmp_path: Path
) -> None:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()[:12]]
    reports = tmp_path / "reports.jsonl"
    reports.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    kpi = tmp_path / "kpi.jsonl"
    lines = []
    for r in rows:
        month = int(r["date"][5:7])
        for m in (month, month % 12 + 1):
            lines.append({"rep": r["rep"], "period": f"{r['date'][:4]}-{m:02d}", "value": 80 + m})
    kpi.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    result = cli("outcomes", str(reports), "--kpi", str(kpi), "--quiet", *RULES_ONLY)
    assert result.exit_code == 0, result.output
    assert "Reports: 12 used, 0 not audited, 0 without a rep, 0 undated." in result.stdout
    assert "No statement on mean coaching score:" in result.stdout
    assert "No measure shows a clear association" in result.stdout
    assert CAVEAT in result.stdout


def test_by_territory_joins_on_the_territory_field(
    cli: Cli, planted: Fixture, tmp_path: Path
) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text(
        planted.results.read_text(encoding="utf-8").replace('"rep": ', '"territory": '),
        encoding="utf-8",
    )
    kpi = tmp_path / "kpi.csv"
    kpi.write_text(
        planted.kpi.read_text(encoding="utf-8").replace("rep,", "TERR,", 1), encoding="utf-8"
    )
    result = cli(
        "outcomes",
        str(results),
        "--kpi",
        str(kpi),
        "--by",
        "territory",
        "--kpi-map",
        "territory=terr",
        *VALUE,
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Coaching and pct_to_goal: 280 pairs from 40 territories")
    assert "tended to rise more" in result.stdout
