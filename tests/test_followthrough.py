"""Follow-through without spaCy: content words, the pair decision, the batch's history and the
pass that gives an audit its field, FOL001 and score (hand-built audits, bundled rules)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks import build_checks
from auditor.config import FollowThroughSettings, RuleSet, load_followthrough
from auditor.followthrough import (
    BatchHistory,
    FollowThroughPass,
    Vocabulary,
    current_of,
    decide,
    latest_previous,
    previous_of,
    rep_and_date,
    split_example,
)
from auditor.schema import Evidence, NextObjective, ReportAudit, Tag
from auditor.scoring import score_report


@pytest.fixture(scope="module")
def ft() -> FollowThroughSettings:
    found = load_followthrough()
    assert found is not None
    return found


@pytest.fixture(scope="module")
def vocab(ft: FollowThroughSettings) -> Vocabulary:
    return Vocabulary(ft)


def _span(text: str, part: str) -> Evidence:
    start = text.index(part)
    return Evidence(start=start, end=start + len(part), text=part)


def made(
    id: str,
    text: str,
    *,
    objective: tuple[str, ...] = (),
    back: tuple[str, ...] = (),
    comps: dict[str, str] | None = None,
    rep: str | None = "ann",
    date: str | None = "2026-03-01",
    findings: tuple[str, ...] = (),
    rules: RuleSet | None = None,
) -> ReportAudit:
    """An audit as the engine would write it: `objective` and `back` are sentences of `text`,
    `comps` maps a competency id to the words of `text` that name it."""
    meta = {k: v for k, v in (("rep", rep), ("date", date)) if v is not None}
    failed = []
    if rules is not None:
        from auditor.schema import Finding

        specs = rules.checks_by_code
        failed = [
            Finding(
                code=c, name=specs[c].name, severity=specs[c].severity, message="m", suggestion="s"
            )
            for c in findings
        ]
    return ReportAudit(
        id=id,
        metadata=meta,
        score=80,
        verdict="adequate",
        next_objective=NextObjective(
            present=bool(objective),
            specific=True,
            measurable=False,
            time_bound=False,
            smart=False,
            evidence=[_span(text, s) for s in objective],
        ),
        competencies=[Tag(id=c, evidence=[_span(text, w)]) for c, w in (comps or {}).items()],
        follow_up=[_span(text, s) for s in back],
        findings=failed,
        text=text,
    )


PREV = "You presented the efficacy data. Next time ask two open questions about her patients."
PREV_OBJ = ("Next time ask two open questions about her patients.",)

#: (current text, its back-references, its competencies, expected status). My own pairs, for
#: unit tests only; the labelled pairs of corpus/followthrough are for tuning and measuring.
PAIRS = [
    (
        "Last visit we agreed on open questions. Today you asked three and Dr Lee talked about "
        "her patients.",
        ("Last visit we agreed on open questions.",),
        {"customer_discovery": "open questions"},
        "followed_up",
    ),
    (
        "Follow-up on the previous objective: you probed patient types and it worked well.",
        ("Follow-up on the previous objective: you probed patient types and it worked well.",),
        {},
        "followed_up",
    ),
    (
        "Since our last ride-along your questioning has improved: you asked about her patients.",
        ("Since our last ride-along your questioning has improved: you asked about her patients.",),
        {},
        "followed_up",
    ),
    (
        "You asked Dr Ng a couple of questions about her patients. Next time close.",
        (),
        {"customer_discovery": "questions"},
        "followed_up",
    ),
    (
        "Questions remain a development area. Today the call on Dr Ng went fine.",
        (),
        {"customer_discovery": "Questions"},
        "partly",
    ),
    (
        "Last time we worked on something else. Today the call on Dr Ng went fine.",
        ("Last time we worked on something else.",),
        {},
        "not_followed_up",
    ),
    (
        "At the pharmacy you sorted out the stock shortage and agreed a delivery date.",
        (),
        {},
        "not_followed_up",
    ),
    (
        "Great energy in the car. The formulary meeting is booked for May.",
        (),
        {"market_access": "formulary"},
        "not_followed_up",
    ),
]


def test_words_drop_stopwords_cut_endings_and_fold_synonyms(vocab: Vocabulary) -> None:
    assert vocab.content("Next time ask two open questions about her patients.") == {
        "question",
        "open",
        "patient",
    }
    # "concerns" folds into its group's first word, "objection"; "the" and "visit" are stopwords
    assert vocab.content("the concerns at the visit") == {"objection"}
    assert "improv" in vocab.progress


@pytest.mark.parametrize(("text", "back", "comps", "expected"), PAIRS)
def test_decide(
    vocab: Vocabulary, text: str, back: tuple[str, ...], comps: dict[str, str], expected: str
) -> None:
    previous = previous_of(
        made("p", PREV, objective=PREV_OBJ, comps={"customer_discovery": "open questions"}),
        "2026-02-01",
        vocab,
    )
    current = current_of(made("c", text, back=back, comps=comps), vocab)
    assert decide(previous, current, vocab).status == expected


def test_a_look_back_is_not_the_objective_a_later_report_follows(vocab: Vocabulary) -> None:
    text = "Last visit we agreed to summarise. Next time ask for the order."
    back = ("Last visit we agreed to summarise.",)
    audit = made("p", text, objective=(back[0], "Next time ask for the order."), back=back)
    assert [e.text for e in previous_of(audit, "2026-01-01", vocab).evidence()] == [
        "Next time ask for the order."
    ]


def test_without_an_objective_a_labelled_sentence_stands_in(vocab) -> None:
    labelled = made("p", "Good call.\n- Next: summarise before closing.\n- Thanks")
    assert [e.text for e in previous_of(labelled, "2026-01-01", vocab).evidence()] == [
        "- Next: summarise before closing."
    ]
    plain = made("p", "Good call. Ask for the order.")
    assert previous_of(plain, "2026-01-01", vocab).objective == ()


def test_rep_and_date() -> None:
    assert rep_and_date(made("a", "x", rep=" ann ", date="2026-03-01T10:00")) == (
        "ann",
        "2026-03-01",
    )
    assert "no rep" in str(rep_and_date(made("a", "x", rep=None)))
    assert "no date" in str(rep_and_date(made("a", "x", date=None)))
    assert "not an ISO date" in str(rep_and_date(made("a", "x", date="03/01/2026")))


def test_batch_history_gives_the_latest_strictly_earlier_report(vocab: Vocabulary) -> None:
    batch = BatchHistory(vocab)
    for id, date in (("late", "2026-03-10"), ("early", "2026-01-10"), ("mid", "2026-02-10")):
        batch.add(made(id, PREV, objective=PREV_OBJ, date=date))
    batch.add(made("other", PREV, objective=PREV_OBJ, rep="bob", date="2026-03-01"))
    batch.add(made("norep", PREV, objective=PREV_OBJ, rep=None))
    found = batch.before("ann", "2026-03-01")
    assert found is not None and (found.id, found.date) == ("mid", "2026-02-10")
    assert batch.before("ann", "2026-01-10") is None  # the same date is not earlier
    assert batch.before("nobody", "2026-03-01") is None


def test_a_history_provider_is_used_when_it_knows_a_later_report(vocab: Vocabulary) -> None:
    batch = BatchHistory(vocab)
    batch.add(made("batch", PREV, objective=PREV_OBJ, date="2026-01-10"))
    stored = made("stored", PREV, objective=PREV_OBJ, date="2026-02-10")
    asked: list[tuple[str, str]] = []

    def store(rep: str, before: str) -> ReportAudit | None:
        asked.append((rep, before))
        return stored

    found = latest_previous(batch, store, "ann", "2026-03-01")
    assert found is not None and found.id == "stored" and asked == [("ann", "2026-03-01")]
    older = made("old", PREV, objective=PREV_OBJ, date="2025-12-01")
    found = latest_previous(batch, lambda rep, before: older, "ann", "2026-03-01")
    assert found is not None and found.id == "batch"


def _pass(
    rules: RuleSet, ft: FollowThroughSettings, *audits: ReportAudit, **kw
) -> FollowThroughPass:
    batch = BatchHistory(Vocabulary(ft))
    for audit in audits:
        batch.add(audit)
    return FollowThroughPass(rules, ft, batch, **kw)


def test_not_followed_up_gets_fol001_and_the_score_counts_it(rules: RuleSet, ft) -> None:
    first = made("p", PREV, objective=PREV_OBJ, date="2026-02-01", rules=rules)
    later = made("c", PAIRS[5][0], date="2026-03-01", findings=("OBS001",), rules=rules)
    judged = _pass(rules, ft, first, later)(later)
    assert judged.follow_through is not None
    assert judged.follow_through.status == "not_followed_up"
    assert judged.follow_through.previous_id == "p"
    assert [e.text for e in judged.follow_through.previous_objective] == list(PREV_OBJ)
    assert [f.code for f in judged.findings] == ["OBS001", "FOL001"]
    fol = judged.findings[-1]
    assert "2026-02-01" in fol.message and PREV_OBJ[0] in fol.message
    assert fol.explanation and "previous objective (p, 2026-02-01)" in fol.explanation
    specs = [c.spec for c in build_checks(rules)]
    assert (judged.score, judged.verdict) == score_report(
        judged.findings, specs, rules.rubric.scoring
    )
    # judging again (a resumed run, an audit from a store) gives the same audit
    assert _pass(rules, ft, first, judged)(judged) == judged


def test_followed_up_counts_the_check_as_passed(rules: RuleSet, ft) -> None:
    first = made("p", PREV, objective=PREV_OBJ, date="2026-02-01", rules=rules)
    text, back, comps, _ = PAIRS[0]
    later = made("c", text, back=back, comps=comps, findings=("OBS001",), rules=rules)
    judged = _pass(rules, ft, first, later)(later)
    assert judged.follow_through and judged.follow_through.status == "followed_up"
    assert judged.follow_through.back_references == later.follow_up
    assert [f.code for f in judged.findings] == ["OBS001"]
    # FOL001 was judged, so it now applies (and passed); other checks' applicability stays.
    later = later.model_copy(update={"not_applicable": ["FOL001", "RAT001"]})
    assert _pass(rules, ft, first, later)(later).not_applicable == ["RAT001"]
    specs = [c.spec for c in build_checks(rules)]
    assert judged.score == score_report(judged.findings, specs, rules.rubric.scoring)[0]


def test_ignored_fol001_is_not_added_nor_scored(rules: RuleSet, ft) -> None:
    first = made("p", PREV, objective=PREV_OBJ, date="2026-02-01", rules=rules)
    later = made("c", PAIRS[5][0], findings=("OBS001",), rules=rules)
    judged = _pass(rules, ft, first, later, ignore=["FOL001"])(later)
    assert judged.follow_through and judged.follow_through.status == "not_followed_up"
    assert [f.code for f in judged.findings] == ["OBS001"]
    assert (judged.score, judged.verdict) == (later.score, later.verdict)


@pytest.mark.parametrize(
    ("audit", "reason"),
    [
        (made("x", PREV, objective=PREV_OBJ, rep=None), "no rep"),
        (made("x", PREV, objective=PREV_OBJ, date="soon"), "not an ISO date"),
        (made("x", PREV, objective=PREV_OBJ, rep="zoe"), "no earlier report of rep 'zoe'"),
        (made("x", PREV, objective=PREV_OBJ, rep="bob"), "sets no objective"),
    ],
)
def test_not_assessed_keeps_score_and_findings(rules: RuleSet, ft, audit, reason: str) -> None:
    # an audit without its text (as a store may keep it) and without an objective
    no_objective = made("b0", "Nice call.", rep="bob", date="2026-01-01").model_copy(
        update={"text": None}
    )
    audit = audit.model_copy(update={"not_applicable": ["FOL001"]})
    judged = _pass(rules, ft, no_objective, audit)(audit)
    assert judged.follow_through and judged.follow_through.status == "not_assessed"
    assert judged.not_applicable == ["FOL001"]
    assert reason in judged.follow_through.reason
    assert judged.model_dump(exclude={"follow_through"}) == audit.model_dump(
        exclude={"follow_through"}
    )


def test_failed_records_pass_unchanged(rules: RuleSet, ft) -> None:
    failed = ReportAudit(id="bad", metadata={"rep": "ann", "date": "2026-03-01"}, error="empty")
    assert _pass(rules, ft, failed)(failed) == failed


def test_split_example() -> None:
    assert split_example("a\n---\nb") == ("a", "b")
    with pytest.raises(ValueError, match="separated by a line '---'"):
        split_example("just one report")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ann", "bob", None]),
            st.sampled_from(["2026-01-01", "2026-02-01", "2026-03-01", None, "later"]),
            st.booleans(),
        ),
        max_size=8,
    )
)
def test_every_audit_keeps_its_id_and_only_assessed_ones_change_score(
    rules: RuleSet, ft, rows: list[tuple[str | None, str | None, bool]]
) -> None:
    audits = [
        made(f"r{i}", PREV, objective=PREV_OBJ if has_obj else (), rep=rep, date=date)
        for i, (rep, date, has_obj) in enumerate(rows)
    ]
    judge = _pass(rules, ft, *audits)
    for before in audits:
        after = judge(before)
        assert after.id == before.id and after.follow_through is not None
        if after.follow_through.status == "not_assessed":
            assert (after.score, after.findings) == (before.score, before.findings)
        else:
            assert after.follow_through.previous_date is not None
            assert after.follow_through.previous_date < str(before.metadata["date"])
