"""Statistics over hand-built audits with answers computed by hand (no spaCy)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from auditor.config import ConfigError, RegionAlias, StatsSettings, load_settings
from auditor.io.results import is_results_file, read_results
from auditor.render.text import iter_text_report
from auditor.schema import Finding, FollowThrough, ReportAudit, Signals
from auditor.stats import Collector, Record, Vocabulary, analyse, compact, vocabulary
from auditor.stats.analysis import period_of
from auditor.stats.measures import (
    between_share,
    bootstrap_mean_ci,
    holm,
    icc1,
    jensen_shannon,
    kruskal_p,
    mean_difference_ci,
    rate_difference_ci,
)

VOCAB = Vocabulary(
    checks={"C1": "check-one", "C2": "check-two"},
    competencies={"x": "X skill", "y": "Y skill"},
    active_priorities={"p": "Priority P"},
    serving=frozenset({"x"}),
    weights={"C1": 10, "C2": 5},
)
NO_SIGNALS = dict.fromkeys(Signals.model_fields, False)


def audit(
    rid: str,
    region: str | None = "A",
    manager: str | None = "m1",
    day: str | None = "2025-01-15",
    score: int = 70,
    failed: tuple[str, ...] = (),
    focus: tuple[str, ...] = (),
    aligned: tuple[str, ...] = (),
    signals: tuple[str, ...] = (),
    error: str | None = None,
    text: str = "text",
) -> ReportAudit:
    """A ReportAudit as the engine would write it, built by hand."""
    meta = {k: v for k, v in (("region", region), ("manager", manager), ("date", day)) if v}
    if error:
        return ReportAudit(id=rid, metadata=meta, error=error)
    findings = [
        Finding(
            code=c,
            name=VOCAB.checks.get(c, c),
            severity="warning",
            message=f"{c} failed",
            suggestion="fix it",
        )
        for c in failed
    ]
    return ReportAudit(
        id=rid,
        metadata=meta,
        score=score,
        verdict="weak" if score < 45 else "adequate",
        focus_competencies=list(focus),
        aligned_priorities=list(aligned),
        findings=findings,
        signals=Signals(**{**NO_SIGNALS, **dict.fromkeys(signals, True)}),
        text=text,
    )


@pytest.fixture(scope="module")
def settings() -> StatsSettings:
    """Bundled settings, made exact for hand computation (no noise correction)."""
    return load_settings().model_copy(update={"null_permutations": 0, "min_group_size": 3})


def records(audits: list[ReportAudit]) -> list[Record]:
    """Compact records of audits."""
    return [compact(a) for a in audits]


# -- formulas with known answers --------------------------------------------------------------
def test_icc1_matches_hand_computation() -> None:
    # grand mean 3.5; SSB = 3(1.5^2) * 2 = 13.5 -> MSB 13.5; SSW = 2 + 2 -> MSW 1; n0 = 3
    assert icc1([[1, 2, 3], [4, 5, 6]]) == pytest.approx((13.5 - 1) / (13.5 + 2 * 1))
    # identical groups: MSB 0 -> (0 - 1) / (0 + 2 * 1) = -0.5 (ICC(1) can be negative)
    assert icc1([[1, 2, 3], [1, 2, 3]]) == pytest.approx(-0.5)


def test_icc1_unbalanced_uses_n0() -> None:
    groups = [[1, 3], [4, 5, 6, 9]]
    # by hand: grand 14/3... computed with the textbook formulas
    a, b = np.array(groups[0], float), np.array(groups[1], float)
    grand = np.concatenate([a, b]).mean()
    msb = 2 * (a.mean() - grand) ** 2 + 4 * (b.mean() - grand) ** 2
    msw = (((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum()) / (6 - 2)
    n0 = 6 - (4 + 16) / 6
    assert icc1(groups) == pytest.approx((msb - msw) / (msb + (n0 - 1) * msw))


def test_icc1_undefined_cases() -> None:
    assert icc1([[1, 2, 3]]) is None  # one group
    assert icc1([[5, 5], [5, 5]]) is None  # all equal: 0 / 0
    assert icc1([[1], [2], [3]]) is None  # one value per group: no within variance


def test_between_share_is_eta_squared() -> None:
    assert between_share([[1, 2, 3], [4, 5, 6]]) == pytest.approx(13.5 / 17.5)
    assert between_share([[5, 5], [5]]) is None


def test_jensen_shannon_by_hand() -> None:
    # M = (0.75, 0.25); KL(P||M) = log2(4/3); KL(Q||M) = 0.5 log2(2/3) + 0.5 log2(2)
    expected = 0.5 * math.log2(4 / 3) + 0.5 * (0.5 * math.log2(2 / 3) + 0.5)
    assert jensen_shannon([1, 0], [0.5, 0.5]) == pytest.approx(expected)
    assert jensen_shannon([2, 0], [1, 1]) == pytest.approx(expected)  # counts are normalised
    assert jensen_shannon([1, 0], [0, 1]) == pytest.approx(1.0)
    assert jensen_shannon([3, 1], [6, 2]) == pytest.approx(0.0)
    assert jensen_shannon([0, 0], [1, 1]) is None


def test_kruskal_p_and_undefined_cases() -> None:
    assert kruskal_p([[1, 2, 3, 4, 5], [20, 21, 22, 23, 24]]) < 0.05
    assert kruskal_p([[1, 2, 3]]) is None
    assert kruskal_p([[7, 7], [7, 7, 7]]) is None


def test_newcombe_interval_matches_published_example() -> None:
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339
    d, lo, hi = rate_difference_ci(56, 70, 48, 80, 0.95)
    assert d == pytest.approx(0.2)
    assert (lo, hi) == (pytest.approx(0.0524, abs=1e-4), pytest.approx(0.3339, abs=1e-4))


def test_welch_difference_interval() -> None:
    d, lo, hi = mean_difference_ci([10, 12, 14], [20, 22, 24], 0.95)
    assert d == pytest.approx(-10)
    assert lo < -10 < hi < 0
    assert mean_difference_ci([1], [2, 3], 0.95) is None


def test_bootstrap_interval() -> None:
    rng = np.random.default_rng(1)
    lo, hi = bootstrap_mean_ci([60, 70, 80, 90], 2000, 0.95, rng)
    assert 60 <= lo < 75 < hi <= 90
    assert bootstrap_mean_ci([50, 50, 50], 500, 0.95, rng) == (50, 50)
    assert bootstrap_mean_ci([50], 500, 0.95, rng) is None


def test_holm_adjustment() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_period_labels() -> None:
    from datetime import date

    assert period_of(date(2025, 2, 11), "month") == "2025-02"
    assert period_of(date(2025, 2, 11), "quarter") == "2025-Q1"
    assert period_of(date(2025, 12, 1), "quarter") == "2025-Q4"
    assert period_of(None, "quarter") == "unknown"


# -- group statistics -------------------------------------------------------------------------
def test_group_statistics_by_hand(settings: StatsSettings) -> None:
    audits = [
        audit("1", score=50, failed=("C1",), focus=("x",), aligned=("p",)),
        audit("2", score=60, failed=("C1", "C2"), focus=("x", "y"), aligned=("p",)),
        audit("3", score=70, focus=("y",)),
        audit("4", score=40, focus=()),
    ]
    audits[3] = audits[3].model_copy(update={"compliance": "risk"})
    rep = analyse(records(audits), VOCAB, settings)
    (g,) = rep.groups
    assert (g.name, g.n, g.errors, g.managers) == ("A", 4, 0, 1)
    assert g.mean_score == 55 and g.median_score == 55
    assert g.score_ci[0] <= 55 <= g.score_ci[1]
    assert g.score_quartiles == (40, 47.5, 55, 62.5, 70)
    assert g.verdicts == {"strong": 0, "adequate": 0.75, "weak": 0.25}
    assert g.check_pass_rates == {"C1": 0.5, "C2": 0.75}
    assert g.competency_share == {"x": 0.5, "y": 0.5}
    assert g.priority_share == {"p": 0.5}
    assert g.alignment_rate == 0.5 and g.no_focus_share == 0.25
    assert (g.compliance_risks, g.compliance_risk_share) == (1, 0.25)
    assert g.divergence == 0  # the only group is the organisation
    assert g.small_sample is False


def test_a_check_that_does_not_apply_leaves_the_report_out_of_its_rate(
    settings: StatsSettings,
) -> None:
    # C2 applies to two of A's four reports (one fails: 50%, not 75%) and to none of B's.
    na = {"not_applicable": ["C2"]}
    audits = [
        audit("a1", "A", failed=("C2",)),
        audit("a2", "A"),
        audit("a3", "A").model_copy(update=na),
        audit("a4", "A").model_copy(update=na),
        *(
            audit(f"b{i}", "B", failed=("C1",) if i < 2 else ()).model_copy(update=na)
            for i in range(4)
        ),
    ]
    rep = analyse(records(audits), VOCAB, settings)
    a, b = rep.groups
    assert a.check_pass_rates == {"C1": 1.0, "C2": 0.5}
    assert a.check_reports == {"C1": 4, "C2": 2}
    assert b.check_pass_rates == {"C1": 0.5, "C2": None}
    assert b.check_reports == {"C1": 4, "C2": 0}
    # The spread is over checks every group has a rate for: C1 only (1.0 vs 0.5).
    assert rep.consistency.pass_rate_spread == pytest.approx(0.5, abs=1e-4)
    assert [d.code for d in rep.consistency.most_divergent_checks] == ["C1"]
    # Trends count C2 over the reports it applies to, and have no rate where it applies to none.
    assert rep.trends is not None
    assert rep.trends.check_pass_rates["C2"] == [0.5]


def test_divergence_is_jsd_from_the_organisation(settings: StatsSettings) -> None:
    audits = [audit(f"a{i}", region="A", focus=("x",)) for i in range(3)]
    audits += [audit(f"b{i}", region="B", focus=("y",)) for i in range(3)]
    rep = analyse(records(audits), VOCAB, settings)
    expected = 0.5 * math.log2(4 / 3) + 0.5 * (0.5 * math.log2(2 / 3) + 0.5)
    assert [g.divergence for g in rep.groups] == [pytest.approx(expected, abs=1e-4)] * 2


def test_consistency_index_by_hand(settings: StatsSettings) -> None:
    # Scores A 10,20,30 / B 40,50,60: ICC(1) = 12.5/15.5 (scale-free, as above).
    # C1 passes 2/3 in A and 3/3 in B (spread 1/3); C2 passes everywhere (spread 0).
    audits = [
        audit("a1", "A", score=10, failed=("C1",)),
        audit("a2", "A", score=20),
        audit("a3", "A", score=30),
        audit("b1", "B", score=40),
        audit("b2", "B", score=50),
        audit("b3", "B", score=60),
    ]
    con = analyse(records(audits), VOCAB, settings).consistency
    icc = 12.5 / 15.5
    assert con.icc == pytest.approx(icc, abs=1e-4)
    assert con.pass_rate_spread == pytest.approx(1 / 6, abs=1e-4)
    assert con.index == pytest.approx(100 * (1 - icc) * (1 - 1 / 6), abs=0.05)
    assert con.meaning and "regions" in con.meaning
    assert con.kruskal_p is not None and con.kruskal_p < 0.1
    assert [d.code for d in con.most_divergent_checks] == ["C1"]  # C2 cannot differ
    top = con.most_divergent_checks[0]
    assert (top.lowest.group, top.highest.group) == ("A", "B")


def test_noise_correction_keeps_random_groups_consistent(settings: StatsSettings) -> None:
    rng = np.random.default_rng(3)
    audits = [
        audit(
            f"r{i}",
            region=f"R{i % 5}",
            score=int(rng.integers(40, 100)),
            failed=tuple(c for c in ("C1", "C2") if rng.random() < 0.5),
        )
        for i in range(250)
    ]
    noisy = settings.model_copy(update={"null_permutations": 100, "min_group_size": 20})
    con = analyse(records(audits), VOCAB, noisy).consistency
    assert con.pass_rate_spread > 0.1  # sampling noise alone spreads rates by >10 points
    assert con.noise_spread == pytest.approx(con.pass_rate_spread, abs=0.08)
    assert con.index > 85


def test_small_samples_are_flagged_not_ranked(settings: StatsSettings) -> None:
    strict = settings.model_copy(update={"min_group_size": 20})
    audits = [audit(f"a{i}", "A", score=60 + i) for i in range(25)]
    audits += [audit(f"b{i}", "B", score=90) for i in range(3)]
    rep = analyse(records(audits), VOCAB, strict)
    assert {g.name: g.small_sample for g in rep.groups} == {"A": False, "B": True}
    assert any("small_sample" in n for n in rep.notes)
    assert any("provisional" in n for n in rep.consistency.notes)
    text = "\n".join(iter_text_report(rep, VOCAB))
    ranked, small = text.split("small samples")
    assert "  A " in ranked and "  B " in small


# -- outliers ---------------------------------------------------------------------------------
def _planted() -> list[ReportAudit]:
    audits = []
    for region in ("North", "South", "West"):
        for m in (1, 2, 3):
            manager = f"{region[0]}{m}"
            for i in range(10):
                signals: tuple[str, ...] = ()
                if manager == "S3" and i < 8:
                    signals = ("judgmental",)
                if region == "West" and i < 6:
                    signals += ("numbers_only",)
                audits.append(
                    audit(f"{manager}-{i}", region, manager, score=70 + i % 5, signals=signals)
                )
    return audits


def test_planted_judgemental_manager_is_named(settings: StatsSettings) -> None:
    outliers = analyse(records(_planted()), VOCAB, settings).outliers
    managers = [o for o in outliers if o.level == "manager"]
    assert [(o.manager, o.region, o.reason) for o in managers] == [
        ("S3", "South", "judgmental_rate")
    ]
    o = managers[0]
    assert (o.value, o.region_value, o.n) == (0.8, 0.0, 10)
    assert o.ci[0] > 0 and o.difference == pytest.approx(0.8)
    assert "rest of South" in o.message


def test_planted_numbers_only_region_is_named(settings: StatsSettings) -> None:
    outliers = analyse(records(_planted()), VOCAB, settings).outliers
    regions = {(o.region, o.reason) for o in outliers if o.level == "region"}
    assert ("West", "numbers_only_rate") in regions
    assert all(o.manager is None for o in outliers if o.level == "region")


def test_score_outlier_has_difference_and_interval(settings: StatsSettings) -> None:
    audits = [
        audit(f"{m}-{i}", "A", m, score=(40 if m == "low" else 80) + i)
        for m in ("low", "ok1", "ok2")
        for i in range(10)
    ]
    outliers = analyse(records(audits), VOCAB, settings).outliers
    low = next(o for o in outliers if o.manager == "low" and o.reason == "mean_score")
    assert low.difference == pytest.approx(-40)
    assert low.ci[0] < -40 < low.ci[1] < 0


# -- bad input and edge cases -----------------------------------------------------------------
def test_errors_are_counted_not_dropped(settings: StatsSettings) -> None:
    audits = [audit("1"), audit("2", score=80), audit("bad", error="empty report")]
    rep = analyse(records(audits), VOCAB, settings)
    assert (rep.n_reports, rep.n_errors) == (3, 1)
    assert rep.errors[0].id == "bad" and rep.errors[0].error == "empty report"
    assert (rep.groups[0].n, rep.groups[0].errors) == (2, 1)
    assert any("could not be audited" in n for n in rep.notes)


def test_missing_region_and_date_go_to_unknown(settings: StatsSettings) -> None:
    audits = [
        audit("1", region=None, day=None),
        audit("2", region="A", day="not a date"),
        audit("3", region="A"),
    ]
    rep = analyse(records(audits), VOCAB, settings)
    assert [g.name for g in rep.groups] == ["A", "unknown"]
    assert rep.trends.undated == 2 and rep.trends.periods == ["2025-Q1"]
    by_period = analyse(records(audits), VOCAB, settings, by="period")
    assert [g.name for g in by_period.groups] == ["2025-Q1", "unknown"]


def test_one_region_one_report_and_equal_scores_do_not_crash(settings: StatsSettings) -> None:
    one = analyse(records([audit("1")]), VOCAB, settings)
    assert one.groups[0].score_ci is None and one.consistency.index is None
    assert one.consistency.icc is None and one.consistency.kruskal_p is None
    assert any("needs at least two regions" in n for n in one.consistency.notes)
    assert any("two quarters" in n for n in one.trends.notes)

    same = analyse(
        records([audit(f"{r}{i}", r, score=75) for r in "AB" for i in range(3)]), VOCAB, settings
    )
    assert same.consistency.icc is None and same.consistency.kruskal_p is None
    assert any("All scores are equal" in n for n in same.consistency.notes)
    assert same.consistency.index == 100  # equal scores, equal pass rates
    assert "\n".join(iter_text_report(same, VOCAB))  # renders as text


def test_one_report_per_group_leaves_the_index_undefined(settings: StatsSettings) -> None:
    con = analyse(
        records([audit("1", "A", score=50), audit("2", "B", score=90)]), VOCAB, settings
    ).consistency
    assert con.icc is None and con.index is None
    assert any("single report" in n for n in con.notes)


def test_only_errors(settings: StatsSettings) -> None:
    rep = analyse(records([audit("x", error="bad")]), VOCAB, settings)
    assert rep.groups[0].n == 0 and rep.groups[0].mean_score is None
    assert any("No audited reports" in n for n in rep.notes)


def test_unknown_ids_in_results_are_kept(settings: StatsSettings) -> None:
    rep = analyse(records([audit("1", failed=("ZZ999",), focus=("new_skill",))]), VOCAB, settings)
    assert rep.groups[0].check_pass_rates["ZZ999"] == 0
    assert rep.groups[0].competency_share["new_skill"] == 1


# -- trends -----------------------------------------------------------------------------------
def test_trends_per_competency_and_check(settings: StatsSettings) -> None:
    audits = [
        audit(
            f"q1-{i}",
            day="2025-02-01",
            focus=("x",) if i < 1 else (),
            failed=("C1",) if i < 4 else (),
        )
        for i in range(5)
    ]
    audits += [audit(f"q2-{i}", day="2025-05-01", focus=("x",) if i < 3 else ()) for i in range(5)]
    tr = analyse(records(audits), VOCAB, settings).trends
    assert tr.periods == ["2025-Q1", "2025-Q2"] and tr.n == [5, 5]
    assert tr.competency_share["x"] == [0.2, 0.6]
    assert tr.slopes.competency_share["x"] == pytest.approx(0.4)
    assert tr.check_pass_rates["C1"] == [0.2, 1.0]
    assert tr.slopes.check_pass_rates["C1"] == pytest.approx(0.8)
    months = analyse(records(audits), VOCAB, settings, period="month").trends
    assert months.periods == ["2025-02", "2025-05"]
    # three months apart: the slope is per month
    assert months.slopes.competency_share["x"] == pytest.approx(0.4 / 3, abs=1e-4)


# -- the JSON contract ------------------------------------------------------------------------
def test_json_contract_keys(settings: StatsSettings) -> None:
    data = json.loads(analyse(records(_planted()), VOCAB, settings).model_dump_json())
    assert {"groups", "consistency", "outliers", "trends"} <= data.keys()
    assert {
        "name",
        "n",
        "managers",
        "mean_score",
        "score_ci",
        "verdicts",
        "check_pass_rates",
        "competency_share",
        "priority_share",
        "alignment_rate",
        "divergence",
        "small_sample",
    } <= data["groups"][0].keys()
    assert {"index", "icc", "kruskal_p", "most_divergent_checks"} <= data["consistency"].keys()
    assert data["outliers"]
    for o in data["outliers"]:
        assert {"manager", "region", "reason", "value", "region_value"} <= o.keys()
    assert isinstance(data["trends"], dict) and data["trends"]["periods"]


def test_by_manager_groups_carry_their_region(settings: StatsSettings) -> None:
    rep = analyse(records(_planted()), VOCAB, settings, by="manager")
    assert len(rep.groups) == 9
    assert {(g.name, g.region) for g in rep.groups} >= {("S3", "South"), ("W1", "West")}


# -- collecting and reading -------------------------------------------------------------------
def test_collector_keeps_only_the_weakest() -> None:
    scores = [90, 30, 70, 30, 10, 95, 50]
    c = Collector(3).extend(audit(str(i), score=s) for i, s in enumerate(scores))
    c.add(audit("err", error="broken"))
    assert [(w.id, w.score) for w in c.weakest()] == [("4", 10), ("1", 30), ("3", 30)]
    assert len(c.records) == 8
    assert Collector(0).extend([audit("1")]).weakest() == []


def test_read_results_streams_and_marks_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(
        audit("1").model_dump_json()
        + "\n\nnot json\n"
        + audit("2", error="x").model_dump_json()
        + "\n",
        encoding="utf-8",
    )
    got = list(read_results(path))
    assert [a.id for a in got] == ["1", f"{path}:3", "2"]
    assert got[1].error and "not an audit result" in got[1].error
    assert is_results_file(path)
    raw = tmp_path / "raw.jsonl"
    raw.write_text('{"id": "r1", "text": "hello"}\n', encoding="utf-8")
    assert not is_results_file(raw)


def test_settings_validate_with_file_and_key(tmp_path: Path) -> None:
    bundled = Path(__file__).resolve().parent.parent / "rules" / "stats.yaml"
    text = bundled.read_text(encoding="utf-8").replace(
        "min_group_size: 20", "min_group_size: 0\nextra_key: 1"
    )
    (tmp_path / "stats.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert "stats.yaml" in str(err.value) and "min_group_size" in str(err.value)
    assert "extra_key" in str(err.value)
    assert load_settings(tmp_path / "no-such-pack").min_group_size == 20  # bundled fallback


def test_vocabulary_from_the_rule_pack(rules) -> None:
    vocab = vocabulary(rules)
    assert list(vocab.checks) == [c.code for c in rules.rubric.checks]
    assert set(vocab.active_priorities) == set(rules.strategy.active_priorities)
    # Competencies that serve an active priority (the alignment map of strategy.yaml): with
    # every bundled priority active, all of them; with compliance alone, only its one.
    assert (
        vocab.serving
        == {c for p in rules.strategy.active_priorities for c in rules.strategy.alignment[p]}
        == set(rules.competency_ids)
    )
    only = rules.model_copy(
        update={
            "strategy": rules.strategy.model_copy(update={"active_priorities": ("compliance",)})
        }
    )
    assert vocabulary(only).serving == {"compliance_conduct"}
    assert list(vocabulary(only).active_priorities) == ["compliance"]
    assert vocab.weights == {c.code: c.weight for c in rules.rubric.checks}


def test_text_report_escapes_control_characters_from_metadata(settings: StatsSettings) -> None:
    hostile = "Nord\x1b[2J\x1b]0;pwned\x07\u202eevil\r\x85X"
    audits = [audit(f"a{i}", hostile, manager=f"m\n{i % 2}", score=50 + i) for i in range(10)]
    audits += [audit(f"b{i}", "South", score=80 + i) for i in range(10)]
    for by in ("region", "manager"):
        text = "\n".join(iter_text_report(analyse(records(audits), VOCAB, settings, by), VOCAB))
        assert not [
            c
            for c in text
            if c != "\n" and (ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c == "\u202e")
        ], text
        assert len(text.splitlines()) == text.count("\n") + 1  # no stray line breaks
    assert "Nord\\x1b[2J\\x1b]0;pwned\\x07\\u202eevil\\r\\x85X" in "\n".join(
        iter_text_report(analyse(records(audits), VOCAB, settings), VOCAB)
    )


# -- region aliases ---------------------------------------------------------------------------
def test_region_aliases_merge_groups_and_list_the_original_names(
    settings: StatsSettings,
) -> None:
    merged = settings.model_copy(
        update={
            "region_aliases": (
                RegionAlias(name="EMEA-UK", aliases=("UK-IE", "EU-UK")),
                RegionAlias(name="EMEA-DACH", aliases=("DACH",)),
            )
        }
    )
    audits = [audit("1", "EMEA-UK"), audit("2", "UK-IE"), audit("3", " eu-uk ")]
    audits += [audit("4", "DACH"), audit("5", "emea-dach"), audit("6", "North")]
    rep = analyse(records(audits), VOCAB, merged)
    assert {g.name: g.n for g in rep.groups} == {"EMEA-DACH": 2, "EMEA-UK": 3, "North": 1}
    assert rep.region_aliases == {
        "EMEA-DACH": ["DACH", "emea-dach"],
        "EMEA-UK": ["UK-IE", "eu-uk"],  # names are trimmed when read
    }
    by_manager = analyse(records(audits), VOCAB, merged, by="manager")
    assert {g.region for g in by_manager.groups} == {"EMEA-DACH", "EMEA-UK", "North"}
    text = "\n".join(iter_text_report(rep, VOCAB))
    assert "Regions merged: EMEA-DACH = EMEA-DACH + DACH, emea-dach;" in text
    assert "EMEA-UK = EMEA-UK + UK-IE, eu-uk" in text
    # without aliases nothing is merged
    plain = analyse(records(audits), VOCAB, settings.model_copy(update={"region_aliases": ()}))
    assert len(plain.groups) == 6 and plain.region_aliases == {}


def test_an_alias_of_two_regions_is_a_config_error(tmp_path: Path) -> None:
    bundled = Path(__file__).resolve().parent.parent / "rules" / "stats.yaml"
    text = bundled.read_text(encoding="utf-8").replace("aliases: [DACH]", "aliases: [DACH, UK-IE]")
    (tmp_path / "stats.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert "region_aliases" in str(err.value) and "UK-IE" in str(err.value)


# -- outliers: minimum reports and two-manager regions ----------------------------------------
def _judging(manager: str, region: str, n: int, judged: int) -> list[ReportAudit]:
    return [
        audit(
            f"{manager}-{i}",
            region,
            manager,
            score=70 + i % 5,
            signals=("judgmental",) if i < judged else (),
        )
        for i in range(n)
    ]


def test_managers_under_the_minimum_are_not_named(settings: StatsSettings) -> None:
    minimum = settings.outliers.min_reports
    base = [a for m in ("ok1", "ok2") for a in _judging(m, "A", 20, 0)]
    few = analyse(records(base + _judging("few", "A", minimum - 1, minimum - 1)), VOCAB, settings)
    assert not [o for o in few.outliers if o.manager == "few"]
    enough = analyse(records(base + _judging("few", "A", minimum, minimum)), VOCAB, settings)
    assert [(o.manager, o.reason) for o in enough.outliers if o.level == "manager"] == [
        ("few", "judgmental_rate")
    ]


def test_a_two_manager_region_is_one_split_not_mirrored_outliers(
    settings: StatsSettings,
) -> None:
    audits = [
        audit(f"{m}-{i}", "A", m, score=(40 if m == "low" else 80) + i, signals=sig)
        for m, sig in (("low", ("judgmental",)), ("high", ()))
        for i in range(12)
    ]
    audits += [
        audit(f"b-{m}-{i}", "B", m, score=60 + i) for m in ("b1", "b2", "b3") for i in range(12)
    ]
    found = analyse(records(audits), VOCAB, settings).outliers
    split = [o for o in found if o.level == "split"]
    assert {(o.region, o.reason) for o in split} == {("A", "judgmental_rate"), ("A", "mean_score")}
    assert len(split) == 2  # each difference once, not once per manager
    assert not [o for o in found if o.level == "manager" and o.region == "A"]
    score = next(o for o in split if o.reason == "mean_score")
    assert (score.manager, score.baseline, score.difference) == ("high", "low", 40)
    assert score.message.startswith("region split between its two managers: mean score 86")
    rate = next(o for o in split if o.reason == "judgmental_rate")
    assert (rate.manager, rate.value, rate.region_value) == ("low", 1.0, 0.0)


def test_a_single_manager_region_is_named_once(settings: StatsSettings) -> None:
    audits = _judging("solo", "A", 12, 12)
    audits += [a for m in ("b1", "b2") for a in _judging(m, "B", 12, 0)]
    audits += [a for m in ("c1", "c2", "c3") for a in _judging(m, "C", 12, 0)]
    found = analyse(records(audits), VOCAB, settings).outliers
    assert [(o.level, o.region, o.manager) for o in found if o.region == "A"] == [
        ("region", "A", None)
    ]


# -- intervals --------------------------------------------------------------------------------
def test_trend_intervals_per_period(settings: StatsSettings) -> None:
    audits = [
        audit(f"q1-{i}", day="2025-02-01", score=60 + i, focus=("x",) if i < 2 else ())
        for i in range(10)
    ]
    audits += [audit(f"q2-{i}", day="2025-05-01", score=80, focus=("x",)) for i in range(10)]
    tr = analyse(records(audits), VOCAB, settings).trends
    lo, hi = tr.competency_share_ci["x"][0]
    assert tr.competency_share["x"] == [0.2, 1.0]
    # Wilson 95% for 2 of 10, by hand: centre (0.2 + z²/20) / (1 + z²/10), z = 1.96
    z = 1.959964
    centre = (0.2 + z * z / 20) / (1 + z * z / 10)
    half = z * math.sqrt(0.2 * 0.8 / 10 + z * z / 400) / (1 + z * z / 10)
    assert (lo, hi) == (
        pytest.approx(centre - half, abs=1e-4),
        pytest.approx(centre + half, abs=1e-4),
    )
    assert tr.competency_share_ci["x"][1][1] == 1.0 and tr.competency_share_ci["x"][1][0] < 1
    (c1, c2), m1 = tr.mean_score_ci, tr.mean_score[0]
    assert c1[0] < m1 < c1[1] and c2 == (80, 80)  # equal scores: no spread to resample
    assert len(tr.check_pass_rates_ci["C1"]) == len(tr.alignment_rate_ci) == 2


def test_consistency_index_has_an_interval(settings: StatsSettings) -> None:
    rng = np.random.default_rng(5)
    audits = [
        audit(f"{r}{i}", r, score=int(rng.integers(50, 90)) + (10 if r == "B" else 0))
        for r in "ABC"
        for i in range(30)
    ]
    con = analyse(records(audits), VOCAB, settings).consistency
    assert con.index is not None and con.index_ci is not None
    assert 0 <= con.index_ci[0] <= con.index <= con.index_ci[1] <= 100
    assert con.index_ci[1] - con.index_ci[0] > 1  # 90 reports leave real uncertainty
    off = analyse(records(audits), VOCAB, settings.model_copy(update={"index_resamples": 0}))
    assert off.consistency.index_ci is None and off.consistency.index == con.index


# -- periods in date order --------------------------------------------------------------------
def test_by_period_lists_periods_in_date_order_not_by_score(settings: StatsSettings) -> None:
    days = ("2025-11-03", "2025-02-03", "2025-05-03", "2026-01-03")
    audits = [
        audit(f"{d}-{i}", day=d, score=90 - 10 * k + i)
        for k, d in enumerate(days)
        for i in range(3)
    ]
    rep = analyse(records(audits), VOCAB, settings, by="period")
    names = ["2025-Q1", "2025-Q2", "2025-Q4", "2026-Q1"]
    assert [g.name for g in rep.groups] == names
    text = "\n".join(iter_text_report(rep, VOCAB))
    assert "in date order" in text and "ranked by mean score" not in text
    positions = [text.index(f"  {n} ") for n in names]
    assert positions == sorted(positions)


# -- follow-through and what to work on -------------------------------------------------------
def test_follow_through_rates_only_when_records_carry_them(settings: StatsSettings) -> None:
    statuses = ["followed_up"] * 6 + ["partly"] * 2 + ["not_followed_up"] * 2
    audits = [audit(f"a{i}", "A") for i in range(10)]
    for a, status in zip(audits, statuses, strict=True):
        a.follow_through = FollowThrough(status=status, reason="checked")
    # Reports without an earlier report of their rep were not assessed: not in any rate.
    audits += [audit(f"n{i}", "A") for i in range(5)]
    for a in audits[-5:]:
        a.follow_through = FollowThrough(status="not_assessed", reason="first report")
    audits += [audit(f"b{i}", "B") for i in range(4)]
    audits[-1].metadata["follow_through"] = {"status": "not_assessed"}
    rep = analyse(records(audits), VOCAB, settings)
    a, b = rep.groups
    assert a.follow_through is not None and b.follow_through is None
    assert a.follow_through.n == 10 and a.follow_through.rate == 0.6
    assert a.follow_through.statuses == {"followed_up": 6, "partly": 2, "not_followed_up": 2}
    lo, hi = a.follow_through.ci
    assert lo < 0.6 < hi
    none = analyse(records([audit(f"c{i}") for i in range(3)]), VOCAB, settings)
    assert all(g.follow_through is None for g in none.groups)


def test_work_on_lists_the_largest_gaps_below_the_organisation(settings: StatsSettings) -> None:
    audits = [audit(f"a{i}", "A", failed=("C1",) if i < 8 else ()) for i in range(10)]
    audits += [
        audit(f"b{i}", "B", focus=("x",), failed=("C2",) if i < 1 else ()) for i in range(10)
    ]
    rep = analyse(records(audits), VOCAB, settings)
    work = {w.group: w for w in rep.work_on}
    a_gaps = [(g.kind, g.id, g.rate, g.org_rate) for g in work["A"].gaps]
    # C1: A passes 20% vs 60% overall; x (serving) is coached in 0% vs 50%
    assert ("check", "C1", 0.2, 0.6) in a_gaps and ("competency", "x", 0.0, 0.5) in a_gaps
    assert all(g.clear and g.n == 10 and g.ci[1] < g.org_rate for g in work["A"].gaps)
    assert [g.id for g in work["B"].gaps] == []  # C2: 90% vs 95% is under the minimum gap
    assert work["A"].gaps[0].gap == min(g.gap for g in work["A"].gaps)
