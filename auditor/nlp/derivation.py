"""From rule hits in a report's sentences to its annotations: pure, no spaCy.

`read_sentences` gives each sentence its roles and cues from the rule matches;
`derive_annotations` derives the focus competencies, the objectives and the signals from those
readings. The inputs are plain facts that `auditor.nlp.reading` takes from the spaCy Doc, so
both run (and are tested) without a model.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from math import log1p
from typing import cast

from auditor.annotations import Annotations, Candidate, Hit, Objective
from auditor.config import RuleSet

_WORD = re.compile(r"[a-z][a-z'-]*")
#: The sentence roles whose counts describe a focus candidate.
ROLES = ("situation", "action", "result", "next_objective", "reinforcement", "rep_voice")
_TOPIC = re.compile(r"\s*(?:[:–—]|\s-\s)")
#: What leads into a focus the manager states: "Focus: ", "Focus until we meet again - ".
_FOCUS_LABEL = re.compile(r"\bfocus\b[^.:;\n]{0,40}(?:[:–—]|\s-)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Match:
    """A rule hit: label, `[start, end)` character offsets, and the rule that fired."""

    label: str
    start: int
    end: int
    source: str


@dataclass(frozen=True, slots=True)
class SentenceFacts:
    """One non-blank sentence as the Doc shows it."""

    start: int
    end: int
    text: str
    heading_role: str | None = None
    content_start: int = -1  # on a heading's line: where the text after the heading starts
    content: bool = True  # False: a heading line with (almost) nothing after the heading
    verbs: frozenset[str] = frozenset()  # lower-cased lemmas of its verbs


@dataclass(frozen=True, slots=True)
class SentenceReading(SentenceFacts):
    """A sentence with the roles it plays and its cues (by cue label, in text order)."""

    roles: frozenset[str] = frozenset()
    cues: Mapping[str, tuple[Match, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """A report's sentence readings and its kept matches, with their sentence index, by kind."""

    sentences: tuple[SentenceReading, ...]
    matches: Mapping[str, tuple[tuple[Match, int], ...]]

    def of(self, kind: str) -> tuple[tuple[Match, int], ...]:
        """The kept matches of one kind ("priority", "competency", "cue", "smart", "lex")."""
        return self.matches.get(kind, ())


@lru_cache(maxsize=64)
def _exception_pattern(exceptions: tuple[str, ...]) -> re.Pattern[str]:
    # An exception matches at a word start ("refer" in "referred", not in "prefer";
    # "never" not in "whenever"); it may end mid-word ("no patient identif").
    return re.compile("|".join(rf"(?<!\w){re.escape(e.lower())}" for e in exceptions))


@lru_cache(maxsize=16)
def _negation_pattern(words: tuple[str, ...], between: int) -> re.Pattern[str]:
    # A word starts at a word boundary; "n't" ends one ("didn't"), with either apostrophe.
    cues = "|".join(
        re.escape(w).replace("'", "['’]") if w.startswith("n'") else rf"\b{re.escape(w)}"
        for w in words
    )
    return re.compile(rf"(?:{cues})\W+(?:\w+\W+){{0,{between}}}$", re.IGNORECASE)


@lru_cache(maxsize=16)
def _lowered(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w.lower() for w in words)


def read_sentences(
    text: str, sentences: Sequence[SentenceFacts], matches: Iterable[Match], rules: RuleSet
) -> Reading:
    """Keep the matches that count and give each sentence its roles and cues."""
    starts = [s.start for s in sentences]
    exceptions = {
        lex.label: _exception_pattern(lex.exceptions)
        for lex in rules.lexicons.values()
        if lex.exceptions
    }
    reach = rules.reading.exceptions.sentences
    by_kind: dict[str, list[tuple[Match, int]]] = defaultdict(list)
    cues: list[dict[str, list[Match]]] = [defaultdict(list) for _ in sentences]
    seen: set[tuple[str, int, int]] = set()
    ordered = sorted(matches, key=lambda m: (m.start, -m.end))
    behaviour = _behaviour_sentences(sentences, starts, ordered, rules)
    for m in ordered:
        i = bisect_right(starts, m.start) - 1
        if i >= 0 and m.label.startswith("bare:"):
            if i in behaviour:
                continue  # "to do better, ask two open questions" names what to do
            m = replace(m, label=f"lex:{m.label[5:]}")
        if i < 0 or (m.label, m.start, m.end) in seen:
            continue
        seen.add((m.label, m.start, m.end))
        kind, _, label = m.label.partition(":")
        if m.start < sentences[i].content_start and kind in ("priority", "competency", "cue"):
            continue  # words of a heading ("Call objective:") are not content
        if kind == "lex" and label in exceptions:
            # "Dr X asked about off-label use. She referred it to medical information." is
            # handled correctly, not a risk: the hit's sentence and the ones after it count.
            low = " ".join(x.text for x in sentences[i : i + reach]).lower()
            if exceptions[label].search(low):
                continue
        by_kind[kind].append((m, i))
        if kind in ("cue", "smart", "lex"):
            cues[i][label].append(m)
    comp_sents = {i for _, i in by_kind["competency"]}
    read = tuple(
        SentenceReading(
            s.start,
            s.end,
            s.text,
            s.heading_role,
            s.content_start,
            s.content,
            s.verbs,
            _roles(text, s, i, cue, i in comp_sents, rules),
            {k: tuple(v) for k, v in cue.items()},
        )
        for i, (s, cue) in enumerate(zip(sentences, cues, strict=True))
    )
    return Reading(read, {k: tuple(v) for k, v in by_kind.items()})


def _behaviour_sentences(
    sentences: Sequence[SentenceFacts], starts: list[int], matches: Iterable[Match], rules: RuleSet
) -> set[int]:
    """The sentences that name a behaviour or give the rep's view: `bare` lexicon rules skip them.

    A coaching verb (`smart.specific.lemmas`), an observed-behaviour cue or a rep's-voice cue.
    """
    out = {i for i, s in enumerate(sentences) if _specific(s, rules)}
    for m in matches:
        if m.label in ("cue:observed", "cue:rep_voice"):
            out.add(bisect_right(starts, m.start) - 1)
    return out


def _roles(
    text: str,
    s: SentenceFacts,
    i: int,
    cues: Mapping[str, list[Match]],
    has_competency: bool,
    rules: RuleSet,
) -> frozenset[str]:
    sec = rules.sections
    roles: set[str] = set()
    head = s.heading_role if s.content else None
    if head:
        roles.add(head)
    for role in ("action", "result", "rep_voice"):
        if cues.get(role):
            roles.add(role)
    # Under a heading, cues do not override what the form says about plan and goals.
    if head in (None, "situation") and (
        cues.get("situation") or (i < sec.setting_sentences and cues.get("setting"))
    ):
        roles.add("situation")
    # "The call objective was to ..." states today's plan: a next-objective cue inside a
    # situation cue ("objective" in "call objective") does not make a next objective.
    ahead = [
        m
        for m in cues.get("next_objective", ())
        if not any(c.start <= m.start and m.end <= c.end for c in cues.get("situation", ()))
    ]
    if head in (None, "result") and ahead:
        # A sales target ("reach 110% by Q4") is not a development objective.
        if _specific(s, rules) or (cues.get("time") and not cues.get("metric")):
            roles.add("next_objective")
    # Praise counts as reinforcement only when it names something specific and is not negated.
    praise = rules.reading.praise
    negated = _negation_pattern(praise.negation, praise.words_between)
    if any(
        # Searched in place, so a window that starts inside a word ("Ju|no") sees the word.
        not negated.search(text, max(s.start, m.start - praise.window), m.start)
        for m in cues.get("reinforcement", ())
    ) and (head == "reinforcement" or cues.get("observed") or cues.get("action") or has_competency):
        roles.add("reinforcement")
    return frozenset(roles)


def _specific(s: SentenceFacts, rules: RuleSet) -> bool:
    """Whether the sentence names a behaviour: a verb among `smart.specific.lemmas`."""
    return not s.verbs.isdisjoint(_lowered(rules.sections.smart.specific.lemmas))


def without_masked_mentions(reading: Reading, rules: RuleSet) -> Reading:
    """The reading without the priority and competency mentions that a lexicon hit in the same
    sentence masks (`not_evidence_for`): an off-label instruction is no compliance coaching.

    Only hits kept after their lexicon's exceptions mask, so a sentence that coaches against a
    risk ("we agreed to refer such questions to medical") keeps its mentions.
    """
    masked: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for m, i in reading.of("lex"):
        lexicon = rules.lexicons.get(m.label.partition(":")[2])
        if lexicon is not None:
            masked[i].update(lexicon.not_evidence_for.labels)
    if not masked:
        return reading
    kept = {
        kind: tuple((m, i) for m, i in reading.of(kind) if _taxonomy_key(m) not in masked[i])
        for kind in ("priority", "competency")
    }
    return dataclasses.replace(reading, matches={**reading.matches, **kept})


def _taxonomy_key(m: Match) -> tuple[str, str]:
    """(kind, id) of a priority or competency match ("competency:id:context" included)."""
    kind, _, rest = m.label.partition(":")
    return kind, rest.partition(":")[0]


def derive_annotations(text: str, reading: Reading, rules: RuleSet) -> Annotations:
    """Focus competencies, objectives and signals from a report's sentence readings."""
    reading = without_masked_mentions(reading, rules)
    sents = reading.sentences

    def hit(m: Match, label: str | None = None) -> Hit:
        return Hit(m.start, m.end, label or m.label.split(":")[1], text[m.start : m.end], m.source)

    def role_hits(role: str) -> tuple[Hit, ...]:
        return tuple(
            Hit(s.start, s.end, role, s.text, _why(s, role)) for s in sents if role in s.roles
        )

    priorities = tuple(hit(m) for m, _ in reading.of("priority"))
    competencies = tuple(hit(m) for m, _ in reading.of("competency"))
    comp_mentions = _mentions(text, reading, rules, "competency")
    focus = _focus(_scores(comp_mentions), rules)
    focus_evidence = tuple(
        hit(mt.match) for c in focus for mt in _evidence(comp_mentions, c, rules)
    )
    lex = {
        label: tuple(hit(m) for m, _ in reading.of("lex") if m.label == f"lex:{label}")
        for label in ("judgmental", "compliance_risk", "metric")
    }
    observed = tuple(hit(m, "observed_behavior") for s in sents for m in s.cues.get("observed", ()))
    signals = {
        "situation": role_hits("situation"),
        "action": role_hits("action"),
        "result": role_hits("result"),
        "next_objective": role_hits("next_objective"),
        "reinforcement": role_hits("reinforcement"),
        "dialogue": role_hits("rep_voice"),
        "observed_behavior": observed,
        "judgmental": lex["judgmental"],
        "compliance_risk": lex["compliance_risk"],
        "focus_competencies": focus_evidence,
        "priorities": priorities,
    }
    spec = rules.sections.numbers_only
    coaching_roles = frozenset(spec.coaching_roles)
    coaching = sum(1 for s in sents if s.roles & coaching_roles and not s.cues.get("metric"))
    numbers_only = (
        len(lex["metric"]) >= spec.min_metric_hits
        and coaching <= spec.max_coaching_sentences
        and len(observed) <= spec.max_observed
    )
    signals["numbers_only"] = lex["metric"] if numbers_only else ()
    if numbers_only:
        priorities = ()  # a priority is connected through coaching, and there is none
        signals["priorities"] = ()
    prio_mentions = _mentions(text, reading, rules, "priority") if priorities else []
    alignment = rules.strategy.alignment
    prio_ids = {mt.id for mt in prio_mentions}
    comp_ids = {mt.id for mt in comp_mentions}
    candidates = _candidates(
        "competency",
        comp_mentions,
        focus,
        frozenset(c for p in prio_ids for c in alignment.get(p, ())),
        reading,
        rules,
        hit,
    ) + _candidates(
        "priority",
        prio_mentions,
        tuple(prio_ids),
        frozenset(p for p, cs in alignment.items() if comp_ids & set(cs)),
        reading,
        rules,
        hit,
    )
    return Annotations(
        text=text,
        rep_level=None,
        priorities=priorities,
        competencies=competencies,
        focus=focus,
        focus_evidence=focus_evidence,
        objectives=_objectives(reading, rules),
        signals=signals,
        candidates=candidates,
    )


@dataclass(frozen=True, slots=True)
class _Mention:
    """A competency or priority mention with the weight its sentence gives it."""

    id: str
    match: Match
    sentence: int
    weight: float
    stated: bool  # the manager's own statement of a focus ("Objections: ...", "Focus: closing")
    topic: bool
    context: bool


def _mentions(text: str, reading: Reading, rules: RuleSet, kind: str) -> list[_Mention]:
    """Mentions of one kind ("competency", "priority"): coaching sentences weigh more."""
    sents, spec = reading.sentences, rules.sections.focus
    weights = cast(dict[str, float], spec.role_weights)  # keys validated as roles
    out = []
    for m, i in reading.of(kind):
        cid, _, ctx = m.label.partition(":")[2].partition(":")
        weight = max((weights.get(r, 0.0) for r in sents[i].roles), default=0.0) or (
            _passing_weight(sents, i, rules)
        )
        if ctx:
            weight *= spec.context_factor
        lead = text[sents[i].start : m.start].strip(" \t\n-*•·0123456789.)(")
        topic = bool(_TOPIC.match(text, m.end)) and not lead
        if topic:
            # "Objections: take your time when..." names the competency as the topic.
            weight = max(weight, spec.topic_weight)
        stated = topic or bool(_FOCUS_LABEL.search(lead))
        out.append(_Mention(cid, m, i, weight, stated, topic, bool(ctx)))
    return out


def _scores(mentions: Iterable[_Mention]) -> dict[str, float]:
    """Sum of mention weights per id; several mentions in one sentence count once."""
    best: dict[tuple[str, int], float] = {}
    for mt in mentions:
        best[mt.id, mt.sentence] = max(best.get((mt.id, mt.sentence), 0.0), mt.weight)
    scores: dict[str, float] = defaultdict(float)
    for (cid, _), weight in best.items():
        scores[cid] += weight
    return scores


def _focus(scores: Mapping[str, float], rules: RuleSet) -> tuple[str, ...]:
    """The rules' focus competencies: the strongest needs less evidence than the others."""
    spec = rules.sections.focus
    ranked = sorted(scores, key=lambda c: (-scores[c], rules.competency_ids.index(c)))
    return tuple(
        c
        for n, c in enumerate(ranked)
        if scores[c] >= (spec.top_min_score if n == 0 else spec.min_score)
    )


def _evidence(mentions: Iterable[_Mention], cid: str, rules: RuleSet) -> list[_Mention]:
    """Mentions a check may cite: in coaching sentences, not the manager's own focus label."""
    floor = rules.sections.focus.passing_weight
    return [mt for mt in mentions if mt.id == cid and mt.weight > floor and not mt.stated]


def _candidates(
    kind: str,
    mentions: Sequence[_Mention],
    chosen: Sequence[str],
    linked: frozenset[str],
    reading: Reading,
    rules: RuleSet,
    hit: Callable[[Match], Hit],
) -> tuple[Candidate, ...]:
    """Every mentioned id of a kind with the facts the learned focus decision reads.

    `chosen` are the ids the rules decided on; `linked` the ids of the other kind that the
    strategy's alignment map ties this kind's ids to (a competency serving a mentioned priority).
    """
    sents = reading.sentences
    scores = _scores(mentions)
    total = sum(scores.values()) or 1.0
    ranked = sorted(scores, key=lambda c: -scores[c])
    n = max(len(sents), 1)
    out = []
    for rank, cid in enumerate(ranked):
        own = [mt for mt in mentions if mt.id == cid]
        idx = sorted({mt.sentence for mt in own})
        others = [scores[o] for o in scores if o != cid]
        features: dict[str, float] = {
            f"id={cid}": 1.0,
            "mentions": log1p(len(own)),
            "sentences": log1p(len(idx)),
            "score": scores[cid],
            "share": scores[cid] / total,
            "gap": scores[cid] - max(others, default=0.0),
            "top": float(rank == 0),
            "second": float(rank == 1),
            "rules_chose": float(cid in chosen),
            "first": idx[0] / n,
            "last": idx[-1] / n,
            "topic": float(any(mt.topic for mt in own)),
            "stated": float(any(mt.stated for mt in own)),
            "context_only": float(all(mt.context for mt in own)),
            "candidates": log1p(len(scores)),
            "linked": float(cid in linked),
            "heading": float(any(sents[i].heading_role for i in idx)),
            "no_role": float(min(sum(1 for i in idx if not sents[i].roles), 3)),
        }
        for role in ROLES:
            features[f"role={role}"] = float(min(sum(1 for i in idx if role in sents[i].roles), 3))
        words = tuple(w for i in idx for w in _WORD.findall(sents[i].text.lower()))
        out.append(
            Candidate(
                kind,
                cid,
                features,
                words,
                tuple(hit(mt.match) for mt in _evidence(own, cid, rules)),
                tuple(hit(mt.match) for mt in own),
            )
        )
    return tuple(out)


def _passing_weight(sents: Sequence[SentenceReading], i: int, rules: RuleSet) -> float:
    """The weight of a mention in sentence `i`, which has no coaching role.

    In running prose, feedback often comes without a cue ("She also hasn't reached the
    buyer."): after the opening sentence and outside headed sections, such a sentence weighs
    `focus.body_weight`. The opening sentence and headed sections ("Context: ...") set the
    scene and weigh `focus.passing_weight`.
    """
    spec = rules.sections.focus
    if spec.body_weight is None or i == 0 or sents[i].heading_role is not None:
        return spec.passing_weight
    return max(spec.body_weight, spec.passing_weight)


def _objectives(reading: Reading, rules: RuleSet) -> tuple[Objective, ...]:
    """One objective per next-objective sentence, its facets looked for in its neighbours too."""
    sents = reading.sentences
    comp_sents = {i for _, i in reading.of("competency")}
    window = rules.sections.smart.window
    out = []
    for i, s in enumerate(sents):
        if "next_objective" not in s.roles:
            continue
        group = [
            j
            for j in range(max(0, i - window), min(i + 1 + window, len(sents)))
            if "next_objective" in sents[j].roles
        ]
        out.append(
            Objective(
                start=s.start,
                end=s.end,
                text=s.text,
                specific=any(j in comp_sents or _specific(sents[j], rules) for j in group),
                measurable=any(sents[j].cues.get("measure") for j in group),
                time_bound=any(sents[j].cues.get("time") for j in group),
            )
        )
    return tuple(out)


def _why(s: SentenceReading, role: str) -> str:
    """Say which rule gave a sentence its role: the heading or the first cue."""
    if s.heading_role == role:
        return "heading"
    cues = s.cues.get(role)
    return cues[0].source if cues else "rule"
