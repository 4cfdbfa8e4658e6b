"""How a report's follow-through of the previous objective is judged (rules/followthrough.yaml).

Read on its own by `load_followthrough`; a pack without the file does not judge follow-through.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from auditor.config.base import DEFAULT_RULES_DIR, StrictModel, load_file

FILE = "followthrough.yaml"


class Words(StrictModel):
    """How a text becomes the content words that are compared."""

    min_length: int = Field(default=3, ge=1)
    stopwords: tuple[str, ...]
    # Endings cut from a word that keeps at least `min_stem` letters ("questions" -> "question").
    suffixes: tuple[str, ...] = ()
    min_stem: int = Field(default=4, ge=2)
    # Each group's words count as its first one ("concern" as "objection").
    synonyms: tuple[tuple[str, ...], ...] = ()


class FollowWeights(StrictModel):
    """What each piece of evidence adds to the follow-up score: the best sentence of the report
    (words it shares with the objective, a progress word, a back-reference), plus a competency
    of the objective named in a back-reference."""

    back_reference: float = Field(ge=0)
    shared_word: float = Field(ge=0)
    shared_competency: float = Field(ge=0)
    progress: float = Field(ge=0)
    max_shared_words: int = Field(default=3, ge=1)
    # A back-reference that shares no word with the objective still counts (as a sentence).
    back_alone: bool = False


class MentionWeights(StrictModel):
    """What each piece of evidence adds to the mention score (the report names the topic)."""

    back_reference: float = Field(ge=0)
    shared_word: float = Field(ge=0)
    shared_competency: float = Field(ge=0)
    max_shared_words: int = Field(default=3, ge=1)


class FollowThroughSettings(StrictModel):
    """Words, weights and thresholds of the follow-through decision."""

    words: Words
    # Words (as `words` normalises them) that say how the objective went.
    progress: tuple[str, ...]
    follow: FollowWeights
    mention: MentionWeights
    followed_up: float = Field(gt=0)  # follow score at or above: followed_up
    partly: float = Field(gt=0)  # otherwise, mention score at or above: partly
    # Where the rules found no objective in the previous report: its sentences that start
    # with one of these labels (lower case).
    objective_labels: tuple[str, ...] = ()
    # Longest objective text kept per report while a batch is judged (memory stays bounded).
    max_objective_chars: int = Field(default=400, ge=20)


def load_followthrough(directory: str | Path | None = None) -> FollowThroughSettings | None:
    """The pack's follow-through settings; None when the pack has no followthrough.yaml."""
    path = (Path(directory) if directory else DEFAULT_RULES_DIR) / FILE
    return load_file(FollowThroughSettings, path) if path.is_file() else None
