"""Check types and scoring on hand-built Annotations: no spaCy, no engine.

Every check type of the registry flags one example and passes another; findings are compared
whole (code, severity, message, suggestion, evidence `[start, end)` and text), so a change in
what a check reports shows up here and not only as a score. The bundled rubric supplies the
configured checks (its codes, messages and params are part of the behaviour under test).
Only public paths are imported: auditor.checks, auditor.annotations, auditor.scoring.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.annotations import Annotations, Hit, Objective
from auditor.checks import Check, CheckContext, build_checks, registered_types, run_checks
from auditor.config import RuleSet
from auditor.schema import Finding
from auditor.scoring import score_report, verdict_for

#: The configured checks this module runs, at least one per check type (see the last test).
TESTED_CODES = (
    "STAR001",
    "JUD001",
    "CMP001",
    "NUM001",
    "FOC001",
    "FOC002",
    "OBJ002",
    "ALN001",
    "RAT001",
    "RAT002",
)
#: Flag and pass tests of the history check type (follow_through) are in test_followthrough.py.
HISTORY_CODES = ("FOL001",)


@pytest.fixture(scope="module")
def checks(rules: RuleSet) -> dict[str, Check]:
    """The bundled pack's checks by code."""
    return {c.spec.code: c for c in build_checks(rules)}


def hit(text: str, part: str, label: str = "x", source: str = "", nth: int = 0) -> Hit:
    """A Hit over the `nth` occurrence of `part` in `text` (offsets computed, not typed)."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(part, start + 1)
    return Hit(start=start, end=start + len(part), label=label, text=part, source=source)


def ann(
    text: str = "Report.",
    rep_level: str | None = None,
    focus: tuple[str, ...] = (),
    focus_evidence: tuple[Hit, ...] = (),
    objectives: tuple[Objective, ...] = (),
    **signals: tuple[Hit, ...],
) -> Annotations:
    return Annotations(
        text=text,
        rep_level=rep_level,
        priorities=(),
        competencies=(),
        focus=focus,
        focus_evidence=focus_evidence,
        objectives=objectives,
        signals=signals,
    )


def run(check: Check, annotations: Annotations, rules: RuleSet) -> list[Finding]:
    assert check.spec.code in TESTED_CODES
    return run_checks([check], CheckContext(annotations, rules))


def evidence(finding: Finding) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.text) for e in finding.evidence]


def assert_finding(
    finding: Finding, check: Check, message: str, spans: list[tuple[int, int, str]], text: str
) -> None:
    """The finding is the check's, with this message and evidence that indexes `text`."""
    assert (finding.code, finding.name, finding.severity, finding.suggestion) == (
        check.spec.code,
        check.spec.name,
        check.spec.severity,
        check.spec.suggestion,
    )
    assert finding.message == message
    assert evidence(finding) == spans
    for start, end, surface in spans:
        assert text[start:end] == surface


# -- presence -----------------------------------------------------------------------------------
def test_presence_flags_an_absent_signal_without_evidence(checks, rules) -> None:
    [f] = run(checks["STAR001"], ann(), rules)
    assert_finding(
        f, checks["STAR001"], "The report does not say what the call or plan was.", [], "Report."
    )
    assert f.explanation == "no situation found"


def test_presence_passes_when_the_signal_has_a_hit(checks, rules) -> None:
    text = "Call objective was a trial."
    assert run(checks["STAR001"], ann(text, situation=(hit(text, "Call objective"),)), rules) == []
    # Another signal does not count for it.
    assert len(run(checks["STAR001"], ann(text, action=(hit(text, "trial"),)), rules)) == 1


# -- existence ----------------------------------------------------------------------------------
def test_existence_per_hit_flags_each_hit_with_its_offsets(checks, rules) -> None:
    text = "He was lazy. Then lazy again and  sloppy ."
    hits = (
        hit(text, "lazy", source="phrase:lazy"),
        hit(text, "lazy", nth=1),
        hit(text, " sloppy ", source="phrase:sloppy"),
    )
    found = run(checks["JUD001"], ann(text, judgmental=hits), rules)
    assert len(found) == 3
    assert_finding(
        found[0], checks["JUD001"], 'Judgemental language: "lazy".', [(7, 11, "lazy")], text
    )
    assert_finding(
        found[1], checks["JUD001"], 'Judgemental language: "lazy".', [(18, 22, "lazy")], text
    )
    # The message quotes the stripped text; the evidence keeps the exact span.
    assert_finding(
        found[2], checks["JUD001"], 'Judgemental language: "sloppy".', [(33, 41, " sloppy ")], text
    )
    assert [f.explanation for f in found] == [
        "fired: phrase:lazy",
        "fired: ",
        "fired: phrase:sloppy",
    ]
    assert all(f.severity == "error" for f in found)


def test_existence_passes_without_hits(checks, rules) -> None:
    text = "You arrived after the lunch window."
    assert run(checks["JUD001"], ann(text), rules) == []
    assert run(checks["CMP001"], ann(text, judgmental=(hit(text, "arrived"),)), rules) == []


def test_existence_per_report_flags_once_with_every_hit(checks, rules) -> None:
    text = "Sales 82% of target. TRx down 4%. Reach 110% by Q4."
    hits = (
        hit(text, "82%", source="regex:pct"),
        hit(text, "TRx", source="phrase:trx"),
        hit(text, "110%", source="regex:pct"),
    )
    [f] = run(checks["NUM001"], ann(text, numbers_only=hits), rules)
    assert_finding(
        f,
        checks["NUM001"],
        "The report talks about sales figures and targets but gives no behavioural coaching.",
        [(6, 9, "82%"), (21, 24, "TRx"), (40, 44, "110%")],
        text,
    )
    assert f.explanation == "fired: phrase:trx, regex:pct"  # distinct sources, sorted
    assert run(checks["NUM001"], ann(text), rules) == []


# -- occurrence ---------------------------------------------------------------------------------
FOCUS_TEXT = "Discovery, objections, messaging and payer talk."


def _focus(*parts: str) -> dict[str, Any]:
    hits = tuple(hit(FOCUS_TEXT, p, label=p.lower()) for p in parts)
    return {"focus": tuple(h.label for h in hits), "focus_competencies": hits}


def test_occurrence_max_flags_too_many_items(checks, rules) -> None:
    a = ann(FOCUS_TEXT, **_focus("Discovery", "objections", "messaging"))
    [f] = run(checks["FOC001"], a, rules)
    assert_finding(
        f,
        checks["FOC001"],
        "The report coaches 3 competencies at once (discovery, "
        "objections, messaging); keep a session to 2.",
        [(0, 9, "Discovery"), (11, 21, "objections"), (23, 32, "messaging")],
        FOCUS_TEXT,
    )


def test_occurrence_max_passes_at_the_limit(checks, rules) -> None:
    assert run(checks["FOC001"], ann(FOCUS_TEXT, **_focus("Discovery", "messaging")), rules) == []


def test_occurrence_max_depends_on_the_rep_level(checks, rules) -> None:
    three = _focus("Discovery", "objections", "messaging")
    assert run(checks["FOC001"], ann(FOCUS_TEXT, rep_level="new", **three), rules) == []
    assert len(run(checks["FOC001"], ann(FOCUS_TEXT, rep_level="experienced", **three), rules)) == 1
    four = _focus("Discovery", "objections", "messaging", "payer")
    [f] = run(checks["FOC001"], ann(FOCUS_TEXT, rep_level="new", **four), rules)
    assert f.message.startswith("The report coaches 4 competencies at once (")
    assert f.message.endswith("; keep a session to 3.")


def test_occurrence_min_flags_none_and_passes_one(checks, rules) -> None:
    [f] = run(checks["FOC002"], ann(FOCUS_TEXT), rules)
    assert_finding(f, checks["FOC002"], "The report does not coach any competency.", [], FOCUS_TEXT)
    assert f.explanation is None
    assert run(checks["FOC002"], ann(FOCUS_TEXT, **_focus("payer")), rules) == []


# -- smart_objective ----------------------------------------------------------------------------
OBJ_TEXT = "Next time ask more questions. By 15 May ask three open questions in every call."


def _objective(part: str, specific: bool, measurable: bool, time_bound: bool) -> Objective:
    h = hit(OBJ_TEXT, part)
    return Objective(
        start=h.start,
        end=h.end,
        text=part,
        specific=specific,
        measurable=measurable,
        time_bound=time_bound,
    )


def test_smart_objective_flags_the_best_unit_and_names_what_it_lacks(checks, rules) -> None:
    weak = _objective("Next time ask more questions.", True, False, False)
    better = _objective("By 15 May ask three open questions in every call.", True, False, True)
    signal = (hit(OBJ_TEXT, weak.text), hit(OBJ_TEXT, better.text))
    [f] = run(
        checks["OBJ002"], ann(OBJ_TEXT, objectives=(weak, better), next_objective=signal), rules
    )
    assert_finding(
        f,
        checks["OBJ002"],
        "The next objective is not SMART: it lacks a measure or observable criterion.",
        [(30, 79, better.text)],
        OBJ_TEXT,
    )  # the best unit's evidence only
    assert f.explanation == "best objective has 2/3 facets"

    [f] = run(checks["OBJ002"], ann(OBJ_TEXT, objectives=(weak,), next_objective=signal), rules)
    assert f.message == (
        "The next objective is not SMART: it lacks a measure or observable "
        "criterion and a time bound."
    )
    assert evidence(f) == [(0, 29, weak.text)]


def test_smart_objective_passes_a_smart_unit_and_is_silent_without_one(checks, rules) -> None:
    smart = _objective("By 15 May ask three open questions in every call.", True, True, True)
    weak = _objective("Next time ask more questions.", False, False, False)
    assert run(checks["OBJ002"], ann(OBJ_TEXT, objectives=(weak, smart)), rules) == []
    assert run(checks["OBJ002"], ann(OBJ_TEXT), rules) == []  # OBJ001 reports a missing one


# -- alignment ----------------------------------------------------------------------------------
def test_alignment_flags_focus_that_serves_no_active_priority(checks, rules) -> None:
    [f] = run(checks["ALN001"], ann(FOCUS_TEXT), rules)
    assert_finding(
        f,
        checks["ALN001"],
        "No focus competency serves an active strategic priority (focus: none).",
        [],
        FOCUS_TEXT,
    )
    # Only active priorities count: with market access inactive, payer access serves none.
    only_compliance = rules.model_copy(
        update={
            "strategy": rules.strategy.model_copy(update={"active_priorities": ("compliance",)})
        }
    )
    payer = hit(FOCUS_TEXT, "payer talk", label="payer_access")
    a = ann(FOCUS_TEXT, focus=("payer_access",), focus_evidence=(payer,))
    [f] = run(checks["ALN001"], a, only_compliance)
    assert_finding(
        f,
        checks["ALN001"],
        "No focus competency serves an active strategic priority (focus: payer_access).",
        [(37, 47, "payer talk")],
        FOCUS_TEXT,
    )


def test_alignment_passes_when_one_focus_competency_serves_a_priority(checks, rules) -> None:
    a = ann(FOCUS_TEXT, focus=("payer_access", "compliance_conduct"))
    assert run(checks["ALN001"], a, rules) == []


# -- several checks, rubric order ---------------------------------------------------------------
def test_run_checks_keeps_rubric_order(checks, rules) -> None:
    text = "He was lazy."
    found = run_checks(
        list(checks.values()), CheckContext(ann(text, judgmental=(hit(text, "lazy"),)), rules)
    )
    order = [c.code for c in rules.rubric.checks]
    codes = [f.code for f in found]
    assert codes == sorted(codes, key=order.index)
    assert {"STAR001", "JUD001", "FOC002", "ALN001"} <= set(codes)
    assert "CMP001" not in codes and "OBJ002" not in codes


# -- ratings (metadata["ratings"]) --------------------------------------------------------------
RATED_TEXT = "You asked Dr Lee two open questions about her patients."


def _rated(
    check: Check, rules: RuleSet, ratings: Any, observed: bool, competencies: tuple[Hit, ...] = ()
) -> list[Finding]:
    seen = {"observed_behavior": (hit(RATED_TEXT, "You asked Dr Lee"),)} if observed else {}
    annotations = ann(RATED_TEXT, **seen)
    annotations = Annotations(**{**annotations.__dict__, "competencies": competencies})
    return check.run(CheckContext(annotations, rules, {"ratings": ratings}))


def test_high_rating_without_observed_behaviour_flags(checks, rules) -> None:
    (f,) = _rated(checks["RAT001"], rules, {"overall": "5"}, observed=False)
    assert (f.code, f.severity, f.evidence) == ("RAT001", "warning", [])
    assert f.message == (
        "A high rating has no observed behaviour behind it in the narrative: overall '5'."
    )
    assert _rated(checks["RAT001"], rules, {"overall": "5"}, observed=True) == []
    # Mid and low ratings, ratings on no scale, and no ratings at all: not this check's business.
    for ratings in ({"overall": "3"}, {"overall": "1"}, {"overall": "great"}, {}, None, "5"):
        assert _rated(checks["RAT001"], rules, ratings, observed=False) == []


def test_competency_rating_needs_that_competency_in_the_narrative(checks, rules) -> None:
    ratings = {"overall": "Meets", "customer_discovery": "Exceeds"}
    (f,) = _rated(checks["RAT001"], rules, ratings, observed=True)
    assert f.message.endswith(": customer_discovery 'Exceeds'.")
    mention = (hit(RATED_TEXT, "open questions", label="customer_discovery"),)
    assert _rated(checks["RAT001"], rules, ratings, observed=True, competencies=mention) == []


def test_low_rating_without_a_reason_flags(checks, rules) -> None:
    (f,) = _rated(checks["RAT002"], rules, {"overall": " below expectations "}, observed=False)
    assert f.code == "RAT002"
    assert f.message.endswith("overall 'below expectations'.")
    assert _rated(checks["RAT002"], rules, {"overall": "1"}, observed=True) == []
    assert _rated(checks["RAT002"], rules, {"overall": "5"}, observed=False) == []


def test_every_check_type_has_unit_tests(checks) -> None:
    """A new check type needs a configured check here, with a flag and a pass test above."""
    tested = TESTED_CODES + HISTORY_CODES
    assert {checks[code].spec.type for code in tested} == set(registered_types())


# -- scoring ------------------------------------------------------------------------------------
def _failed(rules: RuleSet, *codes: str) -> list[Finding]:
    specs = rules.checks_by_code
    return [
        Finding(code=c, name=specs[c].name, severity=specs[c].severity, message="m", suggestion="s")
        for c in codes
    ]


@pytest.mark.parametrize(
    ("failed", "score", "verdict"),
    [
        ((), 100, "strong"),
        (("DIA001",), 96, "strong"),  # light check, not required for strong
        (("DIA001", "DIA001"), 96, "strong"),  # a check fails once, however many findings
        (("STAR001",), 94, "adequate"),  # strong requires STAR001
        (("CMP001",), 40, "weak"),  # the compliance gate: weak, score capped at 40
        (("NUM001",), 87, "weak"),  # weak_if_any gate
        (("STAR001", "STAR002", "STAR003"), 79, "weak"),  # 3 of the direction checks
        (("STAR001", "OBS001"), 86, "adequate"),  # 2 of them without judgement
        (("STAR001", "OBS001", "JUD001"), 78, "weak"),  # 2 of them with JUD001
        (("STAR003", "REI001", "DIA001", "ALN001", "FOC001", "FOC002", "OBJ002"), 65, "adequate"),
        (
            ("OBJ001", "OBJ002", "FOC001", "FOC002", "REI001", "DIA001", "ALN001", "STAR003"),
            56,
            "adequate",
        ),  # the lowest score the gates let through
    ],
)
def test_score_report_weights_gates_and_thresholds(rules, failed, score, verdict) -> None:
    # the checks one report is scored on: FOL001 counts only once a previous report is known
    one_report = [c for c in rules.rubric.checks if c.code not in HISTORY_CODES]
    assert score_report(_failed(rules, *failed), one_report, rules.rubric.scoring) == (
        score,
        verdict,
    )


def test_score_is_the_passed_share_of_the_weight(rules) -> None:
    checks = rules.rubric.checks
    total = sum(c.weight for c in checks)
    for c in checks:
        score, _ = score_report(_failed(rules, c.code), checks, rules.rubric.scoring)
        share = round(100 * (total - c.weight) / total)
        assert score == (min(share, 40) if c.code == "CMP001" else share), c.code
    weightless = [c.model_copy(update={"weight": 0}) for c in checks]
    assert score_report(_failed(rules, "DIA001"), weightless, rules.rubric.scoring)[0] == 100


def test_verdict_thresholds_are_inclusive(rules) -> None:
    scoring = rules.rubric.scoring
    assert [verdict_for(s, set(), scoring) for s in (44.9, 45, 74.9, 75)] == [
        "weak",
        "adequate",
        "adequate",
        "strong",
    ]
    assert verdict_for(100, {"NUM001"}, scoring) == "weak"
    assert verdict_for(100, {"OBS001", "STAR002"}, scoring) == "adequate"


def test_distinct_spans_keep_the_longer_and_merge_partial_overlaps() -> None:
    from auditor.annotations import Hit
    from auditor.checks.base import distinct_spans

    text = "tickets to the match if he prescribes more"
    hits = [
        Hit(0, 7, "x", "tickets"),
        Hit(0, 37, "x", text[0:37]),
        Hit(24, 37, "x", text[24:37]),
        Hit(38, 42, "x", "more"),
    ]
    assert [(h.start, h.end, h.text) for h in distinct_spans(hits)] == [
        (0, 37, text[0:37]),
        (38, 42, "more"),
    ]
    partial = [Hit(0, 10, "x", text[0:10]), Hit(8, 20, "x", text[8:20])]
    assert [(h.start, h.end, h.text) for h in distinct_spans(partial)] == [(0, 20, text[0:20])]
