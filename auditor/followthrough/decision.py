"""Does a report follow up the previous report's objective? Pure: compact facts in, a status out.

`Previous` keeps what a later report is compared with (small enough to keep for every report
of a 100,000-report batch); `Current` is read from the audit being judged. `decide` weighs the
evidence as rules/followthrough.yaml says.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.followthrough.words import Vocabulary
from auditor.schema import Evidence, FollowStatus, ReportAudit, Tag


@dataclass(frozen=True, slots=True)
class Previous:
    """The previous report of a rep, as far as follow-through needs it."""

    id: str
    date: str
    objective: tuple[Evidence, ...]  # offsets into the previous report's text
    words: frozenset[str]  # content words of its objective
    competencies: frozenset[str]  # competencies named in its objective


@dataclass(frozen=True, slots=True)
class Current:
    """The report being judged: its back-references and what else it says."""

    back_references: tuple[Evidence, ...]
    back_words: frozenset[str]
    back_tokens: frozenset[str]  # every normalised word of the back-references (progress words)
    back_competencies: frozenset[str]
    objective_words: frozenset[str]
    text_words: frozenset[str]
    competencies: frozenset[str]


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


def previous_of(audit: ReportAudit, date: str, vocab: Vocabulary) -> Previous:
    """What a later report of the same rep is compared with."""
    longest = vocab.settings.max_objective_chars
    found = audit.next_objective.evidence if audit.next_objective else []
    # A look back ("Last visit we agreed to ...") is not the objective a later report follows.
    looking_back = {(e.start, e.end) for e in audit.follow_up}
    objective = tuple(e for e in found if (e.start, e.end) not in looking_back)
    text = " ".join(e.text for e in objective)
    kept = tuple(
        e if len(e.text) <= longest else Evidence(start=e.start, end=e.end, text=e.text[:longest])
        for e in objective
    )
    return Previous(
        audit.id, date, kept, vocab.content(text), _inside(audit.competencies, objective)
    )


def current_of(audit: ReportAudit, vocab: Vocabulary) -> Current:
    """The facts of the report being judged (its text, when the audit keeps it)."""
    back = tuple(audit.follow_up)
    back_text = " ".join(e.text for e in back)
    objective = audit.next_objective.evidence if audit.next_objective else []
    return Current(
        back_references=back,
        back_words=vocab.content(back_text),
        back_tokens=frozenset(vocab.tokens(back_text)),
        back_competencies=_inside(audit.competencies, back),
        objective_words=vocab.content(" ".join(e.text for e in objective)),
        text_words=vocab.content(audit.text or ""),
        competencies=frozenset(t.id for t in audit.competencies),
    )


def decide(previous: Previous, current: Current, vocab: Vocabulary) -> Decision:
    """followed_up, partly or not_followed_up (the previous report must have an objective)."""
    settings = vocab.settings
    fw, mw = settings.follow, settings.mention
    backed = bool(current.back_references)
    in_back = previous.words & current.back_words
    comp_back = previous.competencies & current.back_competencies
    progress = backed and bool(current.back_tokens & vocab.progress)
    follow = (
        fw.back_reference * backed
        + fw.shared_word * min(len(in_back), fw.max_shared_words)
        + fw.shared_competency * bool(comp_back)
        + fw.progress * progress
        + fw.objective_word
        * min(len(previous.words & current.objective_words), fw.max_shared_words)
    )
    in_text = previous.words & current.text_words
    comp_text = previous.competencies & current.competencies
    mention = (
        mw.back_reference * backed
        + mw.shared_word * min(len(in_text), mw.max_shared_words)
        + mw.shared_competency * bool(comp_text)
    )
    if follow >= settings.followed_up:
        status: FollowStatus = "followed_up"
    elif mention >= settings.partly:
        status = "partly"
    else:
        status = "not_followed_up"
    shared = tuple(sorted(comp_text)) + tuple(sorted(in_text | in_back))
    return Decision(status, shared, round(follow, 3), round(mention, 3))
