"""Coaching vs the next period's KPI change: planted effect recovered, no effect no claim."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from outcomes_fixtures import synthetic
from scipy import stats as sps

from auditor.config import ConfigError, OutcomeSettings, load_ruleset, load_settings
from auditor.io.kpi import parse_value, period_label, read_kpi
from auditor.stats import vocabulary
from auditor.stats.association import weighted_ranks
from auditor.stats.outcomes import (
    Association,
    KpiRow,
    KpiTable,
    OutcomesReport,
    analyse_outcomes,
    collect_coaching,
    next_period,
)

_LOADED = load_settings().outcomes
assert _LOADED is not None
SETTINGS: OutcomeSettings = _LOADED
COMPETENCIES = vocabulary(load_ruleset()).competencies


def _settings(**changes: object) -> OutcomeSettings:
    return SETTINGS.model_copy(update=changes)


def _report(
    seed: int, effect: float, settings: OutcomeSettings | None = None, **kw: int
) -> OutcomesReport:
    return _analysed(*synthetic(seed, effect, **kw), settings)


def _analysed(
    audits: list, kpi: list[dict[str, str]], settings: OutcomeSettings | None = None
) -> OutcomesReport:
    """The monthly outcomes of synthetic audits and KPI rows."""
    table = KpiTable(
        [KpiRow(r["rep"], r["month"], float(r["pct_to_goal"]), "kpi") for r in kpi],
        value_column="pct_to_goal",
    )
    return analyse_outcomes(
        collect_coaching(audits, "rep", "month"),
        table,
        settings or _settings(),
        COMPETENCIES,
        "rep",
        "month",
        "pct to goal",
    )


def _by(report: OutcomesReport) -> dict[str, Association]:
    return {a.measure: a for a in report.associations}


def test_planted_effect_is_recovered_with_the_right_sign() -> None:
    report = _report(seed=1, effect=1.0)
    mean_score = _by(report)["mean_score"]
    assert report.pairs == 40 * 7 and report.units == 40
    assert mean_score.status == "rises"
    assert 0 < mean_score.low < mean_score.rho < mean_score.high
    assert mean_score.difference_low > 0  # higher half rose more
    assert report.claimed and "tended to rise more" in report.claims[0]
    assert "association, not proof" in report.caveat
    # The competencies coached at random carry no effect and are not claimed.
    assert all(
        a.status != "rises" for a in report.associations if a.measure.startswith("competency:")
    )


def test_planted_negative_effect_is_recovered_as_falls() -> None:
    report = _report(seed=2, effect=-1.0)
    assert _by(report)["mean_score"].status == "falls"


def test_no_effect_makes_no_claim() -> None:
    report = _report(seed=1, effect=0.0)
    assert not report.claimed
    assert report.claims == [
        "No measure shows a clear association with the next period's change in pct to goal."
    ]
    assert {a.status for a in report.associations} <= {"unclear", "not_tested"}
    assert "association, not proof" in report.caveat


def test_false_claims_across_seeds_stay_near_the_nominal_rate() -> None:
    # 20 data sets without an effect: at 95% with Bonferroni over the measures, any claim at all
    # should come up about once in 20; three or more would mean the intervals are too narrow.
    settings = _settings(bootstrap=SETTINGS.bootstrap.model_copy(update={"resamples": 400}))
    claimed = [_report(100 + s, 0.0, settings, reps=25, months=6).claimed for s in range(20)]
    assert sum(claimed) <= 2, claimed


def test_too_small_a_sample_makes_no_claim_even_with_an_effect() -> None:
    report = _report(seed=1, effect=3.0, reps=6, months=4)
    assert not report.claimed
    assert {a.status for a in report.associations} == {"too_few"}
    assert "fewer than the 30 pairs from 10 reps needed" in report.associations[0].statement


def test_quarterly_values_cannot_be_split_into_months() -> None:
    audits, _ = synthetic(1, 0.0, reps=3, months=3)
    table = KpiTable([KpiRow("R000", "2025-Q1", 1.0, "k:row2")])
    report = analyse_outcomes(
        collect_coaching(audits, "rep", "month"),
        table,
        _settings(),
        COMPETENCIES,
        "rep",
        "month",
        "kpi",
    )
    assert report.kpi_problems == ["k:row2: quarter 2025-Q1 with --period month"]
    assert report.pairs == 0


def test_monthly_values_are_averaged_into_quarters() -> None:
    audits, kpi = synthetic(3, 1.0, reps=30, months=12)
    table = KpiTable([KpiRow(r["rep"], r["month"], float(r["pct_to_goal"]), "k") for r in kpi])
    coaching = collect_coaching(audits, "rep", "quarter")
    report = analyse_outcomes(coaching, table, _settings(), COMPETENCIES, "rep", "quarter", "k")
    assert report.periods == ["2025-Q1", "2025-Q2", "2025-Q3"]
    assert report.pairs == 30 * 3


@pytest.mark.parametrize(
    ("label", "kind", "after"),
    [
        ("2025-12", "month", "2026-01"),
        ("2025-Q4", "quarter", "2026-Q1"),
        ("2025-03", "month", "2025-04"),
    ],
)
def test_next_period(label: str, kind: str, after: str) -> None:
    assert next_period(label, kind) == after  # type: ignore[arg-type]  # a PeriodKind value


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("2025-02", "2025-02"),
        ("2025/2", "2025-02"),
        ("2025-02-17", "2025-02"),
        ("17/02/2025", "2025-02"),
        ("2025-Q3", "2025-Q3"),
        ("Q3 2025", "2025-Q3"),
        ("2025q1", "2025-Q1"),
        ("2025-13", None),
        ("March", None),
        ("03/04/2025", None),  # day/month order unknown
    ],
)
def test_period_labels(text: str, label: str | None) -> None:
    assert period_label(text) == label


@pytest.mark.parametrize(
    ("text", "value"),
    [("85.5", 85.5), ("85,5", 85.5), ("85.5 %", 85.5), ("-3", -3.0), ("n/a", None), ("inf", None)],
)
def test_kpi_values(text: str, value: float | None) -> None:
    assert parse_value(text) == value


@given(
    st.lists(st.integers(-5, 5), min_size=3, max_size=30),
    st.lists(st.integers(0, 3), min_size=30, max_size=30),
)
def test_weighted_ranks_equal_ranks_of_the_expanded_data(
    values: list[int], weights: list[int]
) -> None:
    v = np.array(values, dtype=float)
    w = np.array(weights[: v.size], dtype=float)
    expanded = np.repeat(v, w.astype(int))
    ranks = weighted_ranks(v, w[None, :])[0]
    if expanded.size:
        want = dict(zip(expanded.tolist(), sps.rankdata(expanded).tolist(), strict=True))
        assert all(ranks[i] == want[v[i]] for i in range(v.size) if w[i] > 0)


def test_bad_kpi_rows_are_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "kpi.csv"
    path.write_text(
        "REP_ID,MONTH,PCT\nR1,2025-01,90\n,2025-01,91\nR2,someday,92\nR3,2025-02,lots\n\nR4,2025-02,80%\n",
        encoding="utf-8",
    )
    table = read_kpi(path, "rep", {"rep": ("REP_ID",), "period": ("MONTH",), "value": ("PCT",)})
    assert [(r.unit, r.period, r.value) for r in table.rows] == [
        ("R1", "2025-01", 90.0),
        ("R4", "2025-02", 80.0),
    ]
    assert [str(p) for p in table.problems] == [
        f"{path}:row3: no rep",
        f"{path}:row4: unreadable period 'someday'",
        f"{path}:row5: value 'lots' is not a number",
    ]
    assert table.value_column == "PCT"


def test_kpi_json_lines_with_a_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "kpi.jsonl"
    path.write_text(
        '{"rep": "R1", "period": "2025-Q1", "value": 3}\n{broken\n[1, 2]\n'
        '{"rep": "R2", "period": "2025-Q2", "value": 4.5}\n',
        encoding="utf-8",
    )
    table = read_kpi(path, "rep")
    assert [(r.unit, r.period, r.value) for r in table.rows] == [
        ("R1", "2025-Q1", 3.0),
        ("R2", "2025-Q2", 4.5),
    ]
    assert [p.where for p in table.problems] == [f"{path}:row2", f"{path}:row3"]
    assert "malformed JSON" in table.problems[0].reason
    assert table.problems[1].reason == "not a JSON object"


CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(st.lists(st.tuples(CELL, CELL, CELL), max_size=12))
def test_no_kpi_row_is_lost_or_crashes(rows: list[tuple[str, str, str]]) -> None:
    # Every CSV line with content becomes a usable row or a problem; nothing raises.
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rep", "period", "value"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kpi.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        table = read_kpi(path, "rep")
    records = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))[1:]
    with_content = [r for r in records if any(c.strip() for c in r)]
    assert len(table.rows) + len(table.problems) == len(with_content)
    assert all(r.unit.strip() and r.period for r in table.rows)


def test_kpi_workbook(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Rep", "Month", "NBRx"])
    sheet.append(["R1", "2025-01", 12])
    sheet.append(["R1", None, 13])
    path = tmp_path / "kpi.xlsx"
    book.save(path)
    table = read_kpi(path, "rep", {"rep": ("rep",), "period": ("month",), "value": ("nbrx",)})
    assert [(r.unit, r.period, r.value) for r in table.rows] == [("R1", "2025-01", 12.0)]
    assert [str(p) for p in table.problems] == [f"{path}:row3: unreadable period ''"]
    assert table.value_column == "NBRx"


def test_a_pack_without_outcome_settings_uses_the_bundled_ones(tmp_path: Path) -> None:
    bundled = (Path(__file__).resolve().parent.parent / "rules" / "stats.yaml").read_text(
        encoding="utf-8"
    )
    (tmp_path / "stats.yaml").write_text(bundled.split("\noutcomes:")[0], encoding="utf-8")
    assert load_settings(tmp_path).outcomes == SETTINGS
    (tmp_path / "stats.yaml").write_text(
        bundled.replace("    reports: number of coaching reports", "    calls: calls"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="unknown or no measure"):
        load_settings(tmp_path)


def test_a_measure_with_a_handful_of_pairs_on_one_side_is_not_tested() -> None:
    # Almost every rep-month has one report; three have two. Any interval of "number of reports"
    # would rest on those three pairs, so it is not tested (it once made a false claim).
    audits, kpi = synthetic(3, 0.0)
    extra = {"R000-1-1", "R001-2-1", "R002-3-1"}
    report = _analysed([a for a in audits if a.id.endswith("-0") or a.id in extra], kpi)
    reports = _by(report)["reports"]
    assert reports.status == "not_tested"
    assert "above 1" in reports.statement and "at least 10 of each" in reports.statement
    assert _by(report)["mean_score"].status in ("unclear", "rises", "falls")  # still tested
