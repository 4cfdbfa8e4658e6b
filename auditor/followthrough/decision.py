"""Does a report follow up the previous report's objective? Pure: compact facts in, a status out.

`Previous` keeps what a later report is compared with (small enough to keep for every report
of a 100,000-report batch); `Current` is read from the audit being judged, sentence by
sentence. `decide` weighs the evidence as rules/followthrough.yaml says.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from auditor.followthrough.words import Vocabulary
from auditor.schema import Evidence, FollowStatus, ReportAudit, Tag

#: Sentence ends of a report's plain text: a line break, or end punctuation before a space.
_SENTENCE = re.compile(r"[^\s.!?;][^\n.!?;]*(?:[.!?;]+(?=\s|$))?")


@dataclass(frozen=True, slots=True)
class Previous:
    """The previous report of a rep, as far as follow-through needs it (plain tuples: a batch
    keeps one per dated report)."""

    id: str
    date: str
    objective: tuple[tuple[int, int, str], ...]  # (start, end, text) in the previous report
    words: tuple[str, ...]  # content words of its objective
    competencies: tuple[str, ...]  # competencies named in its objective

    def evidence(self) -> list[Evidence]:
        """The objective's sentences as Evidence (offsets into the previous report's text)."""
        return [Evidence(start=a, end=b, text=t) for a, b, t in self.objective]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of the report being judged, as the decision reads it."""

    words: frozenset[str]
    progress: bool  # it has a word that says how something went
    back: bool  # it is one of the report's back-references


@dataclass(frozen=True, slots=True)
class Current:
    """The report being judged: its sentences, back-references and competencies."""

    back_references: tuple[Evidence, ...]
    sentences: tuple[Sentence, ...]
    back_competencies: frozenset[str]
    competencies: frozenset[str]
    text_words: frozenset[str]


@dataclass(frozen=True, slots=True)
class Decision:
    """A status, the words and competencies both reports share, and the scores behind it."""

    status: FollowStatus
    shared: tuple[str, ...]
    follow: float
    mention: float


def _inside(tags: list[Tag], spans: tuple[Evidence, ...]) -> frozenset[str]:
    """Ids of the tags with evidence inside one of `spans`."""
    return frozenset(
        t.id
        for t in tags
        if any(s.start <= e.start and e.end <= s.end for e in t.evidence for s in spans)
    )


def _sentences(text: str) -> list[Evidence]:
    """The non-blank sentences of a plain text, with their offsets."""
    return [
        Evidence(start=m.start(), end=m.end(), text=m.group())
        for m in _SENTENCE.finditer(text)
        if m.group().strip()
    ]


def _fallback_objective(text: str, vocab: Vocabulary) -> tuple[Evidence, ...]:
    """Where the rules found no objective: the sentences that a label such as "Next:" opens."""
    sentences = _sentences(text)
    labels = vocab.settings.objective_labels
    labelled = tuple(
        s for s in sentences if any(s.text.strip(" -*•\t").lower().startswith(x) for x in labels)
    )
    return labelled


def previous_of(audit: ReportAudit, date: str, vocab: Vocabulary) -> Previous:
    """What a later report of the same rep is compared with."""
    longest = vocab.settings.max_objective_chars
    found = audit.next_objective.evidence if audit.next_objective else []
    # A look back ("Last visit we agreed to ...") is not the objective a later report follows.
    looking_back = {(e.start, e.end) for e in audit.follow_up}
    objective = tuple(e for e in found if (e.start, e.end) not in looking_back)
    if not objective and audit.text:
        objective = _fallback_objective(audit.text, vocab)
    text = " ".join(e.text for e in objective)
    return Previous(
        audit.id,
        sys.intern(date),
        tuple((e.start, e.end, e.text[:longest]) for e in objective),
        tuple(sorted(vocab.content(text))),
        tuple(sorted(_inside(audit.competencies, objective))),
    )


def current_of(audit: ReportAudit, vocab: Vocabulary) -> Current:
    """The facts of the report being judged (its text, when the audit keeps it)."""
    back = tuple(audit.follow_up)
    text = audit.text or " ".join(e.text for e in back)
    sentences = tuple(
        Sentence(
            vocab.content(s.text),
            not vocab.progress.isdisjoint(vocab.tokens(s.text)),
            any(b.start < s.end and s.start < b.end for b in back) if audit.text else True,
        )
        for s in _sentences(text)
    )
    return Current(
        back_references=back,
        sentences=sentences,
        back_competencies=_inside(audit.competencies, back),
        competencies=frozenset(t.id for t in audit.competencies),
        text_words=vocab.content(text),
    )


def decide(previous: Previous, current: Current, vocab: Vocabulary) -> Decision:
    """followed_up, partly or not_followed_up (the previous report must have an objective)."""
    settings = vocab.settings
    fw, mw = settings.follow, settings.mention
    best = 0.0
    for s in current.sentences:
        shared = len(s.words.intersection(previous.words))
        if shared or (s.back and fw.back_alone):
            best = max(
                best,
                fw.shared_word * min(shared, fw.max_shared_words)
                + fw.progress * (s.progress and shared > 0)
                + fw.back_reference * s.back,
            )
    comp_back = current.back_competencies.intersection(previous.competencies)
    follow = best + fw.shared_competency * bool(comp_back)
    in_text = current.text_words.intersection(previous.words)
    comp_text = current.competencies.intersection(previous.competencies)
    mention = (
        mw.back_reference * bool(current.back_references)
        + mw.shared_word * min(len(in_text), mw.max_shared_words)
        + mw.shared_competency * bool(comp_text)
    )
    if follow >= settings.followed_up:
        status: FollowStatus = "followed_up"
    elif mention >= settings.partly:
        status = "partly"
    else:
        status = "not_followed_up"
    shared_all = tuple(sorted(comp_text)) + tuple(sorted(in_text))
    return Decision(status, shared_all, round(follow, 3), round(mention, 3))
