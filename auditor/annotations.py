"""Plain, immutable annotations of one report: what the NLP layer found, what the checks read
(and the per-sentence facts the sentence-role model reads).

No spaCy here, so checks, scoring and their tests run without a model. Offsets are `[start, end)`
Python str indices into the report text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SIGNALS = (
    "situation",
    "action",
    "result",
    "next_objective",
    "observed_behavior",
    "reinforcement",
    "dialogue",
    "judgmental",
    "compliance_risk",
    "numbers_only",
    "focus_competencies",
    "priorities",
    "follow_up",
)


@dataclass(frozen=True, slots=True)
class Hit:
    """A labelled stretch of text and, optionally, what fired to produce it."""

    start: int
    end: int
    label: str
    text: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class Objective:
    """One next-objective unit and the SMART facets found in it."""

    start: int
    end: int
    text: str
    specific: bool
    measurable: bool
    time_bound: bool

    @property
    def facets(self) -> int:
        """How many of the three facets are present."""
        return int(self.specific) + int(self.measurable) + int(self.time_bound)

    @property
    def smart(self) -> bool:
        """All three facets present in one objective."""
        return self.facets == 3


@dataclass(frozen=True, slots=True)
class Candidate:
    """A competency or priority the rules found mentioned, as the learned focus decision reads it.

    `features` are numeric facts about its mentions (counts by sentence role, position, the
    rules' own score); `words` are the lower-cased words of the sentences that mention it;
    `evidence` are its mentions that a check may cite, `mentions` all of them.
    """

    kind: str  # "competency" or "priority"
    id: str
    features: Mapping[str, float]
    words: tuple[str, ...]
    evidence: tuple[Hit, ...]
    mentions: tuple[Hit, ...]


@dataclass(frozen=True)
class Annotations:
    """Everything the checks may read about one report."""

    text: str
    rep_level: str | None
    priorities: tuple[Hit, ...]
    competencies: tuple[Hit, ...]
    focus: tuple[str, ...]
    focus_evidence: tuple[Hit, ...]
    objectives: tuple[Objective, ...]
    signals: dict[str, tuple[Hit, ...]] = field(default_factory=dict)
    candidates: tuple[Candidate, ...] = ()

    def signal(self, name: str) -> tuple[Hit, ...]:
        """Evidence for a named signal (empty when absent)."""
        return self.signals.get(name, ())

    def has(self, name: str) -> bool:
        """Whether a signal is present."""
        return bool(self.signals.get(name))

    @property
    def best_objective(self) -> Objective | None:
        """The objective with the most SMART facets (first one on ties)."""
        if not self.objectives:
            return None
        return max(self.objectives, key=lambda o: o.facets)


@dataclass(frozen=True, slots=True)
class SentenceFacts:
    """One sentence as the engine read it, with the SMART facets the rules found in it."""

    start: int
    end: int
    text: str
    time_bound: bool = False
    measurable: bool = False
    specific: bool = False
