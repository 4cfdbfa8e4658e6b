"""The pure derivation (auditor.nlp.derivation) on hand-built sentences and matches: no spaCy.

Sentences are written out as plain facts (offsets, heading role, verb lemmas) and matches as
labelled offsets, the way the spaCy side hands them over; the bundled rule pack supplies the
weights and windows, changed per test where a test is about one of them.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.annotations import Annotations
from auditor.config import RuleSet
from auditor.nlp.derivation import (
    Match,
    SentenceFacts,
    derive_annotations,
    read_sentences,
)


class Report:
    """A report built sentence by sentence, with matches placed by their words.

    A sentence is its text or (text, facts); a `content_start` there counts from its start.
    """

    def __init__(self, *sentences: str | tuple[str, dict[str, Any]]) -> None:
        self.facts: list[SentenceFacts] = []
        self.matches: list[Match] = []
        parts, pos = [], 0
        for item in sentences:
            text, facts = (item, {}) if isinstance(item, str) else item
            if "content_start" in facts:
                facts = {**facts, "content_start": pos + facts["content_start"]}
            self.facts.append(SentenceFacts(pos, pos + len(text), text, **facts))
            parts.append(text)
            pos += len(text) + 1
        self.text = " ".join(parts)

    def hit(self, label: str, words: str, sentence: int) -> Report:
        """Add a match of `label` on the first `words` in sentence `sentence`."""
        s = self.facts[sentence]
        start = s.start + s.text.index(words)
        self.matches.append(Match(label, start, start + len(words), f"phrase:{words}"))
        return self

    def annotate(self, rules: RuleSet) -> Annotations:
        reading = read_sentences(self.text, self.facts, self.matches, rules)
        return derive_annotations(self.text, reading, rules)


def _with(rules: RuleSet, section: str, part: str, **values: Any) -> RuleSet:
    """The pack with `section.part` fields replaced."""
    outer = getattr(rules, section)
    inner = getattr(outer, part).model_copy(update=values)
    return rules.model_copy(update={section: outer.model_copy(update={part: inner})})


ACTION = {"heading_role": "action"}


def test_focus_ranks_by_weight_then_taxonomy_and_drops_the_weak(rules: RuleSet) -> None:
    report = Report(
        "Opening: we met about objections and payer access.",  # opening sentence: passing
        ("You answered the objection and then the objection again.", ACTION),
        ("You handled the objection with data.", ACTION),
        ("You asked open questions to discover needs.", ACTION),
        ("You asked about her patients.", ACTION),
        ("You planned the call well.", ACTION),
        "She also had not discovered who decides.",  # running prose: body weight
    )
    report.hit("competency:payer_access", "payer access", 0)
    for i in (1, 2):
        report.hit("competency:objection_handling", "objection", i)
    report.hit("competency:objection_handling", "objection again", 1)  # same sentence: once
    report.hit("competency:customer_discovery", "open questions", 3)
    report.hit("competency:customer_discovery", "her patients", 4)
    report.hit("competency:call_planning", "planned the call", 5)
    report.hit("competency:customer_discovery", "discovered", 6)
    ann = report.annotate(rules)
    # customer_discovery 1 + 1 + 0.75, objection_handling 1 + 1 (not 3), call_planning 1
    # (below min_score 1.25 when not the strongest), payer_access 0.25.
    assert ann.focus == ("customer_discovery", "objection_handling")
    assert [(h.label, h.text) for h in ann.focus_evidence] == [
        ("customer_discovery", "open questions"),
        ("customer_discovery", "her patients"),
        ("customer_discovery", "discovered"),
        ("objection_handling", "objection"),
        ("objection_handling", "objection again"),
        ("objection_handling", "objection"),
    ]
    assert ann.signal("focus_competencies") == ann.focus_evidence
    assert {h.label for h in ann.competencies} == {
        "payer_access",
        "objection_handling",
        "customer_discovery",
        "call_planning",
    }


def test_focus_ties_follow_taxonomy_order_and_the_top_needs_less(rules: RuleSet) -> None:
    tie = Report(("You asked open questions.", ACTION), ("You planned the call.", ACTION))
    tie.hit("competency:customer_discovery", "open questions", 0)
    tie.hit("competency:call_planning", "planned the call", 1)
    tie.hit("competency:customer_discovery", "asked", 0)
    tie.hit("competency:call_planning", "the call", 1)
    # Both score 1: the strongest (by taxonomy order on a tie) passes top_min_score 1.0, the
    # second misses min_score 1.25.
    assert tie.annotate(rules).focus == ("call_planning",)
    strict = _with(rules, "sections", "focus", top_min_score=1.5)
    assert tie.annotate(strict).focus == ()


def test_topic_heading_words_and_context_weights(rules: RuleSet) -> None:
    report = Report(
        "Intro line for the day.",
        "Objections: take your time.",  # the competency named as the topic: 1.25
        ("Call objective: the nurse.", {"heading_role": "situation", "content_start": 16}),
    )
    report.hit("competency:objection_handling", "Objections", 1)
    report.hit("competency:call_planning", "Call objective", 2)  # heading words: dropped
    report.hit("competency:stakeholder_engagement:context", "nurse", 2)
    ann = report.annotate(rules)
    assert ann.focus == ("objection_handling",)
    assert [h.label for h in ann.competencies] == ["objection_handling", "stakeholder_engagement"]


def test_objectives_with_their_facets(rules: RuleSet) -> None:
    report = Report(
        "We met Dr Lee.",
        ("Next time ask three open questions per call.", {"verbs": frozenset({"ask"})}),
        "I will listen for them by 12 May.",
        "Reach 110% of target by Q4.",  # a sales target: no named behaviour, a metric
        "Try to do better.",  # a next-objective cue without a verb or a time bound
    )
    report.hit("cue:next_objective", "Next time", 1).hit("smart:measure", "per call", 1)
    report.hit("cue:next_objective", "will", 2).hit("smart:time", "12 May", 2)
    report.hit("cue:next_objective", "Reach", 3).hit("smart:time", "Q4", 3)
    report.hit("lex:metric", "target", 3)
    report.hit("cue:next_objective", "Try to", 4)
    ann = report.annotate(rules)
    assert [(o.text, o.specific, o.measurable, o.time_bound) for o in ann.objectives] == [
        ("Next time ask three open questions per call.", True, True, True),
        ("I will listen for them by 12 May.", True, True, True),
    ]
    assert [h.source for h in ann.signal("next_objective")] == ["phrase:Next time", "phrase:will"]
    named = Report("We met Dr Lee.", "Work on objection handling by Friday.")
    named.hit("cue:next_objective", "Work on", 1).hit("smart:time", "by Friday", 1)
    named.hit("competency:objection_handling", "objection handling", 1)
    assert [o.facets for o in named.annotate(rules).objectives] == [2]  # specific: competency
    narrow = _with(rules, "sections", "smart", window=0)
    assert [
        (o.specific, o.measurable, o.time_bound) for o in report.annotate(narrow).objectives
    ] == [(True, True, False), (False, False, True)]


@pytest.mark.parametrize(
    ("sentence", "praise", "reinforced"),
    [
        ("You handled the objection well.", "well", True),
        ("You did not do well.", "well", False),  # 'not', one word, in the 12 characters before
        ("You did not handle the objection well.", "well", True),  # three words between
        ("You handled it, but never effectively.", "effectively", False),
        ("You handled it, not really effectively.", "effectively", False),
        ("You did not really very effectively.", "effectively", True),  # two words between
        ("Not one objection threw you: effectively done.", "effectively", True),  # out of window
        ("NEVER effectively handled.", "effectively", False),  # case-insensitive
        ("You know it well.", "well", True),  # 'no' only as a whole word
        ("You didn't do well.", "well", False),  # "n't" ends a word: no word start before it
        ("You briefed Juno Hospital well.", "well", True),  # the window starts inside "Juno"
    ],
)
def test_negated_praise_is_no_reinforcement(
    rules: RuleSet, sentence: str, praise: str, reinforced: bool
) -> None:
    report = Report(sentence).hit("cue:reinforcement", praise, 0)
    report.hit("cue:action", sentence.split()[1], 0)  # praise must name something
    ann = report.annotate(rules)
    assert ann.has("reinforcement") is reinforced
    assert ann.has("action")


def test_praise_window_and_negation_words_come_from_the_pack(rules: RuleSet) -> None:
    sentence = "Not one objection threw you: effectively done."
    report = Report(sentence).hit("cue:reinforcement", "effectively", 0)
    report.hit("cue:action", "threw", 0)
    assert report.annotate(rules).has("reinforcement")
    wide = _with(rules, "reading", "praise", window=40, words_between=4)
    assert not report.annotate(wide).has("reinforcement")
    close = Report("You did not do well.").hit("cue:reinforcement", "well", 0)
    close.hit("cue:action", "did", 0)
    assert not close.annotate(rules).has("reinforcement")
    other_words = _with(rules, "reading", "praise", negation=("hardly",))
    assert close.annotate(other_words).has("reinforcement")


def test_praise_needs_something_specific(rules: RuleSet) -> None:
    bare = Report("Great call today.").hit("cue:reinforcement", "Great", 0)
    assert not bare.annotate(rules).has("reinforcement")
    headed = Report(("Great call today.", {"heading_role": "reinforcement"}))
    assert headed.hit("cue:reinforcement", "Great", 0).annotate(rules).has("reinforcement")


def _compliance(exception_in: int) -> Report:
    sentences = [
        "Dr Patel asked about use in pregnancy.",
        "You paused.",
        "You took a note.",
        "You checked the time.",
    ]
    sentences[exception_in] = "You referred her to medical information."
    return Report(*sentences).hit("lex:compliance_risk", "in pregnancy", 0)


def test_a_lexicon_exception_reaches_the_hits_sentence_and_two_after(rules: RuleSet) -> None:
    assert [_compliance(i).annotate(rules).has("compliance_risk") for i in (1, 2, 3)] == [
        False,
        False,
        True,
    ]
    assert [h.text for h in _compliance(3).annotate(rules).signal("compliance_risk")] == [
        "in pregnancy"
    ]
    longer = _with(rules, "reading", "exceptions", sentences=4)
    assert not _compliance(3).annotate(longer).has("compliance_risk")
    before = Report("You referred her to medical information.", "She asked about pregnancy.")
    assert (
        before.hit("lex:compliance_risk", "pregnancy", 1).annotate(rules).has("compliance_risk")
    )  # an exception before the hit does not cancel it


def test_a_bare_hit_counts_only_in_a_sentence_that_names_no_behaviour(rules: RuleSet) -> None:
    def judged(sentence: str | tuple[str, dict[str, Any]], cue: str | None = None) -> list[str]:
        report = Report(sentence, "Next call is on Monday.").hit("bare:judgmental", "do better", 0)
        if cue:
            report.hit(cue, "when she raised cost", 0)
        ann = report.annotate(rules)
        return [f"{h.label}:{h.text}" for h in ann.signal("judgmental")]

    assert judged("Next time do better.") == ["judgmental:do better"]
    coached = ("To do better, ask two open questions.", {"verbs": frozenset({"ask"})})
    assert judged(coached) == []  # a coaching verb (smart.specific) names the behaviour
    observed = "You must do better when she raised cost."
    assert judged(observed) == ["judgmental:do better"]
    assert judged(observed, "cue:observed") == [] and judged(observed, "cue:rep_voice") == []


def test_numbers_only_drops_priorities(rules: RuleSet) -> None:
    report = Report("Sales are down and market share too.", "Priority is access.")
    report.hit("lex:metric", "Sales", 0).hit("lex:metric", "market share", 0)
    report.hit("priority:market_access", "access", 1)
    ann = report.annotate(rules)
    assert [h.text for h in ann.signal("numbers_only")] == ["Sales", "market share"]
    assert ann.priorities == () and not ann.has("priorities")
    coached = Report(
        ("You asked about access.", ACTION),
        ("You opened well.", ACTION),
        "Sales and market share are down.",
    )
    coached.hit("lex:metric", "Sales", 2).hit("lex:metric", "market share", 2)
    assert not coached.annotate(rules).has("numbers_only")
    no_roles = _with(rules, "sections", "numbers_only", coaching_roles=("result",))
    assert coached.annotate(no_roles).has("numbers_only")
